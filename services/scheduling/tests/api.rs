//! The scheduling service alone, through its gRPC API and its public feed:
//! the unit directory, posts, annual plans and conferences, each rule
//! accepted and refused, and the events it publishes for the other services.
//! Each test starts a private NATS, a fresh database and the service in-process.
#![allow(clippy::unwrap_used)]

use std::{collections::HashSet, net::SocketAddr, time::Duration};

use chrono::{DateTime, Utc};
use doithoai_directory::units::wire_row;
use doithoai_proto::{
    common::v1::{EventEnvelope, Tier},
    directory::v1::{
        GetUnitRequest, ImportUnitsRequest, ImportUnitsResponse, UnitRow, UnitUpserted,
        unit_directory_client::UnitDirectoryClient,
    },
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AnnualPlan, AnnualPlanSet, AssignSecretaryRequest, Body, Conference,
        ConferenceAnnounced, ConferenceCancelled, ConferenceDraft, ConferenceEnded, ConferenceExtended, ConferenceKind,
        ConferencePostponed, ConferenceRef, ConferenceStarted, ConferenceState, CoordinationRequested,
        CreateConferenceRequest, CreateOrganizationRequest, CreatePositionRequest, ExtendConferenceRequest, Form,
        GetAnnualPlanRequest, ListPositionsRequest, Organization, OrganizationKind, OrganizationSucceeded,
        OrganizationUpserted, PlannedConference, Position, PositionUpserted, PostponeConferenceRequest, Rank,
        ReasonRequest, Regime, SucceedOrganizationRequest, UpdateOrganizationRequest,
        conferences_client::ConferencesClient, directory_client::DirectoryClient, plans_client::PlansClient,
    },
};
use doithoai_runtime::{
    Clock, Role, RunningService,
    events::decode_payload,
    testsuite::{self, TestNats, authorized, eventually, token, token_for},
    time::timestamp,
};
use prost::{Message, Name};
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;

/// Monday 2 March 2026, 08:00 in Hà Nội.
const NOW: &str = "2026-03-02T01:00:00Z";
/// Tuesday 10 March 2026, 09:00 in Hà Nội: eight days ahead.
const CONFERENCE_DAY: &str = "2026-03-10T02:00:00Z";
const UNITS: &str = "hung-yen-2020.csv";
const WAIT: Duration = Duration::from_secs(30);

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The code and the reason (google.rpc ErrorInfo) of a refusal.
fn refusal(status: &Status) -> (Code, String) {
    (status.code(), status.get_details_error_info().map(|info| info.reason).unwrap_or_default())
}

fn rule(reason: &str) -> (Code, String) {
    (Code::FailedPrecondition, reason.into())
}

fn denied(reason: &str) -> (Code, String) {
    (Code::PermissionDenied, reason.into())
}

/// The field a bad request names first.
fn field(status: &Status) -> String {
    status.get_details_bad_request().unwrap().field_violations[0].field.clone()
}

fn payload<M: Message + Name + Default>(envelope: &EventEnvelope) -> M {
    decode_payload::<M>(envelope).unwrap().unwrap_or_else(|| panic!("not a {}: {envelope:?}", M::full_name()))
}

fn read_rows(file: &str) -> Vec<UnitRow> {
    let path = testsuite::repo_root().join("deploy/data/units").join(file);
    doithoai_units::read_units_csv(std::fs::File::open(path).unwrap()).unwrap().into_iter().map(wire_row).collect()
}

fn position(unit: &str, body: Body, rank: Rank, subject: &str, term_start: &str) -> Position {
    Position {
        unit_code: unit.into(),
        body: body as i32,
        rank: rank as i32,
        title: format!("{} {}", body.as_str_name(), rank.as_str_name()),
        person_name: format!("Người giữ chức {subject}"),
        subject: subject.into(),
        term_start: term_start.into(),
        ..Default::default()
    }
}

/// The posts of [`Fixture::with_posts`].
struct Posts {
    /// Bí thư Thành ủy 323 (`bithu-323`) and a deputy (`phobithu-323`).
    bithu: Position,
    phobithu: Position,
    /// Chủ tịch UBND of 323 (`chutich-323`) and of the province (`chutich-33`).
    chutich: Position,
    chutich_33: Position,
}

struct Fixture {
    nats: TestNats,
    database: String,
    service: RunningService,
    clock: Clock,
    channel: Channel,
    admin: String,
    office_33: String,
    office_323: String,
}

impl Fixture {
    /// The service alone, with an empty directory, its clock on [`NOW`].
    async fn start() -> Self {
        doithoai_runtime::telemetry::init_for_tests();
        let nats = TestNats::start().await.unwrap();
        let database = testsuite::unique_database("scheduling");
        let clock = Clock::fixed(at(NOW));
        let service =
            doithoai_scheduling::start(testsuite::settings(&database, &nats.url()), clock.clone()).await.unwrap();
        let channel = Channel::from_shared(format!("http://{}", service.grpc_addr)).unwrap().connect().await.unwrap();
        Self {
            nats,
            database,
            service,
            clock,
            channel,
            admin: token("33", &[Role::Admin]),
            office_33: token("33", &[Role::Office]),
            office_323: token("323", &[Role::Office]),
        }
    }

    /// With Hưng Yên's units of 2020 imported.
    async fn with_units() -> Self {
        let f = Self::start().await;
        f.import(read_rows(UNITS), &f.admin).await.unwrap();
        f
    }

    /// With the units and the district's and the province's heads.
    async fn with_posts() -> (Self, Posts) {
        let f = Self::with_units().await;
        let create = async |p: Position| f.create_position(p, "", &f.office_33).await.unwrap();
        let posts = Posts {
            bithu: create(position("323", Body::PartyCommittee, Rank::Head, "bithu-323", "2020-10-01")).await,
            phobithu: create(position("323", Body::PartyCommittee, Rank::Deputy, "phobithu-323", "2020-10-01")).await,
            chutich: create(position("323", Body::PeoplesCommittee, Rank::Head, "chutich-323", "2021-06-01")).await,
            chutich_33: create(position("33", Body::PeoplesCommittee, Rank::Head, "chutich-33", "2021-06-01")).await,
        };
        (f, posts)
    }

    async fn finish(mut self) {
        self.service.stop().await.unwrap();
        testsuite::drop_database(&self.database).await.unwrap();
        self.nats.stop().await;
    }

    fn units(&self) -> UnitDirectoryClient<Channel> {
        UnitDirectoryClient::new(self.channel.clone())
    }

    fn directory(&self) -> DirectoryClient<Channel> {
        DirectoryClient::new(self.channel.clone())
    }

    fn plans(&self) -> PlansClient<Channel> {
        PlansClient::new(self.channel.clone())
    }

    fn conferences(&self) -> ConferencesClient<Channel> {
        ConferencesClient::new(self.channel.clone())
    }

    /// Streams the rows in chunks of 50, as the command-line importer does.
    async fn import(&self, rows: Vec<UnitRow>, token: &str) -> Result<ImportUnitsResponse, Status> {
        let chunks: Vec<_> = rows.chunks(50).map(|c| ImportUnitsRequest { rows: c.to_vec() }).collect();
        let request = authorized(tokio_stream::iter(chunks), token);
        Ok(self.units().import_units(request).await?.into_inner())
    }

    async fn create_position(&self, position: Position, request_id: &str, token: &str) -> Result<Position, Status> {
        let request = CreatePositionRequest { position: Some(position), request_id: request_id.into() };
        Ok(self.directory().create_position(authorized(request, token)).await?.into_inner())
    }

    fn draft(&self, host: &Position, starts_at: &str) -> ConferenceDraft {
        ConferenceDraft {
            unit_code: host.unit_code.clone(),
            body: host.body,
            host_position_id: host.id.clone(),
            regime: Regime::Periodic as i32,
            kind: ConferenceKind::CitizensDirect as i32,
            form: Form::InPerson as i32,
            venue_unit_code: host.unit_code.clone(),
            venue_address: "Hội trường".into(),
            theme: "Giải phóng mặt bằng".into(),
            agenda: vec![AgendaItem { title: "Bồi thường".into(), field: 1, ..Default::default() }],
            starts_at: Some(timestamp(at(starts_at))),
            planned_minutes: 180,
            ..Default::default()
        }
    }

    async fn create(&self, draft: ConferenceDraft, token: &str) -> Result<Conference, Status> {
        let request = CreateConferenceRequest { draft: Some(draft), ..Default::default() };
        Ok(self.conferences().create_conference(authorized(request, token)).await?.into_inner())
    }

    async fn announce(&self, id: &str, publication_date: &str) -> Result<Conference, Status> {
        let request = AnnounceConferenceRequest {
            id: id.into(),
            media_channel: "Báo Hưng Yên".into(),
            publication_date: publication_date.into(),
        };
        Ok(self.conferences().announce_conference(authorized(request, &self.office_33)).await?.into_inner())
    }

    async fn assign_secretary(&self, id: &str) {
        let request = AssignSecretaryRequest {
            id: id.into(),
            secretary_subject: "thuky-323".into(),
            secretary_name: "Lê Thị Thư Ký".into(),
        };
        self.conferences().assign_secretary(authorized(request, &self.office_323)).await.unwrap();
    }

    /// Every event on the service's stream, in order, with its subject.
    async fn events(&self) -> Vec<(String, EventEnvelope)> {
        let js = async_nats::jetstream::new(async_nats::connect(self.nats.url()).await.unwrap());
        let Ok(mut stream) = js.get_stream("DOITHOAI_SCHEDULING").await else { return Vec::new() };
        let last = stream.info().await.unwrap().state.last_sequence;
        let mut events = Vec::new();
        for sequence in 1..=last {
            let message = stream.get_raw_message(sequence).await.unwrap();
            events.push((message.subject.to_string(), EventEnvelope::decode(message.payload).unwrap()));
        }
        events
    }

    /// The events of one kind (`unit_upserted`), once at least `count` are published.
    async fn published(&self, kind: &str, count: usize) -> Vec<(String, EventEnvelope)> {
        let prefix = format!("doithoai.scheduling.{kind}.");
        eventually(WAIT, &format!("{count} {kind} event(s)"), || async {
            let events: Vec<_> = self.events().await.into_iter().filter(|(s, _)| s.starts_with(&prefix)).collect();
            (events.len() >= count).then_some(events)
        })
        .await
    }

    /// The public feed of a unit's subtree as JSON (`/public/units/<code>.json`).
    async fn feed(&self, code: &str) -> Vec<serde_json::Value> {
        let response = http_get(self.service.public_addr.unwrap(), &format!("/public/units/{code}.json")).await;
        let (_, body) = response.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }
}

/// A plain HTTP/1.1 GET that must answer 200: the whole response.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}

fn ids(feed: &[serde_json::Value]) -> Vec<&str> {
    feed.iter().map(|c| c["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_directory_publishes_each_changed_unit_once_and_refuses_a_bad_batch_whole() {
    let f = Fixture::start().await;
    let rows = read_rows(UNITS);
    let imported = f.import(rows.clone(), &f.admin).await.unwrap();
    assert_eq!((imported.received, imported.created), (rows.len() as u32, rows.len() as u32));

    // One UnitUpserted per unit, on the subject of the unit's own path.
    let events = f.published("unit_upserted", rows.len()).await;
    let mut codes = HashSet::new();
    for (subject, envelope) in &events {
        let unit = payload::<UnitUpserted>(envelope).unit.unwrap();
        assert_eq!(subject, &format!("doithoai.scheduling.unit_upserted.{}", unit.path.join(".")));
        assert_eq!((unit.path.last(), &envelope.unit_path), (Some(&unit.code), &unit.path));
        assert!(codes.insert(unit.code.clone()), "{} published twice", unit.code);
    }
    assert_eq!(codes.len(), rows.len());
    let lam_son = events.iter().find(|(s, _)| s == "doithoai.scheduling.unit_upserted.33.323.11950").unwrap();
    let lam_son = payload::<UnitUpserted>(&lam_son.1).unit.unwrap();
    assert_eq!((lam_son.name.as_str(), lam_son.parent_code.as_str()), ("Phường Lam Sơn", "323"));

    // The same list again changes nothing.
    let again = f.import(rows.clone(), &f.admin).await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, rows.len() as u32));

    // A row under an unknown parent refuses the whole batch, naming its line.
    let row = |line, code: &str, parent: &str| UnitRow {
        line,
        code: code.into(),
        name: format!("Xã Thử {code}"),
        tier: Tier::Commune as i32,
        parent_code: parent.into(),
        kind: "Xã".into(),
        ..Default::default()
    };
    let refused = f.import(vec![row(2, "99990", "323"), row(3, "99991", "999")], &f.admin).await.unwrap_err();
    assert_eq!(refusal(&refused), (Code::InvalidArgument, "INVALID_UNIT_IMPORT".into()));
    assert!(refused.message().contains("line 3"), "{refused:?}");
    assert_eq!(field(&refused), "rows[line 3].parent_code");
    let valid_row = f.units().get_unit(authorized(GetUnitRequest { code: "99990".into() }, &f.admin)).await;
    assert_eq!(valid_row.unwrap_err().code(), Code::NotFound, "nothing of the batch was stored");

    // A real change is published, and it is the only event since the first import.
    let mut renamed = rows.iter().find(|r| r.code == "11950").unwrap().clone();
    renamed.name = "Phường Lam Sơn mới".into();
    assert_eq!(f.import(vec![renamed], &f.admin).await.unwrap().updated, 1);
    let events = f.published("unit_upserted", rows.len() + 1).await;
    assert_eq!(events.len(), rows.len() + 1, "the repeated list and the refused batch published nothing");
    let (subject, last) = events.last().unwrap();
    assert_eq!(subject, "doithoai.scheduling.unit_upserted.33.323.11950");
    assert_eq!(payload::<UnitUpserted>(last).unit.unwrap().name, "Phường Lam Sơn mới");
    f.finish().await;
}

#[tokio::test]
async fn posts_keep_one_head_per_body_stay_in_scope_and_are_published_once() {
    let f = Fixture::with_units().await;
    let office_325 = token("325", &[Role::Office]);
    let head = position("323", Body::PartyCommittee, Rank::Head, "bithu-323", "2020-10-01");
    let created = f.create_position(head.clone(), "post-bithu-323", &f.office_323).await.unwrap();
    assert_eq!((created.rank, created.subject.as_str()), (Rank::Head as i32, "bithu-323"));
    let replayed = f.create_position(head, "post-bithu-323", &f.office_323).await.unwrap();
    assert_eq!(replayed, created, "a retry returns the first post");
    let other = position("323", Body::PeoplesCouncil, Rank::Head, "chutich-hdnd-323", "2021-06-01");
    let reused = f.create_position(other, "post-bithu-323", &f.office_323).await.unwrap_err();
    assert_eq!(
        (refusal(&reused), field(&reused)),
        ((Code::InvalidArgument, "INVALID_ARGUMENT".into()), "request_id".into())
    );

    // R2.1: one head of a body at a time; deputies may be many.
    let rival = position("323", Body::PartyCommittee, Rank::Head, "other-323", "2025-01-01");
    assert_eq!(refusal(&f.create_position(rival, "", &f.office_323).await.unwrap_err()), rule("R2.1"));
    let deputy = position("323", Body::PartyCommittee, Rank::Deputy, "phobithu-323", "2020-10-01");
    let deputy = f.create_position(deputy, "", &f.office_323).await.unwrap();
    let outsider = position("323", Body::PartyCommittee, Rank::Deputy, "x", "2020-10-01");
    assert_eq!(refusal(&f.create_position(outsider, "", &office_325).await.unwrap_err()), denied("OUT_OF_SCOPE"));
    let list =
        ListPositionsRequest { unit_code: "323".into(), body: Body::PartyCommittee as i32, ..Default::default() };
    let listed = f.directory().list_positions(authorized(list, &f.office_323)).await.unwrap().into_inner();
    let listed: Vec<_> = listed.positions.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(listed.len(), 2, "the head once and the deputy: {listed:?}");
    assert!(listed.contains(&created.id.as_str()) && listed.contains(&deputy.id.as_str()));

    // Offices and agencies.
    let agency = Organization {
        unit_code: "323".into(),
        kind: OrganizationKind::Department as i32,
        name: "Phòng Tài nguyên và Môi trường".into(),
        ..Default::default()
    };
    let create = CreateOrganizationRequest { organization: Some(agency), ..Default::default() };
    let agency = f.directory().create_organization(authorized(create, &f.office_323)).await.unwrap().into_inner();
    assert!(agency.active, "a new organization is active");
    let merged =
        Organization { name: "Phòng Nông nghiệp và Môi trường".into(), active: false, ..agency.clone() };
    let update =
        |o: &Organization, token: &str| authorized(UpdateOrganizationRequest { organization: Some(o.clone()) }, token);
    let refused = f.directory().update_organization(update(&merged, &office_325)).await.unwrap_err();
    assert_eq!(refusal(&refused), denied("OUT_OF_SCOPE"));
    let updated = f.directory().update_organization(update(&merged, &f.office_323)).await.unwrap().into_inner();
    assert_eq!(updated, merged);

    // What the other services' replicas receive.
    let positions = f.published("position_upserted", 2).await;
    let published: Vec<_> = positions.iter().map(|(_, e)| payload::<PositionUpserted>(e)).collect();
    assert!(positions.iter().all(|(s, _)| s == "doithoai.scheduling.position_upserted.33.323"), "{positions:?}");
    assert!(published.iter().all(|p| p.unit_path == ["33", "323"]));
    let published: Vec<_> = published.into_iter().map(|p| p.position.unwrap()).collect();
    assert_eq!(published, [created, deputy], "each post once; the refused ones not at all");
    let organizations = f.published("organization_upserted", 2).await;
    assert!(organizations.iter().all(|(s, _)| s == "doithoai.scheduling.organization_upserted.33.323"));
    let published: Vec<_> =
        organizations.iter().map(|(_, e)| payload::<OrganizationUpserted>(e).organization.unwrap()).collect();
    assert_eq!(published, [agency, updated]);
    f.finish().await;
}

#[tokio::test]
async fn r11_1_the_annual_plan_names_the_units_heads_serving_in_its_year() {
    let (f, posts) = Fixture::with_posts().await;
    let former = position("323", Body::PeoplesCouncil, Rank::Head, "chutich-hdnd-cu", "2016-04-01");
    let former = Position { term_end: "2021-05-31".into(), ..former };
    let former = f.create_position(former, "", &f.office_323).await.unwrap();
    let item = |host: &Position| PlannedConference {
        host_position_id: host.id.clone(),
        regime: Regime::Periodic as i32,
        month: 3,
        theme: "Đối thoại định kỳ".into(),
    };
    let plan = |year, hosts: &[&Position]| AnnualPlan {
        unit_code: "323".into(),
        year,
        items: hosts.iter().map(|h| item(h)).collect(),
        ..Default::default()
    };
    let set = async |plan: AnnualPlan| {
        f.plans().set_annual_plan(authorized(plan, &f.office_323)).await.map(|r| r.into_inner())
    };
    let planned = plan(2026, &[&posts.bithu, &posts.chutich]);
    assert_eq!(set(planned.clone()).await.unwrap(), planned);

    // Only heads of the unit itself, serving in the plan's year.
    for not_a_head in [&posts.phobithu, &posts.chutich_33, &former] {
        let refused = set(plan(2026, &[&posts.bithu, not_a_head])).await.unwrap_err();
        assert_eq!(refusal(&refused), rule("R11.1"), "{}", not_a_head.subject);
    }
    let past = plan(2021, &[&former]);
    assert_eq!(set(past.clone()).await.unwrap(), past, "the former head served in 2021");
    let get = GetAnnualPlanRequest { unit_code: "323".into(), year: 2026 };
    let stored = f.plans().get_annual_plan(authorized(get, &f.office_323)).await.unwrap().into_inner();
    assert_eq!(stored, planned, "the refused plans replaced nothing");

    let events = f.published("annual_plan_set", 2).await;
    assert!(events.iter().all(|(s, _)| s == "doithoai.scheduling.annual_plan_set.33.323"), "{events:?}");
    let published: Vec<_> = events.iter().map(|(_, e)| payload::<AnnualPlanSet>(e).plan.unwrap()).collect();
    assert_eq!(published, [planned, past]);
    f.finish().await;
}

#[tokio::test]
async fn a_conference_is_hosted_by_the_head_announced_a_week_ahead_and_run_by_its_host() {
    let (f, posts) = Fixture::with_posts().await;
    let mut client = f.conferences();
    let reference = |id: &str, token: &str| authorized(ConferenceRef { id: id.into() }, token);

    // R2.1: a deputy does not host; R8.1: at most four hours; only in the office's own subtree.
    let by_deputy = f.draft(&posts.phobithu, CONFERENCE_DAY);
    assert_eq!(refusal(&f.create(by_deputy, &f.office_323).await.unwrap_err()), rule("R2.1"));
    let five_hours = ConferenceDraft { planned_minutes: 300, ..f.draft(&posts.bithu, CONFERENCE_DAY) };
    assert_eq!(refusal(&f.create(five_hours, &f.office_323).await.unwrap_err()), rule("R8.1"));
    let office_325 = token("325", &[Role::Office]);
    let refused = f.create(f.draft(&posts.bithu, CONFERENCE_DAY), &office_325).await.unwrap_err();
    assert_eq!(refusal(&refused), denied("OUT_OF_SCOPE"));

    // R7.3: the notice runs at least seven days before.
    let six_days = f.create(f.draft(&posts.bithu, "2026-03-08T02:00:00Z"), &f.office_323).await.unwrap();
    assert_eq!(refusal(&f.announce(&six_days.id, "2026-03-02").await.unwrap_err()), rule("R7.3"));
    let draft = f.create(f.draft(&posts.bithu, CONFERENCE_DAY), &f.office_323).await.unwrap();
    assert_eq!(draft.state, ConferenceState::Draft as i32);
    let announced = f.announce(&draft.id, "2026-03-02").await.unwrap();
    assert_eq!(announced.state, ConferenceState::Announced as i32);
    assert_eq!(announced.notice.as_ref().unwrap().publication_date, "2026-03-02");
    let events = f.published("conference_announced", 1).await;
    assert_eq!(events.len(), 1, "the refused notice published nothing");
    assert_eq!(events[0].0, "doithoai.scheduling.conference_announced.33.323");
    assert_eq!(payload::<ConferenceAnnounced>(&events[0].1).conference.unwrap(), announced);

    // The public feed lists the announced conference, in its unit and above, and not the draft.
    let feed = f.feed("323").await;
    assert_eq!(ids(&feed), [draft.id.as_str()]);
    assert_eq!(
        (feed[0]["state"].as_str(), feed[0]["theme"].as_str()),
        (Some("ANNOUNCED"), Some("Giải phóng mặt bằng"))
    );
    assert_eq!(feed[0]["notice"]["media_channel"], "Báo Hưng Yên");
    assert_eq!(ids(&f.feed("33").await), [draft.id.as_str()]);
    assert!(ids(&f.feed("325").await).is_empty());
    let calendar = http_get(f.service.public_addr.unwrap(), "/public/units/323.ics").await;
    assert!(calendar.contains(&format!("UID:{}@doithoai", draft.id)), "{calendar}");

    // R8.1: a secretary before it starts; and it starts on its day, not before.
    let host = token_for("bithu-323", "323", &[Role::Host]);
    assert_eq!(refusal(&client.start_conference(reference(&draft.id, &host)).await.unwrap_err()), rule("R8.1"));
    f.assign_secretary(&draft.id).await;
    assert_eq!(refusal(&client.start_conference(reference(&draft.id, &host)).await.unwrap_err()), rule("LIFECYCLE"));
    f.clock.set(at("2026-03-10T01:55:00Z"));
    let stranger = token_for("someone-else", "323", &[Role::Host]);
    let refused = client.start_conference(reference(&draft.id, &stranger)).await.unwrap_err();
    assert_eq!(refusal(&refused), denied("NOT_YOUR_CONFERENCE"), "a HOST of another post");
    let started = client.start_conference(reference(&draft.id, &host)).await.unwrap().into_inner();
    assert_eq!(started.state, ConferenceState::InProgress as i32);

    // R8.1: only the host extends, once, by at most an hour.
    let extend = |minutes, token: &str| authorized(ExtendConferenceRequest { id: draft.id.clone(), minutes }, token);
    let refused = client.extend_conference(extend(30, &f.office_323)).await.unwrap_err();
    assert_eq!(refusal(&refused), denied("NOT_YOUR_CONFERENCE"), "the host decides");
    assert_eq!(refusal(&client.extend_conference(extend(61, &host)).await.unwrap_err()), rule("R8.1"));
    let extended = client.extend_conference(extend(60, &host)).await.unwrap().into_inner();
    assert_eq!(extended.extension_minutes, 60);
    assert_eq!(refusal(&client.extend_conference(extend(10, &host)).await.unwrap_err()), rule("R8.1"), "only once");

    f.clock.set(at("2026-03-10T05:50:00Z"));
    let secretary = token_for("thuky-323", "323", &[Role::Secretary]);
    let ended = client.end_conference(reference(&draft.id, &secretary)).await.unwrap().into_inner();
    assert_eq!(ended.state, ConferenceState::Ended as i32);
    assert_eq!(ended.ended_at, Some(timestamp(at("2026-03-10T05:50:00Z"))));
    assert_eq!(refusal(&client.end_conference(reference(&draft.id, &secretary)).await.unwrap_err()), rule("LIFECYCLE"));

    // Each step published on the conference's unit, in order, with the conference as it became.
    f.published("conference_ended", 1).await;
    let steps: Vec<(String, Conference)> = f
        .events()
        .await
        .into_iter()
        .filter_map(|(s, e)| Some((s.strip_prefix("doithoai.scheduling.conference_")?.to_owned(), e)))
        .map(|(s, e)| {
            let conference = match s.split('.').next() {
                Some("announced") => payload::<ConferenceAnnounced>(&e).conference,
                Some("started") => payload::<ConferenceStarted>(&e).conference,
                Some("extended") => payload::<ConferenceExtended>(&e).conference,
                _ => payload::<ConferenceEnded>(&e).conference,
            };
            (s, conference.unwrap())
        })
        .collect();
    let subjects: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(subjects, ["announced.33.323", "started.33.323", "extended.33.323", "ended.33.323"]);
    let conferences: Vec<&Conference> = steps.iter().map(|(_, c)| c).collect();
    assert_eq!(conferences, [&announced, &started, &extended, &ended]);
    f.finish().await;
}

#[tokio::test]
async fn r4_2_a_venue_in_a_lower_unit_asks_each_unit_below_the_hosts_to_coordinate() {
    let (f, posts) = Fixture::with_posts().await;
    let mut draft = f.draft(&posts.chutich_33, CONFERENCE_DAY);
    draft.venue_unit_code = "11950".into();
    let conference = f.create(draft, &f.office_33).await.unwrap();
    assert_eq!(conference.coordinating_unit_codes, ["323", "11950"]);
    let announced = f.announce(&conference.id, "2026-03-02").await.unwrap();

    let events = f.published("coordination_requested", 2).await;
    let subjects: Vec<_> = events.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "doithoai.scheduling.coordination_requested.33.323",
            "doithoai.scheduling.coordination_requested.33.323.11950"
        ]
    );
    let requested: Vec<_> = events.iter().map(|(_, e)| payload::<CoordinationRequested>(e)).collect();
    assert_eq!(
        (requested[0].unit_code.as_str(), &requested[0].unit_path),
        ("323", &["33", "323"].map(String::from).to_vec())
    );
    assert_eq!(requested[1].unit_path, ["33", "323", "11950"]);
    assert!(requested.iter().all(|r| r.conference.as_ref() == Some(&announced)));
    assert_eq!(f.published("conference_announced", 1).await[0].0, "doithoai.scheduling.conference_announced.33");

    // The commune asked to coordinate reads the province's conference; its neighbour does not.
    let read = async |unit: &str| {
        let request = authorized(ConferenceRef { id: conference.id.clone() }, &token(unit, &[Role::Office]));
        f.conferences().get_conference(request).await
    };
    assert_eq!(read("11950").await.unwrap().into_inner().id, conference.id);
    assert_eq!(refusal(&read("11953").await.unwrap_err()), denied("OUT_OF_SCOPE"));

    // A district head holds dialogue in the district: not in another district's commune.
    let other_commune = read_rows(UNITS).into_iter().find(|r| r.parent_code == "325").unwrap().code;
    let outside = ConferenceDraft { venue_unit_code: other_commune, ..f.draft(&posts.bithu, CONFERENCE_DAY) };
    assert_eq!(refusal(&f.create(outside, &f.office_33).await.unwrap_err()), rule("R4.2"));
    f.finish().await;
}

#[tokio::test]
async fn cancelling_or_postponing_needs_a_reason_and_takes_the_conference_off_the_public_feed() {
    let (f, posts) = Fixture::with_posts().await;
    let mut client = f.conferences();
    let mut announced = Vec::new();
    for day in [CONFERENCE_DAY, "2026-03-11T02:00:00Z"] {
        let draft = f.create(f.draft(&posts.bithu, day), &f.office_323).await.unwrap();
        announced.push(f.announce(&draft.id, "2026-03-02").await.unwrap().id);
    }
    let (cancelled, postponed) = (&announced[0], &announced[1]);
    assert_eq!(ids(&f.feed("323").await), [cancelled.as_str(), postponed.as_str()]);

    let cancel =
        |reason: &str| authorized(ReasonRequest { id: cancelled.clone(), reason: reason.into() }, &f.office_323);
    let postpone = |reason: &str| {
        let new_starts_at = Some(timestamp(at("2026-03-20T02:00:00Z")));
        authorized(
            PostponeConferenceRequest { id: postponed.clone(), reason: reason.into(), new_starts_at },
            &f.office_323,
        )
    };
    let refused = client.cancel_conference(cancel(" ")).await.unwrap_err();
    assert_eq!(
        (refusal(&refused), field(&refused)),
        ((Code::InvalidArgument, "INVALID_ARGUMENT".into()), "reason".into())
    );
    let refused = client.postpone_conference(postpone("")).await.unwrap_err();
    assert_eq!(
        (refusal(&refused), field(&refused)),
        ((Code::InvalidArgument, "INVALID_ARGUMENT".into()), "reason".into())
    );
    assert_eq!(ids(&f.feed("323").await).len(), 2, "refused, both still stand");

    let done = client.cancel_conference(cancel("Trùng kỳ họp HĐND")).await.unwrap().into_inner();
    assert_eq!((done.state, done.state_reason.as_str()), (ConferenceState::Cancelled as i32, "Trùng kỳ họp HĐND"));
    let moved = client.postpone_conference(postpone("Bão số 3")).await.unwrap().into_inner();
    assert_eq!((moved.state, moved.state_reason.as_str()), (ConferenceState::Postponed as i32, "Bão số 3"));
    assert_eq!((&moved.notice, moved.starts_at), (&None, Some(timestamp(at("2026-03-20T02:00:00Z")))));
    assert!(f.feed("323").await.is_empty(), "neither is announced any more");

    let events = f.published("conference_cancelled", 1).await;
    assert_eq!(events[0].0, "doithoai.scheduling.conference_cancelled.33.323");
    assert_eq!(payload::<ConferenceCancelled>(&events[0].1).conference.unwrap().state_reason, "Trùng kỳ họp HĐND");
    let events = f.published("conference_postponed", 1).await;
    assert_eq!(events[0].0, "doithoai.scheduling.conference_postponed.33.323");
    assert_eq!(payload::<ConferencePostponed>(&events[0].1).conference.unwrap(), moved);
    f.finish().await;
}

#[tokio::test]
async fn r10_3_an_office_names_the_agency_that_takes_over_an_ended_agencys_work() {
    let f = Fixture::with_units().await;
    let create = |unit: &str, name: &str| {
        let organization = Organization {
            unit_code: unit.into(),
            kind: OrganizationKind::Department as i32,
            name: name.into(),
            ..Default::default()
        };
        let request = CreateOrganizationRequest { organization: Some(organization), ..Default::default() };
        let mut directory = f.directory();
        let request = authorized(request, &f.office_33);
        async move { directory.create_organization(request).await.unwrap().into_inner() }
    };
    let district = create("323", "Phòng Tài nguyên và Môi trường").await;
    let province = create("33", "Sở Nông nghiệp và Môi trường").await;
    let succeed = |agency: &Organization, successor: &Organization, request_id: &str| SucceedOrganizationRequest {
        organization_id: agency.id.clone(),
        successor_id: successor.id.clone(),
        effective_date: "2025-07-01".into(),
        decision_number: "45/QĐ-UBND".into(),
        request_id: request_id.into(),
    };
    let call = |request: SucceedOrganizationRequest, token: &str| {
        let (mut directory, request) = (f.directory(), authorized(request, token));
        async move { directory.succeed_organization(request).await.map(tonic::Response::into_inner) }
    };

    // The district's office cannot name the province's agency; nobody names an agency itself.
    let refused = call(succeed(&district, &province, ""), &f.office_323).await.unwrap_err();
    assert_eq!(refusal(&refused), denied("OUT_OF_SCOPE"));
    let refused = call(succeed(&district, &district, ""), &f.office_33).await.unwrap_err();
    assert_eq!((refused.code(), field(&refused)), (Code::InvalidArgument, "successor_id".into()));
    let front = token("33", &[Role::Front]);
    assert_eq!(refusal(&call(succeed(&district, &province, ""), &front).await.unwrap_err()), denied("ROLE_REQUIRED"));

    let ended = call(succeed(&district, &province, "succession-1"), &f.office_33).await.unwrap();
    let expected = Organization {
        active: false,
        successor_id: province.id.clone(),
        ended_on: "2025-06-30".into(),
        decision_number: "45/QĐ-UBND".into(),
        ..district.clone()
    };
    assert_eq!(ended, expected);
    // Asked again (a retry, or the same succession by another request), nothing changes.
    assert_eq!(call(succeed(&district, &province, "succession-1"), &f.office_33).await.unwrap(), ended);
    assert_eq!(call(succeed(&district, &province, ""), &f.office_33).await.unwrap(), ended);
    // It ended once: not to another successor, not back to active.
    let other = create("33", "Sở Tài chính").await;
    assert_eq!(refusal(&call(succeed(&district, &other, ""), &f.office_33).await.unwrap_err()), rule("LIFECYCLE"));
    let reactivated = Organization { active: true, ..ended.clone() };
    let update = UpdateOrganizationRequest { organization: Some(reactivated) };
    let refused = f.directory().update_organization(authorized(update, &f.office_33)).await.unwrap_err();
    assert_eq!(refusal(&refused), rule("LIFECYCLE"));
    // Nor may an ended agency take over another's work.
    assert_eq!(refusal(&call(succeed(&other, &district, ""), &f.office_33).await.unwrap_err()), rule("LIFECYCLE"));

    // Published once: the agency's new state for the replicas, and the succession for the deadlines.
    let succeeded = f.published("organization_succeeded", 1).await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].0, "doithoai.scheduling.organization_succeeded.33.323");
    let event = payload::<OrganizationSucceeded>(&succeeded[0].1);
    assert_eq!((event.organization, event.successor), (Some(ended.clone()), Some(province)));
    assert_eq!(event.effective_date, "2025-07-01");
    let upserted = f.published("organization_upserted", 4).await;
    assert_eq!(upserted.len(), 4, "three agencies created, one ended");
    let ended_upserts: Vec<_> = upserted
        .iter()
        .map(|(_, e)| payload::<OrganizationUpserted>(e).organization.unwrap())
        .filter(|o| o.id == ended.id && !o.active)
        .collect();
    assert_eq!(ended_upserts, [ended]);
    f.finish().await;
}
