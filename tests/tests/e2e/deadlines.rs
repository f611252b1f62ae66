//! The deadlines service driven by the real events of scheduling and minutes:
//! the R10.2 and R10.3 clocks open, move and close; the sweeper marks due-soon
//! and overdue once, after downtime and with two replicas sweeping.
#![allow(clippy::unwrap_used)]

use doithoai_proto::{
    deadlines::v1::{
        Count, FileReportRequest, LeaderboardRequest, ListObligationsRequest, LoadAnnouncementRequest, Obligation,
        ObligationKind, ObligationState, RenderReportRequest, ReportFormat, ReportRequest, SummaryRequest,
        deadlines_client::DeadlinesClient,
    },
    minutes::v1::{
        AcknowledgeNoticeRequest, IssueConclusionNoticeRequest, NoticeAssignment, Outcome, RecordResponseRequest,
        Response as WrittenResponse, minutes_service_client::MinutesServiceClient,
    },
    scheduling::v1::ConferenceRef,
};
use doithoai_tests::{scheduling::*, *};
use tonic::transport::Channel;

pub(crate) struct Fixture {
    pub(crate) stack: Stack,
    conference_id: String,
    agency: String,
    office: String,
    petitions: Vec<String>,
}

async fn minutes(stack: &Stack) -> MinutesServiceClient<Channel> {
    MinutesServiceClient::new(stack.channel("minutes").await)
}

impl Fixture {
    /// A conference on Tuesday 10 March 2026 with two petitions, signed and ended.
    pub(crate) async fn ended() -> Self {
        let stack = Stack::start().await;
        let district = District::set_up(&stack).await;
        let (conference_id, petitions) = district.held(&stack).await;
        Fixture { office: district.office.clone(), agency: district.agency.id.clone(), stack, conference_id, petitions }
    }

    async fn obligations(&self, kind: ObligationKind) -> Vec<Obligation> {
        // Dialogues and reports belong to heads, not to a conference.
        let of_conference = matches!(kind, ObligationKind::ConclusionNotice | ObligationKind::AgencyResponse);
        let conference_id = if of_conference { self.conference_id.clone() } else { String::new() };
        let request =
            ListObligationsRequest { unit_code: "33".into(), kind: kind as i32, conference_id, ..Default::default() };
        let mut client = DeadlinesClient::new(self.stack.channel("deadlines").await);
        let mut obligations = client
            .list_obligations(authorized(request, &token("33", &[Role::Monitor])))
            .await
            .unwrap()
            .into_inner()
            .obligations;
        obligations.sort_by(|a, b| a.petition_id.cmp(&b.petition_id));
        obligations
    }

    /// Waits until the obligations of `kind` look as `check` wants.
    pub(crate) async fn until(
        &self,
        what: &str,
        kind: ObligationKind,
        check: impl Fn(&[Obligation]) -> bool,
    ) -> Vec<Obligation> {
        eventually(WAIT, what, || async {
            let obligations = self.obligations(kind).await;
            check(&obligations).then_some(obligations)
        })
        .await
    }

    async fn events(&self, kind: &str) -> usize {
        self.described(kind).await.len()
    }

    /// The events of `kind` on the deadlines stream: event id, aggregate and time, to tell them apart.
    async fn described(&self, kind: &str) -> Vec<String> {
        use prost::Message;
        let messages = self.stack.stream_messages("DOITHOAI_DEADLINES").await;
        messages
            .iter()
            .filter(|m| m.subject.contains(kind))
            .map(|m| {
                let envelope = doithoai_proto::common::v1::EventEnvelope::decode(m.payload.clone()).unwrap();
                format!(
                    "{} {} {}",
                    envelope.event_id,
                    envelope.aggregate_id,
                    envelope.occurred_at.unwrap_or_default().seconds
                )
            })
            .collect()
    }
}

fn state(obligation: &Obligation) -> ObligationState {
    ObligationState::try_from(obligation.state).unwrap()
}

#[tokio::test]
async fn the_notice_and_response_clocks_from_the_real_events() {
    let f = Fixture::ended().await;
    let notice = f.until("the R10.2 obligation", ObligationKind::ConclusionNotice, |o| o.len() == 1).await.remove(0);
    assert_eq!(
        (notice.rule.as_str(), notice.anchor_date.as_str(), notice.due_date.as_str()),
        ("R10.2", "2026-03-10", "2026-03-24")
    );
    assert_eq!(notice.explanation.len(), 4, "two weekends skipped: {:?}", notice.explanation);

    let assign = |petition: &str| NoticeAssignment {
        petition_id: petition.into(),
        organization_id: f.agency.clone(),
        received_on: String::new(),
    };
    let issue = IssueConclusionNoticeRequest {
        conference_id: f.conference_id.clone(),
        number: "15/TB-TU".into(),
        sent_on: "2026-03-20".into(),
        signer: "Chánh Văn phòng".into(),
        assignments: f.petitions.iter().map(|p| assign(p)).collect(),
        ..Default::default()
    };
    f.stack.clock.set(at("2026-03-20T02:00:00Z"));
    let issued =
        minutes(&f.stack).await.issue_conclusion_notice(authorized(issue, &f.office)).await.unwrap().into_inner();
    f.until("R10.2 met on time", ObligationKind::ConclusionNotice, |o| state(&o[0]) == ObligationState::MetOnTime)
        .await;
    let responses = f.until("two R10.3 obligations", ObligationKind::AgencyResponse, |o| o.len() == 2).await;
    assert!(responses.iter().all(|o| o.anchor == "SENT" && o.due_date == "2026-05-06"), "{responses:?}");

    let agency = agency_token(&f.agency, "323");
    let acknowledge = AcknowledgeNoticeRequest {
        notice_id: issued.id.clone(),
        organization_id: f.agency.clone(),
        received_on: "2026-03-23".into(),
        ..Default::default()
    };
    f.stack.clock.set(at("2026-03-23T02:00:00Z"));
    minutes(&f.stack).await.acknowledge_notice(authorized(acknowledge, &agency)).await.unwrap();
    // 30 working days from Monday 23 March: 27 April (Giỗ Tổ fell on Sunday 26 April), 30 April and 1 May are off.
    f.until("re-anchored on receipt", ObligationKind::AgencyResponse, |o| {
        o.iter().all(|o| o.anchor == "RECEIVED" && o.due_date == "2026-05-07")
    })
    .await;

    let respond = |petition: &str, on: &str| RecordResponseRequest {
        petition_id: petition.into(),
        response: Some(WrittenResponse {
            responded_on: on.into(),
            document_number: "112/TNMT".into(),
            outcome: Outcome::Resolved as i32,
            summary: "Đã giải quyết".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    f.stack.clock.set(at("2026-04-20T02:00:00Z"));
    minutes(&f.stack).await.record_response(authorized(respond(&f.petitions[0], "2026-04-20"), &agency)).await.unwrap();
    f.until("one response met on time", ObligationKind::AgencyResponse, |o| {
        o.iter().any(|o| state(o) == ObligationState::MetOnTime)
    })
    .await;

    // A late government announcement: 15 April 2026 becomes a day off. The open
    // obligation moves a day; the met one keeps its frozen outcome.
    let announcement = r#"
        [[announcement]]
        id = "test-extra-day"
        document = "Thông báo (kiểm thử)"
        issued = "2026-04-01"
        issuer = "Bộ Nội vụ"
        source = "test"
        replaces = []
        days_off = [{ date = "2026-04-15", name = "Ngày nghỉ (kiểm thử)", name_en = "Day off (test)" }]
    "#;
    let mut deadlines = DeadlinesClient::new(f.stack.channel("deadlines").await);
    let admin = token("33", &[Role::Admin]);
    let load = |toml: &str, token: &str| authorized(LoadAnnouncementRequest { toml: toml.into() }, token);
    let periodic_before = f.obligations(ObligationKind::PeriodicDialogue).await;
    assert!(!periodic_before.is_empty() && periodic_before.iter().all(|o| o.due_date == "2026-12-31"));
    // Only the root administrator keeps the national calendar.
    for other in [token("323", &[Role::Admin]), token("33", &[Role::Office])] {
        let refused = deadlines.load_announcement(load(announcement, &other)).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    }
    let loaded = deadlines.load_announcement(load(announcement, &admin)).await.unwrap().into_inner();
    assert_eq!((loaded.rescheduled, loaded.changed), (1, true));
    let moved = f.obligations(ObligationKind::AgencyResponse).await;
    let (open, met): (Vec<_>, Vec<_>) = moved.iter().partition(|o| state(o) == ObligationState::Open);
    assert_eq!(
        (open[0].due_date.as_str(), open[0].calendar_revision.as_str()),
        ("2026-05-08", loaded.revision.as_str())
    );
    assert!(open[0].explanation.iter().any(|line| line.starts_with("2026-04-15")), "{:?}", open[0].explanation);
    assert!(open[0].explanation.last().unwrap().starts_with("moved from 2026-05-07"), "{:?}", open[0].explanation);
    assert_eq!(met[0].due_date, "2026-05-07", "a closed obligation keeps its outcome");
    let response_id = open[0].id.clone();
    // R6.2's 31 December is a fixed date: no revision moves it.
    assert_eq!(f.obligations(ObligationKind::PeriodicDialogue).await, periodic_before);
    eventually(WAIT, "the rescheduled event", || async { (f.events("deadline_rescheduled").await == 1).then_some(()) })
        .await;
    // A day off outside every open window makes a revision and moves nothing.
    let later = announcement.replace("2026-04-15", "2026-11-16").replace("test-extra-day", "test-later-day");
    let outside = deadlines.load_announcement(load(&later, &admin)).await.unwrap().into_inner();
    assert_eq!((outside.rescheduled, outside.changed), (0, true));
    assert_ne!(outside.revision, loaded.revision);
    // Another document for the same day changes no day and makes no revision;
    // the same document again is refused (its id is taken).
    let same_day = later.replace("test-later-day", "test-later-day-confirmed");
    let again = deadlines.load_announcement(load(&same_day, &admin)).await.unwrap().into_inner();
    assert_eq!((again.revision.as_str(), again.rescheduled, again.changed), (outside.revision.as_str(), 0, false));
    let junk = format!("a = \"{}\"", "x".repeat(1 << 20));
    let beyond = announcement.replace("2026-04-15", "2040-04-16");
    for bad in ["", "[[announcement]]", "a = \"xxx\"", junk.as_str(), beyond.as_str(), later.as_str()] {
        let refused = deadlines.load_announcement(load(bad, &admin)).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{}", &bad[..bad.len().min(40)]);
        assert_eq!(rule(&refused), "INVALID_ANNOUNCEMENT");
    }
    assert_eq!(f.stack.count("deadlines", "SELECT count(*) FROM calendar_announcements").await, 2);

    // Due soon: Wednesday 6 May is within three working days of Friday 8 May.
    f.stack.clock.set(at("2026-05-06T02:00:00Z"));
    f.until("due soon", ObligationKind::AgencyResponse, |o| o.iter().any(|o| state(o) == ObligationState::DueSoon))
        .await;
    // Once, for this obligation. (The R10.2 notice may also have fallen due soon on
    // 20 March, if a sweep ran before the notice sent that day reached the service.)
    let due_soon = f.described("deadline_due_soon").await;
    assert_eq!(due_soon.iter().filter(|e| e.contains(&response_id)).count(), 1, "{due_soon:?}");
    let monitor = token("33", &[Role::Monitor]);
    let summary_request =
        SummaryRequest { unit_code: "33".into(), kind: ObligationKind::AgencyResponse as i32, ..Default::default() };
    let summary = deadlines.get_summary(authorized(summary_request.clone(), &monitor)).await.unwrap().into_inner();
    assert_eq!(summary.on_time_rate, 1.0);
    // Monday 23 March to Monday 20 April: 20 working days.
    assert_eq!((summary.median_working_days, summary.p90_working_days), (20.0, 20.0));

    // Overdue from Saturday 9 May; the agency leads the board.
    f.stack.clock.set(at("2026-05-11T02:00:00Z"));
    f.until("overdue", ObligationKind::AgencyResponse, |o| o.iter().any(|o| state(o) == ObligationState::Overdue))
        .await;
    let board = deadlines
        .get_overdue_leaderboard(authorized(LeaderboardRequest { unit_code: "33".into(), limit: 5 }, &monitor))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (board.agencies[0].organization_id.as_str(), board.agencies[0].overdue, board.agencies[0].open),
        (f.agency.as_str(), 1, 1)
    );
    let summary = deadlines.get_summary(authorized(summary_request.clone(), &monitor)).await.unwrap().into_inner();
    assert_eq!(summary.on_time_rate, 0.5, "met on time ÷ (all met + open overdue)");
    let may = SummaryRequest { due_from: "2026-05-01".into(), due_to: "2026-05-31".into(), ..summary_request.clone() };
    assert_eq!(
        deadlines.get_summary(authorized(may, &monitor)).await.unwrap().into_inner().counts,
        summary.counts,
        "both fall due in May"
    );
    let april = SummaryRequest { due_from: "2026-04-01".into(), due_to: "2026-04-30".into(), ..summary_request };
    assert!(deadlines.get_summary(authorized(april, &monitor)).await.unwrap().into_inner().counts.is_empty());
    let metrics = http_get(f.stack.running("deadlines").metrics_addr, "/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("doithoai_obligations_overdue") && l.contains(r#"kind="agency_response""#)),
        "{metrics}"
    );
    // The half-year report, against the figures of this scenario worked out by hand.
    let period = ReportRequest { unit_code: "323".into(), from: "2026-01-01".into(), to: "2026-06-30".into() };
    let report = deadlines.get_report(authorized(period.clone(), &monitor)).await.unwrap().into_inner();
    let count = |key: &str, n: u32| Count { key: key.into(), count: n };
    assert_eq!(report.conferences_by_kind, [count("CONFERENCE_KIND_CITIZENS_DIRECT", 1)]);
    assert_eq!(report.conferences_by_regime, [count("REGIME_PERIODIC", 1)]);
    assert_eq!((report.heads_held, report.heads_not_held), (1, 0));
    assert_eq!(report.petitions_by_field, [count("FIELD_ECONOMY_AND_SOCIETY", 2)]);
    assert_eq!(report.petitions_by_classification, [count("CLASSIFICATION_PETITION", 2)]);
    assert_eq!(
        (report.petitions_answered_at_conference, report.petitions_referred, report.petitions_escalated),
        (0, 0, 0)
    );
    assert_eq!((report.notices_on_time, report.notices_late, report.notices_overdue), (1, 0, 0));
    assert_eq!((report.responses_on_time, report.responses_late, report.responses_overdue), (1, 0, 1));
    let render = |format: ReportFormat| RenderReportRequest {
        report: Some(period.clone()),
        format: format as i32,
        ..Default::default()
    };
    let csv = deadlines.render_report(authorized(render(ReportFormat::Csv), &monitor)).await.unwrap().into_inner();
    let csv = String::from_utf8(csv.content).unwrap();
    assert!(
        csv.contains("responses,overdue,1,\n")
            && csv.contains("conferences_by_kind,CONFERENCE_KIND_CITIZENS_DIRECT,1,\n"),
        "{csv}"
    );
    let pdf = deadlines.render_report(authorized(render(ReportFormat::Pdf), &monitor)).await.unwrap().into_inner();
    let text = doithoai_documents::read::text_of(&pdf.content).unwrap();
    printed_within_margins("party-report-e2e.pdf", &pdf.content);
    // Issued by the Party committee, signed by its head as the directory names them.
    for expected in [
        "ĐẢNG BỘ TỈNH HƯNG YÊN THÀNH ỦY HƯNG YÊN",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "T/M BAN THƯỜNG VỤ BÍ THƯ Nguyễn Văn Chủ Trì",
        "BÁO CÁO",
        "từ ngày 01/01/2026 đến ngày 30/06/2026",
        "Trực tiếp với nhân dân (1.3): 1",
        "Kinh tế - xã hội: 2",
        "quá hạn chưa trả lời 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not in the report: {text}");
    }
    let outsider = token("325", &[Role::Office]);
    assert_eq!(
        deadlines
            .get_summary(authorized(SummaryRequest { unit_code: "323".into(), ..Default::default() }, &outsider))
            .await
            .unwrap_err()
            .code(),
        tonic::Code::PermissionDenied
    );
    f.stack.finish().await;
}

#[tokio::test]
async fn overdue_is_emitted_once_after_downtime_and_with_two_replicas() {
    let mut f = Fixture::ended().await;
    let notice = f.until("the R10.2 obligation", ObligationKind::ConclusionNotice, |o| o.len() == 1).await.remove(0);
    assert_eq!(notice.due_date, "2026-03-24");

    // The service is down over the due date, then two replicas come up at once.
    f.stack.stop_service("deadlines").await;
    f.stack.clock.set(at("2026-03-26T02:00:00Z"));
    f.stack.restart_service("deadlines").await;
    let second = f.stack.start_replica("deadlines").await;
    f.until("overdue", ObligationKind::ConclusionNotice, |o| state(&o[0]) == ObligationState::Overdue).await;
    // Several more sweeps of both replicas.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    eventually(WAIT, "the overdue event", || async { (f.events("deadline_overdue").await >= 1).then_some(()) }).await;
    assert_eq!(f.events("deadline_overdue").await, 1, "exactly once");
    assert_eq!(f.events("deadline_due_soon").await, 0, "no stale due-soon after the due date");

    // A late notice closes it late; the outcome is frozen.
    let issue = IssueConclusionNoticeRequest {
        conference_id: f.conference_id.clone(),
        number: "16/TB-TU".into(),
        sent_on: "2026-03-26".into(),
        signer: "Chánh Văn phòng".into(),
        assignments: f
            .petitions
            .iter()
            .map(|p| NoticeAssignment {
                petition_id: p.clone(),
                organization_id: f.agency.clone(),
                received_on: String::new(),
            })
            .collect(),
        ..Default::default()
    };
    minutes(&f.stack).await.issue_conclusion_notice(authorized(issue, &f.office)).await.unwrap();
    let met = f
        .until("met late", ObligationKind::ConclusionNotice, |o| state(&o[0]) == ObligationState::MetLate)
        .await
        .remove(0);
    assert_eq!(met.met_on, "2026-03-26");

    // R10.4: the second petition goes up to the province, whose agency's own clock starts.
    let office_33 = token("33", &[Role::Office]);
    let agency = doithoai_proto::scheduling::v1::Organization {
        unit_code: "33".into(),
        kind: doithoai_proto::scheduling::v1::OrganizationKind::Department as i32,
        name: "Sở Giao thông vận tải".into(),
        ..Default::default()
    };
    let mut directory =
        doithoai_proto::scheduling::v1::directory_client::DirectoryClient::new(f.stack.channel("scheduling").await);
    let request =
        doithoai_proto::scheduling::v1::CreateOrganizationRequest { organization: Some(agency), ..Default::default() };
    let province_agency = directory.create_organization(authorized(request, &office_33)).await.unwrap().into_inner().id;
    let escalate = doithoai_proto::minutes::v1::EscalatePetitionRequest {
        petition_id: f.petitions[1].clone(),
        to_unit_code: "33".into(),
        to_organization_id: province_agency.clone(),
        petitioner_notified_on: "2026-03-27".into(),
        ..Default::default()
    };
    f.stack.clock.set(at("2026-03-27T02:00:00Z"));
    eventually(WAIT, "the escalation", || {
        let (stack, escalate, office) = (&f.stack, escalate.clone(), f.office.clone());
        async move { minutes(stack).await.escalate_petition(authorized(escalate, &office)).await.ok() }
    })
    .await;
    let responses = f
        .until("the province agency's clock", ObligationKind::AgencyResponse, |o| {
            o.iter().any(|o| o.organization_id == province_agency)
        })
        .await;
    let cancelled = responses.iter().find(|o| o.petition_id == f.petitions[1]).unwrap();
    assert!(
        state(cancelled) == ObligationState::Cancelled && cancelled.cancel_reason.starts_with("R10.4"),
        "{cancelled:?}"
    );
    let received = responses.iter().find(|o| o.organization_id == province_agency).unwrap();
    assert_eq!(
        (received.anchor.as_str(), received.anchor_date.as_str(), received.unit_path.clone()),
        ("ESCALATED", "2026-03-27", vec!["33".to_owned()])
    );
    let notice = f.until("R10.4 met", ObligationKind::EscalationNotice, |o| o.len() == 1).await.remove(0);
    assert_eq!((state(&notice), notice.met_on.as_str()), (ObligationState::MetOnTime, "2026-03-27"));
    second.stop().await.unwrap();
    f.stack.finish().await;
}

#[tokio::test]
async fn r6_2_every_head_owes_a_periodic_dialogue_each_year() {
    let f = Fixture::ended().await;
    // The district's Bí thư held one (the conference of 10 March was periodic).
    let held = f
        .until("the Bí thư's dialogue met", ObligationKind::PeriodicDialogue, |o| {
            o.iter().any(|o| state(o) == ObligationState::MetOnTime)
        })
        .await;
    assert_eq!(
        (held[0].due_date.as_str(), held[0].met_on.as_str(), held[0].rule.as_str()),
        ("2026-12-31", "2026-03-10", "R6.2")
    );

    // The UBND chair has not; when the term ends mid-year the obligation ends with it (R6.3).
    let office = token("323", &[Role::Office]);
    let mut directory =
        doithoai_proto::scheduling::v1::directory_client::DirectoryClient::new(f.stack.channel("scheduling").await);
    let chair = doithoai_proto::scheduling::v1::Position {
        unit_code: "323".into(),
        body: doithoai_proto::scheduling::v1::Body::PeoplesCommittee as i32,
        rank: doithoai_proto::scheduling::v1::Rank::Head as i32,
        title: "Chủ tịch UBND".into(),
        person_name: "Trần Văn Chủ Tịch".into(),
        term_start: "2021-06-01".into(),
        ..Default::default()
    };
    let request = doithoai_proto::scheduling::v1::CreatePositionRequest { position: Some(chair), ..Default::default() };
    let chair = directory.create_position(authorized(request, &office)).await.unwrap().into_inner();
    let pending = |o: &Obligation| o.head_position_id == chair.id && state(o) == ObligationState::Open;
    f.until("the chair's dialogue", ObligationKind::PeriodicDialogue, |o| o.iter().any(pending)).await;
    let ended = doithoai_proto::scheduling::v1::Position { term_end: "2026-06-30".into(), ..chair.clone() };
    directory
        .update_position(authorized(
            doithoai_proto::scheduling::v1::UpdatePositionRequest { position: Some(ended) },
            &office,
        ))
        .await
        .unwrap();
    f.until("due with the term", ObligationKind::PeriodicDialogue, |o| {
        o.iter().any(|o| o.head_position_id == chair.id && o.due_date == "2026-06-30")
    })
    .await;

    let mut client = DeadlinesClient::new(f.stack.channel("deadlines").await);
    let by_head = ListObligationsRequest {
        unit_code: "323".into(),
        head_position_id: chair.id.clone(),
        kind: ObligationKind::PeriodicDialogue as i32,
        ..Default::default()
    };
    let listed = client.list_obligations(authorized(by_head.clone(), &office)).await.unwrap().into_inner().obligations;
    assert!(listed.len() == 1 && listed[0].head_position_id == chair.id, "{listed:?}");
    let in_july = ListObligationsRequest { due_from: "2026-07-01".into(), due_to: "2026-07-31".into(), ..by_head };
    assert!(client.list_obligations(authorized(in_july, &office)).await.unwrap().into_inner().obligations.is_empty());
    // R13.1: both owe the half-year report, due 10 working days after 30 June; only the
    // Bí thư, still in office on 31 December, owes the annual one.
    let half = f.until("half-year reports", ObligationKind::ReportHalfYear, |o| o.len() == 2).await;
    assert!(half.iter().all(|o| o.due_date == "2026-07-14" && o.rule == "R13.1"), "{half:?}");
    let year = f
        .until("annual reports", ObligationKind::ReportYear, |o| {
            o.iter().filter(|o| state(o) != ObligationState::Cancelled).count() == 1
        })
        .await;
    let annual: Vec<_> = year.iter().filter(|o| state(o) != ObligationState::Cancelled).collect();
    assert_eq!(
        (annual[0].head_position_id.as_str(), annual[0].due_date.as_str()),
        (held[0].head_position_id.as_str(), "2027-01-15")
    );
    let file = FileReportRequest {
        head_position_id: held[0].head_position_id.clone(),
        kind: ObligationKind::ReportHalfYear as i32,
        year: 2026,
        filed_on: "2026-07-10".into(),
        ..Default::default()
    };
    let early = client.file_report(authorized(file.clone(), &office)).await.unwrap_err();
    assert_eq!(early.code(), tonic::Code::InvalidArgument, "a report is filed when it is: {early:?}");
    f.stack.clock.set(at("2026-07-10T02:00:00Z"));
    let filed = client.file_report(authorized(file.clone(), &office)).await.unwrap().into_inner();
    assert_eq!(state(&filed), ObligationState::MetOnTime);
    assert_eq!(
        client.file_report(authorized(file, &office)).await.unwrap_err().code(),
        tonic::Code::FailedPrecondition
    );

    f.until("overdue", ObligationKind::PeriodicDialogue, |o| {
        o.iter().any(|o| o.head_position_id == chair.id && state(o) == ObligationState::Overdue)
    })
    .await;
    // A new year: a new obligation for the head still in office, none for the one who left.
    f.stack.clock.set(at("2027-01-04T02:00:00Z"));
    let all = f.until("2027", ObligationKind::PeriodicDialogue, |o| o.iter().any(|o| o.due_date == "2027-12-31")).await;
    let in_2027: Vec<&Obligation> = all.iter().filter(|o| o.due_date.starts_with("2027")).collect();
    assert_eq!(in_2027.len(), 1);
    assert_eq!(in_2027[0].head_position_id, held[0].head_position_id);
    f.stack.finish().await;
}

#[tokio::test]
async fn r6_2_r13_1_a_new_head_owes_the_years_dialogue_and_reports_at_once() {
    let mut stack = Stack::start().await;
    // No sweep after the one at start: the head's obligations come from the post's own event.
    stack.stop_service("deadlines").await;
    stack.restart_service_with("deadlines", |settings| settings.with("deadlines.sweep_interval_ms", 3_600_000)).await;
    let district = District::set_up(&stack).await;
    let request = ListObligationsRequest {
        unit_code: "323".into(),
        head_position_id: district.head.id.clone(),
        ..Default::default()
    };
    let monitor = token("33", &[Role::Monitor]);
    let owed = eventually(WAIT, "the head's obligations", || async {
        let mut client = DeadlinesClient::new(stack.channel("deadlines").await);
        let listed = client.list_obligations(authorized(request.clone(), &monitor)).await.ok()?.into_inner();
        (listed.obligations.len() == 3).then_some(listed.obligations)
    })
    .await;
    let mut owed: Vec<(i32, &str)> = owed.iter().map(|o| (o.kind, o.due_date.as_str())).collect();
    owed.sort();
    assert_eq!(
        owed,
        [
            (ObligationKind::PeriodicDialogue as i32, "2026-12-31"),
            (ObligationKind::ReportHalfYear as i32, "2026-07-14"),
            (ObligationKind::ReportYear as i32, "2027-01-15"),
        ]
    );
    stack.finish().await;
}

#[tokio::test]
async fn r10_2_across_tet_and_a_redelivered_end_changes_nothing() {
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    // Tuesday 10 February 2026, 09:00 in Hà Nội, announced on 2 February: the last working days before Tết.
    stack.clock.set(at("2026-02-02T01:00:00Z"));
    let conference = district.announced_at(&stack, "2026-02-10T02:00:00Z", "2026-02-02", Vec::new()).await;
    let mut scheduling = district.conferences(&stack).await;
    stack.clock.set(at("2026-02-10T02:00:00Z"));
    scheduling
        .start_conference(authorized(ConferenceRef { id: conference.id.clone() }, &district.office))
        .await
        .unwrap();
    stack.clock.set(at("2026-02-10T05:00:00Z"));
    scheduling.end_conference(authorized(ConferenceRef { id: conference.id.clone() }, &district.office)).await.unwrap();
    let f = Fixture {
        stack,
        conference_id: conference.id.clone(),
        agency: district.agency.id.clone(),
        office: district.office.clone(),
        petitions: Vec::new(),
    };
    let notice = f.until("the R10.2 obligation", ObligationKind::ConclusionNotice, |o| o.len() == 1).await.remove(0);
    // 11–13 February, then Tết 16–20 February (Thông báo 9441/TB-BNV), then 23 February to 3 March.
    assert_eq!(notice.due_date, "2026-03-03");
    assert!(
        notice.explanation.iter().filter(|l| l.contains("Tết Nguyên đán")).count() == 5,
        "{:?}",
        notice.explanation
    );

    // The end delivered again, as after a producer crash: the obligation stays as it is.
    let js = async_nats::jetstream::new(async_nats::connect(f.stack.nats.url()).await.unwrap());
    let mut stream = js.get_stream("DOITHOAI_SCHEDULING").await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut ended = None;
    for seq in 1..=last {
        let message = stream.get_raw_message(seq).await.unwrap();
        if message.subject.starts_with("doithoai.scheduling.conference_ended.") {
            ended = Some(message);
        }
    }
    let ended = ended.unwrap();
    let copy = async_nats::jetstream::message::PublishMessage::build()
        .payload(ended.payload.clone())
        .message_id("ended-again");
    js.send_publish(ended.subject.to_string(), copy).await.unwrap().await.unwrap();
    let settled = stream.info().await.unwrap().state.last_sequence;
    eventually(WAIT, "deadlines to settle the copy", || {
        let stream = stream.clone();
        async move { (stream.consumer_info("deadlines").await.ok()?.ack_floor.stream_sequence >= settled).then_some(()) }
    })
    .await;
    let again = f.obligations(ObligationKind::ConclusionNotice).await;
    assert_eq!((again.len(), again[0].id.as_str(), again[0].due_date.as_str()), (1, notice.id.as_str(), "2026-03-03"));
    let held = f.stack.count("deadlines", "SELECT count(*) FROM conferences_held").await;
    assert_eq!(held, 1, "counted once in the reports");
    f.stack.finish().await;
}
