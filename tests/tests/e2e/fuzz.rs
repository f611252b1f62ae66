//! A bounded request fuzzer: every unary (and client-streaming) method of
//! every doithoai gRPC service, found in `doithoai_proto::FILE_DESCRIPTOR_SET`,
//! gets a fixed number of generated requests with the tokens of every role,
//! against the whole stack on real PostgreSQL and NATS with a district's real
//! data (a started and an announced conference, a post, an agency, a
//! participant, a speaker, an invitation, a petition, an obligation).
//!
//! Requests are built with prost-reflect from the request's descriptor:
//! a plausible request (fields filled from their names with the fixture's
//! ids, dates and unit codes) sent with each token, one-field mutations of it,
//! and random messages (empty, real and random ids, bad dates, 10 KB strings,
//! unknown enum numbers, nested messages, 0–3 repeated items). A fixed seed
//! makes every run send the same requests; `DOITHOAI_FUZZ_SEED` picks another.
//!
//! What must hold, whatever a caller sends:
//! - no answer is `Unknown` or `Internal` (an `Internal` means the input
//!   reached a path the service did not expect: a panic, a database error);
//!   no call dies without the services' error details (a dropped stream);
//!   no code panics anywhere in the process while it runs;
//! - every refusal says why (a non-empty message) and fits in the 16 KB of
//!   headers a default (hyper, tonic) client accepts: a larger one reaches
//!   that client as "h2 protocol error" and costs it the connection; every
//!   success decodes as the method's response type;
//! - each service still answers its health check SERVING after each batch;
//! - nothing is half-written: every event in a service's outbox was written
//!   in the transaction of an audited change (an `audit_log` row) or of a
//!   handled event (an `inbox` row), and no event was parked as a dead letter.
//!
//! Every violation is collected; the test fails at the end with the list.
#![allow(clippy::unwrap_used)]

use std::{
    collections::BTreeMap,
    fmt,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use doithoai_proto::{
    FILE_DESCRIPTOR_SET,
    common::v1::EventEnvelope,
    deadlines::v1::{ListObligationsRequest, deadlines_client::DeadlinesClient},
    minutes::v1::{
        Classification, ConferenceRequest, RecordPetitionRequest, minutes_service_client::MinutesServiceClient,
    },
    participants::v1::{
        ConferenceRequest as ParticipantsConference, InviteRequest, Person, RegisterParticipantRequest,
        RegisterSpeakerRequest, participants_client::ParticipantsClient, register_participant_request::Who,
    },
};
use doithoai_tests::{scheduling::*, *};
use prost::{
    Message,
    bytes::{Buf, BufMut},
};
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor, ReflectMessage,
    ServiceDescriptor, Value,
};
use tonic::{
    Code, Request, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

/// The seed of every run (CI's); `DOITHOAI_FUZZ_SEED=<u64>` explores others.
const SEED: u64 = 0x0d01_7a0a_2026_0310;

fn seed() -> u64 {
    std::env::var("DOITHOAI_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(SEED)
}
/// The plausible request is sent once with each token; then these many of each kind.
const MUTATIONS_PER_METHOD: usize = 8;
const RANDOM_PER_METHOD: usize = 8;
/// How deep generated messages nest.
const MAX_DEPTH: usize = 3;
const LONG_STRING_BYTES: usize = 10_000;
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// When the conferences are fuzzed: the started conference is in progress,
/// the announced one still takes registrations.
const FUZZ_TIME: &str = "2026-03-10T03:00:00Z";
/// The announced conference, two days after the started one.
const LATER_DAY: &str = "2026-03-12T02:00:00Z";
/// The errors the services map to a status carry ErrorInfo in this domain.
const ERROR_DOMAIN: &str = "doithoai";
/// hyper's default SETTINGS_MAX_HEADER_LIST_SIZE for a client, tonic's included.
const CLIENT_HEADER_LIMIT: usize = 16 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_requests_never_crash_a_service_nor_leave_half_written_records() {
    let started = Instant::now();
    PanicLog::install();
    let stack = Stack::start().await;
    let known = Known::set_up(&stack).await;
    let setup = started.elapsed();
    let tokens = tokens(&known);
    let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET).unwrap();
    let mut report = Report::default();

    for service in pool.services().filter(|s| s.package_name().starts_with("doithoai.")) {
        let hosts = hosts(&service);
        if hosts.is_empty() {
            report.violation(service.full_name(), "the fuzzer knows no service that serves it", "-");
        }
        for &host in hosts {
            let mut channel = connect(&stack, host).await;
            for method in service.methods() {
                if method.is_server_streaming() {
                    report.skipped.push(format!("{host}: {} (server streaming)", method.full_name()));
                    continue;
                }
                fuzz_method(&stack, host, &mut channel, &method, &known, &tokens, &mut report).await;
                // One method's SetTime does not move the others' day.
                stack.clock.set(at(FUZZ_TIME));
                if let Err(problem) = health(&channel).await {
                    report.violation(&format!("{host} after {}", method.full_name()), &problem, "-");
                }
            }
        }
    }

    // Let the events the requests caused be handled, then look at what is stored.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for panic in PanicLog::take() {
        report.violation("after the run (an event handler or background task)", &format!("panic: {panic}"), "-");
    }
    for service in SERVICES {
        check_storage(&stack, service, &mut report).await;
    }
    report.elapsed = (setup, started.elapsed());
    stack.finish().await;
    println!("{report}");
    assert!(report.violations.is_empty(), "{report}");
}

// ---------------------------------------------------------------- the fixture

/// Real ids a request can refer to.
struct Known {
    /// Started (its minutes open) and announced (registration open).
    started: String,
    announced: String,
    position: String,
    organization: String,
    participant: String,
    registration: String,
    invitation: String,
    petition: String,
    obligation: String,
}

impl Known {
    async fn set_up(stack: &Stack) -> Self {
        let district = District::set_up(stack).await;
        let agency = district.agency.id.clone();
        let announced = district.announced_at(stack, LATER_DAY, "2026-03-02", vec![agency.clone()]).await.id;
        let started = district.announced_inviting(stack, vec![agency.clone()]).await.id;
        let secretary = token_for("thuky-323", "323", &[Role::Secretary]);

        let participants = || async { ParticipantsClient::new(stack.channel("participants").await) };
        let conference = ParticipantsConference { conference_id: announced.clone() };
        eventually(WAIT, "registration to open", || async {
            let mut client = participants().await;
            let attendance = client.get_attendance(authorized(conference.clone(), &district.office)).await.ok()?;
            attendance.get_ref().registration_open.then_some(())
        })
        .await;
        let person =
            Person { full_name: "Trần Văn Dân".into(), phone: String::new(), national_id: "034123456789".into() };
        let register = RegisterParticipantRequest {
            conference_id: announced.clone(),
            who: Some(Who::Person(person)),
            unit_code: "11950".into(),
            ..Default::default()
        };
        let participant =
            participants().await.register_participant(authorized(register, &secretary)).await.unwrap().into_inner().id;
        let speak = RegisterSpeakerRequest {
            conference_id: announced.clone(),
            participant_id: participant.clone(),
            topic: "Bồi thường chưa thỏa đáng".into(),
            field: 1,
            ..Default::default()
        };
        let registration =
            participants().await.register_speaker(authorized(speak, &secretary)).await.unwrap().into_inner().id;
        let invite = InviteRequest {
            conference_id: announced.clone(),
            organization_id: agency.clone(),
            invitee_name: "Trưởng phòng Tài nguyên".into(),
            invitee_title: "Trưởng phòng".into(),
            answers_agenda_items: vec![0, 1],
            ..Default::default()
        };
        let invitation =
            participants().await.invite(authorized(invite, &district.office)).await.unwrap().into_inner().id;

        district.start(stack, &started).await;
        stack.clock.set(at(FUZZ_TIME));
        let minutes = || async { MinutesServiceClient::new(stack.channel("minutes").await) };
        let conference = ConferenceRequest { conference_id: started.clone() };
        eventually(WAIT, "the minutes to open", || async {
            minutes().await.get_minutes(authorized(conference.clone(), &secretary)).await.ok()
        })
        .await;
        let petition = RecordPetitionRequest {
            conference_id: started.clone(),
            text: "Cấp sổ đỏ chậm".into(),
            field: 1,
            classification: Classification::Petition as i32,
            ..Default::default()
        };
        let petition = minutes().await.record_petition(authorized(petition, &secretary)).await.unwrap().into_inner().id;

        let owed = ListObligationsRequest { unit_code: "323".into(), ..Default::default() };
        let monitor = token("33", &[Role::Monitor]);
        let obligation = eventually(WAIT, "the head's obligations", || async {
            let mut client = DeadlinesClient::new(stack.channel("deadlines").await);
            let listed = client.list_obligations(authorized(owed.clone(), &monitor)).await.ok()?.into_inner();
            listed.obligations.into_iter().next().map(|o| o.id)
        })
        .await;

        Self {
            started,
            announced,
            position: district.head.id,
            organization: agency,
            participant,
            registration,
            invitation,
            petition,
            obligation,
        }
    }

    fn ids(&self) -> [&str; 9] {
        [
            &self.started,
            &self.announced,
            &self.position,
            &self.organization,
            &self.participant,
            &self.registration,
            &self.invitation,
            &self.petition,
            &self.obligation,
        ]
    }
}

/// Who calls: every role of the deployment, a token without roles, and no token.
fn tokens(known: &Known) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("ADMIN 33", Some(token("33", &[Role::Admin]))),
        ("OFFICE 323", Some(token("323", &[Role::Office]))),
        ("HOST bithu-323", Some(token_for("bithu-323", "323", &[Role::Host]))),
        ("SECRETARY thuky-323", Some(token_for("thuky-323", "323", &[Role::Secretary]))),
        ("AGENCY of the district's agency", Some(agency_token(&known.organization, "323"))),
        ("FRONT 33", Some(token("33", &[Role::Front]))),
        ("MONITOR 33", Some(token("33", &[Role::Monitor]))),
        ("no roles", Some(token("33", &[]))),
        ("no token", None),
    ]
}

/// The stack's services that serve a gRPC service. The stack's clock is
/// adjustable, so every service serves SimulatedClock.
fn hosts(service: &ServiceDescriptor) -> &'static [&'static str] {
    match service.full_name() {
        "doithoai.clock.v1.SimulatedClock" => &SERVICES,
        "doithoai.directory.v1.UnitDirectory" => &["scheduling"],
        "doithoai.directory.v1.UnitReplica" => &REPLICAS,
        name if name.starts_with("doithoai.scheduling.") => &["scheduling"],
        name if name.starts_with("doithoai.participants.") => &["participants"],
        name if name.starts_with("doithoai.minutes.") => &["minutes"],
        name if name.starts_with("doithoai.deadlines.") => &["deadlines"],
        _ => &[],
    }
}

// ---------------------------------------------------------------- one method

async fn fuzz_method(
    stack: &Stack,
    host: &str,
    channel: &mut Channel,
    method: &MethodDescriptor,
    known: &Known,
    tokens: &[(&'static str, Option<String>)],
    report: &mut Report,
) {
    let target = format!("{host}: {}/{}", method.parent_service().full_name(), method.name());
    let mut rng = Rng::seeded(&target);
    let plausible = plausible_message(&method.input(), known, &mut rng, 0);
    let mut requests: Vec<(usize, DynamicMessage)> = (0..tokens.len()).map(|i| (i, plausible.clone())).collect();
    for _ in 0..MUTATIONS_PER_METHOD {
        let mut mutated = plausible.clone();
        mutate(&mut mutated, known, &mut rng, 0);
        requests.push((rng.below(tokens.len()), mutated));
    }
    for _ in 0..RANDOM_PER_METHOD {
        requests.push((rng.below(tokens.len()), random_message(&method.input(), known, &mut rng, 0)));
    }

    let mut answered_ok = false;
    let mut unimplemented = 0;
    for (who, request) in &requests {
        let (name, token) = &tokens[*who];
        let answer = call(channel, method, request.encode_to_vec(), token.as_deref()).await;
        let code = answer.as_ref().map_or_else(Status::code, |_| Code::Ok);
        *report.answers.entry(format!("{code:?}")).or_default() += 1;
        answered_ok |= code == Code::Ok;
        unimplemented += usize::from(code == Code::Unimplemented);
        for (what, detail) in answer_problems(method, &answer) {
            report.violation(&target, &what, &format!("{detail}as {name}: {}", show(request)));
        }
        for panic in PanicLog::take() {
            report.violation(&target, &format!("panic: {panic}"), &format!("as {name}: {}", show(request)));
        }
        if answer.as_ref().is_err_and(died) {
            // The connection may be gone; the next request gets a fresh one.
            *channel = connect(stack, host).await;
        }
    }
    if unimplemented == requests.len() {
        report.violation(&target, "every request answered Unimplemented: the service does not serve it", "-");
    }
    if !answered_ok {
        report.never_ok.push(target);
    }
    report.methods += 1;
    report.requests += requests.len();
}

/// What is wrong with an answer, each with what the report shows of it
/// beside the request.
fn answer_problems(method: &MethodDescriptor, answer: &Result<Vec<u8>, Status>) -> Vec<(String, String)> {
    let status = match answer {
        Ok(body) => {
            return match DynamicMessage::decode(method.output(), body.as_slice()) {
                Ok(_) => Vec::new(),
                Err(e) => vec![(format!("the answer is no {}: {e}", method.output().full_name()), String::new())],
            };
        }
        Err(status) => status,
    };
    let mut problems = Vec::new();
    if let Some(problem) = problem(status) {
        problems.push((problem, String::new()));
    }
    let size = status_header_bytes(status);
    if size > CLIENT_HEADER_LIMIT {
        let what = format!(
            "a {:?} [{}] status over hyper's 16 KB header limit: a default client gets \"h2 protocol error\" \
             instead, and loses the connection",
            status.code(),
            rule(status)
        );
        problems.push((what, format!("{size} bytes of headers, message {}, ", brief(status.message()))));
    }
    problems
}

/// What is wrong with an error answer, if anything.
fn problem(status: &Status) -> Option<String> {
    let said = format!("{:?} {} [{}]", status.code(), brief(status.message()), rule(status));
    let problem = match status.code() {
        Code::Unknown => "Unknown",
        Code::Internal if deliberate(status) => "Internal from a handled error (the input reached an unexpected path)",
        Code::Internal => "Internal without the services' error details (a panic, a codec or transport failure)",
        Code::DeadlineExceeded if !deliberate(status) => "no answer in time",
        _ if died(status) => "the call died without the services' error details (a dropped stream?)",
        _ if status.message().trim().is_empty() => "an error without a message",
        _ => return None,
    };
    Some(format!("{problem}: {said}"))
}

/// Whether a service meant this status: its errors carry ErrorInfo in the services' domain.
fn deliberate(status: &Status) -> bool {
    use tonic_types::StatusExt;
    status.get_details_error_info().is_some_and(|info| info.domain == ERROR_DOMAIN)
}

/// A call that ended without an answer from the service's code.
fn died(status: &Status) -> bool {
    let transport = matches!(
        status.code(),
        Code::Unknown | Code::Internal | Code::Cancelled | Code::Unavailable | Code::Aborted | Code::DataLoss
    );
    (transport && !deliberate(status)) || status.code() == Code::DeadlineExceeded
}

/// The size of a status's trailers as HTTP/2 counts them against
/// SETTINGS_MAX_HEADER_LIST_SIZE: each header's name and value, plus 32.
fn status_header_bytes(status: &Status) -> usize {
    let encoded = |b: &u8| match b {
        b' ' | b'"' | b'#' | b'%' | b'<' | b'>' | b'`' | b'?' | b'{' | b'}' => 3,
        0x21..=0x7e => 1,
        _ => 3,
    };
    let message: usize = status.message().as_bytes().iter().map(encoded).sum();
    let details = status.details().len().div_ceil(3) * 4;
    ("grpc-status".len() + 2 + 32)
        + ("grpc-message".len() + message + 32)
        + ("grpc-status-details-bin".len() + details + 32)
}

/// A message as the report shows it: quoted, at most 80 characters.
fn brief(text: &str) -> String {
    if text.chars().count() <= 80 {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(80).collect();
        format!("{head:?}… ({} bytes)", text.len())
    }
}

/// A connection to a service that reads statuses of any size, so that an
/// oversized one is seen (and reported) rather than failing the connection.
async fn connect(stack: &Stack, host: &str) -> Channel {
    let address = format!("http://{}", stack.running(host).grpc_addr);
    Channel::from_shared(address).unwrap().http2_max_header_list_size(1 << 20).connect().await.unwrap()
}

/// Sends one encoded request, unary or as a one-message stream, and returns the encoded answer.
async fn call(
    channel: &Channel,
    method: &MethodDescriptor,
    body: Vec<u8>,
    token: Option<&str>,
) -> Result<Vec<u8>, Status> {
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let path = PathAndQuery::from_maybe_shared(path).unwrap();
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.map_err(|e| Status::unavailable(format!("the channel is not ready: {e}")))?;
    let answer = async {
        if method.is_client_streaming() {
            grpc.client_streaming(with_token(tokio_stream::once(body), token), path, RawCodec).await
        } else {
            grpc.unary(with_token(body, token), path, RawCodec).await
        }
    };
    match tokio::time::timeout(ANSWER_WITHIN, answer).await {
        Ok(answer) => answer.map(tonic::Response::into_inner),
        Err(_) => Err(Status::deadline_exceeded(format!("no answer within {ANSWER_WITHIN:?}"))),
    }
}

fn with_token<T>(message: T, token: Option<&str>) -> Request<T> {
    match token {
        Some(token) => authorized(message, token),
        None => Request::new(message),
    }
}

/// The overall health check (service "") must answer SERVING.
async fn health(channel: &Channel) -> Result<(), String> {
    let mut client = HealthClient::new(channel.clone());
    let check = client.check(HealthCheckRequest { service: String::new() });
    match tokio::time::timeout(ANSWER_WITHIN, check).await {
        Ok(Ok(answer)) if answer.get_ref().status == ServingStatus::Serving as i32 => Ok(()),
        Ok(Ok(answer)) => Err(format!("health check answered {:?}", answer.get_ref().status())),
        Ok(Err(status)) => Err(format!("health check failed: {status}")),
        Err(_) => Err("health check did not answer".into()),
    }
}

/// Passes encoded messages through unchanged.
#[derive(Clone, Copy)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self {
        *self
    }

    fn decoder(&mut self) -> Self {
        *self
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

// ---------------------------------------------------------------- requests

/// A request as a client that means well would send it: each field filled
/// from its name with the fixture's ids, a sensible date or unit, the first
/// real enum value; one repeated item; the first member of each oneof.
fn plausible_message(descriptor: &MessageDescriptor, known: &Known, rng: &mut Rng, depth: usize) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    if depth >= MAX_DEPTH {
        return message;
    }
    for field in descriptor.fields() {
        if field.is_map() {
            continue;
        }
        if let Some(oneof) = field.containing_oneof()
            && oneof.fields().any(|other| message.has_field(&other))
        {
            continue;
        }
        let value = plausible_value(&field, known, rng, depth);
        message.set_field(&field, if field.is_list() { Value::List(vec![value]) } else { value });
    }
    message
}

fn plausible_value(field: &FieldDescriptor, known: &Known, rng: &mut Rng, depth: usize) -> Value {
    let name = field.name();
    match field.kind() {
        Kind::String => Value::String(plausible_string(field, known, rng)),
        Kind::Message(timestamp) if timestamp.full_name() == "google.protobuf.Timestamp" => {
            let mut time = DynamicMessage::new(timestamp);
            time.set_field_by_name("seconds", Value::I64(at(LATER_DAY).timestamp()));
            Value::Message(time)
        }
        Kind::Message(nested) => Value::Message(plausible_message(&nested, known, rng, depth + 1)),
        Kind::Enum(values) => Value::EnumNumber(values.values().map(|v| v.number()).find(|&n| n != 0).unwrap_or(0)),
        Kind::Bool => Value::Bool(false),
        Kind::Bytes => Value::Bytes(b"%PDF-1.4".to_vec().into()),
        Kind::Double => Value::F64(1.0),
        Kind::Float => Value::F32(1.0),
        kind => integer(&kind, plausible_number(name)),
    }
}

fn plausible_string(field: &FieldDescriptor, known: &Known, rng: &mut Rng) -> String {
    let name = field.name();
    let message = field.parent_message();
    let participants = message.package_name().starts_with("doithoai.participants");
    // Participants take registrations for the announced conference; the rest work on the started one.
    let conference = if participants { &known.announced } else { &known.started };
    let value = match name {
        "id" if message.name().contains("Position") => &known.position,
        "id" if message.name().contains("Organization") => &known.organization,
        "id" if message.name().contains("Obligation") => &known.obligation,
        "id" => conference,
        n if n.ends_with("conference_id") || n.ends_with("conference_ids") => conference,
        n if n.ends_with("position_id") => &known.position,
        n if n.ends_with("organization_id") || n.ends_with("organization_ids") => &known.organization,
        "participant_id" => &known.participant,
        n if n.ends_with("registration_id") => &known.registration,
        "invitation_id" => &known.invitation,
        "petition_id" => &known.petition,
        "notice_id" => return random_uuid(rng),
        "unit_code" | "code" | "parent_code" | "to_unit_code" => "323",
        n if n.ends_with("unit_code") || n.ends_with("unit_codes") || n == "legacy_codes" => "11950",
        // An open term: the fixture's head keeps the post.
        "term_end" | "page_token" | "toml" => "",
        n if n.ends_with("_on") || n.contains("date") || n == "term_start" || n.ends_with("from") => "2026-03-10",
        n if n.ends_with("to") => "2026-12-31",
        n if n.ends_with("subject") => "thuky-323",
        "phone" => "0912345678",
        "national_id" => "034123456780",
        "kind" => "REVIEW_NOTE",
        _ => "Giải phóng mặt bằng",
    };
    value.to_owned()
}

fn plausible_number(name: &str) -> i64 {
    match name {
        "year" => 2026,
        "month" => 3,
        "planned_minutes" => 180,
        "extension_minutes" => 30,
        "page_size" => 10,
        "limit" => 5,
        "line" => 2,
        _ => 1,
    }
}

/// A message with fields chosen at random, each set to a value chosen at random.
fn random_message(descriptor: &MessageDescriptor, known: &Known, rng: &mut Rng, depth: usize) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    if depth >= MAX_DEPTH {
        return message;
    }
    for field in descriptor.fields() {
        if !field.is_map() && rng.chance(2, 3) {
            message.set_field(&field, random_field(&field, known, rng, depth));
        }
    }
    message
}

/// Flips one field of a message (or of a message inside it): a random value, or unset.
fn mutate(message: &mut DynamicMessage, known: &Known, rng: &mut Rng, depth: usize) {
    let fields: Vec<FieldDescriptor> = message.descriptor().fields().filter(|f| !f.is_map()).collect();
    if fields.is_empty() {
        return;
    }
    let field = rng.pick(&fields).clone();
    let nested = matches!(field.kind(), Kind::Message(_)) && !field.is_list() && message.has_field(&field);
    if nested
        && depth + 1 < MAX_DEPTH
        && rng.chance(1, 2)
        && let Value::Message(inner) = message.get_field_mut(&field)
    {
        return mutate(inner, known, rng, depth + 1);
    }
    if rng.chance(1, 4) {
        message.clear_field(&field);
    } else {
        message.set_field(&field, random_field(&field, known, rng, depth));
    }
}

fn random_field(field: &FieldDescriptor, known: &Known, rng: &mut Rng, depth: usize) -> Value {
    if field.is_list() {
        let items = rng.below(4);
        Value::List((0..items).map(|_| random_value(&field.kind(), known, rng, depth)).collect())
    } else {
        random_value(&field.kind(), known, rng, depth)
    }
}

fn random_value(kind: &Kind, known: &Known, rng: &mut Rng, depth: usize) -> Value {
    match kind {
        Kind::String => Value::String(random_string(known, rng)),
        Kind::Message(nested) => Value::Message(random_message(nested, known, rng, depth + 1)),
        Kind::Enum(values) => {
            let mut numbers: Vec<i32> = values.values().map(|v| v.number()).collect();
            numbers.extend([77, 99, -1]);
            Value::EnumNumber(*rng.pick(&numbers))
        }
        Kind::Bool => Value::Bool(rng.chance(1, 2)),
        Kind::Bytes => Value::Bytes((0..rng.below(65)).map(|_| rng.next() as u8).collect::<Vec<u8>>().into()),
        Kind::Double => Value::F64(*rng.pick(&[0.0, -1.0, 0.5, f64::NAN, f64::INFINITY, 1e300])),
        Kind::Float => Value::F32(*rng.pick(&[0.0, -1.0, 0.5, f32::NAN, f32::INFINITY, 1e30])),
        kind => {
            let interesting = [
                0,
                1,
                2,
                3,
                -1,
                77,
                1_000,
                1_000_000_000,
                253_402_300_799, // 9999-12-31T23:59:59Z, as seconds
                i64::from(i32::MAX),
                i64::from(i32::MIN),
                i64::from(u32::MAX),
                i64::MAX,
                i64::MIN,
            ];
            let number = if rng.chance(3, 4) { *rng.pick(&interesting) } else { rng.next() as i64 };
            integer(kind, number)
        }
    }
}

fn random_string(known: &Known, rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => String::new(),
        1 => rng.pick(&known.ids()).to_string(),
        2 => random_uuid(rng),
        3 => rng.pick(&["33", "323", "11950", "99999", "01", "0", "-1"]).to_string(),
        4 => rng.pick(&["2026-03-10", "9999-12-31", "garbage", "2026-02-30", "0000-01-01", "2026-3-1"]).to_string(),
        5 => rng.pick(&["x", "Đ"]).repeat(LONG_STRING_BYTES / 2),
        6 => rng
            .pick(&["'; DROP TABLE outbox; --", "\0", "%_\\", "  ", "🙂", "thuky-323", "REVIEW_NOTE", "CORRECTION"])
            .to_string(),
        _ => "Giải phóng mặt bằng".to_owned(),
    }
}

/// A number as the value of an integer field of this kind, wrapped to its width.
fn integer(kind: &Kind, number: i64) -> Value {
    match kind {
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(number as i32),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(number as u32),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(number as u64),
        _ => Value::I64(number),
    }
}

fn random_uuid(rng: &mut Rng) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&rng.next().to_le_bytes());
    bytes[8..].copy_from_slice(&rng.next().to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

/// A request as JSON, long strings shortened.
fn show(message: &DynamicMessage) -> String {
    let mut shown = message.clone();
    shorten(&mut shown);
    serde_json::to_string(&shown).unwrap_or_else(|_| format!("{shown:?}"))
}

fn shorten(message: &mut DynamicMessage) {
    for (_, value) in message.fields_mut() {
        shorten_value(value);
    }
}

fn shorten_value(value: &mut Value) {
    match value {
        Value::String(text) if text.len() > 60 => {
            let head: String = text.chars().take(20).collect();
            *text = format!("{head}… ({} bytes)", text.len());
        }
        Value::Message(message) => shorten(message),
        Value::List(items) => items.iter_mut().for_each(shorten_value),
        _ => {}
    }
}

/// xorshift64*: small, seeded, and the same on every machine.
struct Rng(u64);

impl Rng {
    /// A generator for one method, so a batch does not depend on the others.
    fn seeded(label: &str) -> Self {
        let hash =
            label.bytes().fold(seed() ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Self(hash | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, numerator: usize, denominator: usize) -> bool {
        self.below(denominator) < numerator
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------- storage

/// Every outbox row was written in the transaction of an audited change or of
/// a handled event: `now()` is the transaction's start, so the audit row's
/// `at` or the inbox row's `received_at` equals the outbox row's
/// `created_at`. The deadlines sweeper's reminders are the one exception: a
/// clock's doing, neither a caller's change nor an event. No event may have
/// been parked as a dead letter.
async fn check_storage(stack: &Stack, service: &str, report: &mut Report) {
    let pool = stack.database(service).await;
    let outbox: Vec<(i64, String, Vec<u8>, bool, bool)> = sqlx::query_as(
        "SELECT o.seq, o.subject, o.envelope,
                EXISTS (SELECT 1 FROM audit_log a WHERE a.at = o.created_at),
                EXISTS (SELECT 1 FROM inbox i WHERE i.received_at = o.created_at)
         FROM outbox o ORDER BY o.seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let (mut audited, mut handled, mut swept) = (0, 0, 0);
    for (seq, subject, envelope, with_audit, with_inbox) in &outbox {
        let actor = EventEnvelope::decode(envelope.as_slice()).map(|e| e.actor).unwrap_or_default();
        if *with_audit {
            audited += 1;
        } else if *with_inbox {
            handled += 1;
        } else if actor == "deadlines-sweeper" {
            swept += 1;
        } else {
            let what = format!("outbox row {seq} ({subject}, actor {actor:?}) has no audit_log row of its transaction");
            report.violation(&format!("{service} database"), &what, "-");
        }
    }
    report.storage.push(format!(
        "{service}: {} outbox rows: {audited} audited, {handled} from handled events, {swept} from the sweeper",
        outbox.len()
    ));
    let parked: Vec<(String, String)> =
        sqlx::query_as("SELECT subject, error FROM dead_letters ORDER BY id").fetch_all(&pool).await.unwrap();
    for (subject, error) in parked {
        report.violation(&format!("{service} database"), &format!("dead letter {subject}: {error}"), "-");
    }
    pool.close().await;
}

// ---------------------------------------------------------------- the report

/// Panics anywhere in the process (the services run in it), in order.
struct PanicLog;

static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl PanicLog {
    fn install() {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // The services' panics, not a failing assertion of another test in this binary.
            let in_a_test = |file: &str| file.starts_with("tests/") || file.ends_with("testsuite.rs");
            if info.location().is_none_or(|at| !in_a_test(at.file())) {
                PANICS.lock().unwrap_or_else(PoisonError::into_inner).push(info.to_string().replace('\n', " "));
            }
            previous(info);
        }));
    }

    fn take() -> Vec<String> {
        std::mem::take(&mut *PANICS.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[derive(Default)]
struct Report {
    methods: usize,
    requests: usize,
    skipped: Vec<String>,
    /// How often each code answered.
    answers: BTreeMap<String, usize>,
    /// Methods no request got through to an OK answer.
    never_ok: Vec<String>,
    /// What the storage check looked at, per service.
    storage: Vec<String>,
    /// (where, what) → how often, and the first request that caused it.
    violations: BTreeMap<(String, String), (usize, String)>,
    /// Setting up the fixture, and the whole run.
    elapsed: (Duration, Duration),
}

impl Report {
    fn violation(&mut self, target: &str, what: &str, example: &str) {
        let entry = self.violations.entry((target.to_owned(), what.to_owned())).or_insert((0, example.to_owned()));
        entry.0 += 1;
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (setup, total) = self.elapsed;
        writeln!(
            f,
            "fuzzed {} methods with {} requests in {:.1} s ({:.1} s of it setting up); {} violations",
            self.methods,
            self.requests,
            total.as_secs_f64(),
            setup.as_secs_f64(),
            self.violations.len()
        )?;
        for skipped in &self.skipped {
            writeln!(f, "  skipped {skipped}")?;
        }
        let answers: Vec<String> = self.answers.iter().map(|(code, n)| format!("{code}: {n}")).collect();
        writeln!(f, "  answers: {}", answers.join(", "))?;
        writeln!(f, "  {} methods never answered OK: {}", self.never_ok.len(), self.never_ok.join(", "))?;
        for storage in &self.storage {
            writeln!(f, "  {storage}")?;
        }
        for ((target, what), (count, example)) in &self.violations {
            writeln!(f, "- {target}: {what} (×{count})")?;
            if example != "-" {
                writeln!(f, "    first seen {example}")?;
            }
        }
        Ok(())
    }
}
