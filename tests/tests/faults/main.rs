//! The fault suite: the faults once tried on the services from outside, kept
//! as tests. Each test has a PostgreSQL cluster and a NATS server of its own
//! and the services as processes, with secretaries recording petitions
//! throughout the fault; afterwards every request was answered once, by a
//! petition of its own, whose event reached NATS once and the deadlines
//! service once, and the callers saw UNAVAILABLE, never a hang or another
//! error. The recovery times are printed (run with `--nocapture`) and
//! reported in `docs/performance.md`; they are measured, never asserted.
#![allow(clippy::unwrap_used)]

mod drill;
mod national;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use doithoai_proto::minutes::v1::{
    Classification, RecordPetitionRequest, minutes_service_client::MinutesServiceClient,
};
use doithoai_runtime::idempotency::{retrying, worth_retrying};
use doithoai_tests::{
    WAIT, authorized, eventually,
    faults::{Calls, HUNG, ProcessStack, Relay, Secretaries},
};
use tokio::time::Instant;
use tonic::transport::Channel;

/// One fault at a time: each test runs a whole stack on the machine's two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SERVICE_BINARY: &str = env!("CARGO_BIN_EXE_doithoai-test-service");

/// How long the secretaries record before the fault and after it.
const LOAD: Duration = Duration::from_secs(2);

/// The conferences the secretaries record in, one secretary each.
const CONFERENCES: usize = 4;

/// The events a backlog may hold and still be caught up: those of the
/// petitions being recorded at that moment, a few per secretary.
const IN_FLIGHT: i64 = 3 * CONFERENCES as i64;

fn report(fault: &str, measured: &[(&str, Duration)]) {
    let measured: Vec<String> = measured.iter().map(|(what, took)| format!("{what} {} ms", took.as_millis())).collect();
    eprintln!("fault: {fault}: {}", measured.join(", "));
}

/// What the secretaries saw through a fault, and when the stack was whole again.
struct Through {
    calls: Calls,
    /// When the fault ended (the service, NATS or PostgreSQL back).
    back: Instant,
    /// From then to the events' backlog taken in.
    caught_up: Duration,
}

/// A fresh stack whose secretaries record petitions for `LOAD`, through
/// `fault` (which returns once it is over), and for `LOAD` again.
async fn through(fault: impl AsyncFnOnce(&mut ProcessStack)) -> (ProcessStack, Through) {
    through_on(ProcessStack::start(SERVICE_BINARY).await, fault).await
}

/// As [`through`], on a stack of another shape (several instances, a cluster).
async fn through_on(mut stack: ProcessStack, fault: impl AsyncFnOnce(&mut ProcessStack)) -> (ProcessStack, Through) {
    let conferences = stack.conferences(CONFERENCES).await;
    let secretaries = Secretaries::start(&stack.addrs("minutes"), &conferences);
    tokio::time::sleep(LOAD).await;
    fault(&mut stack).await;
    let back = Instant::now();
    let caught_up = stack.backlog_cleared(IN_FLIGHT).await;
    tokio::time::sleep(LOAD).await;
    let calls = secretaries.finish().await;
    (stack, Through { calls, back, caught_up })
}

#[tokio::test]
async fn a_killed_service_answers_unavailable_until_restarted_and_loses_nothing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (stack, Through { calls, back, caught_up }) =
        through(async |stack| stack.kill_for("minutes", Duration::from_secs(1)).await).await;

    assert!(!calls.errors().is_empty(), "the secretaries noticed the service gone");
    assert_eq!(calls.unexpected(), [], "only failures worth retrying while it was gone");
    stack.assert_nothing_lost_or_twice(&calls).await;
    report(
        &format!("minutes killed, restarted after 1 s, {} petitions ({})", calls.0.len(), calls.describe_errors()),
        &[("restart to the first answer", calls.recovered(back)), ("to the backlog taken in", caught_up)],
    );
}

#[tokio::test]
async fn while_nats_is_down_every_write_succeeds_and_its_event_follows_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (stack, Through { calls, caught_up, .. }) = through(async |stack| {
        stack.nats.stop().await;
        tokio::time::sleep(Duration::from_secs(4)).await;
        stack.nats.restart().await.unwrap();
    })
    .await;

    assert_eq!(calls.errors(), [], "a write never fails because NATS is down");
    stack.assert_nothing_lost_or_twice(&calls).await;
    report(
        &format!("NATS stopped for 4 s, {} petitions", calls.0.len()),
        &[("NATS back to the backlog taken in", caught_up)],
    );
}

#[tokio::test]
async fn postgres_restarted_under_the_services_costs_retries_not_petitions() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (stack, Through { calls, back, caught_up }) = through(async |stack| {
        stack.postgres.stop_server("fast").await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        stack.postgres.start_server().await.unwrap();
    })
    .await;

    assert!(!calls.errors().is_empty(), "the secretaries noticed the database gone");
    assert_eq!(calls.unexpected(), [], "only failures worth retrying while it was gone\n{}", stack.logs());
    stack.assert_nothing_lost_or_twice(&calls).await;
    report(
        &format!("PostgreSQL stopped (fast) for 1 s, {} petitions ({})", calls.0.len(), calls.describe_errors()),
        &[("PostgreSQL back to the first answer", calls.recovered(back)), ("to the backlog taken in", caught_up)],
    );
}

#[tokio::test]
async fn the_deadlines_service_killed_mid_stream_takes_in_each_event_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (stack, Through { calls, caught_up, .. }) =
        through(async |stack| stack.kill_for("deadlines", Duration::from_secs(1)).await).await;

    assert_eq!(calls.errors(), [], "the minutes service's callers never notice the deadlines service");
    stack.assert_nothing_lost_or_twice(&calls).await;
    report(
        &format!("deadlines killed mid-stream, restarted after 1 s, {} petitions", calls.0.len()),
        &[("restart to the backlog taken in", caught_up)],
    );
}

/// Two instances of every service on the same databases and NATS, as a
/// province's Deployments run them (deploy/k8s): one relay publishes at a
/// time, each conference's events in order; the two deadlines instances share
/// one durable consumer, so each event is taken in once. One minutes and one
/// deadlines instance are killed mid-load and not restarted: the secretaries
/// go on with the other minutes instance, and nothing is lost or done twice.
#[tokio::test]
async fn two_instances_of_every_service_do_nothing_twice_and_lose_nothing_when_one_is_killed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let stack = ProcessStack::start_instances(SERVICE_BINARY, 2).await;
    let (stack, Through { calls, back: killed, caught_up }) = through_on(stack, async |stack| {
        stack.kill_instance("minutes", 0).await;
        stack.kill_instance("deadlines", 0).await;
    })
    .await;

    assert_eq!(calls.unexpected(), [], "only failures worth retrying, from the killed instance");
    stack.assert_nothing_lost_or_twice(&calls).await;
    let recovered = calls.recovered(killed);
    report(
        &format!(
            "two instances each, one minutes and one deadlines killed, {} petitions, {} failed tries",
            calls.0.len(),
            calls.errors().len()
        ),
        &[("kill to the first answer after it", recovered), ("kill to the backlog taken in", caught_up)],
    );
}

/// A province's JetStream cluster of three nats-server processes, the
/// streams at 3 replicas: one node killed (SIGKILL) during the load, brought
/// back and caught up, then another. The callers notice nothing; every event is in the
/// stream once, in order, and taken in by the deadlines service once.
#[tokio::test]
async fn a_nats_cluster_loses_a_node_then_another_and_nothing_is_lost_or_twice() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut measured = Vec::new();
    let stack = ProcessStack::start_on_cluster(SERVICE_BINARY, 3).await;
    let (stack, Through { calls, .. }) = through_on(stack, async |stack| {
        for node in [0, 1] {
            stack.nats.stop_node(node).await;
            // The events keep flowing through the two nodes left.
            measured.push(stack.backlog_cleared(IN_FLIGHT).await);
            tokio::time::sleep(LOAD).await;
            stack.nats.restart_node(node).await.unwrap();
            stack.nats.until_streams_current().await.unwrap();
        }
    })
    .await;

    assert_eq!(calls.errors(), [], "the callers noticed nothing: {}", calls.describe_errors());
    stack.assert_nothing_lost_or_twice(&calls).await;
    report(
        &format!("NATS cluster of 3, node 1 then node 2 killed and restarted, {} petitions", calls.0.len()),
        &[("first kill to the backlog taken in", measured[0]), ("second kill to the backlog taken in", measured[1])],
    );
}

#[tokio::test]
async fn a_service_killed_between_commit_and_reply_creates_nothing_twice_on_retry() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut stack = ProcessStack::start(SERVICE_BINARY).await;
    let (conference, secretary) = stack.conferences(1).await.remove(0);
    let minutes = stack.database("minutes").await;
    let petitions =
        || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM petitions").fetch_one(&minutes).await.unwrap() };

    // A tablet records a petition over a link that loses the service's replies,
    // with the client's own retries (the CLI's and the demonstration's).
    let direct = stack.addr("minutes").trim_start_matches("http://").parse().unwrap();
    let relay = Relay::start(direct).await;
    let channel = Channel::from_shared(format!("http://{}", relay.addr)).unwrap().connect().await.unwrap();
    relay.swallow_replies();
    let failures = Arc::new(Mutex::new(Vec::new()));
    let tablet = {
        let (client, failures) = (MinutesServiceClient::new(channel), failures.clone());
        tokio::spawn(retrying(move || {
            let request = RecordPetitionRequest {
                conference_id: conference.clone(),
                text: "Kiến nghị về đường giao thông nội đồng".into(),
                field: 1,
                classification: Classification::Petition as i32,
                request_id: "tablet-7-petition-1".into(),
                ..Default::default()
            };
            let (mut client, secretary, failures) = (client.clone(), secretary.clone(), failures.clone());
            async move {
                let answer = tokio::time::timeout(HUNG, client.record_petition(authorized(request, &secretary))).await;
                let answer = answer.unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("no answer: hung")));
                if let Err(status) = &answer {
                    failures.lock().unwrap().push((Instant::now(), status.code(), worth_retrying(status)));
                }
                answer
            }
        }))
    };

    // The service commits and replies into the void; then it is killed.
    eventually(WAIT, "the petition to be committed", || async { (petitions().await == 1).then_some(()) }).await;
    stack.kill("minutes").await;
    let killed = Instant::now();
    relay.pass_replies();
    stack.restart("minutes").await;

    let answered = tablet.await.unwrap().expect("the retry is answered once the service is back").into_inner();
    let failures = failures.lock().unwrap().clone();
    let (told, lost, _) = *failures.first().expect("the first try was never answered");
    assert!(
        failures.iter().all(|(_, _, worth)| *worth),
        "each failure was worth retrying, a broken connection first: {failures:?}"
    );
    let stored: String = sqlx::query_scalar("SELECT id::text FROM petitions").fetch_one(&minutes).await.unwrap();
    assert_eq!(answered.id, stored, "the retry answers with the petition committed before the kill");
    assert_eq!(petitions().await, 1, "nothing twice");
    assert!(!answered.receipt_code.is_empty(), "the citizen's receipt code comes with the answer");

    let calls = Calls::single("tablet-7-petition-1", &answered.id);
    stack.assert_nothing_lost_or_twice(&calls).await;
    report(
        &format!(
            "minutes killed between commit and reply (the caller saw {lost:?}, then {} more failures)",
            failures.len() - 1
        ),
        &[("kill to the caller told", told - killed)],
    );
}
