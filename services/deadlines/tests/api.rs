//! The deadlines service alone, through its gRPC API. The tests play the
//! scheduling and minutes services by publishing the events deadlines
//! consumes on their streams, and read what it publishes on its own.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use doithoai_calendar::Calendar;
use doithoai_proto::{
    common::v1::{EventEnvelope, Field, Tier, Unit},
    deadlines::v1::{
        AgencyOverdue, Count, DeadlineCancelled, DeadlineDueSoon, DeadlineMet, DeadlineOverdue, DeadlineReminder,
        DeadlineRescheduled, FileReportRequest, GetObligationRequest, LeaderboardRequest, ListObligationsRequest,
        LoadAnnouncementRequest, Obligation, ObligationKind as Kind, ObligationOpened, ObligationState as State,
        RenderReportRequest, ReportFormat, ReportRequest, StateCount, SummaryRequest,
        deadlines_client::DeadlinesClient,
    },
    directory::v1::{Succession, UnitUpserted, UnitsReorganised},
    minutes::v1::{
        Classification, ConclusionNotice, ConclusionNoticeIssued, Escalation, NoticeAssignment, NoticeReceived,
        PetitionAnswered, PetitionEscalated, PetitionRecorded, PetitionReferred, Referral, Response, ResponseRecorded,
    },
    scheduling::v1::{
        Body, Conference, ConferenceEnded, ConferenceKind, ConferenceState, Organization, OrganizationSucceeded,
        Position, PositionUpserted, Rank, Regime,
    },
};
use doithoai_runtime::{
    Clock, RunningService, Settings,
    auth::Role,
    events::{Event, decode_payload},
    telemetry,
    testsuite::{Events, TestNats, authorized, drop_database, eventually, settings, token, token_for, unique_database},
    time::{instant, timestamp},
};
use prost::{Message, Name};
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(20);

fn at(instant: &str) -> DateTime<Utc> {
    instant.parse().unwrap()
}

fn day(date: &str) -> NaiveDate {
    date.parse().unwrap()
}

/// `n` working days after `anchor` on the shipped legal calendar.
fn due(anchor: &str, n: u32) -> String {
    Calendar::builtin().add_working_days(day(anchor), n).unwrap().to_string()
}

fn id() -> String {
    Uuid::now_v7().to_string()
}

fn district() -> Vec<String> {
    vec!["33".into(), "323".into()]
}

fn state(obligation: &Obligation) -> State {
    State::try_from(obligation.state).unwrap()
}

/// Rule, anchor, anchor date, due date and state: what a user reads first.
fn brief(o: &Obligation) -> (&str, &str, &str, &str, State) {
    (&o.rule, &o.anchor, &o.anchor_date, &o.due_date, state(o))
}

fn of(obligations: &[Obligation], petition: &str) -> Obligation {
    obligations.iter().find(|o| o.petition_id == petition).cloned().unwrap()
}

fn refused<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, reason: &str) {
    let status = result.unwrap_err();
    let got = (status.code(), status.get_details_error_info().map(|info| info.reason));
    assert_eq!(got, (code, Some(reason.to_owned())), "{status:?}");
}

fn list(unit: &str, kind: Kind) -> ListObligationsRequest {
    ListObligationsRequest { unit_code: unit.into(), kind: kind as i32, ..Default::default() }
}

/// An ended conference of Thành phố Hưng Yên (323), as scheduling publishes it.
fn conference(regime: Regime, head: &str, ended: &str) -> Conference {
    Conference {
        id: id(),
        unit_code: "323".into(),
        unit_path: district(),
        body: Body::PartyCommittee as i32,
        accountable_position_id: head.into(),
        regime: regime as i32,
        kind: ConferenceKind::CitizensDirect as i32,
        state: ConferenceState::Ended as i32,
        ended_at: Some(timestamp(at(ended))),
        ..Default::default()
    }
}

/// The conclusion notice of `conference`, sent on `sent_on`, assigning (petition, agency).
fn notice_issued(conference: &Conference, sent_on: &str, assignments: &[(&str, &str)]) -> ConclusionNoticeIssued {
    let assignments = assignments
        .iter()
        .map(|(petition, agency)| NoticeAssignment {
            petition_id: (*petition).into(),
            organization_id: (*agency).into(),
            received_on: String::new(),
        })
        .collect();
    let notice = ConclusionNotice {
        id: id(),
        conference_id: conference.id.clone(),
        number: "15/TB-TU".into(),
        sent_on: sent_on.into(),
        signer: "Chánh Văn phòng".into(),
        assignments,
    };
    ConclusionNoticeIssued { notice: Some(notice), conference_ended_at: conference.ended_at }
}

fn received(conference: &Conference, petition: &str, agency: &str, on: &str) -> NoticeReceived {
    NoticeReceived {
        notice_id: id(),
        conference_id: conference.id.clone(),
        petition_id: petition.into(),
        organization_id: agency.into(),
        received_on: on.into(),
    }
}

fn response(conference: &Conference, petition: &str, agency: &str, on: &str) -> ResponseRecorded {
    let response = Response {
        organization_id: agency.into(),
        responded_on: on.into(),
        document_number: "112/TNMT".into(),
        ..Default::default()
    };
    ResponseRecorded { conference_id: conference.id.clone(), petition_id: petition.into(), response: Some(response) }
}

/// One deadlines service on its own NATS and database, with Hưng Yên (33),
/// Thành phố Hưng Yên (323) and Huyện Văn Lâm (325) in its unit replica.
struct Fixture {
    nats: TestNats,
    database: String,
    settings: Settings,
    clock: Clock,
    service: Option<RunningService>,
    client: DeadlinesClient<Channel>,
    scheduling: Events,
    minutes: Events,
    jetstream: async_nats::jetstream::Context,
}

impl Fixture {
    async fn start(now: &str) -> Self {
        Self::start_with(now, |settings| settings).await
    }

    async fn start_with(now: &str, adjust: impl FnOnce(Settings) -> Settings) -> Self {
        telemetry::init_for_tests();
        let nats = TestNats::start().await.unwrap();
        let database = unique_database("deadlines");
        let settings = adjust(settings(&database, &nats.url()));
        let clock = Clock::fixed(at(now));
        let service = doithoai_deadlines::start(settings.clone(), clock.clone()).await.unwrap();
        let f = Self {
            client: connect(&service).await,
            service: Some(service),
            scheduling: Events::of("scheduling", &nats.url()).await.unwrap(),
            minutes: Events::of("minutes", &nats.url()).await.unwrap(),
            jetstream: async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap()),
            nats,
            database,
            settings,
            clock,
        };
        let units = [
            ("33", "Tỉnh Hưng Yên", Tier::Province, "", "Tỉnh"),
            ("323", "Thành phố Hưng Yên", Tier::District, "33", "Thành phố"),
            ("325", "Huyện Văn Lâm", Tier::District, "33", "Huyện"),
        ];
        for (code, name, tier, parent, kind) in units {
            let path: Vec<String> = [parent, code].into_iter().filter(|c| !c.is_empty()).map(String::from).collect();
            let (name, parent_code, kind, tier) = (name.into(), parent.into(), kind.into(), tier as i32);
            let unit = Unit { code: code.into(), name, tier, parent_code, kind, path: path.clone(), ..Unit::default() };
            let event = Event::new("unit_upserted", code, path, &UnitUpserted { unit: Some(unit) });
            f.scheduling.publish(&event).await.unwrap();
        }
        f.settled("scheduling").await;
        f
    }

    /// Stops the service and starts it again on the same database and NATS,
    /// its clock at `now` (as after downtime).
    async fn restart(&mut self, now: &str) {
        self.service.take().unwrap().stop().await.unwrap();
        self.clock = Clock::fixed(at(now));
        let service = doithoai_deadlines::start(self.settings.clone(), self.clock.clone()).await.unwrap();
        self.client = connect(&service).await;
        self.service = Some(service);
    }

    async fn finish(mut self) {
        self.service.take().unwrap().stop().await.unwrap();
        self.nats.stop().await;
        drop_database(&self.database).await.unwrap();
    }

    fn client(&self) -> DeadlinesClient<Channel> {
        self.client.clone()
    }

    /// A conference ended on Tuesday 10 March 2026 whose notice, sent on
    /// Friday 20 March, assigned (petition, agency): its R10.3 clocks running.
    async fn ended_and_noticed(&self, assignments: &[(&str, &str)]) -> Conference {
        let conference = conference(Regime::Regular, "", "2026-03-10T05:00:00Z");
        self.end(&conference).await;
        let issued = notice_issued(&conference, "2026-03-20", assignments);
        self.minutes("conclusion_notice_issued", &conference.id, &issued, "2026-03-20").await;
        self.until("the R10.3 obligations", &list("33", Kind::AgencyResponse), |o| o.len() == assignments.len()).await;
        conference
    }

    /// Scheduling's ConferenceEnded, stamped with the end.
    async fn end(&self, conference: &Conference) {
        let ended = ConferenceEnded { conference: Some(conference.clone()) };
        let event = Event::new("conference_ended", conference.id.clone(), conference.unit_path.clone(), &ended);
        let ended_at = instant(conference.ended_at.as_ref().unwrap()).unwrap();
        self.scheduling.publish_at(&event, ended_at).await.unwrap();
    }

    /// A minutes event of a 323 conference, as having happened at 10:00 on `date` in Hà Nội.
    async fn minutes<M: Message + Name>(&self, kind: &'static str, aggregate: &str, message: &M, date: &str) {
        let event = Event::new(kind, aggregate, district(), message);
        self.minutes.publish_at(&event, at(&format!("{date}T03:00:00Z"))).await.unwrap();
    }

    /// Waits until deadlines has handled every event on the stream of `source` so far.
    async fn settled(&self, source: &str) {
        let mut stream = self.jetstream.get_stream(format!("DOITHOAI_{}", source.to_uppercase())).await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        eventually(WAIT, "deadlines to handle every event", || {
            let stream = stream.clone();
            async move { (stream.consumer_info("deadlines").await.ok()?.ack_floor.stream_sequence >= last).then_some(()) }
        })
        .await;
    }

    /// The obligations a provincial monitor lists.
    async fn obligations(&self, request: &ListObligationsRequest) -> Vec<Obligation> {
        let request = authorized(request.clone(), &token("33", &[Role::Monitor]));
        self.client().list_obligations(request).await.unwrap().into_inner().obligations
    }

    async fn until(
        &self,
        what: &str,
        request: &ListObligationsRequest,
        check: impl Fn(&[Obligation]) -> bool,
    ) -> Vec<Obligation> {
        eventually(WAIT, what, || async {
            let obligations = self.obligations(request).await;
            check(&obligations).then_some(obligations)
        })
        .await
    }

    /// The events of `kind` deadlines has published on DOITHOAI_DEADLINES.
    async fn published<M: Message + Name + Default>(&self, kind: &str) -> Vec<M> {
        let Ok(mut stream) = self.jetstream.get_stream("DOITHOAI_DEADLINES").await else { return Vec::new() };
        let last = stream.info().await.unwrap().state.last_sequence;
        let mut found = Vec::new();
        for seq in 1..=last {
            let message = stream.get_raw_message(seq).await.unwrap();
            if message.subject.starts_with(&format!("doithoai.deadlines.{kind}.")) {
                found.push(decode_payload::<M>(&EventEnvelope::decode(message.payload).unwrap()).unwrap().unwrap());
            }
        }
        found
    }

    /// Waits until the published events of `kind` satisfy `check`.
    async fn published_until<M: Message + Name + Default>(&self, kind: &str, check: impl Fn(&[M]) -> bool) -> Vec<M> {
        eventually(WAIT, kind, || async {
            let published = self.published::<M>(kind).await;
            check(&published).then_some(published)
        })
        .await
    }
}

async fn connect(service: &RunningService) -> DeadlinesClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", service.grpc_addr)).unwrap().connect().await.unwrap();
    DeadlinesClient::new(channel)
}

#[tokio::test]
async fn r10_2_a_notice_heard_before_the_end_runs_from_the_end_once_it_is_heard() {
    // NATS was down: the minutes service issued the notice on Thursday 5 March
    // without knowing when the conference ended, and this service hears the
    // notice before the end (Thursday 12 February).
    let f = Fixture::start("2026-03-05T03:00:00Z").await;
    let first = conference(Regime::Regular, "", "2026-02-12T05:00:00Z");
    let unaware = ConclusionNoticeIssued { conference_ended_at: None, ..notice_issued(&first, "2026-03-05", &[]) };
    f.minutes("conclusion_notice_issued", &first.id, &unaware, "2026-03-05").await;
    let notices = ListObligationsRequest { conference_id: first.id.clone(), ..list("323", Kind::ConclusionNotice) };
    let sent = f.until("R10.2 opened and met by the notice", &notices, |o| o.len() == 1).await.remove(0);
    assert_eq!(brief(&sent), ("R10.2", "SENT", "2026-03-05", due("2026-03-05", 10).as_str(), State::MetOnTime));

    // The end arrives: the clock runs from it. Ten working days after the
    // end, across the Tết holidays, is 5 March: the notice came on its last day.
    f.end(&first).await;
    let ended = f.until("re-anchored at the end", &notices, |o| o[0].anchor == "ENDED").await.remove(0);
    assert_eq!(due("2026-02-12", 10), "2026-03-05");
    assert_eq!(brief(&ended), ("R10.2", "ENDED", "2026-02-12", "2026-03-05", State::MetOnTime));
    assert_eq!((ended.id.as_str(), ended.met_on.as_str()), (sent.id.as_str(), "2026-03-05"));

    // A notice sent a day later would have been late: the outcome follows the end too.
    let later = conference(Regime::Regular, "", "2026-02-12T05:00:00Z");
    let late = ConclusionNoticeIssued { conference_ended_at: None, ..notice_issued(&later, "2026-03-06", &[]) };
    f.clock.set(at("2026-03-06T03:00:00Z"));
    f.minutes("conclusion_notice_issued", &later.id, &late, "2026-03-06").await;
    let notices = ListObligationsRequest { conference_id: later.id.clone(), ..list("323", Kind::ConclusionNotice) };
    f.until("the second notice", &notices, |o| o.len() == 1).await;
    f.end(&later).await;
    let ended = f.until("re-anchored at the end", &notices, |o| o[0].anchor == "ENDED").await.remove(0);
    assert_eq!(brief(&ended), ("R10.2", "ENDED", "2026-02-12", "2026-03-05", State::MetLate));
}

#[tokio::test]
async fn r10_2_and_r10_3_clocks_open_move_and_close_from_the_events_alone() {
    let f = Fixture::start("2026-03-10T06:00:00Z").await;
    // Tuesday 10 March 2026, 12:00 in Hà Nội.
    let conference = conference(Regime::Regular, "", "2026-03-10T05:00:00Z");
    f.end(&conference).await;
    let notices =
        ListObligationsRequest { conference_id: conference.id.clone(), ..list("323", Kind::ConclusionNotice) };
    let notice = f.until("the R10.2 obligation", &notices, |o| o.len() == 1).await.remove(0);
    assert_eq!(brief(&notice), ("R10.2", "ENDED", "2026-03-10", due("2026-03-10", 10).as_str(), State::Open));
    assert_eq!((notice.working_days, &notice.unit_path), (10, &district()));
    assert_eq!(notice.calendar_revision, Calendar::builtin().revision().id);
    // Two weekends skipped on the way, each day explained.
    let skipped: Vec<&str> = notice.explanation.iter().map(|line| &line[..10]).collect();
    assert_eq!(skipped, ["2026-03-14", "2026-03-15", "2026-03-21", "2026-03-22"], "{:?}", notice.explanation);
    let get = authorized(GetObligationRequest { id: notice.id.clone() }, &token("323", &[Role::Office]));
    assert_eq!(f.client().get_obligation(get).await.unwrap().into_inner(), notice);

    // The end delivered again (another event id, as after a producer's crash): nothing opens twice.
    f.end(&conference).await;
    f.settled("scheduling").await;
    assert_eq!(f.obligations(&notices).await, std::slice::from_ref(&notice));

    // The notice, sent on Friday 20 March (and delivered twice), meets R10.2
    // and starts one R10.3 clock per assignment.
    let (agency, first, second) = (id(), id(), id());
    f.clock.set(at("2026-03-20T03:00:00Z"));
    let issued = notice_issued(&conference, "2026-03-20", &[(&first, &agency), (&second, &agency)]);
    for _ in 0..2 {
        f.minutes("conclusion_notice_issued", &conference.id, &issued, "2026-03-20").await;
    }
    let met = f.until("R10.2 met", &notices, |o| state(&o[0]) == State::MetOnTime).await.remove(0);
    assert_eq!((met.id.as_str(), met.met_on.as_str()), (notice.id.as_str(), "2026-03-20"));
    let responses =
        ListObligationsRequest { conference_id: conference.id.clone(), ..list("323", Kind::AgencyResponse) };
    f.until("two R10.3 obligations", &responses, |o| o.len() == 2).await;
    f.settled("minutes").await;
    let opened = f.obligations(&responses).await;
    assert_eq!(opened.len(), 2, "the redelivered notice opens nothing more: {opened:?}");
    for petition in [&first, &second] {
        let response = of(&opened, petition);
        assert_eq!(brief(&response), ("R10.3", "SENT", "2026-03-20", due("2026-03-20", 30).as_str(), State::Open));
        assert_eq!((response.organization_id.as_str(), response.working_days), (agency.as_str(), 30));
    }

    // The agency acknowledges receipt of the first on Monday 23 March: its clock runs from then.
    f.clock.set(at("2026-03-23T03:00:00Z"));
    f.minutes("notice_received", &first, &received(&conference, &first, &agency, "2026-03-23"), "2026-03-23").await;
    let moved = f.until("re-anchored", &responses, |o| of(o, &first).anchor == "RECEIVED").await;
    assert_eq!(
        brief(&of(&moved, &first)),
        ("R10.3", "RECEIVED", "2026-03-23", due("2026-03-23", 30).as_str(), State::Open)
    );
    assert_eq!(of(&moved, &second), of(&opened, &second), "the other clock stays");

    // The first answered on 20 April (delivered twice), the second after its due date.
    f.clock.set(at("2026-04-20T03:00:00Z"));
    for _ in 0..2 {
        f.minutes("response_recorded", &first, &response(&conference, &first, &agency, "2026-04-20"), "2026-04-20")
            .await;
    }
    let late = "2026-05-08";
    assert!(day(late) > day(&due("2026-03-20", 30)));
    f.clock.set(at("2026-05-08T03:00:00Z"));
    f.minutes("response_recorded", &second, &response(&conference, &second, &agency, late), late).await;
    let closed = f.until("both answered", &responses, |o| o.iter().all(|o| !o.met_on.is_empty())).await;
    let (on_time, after) = (of(&closed, &first), of(&closed, &second));
    assert_eq!((state(&on_time), on_time.met_on.as_str()), (State::MetOnTime, "2026-04-20"));
    assert_eq!((state(&after), after.met_on.as_str()), (State::MetLate, late));

    // Each obligation met is published once, whatever was delivered twice.
    let ids = |met: &[DeadlineMet]| met.iter().map(|m| m.obligation.clone().unwrap().id).collect::<Vec<_>>();
    let met = f.published_until("deadline_met", |met: &[DeadlineMet]| ids(met).contains(&after.id)).await;
    let (mut met, mut expected) = (ids(&met), vec![notice.id, on_time.id, after.id]);
    met.sort();
    expected.sort();
    assert_eq!(met, expected);
    f.finish().await;
}

#[tokio::test]
async fn r10_4_an_escalation_cancels_the_agencys_clock_and_starts_the_receiving_levels() {
    let f = Fixture::start("2026-03-27T03:00:00Z").await;
    let (agency, first, second) = (id(), id(), id());
    let conference = f.ended_and_noticed(&[(&first, &agency), (&second, &agency)]).await;
    let responses = list("33", Kind::AgencyResponse);

    // On Friday 27 March the first goes up to a provincial agency, the second
    // to the province with no agency yet; both petitioners are told that day.
    let (province_agency, received_first, received_second) = (id(), id(), id());
    let escalate = |petition: &str, to_agency: &str, received: &str| PetitionEscalated {
        conference_id: conference.id.clone(),
        petition_id: petition.into(),
        escalation: Some(Escalation {
            to_unit_code: "33".into(),
            to_organization_id: to_agency.into(),
            petitioner_notified_on: "2026-03-27".into(),
            escalated_petition_id: received.into(),
        }),
    };
    // As minutes publishes them: each petition's record before its outcome.
    for petition in [&first, &second] {
        let recorded = PetitionRecorded {
            conference_id: conference.id.clone(),
            petition_id: petition.clone(),
            ..Default::default()
        };
        f.minutes("petition_recorded", petition, &recorded, "2026-03-10").await;
    }
    let up = escalate(&first, &province_agency, &received_first);
    f.minutes("petition_escalated", &first, &up, "2026-03-27").await;
    f.minutes("petition_escalated", &second, &escalate(&second, "", &received_second), "2026-03-27").await;
    // Redelivered, and a late receipt for a cancelled clock: neither changes anything.
    f.minutes("petition_escalated", &first, &up, "2026-03-27").await;
    f.minutes("notice_received", &first, &received(&conference, &first, &agency, "2026-03-27"), "2026-03-27").await;
    f.settled("minutes").await;

    let all = f.obligations(&responses).await;
    assert_eq!(all.len(), 3, "{all:?}");
    for petition in [&first, &second] {
        let cancelled = of(&all, petition);
        assert_eq!((cancelled.anchor.as_str(), state(&cancelled)), ("SENT", State::Cancelled));
        assert_eq!(cancelled.cancel_reason, "R10.4: escalated to unit 33");
    }
    // Published once each, redelivery or not, for those who count from the events.
    let published = f.published_until::<DeadlineCancelled>("deadline_cancelled", |p| p.len() >= 2).await;
    let mut petitions: Vec<String> = published.iter().map(|c| c.obligation.clone().unwrap().petition_id).collect();
    petitions.sort();
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(petitions, expected);
    assert!(published.iter().all(|c| state(c.obligation.as_ref().unwrap()) == State::Cancelled));
    // The receiving agency's own R10.3 clock runs from the escalation, at the province.
    let theirs = of(&all, &received_first);
    assert_eq!(brief(&theirs), ("R10.3", "ESCALATED", "2026-03-27", due("2026-03-27", 30).as_str(), State::Open));
    assert_eq!(
        (theirs.organization_id.as_str(), theirs.unit_path.as_slice()),
        (province_agency.as_str(), &["33".to_owned()][..])
    );
    let by_agency =
        ListObligationsRequest { organization_id: province_agency.clone(), ..list("33", Kind::Unspecified) };
    assert_eq!(f.obligations(&by_agency).await, [theirs]);
    // The district lists its own obligations only.
    let district_view = authorized(list("323", Kind::AgencyResponse), &token("323", &[Role::Office]));
    let listed = f.client().list_obligations(district_view).await.unwrap().into_inner().obligations;
    assert!(listed.len() == 2 && listed.iter().all(|o| o.unit_path == district()), "{listed:?}");

    // R10.4: each petitioner told, on the day.
    let notices = f.obligations(&list("33", Kind::EscalationNotice)).await;
    assert_eq!(notices.len(), 2, "{notices:?}");
    for petition in [&first, &second] {
        let told = of(&notices, petition);
        assert_eq!(
            brief(&told),
            ("R10.4", "ESCALATED", "2026-03-27", due("2026-03-27", 30).as_str(), State::MetOnTime)
        );
        assert_eq!((told.met_on.as_str(), &told.unit_path), ("2026-03-27", &district()));
    }
    f.finish().await;
}

#[tokio::test]
async fn each_obligation_is_announced_once_when_it_opens() {
    // A conference's end opens R10.2; its notice closes that and opens an R10.3 per assignment.
    let f = Fixture::start("2026-03-20T03:00:00Z").await;
    let (agency, first, second) = (id(), id(), id());
    let conference = f.ended_and_noticed(&[(&first, &agency), (&second, &agency)]).await;
    let of_conference = |opened: &[ObligationOpened]| {
        opened
            .iter()
            .filter_map(|o| o.obligation.clone())
            .filter(|o| o.conference_id == conference.id)
            .map(|o| (o.kind(), o.petition_id))
            .collect::<Vec<_>>()
    };
    let opened = f.published_until("obligation_opened", |o: &[ObligationOpened]| of_conference(o).len() == 3).await;
    let mut opened = of_conference(&opened);
    opened.sort();
    let mut expected = vec![
        (Kind::ConclusionNotice, String::new()),
        (Kind::AgencyResponse, first.clone()),
        (Kind::AgencyResponse, second.clone()),
    ];
    expected.sort();
    assert_eq!(opened, expected);
    // The same notice heard again (another event) opens nothing and announces nothing.
    let issued = notice_issued(&conference, "2026-03-20", &[(&first, &agency), (&second, &agency)]);
    f.minutes("conclusion_notice_issued", &conference.id, &issued, "2026-03-20").await;
    f.settled("minutes").await;
    assert_eq!(of_conference(&f.published("obligation_opened").await).len(), 3);
    f.finish().await;
}

#[tokio::test]
async fn obligations_fall_due_soon_then_overdue_and_are_counted() {
    let mut f = Fixture::start("2026-03-20T03:00:00Z").await;
    let (slow, quick, first, second) = (id(), id(), id(), id());
    let conference = f.ended_and_noticed(&[(&first, &slow), (&second, &quick)]).await;
    let responses = list("33", Kind::AgencyResponse);
    f.clock.set(at("2026-04-20T03:00:00Z"));
    f.minutes("response_recorded", &second, &response(&conference, &second, &quick, "2026-04-20"), "2026-04-20").await;
    f.until("one answered", &responses, |o| state(&of(o, &second)) == State::MetOnTime).await;

    // Due on Wednesday 6 May: from Monday 4 May it is due soon (within 3 working days).
    let due_on = due("2026-03-20", 30);
    assert_eq!(due_on, "2026-05-06");
    f.clock.set(at("2026-05-04T03:00:00Z"));
    let open = f.until("due soon", &responses, |o| state(&of(o, &first)) == State::DueSoon).await;
    let open = of(&open, &first);
    let soon = f.published_until("deadline_due_soon", |soon: &[DeadlineDueSoon]| !soon.is_empty()).await;
    assert_eq!(soon[0].obligation.as_ref().unwrap().id, open.id);

    // The service is down over the due date and back on Monday 11 May: overdue.
    f.restart("2026-05-11T03:00:00Z").await;
    f.until("overdue", &responses, |o| state(&of(o, &first)) == State::Overdue).await;
    let overdue = f.published_until("deadline_overdue", |overdue: &[DeadlineOverdue]| !overdue.is_empty()).await;
    let overdue = overdue[0].obligation.clone().unwrap();
    assert_eq!((overdue.id.as_str(), state(&overdue)), (open.id.as_str(), State::Overdue));
    // The next working day's sweep reminds again, and moves nothing again.
    f.clock.set(at("2026-05-12T03:00:00Z"));
    let left = Calendar::builtin().working_days_between(day("2026-05-12"), day(&due_on)).unwrap() as i32;
    let reminded = |r: &DeadlineReminder| r.working_days_left == left && r.obligation.as_ref().unwrap().id == open.id;
    f.published_until("deadline_reminder", |reminders: &[DeadlineReminder]| reminders.iter().any(reminded)).await;
    assert_eq!(f.published::<DeadlineOverdue>("deadline_overdue").await.len(), 1, "overdue is published once");
    assert_eq!(f.published::<DeadlineDueSoon>("deadline_due_soon").await.len(), 1, "due soon is published once");

    let monitor = token("33", &[Role::Monitor]);
    let board = authorized(LeaderboardRequest { unit_code: "33".into(), limit: 5 }, &monitor);
    let board = f.client().get_overdue_leaderboard(board).await.unwrap().into_inner();
    assert_eq!(
        board.agencies,
        [AgencyOverdue { organization_id: slow, overdue: 1, open: 1 }],
        "the quick agency is not listed"
    );

    let count = |state: State, count: u32| StateCount { state: state as i32, count };
    let summary = |request: SummaryRequest| {
        let (mut client, request) = (f.client(), authorized(request, &monitor));
        async move { client.get_summary(request).await.unwrap().into_inner() }
    };
    let responses = SummaryRequest { unit_code: "33".into(), kind: Kind::AgencyResponse as i32, ..Default::default() };
    let of_responses = summary(responses.clone()).await;
    assert_eq!(of_responses.counts, [count(State::MetOnTime, 1), count(State::Overdue, 1)]);
    assert_eq!(of_responses.on_time_rate, 0.5, "met on time ÷ (all met + open overdue)");
    let took = Calendar::builtin().working_days_between(day("2026-03-20"), day("2026-04-20")).unwrap() as f64;
    assert_eq!((of_responses.median_working_days, of_responses.p90_working_days), (took, took));
    // With the conclusion notice, met on time in March.
    let everything = summary(SummaryRequest { unit_code: "323".into(), ..Default::default() }).await;
    assert_eq!(everything.counts, [count(State::MetOnTime, 2), count(State::Overdue, 1)]);
    let in_april = SummaryRequest { due_from: "2026-04-01".into(), due_to: "2026-04-30".into(), ..responses };
    assert!(summary(in_april).await.counts.is_empty(), "both fall due in May");
    f.finish().await;
}

#[tokio::test]
async fn r10_3_a_response_heard_before_its_notice_meets_the_clock_once_the_notice_comes() {
    let f = Fixture::start("2026-05-11T03:00:00Z").await;
    let (agency, petition) = (id(), id());
    let conference = conference(Regime::Regular, "", "2026-03-10T05:00:00Z");
    f.end(&conference).await;
    // The response delivered ahead of the notice that opens its clock (as
    // when the notice's first delivery failed): it waits for the clock.
    let answered = response(&conference, &petition, &agency, "2026-04-20");
    f.minutes("response_recorded", &petition, &answered, "2026-04-20").await;
    let issued = notice_issued(&conference, "2026-03-20", &[(&petition, &agency)]);
    f.minutes("conclusion_notice_issued", &conference.id, &issued, "2026-03-20").await;
    let responses = list("33", Kind::AgencyResponse);
    let met =
        f.until("the response's clock met", &responses, |o| o.len() == 1 && state(&o[0]) == State::MetOnTime).await;
    assert_eq!(met[0].met_on, "2026-04-20", "{met:?}");
    f.settled("minutes").await;
    assert_eq!(f.obligations(&responses).await, met, "met, not overdue on 11 May");
    f.finish().await;
}

#[tokio::test]
async fn r10_3_a_late_receipt_keeps_an_overdue_obligation_overdue_and_announced_once() {
    let mut f = Fixture::start("2026-03-20T03:00:00Z").await;
    let (agency, petition) = (id(), id());
    let conference = f.ended_and_noticed(&[(&petition, &agency)]).await;
    let responses = list("33", Kind::AgencyResponse);
    f.restart("2026-05-11T03:00:00Z").await;
    f.until("overdue", &responses, |o| state(&o[0]) == State::Overdue).await;
    f.published_until("deadline_overdue", |overdue: &[DeadlineOverdue]| overdue.len() == 1).await;

    // On 11 May the agency says it received the notice on 23 March: due 7 May, past as well.
    f.minutes("notice_received", &petition, &received(&conference, &petition, &agency, "2026-03-23"), "2026-05-11")
        .await;
    f.settled("minutes").await;
    let moved = f.obligations(&responses).await.remove(0);
    assert_eq!(brief(&moved), ("R10.3", "RECEIVED", "2026-03-23", due("2026-03-23", 30).as_str(), State::Overdue));
    f.clock.set(at("2026-05-12T03:00:00Z"));
    let left = Calendar::builtin().working_days_between(day("2026-05-12"), day(&moved.due_date)).unwrap() as i32;
    f.published_until("deadline_reminder", |reminders: &[DeadlineReminder]| {
        reminders.iter().any(|r| r.working_days_left == left)
    })
    .await;
    assert_eq!(f.published::<DeadlineOverdue>("deadline_overdue").await.len(), 1, "overdue is published once");
    f.finish().await;
}

#[tokio::test]
async fn r6_2_r13_1_a_head_owes_the_years_dialogue_and_reports_filed_once_by_the_office_or_the_head() {
    // Sweeping only at start-up: the head's obligations come from the post's own event.
    let f = Fixture::start_with("2026-07-01T02:00:00Z", |s| s.with("deadlines.sweep_interval_ms", 3_600_000).unwrap())
        .await;
    let (head, deputy) = (id(), id());
    let posts = [(&head, Rank::Head, "Bí thư", "bithu-323"), (&deputy, Rank::Deputy, "Phó Bí thư", "phobithu-323")];
    for (position, rank, title, subject) in posts {
        let post = Position {
            id: position.clone(),
            unit_code: "323".into(),
            body: Body::PartyCommittee as i32,
            rank: rank as i32,
            title: format!("{title} Thành ủy"),
            subject: subject.into(),
            term_start: "2020-10-01".into(),
            ..Default::default()
        };
        let upserted = PositionUpserted { position: Some(post), unit_path: district() };
        let event = Event::new("position_upserted", position.clone(), district(), &upserted);
        f.scheduling.publish_at(&event, at("2026-03-02T02:00:00Z")).await.unwrap();
    }
    let of_head =
        |position: &str, kind: Kind| ListObligationsRequest { head_position_id: position.into(), ..list("323", kind) };
    let mut owed = f.until("the head's obligations", &of_head(&head, Kind::Unspecified), |o| o.len() == 3).await;
    owed.sort_by_key(|o| o.kind);
    let owed: Vec<_> = owed.iter().map(|o| (Kind::try_from(o.kind).unwrap(), brief(o))).collect();
    let (half_year, year) = (due("2026-06-30", 10), due("2026-12-31", 10));
    assert_eq!(
        owed,
        [
            (Kind::PeriodicDialogue, ("R6.2", "YEAR", "2026-01-01", "2026-12-31", State::Open)),
            (Kind::ReportHalfYear, ("R13.1", "PERIOD_END", "2026-06-30", half_year.as_str(), State::Open)),
            (Kind::ReportYear, ("R13.1", "PERIOD_END", "2026-12-31", year.as_str(), State::Open)),
        ]
    );
    assert!(f.obligations(&of_head(&deputy, Kind::Unspecified)).await.is_empty(), "a deputy owes none");
    // Each was announced as it opened, once.
    let heads = |opened: &[ObligationOpened]| {
        let mut kinds: Vec<Kind> = opened
            .iter()
            .filter_map(|o| o.obligation.as_ref())
            .filter(|o| o.head_position_id == head)
            .map(|o| o.kind())
            .collect();
        kinds.sort();
        kinds
    };
    let opened = f.published_until("obligation_opened", |o: &[ObligationOpened]| heads(o).len() == 3).await;
    assert_eq!(heads(&opened), [Kind::PeriodicDialogue, Kind::ReportHalfYear, Kind::ReportYear]);

    // R6.2: a periodic conference the head answered for meets the year's dialogue.
    f.end(&conference(Regime::Periodic, &head, "2026-03-10T05:00:00Z")).await;
    let dialogue = of_head(&head, Kind::PeriodicDialogue);
    let held = f.until("the dialogue held", &dialogue, |o| state(&o[0]) == State::MetOnTime).await.remove(0);
    assert_eq!(held.met_on, "2026-03-10");

    // R13.1: the district's office files the half-year report, once.
    let file = |request_id: &str, filed_on: &str| FileReportRequest {
        head_position_id: head.clone(),
        kind: Kind::ReportHalfYear as i32,
        year: 2026,
        filed_on: filed_on.into(),
        request_id: request_id.into(),
    };
    let call = |request: FileReportRequest, token: &str| {
        let (mut client, request) = (f.client(), authorized(request, token));
        async move { client.file_report(request).await }
    };
    let (office, front, elsewhere) =
        (token("323", &[Role::Office]), token("323", &[Role::Front]), token("325", &[Role::Office]));
    refused(call(file("h1", "2026-07-01"), &front).await, Code::PermissionDenied, "ROLE_REQUIRED");
    refused(call(file("h1", "2026-07-01"), &elsewhere).await, Code::PermissionDenied, "OUT_OF_SCOPE");
    refused(call(file("h1", "2026-07-02"), &office).await, Code::InvalidArgument, "DATE_IN_THE_FUTURE");
    let filed = call(file("h1", "2026-07-01"), &office).await.unwrap().into_inner();
    assert_eq!((Kind::try_from(filed.kind).unwrap(), state(&filed)), (Kind::ReportHalfYear, State::MetOnTime));
    assert_eq!((filed.met_on.as_str(), filed.head_position_id.as_str()), ("2026-07-01", head.as_str()));
    // A retry returns the first result; the same id for another request, or filing again, is refused.
    assert_eq!(call(file("h1", "2026-07-01"), &office).await.unwrap().into_inner(), filed);
    refused(call(file("h1", "2026-06-30"), &office).await, Code::InvalidArgument, "INVALID_ARGUMENT");
    refused(call(file("h1-again", "2026-07-01"), &office).await, Code::FailedPrecondition, "R13.1");
    let not_owed = FileReportRequest { year: 2025, ..file("", "2026-07-01") };
    refused(call(not_owed, &office).await, Code::NotFound, "NOT_FOUND");
    assert_eq!(f.obligations(&of_head(&head, Kind::ReportHalfYear)).await, [filed]);
    // A head files their own report, never another head's.
    let year = |request_id: &str| FileReportRequest { kind: Kind::ReportYear as i32, ..file(request_id, "2026-07-01") };
    let deputy_host = token_for("phobithu-323", "323", &[Role::Host]);
    refused(call(year("y1"), &deputy_host).await, Code::PermissionDenied, "NOT_YOUR_POST");
    let own = call(year("y1"), &token_for("bithu-323", "323", &[Role::Host])).await.unwrap().into_inner();
    assert_eq!((Kind::try_from(own.kind).unwrap(), state(&own)), (Kind::ReportYear, State::MetOnTime));
    f.finish().await;
}

const DAY_OFF: &str = r#"
[[announcement]]
id = "test-day-off"
document = "Thông báo (kiểm thử)"
issued = "2026-03-05"
issuer = "Bộ Nội vụ"
source = "test"
replaces = []
days_off = [{ date = "2026-03-18", name = "Ngày nghỉ (kiểm thử)", name_en = "Day off (test)" }]
"#;

#[tokio::test]
async fn load_announcement_only_by_the_root_admin_and_open_obligations_move_with_it() {
    let mut f = Fixture::start("2026-03-10T06:00:00Z").await;
    let ended = conference(Regime::Regular, "", "2026-03-10T05:00:00Z");
    f.end(&ended).await;
    let notices = ListObligationsRequest { conference_id: ended.id.clone(), ..list("33", Kind::ConclusionNotice) };
    let before = f.until("the R10.2 obligation", &notices, |o| o.len() == 1).await.remove(0);
    assert_eq!(before.due_date, due("2026-03-10", 10));

    let load = |toml: &str, token: &str| {
        let (mut client, request) = (f.client(), authorized(LoadAnnouncementRequest { toml: toml.into() }, token));
        async move { client.load_announcement(request).await }
    };
    for (unit, role) in [("323", Role::Admin), ("33", Role::Office)] {
        refused(load(DAY_OFF, &token(unit, &[role])).await, Code::PermissionDenied, "ROOT_ADMIN_REQUIRED");
    }
    let admin = token("33", &[Role::Admin]);
    for malformed in ["", "[[announcement]", "[[announcement]]\nid = \"x\"", "days_off = 3"] {
        refused(load(malformed, &admin).await, Code::InvalidArgument, "INVALID_ANNOUNCEMENT");
    }
    let loaded = load(DAY_OFF, &admin).await.unwrap().into_inner();
    let calendar = Calendar::builtin().with_announcements(DAY_OFF).unwrap();
    assert_eq!(
        (loaded.revision.as_str(), loaded.rescheduled, loaded.changed),
        (calendar.revision().id.as_str(), 1, true)
    );
    refused(load(DAY_OFF, &admin).await, Code::InvalidArgument, "INVALID_ANNOUNCEMENT");

    // The open obligation moves a day, explained, with the new revision.
    let moved = f.obligations(&notices).await.remove(0);
    let new_due = calendar.add_working_days(day("2026-03-10"), 10).unwrap().to_string();
    assert_eq!(
        (moved.due_date.as_str(), moved.calendar_revision.as_str()),
        (new_due.as_str(), loaded.revision.as_str())
    );
    assert!(moved.explanation.iter().any(|l| l.starts_with("2026-03-18")), "{:?}", moved.explanation);
    assert!(moved.explanation.last().unwrap().starts_with(&format!("moved from {}", before.due_date)));
    let rescheduled = f.published_until("deadline_rescheduled", |r: &[DeadlineRescheduled]| !r.is_empty()).await;
    let previous = (rescheduled[0].previous_due_date.as_str(), rescheduled[0].previous_calendar_revision.as_str());
    assert_eq!((rescheduled.len(), previous), (1, (before.due_date.as_str(), before.calendar_revision.as_str())));

    // After a restart the service computes with the loaded calendar still.
    f.restart("2026-03-17T06:00:00Z").await;
    let later = conference(Regime::Regular, "", "2026-03-17T05:00:00Z");
    f.end(&later).await;
    let request = ListObligationsRequest { conference_id: later.id.clone(), ..list("33", Kind::ConclusionNotice) };
    let opened = f.until("the second R10.2 obligation", &request, |o| o.len() == 1).await.remove(0);
    let expected = calendar.add_working_days(day("2026-03-17"), 10).unwrap().to_string();
    assert_ne!(expected, due("2026-03-17", 10));
    assert_eq!((opened.due_date, opened.calendar_revision), (expected, loaded.revision));
    f.finish().await;
}

#[tokio::test]
async fn reports_and_scope_of_a_districts_obligations() {
    let f = Fixture::start("2026-07-01T02:00:00Z").await;
    let (agency, answered, assigned, referred) = (id(), id(), id(), id());
    let ended = f.ended_and_noticed(&[(&assigned, &agency)]).await;
    // The answer heard before the petition's record (as when the record's
    // first delivery failed): it waits for the record, and counts.
    let answer =
        PetitionAnswered { conference_id: ended.id.clone(), petition_id: answered.clone(), ..Default::default() };
    f.minutes("petition_answered", &answered, &answer, "2026-03-10").await;
    let raised = [
        (&answered, Field::EconomyAndSociety, Classification::Petition),
        (&assigned, Field::EconomyAndSociety, Classification::Petition),
        (&referred, Field::SocialOrderAndSafety, Classification::Feedback),
    ];
    for (petition, field, classification) in raised {
        let recorded = PetitionRecorded {
            conference_id: ended.id.clone(),
            petition_id: petition.clone(),
            classification: classification as i32,
            field: field as i32,
            unit_code: "323".into(),
            ..Default::default()
        };
        f.minutes("petition_recorded", petition, &recorded, "2026-03-10").await;
    }
    let referral = Some(Referral { receiving_body: "Ban Tiếp công dân".into(), referred_on: "2026-03-10".into() });
    let refer = PetitionReferred { conference_id: ended.id.clone(), petition_id: referred.clone(), referral };
    f.minutes("petition_referred", &referred, &refer, "2026-03-10").await;
    // Unanswered by 1 July: the agency's response is overdue.
    let responses = list("323", Kind::AgencyResponse);
    let overdue = f.until("overdue", &responses, |o| o.len() == 1 && state(&o[0]) == State::Overdue).await.remove(0);
    f.settled("minutes").await;

    let monitor = token("33", &[Role::Monitor]);
    let half_year = ReportRequest { unit_code: "323".into(), from: "2026-01-01".into(), to: "2026-06-30".into() };
    let report = f.client().get_report(authorized(half_year.clone(), &monitor)).await.unwrap().into_inner();
    let count = |key: &str, count: u32| Count { key: key.into(), count };
    assert_eq!((report.unit_code.as_str(), report.unit_name.as_str()), ("323", "Thành phố Hưng Yên"));
    assert_eq!(report.conferences_by_kind, [count("CONFERENCE_KIND_CITIZENS_DIRECT", 1)]);
    assert_eq!(report.conferences_by_regime, [count("REGIME_REGULAR", 1)]);
    let by_field = [count("FIELD_ECONOMY_AND_SOCIETY", 2), count("FIELD_SOCIAL_ORDER_AND_SAFETY", 1)];
    assert_eq!(report.petitions_by_field, by_field);
    let by_classification = [count("CLASSIFICATION_FEEDBACK", 1), count("CLASSIFICATION_PETITION", 2)];
    assert_eq!(report.petitions_by_classification, by_classification);
    let outcomes = (report.petitions_answered_at_conference, report.petitions_referred, report.petitions_escalated);
    assert_eq!(outcomes, (1, 1, 0));
    assert_eq!((report.notices_on_time, report.notices_late, report.notices_overdue), (1, 0, 0));
    assert_eq!((report.responses_on_time, report.responses_late, report.responses_overdue), (0, 0, 1));

    let render_by = |format: ReportFormat, body: Body| {
        let request =
            RenderReportRequest { report: Some(half_year.clone()), format: format as i32, issuing_body: body as i32 };
        let (mut client, request) = (f.client(), authorized(request, &monitor));
        async move { client.render_report(request).await.unwrap().into_inner() }
    };
    let render = |format: ReportFormat| render_by(format, Body::Unspecified);
    let csv = render(ReportFormat::Csv).await;
    assert_eq!(
        (csv.file_name.as_str(), csv.content_type.as_str()),
        ("bao-cao-323-2026-01-01-2026-06-30.csv", "text/csv; charset=utf-8")
    );
    let text = String::from_utf8(csv.content).unwrap();
    assert!(text.starts_with("section,key,count,unit\n"), "{text}");
    assert!(
        text.contains("conferences_by_kind,CONFERENCE_KIND_CITIZENS_DIRECT,1,\n")
            && text.contains("responses,overdue,1,\n")
            && text.contains("responses,overdue,1,323\n"),
        "{text}"
    );
    // The Party committee issues it unless asked otherwise, signed by its
    // head as the directory names them.
    let post = Position {
        id: id(),
        unit_code: "323".into(),
        body: Body::PartyCommittee as i32,
        rank: Rank::Head as i32,
        title: "Bí thư Thành ủy".into(),
        person_name: "Nguyễn Văn Thành".into(),
        term_start: "2020-10-01".into(),
        ..Default::default()
    };
    let upserted = PositionUpserted { position: Some(post.clone()), unit_path: district() };
    f.scheduling.publish(&Event::new("position_upserted", post.id.clone(), district(), &upserted)).await.unwrap();
    let mut words = String::new();
    for _ in 0..100 {
        let pdf = render(ReportFormat::Pdf).await;
        assert!(pdf.content.starts_with(b"%PDF") && pdf.content_type == "application/pdf", "{}", pdf.file_name);
        words = doithoai_documents::read::text_of(&pdf.content).unwrap();
        if words.contains("Nguyễn Văn Thành") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for expected in [
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "THÀNH ỦY HƯNG YÊN",
        "Số -BC/TU",
        "Hưng Yên, ngày 01 tháng 7 năm 2026",
        "từ ngày 01/01/2026 đến ngày 30/06/2026",
        "T/M BAN THƯỜNG VỤ BÍ THƯ Nguyễn Văn Thành",
        "Nơi nhận: - Ban Nội chính Tỉnh ủy; - Lưu: VT.",
    ] {
        assert!(words.contains(expected), "{expected:?} not in {words}");
    }
    assert!(!words.contains("CỘNG HÒA"), "a Party committee's report carries no State motto");
    // The People's Committee issues it in the State's format; its head is not in the directory.
    let state = render_by(ReportFormat::Pdf, Body::PeoplesCommittee).await;
    doithoai_documents::read::keep("state-report.pdf", &state.content);
    let words = doithoai_documents::read::text_of(&state.content).unwrap();
    for expected in [
        "ỦY BAN NHÂN DÂN THÀNH PHỐ HƯNG YÊN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: /BC-UBND",
        "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH",
    ] {
        assert!(words.contains(expected), "{expected:?} not in {words}");
    }
    assert!(!words.contains("Nguyễn Văn Thành"));
    let docx = render(ReportFormat::Docx).await;
    assert_eq!(docx.file_name, "bao-cao-323-2026-01-01-2026-06-30.docx");
    let paragraphs = doithoai_documents::read::docx_paragraphs(&docx.content).unwrap();
    assert!(paragraphs.iter().any(|p| p == "Nguyễn Văn Thành"), "{paragraphs:?}");
    assert!(paragraphs.iter().any(|p| p.contains("quá hạn chưa trả lời 1")), "the same figures");
    let printed = doithoai_documents::read::printed_text(&docx.content).unwrap();
    assert!(printed.contains("BÁO CÁO") && printed.contains("Nguyễn Văn Thành"), "LibreOffice prints it: {printed}");

    // Another district's official sees none of it; the district sees nothing above itself.
    let (outsider, own, mut client) = (token("325", &[Role::Monitor]), token("323", &[Role::Office]), f.client());
    let (summary, board) = (
        SummaryRequest { unit_code: "323".into(), ..Default::default() },
        LeaderboardRequest { unit_code: "323".into(), limit: 5 },
    );
    let get = GetObligationRequest { id: overdue.id.clone() };
    let out_of_scope = [
        client.list_obligations(authorized(list("323", Kind::Unspecified), &outsider)).await.map(drop),
        client.get_obligation(authorized(get, &outsider)).await.map(drop),
        client.get_report(authorized(half_year, &outsider)).await.map(drop),
        client.get_summary(authorized(summary, &outsider)).await.map(drop),
        client.get_overdue_leaderboard(authorized(board, &outsider)).await.map(drop),
        client.list_obligations(authorized(list("33", Kind::Unspecified), &own)).await.map(drop),
    ];
    for result in out_of_scope {
        refused(result, Code::PermissionDenied, "OUT_OF_SCOPE");
    }
    let listed = client.list_obligations(authorized(responses, &own)).await.unwrap().into_inner().obligations;
    assert_eq!(listed, [overdue]);
    let unknown = client.list_obligations(authorized(list("99999", Kind::Unspecified), &monitor)).await;
    refused(unknown, Code::NotFound, "NOT_FOUND");
    let unknown = SummaryRequest { unit_code: "99999".into(), ..Default::default() };
    refused(client.get_summary(authorized(unknown, &monitor)).await, Code::NotFound, "NOT_FOUND");
    // In scope with nothing to list: an empty page, not a refusal.
    let none = ListObligationsRequest { petition_id: id(), ..list("323", Kind::Unspecified) };
    assert_eq!(client.list_obligations(authorized(none, &own)).await.unwrap().into_inner().obligations, []);
    f.finish().await;
}

#[tokio::test]
async fn after_a_reorganisation_the_successor_owes_the_ended_units_work() {
    // 20 June 2025: district 323 still exists; its head owes the year's dialogue.
    let f = Fixture::start("2025-06-20T03:00:00Z").await;
    let head = id();
    let post = Position {
        id: head.clone(),
        unit_code: "323".into(),
        body: Body::PartyCommittee as i32,
        rank: Rank::Head as i32,
        title: "Bí thư Thành ủy".into(),
        term_start: "2020-10-01".into(),
        ..Default::default()
    };
    let upserted = PositionUpserted { position: Some(post.clone()), unit_path: district() };
    let event = Event::new("position_upserted", head.clone(), district(), &upserted);
    f.scheduling.publish_at(&event, at("2025-06-20T03:00:00Z")).await.unwrap();
    let dialogue = ListObligationsRequest { head_position_id: head.clone(), ..list("323", Kind::PeriodicDialogue) };
    f.until("the head's dialogue of 2025", &dialogue, |o| o.len() == 1).await;
    let reports = ListObligationsRequest { head_position_id: head.clone(), ..list("323", Kind::Unspecified) };
    f.until("the head's reports of 2025", &reports, |o| o.len() == 3).await;
    // A conference of 323 ended on 18 June: its notice is owed within 10 working days.
    f.end(&conference(Regime::Regular, &head, "2025-06-18T05:00:00Z")).await;
    let notices = list("33", Kind::ConclusionNotice);
    let owed = f.until("the R10.2 notice", &notices, |o| o.len() == 1).await.remove(0);
    assert_eq!(owed.unit_path, district());

    // The July 2025 merger: 323 ends on 30 June, succeeded by the province.
    // As scheduling does, the head's post ends with the district first.
    let ended = Position { term_end: "2025-06-30".into(), ..post };
    let upserted = PositionUpserted { position: Some(ended), unit_path: district() };
    f.scheduling.publish(&Event::new("position_upserted", head.clone(), district(), &upserted)).await.unwrap();
    let reorganised = UnitsReorganised {
        decision_number: "202/2025/QH15".into(),
        effective_date: "2025-07-01".into(),
        retired: vec![Succession { code: "323".into(), successor_codes: vec!["33".into()] }],
        created_codes: Vec::new(),
    };
    let event = Event::new("units_reorganised", "202/2025/QH15", vec!["33".to_owned()], &reorganised);
    f.scheduling.publish(&event).await.unwrap();
    f.scheduling.publish(&event).await.unwrap();
    f.settled("scheduling").await;

    // The notice is the province's now, due as before, and says why.
    let moved = f.obligations(&notices).await.remove(0);
    assert_eq!((moved.unit_path.clone(), moved.due_date.clone()), (vec!["33".to_owned()], owed.due_date.clone()));
    let why = "moved to 33: unit 323 ended on 2025-06-30 (202/2025/QH15)";
    assert_eq!(moved.explanation.iter().filter(|line| *line == why).count(), 1, "{:?}", moved.explanation);
    let in_323 = authorized(list("323", Kind::ConclusionNotice), &token("323", &[Role::Office]));
    assert!(f.client().list_obligations(in_323).await.unwrap().into_inner().obligations.is_empty());
    // The head's dialogue of the year the district ended is not owed.
    let cancelled = f.obligations(&dialogue).await.remove(0);
    assert_eq!(state(&cancelled), State::Cancelled);
    assert!(
        cancelled.cancel_reason.contains("unit 323 ended on 2025-06-30 (202/2025/QH15)"),
        "{}",
        cancelled.cancel_reason
    );
    // R13.1: the half-year the district lived through is reported; the year it did not, is not owed.
    let half_year =
        f.obligations(&ListObligationsRequest { kind: Kind::ReportHalfYear as i32, ..reports.clone() }).await;
    assert_eq!(state(&half_year[0]), State::Open);
    let year = f.obligations(&ListObligationsRequest { kind: Kind::ReportYear as i32, ..reports }).await.remove(0);
    assert_eq!(state(&year), State::Cancelled);
    assert_eq!(year.cancel_reason, "outside the head's term", "the post ended with the district");
    let published = f.published_until::<DeadlineCancelled>("deadline_cancelled", |p| p.len() >= 2).await;
    let ids: Vec<String> = published.iter().map(|c| c.obligation.clone().unwrap().id).collect();
    assert!(ids.contains(&cancelled.id) && ids.contains(&year.id), "both cancellations published: {ids:?}");
    assert_eq!(published.len(), 2, "and nothing else, once");
    f.finish().await;
}

#[tokio::test]
async fn r10_3_an_agencys_responses_pass_to_the_agency_that_succeeds_it() {
    let f = Fixture::start("2026-03-20T03:00:00Z").await;
    let (agency, other, successor, first, second, theirs) = (id(), id(), id(), id(), id(), id());
    let conference = f.ended_and_noticed(&[(&first, &agency), (&second, &agency), (&theirs, &other)]).await;
    let responses = ListObligationsRequest { conference_id: conference.id.clone(), ..list("33", Kind::AgencyResponse) };
    // The first is answered before the agency ends; the second is still owed.
    f.minutes("response_recorded", &first, &response(&conference, &first, &agency, "2026-03-25"), "2026-03-25").await;
    f.until("the first answered", &responses, |o| state(&of(o, &first)) == State::MetOnTime).await;
    let owed = of(&f.obligations(&responses).await, &second);

    // From 1 April the province's department does the district's agency's work.
    let organization = |id: &str, name: &str, unit: &str| Organization {
        id: id.into(),
        unit_code: unit.into(),
        name: name.into(),
        active: true,
        ..Default::default()
    };
    let ended = Organization {
        active: false,
        successor_id: successor.clone(),
        ended_on: "2026-03-31".into(),
        decision_number: "45/QĐ-UBND".into(),
        ..organization(&agency, "Phòng Tài nguyên và Môi trường", "323")
    };
    let succeeded = OrganizationSucceeded {
        organization: Some(ended),
        successor: Some(organization(&successor, "Sở Nông nghiệp và Môi trường", "33")),
        effective_date: "2026-04-01".into(),
        unit_path: district(),
    };
    let event = Event::new("organization_succeeded", agency.clone(), district(), &succeeded);
    for _ in 0..2 {
        f.scheduling.publish(&event).await.unwrap();
    }
    f.settled("scheduling").await;
    let moved = f.obligations(&responses).await;
    let passed = of(&moved, &second);
    assert_eq!(
        (passed.organization_id.as_str(), passed.due_date.as_str()),
        (successor.as_str(), owed.due_date.as_str())
    );
    let why = format!(
        "moved to Sở Nông nghiệp và Môi trường ({successor}): Phòng Tài nguyên và Môi trường ended on 2026-03-31 (45/QĐ-UBND)"
    );
    assert_eq!(passed.explanation.iter().filter(|line| **line == why).count(), 1, "{:?}", passed.explanation);
    assert_eq!(of(&moved, &first).organization_id, agency, "what was answered stays the agency's");
    assert_eq!(of(&moved, &theirs).organization_id, other, "another agency's work stays its own");

    // The successor's receipt and response close the clock it took over.
    f.minutes("notice_received", &second, &received(&conference, &second, &successor, "2026-04-02"), "2026-04-02")
        .await;
    f.until("re-anchored", &responses, |o| of(o, &second).anchor == "RECEIVED").await;
    f.minutes("response_recorded", &second, &response(&conference, &second, &successor, "2026-04-10"), "2026-04-10")
        .await;
    let closed = f.until("answered by the successor", &responses, |o| state(&of(o, &second)) == State::MetOnTime).await;
    assert_eq!(of(&closed, &second).met_on, "2026-04-10");
    f.finish().await;
}

/// Scheduling's UnitUpserted for a unit at `path`, with its life.
#[tokio::test]
async fn r10_3_a_successor_s_answer_heard_before_the_succession_still_closes_the_clock() {
    // Another stream brings the succession: the minutes service may let the
    // successor answer before this service has heard that it took over.
    let f = Fixture::start("2026-03-20T03:00:00Z").await;
    let (agency, successor, petition) = (id(), id(), id());
    let conference = f.ended_and_noticed(&[(&petition, &agency)]).await;
    let responses = ListObligationsRequest { conference_id: conference.id.clone(), ..list("33", Kind::AgencyResponse) };
    let receipt = received(&conference, &petition, &successor, "2026-03-23");
    f.minutes("notice_received", &petition, &receipt, "2026-03-23").await;
    f.until("re-anchored", &responses, |o| of(o, &petition).anchor == "RECEIVED").await;
    let answer = response(&conference, &petition, &successor, "2026-04-10");
    f.minutes("response_recorded", &petition, &answer, "2026-04-10").await;
    let closed =
        f.until("answered by the successor", &responses, |o| state(&of(o, &petition)) == State::MetOnTime).await;
    assert_eq!(
        (of(&closed, &petition).met_on.as_str(), of(&closed, &petition).organization_id.as_str()),
        ("2026-04-10", agency.as_str())
    );
    f.finish().await;
}

#[tokio::test]
async fn r10_3_a_notice_sent_after_the_unit_ended_is_owed_where_its_work_went() {
    // The city ended on 15 March; its conference of 10 March gets its notice on 20 March.
    let f = Fixture::start("2026-03-20T03:00:00Z").await;
    publish_unit(&f, &["33", "323"], Tier::District, ("2026-03-15", &["33"], &[])).await;
    f.settled("scheduling").await;
    let (agency, petition) = (id(), id());
    let conference = f.ended_and_noticed(&[(&petition, &agency)]).await;
    let responses = ListObligationsRequest { conference_id: conference.id.clone(), ..list("33", Kind::AgencyResponse) };
    let owed = of(&f.obligations(&responses).await, &petition);
    assert_eq!(owed.unit_path, ["33"], "the province owes what the city left");
    assert_eq!(owed.explanation.last().map(String::as_str), Some("owed by 33: unit 323 ended on 2026-03-15"));
    f.finish().await;
}

async fn publish_unit(f: &Fixture, path: &[&str], tier: Tier, life: (&str, &[&str], &[&str])) {
    let (valid_to, successors, legacy) = life;
    let path: Vec<String> = path.iter().map(|c| c.to_string()).collect();
    let code = path.last().unwrap().clone();
    let unit = Unit {
        code: code.clone(),
        name: format!("Đơn vị {code}"),
        tier: tier as i32,
        parent_code: if path.len() > 1 { path[path.len() - 2].clone() } else { String::new() },
        kind: "Xã".into(),
        path: path.clone(),
        legacy_codes: legacy.iter().map(|c| c.to_string()).collect(),
        valid_to: valid_to.into(),
        successor_codes: successors.iter().map(|c| c.to_string()).collect(),
        ..Unit::default()
    };
    let event = Event::new("unit_upserted", code, path, &UnitUpserted { unit: Some(unit) });
    f.scheduling.publish(&event).await.unwrap();
}

#[tokio::test]
async fn a_report_across_the_july_2025_merger_counts_each_unit_while_it_lived() {
    let f = Fixture::start("2025-12-31T03:00:00Z").await;
    // Before: communes 11953 and 11956 under district 323; Thái Bình (34) with
    // district 336 and its commune 12454.
    let alive: (&str, &[&str], &[&str]) = ("", &[], &[]);
    publish_unit(&f, &["33", "323", "11953"], Tier::Commune, alive).await;
    publish_unit(&f, &["33", "323", "11956"], Tier::Commune, alive).await;
    publish_unit(&f, &["34"], Tier::Province, alive).await;
    publish_unit(&f, &["34", "336"], Tier::District, alive).await;
    publish_unit(&f, &["34", "336", "12454"], Tier::Commune, alive).await;
    f.settled("scheduling").await;
    let held = |path: &[&str], ended: &str| Conference {
        unit_code: path.last().unwrap().to_string(),
        unit_path: path.iter().map(|c| c.to_string()).collect(),
        ..conference(Regime::Regular, "", ended)
    };
    // The first half, on three tiers; Thái Bình's commune in its own province.
    for (path, ended) in [
        (&["33", "323"][..], "2025-03-10T05:00:00Z"),
        (&["33"], "2025-04-15T05:00:00Z"),
        (&["33", "323", "11953"], "2025-05-06T05:00:00Z"),
        (&["34", "336", "12454"], "2025-05-20T05:00:00Z"),
    ] {
        f.end(&held(path, ended)).await;
    }
    f.settled("scheduling").await;

    // 1 July: 323, 11956, 336 and 34 end; 11953 and 12454 go on under the province.
    publish_unit(&f, &["33", "11953"], Tier::Commune, ("", &[], &["11956"])).await;
    publish_unit(&f, &["33", "12454"], Tier::Commune, ("", &[], &["12451"])).await;
    publish_unit(&f, &["33", "323"], Tier::District, ("2025-06-30", &["33"], &[])).await;
    publish_unit(&f, &["33", "323", "11956"], Tier::Commune, ("2025-06-30", &["11953"], &[])).await;
    publish_unit(&f, &["34", "336"], Tier::District, ("2025-06-30", &["33"], &[])).await;
    publish_unit(&f, &["34"], Tier::Province, ("2025-06-30", &["33"], &[])).await;
    let retired = [("323", "33"), ("11956", "11953"), ("336", "33"), ("34", "33")]
        .map(|(code, to)| Succession { code: code.into(), successor_codes: vec![to.into()] });
    let reorganised = UnitsReorganised {
        decision_number: "202/2025/QH15".into(),
        effective_date: "2025-07-01".into(),
        retired: retired.to_vec(),
        created_codes: Vec::new(),
    };
    f.scheduling
        .publish(&Event::new("units_reorganised", "202/2025/QH15", vec!["33".into()], &reorganised))
        .await
        .unwrap();
    // The second half, on two tiers.
    for (path, ended) in [
        (&["33", "11953"][..], "2025-09-09T05:00:00Z"),
        (&["33", "12454"], "2025-10-14T05:00:00Z"),
        (&["33"], "2025-11-11T05:00:00Z"),
    ] {
        f.end(&held(path, ended)).await;
    }
    f.settled("scheduling").await;

    // Thái Bình's commune's notice, unissued on 1 July, followed it under the province.
    let notices = list("12454", Kind::ConclusionNotice);
    let owed = f.until("both of 12454's notices", &notices, |o| o.len() == 2).await;
    assert!(owed.iter().all(|o| o.unit_path == ["33", "12454"]), "{owed:?}");
    let moved = owed.iter().find(|o| o.anchor_date == "2025-05-20").unwrap();
    assert_eq!(moved.explanation.last().unwrap(), "unit 12454 is under 33 from 2025-07-01 (202/2025/QH15)");

    // Every notice is overdue on 31 December: each counts where its work stood, once.
    let all = list("33", Kind::ConclusionNotice);
    f.until("seven notices overdue", &all, |o| o.len() == 7 && o.iter().all(|o| state(o) == State::Overdue)).await;
    let request = ReportRequest { unit_code: "33".into(), from: "2025-01-01".into(), to: "2025-12-31".into() };
    let report = f.client().get_report(authorized(request, &token("33", &[Role::Monitor]))).await.unwrap().into_inner();
    let held_in = |code: &str| {
        let part = report.parts.iter().find(|p| p.unit_code == code).unwrap();
        let figures = part.figures.clone().unwrap();
        (figures.conferences_by_kind.iter().map(|c| c.count).sum::<u32>(), figures.notices_overdue)
    };
    // By hand: the province itself held 2 (April, November) and owes their 2
    // notices; the district, until 30 June, 2 (its own, and 11953's in May),
    // with 1 notice left at the district and 11953's gone along with it; 11953
    // and 12454 from 1 July, 1 each, with 12454's May notice from Thái Bình.
    let codes: Vec<&str> = report.parts.iter().map(|p| p.unit_code.as_str()).collect();
    assert_eq!(codes, ["33", "11953", "12454", "323", "325"], "the province first, then each unit that lived");
    assert_eq!(held_in("33"), (2, 2 + 1), "the district's own notice passed to the province on 1 July");
    assert_eq!(held_in("323"), (2, 0));
    assert_eq!(held_in("11953"), (1, 2), "its May notice went along with it");
    assert_eq!(held_in("12454"), (1, 2));
    assert_eq!(held_in("325"), (0, 0));
    let whole = (report.conferences_by_kind.iter().map(|c| c.count).sum::<u32>(), report.notices_overdue);
    assert_eq!(whole, (6, 7), "the parts add up; Thái Bình's May conference was not the province's");
    let district = report.parts.iter().find(|p| p.unit_code == "323").unwrap();
    assert_eq!((district.ended_on.as_str(), district.successor_codes.clone()), ("2025-06-30", vec!["33".to_owned()]));
    let commune = report.parts.iter().find(|p| p.unit_code == "11953").unwrap();
    assert_eq!((commune.ended_on.as_str(), commune.formed_from.clone()), ("", vec!["11956".to_owned()]));
    // The first half: three conferences of its own units; the communes now
    // under the province are listed, with the open notices that followed them.
    let request = ReportRequest { unit_code: "33".into(), from: "2025-01-01".into(), to: "2025-06-30".into() };
    let first = f.client().get_report(authorized(request, &token("33", &[Role::Monitor]))).await.unwrap().into_inner();
    let codes: Vec<&str> = first.parts.iter().map(|p| p.unit_code.as_str()).collect();
    assert_eq!(codes, ["33", "11953", "12454", "323", "325"]);
    assert_eq!(first.conferences_by_kind.iter().map(|c| c.count).sum::<u32>(), 3);
    f.finish().await;
}
