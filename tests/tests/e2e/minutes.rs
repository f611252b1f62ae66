//! The minutes service through its gRPC API: the record of the conference,
//! sign-off and corrections, the conclusion notice, responses, escalation.
#![allow(clippy::unwrap_used)]

use doithoai_proto::common::v1::DocumentFormat;
use doithoai_proto::{
    minutes::v1::{
        AcknowledgeNoticeRequest, AddEntryRequest, AnswerPetitionRequest, Classification, ConferenceRequest,
        EscalatePetitionRequest, IssueConclusionNoticeRequest, MinutesState, NoticeAssignment, Outcome, Petition,
        PetitionStatus, RecordConclusionRequest, RecordOpeningRequest, RecordPetitionRequest, RecordResponseRequest,
        ReferPetitionRequest, RenderPetitionRequest, RenderRequest, Response as WrittenResponse,
        minutes_service_client::MinutesServiceClient,
    },
    scheduling::v1::{CreateOrganizationRequest, Organization, OrganizationKind, directory_client::DirectoryClient},
};
use doithoai_tests::{scheduling::*, *};
use tonic::{Code, Status, transport::Channel};

/// The text a reader sees in a PDF, whitespace collapsed.
fn pdf_text(pdf: &[u8]) -> String {
    doithoai_documents::read::text_of(pdf).unwrap()
}

struct Fixture {
    stack: Stack,
    district: District,
    conference_id: String,
    secretary: String,
    host: String,
}

impl Fixture {
    /// A conference of district 323 inviting its agency, started, with its minutes open.
    async fn started() -> Self {
        let stack = Stack::start().await;
        let district = District::set_up(&stack).await;
        let conference = district.announced_inviting(&stack, vec![district.agency.id.clone()]).await;
        district.start(&stack, &conference.id).await;
        let fixture = Fixture {
            stack,
            district,
            conference_id: conference.id,
            secretary: token_for("thuky-323", "323", &[Role::Secretary]),
            host: token_for("bithu-323", "323", &[Role::Host]),
        };
        eventually(WAIT, "the minutes open", || async {
            fixture.client().await.get_minutes(authorized(fixture.conference(), &fixture.secretary)).await.ok()
        })
        .await;
        fixture
    }

    async fn client(&self) -> MinutesServiceClient<Channel> {
        MinutesServiceClient::new(self.stack.channel("minutes").await)
    }

    fn conference(&self) -> ConferenceRequest {
        ConferenceRequest { conference_id: self.conference_id.clone() }
    }

    async fn petition(&self, classification: Classification, text: &str) -> Petition {
        let request = RecordPetitionRequest {
            conference_id: self.conference_id.clone(),
            text: text.into(),
            field: 1,
            classification: classification as i32,
            ..Default::default()
        };
        self.client().await.record_petition(authorized(request, &self.secretary)).await.unwrap().into_inner()
    }

    async fn answer(&self, petition: &str, organization: &str) -> Result<Petition, Status> {
        let request = AnswerPetitionRequest {
            petition_id: petition.into(),
            text: "Sẽ chi trả trong quý II".into(),
            organization_id: organization.into(),
            official_name: "Trưởng phòng".into(),
            ..Default::default()
        };
        Ok(self.client().await.answer_petition(authorized(request, &self.host)).await?.into_inner())
    }

    /// Concludes and signs the minutes.
    async fn sign(&self) {
        let mut client = self.client().await;
        let conclusion = RecordConclusionRequest {
            conference_id: self.conference_id.clone(),
            conclusion: "Giao các cơ quan giải quyết dứt điểm".into(),
        };
        client.record_conclusion(authorized(conclusion, &self.host)).await.unwrap();
        client.sign_minutes(authorized(self.conference(), &self.secretary)).await.unwrap();
        let signed = client.sign_minutes(authorized(self.conference(), &self.host)).await.unwrap().into_inner();
        assert_eq!(signed.state, MinutesState::Signed as i32);
    }

    async fn subjects(&self) -> Vec<String> {
        let messages = self.stack.stream_messages("DOITHOAI_MINUTES").await;
        messages.into_iter().map(|m| m.subject.to_string()).collect()
    }
}

#[tokio::test]
async fn the_record_from_opening_to_signature_and_corrections() {
    let f = Fixture::started().await;
    let mut client = f.client().await;
    let opening = RecordOpeningRequest {
        conference_id: f.conference_id.clone(),
        purpose: "Lắng nghe ý kiến".into(),
        requirements: "Dân chủ, thẳng thắn".into(),
        content: "Giải phóng mặt bằng".into(),
    };
    client.record_opening(authorized(opening, &f.secretary)).await.unwrap();

    let by_host = f.petition(Classification::Petition, "Chậm chi trả tiền bồi thường").await;
    let by_agency = f.petition(Classification::Proposal, "Đề nghị làm đường gom").await;
    let complaint = f.petition(Classification::Complaint, "Khiếu nại quyết định thu hồi đất").await;
    let secret = RecordPetitionRequest {
        conference_id: f.conference_id.clone(),
        text: "Vấn đề quốc phòng".into(),
        field: 2,
        classification: Classification::Feedback as i32,
        state_secret: true,
        ..Default::default()
    };
    let secret = client.record_petition(authorized(secret, &f.secretary)).await.unwrap().into_inner();
    assert!(secret.state_secret);

    assert_eq!(rule(&f.answer(&complaint.id, "").await.unwrap_err()), "R1.2", "a complaint is referred, not answered");
    let refer = ReferPetitionRequest {
        petition_id: complaint.id.clone(),
        receiving_body: "Ban Tiếp công dân thành phố".into(),
        referred_on: "2026-03-10".into(),
        ..Default::default()
    };
    let referred = client.refer_petition(authorized(refer.clone(), &f.secretary)).await.unwrap().into_inner();
    assert_eq!(referred.status, PetitionStatus::Referred as i32);
    assert_eq!(rule(&f.answer(&complaint.id, "").await.unwrap_err()), "R1.2");
    let not_complaint = ReferPetitionRequest { petition_id: by_host.id.clone(), ..refer };
    assert_eq!(rule(&client.refer_petition(authorized(not_complaint, &f.secretary)).await.unwrap_err()), "R1.2");

    let answered = f.answer(&by_host.id, "").await.unwrap();
    let answer = answered.answer.unwrap();
    assert_eq!(
        (answer.answered_by_position_id.as_str(), answer.accountable_position_id.as_str()),
        (f.district.head.id.as_str(), f.district.head.id.as_str())
    );
    assert_eq!(
        rule(&f.answer(&by_agency.id, &uuid::Uuid::now_v7().to_string()).await.unwrap_err()),
        "R8.4",
        "not an invited agency"
    );
    let by_official = f.answer(&by_agency.id, &f.district.agency.id).await.unwrap().answer.unwrap();
    assert_eq!(by_official.answered_by_organization_id, f.district.agency.id);
    assert_eq!(by_official.accountable_position_id, f.district.head.id, "R9.1: the host answers for it");

    let conclusion =
        RecordConclusionRequest { conference_id: f.conference_id.clone(), conclusion: "Kết luận".into() };
    assert_eq!(
        client.record_conclusion(authorized(conclusion, &f.district.office)).await.unwrap_err().code(),
        Code::PermissionDenied,
        "the host concludes"
    );
    f.sign().await;
    let late = RecordPetitionRequest {
        conference_id: f.conference_id.clone(),
        text: "Ý kiến muộn".into(),
        field: 1,
        classification: 1,
        ..Default::default()
    };
    assert_eq!(
        rule(&client.record_petition(authorized(late, &f.secretary)).await.unwrap_err()),
        "R8.4",
        "signed minutes are immutable"
    );
    assert_eq!(rule(&client.sign_minutes(authorized(f.conference(), &f.host)).await.unwrap_err()), "R8.4");
    let correction = AddEntryRequest {
        conference_id: f.conference_id.clone(),
        kind: "CORRECTION".into(),
        text: "Sửa tên cơ quan trả lời ý kiến 2".into(),
        ..Default::default()
    };
    let corrected = client.add_entry(authorized(correction, &f.secretary)).await.unwrap().into_inner();
    assert_eq!(corrected.entries.len(), 1);
    assert_eq!(corrected.purpose, "Lắng nghe ý kiến");

    let minutes =
        client.get_minutes(authorized(f.conference(), &token("33", &[Role::Front]))).await.unwrap().into_inner();
    assert_eq!(minutes.petitions.len(), 4);
    assert_eq!(
        client.get_minutes(authorized(f.conference(), &token("325", &[Role::Office]))).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let subjects = eventually(WAIT, "the minutes' events", || async {
        let s = f.subjects().await;
        (s.len() >= 10).then_some(s)
    })
    .await;
    let kinds: Vec<&str> = subjects.iter().map(|s| s.split('.').nth(2).unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "minutes_opened",
            "petition_recorded",
            "petition_recorded",
            "petition_recorded",
            "petition_recorded",
            "petition_referred",
            "petition_answered",
            "petition_answered",
            "conclusion_signed",
            "entry_added"
        ]
    );
    assert!(subjects.iter().all(|s| s.ends_with(".33.323")), "{subjects:?}");
    let audited = f.stack.count("minutes", "SELECT count(*) FROM audit_log").await;
    assert!(audited >= 12, "{audited}");

    // A conference that has not started has no minutes to write in.
    f.stack.clock.set(at(MONDAY));
    let later = f.district.announced(&f.stack).await;
    eventually(WAIT, "the announced conference replicated", || async {
        let sql = format!("SELECT count(*) FROM conferences WHERE id = '{}'", later.id);
        (f.stack.count("minutes", &sql).await == 1).then_some(())
    })
    .await;
    let early = RecordPetitionRequest {
        conference_id: later.id.clone(),
        text: "Sớm".into(),
        field: 1,
        classification: 1,
        ..Default::default()
    };
    let refused = client.record_petition(authorized(early, &f.secretary)).await.unwrap_err();
    assert_eq!((refused.code(), rule(&refused)), (Code::FailedPrecondition, "R8.1".into()));
    f.stack.finish().await;
}

#[tokio::test]
async fn the_notice_the_agencies_responses_and_escalation() {
    let f = Fixture::started().await;
    let mut client = f.client().await;
    // The host's office, whose head signs the notice for the host.
    let office = Organization {
        unit_code: "323".into(),
        kind: OrganizationKind::PartyCommitteeOffice as i32,
        name: "Văn phòng Thành ủy Hưng Yên".into(),
        head_title: "Chánh Văn phòng Thành ủy".into(),
        head_name: "Trần Văn Chánh".into(),
        ..Default::default()
    };
    DirectoryClient::new(f.stack.channel("scheduling").await)
        .create_organization(authorized(
            CreateOrganizationRequest { organization: Some(office), ..Default::default() },
            &f.district.office,
        ))
        .await
        .unwrap();
    let unanswered = f.petition(Classification::Petition, "Cấp giấy chứng nhận quyền sử dụng đất").await;
    let beyond = f.petition(Classification::Proposal, "Nâng cấp quốc lộ 39").await;
    let answered = f.petition(Classification::Feedback, "Thái độ cán bộ một cửa").await;
    f.answer(&answered.id, "").await.unwrap();
    let assign = |petition: &str, organization: &str| NoticeAssignment {
        petition_id: petition.into(),
        organization_id: organization.into(),
        received_on: String::new(),
    };
    let issue = |assignments: Vec<NoticeAssignment>| IssueConclusionNoticeRequest {
        conference_id: f.conference_id.clone(),
        number: "15/TB-TU".into(),
        sent_on: "2026-03-20".into(),
        signer: "Chánh Văn phòng Thành ủy".into(),
        assignments,
        ..Default::default()
    };
    let agency = f.district.agency.id.clone();
    let both = vec![assign(&unanswered.id, &agency), assign(&beyond.id, &agency)];
    f.stack.clock.set(at("2026-03-20T02:00:00Z"));
    assert_eq!(
        rule(&client.issue_conclusion_notice(authorized(issue(both.clone()), &f.district.office)).await.unwrap_err()),
        "R10.2",
        "not signed yet"
    );
    f.sign().await;
    let missing = vec![assign(&unanswered.id, &agency)];
    assert_eq!(
        rule(&client.issue_conclusion_notice(authorized(issue(missing), &f.district.office)).await.unwrap_err()),
        "R10.2"
    );
    let with_answered =
        vec![assign(&unanswered.id, &agency), assign(&beyond.id, &agency), assign(&answered.id, &agency)];
    assert_eq!(
        rule(&client.issue_conclusion_notice(authorized(issue(with_answered), &f.district.office)).await.unwrap_err()),
        "R10.2"
    );
    // Dates are facts: not after today, not before the conference.
    for (sent_on, reason) in [("9999-12-31", "DATE_IN_THE_FUTURE"), ("2026-03-09", "DATE_OUT_OF_ORDER")] {
        let dated = IssueConclusionNoticeRequest { sent_on: sent_on.into(), ..issue(both.clone()) };
        let refused = client.issue_conclusion_notice(authorized(dated, &f.district.office)).await.unwrap_err();
        assert_eq!((refused.code(), rule(&refused)), (Code::InvalidArgument, reason.into()), "{sent_on}");
    }
    let nowhere = vec![assign(&unanswered.id, &uuid::Uuid::now_v7().to_string()), assign(&beyond.id, &agency)];
    assert_eq!(
        client.issue_conclusion_notice(authorized(issue(nowhere), &f.district.office)).await.unwrap_err().code(),
        Code::NotFound
    );
    let notice =
        client.issue_conclusion_notice(authorized(issue(both.clone()), &f.district.office)).await.unwrap().into_inner();
    let twice = client.issue_conclusion_notice(authorized(issue(both), &f.district.office)).await.unwrap_err();
    assert_eq!((twice.code(), rule(&twice)), (Code::AlreadyExists, "R10.2".into()));

    // A Bí thư hosted: the Party's format, issued by the Thành ủy's office,
    // signed for the host by the office's head, named from the directory.
    let render =
        |format: DocumentFormat| RenderRequest { conference_id: f.conference_id.clone(), format: format as i32 };
    let rendered = client
        .render_conclusion_notice(authorized(render(DocumentFormat::Pdf), &f.district.office))
        .await
        .unwrap()
        .into_inner();
    let text = pdf_text(&rendered.content);
    printed_within_margins("party-notice-e2e.pdf", &rendered.content);
    for expected in [
        "THÀNH ỦY HƯNG YÊN VĂN PHÒNG",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Số 15/TB-TU",
        "Hưng Yên, ngày 20 tháng 3 năm 2026",
        "THÔNG BÁO",
        "Kết luận của đồng chí Bí thư Thành ủy",
        "Cấp giấy chứng nhận quyền sử dụng đất",
        "Cơ quan giải quyết: Phòng Tài nguyên và Môi trường",
        "Nơi nhận: - Phòng Tài nguyên và Môi trường; - Lưu: VT.",
        "TL. NGƯỜI CHỦ TRÌ CHÁNH VĂN PHÒNG THÀNH ỦY",
        "Trần Văn Chánh",
    ] {
        assert!(text.contains(expected), "{expected:?} not in the notice: {text}");
    }
    assert!(!text.contains("CỘNG HÒA"), "a Party office's notice carries no State motto");
    assert!(!text.contains("Thái độ cán bộ"), "an answered petition is not in the notice");
    let docx = client
        .render_conclusion_notice(authorized(render(DocumentFormat::Docx), &f.district.office))
        .await
        .unwrap()
        .into_inner();
    let paragraphs = doithoai_documents::read::docx_paragraphs(&docx.content).unwrap();
    for expected in ["Số 15/TB-TU", "Trần Văn Chánh", "- Phòng Tài nguyên và Môi trường;"] {
        assert!(paragraphs.iter().any(|p| p == expected), "{expected:?} not in the DOCX: {paragraphs:?}");
    }
    let printed = doithoai_documents::read::printed_text(&docx.content).unwrap();
    assert!(printed.contains("THÔNG BÁO") && printed.contains("Trần Văn Chánh"), "LibreOffice prints it: {printed}");
    // The receipt handed to the citizen: the code, the secretary by name, no citizen's name.
    let receipt = RenderPetitionRequest { petition_id: unanswered.id.clone(), format: DocumentFormat::Pdf as i32 };
    let receipt = client.render_petition_receipt(authorized(receipt, &f.district.office)).await.unwrap().into_inner();
    printed_within_margins("party-receipt-e2e.pdf", &receipt.content);
    let text = pdf_text(&receipt.content);
    for expected in [
        "GIẤY BIÊN NHẬN",
        "Nội dung: Cấp giấy chứng nhận quyền sử dụng đất",
        &format!("Mã tra cứu: {}", unanswered.receipt_code),
        "THƯ KÝ HỘI NGHỊ Lê Thị Thư Ký",
    ] {
        assert!(text.contains(expected), "{expected:?} not in the receipt: {text}");
    }
    // The minutes, signed by the secretary and the host by name, never by login.
    let minutes =
        client.render_minutes(authorized(render(DocumentFormat::Pdf), &f.district.office)).await.unwrap().into_inner();
    let text = pdf_text(&minutes.content);
    printed_within_margins("party-minutes-e2e.pdf", &minutes.content);
    for expected in
        ["ĐẢNG BỘ TỈNH HƯNG YÊN THÀNH ỦY HƯNG YÊN", "BIÊN BẢN", "THƯ KÝ", "Lê Thị Thư Ký", "Nguyễn Văn Chủ Trì"]
    {
        assert!(text.contains(expected), "{expected:?} not in the minutes: {text}");
    }
    assert!(!text.contains("thuky-323") && !text.contains("bithu-323"), "{text}");
    let docx =
        client.render_minutes(authorized(render(DocumentFormat::Docx), &f.district.office)).await.unwrap().into_inner();
    let printed = doithoai_documents::read::printed_text(&docx.content).unwrap();
    assert!(printed.contains("BIÊN BẢN") && printed.contains("Lê Thị Thư Ký"), "LibreOffice prints it: {printed}");
    let stranger = agency_token(&uuid::Uuid::now_v7().to_string(), "323");
    let acknowledge = AcknowledgeNoticeRequest {
        notice_id: notice.id.clone(),
        organization_id: agency.clone(),
        received_on: "2026-03-23".into(),
        ..Default::default()
    };
    assert_eq!(
        client.acknowledge_notice(authorized(acknowledge.clone(), &stranger)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let agency_token = agency_token(&agency, "323");
    let early = client.acknowledge_notice(authorized(acknowledge.clone(), &agency_token)).await.unwrap_err();
    assert_eq!(rule(&early), "DATE_IN_THE_FUTURE", "received on Monday, recorded on Friday");
    f.stack.clock.set(at("2026-04-20T02:00:00Z"));
    let acknowledged =
        client.acknowledge_notice(authorized(acknowledge.clone(), &agency_token)).await.unwrap().into_inner();
    assert!(acknowledged.assignments.iter().all(|a| a.received_on == "2026-03-23"));
    assert_eq!(
        client.acknowledge_notice(authorized(acknowledge, &agency_token)).await.unwrap_err().code(),
        Code::AlreadyExists
    );

    let response = WrittenResponse {
        organization_id: String::new(),
        responded_on: "2026-04-20".into(),
        document_number: "112/TNMT".into(),
        outcome: Outcome::PartlyResolved as i32,
        summary: "Đã cấp cho 12/15 hộ".into(),
        reported_to_heads: true,
        ..Default::default()
    };
    let respond = |token: &str| {
        let (mut client, request) = (
            client.clone(),
            RecordResponseRequest {
                petition_id: unanswered.id.clone(),
                response: Some(response.clone()),
                ..Default::default()
            },
        );
        let token = token.to_owned();
        async move { client.record_response(authorized(request, &token)).await }
    };
    let other = respond(&stranger).await.unwrap_err();
    assert_eq!((other.code(), rule(&other)), (Code::PermissionDenied, "NOT_YOUR_ORGANIZATION".into()), "who, not when");
    let before_receipt = RecordResponseRequest {
        petition_id: unanswered.id.clone(),
        response: Some(WrittenResponse { responded_on: "2026-03-22".into(), ..response.clone() }),
        ..Default::default()
    };
    let refused = f.client().await.record_response(authorized(before_receipt, &agency_token)).await.unwrap_err();
    assert_eq!(rule(&refused), "DATE_OUT_OF_ORDER", "a response before the notice's receipt");
    let responded = respond(&agency_token).await.unwrap().into_inner();
    assert_eq!(responded.status, PetitionStatus::Responded as i32);
    assert_eq!(responded.response.unwrap().outcome, Outcome::PartlyResolved as i32, "responded is not resolved");
    assert_eq!(rule(&respond(&agency_token).await.unwrap_err()), "R10.3", "once");

    // R10.4: beyond the district's authority, up to the province.
    let office_33 = token("33", &[Role::Office]);
    let province_agency = Organization {
        unit_code: "33".into(),
        kind: OrganizationKind::Department as i32,
        name: "Sở Giao thông vận tải".into(),
        ..Default::default()
    };
    let province_agency = DirectoryClient::new(f.stack.channel("scheduling").await)
        .create_organization(authorized(
            CreateOrganizationRequest { organization: Some(province_agency), ..Default::default() },
            &office_33,
        ))
        .await
        .unwrap()
        .into_inner();
    eventually(WAIT, "the province agency replica", || async {
        (f.stack.count("minutes", "SELECT count(*) FROM organizations").await == 3).then_some(())
    })
    .await;
    let sideways = EscalatePetitionRequest {
        petition_id: beyond.id.clone(),
        to_unit_code: "325".into(),
        to_organization_id: String::new(),
        petitioner_notified_on: "2026-03-25".into(),
        ..Default::default()
    };
    assert_eq!(rule(&client.escalate_petition(authorized(sideways, &f.district.office)).await.unwrap_err()), "R10.4");
    let up = EscalatePetitionRequest {
        petition_id: beyond.id.clone(),
        to_unit_code: "33".into(),
        to_organization_id: province_agency.id.clone(),
        petitioner_notified_on: "2026-03-25".into(),
        ..Default::default()
    };
    let escalated = client.escalate_petition(authorized(up, &f.district.office)).await.unwrap().into_inner();
    assert_eq!(escalated.status, PetitionStatus::Escalated as i32);
    let received_id = escalated.escalation.unwrap().escalated_petition_id;
    let received = client
        .get_petition(authorized(doithoai_proto::minutes::v1::PetitionRequest { petition_id: received_id }, &office_33))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (received.unit_code.as_str(), received.status, received.escalated_from_petition_id.as_str()),
        ("33", PetitionStatus::Assigned as i32, beyond.id.as_str())
    );
    let subjects = eventually(WAIT, "the escalation events", || async {
        let s = f.subjects().await;
        s.iter().any(|x| x == "doithoai.minutes.petition_recorded.33").then_some(s)
    })
    .await;
    for kind in ["conclusion_notice_issued", "notice_received", "response_recorded", "petition_escalated"] {
        assert!(subjects.iter().any(|s| s.contains(kind)), "{kind}: {subjects:?}");
    }
    // What the deadlines service reads: the notice with its date and each assignment.
    let js = async_nats::jetstream::new(async_nats::connect(f.stack.nats.url()).await.unwrap());
    let stream = js.get_stream("DOITHOAI_MINUTES").await.unwrap();
    let seq = subjects.iter().position(|s| s.contains("conclusion_notice_issued")).unwrap() as u64 + 1;
    let envelope = <doithoai_proto::common::v1::EventEnvelope as prost::Message>::decode(
        stream.get_raw_message(seq).await.unwrap().payload,
    )
    .unwrap();
    let issued =
        <doithoai_proto::minutes::v1::ConclusionNoticeIssued as prost::Message>::decode(envelope.payload.as_slice())
            .unwrap();
    let notice_event = issued.notice.unwrap();
    assert_eq!(
        (notice_event.number.as_str(), notice_event.sent_on.as_str(), notice_event.assignments.len()),
        ("15/TB-TU", "2026-03-20", 2)
    );
    f.stack.finish().await;
}

#[tokio::test]
async fn an_undecodable_stored_petition_is_an_error_never_a_shorter_record() {
    let f = Fixture::started().await;
    f.petition(Classification::Petition, "Cấp sổ đỏ chậm").await;
    let kept = f.client().await.get_minutes(authorized(f.conference(), &f.secretary)).await.unwrap();
    assert_eq!(kept.into_inner().petitions.len(), 1);
    let pool = f.stack.database("minutes").await;
    sqlx::query("UPDATE petitions SET document = '\\xff'::bytea").execute(&pool).await.unwrap();
    pool.close().await;
    let refused = f.client().await.get_minutes(authorized(f.conference(), &f.secretary)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Internal, "{refused:?}");
    f.stack.finish().await;
}

#[tokio::test]
async fn the_internal_minutes_name_the_citizens_for_those_who_run_the_conference_only() {
    use doithoai_proto::participants::v1::{
        ConferenceRequest as Attending, Person, RegisterParticipantRequest, RegisterSpeakerRequest,
        participants_client::ParticipantsClient, register_participant_request::Who,
    };
    let mut stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    let conference = district.announced(&stack).await;
    let id = conference.id.clone();
    let secretary = token_for("thuky-323", "323", &[Role::Secretary]);
    let host = token_for("bithu-323", "323", &[Role::Host]);
    let mut participants = ParticipantsClient::new(stack.channel("participants").await);
    eventually(WAIT, "registration to open", || {
        let (mut participants, request) =
            (participants.clone(), authorized(Attending { conference_id: id.clone() }, &district.office));
        async move { participants.get_attendance(request).await.ok()?.into_inner().registration_open.then_some(()) }
    })
    .await;
    let person = Person { full_name: "Trần Văn Dân".into(), ..Default::default() };
    let register = RegisterParticipantRequest {
        conference_id: id.clone(),
        who: Some(Who::Person(person)),
        unit_code: "11950".into(),
        ..Default::default()
    };
    let participant = participants.register_participant(authorized(register, &secretary)).await.unwrap().into_inner();
    let speak = RegisterSpeakerRequest {
        conference_id: id.clone(),
        participant_id: participant.id.clone(),
        topic: "Bồi thường chậm".into(),
        field: 1,
        ..Default::default()
    };
    let speaker = participants.register_speaker(authorized(speak, &secretary)).await.unwrap().into_inner();
    district.start(&stack, &id).await;
    let mut client = MinutesServiceClient::new(stack.channel("minutes").await);
    let open = ConferenceRequest { conference_id: id.clone() };
    eventually(WAIT, "the minutes open", || {
        let (mut client, request) = (client.clone(), authorized(open.clone(), &secretary));
        async move { client.get_minutes(request).await.ok() }
    })
    .await;
    let petitions = [
        RecordPetitionRequest {
            conference_id: id.clone(),
            speaker_registration_id: speaker.id.clone(),
            participant_id: participant.id.clone(),
            text: "Tiền bồi thường giải phóng mặt bằng chi trả chậm".into(),
            field: 1,
            classification: Classification::Petition as i32,
            ..Default::default()
        },
        RecordPetitionRequest {
            conference_id: id.clone(),
            text: "Vị trí kho vũ khí của dân quân".into(),
            field: 2,
            classification: Classification::Feedback as i32,
            state_secret: true,
            ..Default::default()
        },
    ];
    for petition in petitions {
        client.record_petition(authorized(petition, &secretary)).await.unwrap();
    }

    let render = |format: DocumentFormat| RenderRequest { conference_id: id.clone(), format: format as i32 };
    let internal =
        client.render_internal_minutes(authorized(render(DocumentFormat::Pdf), &district.office)).await.unwrap();
    let internal = internal.into_inner();
    printed_within_margins("party-internal-minutes-e2e.pdf", &internal.content);
    let text = pdf_text(&internal.content);
    for expected in [
        "MẬT",
        "Bản lưu của cơ quan chủ trì",
        "Người nêu: Trần Văn Dân (đăng ký phát biểu số 1).",
        "(Mật) [Phản ánh] Vị trí kho vũ khí của dân quân",
        "III. DANH SÁCH ĐĂNG KÝ PHÁT BIỂU",
        "1. Trần Văn Dân — Kinh tế - xã hội: Bồi thường chậm — Chờ phát biểu.",
        "Lê Thị Thư Ký",
    ] {
        assert!(text.contains(expected), "{expected:?} not in the internal minutes: {text}");
    }
    let docx = client
        .render_internal_minutes(authorized(render(DocumentFormat::Docx), &secretary))
        .await
        .unwrap()
        .into_inner();
    let paragraphs = doithoai_documents::read::docx_paragraphs(&docx.content).unwrap();
    for expected in ["MẬT", "Người nêu: Trần Văn Dân (đăng ký phát biểu số 1)."] {
        assert!(paragraphs.iter().any(|p| p == expected), "{expected:?} not in the DOCX: {paragraphs:?}");
    }
    client.render_internal_minutes(authorized(render(DocumentFormat::Pdf), &host)).await.unwrap();

    // The public extract names nobody and leaves the secret out.
    let public = client.render_minutes(authorized(render(DocumentFormat::Pdf), &district.office)).await.unwrap();
    let text = pdf_text(&public.into_inner().content);
    assert!(!text.contains("Trần Văn Dân") && !text.contains("kho vũ khí") && !text.contains("MẬT"), "{text}");

    // Who does not run the conference reads the public minutes only.
    let front = token_for("mttq-323", "323", &[Role::Front]);
    for (who, token) in [("the Front", front), ("an agency", agency_token(&district.agency.id, "323"))] {
        let refused = client.render_internal_minutes(authorized(render(DocumentFormat::Pdf), &token)).await;
        assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied, "{who}");
    }

    // Without the participants service the internal minutes waits for it; the public one does not.
    stack.stop_service("participants").await;
    let refused = client.render_internal_minutes(authorized(render(DocumentFormat::Pdf), &district.office)).await;
    let refused = refused.unwrap_err();
    assert_eq!((refused.code(), rule(&refused)), (Code::Unavailable, "UNAVAILABLE".into()), "{refused:?}");
    client.render_minutes(authorized(render(DocumentFormat::Pdf), &district.office)).await.unwrap();
    stack.finish().await;
}
