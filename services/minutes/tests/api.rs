//! The minutes service alone, through its gRPC API. The test plays the
//! scheduling service: it publishes the units, the host's post, the agencies
//! and the conference's lifecycle on the scheduling stream, as that service's
//! relay would, and reads what minutes publishes on its own stream.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use async_nats::jetstream;
use chrono::{DateTime, Utc};
use doithoai_proto::common::v1::DocumentFormat;
use doithoai_proto::{
    common::v1::{EventEnvelope, Tier, Unit},
    directory::v1::{GetUnitRequest, UnitUpserted, unit_replica_client::UnitReplicaClient},
    minutes::v1::{
        AcknowledgeNoticeRequest, AddEntryRequest, AnswerPetitionRequest, Classification, ConclusionNoticeIssued,
        ConclusionSigned, ConferenceRequest, EscalatePetitionRequest, FindPetitionRequest,
        IssueConclusionNoticeRequest, MinutesOpened, MinutesState, NoticeAssignment, NoticeReceived, Outcome, Petition,
        PetitionRecorded, PetitionRequest, PetitionStatus, RecordConclusionRequest, RecordOpeningRequest,
        RecordPetitionRequest, RecordResponseRequest, ReferPetitionRequest, RenderPetitionRequest, RenderRequest,
        Response as WrittenResponse, minutes_service_client::MinutesServiceClient,
    },
    scheduling::v1::{
        Body, Conference, ConferenceAnnounced, ConferenceEnded, ConferenceStarted, ConferenceState, Organization,
        OrganizationKind, OrganizationUpserted, Position, PositionUpserted, Rank,
    },
};
use doithoai_runtime::{
    Clock, Role, RunningService,
    events::Event,
    testsuite::{self, Events, TestNats, agency_token, authorized, eventually, token, token_for},
    time::timestamp,
};
use prost::{Message, Name};
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);
/// Tuesday 10 March 2026, 09:00 in Hà Nội: the conference starts.
const CONFERENCE_DAY: &str = "2026-03-10T02:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

type Reply<T> = Result<tonic::Response<T>, Status>;

/// Asserts a refusal: its code and the reason its ErrorInfo names.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Reply<T>, (code, reason): (Code, &str)) {
    let status = result.expect_err("a refusal");
    let named = status.get_details_error_info().map(|info| info.reason).unwrap_or_default();
    assert_eq!((status.code(), named.as_str()), (code, reason), "{}", status.message());
}

/// The answer to a request that must succeed.
#[track_caller]
fn ok<T>(result: Reply<T>) -> T {
    result.unwrap_or_else(|status| panic!("refused: {status:?}")).into_inner()
}

/// A rule of the regulation (or the record's state) does not allow the step.
fn rule(id: &str) -> (Code, &str) {
    (Code::FailedPrecondition, id)
}

/// The caller may not: a question of who.
fn denied(reason: &str) -> (Code, &str) {
    (Code::PermissionDenied, reason)
}

/// The step was done already, and is done once.
fn repeated(id: &str) -> (Code, &str) {
    (Code::AlreadyExists, id)
}

fn payload<M: Message + Default>(envelope: &EventEnvelope) -> M {
    M::decode(envelope.payload.as_slice()).unwrap()
}

/// The unit at the end of `path`.
fn unit(path: &[&str], name: &str, tier: Tier, kind: &str) -> Unit {
    let (code, parent) = (path[path.len() - 1], if path.len() > 1 { path[path.len() - 2] } else { "" });
    let path = path.iter().map(|c| c.to_string()).collect();
    let (name, kind) = (name.into(), kind.into());
    Unit { code: code.into(), name, tier: tier as i32, parent_code: parent.into(), kind, path, ..Unit::default() }
}

fn organization(unit_code: &str, name: &str) -> Organization {
    Organization {
        id: Uuid::now_v7().to_string(),
        unit_code: unit_code.into(),
        kind: OrganizationKind::Department as i32,
        name: name.into(),
        active: true,
        ..Default::default()
    }
}

/// A conference of district 323 hosted by `head`, inviting `agency`, with
/// the secretary `thuky-323`, in `state`, as scheduling describes it.
fn conference(head: &Position, agency: &Organization, state: ConferenceState, version: u32) -> Conference {
    let under_way = matches!(state, ConferenceState::InProgress | ConferenceState::Ended);
    Conference {
        id: Uuid::now_v7().to_string(),
        unit_code: "323".into(),
        unit_path: vec!["33".into(), "323".into()],
        body: Body::PartyCommittee as i32,
        host_position_id: head.id.clone(),
        accountable_position_id: head.id.clone(),
        venue_unit_code: "11950".into(),
        theme: "Giải phóng mặt bằng".into(),
        starts_at: Some(timestamp(at(CONFERENCE_DAY))),
        invited_organization_ids: vec![agency.id.clone()],
        secretary_subject: "thuky-323".into(),
        state: state as i32,
        started_at: under_way.then(|| timestamp(at(CONFERENCE_DAY))),
        version,
        ..Default::default()
    }
}

struct Fixture {
    nats: TestNats,
    database: String,
    service: RunningService,
    clock: Clock,
    scheduling: Events,
    jetstream: jetstream::Context,
    channel: Channel,
    head: Position,
    agency: Organization,
    /// The conference whose minutes the tests write.
    conference: Conference,
    secretary: String,
    host: String,
    office: String,
}

impl Fixture {
    /// Minutes alone on its own NATS and database, told by "scheduling" of
    /// the units, the Bí thư's post (`bithu-323`) and an agency of 323, and
    /// that a conference inviting the agency has started; its minutes open.
    async fn started() -> Self {
        doithoai_runtime::telemetry::init_for_tests();
        let nats = TestNats::start().await.unwrap();
        let database = testsuite::unique_database("minutes");
        let clock = Clock::fixed(at(CONFERENCE_DAY));
        let service =
            doithoai_minutes::start(testsuite::settings(&database, &nats.url()), clock.clone()).await.unwrap();
        let channel = Channel::from_shared(format!("http://{}", service.grpc_addr)).unwrap().connect().await.unwrap();
        let scheduling = Events::of("scheduling", &nats.url()).await.unwrap();
        let jetstream = jetstream::new(async_nats::connect(nats.url()).await.unwrap());
        let head = Position {
            id: Uuid::now_v7().to_string(),
            unit_code: "323".into(),
            body: Body::PartyCommittee as i32,
            rank: Rank::Head as i32,
            title: "Bí thư Thành ủy".into(),
            subject: "bithu-323".into(),
            ..Default::default()
        };
        let agency = organization("323", "Phòng Tài nguyên và Môi trường");
        let conference = conference(&head, &agency, ConferenceState::InProgress, 2);
        let f = Fixture {
            nats,
            database,
            service,
            clock,
            scheduling,
            jetstream,
            channel,
            head,
            agency,
            conference,
            secretary: token_for("thuky-323", "323", &[Role::Secretary]),
            host: token_for("bithu-323", "323", &[Role::Host]),
            office: token("323", &[Role::Office]),
        };
        f.publish_unit(unit(&["33"], "Tỉnh Hưng Yên", Tier::Province, "Tỉnh")).await;
        f.publish_unit(unit(&["33", "323"], "Thành phố Hưng Yên", Tier::District, "Thành phố")).await;
        f.publish_unit(unit(&["33", "323", "11950"], "Phường Lam Sơn", Tier::Commune, "Phường")).await;
        let post = PositionUpserted { position: Some(f.head.clone()), unit_path: vec!["33".into(), "323".into()] };
        f.publish("position_upserted", &f.head.id, &post.unit_path, &post).await;
        f.publish_organization(&f.agency, &["33", "323"]).await;
        f.publish_conference(&f.conference).await;
        eventually(WAIT, "the minutes open", || async {
            f.client().get_minutes(authorized(f.conference_ref(), &f.secretary)).await.ok()
        })
        .await;
        f
    }

    async fn publish<M: Message + Name>(&self, kind: &'static str, id: &str, path: &[String], message: &M) {
        self.scheduling.publish(&Event::new(kind, id, path.to_vec(), message)).await.unwrap();
    }

    /// The event scheduling publishes when a conference reaches its state.
    async fn publish_conference(&self, conference: &Conference) {
        let (id, path, conference) = (&conference.id, &conference.unit_path, Some(conference.clone()));
        match conference.as_ref().map(|c| c.state()) {
            Some(ConferenceState::Announced) => {
                self.publish("conference_announced", id, path, &ConferenceAnnounced { conference }).await
            }
            Some(ConferenceState::InProgress) => {
                self.publish("conference_started", id, path, &ConferenceStarted { conference }).await
            }
            Some(ConferenceState::Ended) => {
                self.publish("conference_ended", id, path, &ConferenceEnded { conference }).await
            }
            other => panic!("no event for {other:?} here"),
        }
    }

    /// The conference ends at 12:00 on its day, as scheduling tells; the end.
    async fn end(&self) -> prost_types::Timestamp {
        let ended_at = timestamp(at("2026-03-10T05:00:00Z"));
        let ended = Conference {
            state: ConferenceState::Ended as i32,
            ended_at: Some(ended_at),
            version: 3,
            ..self.conference.clone()
        };
        self.publish_conference(&ended).await;
        ended_at
    }

    async fn publish_unit(&self, unit: Unit) {
        let (code, path) = (unit.code.clone(), unit.path.clone());
        self.publish("unit_upserted", &code, &path, &UnitUpserted { unit: Some(unit) }).await;
    }

    async fn publish_organization(&self, organization: &Organization, path: &[&str]) {
        let path: Vec<String> = path.iter().map(|c| c.to_string()).collect();
        let upserted = OrganizationUpserted { organization: Some(organization.clone()), unit_path: path.clone() };
        self.publish("organization_upserted", &organization.id, &path, &upserted).await;
    }

    fn client(&self) -> MinutesServiceClient<Channel> {
        MinutesServiceClient::new(self.channel.clone())
    }

    fn conference_ref(&self) -> ConferenceRequest {
        ConferenceRequest { conference_id: self.conference.id.clone() }
    }

    fn render(&self, format: DocumentFormat) -> RenderRequest {
        RenderRequest { conference_id: self.conference.id.clone(), format: format as i32 }
    }

    fn petition_request(&self, classification: Classification, text: &str) -> RecordPetitionRequest {
        RecordPetitionRequest {
            conference_id: self.conference.id.clone(),
            text: text.into(),
            field: 1,
            classification: classification as i32,
            ..Default::default()
        }
    }

    /// A petition the secretary records.
    async fn petition(&self, classification: Classification, text: &str) -> Petition {
        let request = self.petition_request(classification, text);
        ok(self.client().record_petition(authorized(request, &self.secretary)).await)
    }

    /// An answer recorded by `token`'s holder: the host's own (no
    /// `organization`), or an agency official's.
    async fn answer(&self, token: &str, petition: &str, organization: &str) -> Reply<Petition> {
        let request = AnswerPetitionRequest {
            petition_id: petition.into(),
            text: "Sẽ chi trả trong quý II".into(),
            organization_id: organization.into(),
            official_name: "Trưởng phòng".into(),
            ..Default::default()
        };
        self.client().answer_petition(authorized(request, token)).await
    }

    /// The host concludes; the secretary and the host sign.
    async fn sign(&self) {
        let mut client = self.client();
        let conclusion = RecordConclusionRequest {
            conference_id: self.conference.id.clone(),
            conclusion: "Giao các cơ quan giải quyết dứt điểm".into(),
        };
        client.record_conclusion(authorized(conclusion, &self.host)).await.unwrap();
        client.sign_minutes(authorized(self.conference_ref(), &self.secretary)).await.unwrap();
        let signed = ok(client.sign_minutes(authorized(self.conference_ref(), &self.host)).await);
        assert_eq!(signed.state, MinutesState::Signed as i32);
    }

    /// Every event on the minutes stream, in order, with its subject.
    async fn minutes_events(&self) -> Vec<(String, EventEnvelope)> {
        let Ok(mut stream) = self.jetstream.get_stream("DOITHOAI_MINUTES").await else { return Vec::new() };
        let last = stream.info().await.unwrap().state.last_sequence;
        let mut events = Vec::new();
        for seq in 1..=last {
            let message = stream.get_raw_message(seq).await.unwrap();
            events.push((message.subject.to_string(), EventEnvelope::decode(message.payload).unwrap()));
        }
        events
    }

    /// The events of one kind (`conclusion_signed`) on the minutes stream.
    async fn events_of(&self, kind: &str) -> Vec<EventEnvelope> {
        let events = self.minutes_events().await.into_iter();
        events.filter(|(subject, _)| subject.split('.').nth(2) == Some(kind)).map(|(_, e)| e).collect()
    }

    async fn finish(self) {
        let Fixture { mut nats, database, service, .. } = self;
        service.stop().await.unwrap();
        testsuite::drop_database(&database).await.unwrap();
        nats.stop().await;
    }
}

#[tokio::test]
async fn the_minutes_open_from_the_scheduling_events_alone() {
    let f = Fixture::started().await;
    let mut client = f.client();
    let secretary = &f.secretary;
    let minutes = ok(client.get_minutes(authorized(f.conference_ref(), secretary)).await);
    assert_eq!(minutes.state, MinutesState::Open as i32);
    assert_eq!((minutes.unit_code.as_str(), minutes.unit_path.join(".")), ("323", "33.323".into()));
    assert_eq!(minutes.secretary_subject, "thuky-323", "R8.1: with its secretary");
    assert_eq!(minutes.opened_at, f.conference.started_at);
    assert!(minutes.petitions.is_empty() && minutes.conclusion.is_empty());

    let opened = eventually(WAIT, "minutes_opened on the minutes stream", || async {
        let stream = f.jetstream.get_stream("DOITHOAI_MINUTES").await.ok()?;
        stream.get_last_raw_message_by_subject("doithoai.minutes.minutes_opened.33.323").await.ok()
    })
    .await;
    let envelope = EventEnvelope::decode(opened.payload).unwrap();
    let message: MinutesOpened = payload(&envelope);
    assert_eq!(message.conference_id, f.conference.id);
    assert_eq!(message.opened_at, f.conference.started_at);

    // A conference only announced has no minutes to write in (R8.1).
    let announced = conference(&f.head, &f.agency, ConferenceState::Announced, 2);
    f.publish_conference(&announced).await;
    let not_yet = ConferenceRequest { conference_id: announced.id.clone() };
    let refusal = eventually(WAIT, "the announced conference replicated", || async {
        let result = f.client().get_minutes(authorized(not_yet.clone(), secretary)).await;
        result.err().filter(|status| status.code() != Code::NotFound)
    })
    .await;
    refused::<()>(Err(refusal), rule("R8.1"));
    let early = RecordPetitionRequest {
        conference_id: announced.id.clone(),
        ..f.petition_request(Classification::Petition, "Sớm")
    };
    refused(client.record_petition(authorized(early, secretary)).await, rule("R8.1"));

    // The end of an open conference opens nothing more; a conference first
    // seen ended (its start missed) opens its minutes all the same.
    let ended = Conference { state: ConferenceState::Ended as i32, version: 3, ..f.conference.clone() };
    f.publish_conference(&ended).await;
    let missed = conference(&f.head, &f.agency, ConferenceState::Ended, 4);
    f.publish_conference(&missed).await;
    let missed_ref = ConferenceRequest { conference_id: missed.id.clone() };
    let late = eventually(WAIT, "the minutes of the ended conference", || async {
        f.client().get_minutes(authorized(missed_ref.clone(), secretary)).await.ok()
    })
    .await;
    assert_eq!(late.into_inner().state, MinutesState::Open as i32);
    let still = ok(client.get_minutes(authorized(f.conference_ref(), secretary)).await);
    assert_eq!(still.state, MinutesState::Open as i32);
    // The relay publishes in order: once the second conference's event is out, any repeat of the first is too.
    let opened = eventually(WAIT, "both minutes_opened", || async {
        let opened: Vec<String> = f.events_of("minutes_opened").await.into_iter().map(|e| e.aggregate_id).collect();
        opened.contains(&missed.id).then_some(opened)
    })
    .await;
    assert_eq!(opened, [f.conference.id.clone(), missed.id.clone()], "each minutes open once");
    f.finish().await;
}

#[tokio::test]
async fn the_record_from_opening_to_signatures_and_corrections() {
    let f = Fixture::started().await;
    let mut client = f.client();
    let (secretary, host, office) = (&f.secretary, &f.host, &f.office);
    let opening = RecordOpeningRequest {
        conference_id: f.conference.id.clone(),
        purpose: "Lắng nghe ý kiến".into(),
        requirements: "Dân chủ, thẳng thắn".into(),
        content: "Giải phóng mặt bằng".into(),
    };
    refused(client.record_opening(authorized(opening.clone(), host)).await, denied("NOT_YOUR_CONFERENCE"));
    let opened = ok(client.record_opening(authorized(opening, secretary)).await);
    assert_eq!((opened.purpose.as_str(), opened.content.as_str()), ("Lắng nghe ý kiến", "Giải phóng mặt bằng"));

    // Petitions: recorded by the conference's secretary, each in a field (R5.1).
    let petition = f.petition(Classification::Petition, "Chậm chi trả tiền bồi thường").await;
    assert_eq!((petition.status, petition.unit_code.as_str()), (PetitionStatus::Recorded as i32, "323"));
    let proposal = f.petition(Classification::Proposal, "Đề nghị làm đường gom").await;
    let complaint = f.petition(Classification::Complaint, "Khiếu nại quyết định thu hồi đất").await;
    let unfielded = RecordPetitionRequest { field: 0, ..f.petition_request(Classification::Petition, "Không rõ") };
    refused(client.record_petition(authorized(unfielded, secretary)).await, rule("R5.1"));
    let request = f.petition_request(Classification::Petition, "Ý kiến");
    for (who, reason) in [
        (token("323", &[Role::Front]), "NOT_YOUR_CONFERENCE"),
        (token_for("thuky-khac", "323", &[Role::Secretary]), "NOT_YOUR_CONFERENCE"),
        (token("325", &[Role::Office]), "OUT_OF_SCOPE"),
    ] {
        refused(client.record_petition(authorized(request.clone(), &who)).await, denied(reason));
    }

    // R1.2: a complaint is referred to citizen reception, never answered here.
    refused(f.answer(host, &complaint.id, "").await, rule("R1.2"));
    let refer = ReferPetitionRequest {
        petition_id: complaint.id.clone(),
        receiving_body: "Ban Tiếp công dân thành phố".into(),
        referred_on: "2026-03-10".into(),
        ..Default::default()
    };
    let referred = ok(client.refer_petition(authorized(refer.clone(), secretary)).await);
    assert_eq!(referred.status, PetitionStatus::Referred as i32);
    assert_eq!(referred.referral.unwrap().receiving_body, "Ban Tiếp công dân thành phố");
    refused(f.answer(host, &complaint.id, "").await, rule("R1.2"));
    refused(client.refer_petition(authorized(refer.clone(), secretary)).await, rule("R1.2"));
    let not_a_complaint = ReferPetitionRequest { petition_id: petition.id.clone(), ..refer };
    refused(client.refer_petition(authorized(not_a_complaint, secretary)).await, rule("R1.2"));

    // R8.4, R9.1: the host answers, or an invited agency's official for the host.
    let answer = ok(f.answer(host, &petition.id, "").await).answer.unwrap();
    assert_eq!(answer.answered_by_position_id, f.head.id);
    assert_eq!(answer.accountable_position_id, f.head.id);
    refused(f.answer(host, &petition.id, "").await, rule("R8.4"));
    let uninvited = Uuid::now_v7().to_string();
    refused(f.answer(secretary, &proposal.id, &uninvited).await, rule("R8.4"));
    let by_agency = ok(f.answer(secretary, &proposal.id, &f.agency.id).await);
    assert_eq!(by_agency.status, PetitionStatus::Answered as i32);
    let by_agency = by_agency.answer.unwrap();
    assert_eq!(by_agency.answered_by_organization_id, f.agency.id);
    assert_eq!(by_agency.answered_by_name, "Trưởng phòng");
    assert_eq!(by_agency.answered_by_position_id, "");
    assert_eq!(by_agency.accountable_position_id, f.head.id, "R9.1: the host answers for it");

    // The host's conclusion closes the record to all but signatures.
    let conclusion =
        RecordConclusionRequest { conference_id: f.conference.id.clone(), conclusion: "Kết luận".into() };
    refused(client.record_conclusion(authorized(conclusion.clone(), secretary)).await, denied("NOT_YOUR_CONFERENCE"));
    let concluded = ok(client.record_conclusion(authorized(conclusion, host)).await);
    assert_eq!((concluded.state, concluded.conclusion.as_str()), (MinutesState::Concluded as i32, "Kết luận"));
    let late = f.petition_request(Classification::Petition, "Ý kiến muộn");
    refused(client.record_petition(authorized(late, secretary)).await, rule("R8.4"));
    let correction = AddEntryRequest {
        conference_id: f.conference.id.clone(),
        kind: "CORRECTION".into(),
        text: "Sửa tên cơ quan trả lời ý kiến 2".into(),
        ..Default::default()
    };
    refused(client.add_entry(authorized(correction.clone(), secretary)).await, rule("R8.4"));

    // Both sign, each once.
    let first = ok(client.sign_minutes(authorized(f.conference_ref(), secretary)).await);
    assert_eq!(first.state, MinutesState::Concluded as i32, "one signature of two");
    assert_eq!(first.secretary_signature.unwrap().subject, "thuky-323");
    refused(client.sign_minutes(authorized(f.conference_ref(), secretary)).await, rule("R8.4"));
    let signed = ok(client.sign_minutes(authorized(f.conference_ref(), host)).await);
    assert_eq!(signed.state, MinutesState::Signed as i32);
    assert_eq!(signed.host_signature.unwrap().subject, "bithu-323");
    refused(client.sign_minutes(authorized(f.conference_ref(), host)).await, rule("R8.4"));

    // Signed minutes change only by added entries.
    let corrected = ok(client.add_entry(authorized(correction, secretary)).await);
    let entry = &corrected.entries[..];
    assert_eq!(entry.len(), 1);
    assert_eq!((entry[0].kind.as_str(), entry[0].author.as_str()), ("CORRECTION", "thuky-323"));
    assert_eq!((corrected.state, corrected.purpose.as_str()), (MinutesState::Signed as i32, "Lắng nghe ý kiến"));
    // The relay publishes in order: once the correction is out, every signature is.
    eventually(WAIT, "entry_added", || async { (!f.events_of("entry_added").await.is_empty()).then_some(()) }).await;
    let signed_events = f.events_of("conclusion_signed").await;
    assert_eq!(signed_events.len(), 1, "published once, with the second signature");
    assert_eq!(payload::<ConclusionSigned>(&signed_events[0]).conference_id, f.conference.id);

    let minutes = ok(client.get_minutes(authorized(f.conference_ref(), &token("33", &[Role::Front]))).await);
    let statuses: Vec<i32> = minutes.petitions.iter().map(|p| p.status).collect();
    let (answered, referred) = (PetitionStatus::Answered as i32, PetitionStatus::Referred as i32);
    assert_eq!(statuses, [answered, answered, referred]);
    let outsider = token("325", &[Role::Office]);
    refused(client.get_minutes(authorized(f.conference_ref(), &outsider)).await, denied("OUT_OF_SCOPE"));
    let rendered = ok(client.render_minutes(authorized(f.render(DocumentFormat::Unspecified), office)).await);
    assert!(rendered.content.starts_with(b"%PDF"), "a PDF unless asked otherwise");
    assert_eq!(
        (rendered.file_name, rendered.content_type),
        (format!("bien-ban-{}.pdf", f.conference.id), "application/pdf".into())
    );
    let docx = ok(client.render_minutes(authorized(f.render(DocumentFormat::Docx), office)).await);
    assert!(docx.content.starts_with(b"PK"), "a DOCX is a zip");
    assert_eq!(docx.file_name, format!("bien-ban-{}.docx", f.conference.id));
    let unknown = RenderRequest { format: 9, ..f.render(DocumentFormat::Pdf) };
    refused(client.render_minutes(authorized(unknown, office)).await, (Code::InvalidArgument, "INVALID_ARGUMENT"));
    f.finish().await;
}

/// R8.4: a petition holds the minutes shared while it is recorded. Petitions
/// on one conference are recorded side by side, and the host's conclusion
/// waits for every petition in flight, so none lands in concluded minutes.
#[tokio::test]
async fn r8_4_petitions_are_recorded_side_by_side_and_the_conclusion_waits_for_them() {
    let f = Fixture::started().await;
    let settings = testsuite::settings(&f.database, &f.nats.url());
    let pool = testsuite::connect_database(&settings, "minutes").await.unwrap();
    let hold = |lock: &'static str| {
        let (pool, id) = (pool.clone(), Uuid::parse_str(&f.conference.id).unwrap());
        async move {
            let mut tx = pool.begin().await.unwrap();
            let sql = format!("SELECT 1 FROM minutes WHERE conference_id = $1 {lock}");
            sqlx::query(&sql).bind(id).execute(&mut *tx).await.unwrap();
            tx
        }
    };

    // A change of the minutes in flight (holding the row as an UPDATE does): a petition waits for it.
    let change = hold("FOR NO KEY UPDATE").await;
    let (mut client, request) =
        (f.client(), authorized(f.petition_request(Classification::Petition, "Chậm chi trả"), &f.secretary));
    let mut recording = tokio::spawn(async move { client.record_petition(request).await });
    let early = tokio::time::timeout(Duration::from_millis(500), &mut recording).await;
    assert!(early.is_err(), "a petition waits for a change of the minutes in flight: {early:?}");
    change.commit().await.unwrap();
    ok(recording.await.unwrap());

    // A petition in flight: a transaction holding the minutes as RecordPetition does.
    let in_flight = hold("FOR SHARE").await;

    let beside = tokio::time::timeout(WAIT, f.petition(Classification::Proposal, "Đề nghị làm đường gom")).await;
    assert!(beside.is_ok(), "a petition waits for no other petition");

    let conclusion = RecordConclusionRequest {
        conference_id: f.conference.id.clone(),
        conclusion: "Giao các cơ quan giải quyết dứt điểm".into(),
    };
    let (mut client, host) = (f.client(), f.host.clone());
    let mut concluding = tokio::spawn(async move { client.record_conclusion(authorized(conclusion, &host)).await });
    let early = tokio::time::timeout(Duration::from_millis(500), &mut concluding).await;
    assert!(early.is_err(), "the conclusion waits for the petition in flight: {early:?}");
    in_flight.commit().await.unwrap();
    let concluded = ok(concluding.await.unwrap());
    assert_eq!(concluded.state, MinutesState::Concluded as i32);

    let late = f.petition_request(Classification::Feedback, "Ý kiến sau khi kết luận");
    refused(f.client().record_petition(authorized(late, &f.secretary)).await, rule("R8.4"));
    pool.close().await;
    f.finish().await;
}

#[tokio::test]
async fn petitions_that_arrive_together_are_written_together_each_answered_as_if_alone() {
    let f = Fixture::started().await;
    let settings = testsuite::settings(&f.database, &f.nats.url());
    let pool = testsuite::connect_database(&settings, "minutes").await.unwrap();
    // A change of the minutes in flight holds the petitions back while the
    // rest of them arrive and queue: they are written in groups.
    let mut change = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM minutes WHERE conference_id = $1 FOR NO KEY UPDATE")
        .bind(Uuid::parse_str(&f.conference.id).unwrap())
        .execute(&mut *change)
        .await
        .unwrap();

    let requests: Vec<RecordPetitionRequest> = (0..24)
        .map(|n| RecordPetitionRequest {
            request_id: Uuid::now_v7().to_string(),
            ..f.petition_request(Classification::Petition, &format!("Kiến nghị số {n}"))
        })
        .collect();
    let send = |request: RecordPetitionRequest, token: &str| {
        let (mut client, request) = (f.client(), authorized(request, token));
        tokio::spawn(async move { client.record_petition(request).await })
    };
    let sent: Vec<_> = requests.iter().map(|r| send(r.clone(), &f.secretary)).collect();
    // The same requests again, as a client retries: the first's answers.
    let retried: Vec<_> = requests[..3].iter().map(|r| send(r.clone(), &f.secretary)).collect();
    // Refused among them: another conference's secretary, a conference unknown here.
    let stranger = send(
        f.petition_request(Classification::Petition, "Không phải thư ký"),
        &token_for("thuky-khac", "323", &[Role::Secretary]),
    );
    let unknown = RecordPetitionRequest { conference_id: Uuid::now_v7().to_string(), ..requests[0].clone() };
    let unknown = send(RecordPetitionRequest { request_id: String::new(), ..unknown }, &f.secretary);
    testsuite::waiting_for_a_lock(&pool, "the writers waiting for the minutes").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    change.commit().await.unwrap();

    let mut recorded = Vec::new();
    for (request, answer) in requests.iter().zip(sent) {
        let petition = ok(answer.await.unwrap());
        assert_eq!((petition.text.as_str(), petition.status()), (request.text.as_str(), PetitionStatus::Recorded));
        recorded.push(petition);
    }
    for (first, answer) in recorded.iter().zip(retried) {
        assert_eq!(&ok(answer.await.unwrap()), first, "a retry is answered the first request's petition");
    }
    refused(stranger.await.unwrap(), denied("NOT_YOUR_CONFERENCE"));
    assert_eq!(unknown.await.unwrap().unwrap_err().code(), Code::NotFound);

    // Each written once, with its audit entry and its event; and some together.
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(count("SELECT count(*) FROM petitions").await, 24);
    assert_eq!(count("SELECT count(*) FROM audit_log WHERE rpc = 'RecordPetition'").await, 24);
    assert_eq!(count("SELECT count(*) FROM request_ids WHERE rpc = 'RecordPetition'").await, 24);
    let transactions = count("SELECT count(DISTINCT xmin::text) FROM petitions").await;
    assert!(transactions < 24, "petitions that queued were written together: {transactions} transactions");
    eventually(WAIT, "every petition's event published", || async {
        (f.events_of("petition_recorded").await.len() >= 24).then_some(())
    })
    .await;
    let mut published: Vec<String> =
        f.events_of("petition_recorded").await.iter().map(|e| payload::<PetitionRecorded>(e).petition_id).collect();
    let mut expected: Vec<String> = recorded.iter().map(|p| p.id.clone()).collect();
    published.sort();
    expected.sort();
    assert_eq!(published, expected, "one event for each petition");
    pool.close().await;
    f.finish().await;
}

#[tokio::test]
async fn the_notice_the_agencies_responses_and_escalation() {
    let f = Fixture::started().await;
    let mut client = f.client();
    let (host, office) = (&f.host, &f.office);
    // The conference ends; the province's agency and a sibling district
    // arrive. Events apply in order: once 325 is in, so is the rest.
    let ended_at = f.end().await;
    let province_agency = organization("33", "Sở Giao thông vận tải");
    f.publish_organization(&province_agency, &["33"]).await;
    f.publish_unit(unit(&["33", "325"], "Huyện Văn Lâm", Tier::District, "Huyện")).await;
    let office_33 = token("33", &[Role::Office]);
    eventually(WAIT, "unit 325 replicated", || async {
        let request = authorized(GetUnitRequest { code: "325".into() }, &office_33);
        UnitReplicaClient::new(f.channel.clone()).get_unit(request).await.ok()
    })
    .await;

    let unanswered = f.petition(Classification::Petition, "Cấp giấy chứng nhận quyền sử dụng đất").await;
    let beyond = f.petition(Classification::Proposal, "Nâng cấp quốc lộ 39").await;
    let answered = f.petition(Classification::Feedback, "Thái độ cán bộ một cửa").await;
    f.answer(host, &answered.id, "").await.unwrap();
    let agency = f.agency.id.clone();
    let assign = |petition: &Petition| NoticeAssignment {
        petition_id: petition.id.clone(),
        organization_id: agency.clone(),
        received_on: String::new(),
    };
    let issue = |assignments: Vec<NoticeAssignment>, request_id: &str| IssueConclusionNoticeRequest {
        conference_id: f.conference.id.clone(),
        number: "15/TB-TU".into(),
        sent_on: "2026-03-20".into(),
        signer: "Chánh Văn phòng Thành ủy".into(),
        assignments,
        request_id: request_id.into(),
    };
    let both = vec![assign(&unanswered), assign(&beyond)];
    f.clock.set(at("2026-03-20T02:00:00Z"));
    refused(client.issue_conclusion_notice(authorized(issue(both.clone(), ""), office)).await, rule("R10.2"));
    let nothing_yet = client.render_conclusion_notice(authorized(f.render(DocumentFormat::Pdf), office)).await;
    refused(nothing_yet, (Code::NotFound, "NOT_FOUND"));
    f.sign().await;
    let missing = issue(vec![assign(&unanswered)], "");
    refused(client.issue_conclusion_notice(authorized(missing, office)).await, rule("R10.2"));
    let notice = ok(client.issue_conclusion_notice(authorized(issue(both.clone(), "notice-15"), office)).await);
    assert_eq!((notice.number.as_str(), notice.sent_on.as_str()), ("15/TB-TU", "2026-03-20"));
    assert_eq!(notice.assignments.len(), 2);
    assert!(notice.assignments.iter().all(|a| a.received_on.is_empty()), "received only once acknowledged");
    refused(client.issue_conclusion_notice(authorized(issue(both.clone(), ""), office)).await, repeated("R10.2"));
    let replayed = ok(client.issue_conclusion_notice(authorized(issue(both, "notice-15"), office)).await);
    assert_eq!(replayed, notice, "a retry returns the first notice");
    let rendered = ok(client.render_conclusion_notice(authorized(f.render(DocumentFormat::Pdf), office)).await);
    assert!(rendered.content.starts_with(b"%PDF"), "a PDF");
    assert_eq!(rendered.file_name, "thong-bao-ket-luan-15-TB-TU.pdf");

    // R10.3: the agency acknowledges its receipt, once.
    f.clock.set(at("2026-04-20T02:00:00Z"));
    let official = agency_token(&agency, "323");
    let stranger = agency_token(&Uuid::now_v7().to_string(), "323");
    let acknowledge = AcknowledgeNoticeRequest {
        notice_id: notice.id.clone(),
        organization_id: agency.clone(),
        received_on: "2026-03-23".into(),
        ..Default::default()
    };
    refused(
        client.acknowledge_notice(authorized(acknowledge.clone(), &stranger)).await,
        denied("NOT_YOUR_ORGANIZATION"),
    );
    let acknowledged = ok(client.acknowledge_notice(authorized(acknowledge.clone(), &official)).await);
    assert!(acknowledged.assignments.iter().all(|a| a.received_on == "2026-03-23"));
    refused(client.acknowledge_notice(authorized(acknowledge, &official)).await, repeated("R10.3"));

    // R10.3: the assigned agency responds in writing, once, after the receipt.
    let response = WrittenResponse {
        organization_id: String::new(),
        responded_on: "2026-04-20".into(),
        document_number: "112/TNMT".into(),
        outcome: Outcome::PartlyResolved as i32,
        summary: "Đã cấp cho 12/15 hộ".into(),
        reported_to_heads: true,
        ..Default::default()
    };
    // The agency's own signed document, attached as it is.
    let signed_pdf = b"%PDF-1.7\n% the agency's signed response\n%%EOF\n".to_vec();
    let respond = |responded_on: &str| RecordResponseRequest {
        petition_id: unanswered.id.clone(),
        response: Some(WrittenResponse { responded_on: responded_on.into(), ..response.clone() }),
        attachment: signed_pdf.clone(),
        attachment_file_name: "D:\\Công văn\\112-TNMT.pdf".into(),
        ..Default::default()
    };
    let not_a_pdf = RecordResponseRequest { attachment: b"PK\x03\x04 a docx".to_vec(), ..respond("2026-04-20") };
    refused(
        client.record_response(authorized(not_a_pdf, &official)).await,
        (Code::InvalidArgument, "INVALID_ARGUMENT"),
    );
    refused(
        client.record_response(authorized(respond("2026-04-20"), &stranger)).await,
        denied("NOT_YOUR_ORGANIZATION"),
    );
    refused(
        client.record_response(authorized(respond("2026-03-22"), &official)).await,
        (Code::InvalidArgument, "DATE_OUT_OF_ORDER"),
    );
    let responded = ok(client.record_response(authorized(respond("2026-04-20"), &official)).await);
    assert_eq!(responded.status, PetitionStatus::Responded as i32);
    let written = responded.response.unwrap();
    assert_eq!((written.organization_id.as_str(), written.outcome), (agency.as_str(), Outcome::PartlyResolved as i32));
    refused(client.record_response(authorized(respond("2026-04-20"), &official)).await, rule("R10.3"));
    // The file is kept as attached; the petition and its event carry only its name, size and digest.
    assert_eq!(
        (written.attachment_file_name.as_str(), written.attachment_bytes),
        ("112-TNMT.pdf", signed_pdf.len() as u64)
    );
    let read = PetitionRequest { petition_id: unanswered.id.clone() };
    let kept = ok(client.get_response_document(authorized(read.clone(), office)).await);
    assert_eq!((kept.content, kept.file_name.as_str()), (signed_pdf.clone(), "112-TNMT.pdf"));
    let cover_request =
        RenderPetitionRequest { petition_id: unanswered.id.clone(), format: DocumentFormat::Pdf as i32 };
    let cover = ok(client.render_response_cover(authorized(cover_request, office)).await);
    let text = doithoai_documents::read::text_of(&cover.content).unwrap();
    assert!(
        text.contains("Văn bản trả lời số 112/TNMT, ngày 20/04/2026.") && text.contains(&written.attachment_sha256),
        "{text}"
    );
    let never_attached = PetitionRequest { petition_id: beyond.id.clone() };
    refused(client.get_response_document(authorized(never_attached, office)).await, (Code::NotFound, "NOT_FOUND"));
    // The assigned agency reads its petition, even as an official outside the unit.
    let from_outside = agency_token(&agency, "325");
    let mine = ok(client.get_petition(authorized(read.clone(), &from_outside)).await);
    assert_eq!((mine.status, mine.assigned_organization_id), (PetitionStatus::Responded as i32, agency.clone()));
    let stranger_outside = agency_token(&Uuid::now_v7().to_string(), "325");
    refused(client.get_petition(authorized(read, &stranger_outside)).await, denied("OUT_OF_SCOPE"));

    // R10.4: beyond the district's authority, up to the province, not sideways.
    let sideways = EscalatePetitionRequest {
        petition_id: beyond.id.clone(),
        to_unit_code: "325".into(),
        petitioner_notified_on: "2026-03-25".into(),
        ..Default::default()
    };
    refused(client.escalate_petition(authorized(sideways.clone(), office)).await, rule("R10.4"));
    let up = EscalatePetitionRequest {
        to_unit_code: "33".into(),
        to_organization_id: province_agency.id.clone(),
        ..sideways
    };
    let escalated = ok(client.escalate_petition(authorized(up, office)).await);
    assert_eq!(escalated.status, PetitionStatus::Escalated as i32);
    let escalation = escalated.escalation.unwrap();
    assert_eq!(escalation.to_unit_code, "33");
    let received = PetitionRequest { petition_id: escalation.escalated_petition_id.clone() };
    let linked = ok(client.get_petition(authorized(received.clone(), &office_33)).await);
    assert_eq!((linked.unit_code.as_str(), linked.status), ("33", PetitionStatus::Assigned as i32));
    assert_eq!(linked.escalated_from_petition_id, beyond.id);
    assert_eq!(linked.assigned_organization_id, province_agency.id);
    assert_eq!(linked.text, beyond.text);
    let for_province_agency = agency_token(&province_agency.id, "33");
    client.get_petition(authorized(received.clone(), &for_province_agency)).await.unwrap();
    let answer_up = RecordResponseRequest { petition_id: received.petition_id.clone(), ..respond("2026-04-20") };
    let answered_up = ok(client.record_response(authorized(answer_up, &for_province_agency)).await);
    assert_eq!(answered_up.status, PetitionStatus::Responded as i32, "the province's agency answers it");
    refused(client.get_petition(authorized(received, office)).await, denied("OUT_OF_SCOPE"));
    let minutes = ok(client.get_minutes(authorized(f.conference_ref(), office)).await);
    assert_eq!(minutes.petitions.len(), 3, "the province's petition is not in the district's record");

    // Each petition has its own receipt code, the escalated one too; a code
    // finds its petition however it was copied, and every code that names
    // nothing the caller reaches answers the same NOT_FOUND.
    let codes = [&unanswered, &beyond, &answered, &linked].map(|p| p.receipt_code.clone());
    assert!(codes.iter().all(|c| c.len() == 11), "{codes:?}");
    assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 4, "{codes:?}");
    let find = |code: String| authorized(FindPetitionRequest { receipt_code: code }, &office_33);
    let found = ok(client.find_petition(find(beyond.receipt_code.to_lowercase().replace('-', " "))).await);
    assert_eq!((found.id.as_str(), found.status), (beyond.id.as_str(), PetitionStatus::Escalated as i32));
    let unknown = client.find_petition(find("00000-00000".into())).await.unwrap_err();
    let malformed = client.find_petition(find("not a code".into())).await.unwrap_err();
    let elsewhere = FindPetitionRequest { receipt_code: linked.receipt_code.clone() };
    let outside = client.find_petition(authorized(elsewhere, office)).await.unwrap_err();
    for status in [&unknown, &malformed, &outside] {
        assert_eq!((status.code(), status.message()), (Code::NotFound, unknown.message()));
    }

    // What the deadlines service reads: each step once.
    let events = eventually(WAIT, "the province's response, the last event", || async {
        let events = f.minutes_events().await;
        events.iter().any(|(subject, _)| subject == "doithoai.minutes.response_recorded.33").then_some(events)
    })
    .await;
    let count = |kind: &str| events.iter().filter(|(s, _)| s.split('.').nth(2) == Some(kind)).count();
    let counts = ["conclusion_notice_issued", "notice_received", "response_recorded", "petition_escalated"].map(count);
    assert_eq!(counts, [1, 2, 2, 1], "{:?}", events.iter().map(|(s, _)| s).collect::<Vec<_>>());
    let (_, envelope) = events.iter().find(|(s, _)| s.contains("conclusion_notice_issued")).unwrap();
    let issued: ConclusionNoticeIssued = payload(envelope);
    assert_eq!(issued.notice.as_ref(), Some(&notice));
    assert_eq!(issued.conference_ended_at, Some(ended_at), "the end the scheduling events told");
    f.finish().await;
}

#[tokio::test]
async fn r10_3_the_agency_that_succeeds_the_assigned_one_acknowledges_and_answers() {
    let f = Fixture::started().await;
    let mut client = f.client();
    f.end().await;
    let petition = f.petition(Classification::Petition, "Cấp giấy chứng nhận quyền sử dụng đất").await;
    f.sign().await;
    f.clock.set(at("2026-03-20T02:00:00Z"));
    let assignment = NoticeAssignment {
        petition_id: petition.id.clone(),
        organization_id: f.agency.id.clone(),
        received_on: String::new(),
    };
    let issue = IssueConclusionNoticeRequest {
        conference_id: f.conference.id.clone(),
        number: "15/TB-TU".into(),
        sent_on: "2026-03-20".into(),
        signer: "Chánh Văn phòng Thành ủy".into(),
        assignments: vec![assignment],
        request_id: String::new(),
    };
    let notice = ok(client.issue_conclusion_notice(authorized(issue, &f.office)).await);

    // From 1 April the province's department does the district agency's work.
    let successor = organization("33", "Sở Nông nghiệp và Môi trường");
    f.publish_organization(&successor, &["33"]).await;
    let ended_agency = Organization {
        active: false,
        successor_id: successor.id.clone(),
        ended_on: "2026-03-31".into(),
        decision_number: "45/QĐ-UBND".into(),
        ..f.agency.clone()
    };
    f.publish_organization(&ended_agency, &["33", "323"]).await;
    f.clock.set(at("2026-04-02T02:00:00Z"));
    let stranger_id = Uuid::now_v7().to_string();
    let (official, stranger) = (agency_token(&successor.id, "33"), agency_token(&stranger_id, "33"));
    let acknowledge = |organization: &str| AcknowledgeNoticeRequest {
        notice_id: notice.id.clone(),
        organization_id: organization.into(),
        received_on: "2026-04-02".into(),
        ..Default::default()
    };
    refused(
        client.acknowledge_notice(authorized(acknowledge(&stranger_id), &stranger)).await,
        denied("NOT_YOUR_ORGANIZATION"),
    );
    let acknowledged = eventually(WAIT, "the succession replicated", || async {
        f.client().acknowledge_notice(authorized(acknowledge(&successor.id), &official)).await.ok()
    })
    .await
    .into_inner();
    assert_eq!(acknowledged.assignments[0].received_on, "2026-04-02");
    assert_eq!(acknowledged.assignments[0].organization_id, f.agency.id, "the notice keeps whom it assigned");

    let respond = RecordResponseRequest {
        petition_id: petition.id.clone(),
        response: Some(WrittenResponse {
            responded_on: "2026-04-02".into(),
            document_number: "12/SNNMT".into(),
            outcome: Outcome::Resolved as i32,
            summary: "Đã cấp".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    refused(client.record_response(authorized(respond.clone(), &stranger)).await, denied("NOT_YOUR_ORGANIZATION"));
    let responded = ok(client.record_response(authorized(respond, &official)).await);
    assert_eq!(responded.response.unwrap().organization_id, successor.id, "the successor answered");
    let read = PetitionRequest { petition_id: petition.id.clone() };
    ok(client.get_petition(authorized(read, &agency_token(&successor.id, "325"))).await);

    // The deadlines service reads the successor as the one that received and answered.
    let events = eventually(WAIT, "the response", || async {
        let events = f.minutes_events().await;
        events.iter().any(|(subject, _)| subject.contains("response_recorded")).then_some(events)
    })
    .await;
    let (_, envelope) = events.iter().find(|(s, _)| s.contains("notice_received")).unwrap();
    assert_eq!(payload::<NoticeReceived>(envelope).organization_id, successor.id);
    f.finish().await;
}
