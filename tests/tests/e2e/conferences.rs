//! The scheduling service through its gRPC API: every rule accepted and
//! refused, each transition and its event, scope, heads changing mid-year, a
//! two-tier tree, the periodic-dialogue report and the public feed.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use doithoai_proto::common::v1::DocumentFormat;
use doithoai_proto::scheduling::v1::{
    AgendaItem, AnnounceConferenceRequest, AnnualPlan, AssignSecretaryRequest, Body, Conference, ConferenceDraft,
    ConferenceKind, ConferenceRef, ConferenceState, CreateConferenceRequest, CreateOrganizationRequest,
    CreatePositionRequest, DelegateHostRequest, ExtendConferenceRequest, Form, GetPeriodicDialogueReportRequest,
    ListConferencesRequest, Organization, OrganizationKind, PlannedConference, Position, PostponeConferenceRequest,
    Rank, ReasonRequest, Regime, RenderConferenceRequest, UpdateConferenceRequest, UpdatePositionRequest,
    conferences_client::ConferencesClient, directory_client::DirectoryClient, plans_client::PlansClient,
};
use doithoai_runtime::time::timestamp;
use doithoai_tests::*;
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;

/// Monday 2 March 2026, 08:00 in Hà Nội.
const NOW: &str = "2026-03-02T01:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

struct Fixture {
    stack: Stack,
    office_33: String,
    office_323: String,
    /// Posts by name: bithu_323, phobithu_323, chutich_ubnd_323, chutich_ubnd_33.
    posts: std::collections::HashMap<&'static str, Position>,
    agency_323: Organization,
}

impl Fixture {
    async fn new(units: &str) -> Self {
        let stack = Stack::start().await;
        stack.clock.set(at(NOW));
        stack.import_file(units).await.unwrap();
        let office_33 = token("33", &[Role::Office]);
        let office_323 = token("323", &[Role::Office]);
        let mut fixture =
            Fixture { stack, office_33, office_323, posts: Default::default(), agency_323: Organization::default() };
        if units == "hung-yen-2020.csv" {
            fixture.post("bithu_323", "323", Body::PartyCommittee, Rank::Head, "bithu-323", "2020-10-01").await;
            fixture.post("phobithu_323", "323", Body::PartyCommittee, Rank::Deputy, "phobithu-323", "2020-10-01").await;
            fixture
                .post("chutich_ubnd_323", "323", Body::PeoplesCommittee, Rank::Head, "chutich-323", "2021-06-01")
                .await;
            let agency = Organization {
                unit_code: "323".into(),
                kind: OrganizationKind::Department as i32,
                name: "Phòng Tài nguyên và Môi trường".into(),
                ..Default::default()
            };
            let request = authorized(
                CreateOrganizationRequest { organization: Some(agency), ..Default::default() },
                &fixture.office_323,
            );
            fixture.agency_323 = fixture.directory().await.create_organization(request).await.unwrap().into_inner();
        }
        fixture.post("chutich_ubnd_33", "33", Body::PeoplesCommittee, Rank::Head, "chutich-33", "2021-06-01").await;
        fixture
    }

    async fn directory(&self) -> DirectoryClient<Channel> {
        DirectoryClient::new(self.stack.channel("scheduling").await)
    }

    async fn conferences(&self) -> ConferencesClient<Channel> {
        ConferencesClient::new(self.stack.channel("scheduling").await)
    }

    async fn post(
        &mut self,
        name: &'static str,
        unit: &str,
        body: Body,
        rank: Rank,
        subject: &str,
        start: &str,
    ) -> Position {
        let position = Position {
            unit_code: unit.into(),
            body: body as i32,
            rank: rank as i32,
            title: name.into(),
            person_name: format!("Ông/bà {name}"),
            subject: subject.into(),
            term_start: start.into(),
            term_end: String::new(),
            ..Default::default()
        };
        let request =
            authorized(CreatePositionRequest { position: Some(position), ..Default::default() }, &self.office_33);
        let created = self.directory().await.create_position(request).await.unwrap().into_inner();
        self.posts.insert(name, created.clone());
        created
    }

    fn draft(&self, host: &str, starts_at: DateTime<Utc>) -> ConferenceDraft {
        let host = &self.posts[host];
        ConferenceDraft {
            unit_code: host.unit_code.clone(),
            body: host.body,
            host_position_id: host.id.clone(),
            regime: Regime::Periodic as i32,
            kind: ConferenceKind::CitizensDirect as i32,
            form: Form::InPerson as i32,
            venue_unit_code: host.unit_code.clone(),
            venue_address: "Hội trường".into(),
            theme: "Đối thoại về giải phóng mặt bằng".into(),
            agenda: vec![AgendaItem {
                title: "Bồi thường đất nông nghiệp".into(),
                field: 1,
                source: "Tổng hợp của MTTQ".into(),
                urgency: 2,
                ..Default::default()
            }],
            starts_at: Some(timestamp(starts_at)),
            planned_minutes: 180,
            ..Default::default()
        }
    }

    async fn create(&self, draft: ConferenceDraft, token: &str) -> Result<Conference, Status> {
        let request = authorized(CreateConferenceRequest { draft: Some(draft), ..Default::default() }, token);
        Ok(self.conferences().await.create_conference(request).await?.into_inner())
    }

    async fn announce(&self, id: &str, publication: &str) -> Result<Conference, Status> {
        let request = AnnounceConferenceRequest {
            id: id.into(),
            media_channel: "Báo Hưng Yên".into(),
            publication_date: publication.into(),
        };
        Ok(self.conferences().await.announce_conference(authorized(request, &self.office_33)).await?.into_inner())
    }

    async fn secretary(&self, id: &str) {
        let request = AssignSecretaryRequest {
            id: id.into(),
            secretary_subject: "thuky-323".into(),
            secretary_name: "Nguyễn Thị Thư".into(),
        };
        self.conferences().await.assign_secretary(authorized(request, &self.office_323)).await.unwrap();
    }

    /// A conference of the district's Bí thư eight days ahead, announced today, with a secretary.
    async fn announced(&self) -> Conference {
        let conference =
            self.create(self.draft("bithu_323", at("2026-03-10T02:00:00Z")), &self.office_323).await.unwrap();
        self.secretary(&conference.id).await;
        self.announce(&conference.id, "2026-03-02").await.unwrap()
    }

    async fn subjects(&self) -> Vec<String> {
        let messages = self.stack.stream_messages("DOITHOAI_SCHEDULING").await;
        messages.into_iter().map(|m| m.subject.to_string()).collect()
    }

    async fn subjects_eventually(&self, wanted: &str) -> Vec<String> {
        eventually(WAIT, wanted, || async {
            let s = self.subjects().await;
            s.iter().any(|x| x == wanted).then_some(s)
        })
        .await
    }
}

fn reference(id: &str, token: &str) -> tonic::Request<ConferenceRef> {
    authorized(ConferenceRef { id: id.into() }, token)
}

#[tokio::test]
async fn r7_3_announcing_needs_seven_days_notice() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let eight_days = f.create(f.draft("bithu_323", at("2026-03-10T02:00:00Z")), &f.office_323).await.unwrap();
    let announced = f.announce(&eight_days.id, "2026-03-02").await.unwrap();
    assert_eq!(announced.state, ConferenceState::Announced as i32);
    assert_eq!(announced.notice.unwrap().media_channel, "Báo Hưng Yên");
    // The notice as a document: issued by the Party committee's office, signed
    // for the host by its head, named from the directory.
    let office = Organization {
        unit_code: "323".into(),
        kind: OrganizationKind::PartyCommitteeOffice as i32,
        name: "Văn phòng Thành ủy Hưng Yên".into(),
        head_title: "Chánh Văn phòng".into(),
        head_name: "Trần Văn Chánh".into(),
        ..Default::default()
    };
    let request = CreateOrganizationRequest { organization: Some(office), ..Default::default() };
    f.directory().await.create_organization(authorized(request, &f.office_323)).await.unwrap();
    let render = |id: &str, format: DocumentFormat| {
        authorized(RenderConferenceRequest { id: id.into(), format: format as i32 }, &f.office_323)
    };
    let pdf = f.conferences().await.render_public_notice(render(&eight_days.id, DocumentFormat::Pdf)).await.unwrap();
    let pdf = pdf.into_inner();
    let text = doithoai_documents::read::text_of(&pdf.content).unwrap();
    for expected in [
        "THÀNH ỦY HƯNG YÊN VĂN PHÒNG",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Hưng Yên, ngày 02 tháng 3 năm 2026",
        "THÔNG BÁO Về việc tổ chức hội nghị tiếp xúc, đối thoại của đồng chí bithu_323 với nhân dân",
        "Người chủ trì: đồng chí Ông/bà bithu_323",
        "thứ Ba, ngày 10/03/2026",
        "- Báo Hưng Yên (để đưa tin);",
        "TL. NGƯỜI CHỦ TRÌ CHÁNH VĂN PHÒNG Trần Văn Chánh",
    ] {
        assert!(text.contains(expected), "{expected:?} not in the notice: {text}");
    }
    printed_within_margins("party-public-notice-e2e.pdf", &pdf.content);
    let docx = f.conferences().await.render_public_notice(render(&eight_days.id, DocumentFormat::Docx)).await.unwrap();
    let docx = docx.into_inner().content;
    let paragraphs = doithoai_documents::read::docx_paragraphs(&docx).unwrap();
    assert!(paragraphs.iter().any(|p| p == "Trần Văn Chánh"), "{paragraphs:?}");
    let printed = doithoai_documents::read::printed_text(&docx).unwrap();
    assert!(printed.contains("THÔNG BÁO") && printed.contains("Trần Văn Chánh"), "LibreOffice prints it: {printed}");

    let six_days = f.create(f.draft("bithu_323", at("2026-03-08T02:00:00Z")), &f.office_323).await.unwrap();
    let refused = f.announce(&six_days.id, "2026-03-02").await.unwrap_err();
    assert_eq!((refused.code(), rule(&refused)), (Code::FailedPrecondition, "R7.3".into()));
    let no_notice =
        f.conferences().await.render_public_notice(render(&six_days.id, DocumentFormat::Pdf)).await.unwrap_err();
    assert_eq!(
        (no_notice.code(), rule(&no_notice)),
        (Code::FailedPrecondition, "R7.3".into()),
        "a draft has no notice"
    );
    let vietnamese = refused.get_error_details_vec().into_iter().any(|d| matches!(d, tonic_types::ErrorDetail::LocalizedMessage(m) if m.locale == "vi-VN" && m.message.contains("7 ngày")));
    assert!(vietnamese, "{refused:?}");
    // A notice is recorded once it has run, not when it is planned.
    let planned = f.create(f.draft("bithu_323", at("2026-03-12T02:00:00Z")), &f.office_323).await.unwrap();
    let refused = f.announce(&planned.id, "2026-03-04").await.unwrap_err();
    assert_eq!(refused.get_details_bad_request().unwrap().field_violations[0].field, "publication_date");
    // The notice ran in the paper on 26 February; the office records it now.
    let recorded_after = f.create(f.draft("bithu_323", at("2026-03-11T02:00:00Z")), &f.office_323).await.unwrap();
    f.announce(&recorded_after.id, "2026-02-26").await.unwrap();
    let subjects = f.subjects_eventually("doithoai.scheduling.conference_announced.33.323").await;
    assert_eq!(
        subjects.iter().filter(|s| s.contains("conference_announced")).count(),
        2,
        "the refused one published nothing"
    );
    f.stack.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_naming_its_field_and_nothing_is_stored() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let field = |status: &Status| {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        status.get_details_bad_request().unwrap().field_violations[0].field.clone()
    };
    let unknown_regime = ConferenceDraft { regime: 77, ..f.draft("bithu_323", at("2026-03-12T02:00:00Z")) };
    assert_eq!(field(&f.create(unknown_regime, &f.office_323).await.unwrap_err()), "regime");
    let unknown_form = ConferenceDraft { form: 9, ..f.draft("bithu_323", at("2026-03-12T02:00:00Z")) };
    assert_eq!(field(&f.create(unknown_form, &f.office_323).await.unwrap_err()), "form");
    let far = f.draft("bithu_323", at("9999-03-12T02:00:00Z"));
    assert_eq!(field(&f.create(far, &f.office_323).await.unwrap_err()), "starts_at");
    assert_eq!(f.stack.count("scheduling", "SELECT count(*) FROM conferences").await, 0, "nothing half-written");

    let mut client = f.conferences().await;
    let list = |state: i32, page_token: &str| {
        let page = Some(doithoai_proto::common::v1::PageRequest { page_size: 10, page_token: page_token.into() });
        authorized(ListConferencesRequest { unit_code: "323".into(), state, page, ..Default::default() }, &f.office_323)
    };
    assert_eq!(field(&client.list_conferences(list(99, "")).await.unwrap_err()), "state");
    for garbage in ["%%%garbage".to_owned(), "x".repeat(1 << 20)] {
        assert_eq!(field(&client.list_conferences(list(0, &garbage)).await.unwrap_err()), "page.page_token");
    }
    f.stack.finish().await;
}

#[tokio::test]
async fn r2_1_only_the_head_who_holds_the_post_on_the_date_hosts() {
    let mut f = Fixture::new("hung-yen-2020.csv").await;
    let refused = f.create(f.draft("phobithu_323", at("2026-03-10T02:00:00Z")), &f.office_323).await.unwrap_err();
    assert_eq!(rule(&refused), "R2.1");
    let mut wrong_body = f.draft("bithu_323", at("2026-03-10T02:00:00Z"));
    wrong_body.body = Body::PeoplesCouncil as i32;
    assert_eq!(rule(&f.create(wrong_body, &f.office_323).await.unwrap_err()), "R2.1");

    // The UBND chair changes on 1 July: the outgoing chair hosts in May, the incoming one in August.
    let mut outgoing = f.posts["chutich_ubnd_323"].clone();
    outgoing.term_end = "2026-06-30".into();
    let request = authorized(UpdatePositionRequest { position: Some(outgoing) }, &f.office_323);
    f.directory().await.update_position(request).await.unwrap();
    let request = authorized(
        CreatePositionRequest {
            position: Some(Position {
                unit_code: "323".into(),
                body: 3,
                rank: 1,
                title: "Chủ tịch".into(),
                person_name: "X".into(),
                term_start: "2026-06-15".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        &f.office_323,
    );
    assert_eq!(rule(&f.directory().await.create_position(request).await.unwrap_err()), "R2.1", "two heads at once");
    f.post("chutich_moi_323", "323", Body::PeoplesCommittee, Rank::Head, "chutich-moi", "2026-07-01").await;
    assert!(f.create(f.draft("chutich_ubnd_323", at("2026-05-20T02:00:00Z")), &f.office_323).await.is_ok());
    assert_eq!(
        rule(&f.create(f.draft("chutich_ubnd_323", at("2026-08-20T02:00:00Z")), &f.office_323).await.unwrap_err()),
        "R2.1"
    );
    assert!(f.create(f.draft("chutich_moi_323", at("2026-08-20T02:00:00Z")), &f.office_323).await.is_ok());
    assert_eq!(
        rule(&f.create(f.draft("chutich_moi_323", at("2026-05-20T02:00:00Z")), &f.office_323).await.unwrap_err()),
        "R2.1"
    );
    f.stack.finish().await;
}

#[tokio::test]
async fn r2_2_a_deputy_hosts_through_a_recorded_delegation_and_the_head_stays_accountable() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let conference = f.announced().await;
    let deputy = &f.posts["phobithu_323"];
    let mut client = f.conferences().await;
    let no_reason =
        DelegateHostRequest { id: conference.id.clone(), deputy_position_id: deputy.id.clone(), reason: " ".into() };
    assert_eq!(rule(&client.delegate_host(authorized(no_reason, &f.office_323)).await.unwrap_err()), "R2.2");
    let not_deputy = DelegateHostRequest {
        id: conference.id.clone(),
        deputy_position_id: f.posts["chutich_ubnd_323"].id.clone(),
        reason: "Ốm".into(),
    };
    assert_eq!(rule(&client.delegate_host(authorized(not_deputy, &f.office_323)).await.unwrap_err()), "R2.2");

    // The Bí thư records the delegation himself.
    let head = token_for("bithu-323", "323", &[Role::Host]);
    let delegation = DelegateHostRequest {
        id: conference.id.clone(),
        deputy_position_id: deputy.id.clone(),
        reason: "Đi công tác đột xuất theo triệu tập của Tỉnh ủy".into(),
    };
    let delegated = client.delegate_host(authorized(delegation, &head)).await.unwrap().into_inner();
    assert_eq!(delegated.delegation.as_ref().unwrap().recorded_by, "bithu-323");
    assert_eq!(delegated.accountable_position_id, f.posts["bithu_323"].id, "the head stays accountable");
    // The public notice names who hosts now: the deputy.
    let render = RenderConferenceRequest { id: conference.id.clone(), format: DocumentFormat::Pdf as i32 };
    let notice = client.render_public_notice(authorized(render, &f.office_323)).await.unwrap().into_inner();
    let text = doithoai_documents::read::text_of(&notice.content).unwrap();
    assert!(text.contains("Người chủ trì: đồng chí Ông/bà phobithu_323"), "{text}");

    f.stack.clock.set(at("2026-03-10T01:30:00Z"));
    let secretary = token_for("thuky-323", "323", &[Role::Secretary]);
    client.start_conference(reference(&conference.id, &secretary)).await.unwrap();
    let deputy_token = token_for("phobithu-323", "323", &[Role::Host]);
    let extension = ExtendConferenceRequest { id: conference.id.clone(), minutes: 30 };
    client.extend_conference(authorized(extension, &deputy_token)).await.unwrap();
    f.subjects_eventually("doithoai.scheduling.host_delegated.33.323").await;
    f.stack.finish().await;
}

#[tokio::test]
async fn r4_2_a_province_conference_in_a_commune_asks_the_lower_units_to_coordinate() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let mut draft = f.draft("chutich_ubnd_33", at("2026-03-12T02:00:00Z"));
    draft.venue_unit_code = "11950".into();
    let conference = f.create(draft, &f.office_33).await.unwrap();
    assert_eq!(conference.coordinating_unit_codes, ["323", "11950"]);
    f.announce(&conference.id, "2026-03-02").await.unwrap();
    f.subjects_eventually("doithoai.scheduling.coordination_requested.33.323.11950").await;
    f.subjects_eventually("doithoai.scheduling.coordination_requested.33.323").await;
    // The public notice asks both heads to coordinate, by their units' names.
    let render = RenderConferenceRequest { id: conference.id.clone(), format: DocumentFormat::Pdf as i32 };
    let notice = f.conferences().await.render_public_notice(authorized(render, &f.office_33)).await.unwrap();
    let text = doithoai_documents::read::text_of(&notice.into_inner().content).unwrap();
    assert!(text.contains("Đề nghị người đứng đầu thành phố Hưng Yên, "), "{text}");

    // A district head cannot hold it in another district's commune.
    let other_commune = read_rows("hung-yen-2020.csv").into_iter().find(|r| r.parent_code == "325").unwrap().code;
    let mut outside = f.draft("bithu_323", at("2026-03-12T02:00:00Z"));
    outside.venue_unit_code = other_commune;
    assert_eq!(rule(&f.create(outside, &f.office_33).await.unwrap_err()), "R4.2");
    f.stack.finish().await;
}

#[tokio::test]
async fn r4_2_in_a_two_tier_tree_the_commune_sits_under_the_province() {
    let f = Fixture::new("hung-yen-2025-07.csv").await;
    let mut draft = f.draft("chutich_ubnd_33", at("2026-03-12T02:00:00Z"));
    draft.venue_unit_code = "11953".into();
    let conference = f.create(draft, &f.office_33).await.unwrap();
    assert_eq!(conference.coordinating_unit_codes, ["11953"]);
    f.stack.finish().await;
}

#[tokio::test]
async fn r5_1_state_secrets_and_r8_1_overlong_conferences_are_refused() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let mut secret = f.draft("bithu_323", at("2026-03-12T02:00:00Z"));
    secret.agenda.push(AgendaItem {
        title: "Phương án tác chiến".into(),
        field: 2,
        state_secret: true,
        ..Default::default()
    });
    assert_eq!(rule(&f.create(secret, &f.office_323).await.unwrap_err()), "R5.1");
    let mut long = f.draft("bithu_323", at("2026-03-12T02:00:00Z"));
    long.planned_minutes = 300;
    assert_eq!(rule(&f.create(long, &f.office_323).await.unwrap_err()), "R8.1");
    let mut empty = f.draft("bithu_323", at("2026-03-12T02:00:00Z"));
    empty.theme.clear();
    let refused = f.create(empty, &f.office_323).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(refused.get_details_bad_request().unwrap().field_violations[0].field, "theme");
    assert_eq!(f.stack.count("scheduling", "SELECT count(*) FROM conferences").await, 0, "nothing half-written");
    f.stack.finish().await;
}

#[tokio::test]
async fn r8_1_the_lifecycle_runs_in_order_with_one_extension_and_an_event_for_each_step() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let draft = f.create(f.draft("bithu_323", at("2026-03-10T02:00:00Z")), &f.office_323).await.unwrap();
    let mut client = f.conferences().await;
    let host = token_for("bithu-323", "323", &[Role::Host]);
    assert_eq!(
        rule(&client.start_conference(reference(&draft.id, &f.office_323)).await.unwrap_err()),
        "R7.3",
        "not announced"
    );
    f.announce(&draft.id, "2026-03-02").await.unwrap();
    assert_eq!(
        rule(&client.start_conference(reference(&draft.id, &f.office_323)).await.unwrap_err()),
        "R8.1",
        "no secretary"
    );
    f.secretary(&draft.id).await;
    assert_eq!(
        rule(&client.start_conference(reference(&draft.id, &f.office_323)).await.unwrap_err()),
        "LIFECYCLE",
        "before its date"
    );

    f.stack.clock.set(at("2026-03-10T01:55:00Z"));
    client.start_conference(reference(&draft.id, &host)).await.unwrap();
    let extend = |minutes| ExtendConferenceRequest { id: draft.id.clone(), minutes };
    assert_eq!(rule(&client.extend_conference(authorized(extend(90), &host)).await.unwrap_err()), "R8.1");
    assert_eq!(
        client.extend_conference(authorized(extend(30), &f.office_323)).await.unwrap_err().code(),
        Code::PermissionDenied,
        "the host decides"
    );
    let extended = client.extend_conference(authorized(extend(60), &host)).await.unwrap().into_inner();
    assert_eq!(extended.extension_minutes, 60);
    assert_eq!(rule(&client.extend_conference(authorized(extend(10), &host)).await.unwrap_err()), "R8.1", "only once");
    f.stack.clock.set(at("2026-03-10T05:50:00Z"));
    let ended = client.end_conference(reference(&draft.id, &f.office_323)).await.unwrap().into_inner();
    assert_eq!(ended.state, ConferenceState::Ended as i32);
    assert_eq!(rule(&client.end_conference(reference(&draft.id, &f.office_323)).await.unwrap_err()), "LIFECYCLE");
    let edit =
        UpdateConferenceRequest { id: draft.id.clone(), draft: Some(f.draft("bithu_323", at("2026-04-10T02:00:00Z"))) };
    assert_eq!(rule(&client.update_conference(authorized(edit, &f.office_323)).await.unwrap_err()), "LIFECYCLE");

    let subjects = f.subjects_eventually("doithoai.scheduling.conference_ended.33.323").await;
    let steps: Vec<&str> = subjects
        .iter()
        .filter_map(|s| s.strip_prefix("doithoai.scheduling."))
        .filter(|s| s.starts_with("conference_"))
        .collect();
    assert_eq!(
        steps,
        [
            "conference_announced.33.323",
            "conference_started.33.323",
            "conference_extended.33.323",
            "conference_ended.33.323"
        ]
    );
    let audited = f
        .stack
        .count(
            "scheduling",
            &format!("SELECT count(*) FROM audit_log WHERE record_type = 'conference' AND record_id = '{}'", draft.id),
        )
        .await;
    assert_eq!(audited, 6, "create, announce, secretary, start, extend, end");
    f.stack.finish().await;
}

#[tokio::test]
async fn a_postponed_conference_needs_a_new_notice_and_a_cancelled_one_stays_cancelled() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let conference = f.announced().await;
    let mut client = f.conferences().await;
    let postpone = PostponeConferenceRequest {
        id: conference.id.clone(),
        reason: "Bão số 3".into(),
        new_starts_at: Some(timestamp(at("2026-03-20T02:00:00Z"))),
    };
    let postponed = client.postpone_conference(authorized(postpone, &f.office_323)).await.unwrap().into_inner();
    assert_eq!((postponed.state, postponed.notice.is_none()), (ConferenceState::Postponed as i32, true));
    f.stack.clock.set(at("2026-03-20T01:00:00Z"));
    assert_eq!(rule(&client.start_conference(reference(&conference.id, &f.office_323)).await.unwrap_err()), "R7.3");
    f.stack.clock.set(at("2026-03-13T01:00:00Z"));
    assert_eq!(
        rule(&f.announce(&conference.id, "2026-03-14").await.unwrap_err()),
        "R7.3",
        "6 days before the new date"
    );
    f.announce(&conference.id, "2026-03-13").await.unwrap();

    let cancel = ReasonRequest { id: conference.id.clone(), reason: "Trùng kỳ họp HĐND".into() };
    client.cancel_conference(authorized(cancel.clone(), &f.office_323)).await.unwrap();
    assert_eq!(rule(&client.cancel_conference(authorized(cancel, &f.office_323)).await.unwrap_err()), "LIFECYCLE");
    f.subjects_eventually("doithoai.scheduling.conference_cancelled.33.323").await;
    f.stack.finish().await;
}

#[tokio::test]
async fn nobody_touches_another_units_conferences() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let conference = f.announced().await;
    let office_325 = token("325", &[Role::Office]);
    let mut client = f.conferences().await;
    assert_eq!(
        client.get_conference(reference(&conference.id, &office_325)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    assert_eq!(
        f.create(f.draft("bithu_323", at("2026-03-12T02:00:00Z")), &office_325).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let front = token("33", &[Role::Front]);
    assert!(client.get_conference(reference(&conference.id, &front)).await.is_ok(), "the Front reads its subtree");
    let listed = client
        .list_conferences(authorized(
            ListConferencesRequest { unit_code: "33".into(), year: 2026, ..Default::default() },
            &front,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.conferences.len(), 1);
    assert_eq!(
        f.create(f.draft("bithu_323", at("2026-03-12T02:00:00Z")), &front).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let stranger = token_for("someone-else", "323", &[Role::Host]);
    let extend = ExtendConferenceRequest { id: conference.id.clone(), minutes: 10 };
    assert_eq!(
        client.extend_conference(authorized(extend, &stranger)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    f.stack.finish().await;
}

#[tokio::test]
async fn r6_3_the_report_shows_which_heads_held_their_periodic_dialogue() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let mut plans = PlansClient::new(f.stack.channel("scheduling").await);
    let item = |post: &str| PlannedConference {
        host_position_id: f.posts[post].id.clone(),
        regime: Regime::Periodic as i32,
        month: 3,
        theme: "Đối thoại định kỳ".into(),
    };
    let plan = AnnualPlan {
        unit_code: "323".into(),
        year: 2026,
        items: vec![item("bithu_323"), item("chutich_ubnd_323")],
        ..Default::default()
    };
    // A retry with its request id sets the plan once.
    let plan = AnnualPlan { request_id: "plan-323-2026-a".into(), ..plan };
    for _ in 0..2 {
        let set = plans.set_annual_plan(authorized(plan.clone(), &f.office_323)).await.unwrap().into_inner();
        assert_eq!((set.items.len(), set.request_id.as_str()), (2, ""), "the id is not stored");
    }
    let audited = "SELECT count(*) FROM audit_log WHERE rpc = 'SetAnnualPlan'";
    assert_eq!(f.stack.count("scheduling", audited).await, 1);
    let foreign =
        AnnualPlan { unit_code: "323".into(), year: 2026, items: vec![item("chutich_ubnd_33")], ..Default::default() };
    assert_eq!(rule(&plans.set_annual_plan(authorized(foreign, &f.office_323)).await.unwrap_err()), "R11.1");

    let conference = f.announced().await;
    let mut client = f.conferences().await;
    f.stack.clock.set(at("2026-03-10T02:00:00Z"));
    client.start_conference(reference(&conference.id, &f.office_323)).await.unwrap();
    client.end_conference(reference(&conference.id, &f.office_323)).await.unwrap();

    let monitor = token("33", &[Role::Monitor]);
    let report = plans
        .get_periodic_dialogue_report(authorized(
            GetPeriodicDialogueReportRequest { unit_code: "33".into(), year: 2026 },
            &monitor,
        ))
        .await
        .unwrap()
        .into_inner();
    let rows: Vec<(String, bool, bool)> =
        report.heads.iter().map(|h| (h.head.as_ref().unwrap().title.clone(), h.planned, h.held)).collect();
    assert_eq!(
        rows,
        [
            ("chutich_ubnd_33".to_owned(), false, false),
            ("bithu_323".to_owned(), true, true),
            ("chutich_ubnd_323".to_owned(), true, false),
        ]
    );
    f.stack.finish().await;
}

#[tokio::test]
async fn the_public_feed_lists_announced_conferences_as_icalendar_and_json() {
    let f = Fixture::new("hung-yen-2020.csv").await;
    let announced = f.announced().await;
    let draft = f.create(f.draft("bithu_323", at("2026-03-20T02:00:00Z")), &f.office_323).await.unwrap();
    let addr = f.stack.running("scheduling").public_addr.unwrap();
    let ics = http_get(addr, "/public/units/33.ics").await;
    assert!(ics.contains("BEGIN:VCALENDAR") && ics.contains(&format!("UID:{}@doithoai", announced.id)), "{ics}");
    assert!(ics.contains("SUMMARY:Đối thoại về giải phóng mặt bằng"), "{ics}");
    assert!(!ics.contains(&draft.id), "drafts are not public");
    let json = http_get(addr, "/public/units/323.json").await;
    assert!(json.contains(&announced.id) && json.contains("Báo Hưng Yên"), "{json}");
    assert!(http_get_status(addr, "/public/units/x.ics").await.starts_with("HTTP/1.1 404"));
    f.stack.finish().await;
}
