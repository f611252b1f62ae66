//! The whole regulation end to end: one half-year of Hưng Yên driven only
//! through the four services' gRPC APIs, as the offices, heads, secretaries
//! and agencies would, with the clock moved from planning to the half-year
//! report. The same scenario with NATS stopped in the middle ends identically.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use doithoai_proto::{
    common::v1::EventEnvelope,
    deadlines::v1::{
        Count, DeadlineOverdue, ListObligationsRequest, Obligation, ObligationKind, ObligationState, Report,
        ReportRequest, deadlines_client::DeadlinesClient,
    },
    minutes::v1::{
        AcknowledgeNoticeRequest, AnswerPetitionRequest, Classification, ConferenceRequest as MinutesRef,
        EscalatePetitionRequest, IssueConclusionNoticeRequest, NoticeAssignment, Outcome as Resolution,
        RecordConclusionRequest, RecordOpeningRequest, RecordPetitionRequest, RecordResponseRequest,
        ReferPetitionRequest, Response as WrittenResponse, minutes_service_client::MinutesServiceClient,
    },
    participants::v1::{
        ConferenceRequest as ParticipantsRef, Person, RefusalReason, RefuseParticipantRequest,
        RegisterParticipantRequest, RegisterSpeakerRequest, SpeakerRequest, participants_client::ParticipantsClient,
        register_participant_request::Who,
    },
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AnnualPlan, AssignSecretaryRequest, Body, Conference, ConferenceDraft,
        ConferenceKind, ConferenceRef, CreateConferenceRequest, CreateOrganizationRequest, DelegateHostRequest,
        ExtendConferenceRequest, Form, ListConferencesRequest, Organization, OrganizationKind, PlannedConference,
        Position, Rank, Regime, conferences_client::ConferencesClient, directory_client::DirectoryClient,
        plans_client::PlansClient,
    },
};
use doithoai_tests::{
    scheduling::{at, create_post, timestamp},
    *,
};
use prost::Message;
use tonic::{Status, transport::Channel};
use tonic_types::{ErrorDetail, StatusExt};

/// What the scenario leaves behind, without ids: two runs compare equal
/// exactly when the system ended in the same state.
#[derive(Debug, PartialEq)]
pub(crate) struct Outcome {
    /// Each refused step and the rule its status named.
    refusals: Vec<(&'static str, String)>,
    coordinating_units: Vec<String>,
    /// The queue positions in the order the secretary called them.
    speakers_called: Vec<u32>,
    /// Kind, unit, anchor, anchor date, due date, state, met on, for every obligation.
    pub(crate) obligations: Vec<[String; 7]>,
    /// Every DeadlineOverdue published: kind, unit and due date of its obligation.
    overdue_alerts: Vec<[String; 3]>,
    report: Report,
}

/// Posts by login subject; agencies and offices by short name.
pub(crate) struct Scenario {
    pub(crate) stack: Stack,
    pub(crate) posts: BTreeMap<&'static str, Position>,
    pub(crate) agencies: BTreeMap<&'static str, Organization>,
    refusals: std::cell::RefCell<Vec<(&'static str, String)>>,
}

fn office(unit: &str) -> String {
    token(unit, &[Role::Office])
}

fn host(subject: &str, unit: &str) -> String {
    token_for(subject, unit, &[Role::Host])
}

fn secretary(subject: &str, unit: &str) -> String {
    token_for(subject, unit, &[Role::Secretary])
}

/// The rule a refusal names; every refusal also explains itself in English and Vietnamese.
fn rule_of(status: &Status) -> String {
    let locales: Vec<String> = status
        .get_error_details_vec()
        .into_iter()
        .filter_map(|detail| match detail {
            ErrorDetail::LocalizedMessage(message) if !message.message.is_empty() => Some(message.locale),
            _ => None,
        })
        .collect();
    assert_eq!(locales, ["en", "vi-VN"], "{status:?}");
    status.get_details_error_info().map(|info| info.reason).unwrap_or_default()
}

fn state(obligation: &Obligation) -> ObligationState {
    ObligationState::try_from(obligation.state).unwrap()
}

impl Scenario {
    pub(crate) async fn new() -> Self {
        Self {
            stack: Stack::start().await,
            posts: BTreeMap::new(),
            agencies: BTreeMap::new(),
            refusals: Default::default(),
        }
    }

    /// Moves every service's clock to an instant in Hà Nội (UTC+7).
    pub(crate) fn at(&self, local: &str) {
        self.stack.clock.set(at(&format!("{local}+07:00")));
    }

    fn refused<T: std::fmt::Debug>(&self, step: &'static str, result: Result<T, Status>) {
        let status = result.expect_err(step);
        self.refusals.borrow_mut().push((step, rule_of(&status)));
    }

    async fn directory(&self) -> DirectoryClient<Channel> {
        DirectoryClient::new(self.stack.channel("scheduling").await)
    }

    async fn conferences(&self) -> ConferencesClient<Channel> {
        ConferencesClient::new(self.stack.channel("scheduling").await)
    }

    async fn participants(&self) -> ParticipantsClient<Channel> {
        ParticipantsClient::new(self.stack.channel("participants").await)
    }

    async fn minutes(&self) -> MinutesServiceClient<Channel> {
        MinutesServiceClient::new(self.stack.channel("minutes").await)
    }

    async fn deadlines(&self) -> DeadlinesClient<Channel> {
        DeadlinesClient::new(self.stack.channel("deadlines").await)
    }

    /// 1. Units, heads, deputies, offices and agencies of the province, one district and one commune.
    pub(crate) async fn set_up_the_province(&mut self) {
        self.at("2026-01-26T08:00:00");
        self.stack.import_file("hung-yen-2020.csv").await.unwrap();
        self.stack.import_another_province().await;
        let posts = [
            ("bithu-33", "33", Body::PartyCommittee, Rank::Head, "Bí thư Tỉnh ủy"),
            ("chutich-33", "33", Body::PeoplesCommittee, Rank::Head, "Chủ tịch UBND tỉnh"),
            ("phochutich-33", "33", Body::PeoplesCommittee, Rank::Deputy, "Phó Chủ tịch UBND tỉnh"),
            ("bithu-323", "323", Body::PartyCommittee, Rank::Head, "Bí thư Thành ủy"),
            ("phobithu-323", "323", Body::PartyCommittee, Rank::Deputy, "Phó Bí thư Thành ủy"),
            ("chutich-323", "323", Body::PeoplesCommittee, Rank::Head, "Chủ tịch UBND thành phố"),
            ("bithu-11950", "11950", Body::PartyCommittee, Rank::Head, "Bí thư Đảng ủy phường"),
            ("chutich-11950", "11950", Body::PeoplesCommittee, Rank::Head, "Chủ tịch UBND phường"),
        ];
        for (subject, unit, body, rank, title) in posts {
            let created = create_post(&self.stack, (unit, body, rank), title, subject, &office(unit)).await;
            self.posts.insert(subject, created);
        }
        let organizations = [
            ("office-33", "33", OrganizationKind::CouncilAndCommitteeOffice, "Văn phòng UBND tỉnh"),
            ("sotnmt-33", "33", OrganizationKind::Department, "Sở Tài nguyên và Môi trường"),
            ("office-323", "323", OrganizationKind::PartyCommitteeOffice, "Văn phòng Thành ủy"),
            ("tnmt-323", "323", OrganizationKind::Department, "Phòng Tài nguyên và Môi trường"),
            ("qldt-323", "323", OrganizationKind::Department, "Phòng Quản lý đô thị"),
            ("office-11950", "11950", OrganizationKind::CouncilAndCommitteeOffice, "Văn phòng UBND phường"),
        ];
        for (key, unit, kind, name) in organizations {
            let organization =
                Organization { unit_code: unit.into(), kind: kind as i32, name: name.into(), ..Default::default() };
            let request = authorized(
                CreateOrganizationRequest { organization: Some(organization), ..Default::default() },
                &office(unit),
            );
            let created = self.directory().await.create_organization(request).await.unwrap().into_inner();
            self.agencies.insert(key, created);
        }
    }

    /// R11.1: the year's plans name the heads' periodic dialogues.
    async fn set_the_plans(&self) {
        let plan = |unit: &str, items: Vec<(&str, u32)>| AnnualPlan {
            unit_code: unit.into(),
            year: 2026,
            items: items
                .into_iter()
                .map(|(head, month)| PlannedConference {
                    host_position_id: self.posts[head].id.clone(),
                    regime: Regime::Periodic as i32,
                    month,
                    theme: "Đối thoại định kỳ".into(),
                })
                .collect(),
            ..Default::default()
        };
        let mut plans = PlansClient::new(self.stack.channel("scheduling").await);
        let district = plan("323", vec![("bithu-323", 2), ("chutich-323", 9)]);
        plans.set_annual_plan(authorized(district, &office("323"))).await.unwrap();
        let province = plan("33", vec![("chutich-33", 3), ("bithu-33", 10)]);
        plans.set_annual_plan(authorized(province, &office("33"))).await.unwrap();
    }

    fn draft(&self, head: &str, kind: ConferenceKind, starts_at: &str, invited: &[&str]) -> ConferenceDraft {
        let head = &self.posts[head];
        ConferenceDraft {
            unit_code: head.unit_code.clone(),
            body: head.body,
            host_position_id: head.id.clone(),
            regime: Regime::Periodic as i32,
            kind: kind as i32,
            form: Form::InPerson as i32,
            venue_unit_code: "11950".into(),
            venue_address: "Hội trường phường Lam Sơn".into(),
            theme: "Giải phóng mặt bằng và trật tự đô thị".into(),
            agenda: vec![
                AgendaItem { title: "Bồi thường, tái định cư".into(), field: 1, ..Default::default() },
                AgendaItem { title: "Trật tự đô thị".into(), field: 5, ..Default::default() },
            ],
            starts_at: Some(timestamp(at(&format!("{starts_at}+07:00")))),
            planned_minutes: 180,
            invited_organization_ids: invited.iter().map(|key| self.agencies[key].id.clone()).collect(),
            ..Default::default()
        }
    }

    async fn create(&self, draft: ConferenceDraft, secretary: &str) -> Conference {
        let office = office(&draft.unit_code);
        let mut client = self.conferences().await;
        let created = client
            .create_conference(authorized(
                CreateConferenceRequest { draft: Some(draft), ..Default::default() },
                &office,
            ))
            .await
            .unwrap()
            .into_inner();
        let assign = AssignSecretaryRequest {
            id: created.id.clone(),
            secretary_subject: secretary.into(),
            secretary_name: "Thư ký hội nghị".into(),
        };
        client.assign_secretary(authorized(assign, &office)).await.unwrap().into_inner()
    }

    async fn announce(&self, conference: &Conference, published: &str) -> Result<Conference, Status> {
        let notice = AnnounceConferenceRequest {
            id: conference.id.clone(),
            media_channel: "Báo Hưng Yên, Đài Phát thanh và Truyền hình tỉnh".into(),
            publication_date: published.into(),
        };
        let office = office(&conference.unit_code);
        Ok(self.conferences().await.announce_conference(authorized(notice, &office)).await?.into_inner())
    }

    async fn register(&self, conference: &str, secretary: &str, unit: &str, name: &str) -> Result<String, Status> {
        let request = RegisterParticipantRequest {
            conference_id: conference.into(),
            who: Some(Who::Person(Person { full_name: name.into(), ..Default::default() })),
            unit_code: unit.into(),
            ..Default::default()
        };
        Ok(self.participants().await.register_participant(authorized(request, secretary)).await?.into_inner().id)
    }

    async fn petition(
        &self,
        conference: &str,
        secretary: &str,
        text: &str,
        field: i32,
        classification: Classification,
    ) -> String {
        let record = RecordPetitionRequest {
            conference_id: conference.into(),
            text: text.into(),
            field,
            classification: classification as i32,
            ..Default::default()
        };
        self.minutes().await.record_petition(authorized(record, secretary)).await.unwrap().into_inner().id
    }

    async fn minutes_open(&self, conference: &str, secretary: &str) {
        let request = MinutesRef { conference_id: conference.into() };
        eventually(WAIT, "the minutes to open", || async {
            self.minutes().await.get_minutes(authorized(request.clone(), secretary)).await.ok()
        })
        .await;
    }

    /// The host's conclusion, both signatures, then the office records the end.
    async fn conclude_and_end(&self, conference: &str, secretary: &str, host: &str, unit: &str) {
        let mut minutes = self.minutes().await;
        let conclude = RecordConclusionRequest {
            conference_id: conference.into(),
            conclusion: "Giao các cơ quan chuyên môn giải quyết theo thẩm quyền".into(),
        };
        minutes.record_conclusion(authorized(conclude, host)).await.unwrap();
        let reference = MinutesRef { conference_id: conference.into() };
        minutes.sign_minutes(authorized(reference.clone(), secretary)).await.unwrap();
        minutes.sign_minutes(authorized(reference, host)).await.unwrap();
        self.conferences()
            .await
            .end_conference(authorized(ConferenceRef { id: conference.into() }, &office(unit)))
            .await
            .unwrap();
    }

    pub(crate) async fn obligations(&self) -> Vec<Obligation> {
        let request = ListObligationsRequest { unit_code: "33".into(), ..Default::default() };
        let monitor = token("33", &[Role::Monitor]);
        self.deadlines().await.list_obligations(authorized(request, &monitor)).await.unwrap().into_inner().obligations
    }

    /// Waits until the obligations of a petition (or a conference) look as `check` wants.
    pub(crate) async fn until(&self, what: &str, check: impl Fn(&[Obligation]) -> bool) {
        eventually(WAIT, what, || async { check(&self.obligations().await).then_some(()) }).await;
    }

    /// The obligations (kind, unit, due date) each DeadlineOverdue event was about, in order.
    async fn overdue_alerts(&self) -> Vec<[String; 3]> {
        let messages = self.stack.stream_messages("DOITHOAI_DEADLINES").await;
        let overdue = messages.into_iter().filter(|m| m.subject.starts_with("doithoai.deadlines.deadline_overdue."));
        overdue
            .map(|message| {
                let envelope = EventEnvelope::decode(message.payload).unwrap();
                let o = DeadlineOverdue::decode(envelope.payload.as_slice()).unwrap().obligation.unwrap();
                alert(kind_name(o.kind), &unit_of(&o), &o.due_date)
            })
            .collect()
    }
}

fn kind_name(kind: i32) -> &'static str {
    ObligationKind::try_from(kind).unwrap().as_str_name()
}

fn unit_of(obligation: &Obligation) -> String {
    obligation.unit_path.last().cloned().unwrap_or_default()
}

fn alert(kind: &str, unit: &str, due: &str) -> [String; 3] {
    [kind.to_owned(), unit.to_owned(), due.to_owned()]
}

/// An obligation of `kind` for this petition (or conference) in this state.
fn has(obligations: &[Obligation], kind: ObligationKind, of: &str, wanted: ObligationState) -> bool {
    obligations.iter().any(|o| {
        o.kind == kind as i32
            && (o.petition_id == of || (o.petition_id.is_empty() && o.conference_id == of))
            && state(o) == wanted
    })
}

/// The whole scenario; with `outage`, NATS is down from the district
/// conference's end until the conclusion notice has been issued and acknowledged.
async fn run(outage: bool) -> Outcome {
    let mut s = Scenario::new().await;
    s.set_up_the_province().await;
    s.set_the_plans().await;

    // 2. The district's Bí thư holds the periodic dialogue on Thursday 12 February,
    // three working days before Tết; the province's Chủ tịch UBND holds one in the
    // commune on Thursday 12 March.
    let district_secretary = secretary("thuky-323", "323");
    let province_secretary = secretary("thuky-33", "33");
    let a = s
        .create(
            s.draft("bithu-323", ConferenceKind::CitizensDirect, "2026-02-12T09:00:00", &["tnmt-323", "qldt-323"]),
            "thuky-323",
        )
        .await;
    let b = s
        .create(
            s.draft("chutich-33", ConferenceKind::Representatives, "2026-03-12T09:00:00", &["sotnmt-33"]),
            "thuky-33",
        )
        .await;
    // R4.2: the district and the commune are asked to coordinate.
    let coordinating_units = b.coordinating_unit_codes.clone();
    let not_a_deputy = DelegateHostRequest {
        id: b.id.clone(),
        deputy_position_id: s.posts["bithu-323"].id.clone(),
        reason: "Đi công tác".into(),
    };
    let refused = s.conferences().await.delegate_host(authorized(not_a_deputy, &host("chutich-33", "33"))).await;
    s.refused("delegating to someone who is not the head's deputy", refused);
    let delegation = DelegateHostRequest {
        id: b.id.clone(),
        deputy_position_id: s.posts["phochutich-33"].id.clone(),
        reason: "Dự họp Chính phủ theo triệu tập".into(),
    };
    let delegated = s
        .conferences()
        .await
        .delegate_host(authorized(delegation, &host("chutich-33", "33")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(delegated.accountable_position_id, s.posts["chutich-33"].id, "R2.2: the head stays accountable");

    s.at("2026-02-04T08:00:00");
    let six_days = s.announce(&a, "2026-02-06").await;
    s.refused("a notice six days ahead", six_days);
    s.announce(&a, "2026-02-04").await.unwrap();
    s.announce(&b, "2026-02-04").await.unwrap();
    // R4.2: the commune asked to coordinate reads the province's conference
    // and finds it in its own list; a commune not asked does neither.
    for (commune, asked) in [("11950", true), ("11953", false)] {
        let office = token(commune, &[Role::Office]);
        let list = ListConferencesRequest { unit_code: commune.into(), ..Default::default() };
        let listed = s.conferences().await.list_conferences(authorized(list, &office)).await.unwrap().into_inner();
        assert_eq!(listed.conferences.iter().any(|c| c.id == b.id), asked, "{commune} lists it");
        let read = s.conferences().await.get_conference(authorized(ConferenceRef { id: b.id.clone() }, &office)).await;
        assert_eq!(read.is_ok(), asked, "{commune} reads it: {read:?}");
    }

    // 3. Registration while the conference is announced.
    let attendance = ParticipantsRef { conference_id: a.id.clone() };
    eventually(WAIT, "registration to open", || async {
        let open = s.participants().await.get_attendance(authorized(attendance.clone(), &office("323"))).await.ok()?;
        open.get_ref().registration_open.then_some(())
    })
    .await;
    let outsider = s.register(&a.id, &district_secretary, "01", "Người ở Hà Nội").await;
    s.refused("a registration from outside the province", outsider);
    let mut queue = Vec::new();
    for (n, unit) in [(1, "11950"), (2, "11950"), (3, "11953"), (4, "11950")] {
        let participant = s.register(&a.id, &district_secretary, unit, &format!("Công dân số {n}")).await.unwrap();
        let speak = RegisterSpeakerRequest {
            conference_id: a.id.clone(),
            participant_id: participant.clone(),
            topic: format!("Ý kiến số {n} về bồi thường"),
            field: 1,
            ..Default::default()
        };
        let registration =
            s.participants().await.register_speaker(authorized(speak, &district_secretary)).await.unwrap().into_inner();
        queue.push((participant, registration.position));
    }
    assert_eq!(queue.iter().map(|(_, p)| *p).collect::<Vec<_>>(), [1, 2, 3, 4]);

    // 4. The conference runs.
    s.at("2026-02-12T08:30:00");
    let reference = ConferenceRef { id: a.id.clone() };
    s.conferences().await.start_conference(authorized(reference.clone(), &district_secretary)).await.unwrap();
    let bithu = host("bithu-323", "323");
    let disruptive = RefuseParticipantRequest {
        participant_id: queue[2].0.clone(),
        reason: RefusalReason::DisturbingOrder as i32,
        note: "Gây mất trật tự tại hội trường".into(),
    };
    let by_office = s.participants().await.refuse_participant(authorized(disruptive.clone(), &office("323"))).await;
    s.refused("the office refusing a participant in the host's place", by_office);
    s.participants().await.refuse_participant(authorized(disruptive, &bithu)).await.unwrap();
    let mut speakers_called = Vec::new();
    for _ in 0..3 {
        let mut participants = s.participants().await;
        let called = participants
            .call_next_speaker(authorized(ParticipantsRef { conference_id: a.id.clone() }, &district_secretary))
            .await
            .unwrap()
            .into_inner();
        speakers_called.push(called.position);
        participants
            .mark_spoke(authorized(SpeakerRequest { registration_id: called.id }, &district_secretary))
            .await
            .unwrap();
    }
    let extend = |minutes| ExtendConferenceRequest { id: a.id.clone(), minutes };
    s.conferences().await.extend_conference(authorized(extend(30), &bithu)).await.unwrap();
    let second = s.conferences().await.extend_conference(authorized(extend(15), &bithu)).await;
    s.refused("a second extension", second);

    s.minutes_open(&a.id, &district_secretary).await;
    let opening = RecordOpeningRequest {
        conference_id: a.id.clone(),
        purpose: "Lắng nghe ý kiến của nhân dân".into(),
        requirements: "Dân chủ, thẳng thắn".into(),
        content: "Bồi thường, tái định cư; trật tự đô thị".into(),
    };
    s.minutes().await.record_opening(authorized(opening, &district_secretary)).await.unwrap();
    let petition = Classification::Petition;
    let answered = s.petition(&a.id, &district_secretary, "Giá bồi thường đất nông nghiệp", 1, petition).await;
    let complaint =
        s.petition(&a.id, &district_secretary, "Khiếu nại quyết định thu hồi đất", 3, Classification::Complaint).await;
    let to_tnmt = s.petition(&a.id, &district_secretary, "Cấp giấy chứng nhận chậm", 1, petition).await;
    let to_qldt = s.petition(&a.id, &district_secretary, "Lấn chiếm vỉa hè", 5, petition).await;
    let beyond = s.petition(&a.id, &district_secretary, "Quy hoạch khu công nghiệp của tỉnh", 1, petition).await;
    let by_agency = s.petition(&a.id, &district_secretary, "Thời hạn bàn giao mặt bằng", 1, petition).await;
    let answer = |id: &str, organization: &str| AnswerPetitionRequest {
        petition_id: id.into(),
        text: "Đã trả lời trực tiếp tại hội nghị".into(),
        organization_id: organization.into(),
        official_name: if organization.is_empty() { String::new() } else { "Trưởng phòng".into() },
        ..Default::default()
    };
    s.minutes().await.answer_petition(authorized(answer(&answered, ""), &bithu)).await.unwrap();
    s.minutes()
        .await
        .answer_petition(authorized(answer(&by_agency, &s.agencies["tnmt-323"].id), &bithu))
        .await
        .unwrap();
    let answering_a_complaint = s.minutes().await.answer_petition(authorized(answer(&complaint, ""), &bithu)).await;
    s.refused("answering a complaint at the conference", answering_a_complaint);
    let refer = ReferPetitionRequest {
        petition_id: complaint.clone(),
        receiving_body: "Ban Tiếp công dân thành phố".into(),
        referred_on: "2026-02-12".into(),
        ..Default::default()
    };
    s.minutes().await.refer_petition(authorized(refer, &district_secretary)).await.unwrap();
    s.at("2026-02-12T12:45:00");
    s.conclude_and_end(&a.id, &district_secretary, &bithu, "323").await;

    if outage {
        s.stack.nats.stop().await;
    }

    // 5. The conclusion notice on the 10th working day after 12 February: Friday
    // 13 February, then Tết (16–20 February), then 23 February to Thursday 5 March.
    s.at("2026-03-05T09:00:00");
    let assign = |petition: &str, agency: &str| NoticeAssignment {
        petition_id: petition.into(),
        organization_id: s.agencies[agency].id.clone(),
        received_on: String::new(),
    };
    let notice = |assignments| IssueConclusionNoticeRequest {
        conference_id: a.id.clone(),
        number: "25-TB/TU".into(),
        sent_on: "2026-03-05".into(),
        signer: "Chánh Văn phòng Thành ủy".into(),
        assignments,
        ..Default::default()
    };
    let incomplete = notice(vec![assign(&to_tnmt, "tnmt-323"), assign(&beyond, "tnmt-323")]);
    let incomplete = s.minutes().await.issue_conclusion_notice(authorized(incomplete, &office("323"))).await;
    s.refused("a notice that leaves out an unanswered petition", incomplete);
    let complete =
        notice(vec![assign(&to_tnmt, "tnmt-323"), assign(&to_qldt, "qldt-323"), assign(&beyond, "tnmt-323")]);
    let issued =
        s.minutes().await.issue_conclusion_notice(authorized(complete, &office("323"))).await.unwrap().into_inner();
    if !outage {
        // The deadlines service hears of it before the day is over.
        s.until("the district's notice met", |o| {
            has(o, ObligationKind::ConclusionNotice, &a.id, ObligationState::MetOnTime)
        })
        .await;
    }
    // The land office acknowledges the next day; the urban-order office never does.
    s.at("2026-03-06T10:00:00");
    let tnmt = agency_token(&s.agencies["tnmt-323"].id, "323");
    let acknowledge = AcknowledgeNoticeRequest {
        notice_id: issued.id.clone(),
        organization_id: s.agencies["tnmt-323"].id.clone(),
        received_on: "2026-03-06".into(),
        ..Default::default()
    };
    s.minutes().await.acknowledge_notice(authorized(acknowledge, &tnmt)).await.unwrap();

    if outage {
        s.stack.nats.restart().await.unwrap();
    }
    s.until("the district's notice met on time", |o| {
        has(o, ObligationKind::ConclusionNotice, &a.id, ObligationState::MetOnTime)
            && o.iter().filter(|o| o.anchor == "RECEIVED").count() == 2
    })
    .await;

    // The province's conference, hosted by the delegated deputy.
    s.at("2026-03-12T08:30:00");
    let deputy = host("phochutich-33", "33");
    s.conferences()
        .await
        .start_conference(authorized(ConferenceRef { id: b.id.clone() }, &province_secretary))
        .await
        .unwrap();
    s.minutes_open(&b.id, &province_secretary).await;
    let at_b = s.petition(&b.id, &province_secretary, "Hoạt động của Mặt trận ở khu dân cư", 6, petition).await;
    let to_so = s.petition(&b.id, &province_secretary, "Ô nhiễm từ cụm công nghiệp", 1, petition).await;
    s.minutes().await.answer_petition(authorized(answer(&at_b, ""), &deputy)).await.unwrap();
    s.at("2026-03-12T11:00:00");
    s.conclude_and_end(&b.id, &province_secretary, &deputy, "33").await;
    // Its notice was due on Thursday 26 March; it goes out on Monday 30 March.
    s.at("2026-03-27T09:00:00");
    s.until("the province's notice overdue", |o| {
        has(o, ObligationKind::ConclusionNotice, &b.id, ObligationState::Overdue)
    })
    .await;

    // R10.4: the industrial-zone plan is the province's: the district escalates it.
    let escalate = EscalatePetitionRequest {
        petition_id: beyond.clone(),
        to_unit_code: "33".into(),
        to_organization_id: s.agencies["sotnmt-33"].id.clone(),
        petitioner_notified_on: "2026-03-27".into(),
        ..Default::default()
    };
    s.minutes().await.escalate_petition(authorized(escalate, &office("323"))).await.unwrap();

    s.at("2026-03-30T09:00:00");
    let late_notice = IssueConclusionNoticeRequest {
        conference_id: b.id.clone(),
        number: "112-TB/UBND".into(),
        sent_on: "2026-03-30".into(),
        signer: "Chánh Văn phòng UBND tỉnh".into(),
        assignments: vec![assign(&to_so, "sotnmt-33")],
        ..Default::default()
    };
    s.minutes().await.issue_conclusion_notice(authorized(late_notice, &office("33"))).await.unwrap();

    // Responses: the land office on time, the urban-order office after its due date.
    let respond = |petition: &str, on: &str| RecordResponseRequest {
        petition_id: petition.into(),
        response: Some(WrittenResponse {
            responded_on: on.into(),
            document_number: "56/CV".into(),
            outcome: Resolution::Resolved as i32,
            summary: "Đã giải quyết và trả lời công dân".into(),
            reported_to_heads: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    s.at("2026-04-10T09:00:00");
    s.minutes().await.record_response(authorized(respond(&to_tnmt, "2026-04-10"), &tnmt)).await.unwrap();
    s.until("the land office's response heard", |o| {
        has(o, ObligationKind::AgencyResponse, &to_tnmt, ObligationState::MetOnTime)
    })
    .await;
    s.at("2026-04-20T09:00:00");
    s.until("the urban-order office overdue", |o| {
        has(o, ObligationKind::AgencyResponse, &to_qldt, ObligationState::Overdue)
    })
    .await;
    let qldt = agency_token(&s.agencies["qldt-323"].id, "323");
    s.at("2026-04-24T09:00:00");
    s.minutes().await.record_response(authorized(respond(&to_qldt, "2026-04-24"), &qldt)).await.unwrap();

    // 6. 1 July: the department of the province has answered neither its own
    // petition nor the escalated one.
    s.at("2026-07-01T09:00:00");
    s.until("the department overdue twice", |o| {
        o.iter()
            .filter(|o| o.kind == ObligationKind::AgencyResponse as i32 && state(o) == ObligationState::Overdue)
            .count()
            == 2
    })
    .await;
    // Sweeps go on (the half-year reports fall due soon), and nothing is overdue twice.
    s.at("2026-07-10T09:00:00");
    s.until("the half-year reports due soon", |o| {
        o.iter()
            .filter(|o| o.kind == ObligationKind::ReportHalfYear as i32 && state(o) == ObligationState::DueSoon)
            .count()
            == 6
    })
    .await;
    let report = ReportRequest { unit_code: "33".into(), from: "2026-01-01".into(), to: "2026-06-30".into() };
    let report =
        s.deadlines().await.get_report(authorized(report, &token("33", &[Role::Monitor]))).await.unwrap().into_inner();
    // The whole; its parts are the reorganisation tests' concern.
    let report = Report { parts: Vec::new(), ..report };

    let obligations = rows(&s.obligations().await);
    let outcome = Outcome {
        refusals: s.refusals.take(),
        coordinating_units,
        speakers_called,
        obligations,
        overdue_alerts: s.overdue_alerts().await,
        report,
    };
    s.stack.finish().await;
    outcome
}

/// Kind, unit, anchor, anchor date, due date, state, met on, of each obligation, sorted.
pub(crate) fn rows(obligations: &[Obligation]) -> Vec<[String; 7]> {
    let mut rows: Vec<[String; 7]> = obligations
        .iter()
        .map(|o| {
            [
                kind_name(o.kind).to_owned(),
                unit_of(o),
                o.anchor.clone(),
                o.anchor_date.clone(),
                o.due_date.clone(),
                state(o).as_str_name().to_owned(),
                o.met_on.clone(),
            ]
        })
        .collect();
    rows.sort();
    rows
}

fn row(fields: [&str; 7]) -> [String; 7] {
    fields.map(str::to_owned)
}

/// The outcome worked out by hand from the regulation and the 2026 calendar.
pub(crate) fn expected() -> Outcome {
    use ObligationKind as K;
    let kind = |k: K| k.as_str_name();
    let mut obligations = vec![
        // R10.2: the district's notice on its 10th working day; the province's four days late.
        row([
            kind(K::ConclusionNotice),
            "323",
            "ENDED",
            "2026-02-12",
            "2026-03-05",
            "OBLIGATION_STATE_MET_ON_TIME",
            "2026-03-05",
        ]),
        row([
            kind(K::ConclusionNotice),
            "33",
            "ENDED",
            "2026-03-12",
            "2026-03-26",
            "OBLIGATION_STATE_MET_LATE",
            "2026-03-30",
        ]),
        // R10.3: 30 working days from receipt (6 March) or, unacknowledged, from sending (5 March).
        row([
            kind(K::AgencyResponse),
            "323",
            "RECEIVED",
            "2026-03-06",
            "2026-04-17",
            "OBLIGATION_STATE_MET_ON_TIME",
            "2026-04-10",
        ]),
        row([kind(K::AgencyResponse), "323", "RECEIVED", "2026-03-06", "2026-04-17", "OBLIGATION_STATE_CANCELLED", ""]),
        row([
            kind(K::AgencyResponse),
            "323",
            "SENT",
            "2026-03-05",
            "2026-04-16",
            "OBLIGATION_STATE_MET_LATE",
            "2026-04-24",
        ]),
        // The escalated petition's own clock at the province (27 April, 30 April, 1 May off),
        // and the province's own petition from its late notice.
        row([kind(K::AgencyResponse), "33", "ESCALATED", "2026-03-27", "2026-05-13", "OBLIGATION_STATE_OVERDUE", ""]),
        row([kind(K::AgencyResponse), "33", "SENT", "2026-03-30", "2026-05-14", "OBLIGATION_STATE_OVERDUE", ""]),
        row([
            kind(K::EscalationNotice),
            "323",
            "ESCALATED",
            "2026-03-27",
            "2026-05-13",
            "OBLIGATION_STATE_MET_ON_TIME",
            "2026-03-27",
        ]),
    ];
    for (unit, held) in [
        ("33", Some("2026-03-12")),
        ("33", None),
        ("323", Some("2026-02-12")),
        ("323", None),
        ("11950", None),
        ("11950", None),
    ] {
        let (state, met) = match held {
            Some(on) => ("OBLIGATION_STATE_MET_ON_TIME", on),
            None => ("OBLIGATION_STATE_OPEN", ""),
        };
        obligations.push(row([kind(K::PeriodicDialogue), unit, "YEAR", "2026-01-01", "2026-12-31", state, met]));
        obligations.push(row([
            kind(K::ReportHalfYear),
            unit,
            "PERIOD_END",
            "2026-06-30",
            "2026-07-14",
            "OBLIGATION_STATE_DUE_SOON",
            "",
        ]));
        obligations.push(row([
            kind(K::ReportYear),
            unit,
            "PERIOD_END",
            "2026-12-31",
            "2027-01-15",
            "OBLIGATION_STATE_OPEN",
            "",
        ]));
    }
    obligations.sort();
    let count = |key: &str, count: u32| Count { key: key.into(), count };
    Outcome {
        refusals: vec![
            ("delegating to someone who is not the head's deputy", "R2.2".into()),
            ("a notice six days ahead", "R7.3".into()),
            ("a registration from outside the province", "R2.3".into()),
            ("the office refusing a participant in the host's place", "R9.2".into()),
            ("a second extension", "R8.1".into()),
            ("answering a complaint at the conference", "R1.2".into()),
            ("a notice that leaves out an unanswered petition", "R10.2".into()),
        ],
        coordinating_units: vec!["323".into(), "11950".into()],
        // The refused citizen (third in the queue) is never called.
        speakers_called: vec![1, 2, 4],
        obligations,
        // The province's late notice, the urban-order office, the department twice; once each.
        overdue_alerts: vec![
            alert(kind(K::ConclusionNotice), "33", "2026-03-26"),
            alert(kind(K::AgencyResponse), "323", "2026-04-16"),
            alert(kind(K::AgencyResponse), "33", "2026-05-13"),
            alert(kind(K::AgencyResponse), "33", "2026-05-14"),
        ],
        report: Report {
            unit_code: "33".into(),
            unit_name: "Tỉnh Hưng Yên".into(),
            from: "2026-01-01".into(),
            to: "2026-06-30".into(),
            conferences_by_kind: vec![
                count("CONFERENCE_KIND_CITIZENS_DIRECT", 1),
                count("CONFERENCE_KIND_REPRESENTATIVES", 1),
            ],
            conferences_by_regime: vec![count("REGIME_PERIODIC", 2)],
            heads_held: 2,
            heads_not_held: 4,
            petitions_by_field: vec![
                count("FIELD_ECONOMY_AND_SOCIETY", 5),
                count("FIELD_FRONT_AND_ORGANIZATIONS", 1),
                count("FIELD_GOVERNMENT_BUILDING", 1),
                count("FIELD_SOCIAL_ORDER_AND_SAFETY", 1),
            ],
            petitions_by_classification: vec![
                count("CLASSIFICATION_COMPLAINT", 1),
                count("CLASSIFICATION_PETITION", 7),
            ],
            petitions_answered_at_conference: 3,
            petitions_referred: 1,
            petitions_escalated: 1,
            notices_on_time: 1,
            notices_late: 1,
            notices_overdue: 0,
            responses_on_time: 1,
            responses_late: 1,
            responses_overdue: 2,
            parts: Vec::new(),
        },
    }
}

/// Field by field, so that a failure shows what differs.
fn assert_as_expected(outcome: &Outcome) {
    let expected = expected();
    assert_eq!(outcome.refusals, expected.refusals);
    assert_eq!(outcome.coordinating_units, expected.coordinating_units);
    assert_eq!(outcome.speakers_called, expected.speakers_called);
    assert_eq!(outcome.obligations, expected.obligations);
    assert_eq!(outcome.report, expected.report);
}

#[tokio::test]
async fn the_regulation_end_to_end_from_the_plan_to_the_half_year_report() {
    let outcome = run(false).await;
    assert_as_expected(&outcome);
    assert_eq!(outcome.overdue_alerts, expected().overdue_alerts, "each overdue obligation alerted once");
}

/// Every state, figure and refusal is the same. Undisturbed, the deadlines
/// service hears of each notice and response before the clock leaves its day,
/// as it would in a real day. While NATS is down it cannot see the district's
/// notice go out on its due date;
/// if the conference's end reaches it first, the notice obligation is
/// alerted overdue before the notice's own event closes it on time. An
/// outage may add that alert; it never loses or repeats one.
#[tokio::test]
async fn the_same_half_year_with_nats_down_in_the_middle_ends_identically() {
    let outcome = run(true).await;
    assert_as_expected(&outcome);
    let mut alerts = outcome.overdue_alerts.clone();
    alerts.retain(|a| *a != alert(ObligationKind::ConclusionNotice.as_str_name(), "323", "2026-03-05"));
    assert_eq!(alerts, expected().overdue_alerts);
    assert!(outcome.overdue_alerts.len() - alerts.len() <= 1, "{:?}", outcome.overdue_alerts);
}
