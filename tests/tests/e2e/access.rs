//! The access table of `docs/access.md`, cell by cell, through the typed gRPC
//! clients against the whole stack on real PostgreSQL and NATS.
//!
//! Every RPC of every service gets a row per request: callers the table
//! allows (the answer must be neither PERMISSION_DENIED nor UNAUTHENTICATED;
//! it may be OK or a rule's refusal when the data does not fit), callers it
//! refuses (PERMISSION_DENIED with exactly the reason of the table, read from
//! the ErrorInfo), and a request without a token (UNAUTHENTICATED). Rows run
//! in the table's order; every mismatch is collected and the test fails once
//! at the end with the list.
//!
//! The world (district 323, Thành phố Hưng Yên, in province 33, Hưng Yên; 325
//! is another district; 11950 and 11953 are communes of 323):
//! - posts: `bithu-323` (head of the Party committee of 323), `phobithu-323`
//!   (its deputy), `chutich-323` (head of the People's Committee of 323),
//!   `bithu-33` (head of the province's Party committee);
//! - agencies A, B and E of 323, C of 325;
//! - conferences, all venued in 11950:
//!   - C1 (323, host `bithu-323`, secretary `thuky-323`): started 9 March, its
//!     minutes signed, a conclusion notice assigning P1 to A and P2 to B; P3
//!     escalated to the province (received there as R);
//!   - C2 (323, host `bithu-323`, secretary `thuky-323`): in progress, minutes
//!     open, two speakers queued, a complaint and two petitions recorded;
//!   - C3 (323, host `chutich-323`, secretary `thuky-ubnd-323`): announced for
//!     12 March, registration open, participants, speakers and an invitation;
//!   - D (323, host `bithu-323`): a draft;
//!   - P (33, host `bithu-33`): a draft of the province, so 323 and 11950
//!     coordinate (R4.2).
//!
//! The clock stands at 10 March 2026, 10:00 in Hà Nội, during C2.
#![allow(clippy::unwrap_used)]

use std::{
    collections::{BTreeMap, HashSet},
    fmt::Write as _,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use doithoai_proto::common::v1::DocumentFormat;
use doithoai_proto::{
    clock::v1::{GetTimeRequest, SetTimeRequest, simulated_clock_client::SimulatedClockClient},
    deadlines::v1::{
        FileReportRequest, GetObligationRequest, LeaderboardRequest, ListObligationsRequest, LoadAnnouncementRequest,
        ObligationKind, RenderReportRequest, ReportFormat, ReportRequest, SummaryRequest,
        deadlines_client::DeadlinesClient,
    },
    directory::v1::{
        GetSubtreeRequest, GetUnitRequest, ImportUnitsRequest, ListChildrenRequest, ReorganiseUnitsRequest, UnitRow,
        unit_directory_client::UnitDirectoryClient, unit_replica_client::UnitReplicaClient,
    },
    minutes::v1::{
        AcknowledgeNoticeRequest, AddEntryRequest, AnswerPetitionRequest, Classification, ConferenceRequest,
        EscalatePetitionRequest, FindPetitionRequest, IssueConclusionNoticeRequest, NoticeAssignment, Outcome,
        PetitionRequest, RecordConclusionRequest, RecordOpeningRequest, RecordPetitionRequest, RecordResponseRequest,
        ReferPetitionRequest, RenderPetitionRequest, RenderRequest, Response as WrittenResponse,
        minutes_service_client::MinutesServiceClient,
    },
    participants::v1::{
        CheckInRequest, ConferenceRequest as ParticipantsConference, InvitationStatus, InviteRequest,
        ListSpeakersResponse, MergeSpeakerRequest, MoveSpeakerRequest, Person, RefusalReason, RefuseParticipantRequest,
        RegisterParticipantRequest, RegisterSpeakerRequest, RenderInvitationRequest, SpeakerNoteRequest,
        SpeakerRequest, UpdateInvitationRequest, check_in_request, participants_client::ParticipantsClient,
        register_participant_request::Who,
    },
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AnnualPlan, AssignSecretaryRequest, Body, ConferenceDraft,
        ConferenceKind, ConferenceRef, CreateConferenceRequest, CreateOrganizationRequest, CreatePositionRequest,
        DelegateHostRequest, ExtendConferenceRequest, Form, GetAnnualPlanRequest, GetPeriodicDialogueReportRequest,
        ListConferencesRequest, ListConferencesResponse, ListOrganizationsRequest, ListPositionsRequest, Organization,
        OrganizationKind, PlannedConference, Position, PostponeConferenceRequest, Rank, ReasonRequest, Regime,
        RenderConferenceRequest, UpdateConferenceRequest, UpdateOrganizationRequest, UpdatePositionRequest,
        conferences_client::ConferencesClient, directory_client::DirectoryClient, plans_client::PlansClient,
    },
};
use doithoai_tests::{scheduling::*, *};
use futures::{FutureExt, future::BoxFuture};
use tonic::{Code, Status, transport::Channel};

// ---------------------------------------------------------------- reasons

const ROLE_REQUIRED: &str = "ROLE_REQUIRED";
const OUT_OF_SCOPE: &str = "OUT_OF_SCOPE";
const NOT_YOUR_CONFERENCE: &str = "NOT_YOUR_CONFERENCE";
const NOT_YOUR_ORGANIZATION: &str = "NOT_YOUR_ORGANIZATION";
const ROOT_ADMIN_REQUIRED: &str = "ROOT_ADMIN_REQUIRED";
const R9_2: &str = "R9.2";

/// The instant the cells run at: C2 is in progress, C3 still takes registrations.
const CELLS_AT: &str = "2026-03-10T03:00:00Z";
const TODAY: &str = "2026-03-10";
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// A call of `client.method(request)` with the cell's token, and an optional
/// check of the OK answer.
macro_rules! call {
    ($client:expr, $method:ident, $request:expr) => {
        call!($client, $method, $request, |_| None)
    };
    ($client:expr, $method:ident, $request:expr, $check:expr) => {{
        let client = $client.clone();
        let request = $request;
        let check = Arc::new($check);
        let call: Call = Box::new(move |token: Option<String>| {
            let (mut client, request, check) = (client.clone(), request.clone(), check.clone());
            async move { answer(client.$method(with_token(request, token.as_deref())).await, |r| (*check)(r)) }.boxed()
        });
        call
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cell_of_the_access_table_holds() {
    let started = Instant::now();
    let stack = Stack::start().await;
    let world = World::set_up(&stack).await;
    let setup = started.elapsed();
    let who = Callers::new(&world);
    let clients = Clients::connect(&stack).await;
    let mut table = Table::new(&who.none_33);

    unit_directory(&mut table, &clients, &who);
    scheduling_directory(&mut table, &clients, &who, &world);
    conferences(&mut table, &clients, &who, &world);
    plans(&mut table, &clients, &who, &world);
    participants(&mut table, &clients, &who, &world);
    minutes(&mut table, &clients, &who, &world);
    deadlines(&mut table, &clients, &who, &world);
    unit_replicas(&mut table, &clients, &who);
    simulated_clocks(&mut table, &clients, &who, &stack);

    let report = table.run().await;
    let total = started.elapsed();
    stack.finish().await;
    println!("{}", report.table);
    let summary = format!(
        "{} cells ({} rows) in {:.1} s, {:.1} s of it setting up; allowed cells answered {}; {} mismatches",
        report.cells,
        report.rows,
        total.as_secs_f64(),
        setup.as_secs_f64(),
        report.allowed_answers.iter().map(|(code, n)| format!("{code} ×{n}")).collect::<Vec<_>>().join(", "),
        report.mismatches.len()
    );
    println!("{summary}");
    assert!(report.mismatches.is_empty(), "{summary}:\n{}", report.mismatches.join("\n"));
}

// ---------------------------------------------------------------- UnitDirectory

fn unit_directory(t: &mut Table, c: &Clients, who: &Callers) {
    let rows = read_rows("hung-yen-2020.csv");
    let row_11950 = rows.iter().find(|r| r.code == "11950").unwrap().clone();
    let row_11998 = rows.iter().find(|r| r.code == "11998").unwrap().clone();
    let renamed = UnitRow { name: "Phường Lam Sơn (đổi tên)".into(), ..row_11950.clone() };
    let new_commune = UnitRow {
        line: 2,
        code: "11999".into(),
        name: "Phường Thử Nghiệm".into(),
        tier: 3,
        parent_code: "323".into(),
        kind: "Phường".into(),
        ..Default::default()
    };
    let svc = "scheduling UnitDirectory";
    t.rpc(svc, "ImportUnits", "a new commune under 323", import(c, vec![new_commune]))
        .deny(&who.office_323, ROLE_REQUIRED)
        .deny(&who.admin_325, OUT_OF_SCOPE)
        .allow(&who.admin_323);
    t.rpc(svc, "ImportUnits", "11950 renamed", import(c, vec![renamed])).deny(&who.admin_325, OUT_OF_SCOPE);
    let moved = UnitRow { parent_code: "323".into(), ..row_11998 };
    t.rpc(svc, "ImportUnits", "11998 of 325 moved under 323", import(c, vec![moved]))
        .deny(&who.admin_323, OUT_OF_SCOPE);
    t.rpc(svc, "ImportUnits", "11950 as it is (nothing created or changed)", import(c, vec![row_11950.clone()]))
        .allow(&who.admin_323)
        .allow(&who.admin_325);
    // A list whose source the directory does not have: it must not apply.
    let unknown_source = UnitRow { legacy_codes: vec!["99999".into()], ..row_11950.clone() };
    t.rpc(svc, "ReorganiseUnits", "a list naming an unknown source (it must not apply)", reorganise(c, unknown_source))
        .deny(&who.admin_323, ROOT_ADMIN_REQUIRED)
        .deny(&who.office_33, ROOT_ADMIN_REQUIRED)
        .allow_with(&who.admin_33, Code::InvalidArgument);
    let get = GetUnitRequest { code: "11950".into() };
    t.rpc(svc, "GetUnit", "11950", call!(c.units, get_unit, get))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a);
    let children = ListChildrenRequest { code: "323".into(), ..Default::default() };
    t.rpc(svc, "ListChildren", "323", call!(c.units, list_children, children))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.front_323);
    let subtree = GetSubtreeRequest { code: "323".into(), ..Default::default() };
    t.rpc(svc, "GetSubtree", "323", call!(c.units, get_subtree, subtree))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.monitor_33);
}

fn import(c: &Clients, rows: Vec<UnitRow>) -> Call {
    let client = c.units.clone();
    Box::new(move |token: Option<String>| {
        let mut client = client.clone();
        let chunks = vec![ImportUnitsRequest { rows: rows.clone() }];
        async move { answer(client.import_units(with_token(tokio_stream::iter(chunks), token.as_deref())).await, |_| None) }
            .boxed()
    })
}

fn reorganise(c: &Clients, row: UnitRow) -> Call {
    let client = c.units.clone();
    Box::new(move |token: Option<String>| {
        let mut client = client.clone();
        let province = UnitRow {
            line: 2,
            code: "33".into(),
            name: "Tỉnh Hưng Yên".into(),
            tier: 1,
            kind: "Tỉnh".into(),
            ..Default::default()
        };
        let chunks = vec![ReorganiseUnitsRequest {
            decision_number: "access-test".into(),
            effective_date: "2025-07-01".into(),
            dry_run: false,
            rows: vec![province, UnitRow { line: 3, ..row.clone() }],
        }];
        async move {
            answer(client.reorganise_units(with_token(tokio_stream::iter(chunks), token.as_deref())).await, |_| None)
        }
        .boxed()
    })
}

// ---------------------------------------------------------------- scheduling Directory

fn scheduling_directory(t: &mut Table, c: &Clients, who: &Callers, w: &World) {
    let svc = "scheduling Directory";
    let deputy = |subject: &str| Position {
        unit_code: "323".into(),
        body: Body::PeoplesCommittee as i32,
        rank: Rank::Deputy as i32,
        title: "Phó Chủ tịch UBND thành phố".into(),
        person_name: "Phạm Văn Phó".into(),
        subject: subject.into(),
        term_start: "2021-06-01".into(),
        ..Default::default()
    };
    let create = CreatePositionRequest { position: Some(deputy("phochutich-323")), ..Default::default() };
    t.rpc(svc, "CreatePosition", "a deputy of 323", call!(c.directory, create_position, create))
        .deny(&who.front_323, ROLE_REQUIRED)
        .deny(&who.host, ROLE_REQUIRED)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.office_323);
    let update = UpdatePositionRequest { position: Some(w.deputy.clone()) };
    t.rpc(
        svc,
        "UpdatePosition",
        "the deputy post phobithu-323, unchanged",
        call!(c.directory, update_position, update),
    )
    .deny(&who.front_323, ROLE_REQUIRED)
    .deny(&who.office_325, OUT_OF_SCOPE)
    .deny(&who.office_11950, OUT_OF_SCOPE)
    .allow(&who.office_323)
    .allow(&who.admin_33);
    let list = ListPositionsRequest { unit_code: "323".into(), ..Default::default() };
    t.rpc(svc, "ListPositions", "323", call!(c.directory, list_positions, list))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a);
    let agency = Organization {
        unit_code: "323".into(),
        kind: OrganizationKind::Department as i32,
        name: "Phòng Văn hóa và Thông tin".into(),
        ..Default::default()
    };
    let create = CreateOrganizationRequest { organization: Some(agency), ..Default::default() };
    t.rpc(svc, "CreateOrganization", "an agency of 323", call!(c.directory, create_organization, create))
        .deny(&who.front_323, ROLE_REQUIRED)
        .deny(&who.agency_a, ROLE_REQUIRED)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.office_323);
    let update = UpdateOrganizationRequest { organization: Some(w.agency_e.clone()) };
    t.rpc(svc, "UpdateOrganization", "agency E, unchanged", call!(c.directory, update_organization, update))
        .deny(&who.front_323, ROLE_REQUIRED)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.office_323);
    let list = ListOrganizationsRequest { unit_code: "323".into(), ..Default::default() };
    t.rpc(svc, "ListOrganizations", "323", call!(c.directory, list_organizations, list))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.monitor_33)
        .allow(&who.agency_a);
}

// ---------------------------------------------------------------- Conferences

fn conferences(t: &mut Table, c: &Clients, who: &Callers, w: &World) {
    let svc = "scheduling Conferences";
    let create = CreateConferenceRequest { draft: Some(w.draft_d.clone()), ..Default::default() };
    t.rpc(svc, "CreateConference", "a draft of 323", call!(c.conferences, create_conference, create))
        .deny(&who.front_323, ROLE_REQUIRED)
        .deny(&who.host, ROLE_REQUIRED)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.office_323);
    let update = UpdateConferenceRequest { id: w.d.clone(), draft: Some(w.draft_d.clone()) };
    t.rpc(svc, "UpdateConference", "D, unchanged", call!(c.conferences, update_conference, update))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .deny(&who.host, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323);
    let moved = ConferenceDraft { unit_code: "33".into(), ..w.draft_d.clone() };
    let update = UpdateConferenceRequest { id: w.d.clone(), draft: Some(moved) };
    t.rpc(svc, "UpdateConference", "D moved to the province (33)", call!(c.conferences, update_conference, update))
        .deny(&who.office_323, OUT_OF_SCOPE);
    let assign = AssignSecretaryRequest {
        id: w.d.clone(),
        secretary_subject: "thuky-323".into(),
        secretary_name: "Lê Thị Thư Ký".into(),
    };
    t.rpc(svc, "AssignSecretary", "D", call!(c.conferences, assign_secretary, assign))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .deny(&who.host, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323);
    let delegate = DelegateHostRequest {
        id: w.d.clone(),
        deputy_position_id: w.deputy.id.clone(),
        reason: "Đi công tác nước ngoài".into(),
    };
    t.rpc(
        svc,
        "DelegateHost",
        "D (host bithu-323, secretary thuky-323)",
        call!(c.conferences, delegate_host, delegate),
    )
    .deny(&who.office_325, OUT_OF_SCOPE)
    .deny(&who.host_other, NOT_YOUR_CONFERENCE)
    .deny(&who.secretary, NOT_YOUR_CONFERENCE)
    .deny(&who.front_323, NOT_YOUR_CONFERENCE)
    .allow(&who.host)
    .allow(&who.office_323);
    let announce = AnnounceConferenceRequest {
        id: w.d.clone(),
        media_channel: "Báo Hưng Yên".into(),
        publication_date: TODAY.into(),
    };
    t.rpc(svc, "AnnounceConference", "D", call!(c.conferences, announce_conference, announce))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.host, NOT_YOUR_CONFERENCE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323);
    let start = ConferenceRef { id: w.c3.clone() };
    t.rpc(
        svc,
        "StartConference",
        "C3 (host chutich-323, secretary thuky-ubnd-323; not its day yet)",
        call!(c.conferences, start_conference, start),
    )
    .deny(&who.office_325, OUT_OF_SCOPE)
    .deny(&who.host, NOT_YOUR_CONFERENCE)
    .deny(&who.secretary, NOT_YOUR_CONFERENCE)
    .deny(&who.front_323, NOT_YOUR_CONFERENCE)
    .allow(&who.office_323)
    .allow(&who.host_other)
    .allow(&who.secretary_other);
    let extend = ExtendConferenceRequest { id: w.c2.clone(), minutes: 30 };
    t.rpc(
        svc,
        "ExtendConference",
        "C2 (host bithu-323, secretary thuky-323)",
        call!(c.conferences, extend_conference, extend),
    )
    .deny(&who.office_325, OUT_OF_SCOPE)
    .deny(&who.office_323, NOT_YOUR_CONFERENCE)
    .deny(&who.secretary, NOT_YOUR_CONFERENCE)
    .deny(&who.host_other, NOT_YOUR_CONFERENCE)
    .allow(&who.host);
    let end = ConferenceRef { id: w.c1.clone() };
    t.rpc(svc, "EndConference", "C1 (host bithu-323, secretary thuky-323)", call!(c.conferences, end_conference, end))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.host_other, NOT_YOUR_CONFERENCE)
        .deny(&who.secretary_other, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .allow(&who.secretary)
        .allow(&who.host)
        .allow(&who.office_323);
    let cancel = ReasonRequest { id: w.d.clone(), reason: "Trùng lịch kỳ họp".into() };
    t.rpc(svc, "CancelConference", "D", call!(c.conferences, cancel_conference, cancel))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.host, NOT_YOUR_CONFERENCE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323);
    let postpone = PostponeConferenceRequest { id: w.p.clone(), reason: "Mưa bão".into(), new_starts_at: None };
    t.rpc(
        svc,
        "PostponeConference",
        "P (the province's, coordinated by 323 and 11950)",
        call!(c.conferences, postpone_conference, postpone),
    )
    .deny(&who.office_323, OUT_OF_SCOPE)
    .deny(&who.office_11950, OUT_OF_SCOPE)
    .deny(&who.host_province, NOT_YOUR_CONFERENCE)
    .deny(&who.front_33, NOT_YOUR_CONFERENCE)
    .allow(&who.office_33);

    let get = |id: &str| ConferenceRef { id: id.into() };
    t.rpc(svc, "GetConference", "C2 (venue 11950)", call!(c.conferences, get_conference, get(&w.c2)))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11953, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a)
        .allow(&who.office_11950);
    let notice_of = |c: &str| RenderConferenceRequest { id: c.to_owned(), format: DocumentFormat::Pdf as i32 };
    t.rpc(svc, "RenderPublicNotice", "C3 (announced)", call!(c.conferences, render_public_notice, notice_of(&w.c3)))
        .deny(&who.none_11950, ROLE_REQUIRED)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.office_11950);
    t.rpc(svc, "GetConference", "P (coordinated by 323 and 11950)", call!(c.conferences, get_conference, get(&w.p)))
        .deny(&who.none_11950, ROLE_REQUIRED)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11953, OUT_OF_SCOPE)
        .allow(&who.office_33)
        .allow(&who.office_323)
        .allow(&who.host)
        .allow(&who.office_11950)
        .allow(&who.front_11950);
    let list = |unit: &str| ListConferencesRequest { unit_code: unit.into(), ..Default::default() };
    let p = w.p.clone();
    let lists_p = move |r: ListConferencesResponse| {
        (!r.conferences.iter().any(|x| x.id == p)).then(|| "P (a coordinating unit's conference) is not listed".into())
    };
    t.rpc(
        svc,
        "ListConferences",
        "323: must list P",
        call!(c.conferences, list_conferences, list("323"), lists_p.clone()),
    )
    .deny(&who.office_325, OUT_OF_SCOPE)
    .deny(&who.office_11950, OUT_OF_SCOPE)
    .allow(&who.office_323)
    .allow(&who.front_323)
    .allow(&who.host);
    t.rpc(svc, "ListConferences", "11950: must list P", call!(c.conferences, list_conferences, list("11950"), lists_p))
        .deny(&who.none_11950, ROLE_REQUIRED)
        .deny(&who.office_11953, OUT_OF_SCOPE)
        .allow(&who.office_11950)
        .allow(&who.front_11950);
}

// ---------------------------------------------------------------- Plans

fn plans(t: &mut Table, c: &Clients, who: &Callers, w: &World) {
    let svc = "scheduling Plans";
    let plan = AnnualPlan {
        unit_code: "323".into(),
        year: 2026,
        items: vec![PlannedConference {
            host_position_id: w.head.clone(),
            regime: Regime::Periodic as i32,
            month: 3,
            theme: "Giải phóng mặt bằng".into(),
        }],
        ..Default::default()
    };
    t.rpc(svc, "SetAnnualPlan", "323, 2026", call!(c.plans, set_annual_plan, plan))
        .deny(&who.front_323, ROLE_REQUIRED)
        .deny(&who.host, ROLE_REQUIRED)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.office_323);
    let get = GetAnnualPlanRequest { unit_code: "323".into(), year: 2026 };
    t.rpc(svc, "GetAnnualPlan", "323, 2026", call!(c.plans, get_annual_plan, get))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.front_323);
    let report = GetPeriodicDialogueReportRequest { unit_code: "323".into(), year: 2026 };
    t.rpc(svc, "GetPeriodicDialogueReport", "323, 2026", call!(c.plans, get_periodic_dialogue_report, report))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.monitor_33);
}

// ---------------------------------------------------------------- participants

fn participants(t: &mut Table, c: &Clients, who: &Callers, w: &World) {
    let svc = "participants Participants";
    let c3 = "C3 (host chutich-323, secretary thuky-ubnd-323)";
    let c2 = "C2 (host bithu-323, secretary thuky-323; in progress)";
    let people = Arc::new(AtomicUsize::new(0));
    let (client, conference) = (c.participants.clone(), w.c3.clone());
    let register: Call = Box::new(move |token: Option<String>| {
        let mut client = client.clone();
        let n = people.fetch_add(1, Ordering::Relaxed);
        let person = Person { full_name: format!("Người dân thứ {n}"), ..Default::default() };
        let request = RegisterParticipantRequest {
            conference_id: conference.clone(),
            who: Some(Who::Person(person)),
            unit_code: "11953".into(),
            ..Default::default()
        };
        async move { answer(client.register_participant(with_token(request, token.as_deref())).await, |_| None) }
            .boxed()
    });
    t.rpc(svc, "RegisterParticipant", c3, register)
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .deny(&who.host_other, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .deny(&who.agency_a, NOT_YOUR_CONFERENCE)
        .allow(&who.secretary_other)
        .allow(&who.office_323)
        .allow(&who.service_323);
    let speak = RegisterSpeakerRequest {
        conference_id: w.c3.clone(),
        participant_id: w.x.clone(),
        topic: "Đường giao thông nông thôn".into(),
        field: 1,
        ..Default::default()
    };
    t.rpc(svc, "RegisterSpeaker", c3, call!(c.participants, register_speaker, speak))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .deny(&who.host_other, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .allow(&who.secretary_other)
        .allow(&who.office_323)
        .allow(&who.service_323);
    let conference = ParticipantsConference { conference_id: w.c3.clone() };
    let hidden = |r: ListSpeakersResponse| {
        r.speakers.iter().any(|s| !s.speaker_name.is_empty()).then(|| "speaker names are shown".into())
    };
    let shown = |r: ListSpeakersResponse| {
        (r.speakers.is_empty() || r.speakers.iter().all(|s| s.speaker_name.is_empty()))
            .then(|| "speaker names are not shown".into())
    };
    t.rpc(svc, "ListSpeakers", "C3: names blank", call!(c.participants, list_speakers, conference.clone(), hidden))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.monitor_33)
        .allow(&who.agency_a)
        .allow(&who.host)
        .allow(&who.secretary);
    t.rpc(svc, "ListSpeakers", "C3: names filled", call!(c.participants, list_speakers, conference.clone(), shown))
        .allow(&who.office_323)
        .allow(&who.admin_33)
        .allow(&who.secretary_other)
        .allow(&who.host_other);
    let step_denials = |row: &mut Row| {
        row.deny(&who.office_325, OUT_OF_SCOPE)
            .deny(&who.secretary, NOT_YOUR_CONFERENCE)
            .deny(&who.host_other, NOT_YOUR_CONFERENCE)
            .deny(&who.service_323, NOT_YOUR_CONFERENCE)
            .deny(&who.front_323, NOT_YOUR_CONFERENCE);
    };
    let confirm = SpeakerRequest { registration_id: w.speakers_c3[0].clone() };
    step_denials(t.rpc(svc, "ConfirmSpeaker", c3, call!(c.participants, confirm_speaker, confirm)));
    t.last().allow(&who.secretary_other).allow(&who.office_323);
    let merge = MergeSpeakerRequest {
        registration_id: w.speakers_c3[1].clone(),
        into_registration_id: w.speakers_c3[2].clone(),
    };
    step_denials(t.rpc(svc, "MergeSpeaker", c3, call!(c.participants, merge_speaker, merge)));
    t.last().allow(&who.office_323);
    let out = SpeakerNoteRequest {
        registration_id: w.speakers_c3[3].clone(),
        reason: "Thuộc thẩm quyền tòa án".into(),
    };
    step_denials(t.rpc(svc, "MarkOutOfScope", c3, call!(c.participants, mark_out_of_scope, out)));
    t.last().allow(&who.secretary_other);
    let moving = MoveSpeakerRequest {
        registration_id: w.speakers_c3[2].clone(),
        new_position: 1,
        reason: "Người cao tuổi".into(),
    };
    step_denials(t.rpc(svc, "MoveSpeaker", c3, call!(c.participants, move_speaker, moving)));
    t.last().allow(&who.office_323);
    let c2_denials = |row: &mut Row| {
        row.deny(&who.office_325, OUT_OF_SCOPE)
            .deny(&who.secretary_other, NOT_YOUR_CONFERENCE)
            .deny(&who.host, NOT_YOUR_CONFERENCE)
            .deny(&who.front_323, NOT_YOUR_CONFERENCE);
    };
    let next = ParticipantsConference { conference_id: w.c2.clone() };
    c2_denials(t.rpc(svc, "CallNextSpeaker", c2, call!(c.participants, call_next_speaker, next)));
    t.last().allow(&who.secretary).allow(&who.office_323);
    let spoke = SpeakerRequest { registration_id: w.speakers_c2[0].clone() };
    c2_denials(t.rpc(svc, "MarkSpoke", c2, call!(c.participants, mark_spoke, spoke)));
    t.last().allow(&who.secretary);
    let absent = SpeakerRequest { registration_id: w.speakers_c2[1].clone() };
    c2_denials(t.rpc(svc, "MarkAbsent", c2, call!(c.participants, mark_absent, absent)));
    t.last().allow(&who.office_323);
    let refuse = RefuseParticipantRequest {
        participant_id: w.z.clone(),
        reason: RefusalReason::DisturbingOrder as i32,
        note: "Gây rối trật tự".into(),
    };
    t.rpc(svc, "RefuseParticipant", c3, call!(c.participants, refuse_participant, refuse))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.host, R9_2)
        .deny(&who.office_323, R9_2)
        .deny(&who.secretary_other, R9_2)
        .deny(&who.front_323, R9_2)
        .allow(&who.host_other);
    let check_in = CheckInRequest { who: Some(check_in_request::Who::ParticipantId(w.x.clone())) };
    step_denials(t.rpc(svc, "CheckIn", "C3, a participant", call!(c.participants, check_in, check_in)));
    t.last().allow(&who.secretary_other).allow(&who.office_323);
    let check_in = CheckInRequest { who: Some(check_in_request::Who::InvitationId(w.invitation_checkin.clone())) };
    t.rpc(svc, "CheckIn", "C3, an invitee", call!(c.participants, check_in, check_in))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323);
    let invite = InviteRequest {
        conference_id: w.c3.clone(),
        organization_id: w.agency_a.clone(),
        invitee_name: "Trưởng phòng Tài nguyên".into(),
        invitee_title: "Trưởng phòng".into(),
        answers_agenda_items: vec![0],
        ..Default::default()
    };
    step_denials(t.rpc(svc, "Invite", c3, call!(c.participants, invite, invite)));
    t.last().allow(&who.office_323).allow(&who.secretary_other);
    let update =
        UpdateInvitationRequest { invitation_id: w.invitation.clone(), status: InvitationStatus::Accepted as i32 };
    step_denials(t.rpc(svc, "UpdateInvitation", c3, call!(c.participants, update_invitation, update)));
    t.last().allow(&who.secretary_other).allow(&who.office_323);
    let invitation =
        RenderInvitationRequest { invitation_id: w.invitation.clone(), format: DocumentFormat::Pdf as i32 };
    t.rpc(svc, "RenderInvitation", c3, call!(c.participants, render_invitation, invitation))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a);
    t.rpc(svc, "ListInvitations", c3, call!(c.participants, list_invitations, conference.clone()))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a);
    t.rpc(svc, "GetAttendance", c3, call!(c.participants, get_attendance, conference))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.monitor_33);
}

// ---------------------------------------------------------------- minutes

fn minutes(t: &mut Table, c: &Clients, who: &Callers, w: &World) {
    let svc = "minutes MinutesService";
    let c1 = "C1 (host bithu-323, secretary thuky-323; signed, noticed)";
    let c2 = "C2 (host bithu-323, secretary thuky-323; minutes open)";
    let running = ConferenceRequest { conference_id: w.c2.clone() };
    t.rpc(svc, "GetMinutes", c2, call!(c.minutes, get_minutes, running.clone()))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.front_33)
        .allow(&who.agency_a)
        .allow(&who.secretary);
    // Secretary or office: the host, another conference's secretary and a reader are not.
    let secretary_or_office = |row: &mut Row| {
        row.deny(&who.office_325, OUT_OF_SCOPE)
            .deny(&who.host, NOT_YOUR_CONFERENCE)
            .deny(&who.secretary_other, NOT_YOUR_CONFERENCE)
            .deny(&who.front_323, NOT_YOUR_CONFERENCE);
    };
    let opening = RecordOpeningRequest {
        conference_id: w.c2.clone(),
        purpose: "Lắng nghe ý kiến của nhân dân".into(),
        requirements: "Dân chủ, thẳng thắn".into(),
        content: "Giải phóng mặt bằng".into(),
    };
    secretary_or_office(t.rpc(svc, "RecordOpening", c2, call!(c.minutes, record_opening, opening)));
    t.last().allow(&who.secretary).allow(&who.office_323);
    let petition = RecordPetitionRequest {
        conference_id: w.c2.clone(),
        text: "Đèn đường hỏng".into(),
        field: 1,
        classification: Classification::Petition as i32,
        ..Default::default()
    };
    secretary_or_office(t.rpc(svc, "RecordPetition", c2, call!(c.minutes, record_petition, petition)));
    t.last().allow(&who.secretary).allow(&who.office_323);
    let refer = ReferPetitionRequest {
        petition_id: w.complaint.clone(),
        receiving_body: "Ban Tiếp công dân thành phố".into(),
        referred_on: TODAY.into(),
        ..Default::default()
    };
    secretary_or_office(t.rpc(svc, "ReferPetition", "a complaint of C2", call!(c.minutes, refer_petition, refer)));
    t.last().allow(&who.secretary).allow(&who.office_323);
    let answer = AnswerPetitionRequest {
        petition_id: w.to_answer.clone(),
        text: "Sẽ chi trả trong quý II".into(),
        ..Default::default()
    };
    t.rpc(svc, "AnswerPetition", "a petition of C2", call!(c.minutes, answer_petition, answer))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.host_other, NOT_YOUR_CONFERENCE)
        .deny(&who.secretary_other, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .allow(&who.host)
        .allow(&who.secretary)
        .allow(&who.office_323);
    let conclusion =
        RecordConclusionRequest { conference_id: w.c2.clone(), conclusion: "Giao các cơ quan giải quyết".into() };
    t.rpc(svc, "RecordConclusion", c2, call!(c.minutes, record_conclusion, conclusion))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_323, NOT_YOUR_CONFERENCE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .deny(&who.host_other, NOT_YOUR_CONFERENCE)
        .allow(&who.host);
    t.rpc(svc, "SignMinutes", c2, call!(c.minutes, sign_minutes, running.clone()))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_323, NOT_YOUR_CONFERENCE)
        .deny(&who.secretary_other, NOT_YOUR_CONFERENCE)
        .deny(&who.host_other, NOT_YOUR_CONFERENCE)
        .allow(&who.secretary)
        .allow(&who.host);
    let entry = AddEntryRequest {
        conference_id: w.c2.clone(),
        kind: "REVIEW_NOTE".into(),
        text: "Đã rà soát biên bản".into(),
        ..Default::default()
    };
    secretary_or_office(t.rpc(svc, "AddEntry", c2, call!(c.minutes, add_entry, entry)));
    t.last().allow(&who.secretary).allow(&who.office_323);
    let issue = IssueConclusionNoticeRequest {
        conference_id: w.c2.clone(),
        number: "16/TB-TU".into(),
        sent_on: TODAY.into(),
        signer: "Chánh Văn phòng Thành ủy".into(),
        ..Default::default()
    };
    t.rpc(svc, "IssueConclusionNotice", c2, call!(c.minutes, issue_conclusion_notice, issue))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .deny(&who.host, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323);
    let acknowledge = |organization: &str| AcknowledgeNoticeRequest {
        notice_id: w.notice.clone(),
        organization_id: organization.into(),
        received_on: TODAY.into(),
        ..Default::default()
    };
    t.rpc(
        svc,
        "AcknowledgeNotice",
        "C1's notice, for agency A",
        call!(c.minutes, acknowledge_notice, acknowledge(&w.agency_a)),
    )
    .deny(&who.office_323, ROLE_REQUIRED)
    .deny(&who.agency_without_org, NOT_YOUR_ORGANIZATION)
    .deny(&who.agency_b, NOT_YOUR_ORGANIZATION)
    .deny(&who.agency_a_outside, OUT_OF_SCOPE)
    .allow(&who.agency_a);
    t.rpc(
        svc,
        "AcknowledgeNotice",
        "C1's notice, for agency E (assigned nothing)",
        call!(c.minutes, acknowledge_notice, acknowledge(&w.agency_e.id)),
    )
    .deny(&who.agency_e, NOT_YOUR_ORGANIZATION);
    t.rpc(
        svc,
        "AcknowledgeNotice",
        "C1's notice, for agency B",
        call!(c.minutes, acknowledge_notice, acknowledge(&w.agency_b)),
    )
    .allow(&who.agency_b);
    let respond = |petition: &str| RecordResponseRequest {
        petition_id: petition.into(),
        response: Some(WrittenResponse {
            organization_id: String::new(),
            responded_on: TODAY.into(),
            document_number: "112/TNMT".into(),
            outcome: Outcome::Resolved as i32,
            summary: "Đã giải quyết".into(),
            reported_to_heads: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    t.rpc(svc, "RecordResponse", "P1 (C1, assigned to A)", call!(c.minutes, record_response, respond(&w.p1)))
        .deny(&who.office_323, ROLE_REQUIRED)
        .deny(&who.agency_without_org, NOT_YOUR_ORGANIZATION)
        .deny(&who.agency_b, NOT_YOUR_ORGANIZATION)
        .deny(&who.agency_c_outside, NOT_YOUR_ORGANIZATION)
        .allow(&who.agency_a);
    t.rpc(svc, "RecordResponse", "P1 again (answered: R10.3)", call!(c.minutes, record_response, respond(&w.p1)))
        .deny(&who.agency_b, NOT_YOUR_ORGANIZATION)
        .allow_with(&who.agency_a, Code::FailedPrecondition);
    t.rpc(svc, "RecordResponse", "P2 (C1, assigned to B)", call!(c.minutes, record_response, respond(&w.p2)))
        .deny(&who.agency_a, NOT_YOUR_ORGANIZATION)
        .allow(&who.agency_b_outside);
    let escalate = EscalatePetitionRequest {
        petition_id: w.to_escalate.clone(),
        to_unit_code: "33".into(),
        petitioner_notified_on: TODAY.into(),
        ..Default::default()
    };
    t.rpc(svc, "EscalatePetition", "a petition of C2, to 33", call!(c.minutes, escalate_petition, escalate))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.secretary, NOT_YOUR_CONFERENCE)
        .deny(&who.host, NOT_YOUR_CONFERENCE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323);
    let get = |id: &str| PetitionRequest { petition_id: id.into() };
    t.rpc(svc, "GetPetition", "P1 (C1, assigned to A)", call!(c.minutes, get_petition, get(&w.p1)))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.agency_b_outside, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a_outside);
    let receipt = |id: &str| RenderPetitionRequest { petition_id: id.into(), format: DocumentFormat::Pdf as i32 };
    t.rpc(
        svc,
        "RenderPetitionReceipt",
        "P1 (C1, assigned to A)",
        call!(c.minutes, render_petition_receipt, receipt(&w.p1)),
    )
    .deny(&who.office_325, OUT_OF_SCOPE)
    .deny(&who.agency_b_outside, OUT_OF_SCOPE)
    .allow(&who.front_323)
    .allow(&who.agency_a_outside);
    t.rpc(svc, "GetResponseDocument", "P1 (C1, assigned to A)", call!(c.minutes, get_response_document, get(&w.p1)))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.agency_b_outside, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a_outside);
    t.rpc(
        svc,
        "RenderResponseCover",
        "P1 (C1, assigned to A)",
        call!(c.minutes, render_response_cover, receipt(&w.p1)),
    )
    .deny(&who.office_325, OUT_OF_SCOPE)
    .deny(&who.agency_b_outside, OUT_OF_SCOPE)
    .allow(&who.front_323)
    .allow(&who.agency_a_outside);
    t.rpc(svc, "GetPetition", "R (P3 of C1, received by 33)", call!(c.minutes, get_petition, get(&w.received)))
        .deny(&who.office_323, OUT_OF_SCOPE)
        .allow(&who.office_33);
    let find = FindPetitionRequest { receipt_code: w.p1_code.clone() };
    t.rpc(svc, "FindPetition", "P1's receipt code", call!(c.minutes, find_petition, find))
        .allow_with(&who.office_325, Code::NotFound)
        .allow(&who.front_323)
        .allow(&who.service_323);
    let render = |c: &str| RenderRequest { conference_id: c.to_owned(), format: DocumentFormat::Pdf as i32 };
    t.rpc(svc, "RenderMinutes", c2, call!(c.minutes, render_minutes, render(&w.c2)))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .allow(&who.front_33);
    t.rpc(svc, "RenderInternalMinutes", c2, call!(c.minutes, render_internal_minutes, render(&w.c2)))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.front_323, NOT_YOUR_CONFERENCE)
        .deny(&who.secretary_other, NOT_YOUR_CONFERENCE)
        .deny(&who.host_other, NOT_YOUR_CONFERENCE)
        .deny(&who.agency_a, NOT_YOUR_CONFERENCE)
        .allow(&who.office_323)
        .allow(&who.secretary)
        .allow(&who.host);
    t.rpc(svc, "RenderConclusionNotice", c1, call!(c.minutes, render_conclusion_notice, render(&w.c1)))
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.agency_a_outside, OUT_OF_SCOPE)
        .allow(&who.front_323)
        .allow(&who.agency_a);
}

// ---------------------------------------------------------------- deadlines

fn deadlines(t: &mut Table, c: &Clients, who: &Callers, w: &World) {
    let svc = "deadlines Deadlines";
    let reads = |row: &mut Row| {
        row.deny(&who.office_325, OUT_OF_SCOPE).allow(&who.monitor_33).allow(&who.front_323);
    };
    let list = ListObligationsRequest { unit_code: "323".into(), ..Default::default() };
    reads(t.rpc(svc, "ListObligations", "323", call!(c.deadlines, list_obligations, list)));
    let get = GetObligationRequest { id: w.obligation.clone() };
    reads(t.rpc(svc, "GetObligation", "an obligation of 323", call!(c.deadlines, get_obligation, get)));
    let summary = SummaryRequest { unit_code: "323".into(), ..Default::default() };
    reads(t.rpc(svc, "GetSummary", "323", call!(c.deadlines, get_summary, summary)));
    let board = LeaderboardRequest { unit_code: "323".into(), limit: 5 };
    reads(t.rpc(svc, "GetOverdueLeaderboard", "323", call!(c.deadlines, get_overdue_leaderboard, board)));
    let load = LoadAnnouncementRequest { toml: "this is [not an announcement".into() };
    t.rpc(svc, "LoadAnnouncement", "an invalid TOML (it must not load)", call!(c.deadlines, load_announcement, load))
        .deny(&who.admin_323, ROOT_ADMIN_REQUIRED)
        .deny(&who.office_33, ROOT_ADMIN_REQUIRED)
        .allow_with(&who.admin_33, Code::InvalidArgument);
    let report = ReportRequest { unit_code: "323".into(), from: "2026-01-01".into(), to: "2026-06-30".into() };
    reads(t.rpc(svc, "GetReport", "323, first half of 2026", call!(c.deadlines, get_report, report.clone())));
    let render = RenderReportRequest { report: Some(report), format: ReportFormat::Csv as i32, ..Default::default() };
    reads(t.rpc(svc, "RenderReport", "323, first half of 2026", call!(c.deadlines, render_report, render)));
    let file = FileReportRequest {
        head_position_id: w.head.clone(),
        kind: ObligationKind::ReportHalfYear as i32,
        year: 2026,
        filed_on: TODAY.into(),
        ..Default::default()
    };
    t.rpc(svc, "FileReport", "bithu-323's half-year report of 2026", call!(c.deadlines, file_report, file))
        .deny(&who.front_323, ROLE_REQUIRED)
        .deny(&who.secretary, ROLE_REQUIRED)
        .deny(&who.host_other, "NOT_YOUR_POST")
        .deny(&who.office_325, OUT_OF_SCOPE)
        .deny(&who.office_11950, OUT_OF_SCOPE)
        .allow(&who.office_323);
}

// ---------------------------------------------------------------- every service

fn unit_replicas(t: &mut Table, c: &Clients, who: &Callers) {
    for (name, client) in &c.replicas {
        let svc = format!("{name} UnitReplica");
        let get = GetUnitRequest { code: "11950".into() };
        t.rpc(&svc, "GetUnit", "11950", call!(client, get_unit, get))
            .deny(&who.office_325, OUT_OF_SCOPE)
            .allow(&who.front_323);
        let children = ListChildrenRequest { code: "323".into(), ..Default::default() };
        t.rpc(&svc, "ListChildren", "323", call!(client, list_children, children))
            .deny(&who.office_325, OUT_OF_SCOPE)
            .allow(&who.monitor_33);
    }
}

fn simulated_clocks(t: &mut Table, c: &Clients, who: &Callers, stack: &Stack) {
    for (name, client) in &c.clocks {
        let svc = format!("{name} SimulatedClock");
        t.rpc(&svc, "GetTime", "", call!(client, get_time, GetTimeRequest {}))
            .deny(&who.office_33, ROLE_REQUIRED)
            .allow(&who.admin_33)
            .allow(&who.admin_325);
        // To the time it shows: every later cell keeps its day.
        let (client, clock) = (client.clone(), stack.clock.clone());
        let set: Call = Box::new(move |token: Option<String>| {
            let mut client = client.clone();
            let request = SetTimeRequest { time: Some(timestamp(clock.now())) };
            async move { answer(client.set_time(with_token(request, token.as_deref())).await, |_| None) }.boxed()
        });
        t.rpc(&svc, "SetTime", "to the time it shows", set)
            .deny(&who.admin_323, ROOT_ADMIN_REQUIRED)
            .deny(&who.office_33, ROOT_ADMIN_REQUIRED)
            .allow_with(&who.admin_33, Code::Ok);
    }
}

// ---------------------------------------------------------------- the table

/// What an OK answer is checked for beyond being OK: `Some(problem)` when it is wrong.
type Answer = Result<Option<String>, Status>;
type Call = Box<dyn Fn(Option<String>) -> BoxFuture<'static, Answer> + Send + Sync>;

fn with_token<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
    match token {
        Some(token) => authorized(message, token),
        None => tonic::Request::new(message),
    }
}

fn answer<T>(result: Result<tonic::Response<T>, Status>, check: impl FnOnce(T) -> Option<String>) -> Answer {
    result.map(|response| check(response.into_inner()))
}

enum Expect {
    /// Past the access check: anything but PERMISSION_DENIED and UNAUTHENTICATED.
    Allowed,
    /// Past the access check with exactly this code.
    AllowedWith(Code),
    Denied(&'static str),
    Unauthenticated,
}

impl Expect {
    fn show(&self) -> String {
        match self {
            Expect::Allowed => "allowed".into(),
            Expect::AllowedWith(code) => format!("allowed ({code:?})"),
            Expect::Denied(reason) => format!("PERMISSION_DENIED {reason}"),
            Expect::Unauthenticated => "UNAUTHENTICATED".into(),
        }
    }
}

#[derive(Clone)]
struct Caller {
    label: String,
    token: String,
}

fn caller(label: &str, token: String) -> Caller {
    Caller { label: label.into(), token }
}

struct Cell {
    caller: String,
    token: Option<String>,
    expect: Expect,
}

struct Row {
    rpc: String,
    on: String,
    call: Call,
    cells: Vec<Cell>,
}

impl Row {
    fn cell(&mut self, who: &Caller, expect: Expect) -> &mut Self {
        self.cells.push(Cell { caller: who.label.clone(), token: Some(who.token.clone()), expect });
        self
    }

    fn allow(&mut self, who: &Caller) -> &mut Self {
        self.cell(who, Expect::Allowed)
    }

    fn allow_with(&mut self, who: &Caller, code: Code) -> &mut Self {
        self.cell(who, Expect::AllowedWith(code))
    }

    fn deny(&mut self, who: &Caller, reason: &'static str) -> &mut Self {
        self.cell(who, Expect::Denied(reason))
    }
}

struct Table {
    rows: Vec<Row>,
    /// RPCs that already have their no-token and no-role cells.
    seen: HashSet<String>,
    /// A valid token without a single role.
    no_roles: Caller,
}

struct Report {
    rows: usize,
    cells: usize,
    table: String,
    allowed_answers: BTreeMap<String, usize>,
    mismatches: Vec<String>,
}

impl Table {
    fn new(no_roles: &Caller) -> Self {
        Self { rows: Vec::new(), seen: HashSet::new(), no_roles: no_roles.clone() }
    }

    /// A row: one request to `service rpc` (`on` says what it names), sent by
    /// each of the row's callers. The first row of an RPC also sends it
    /// without a token and with a token that carries no role: every RPC needs one.
    fn rpc(&mut self, service: &str, rpc: &str, on: &str, call: Call) -> &mut Row {
        let rpc = format!("{service}.{rpc}");
        let mut cells = Vec::new();
        if self.seen.insert(rpc.clone()) {
            cells.push(Cell { caller: "no token".into(), token: None, expect: Expect::Unauthenticated });
            let no_roles = &self.no_roles;
            cells.push(Cell {
                caller: no_roles.label.clone(),
                token: Some(no_roles.token.clone()),
                expect: Expect::Denied(ROLE_REQUIRED),
            });
        }
        self.rows.push(Row { rpc, on: on.into(), call, cells });
        self.last()
    }

    fn last(&mut self) -> &mut Row {
        self.rows.last_mut().unwrap()
    }

    async fn run(&self) -> Report {
        let mut report = Report {
            rows: self.rows.len(),
            cells: 0,
            table: String::new(),
            allowed_answers: BTreeMap::new(),
            mismatches: Vec::new(),
        };
        for row in &self.rows {
            let target = if row.on.is_empty() { row.rpc.clone() } else { format!("{} [{}]", row.rpc, row.on) };
            writeln!(report.table, "{target}").unwrap();
            for cell in &row.cells {
                report.cells += 1;
                let got = match tokio::time::timeout(ANSWER_WITHIN, (row.call)(cell.token.clone())).await {
                    Ok(answer) => answer,
                    Err(_) => Err(Status::deadline_exceeded(format!("no answer within {ANSWER_WITHIN:?}"))),
                };
                let (shown, problem) = judge(&cell.expect, &got);
                if matches!(cell.expect, Expect::Allowed | Expect::AllowedWith(_)) {
                    let code = got.as_ref().map_or_else(Status::code, |_| Code::Ok);
                    *report.allowed_answers.entry(format!("{code:?}")).or_default() += 1;
                }
                let mark = if problem.is_some() { "MISMATCH" } else { "ok" };
                writeln!(report.table, "  {mark:8} {:48} expected {:40} got {shown}", cell.caller, cell.expect.show())
                    .unwrap();
                if let Some(problem) = problem {
                    report.mismatches.push(format!(
                        "- {target} | {} | expected {} | got {shown}{problem}",
                        cell.caller,
                        cell.expect.show()
                    ));
                }
            }
        }
        report
    }
}

/// What an answer shows, and what is wrong with it for the cell (`Some("")`
/// when only the code or reason differs).
fn judge(expect: &Expect, got: &Answer) -> (String, Option<String>) {
    let shown = match got {
        Ok(None) => "OK".to_owned(),
        Ok(Some(problem)) => format!("OK, but {problem}"),
        Err(status) => {
            let reason = rule(status);
            let message: String = status.message().chars().take(120).collect();
            if reason.is_empty() {
                format!("{:?} ({message})", status.code())
            } else {
                format!("{:?} {reason} ({message})", status.code())
            }
        }
    };
    let code = got.as_ref().map_or_else(Status::code, |_| Code::Ok);
    let wrong = match (expect, got) {
        (_, Ok(Some(_))) => true,
        (Expect::Allowed, _) => {
            matches!(
                code,
                Code::PermissionDenied | Code::Unauthenticated | Code::Unimplemented | Code::Internal | Code::Unknown
            ) || code == Code::DeadlineExceeded
        }
        (Expect::AllowedWith(wanted), _) => code != *wanted,
        (Expect::Denied(reason), Err(status)) => status.code() != Code::PermissionDenied || rule(status) != *reason,
        (Expect::Denied(_), Ok(_)) => true,
        (Expect::Unauthenticated, _) => code != Code::Unauthenticated,
    };
    (shown, wrong.then(String::new))
}

// ---------------------------------------------------------------- callers

struct Callers {
    admin_33: Caller,
    admin_323: Caller,
    admin_325: Caller,
    office_33: Caller,
    office_323: Caller,
    office_325: Caller,
    office_11950: Caller,
    office_11953: Caller,
    front_33: Caller,
    front_323: Caller,
    front_11950: Caller,
    monitor_33: Caller,
    none_33: Caller,
    none_11950: Caller,
    service_323: Caller,
    /// C1's, C2's and D's host.
    host: Caller,
    /// C3's host.
    host_other: Caller,
    /// P's host.
    host_province: Caller,
    /// C1's, C2's (and, once assigned, D's) secretary.
    secretary: Caller,
    /// C3's secretary.
    secretary_other: Caller,
    agency_a: Caller,
    agency_a_outside: Caller,
    agency_b: Caller,
    agency_b_outside: Caller,
    agency_c_outside: Caller,
    agency_e: Caller,
    agency_without_org: Caller,
}

impl Callers {
    fn new(w: &World) -> Self {
        let of = |unit: &str, role: Role| token(unit, &[role]);
        Self {
            admin_33: caller("ADMIN @33 (root)", of("33", Role::Admin)),
            admin_323: caller("ADMIN @323", of("323", Role::Admin)),
            admin_325: caller("ADMIN @325", of("325", Role::Admin)),
            office_33: caller("OFFICE @33", of("33", Role::Office)),
            office_323: caller("OFFICE @323", of("323", Role::Office)),
            office_325: caller("OFFICE @325 (another district)", of("325", Role::Office)),
            office_11950: caller("OFFICE @11950 (below 323, coordinating)", of("11950", Role::Office)),
            office_11953: caller("OFFICE @11953 (below 323, not coordinating)", of("11953", Role::Office)),
            front_33: caller("FRONT @33", of("33", Role::Front)),
            front_323: caller("FRONT @323", of("323", Role::Front)),
            front_11950: caller("FRONT @11950 (coordinating)", of("11950", Role::Front)),
            monitor_33: caller("MONITOR @33", of("33", Role::Monitor)),
            none_33: caller("no roles @33", token("33", &[])),
            none_11950: caller("no roles @11950", token("11950", &[])),
            service_323: caller("SERVICE @323 (portal)", of("323", Role::Service)),
            host: caller("HOST bithu-323", token_for("bithu-323", "323", &[Role::Host])),
            host_other: caller("HOST chutich-323", token_for("chutich-323", "323", &[Role::Host])),
            host_province: caller("HOST bithu-33", token_for("bithu-33", "33", &[Role::Host])),
            secretary: caller("SECRETARY thuky-323", token_for("thuky-323", "323", &[Role::Secretary])),
            secretary_other: caller("SECRETARY thuky-ubnd-323", token_for("thuky-ubnd-323", "323", &[Role::Secretary])),
            agency_a: caller("AGENCY A @323", agency_token(&w.agency_a, "323")),
            agency_a_outside: caller("AGENCY A @325 (outside)", agency_token(&w.agency_a, "325")),
            agency_b: caller("AGENCY B @323", agency_token(&w.agency_b, "323")),
            agency_b_outside: caller("AGENCY B @325 (outside)", agency_token(&w.agency_b, "325")),
            agency_c_outside: caller("AGENCY C @325 (325's agency)", agency_token(&w.agency_c, "325")),
            agency_e: caller("AGENCY E @323", agency_token(&w.agency_e.id, "323")),
            agency_without_org: caller("AGENCY @323 without an org claim", of("323", Role::Agency)),
        }
    }
}

struct Clients {
    units: UnitDirectoryClient<Channel>,
    directory: DirectoryClient<Channel>,
    conferences: ConferencesClient<Channel>,
    plans: PlansClient<Channel>,
    participants: ParticipantsClient<Channel>,
    minutes: MinutesServiceClient<Channel>,
    deadlines: DeadlinesClient<Channel>,
    replicas: Vec<(&'static str, UnitReplicaClient<Channel>)>,
    clocks: Vec<(&'static str, SimulatedClockClient<Channel>)>,
}

impl Clients {
    async fn connect(stack: &Stack) -> Self {
        let scheduling = stack.channel("scheduling").await;
        let mut replicas = Vec::new();
        for name in REPLICAS {
            replicas.push((name, UnitReplicaClient::new(stack.channel(name).await)));
        }
        let mut clocks = Vec::new();
        for name in SERVICES {
            clocks.push((name, SimulatedClockClient::new(stack.channel(name).await)));
        }
        Self {
            units: UnitDirectoryClient::new(scheduling.clone()),
            directory: DirectoryClient::new(scheduling.clone()),
            conferences: ConferencesClient::new(scheduling.clone()),
            plans: PlansClient::new(scheduling),
            participants: ParticipantsClient::new(stack.channel("participants").await),
            minutes: MinutesServiceClient::new(stack.channel("minutes").await),
            deadlines: DeadlinesClient::new(stack.channel("deadlines").await),
            replicas,
            clocks,
        }
    }
}

// ---------------------------------------------------------------- the world

struct World {
    head: String,
    deputy: Position,
    agency_a: String,
    agency_b: String,
    agency_c: String,
    agency_e: Organization,
    c1: String,
    c2: String,
    c3: String,
    d: String,
    draft_d: ConferenceDraft,
    p: String,
    /// Participants of C3: one to check in and speak, one the host refuses.
    x: String,
    z: String,
    speakers_c3: Vec<String>,
    speakers_c2: Vec<String>,
    invitation: String,
    invitation_checkin: String,
    notice: String,
    p1: String,
    /// P1's receipt code.
    p1_code: String,
    p2: String,
    received: String,
    complaint: String,
    to_answer: String,
    to_escalate: String,
    obligation: String,
}

fn draft(unit: &str, body: Body, host: &str, starts_at: &str, invited: Vec<String>) -> ConferenceDraft {
    ConferenceDraft {
        unit_code: unit.into(),
        body: body as i32,
        host_position_id: host.into(),
        regime: Regime::Periodic as i32,
        kind: ConferenceKind::CitizensDirect as i32,
        form: Form::InPerson as i32,
        venue_unit_code: "11950".into(),
        venue_address: "Hội trường phường Lam Sơn".into(),
        theme: "Trật tự đô thị".into(),
        agenda: vec![
            AgendaItem { title: "Vỉa hè".into(), field: 1, ..Default::default() },
            AgendaItem { title: "Chợ tạm".into(), field: 1, ..Default::default() },
        ],
        starts_at: Some(timestamp(at(starts_at))),
        planned_minutes: 180,
        invited_organization_ids: invited,
        ..Default::default()
    }
}

impl World {
    async fn set_up(stack: &Stack) -> Self {
        let district = District::set_up(stack).await;
        let office_33 = token("33", &[Role::Office]);
        let office_323 = district.office.clone();
        let office_325 = token("325", &[Role::Office]);
        let secretary = token_for("thuky-323", "323", &[Role::Secretary]);
        let secretary_other = token_for("thuky-ubnd-323", "323", &[Role::Secretary]);
        let host = token_for("bithu-323", "323", &[Role::Host]);
        let scheduling = stack.channel("scheduling").await;
        let directory = DirectoryClient::new(scheduling.clone());
        let mut conferences = ConferencesClient::new(scheduling);

        let agency = |unit: &'static str, name: &'static str, office: String| {
            let mut directory = directory.clone();
            async move {
                let organization = Organization {
                    unit_code: unit.into(),
                    kind: OrganizationKind::Department as i32,
                    name: name.into(),
                    ..Default::default()
                };
                let request = CreateOrganizationRequest { organization: Some(organization), ..Default::default() };
                directory.create_organization(authorized(request, &office)).await.unwrap().into_inner()
            }
        };
        let agency_b = agency("323", "Phòng Quản lý đô thị", office_323.clone()).await.id;
        let agency_e = agency("323", "Phòng Giáo dục và Đào tạo", office_323.clone()).await;
        let agency_c = agency("325", "Phòng Tài nguyên và Môi trường huyện Văn Lâm", office_325).await.id;
        let agency_a = district.agency.id.clone();

        let post = |unit: &'static str, body: Body, rank: Rank, title: &'static str, subject: &'static str, office| {
            create_post(stack, (unit, body, rank), title, subject, office)
        };
        let deputy =
            post("323", Body::PartyCommittee, Rank::Deputy, "Phó Bí thư Thành ủy", "phobithu-323", &office_323).await;
        let chair =
            post("323", Body::PeoplesCommittee, Rank::Head, "Chủ tịch UBND thành phố", "chutich-323", &office_323)
                .await;
        let province = post("33", Body::PartyCommittee, Rank::Head, "Bí thư Tỉnh ủy", "bithu-33", &office_33).await;

        // C1 and C2 through the district's fixture; C3, D and P here.
        let both = vec![agency_a.clone(), agency_b.clone()];
        let c1 = district.announced_at(stack, "2026-03-09T02:00:00Z", "2026-03-02", both).await.id;
        let c2 = district.announced_at(stack, "2026-03-10T02:00:00Z", "2026-03-02", vec![agency_a.clone()]).await.id;
        let draft_c3 = draft("323", Body::PeoplesCommittee, &chair.id, "2026-03-12T02:00:00Z", vec![agency_a.clone()]);
        let creating = conferences.clone();
        let create = |draft: ConferenceDraft, office: &str| {
            let mut conferences = creating.clone();
            let request = authorized(CreateConferenceRequest { draft: Some(draft), ..Default::default() }, office);
            async move { conferences.create_conference(request).await.unwrap().into_inner().id }
        };
        let c3 = create(draft_c3, &office_323).await;
        let assign = AssignSecretaryRequest {
            id: c3.clone(),
            secretary_subject: "thuky-ubnd-323".into(),
            secretary_name: "Đỗ Thị Thư Ký".into(),
        };
        conferences.assign_secretary(authorized(assign, &office_323)).await.unwrap();
        let notice = AnnounceConferenceRequest {
            id: c3.clone(),
            media_channel: "Đài Phát thanh Hưng Yên".into(),
            publication_date: "2026-03-02".into(),
        };
        conferences.announce_conference(authorized(notice, &office_323)).await.unwrap();
        let draft_d = draft("323", Body::PartyCommittee, &district.head.id, "2026-04-15T02:00:00Z", Vec::new());
        let d = create(draft_d.clone(), &office_323).await;
        let p = create(draft("33", Body::PartyCommittee, &province.id, "2026-04-20T02:00:00Z", Vec::new()), &office_33)
            .await;

        // Registrations: C2's before it starts, C3's while it is announced.
        let participants = || async { ParticipantsClient::new(stack.channel("participants").await) };
        for conference in [&c2, &c3] {
            let request = ParticipantsConference { conference_id: conference.clone() };
            eventually(WAIT, "registration to open", || async {
                let attendance =
                    participants().await.get_attendance(authorized(request.clone(), &office_323)).await.ok()?;
                attendance.get_ref().registration_open.then_some(())
            })
            .await;
        }
        let register = |conference: &str, name: &str, token: &str| {
            let person = Person { full_name: name.into(), ..Default::default() };
            let request = RegisterParticipantRequest {
                conference_id: conference.into(),
                who: Some(Who::Person(person)),
                unit_code: "11950".into(),
                ..Default::default()
            };
            let token = token.to_owned();
            async move {
                participants().await.register_participant(authorized(request, &token)).await.unwrap().into_inner().id
            }
        };
        let speak = |conference: &str, participant: &str, topic: &str, token: &str| {
            let request = RegisterSpeakerRequest {
                conference_id: conference.into(),
                participant_id: participant.into(),
                topic: topic.into(),
                field: 1,
                ..Default::default()
            };
            let token = token.to_owned();
            async move { participants().await.register_speaker(authorized(request, &token)).await.unwrap().into_inner().id }
        };
        let y = register(&c2, "Trần Văn Dân", &secretary).await;
        let mut speakers_c2 = Vec::new();
        for topic in ["Bồi thường chậm", "Tái định cư"] {
            speakers_c2.push(speak(&c2, &y, topic, &secretary).await);
        }
        let x = register(&c3, "Nguyễn Thị Hoa", &secretary_other).await;
        let z = register(&c3, "Lê Văn Gây", &secretary_other).await;
        let mut speakers_c3 = Vec::new();
        for topic in ["Vỉa hè bị lấn chiếm", "Chợ tạm gây ùn tắc", "Chợ tạm mất vệ sinh", "Tranh chấp đất đai"]
        {
            speakers_c3.push(speak(&c3, &x, topic, &secretary_other).await);
        }
        let invite = |name: &'static str| {
            let request = InviteRequest {
                conference_id: c3.clone(),
                organization_id: agency_a.clone(),
                invitee_name: name.into(),
                invitee_title: "Trưởng phòng".into(),
                answers_agenda_items: vec![0, 1],
                ..Default::default()
            };
            let office = office_323.clone();
            async move {
                eventually(WAIT, "the agency in the participants' replica", || async {
                    participants().await.invite(authorized(request.clone(), &office)).await.ok()
                })
                .await
                .into_inner()
                .id
            }
        };
        let invitation = invite("Trưởng phòng Tài nguyên").await;
        let invitation_checkin = invite("Phó phòng Tài nguyên").await;

        // C1: started on 9 March, its petitions, conclusion, signatures, an escalation and the notice.
        let minutes = || async { MinutesServiceClient::new(stack.channel("minutes").await) };
        let minutes_open = |conference: String| {
            let secretary = secretary.clone();
            async move {
                eventually(WAIT, "the minutes to open", || async {
                    let request = ConferenceRequest { conference_id: conference.clone() };
                    minutes().await.get_minutes(authorized(request, &secretary)).await.ok()
                })
                .await;
            }
        };
        let petition = |conference: &str, text: &str, classification: Classification| {
            let request = RecordPetitionRequest {
                conference_id: conference.into(),
                text: text.into(),
                field: 1,
                classification: classification as i32,
                ..Default::default()
            };
            let secretary = secretary.clone();
            async move { minutes().await.record_petition(authorized(request, &secretary)).await.unwrap().into_inner().id }
        };
        stack.clock.set(at("2026-03-09T02:00:00Z"));
        conferences.start_conference(authorized(ConferenceRef { id: c1.clone() }, &office_323)).await.unwrap();
        minutes_open(c1.clone()).await;
        let p1 = petition(&c1, "Cấp giấy chứng nhận quyền sử dụng đất chậm", Classification::Petition).await;
        let p2 = petition(&c1, "Ngập úng khi mưa lớn", Classification::Proposal).await;
        let p3 = petition(&c1, "Nâng cấp quốc lộ 39", Classification::Proposal).await;
        let mut client = minutes().await;
        let p1_code = client
            .get_petition(authorized(PetitionRequest { petition_id: p1.clone() }, &office_323))
            .await
            .unwrap()
            .into_inner()
            .receipt_code;
        let up = EscalatePetitionRequest {
            petition_id: p3,
            to_unit_code: "33".into(),
            petitioner_notified_on: "2026-03-09".into(),
            ..Default::default()
        };
        let escalated = client.escalate_petition(authorized(up, &office_323)).await.unwrap().into_inner();
        let received = escalated.escalation.unwrap().escalated_petition_id;
        let conclusion = RecordConclusionRequest {
            conference_id: c1.clone(),
            conclusion: "Giao các cơ quan giải quyết".into(),
        };
        client.record_conclusion(authorized(conclusion, &host)).await.unwrap();
        let c1_request = ConferenceRequest { conference_id: c1.clone() };
        client.sign_minutes(authorized(c1_request.clone(), &secretary)).await.unwrap();
        client.sign_minutes(authorized(c1_request, &host)).await.unwrap();
        let assign = |petition: &str, organization: &str| NoticeAssignment {
            petition_id: petition.into(),
            organization_id: organization.into(),
            received_on: String::new(),
        };
        let issue = IssueConclusionNoticeRequest {
            conference_id: c1.clone(),
            number: "15/TB-TU".into(),
            sent_on: "2026-03-09".into(),
            signer: "Chánh Văn phòng Thành ủy".into(),
            assignments: vec![assign(&p1, &agency_a), assign(&p2, &agency_b)],
            ..Default::default()
        };
        let notice = eventually(WAIT, "the agencies in the minutes' replica", || async {
            minutes().await.issue_conclusion_notice(authorized(issue.clone(), &office_323)).await.ok()
        })
        .await
        .into_inner()
        .id;

        // C2: in progress from 10 March, with a complaint and two petitions.
        stack.clock.set(at("2026-03-10T02:00:00Z"));
        conferences.start_conference(authorized(ConferenceRef { id: c2.clone() }, &office_323)).await.unwrap();
        minutes_open(c2.clone()).await;
        let complaint = petition(&c2, "Khiếu nại quyết định thu hồi đất", Classification::Complaint).await;
        let to_answer = petition(&c2, "Chậm chi trả tiền bồi thường", Classification::Petition).await;
        let to_escalate = petition(&c2, "Mở rộng cầu Yên Lệnh", Classification::Proposal).await;
        let request = ParticipantsConference { conference_id: c2.clone() };
        eventually(WAIT, "C2 in progress in the participants' replica", || async {
            let attendance =
                participants().await.get_attendance(authorized(request.clone(), &office_323)).await.ok()?;
            (!attendance.get_ref().registration_open).then_some(())
        })
        .await;
        stack.clock.set(at(CELLS_AT));

        // What the deadlines service owes, and the replicas' posts and units.
        let monitor = token("33", &[Role::Monitor]);
        let deadlines = || async { DeadlinesClient::new(stack.channel("deadlines").await) };
        let owed = ListObligationsRequest {
            unit_code: "323".into(),
            kind: ObligationKind::ReportHalfYear as i32,
            head_position_id: district.head.id.clone(),
            ..Default::default()
        };
        let obligation = eventually(WAIT, "the head's half-year report owed", || async {
            let listed = deadlines().await.list_obligations(authorized(owed.clone(), &monitor)).await.ok()?;
            listed.into_inner().obligations.into_iter().next().map(|o| o.id)
        })
        .await;
        for name in ["participants", "minutes"] {
            eventually(WAIT, &format!("{name} to hold the posts"), || async {
                (stack.count(name, "SELECT count(*) FROM positions").await >= 4).then_some(())
            })
            .await;
        }
        stack.replicas_hold(172).await;

        Self {
            head: district.head.id.clone(),
            deputy,
            agency_a,
            agency_b,
            agency_c,
            agency_e,
            c1,
            c2,
            c3,
            d,
            draft_d,
            p,
            x,
            z,
            speakers_c3,
            speakers_c2,
            invitation,
            invitation_checkin,
            notice,
            p1,
            p1_code,
            p2,
            received,
            complaint,
            to_answer,
            to_escalate,
            obligation,
        }
    }
}
