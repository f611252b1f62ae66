//! The plumbing against real PostgreSQL and a private NATS server: outbox
//! relay, idempotent consumers, dead letters, the append-only audit log.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage};
use doithoai_proto::common::v1::EventEnvelope;
use doithoai_runtime::{
    Caller, Change, Clock, Refusal, Role, ServiceError, ServiceResult, Settings,
    consumer::{Consumer, EventHandler},
    db,
    events::{self, Event},
    idempotency::Once,
    outbox::{Outbox, Relay},
    telemetry,
    testsuite::{self, TestNats, eventually},
};
use prost::Message;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);

struct Fixture {
    nats: TestNats,
    database: String,
    settings: Settings,
    pool: PgPool,
}

impl Fixture {
    async fn new() -> Self {
        telemetry::init_for_tests();
        let nats = TestNats::start().await.unwrap();
        let database = testsuite::unique_database("plumbing");
        let settings = testsuite::settings(&database, &nats.url());
        let pool = db::connect(&settings, "plumbing", vec![db::plumbing_migrations()]).await.unwrap();
        sqlx::query("CREATE TABLE effects (event_id text NOT NULL)").execute(&pool).await.unwrap();
        Self { nats, database, settings, pool }
    }

    async fn jetstream(&self) -> jetstream::Context {
        let client =
            async_nats::ConnectOptions::new().retry_on_initial_connect().connect(self.nats.url()).await.unwrap();
        jetstream::new(client)
    }

    fn consumer(&self, js: jetstream::Context, fail: bool) -> (CancellationToken, tokio::task::JoinHandle<()>) {
        let consumer = Consumer {
            service: "plumbing",
            source: "producer",
            pool: self.pool.clone(),
            jetstream: js,
            settings: self.settings.clone(),
            handler: RecordEffect { fail },
        };
        let stop = CancellationToken::new();
        (stop.clone(), tokio::spawn(consumer.run(stop)))
    }

    fn relay(&self, js: jetstream::Context) -> (CancellationToken, tokio::task::JoinHandle<()>) {
        let relay =
            Relay { service: "producer", pool: self.pool.clone(), jetstream: js, settings: self.settings.clone() };
        let stop = CancellationToken::new();
        (stop.clone(), tokio::spawn(relay.run(stop)))
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// Waits until the relay has published every event in the outbox.
    async fn drained(&self, what: &str) {
        eventually(WAIT, what, || async {
            (self.count("SELECT count(*) FROM outbox WHERE published_at IS NULL").await == 0).then_some(())
        })
        .await;
    }

    async fn finish(mut self) {
        self.pool.close().await;
        self.nats.stop().await;
        testsuite::drop_database(&self.database).await.unwrap();
    }
}

/// Records one row per handled event, or fails on purpose: every event, or
/// a poisoned one.
struct RecordEffect {
    fail: bool,
}

const POISON: &str = "test.Poison";

impl EventHandler for RecordEffect {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        anyhow::ensure!(!self.fail && event.event_type != POISON, "the handler fails on purpose");
        sqlx::query("INSERT INTO effects (event_id) VALUES ($1)").bind(&event.event_id).execute(conn).await?;
        Ok(())
    }
}

fn envelope() -> EventEnvelope {
    EventEnvelope { event_id: Uuid::now_v7().to_string(), event_type: "test.Thing".into(), ..Default::default() }
}

/// Publishes straight to the stream with the given message id, as a relay
/// would after a crash (a new id defeats JetStream's de-duplication, so the
/// consumer's inbox is what must catch the copy).
async fn publish(js: &jetstream::Context, bytes: Vec<u8>, message_id: &str) {
    let message = PublishMessage::build().payload(bytes.into()).message_id(message_id);
    js.send_publish("doithoai.producer.thing.33", message).await.unwrap().await.unwrap();
}

async fn ack_floor(js: &jetstream::Context) -> u64 {
    let stream = js.get_stream(events::stream_name("producer")).await.unwrap();
    // Zero until the consumer exists.
    stream.consumer_info("plumbing").await.map_or(0, |info| info.ack_floor.stream_sequence)
}

#[tokio::test]
async fn a_redelivered_event_has_exactly_one_effect() {
    let fixture = Fixture::new().await;
    let js = fixture.jetstream().await;
    events::ensure_stream(&js, "producer", &fixture.settings.nats).await.unwrap();
    let twice = envelope();
    publish(&js, twice.encode_to_vec(), "first-delivery").await;
    publish(&js, twice.encode_to_vec(), "second-delivery").await;
    publish(&js, envelope().encode_to_vec(), "another-event").await;

    let (stop, task) = fixture.consumer(js.clone(), false);
    eventually(WAIT, "all three messages acked", || async { (ack_floor(&js).await == 3).then_some(()) }).await;
    stop.cancel();
    task.await.unwrap();

    let effects: i64 = sqlx::query_scalar("SELECT count(*) FROM effects WHERE event_id = $1")
        .bind(&twice.event_id)
        .fetch_one(&fixture.pool)
        .await
        .unwrap();
    assert_eq!(effects, 1);
    assert_eq!(fixture.count("SELECT count(*) FROM effects").await, 2);
    assert_eq!(fixture.count("SELECT count(*) FROM inbox").await, 2);
    fixture.finish().await;
}

#[tokio::test]
async fn an_event_that_keeps_failing_is_parked_after_bounded_deliveries() {
    let fixture = Fixture::new().await;
    let js = fixture.jetstream().await;
    events::ensure_stream(&js, "producer", &fixture.settings.nats).await.unwrap();
    let failing = envelope();
    publish(&js, failing.encode_to_vec(), "failing").await;

    let (stop, task) = fixture.consumer(js.clone(), true);
    eventually(WAIT, "the event parked", || async { (ack_floor(&js).await == 1).then_some(()) }).await;
    stop.cancel();
    task.await.unwrap();

    let (event_id, deliveries): (String, i64) =
        sqlx::query_as("SELECT event_id, deliveries FROM dead_letters").fetch_one(&fixture.pool).await.unwrap();
    assert_eq!((event_id, deliveries), (failing.event_id, fixture.settings.consumer.max_deliveries));
    assert_eq!(fixture.count("SELECT count(*) FROM effects").await, 0);
    assert_eq!(fixture.count("SELECT count(*) FROM inbox").await, 0, "a failed event is not marked handled");
    fixture.finish().await;
}

#[tokio::test]
async fn an_undecodable_message_is_terminated_and_the_next_one_handled() {
    let fixture = Fixture::new().await;
    let js = fixture.jetstream().await;
    events::ensure_stream(&js, "producer", &fixture.settings.nats).await.unwrap();
    publish(&js, b"\xff\xff not an envelope".to_vec(), "garbage").await;
    publish(&js, envelope().encode_to_vec(), "good").await;

    let (stop, task) = fixture.consumer(js.clone(), false);
    eventually(WAIT, "both messages settled", || async { (ack_floor(&js).await == 2).then_some(()) }).await;
    stop.cancel();
    task.await.unwrap();

    assert_eq!(fixture.count("SELECT count(*) FROM effects").await, 1);
    assert_eq!(
        fixture.count("SELECT count(*) FROM dead_letters").await,
        0,
        "terminated, not retried into dead letters"
    );
    fixture.finish().await;
}

#[tokio::test]
async fn events_arrived_together_are_handled_together_and_a_poisoned_one_alone_is_parked() {
    let fixture = Fixture::new().await;
    let js = fixture.jetstream().await;
    events::ensure_stream(&js, "producer", &fixture.settings.nats).await.unwrap();
    // All waiting before the consumer attaches, so they come in one batch.
    let poisoned = EventEnvelope { event_type: POISON.into(), ..envelope() };
    for n in 0..20 {
        let event = if n == 7 { poisoned.clone() } else { envelope() };
        publish(&js, event.encode_to_vec(), &event.event_id).await;
    }

    let (stop, task) = fixture.consumer(js.clone(), false);
    eventually(WAIT, "all twenty settled", || async { (ack_floor(&js).await == 20).then_some(()) }).await;
    stop.cancel();
    task.await.unwrap();

    assert_eq!(fixture.count("SELECT count(*) FROM effects").await, 19, "the others applied once each");
    assert_eq!(fixture.count("SELECT count(DISTINCT event_id) FROM effects").await, 19);
    let parked: String =
        sqlx::query_scalar("SELECT event_id FROM dead_letters").fetch_one(&fixture.pool).await.unwrap();
    assert_eq!(parked, poisoned.event_id, "only the poisoned event parked");
    fixture.finish().await;
}

async fn append_events(pool: &PgPool, count: usize) -> Vec<Uuid> {
    let events: Vec<Event> = (0..count)
        .map(|n| {
            let payload = EventEnvelope { aggregate_id: n.to_string(), ..Default::default() };
            Event::new("thing", "aggregate-1", vec!["33".into(), "323".into()], &payload)
        })
        .collect();
    let mut tx = pool.begin().await.unwrap();
    let ids = Outbox::new("producer", Clock::system()).append_all(&mut tx, "tester", &events).await.unwrap();
    tx.commit().await.unwrap();
    ids
}

async fn stream_event_ids(js: &jetstream::Context) -> Vec<String> {
    let mut stream = js.get_stream(events::stream_name("producer")).await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut ids = Vec::new();
    for seq in 1..=last {
        let message = stream.get_raw_message(seq).await.unwrap();
        assert_eq!(message.subject.as_str(), "doithoai.producer.thing.33.323");
        ids.push(EventEnvelope::decode(message.payload).unwrap().event_id);
    }
    ids
}

#[tokio::test]
async fn nats_down_never_fails_a_write_nor_loses_an_event() {
    let mut fixture = Fixture::new().await;
    fixture.nats.stop().await;
    let ids = append_events(&fixture.pool, 5).await;
    let js = fixture.jetstream().await;
    let (stop, task) = fixture.relay(js.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(fixture.count("SELECT count(*) FROM outbox WHERE published_at IS NULL").await, 5);

    fixture.nats.restart().await.unwrap();
    fixture.drained("the outbox drained").await;
    let published = stream_event_ids(&js).await;
    let expected: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    assert_eq!(published, expected, "every event once, in the order written");

    // A relay that crashed after publishing but before marking: the same ids
    // again are de-duplicated by JetStream.
    sqlx::query("UPDATE outbox SET published_at = NULL").execute(&fixture.pool).await.unwrap();
    fixture.drained("the outbox drained again").await;
    assert_eq!(stream_event_ids(&js).await, expected);

    // Then a relay restarted, a message of someone else's on the stream, and
    // two new events: they follow it, once each.
    stop.cancel();
    task.await.unwrap();
    sqlx::query("UPDATE outbox SET published_at = NULL").execute(&fixture.pool).await.unwrap();
    let stranger = Uuid::now_v7();
    let envelope = EventEnvelope { event_id: stranger.to_string(), ..Default::default() };
    js.publish("doithoai.producer.thing.33.323", envelope.encode_to_vec().into()).await.unwrap().await.unwrap();
    let new = append_events(&fixture.pool, 2).await;
    let (stop, task) = fixture.relay(js.clone());
    fixture.drained("the events published again and the new ones").await;
    let expected: Vec<String> = ids.iter().chain([&stranger]).chain(&new).map(Uuid::to_string).collect();
    assert_eq!(stream_event_ids(&js).await, expected, "each event once, the new ones after the stranger");
    stop.cancel();
    task.await.unwrap();
    fixture.finish().await;
}

#[tokio::test]
async fn a_batch_that_fails_part_way_marks_what_was_acked_and_the_rest_follows_once() {
    let fixture = Fixture::new().await;
    let ids = append_events(&fixture.pool, 5).await;
    // No stream takes the third event's subject: its publish fails, and the
    // two before it are acked.
    let subject: String = sqlx::query_scalar(
        "UPDATE outbox SET subject = 'doithoai.nowhere.thing' WHERE event_id = $1
         RETURNING (SELECT subject FROM outbox WHERE event_id = $1)",
    )
    .bind(ids[2])
    .fetch_one(&fixture.pool)
    .await
    .unwrap();
    let js = fixture.jetstream().await;
    let (stop, task) = fixture.relay(js.clone());
    let unpublished = || async {
        sqlx::query_scalar::<_, Uuid>("SELECT event_id FROM outbox WHERE published_at IS NULL ORDER BY seq")
            .fetch_all(&fixture.pool)
            .await
            .unwrap()
    };
    eventually(WAIT, "the two events before the failure marked", || async {
        (unpublished().await.len() == 3).then_some(())
    })
    .await;
    // The relay tries again and again; nothing after the gap is ever marked.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(unpublished().await, ids[2..], "only what was acked is marked");

    sqlx::query("UPDATE outbox SET subject = $2 WHERE event_id = $1")
        .bind(ids[2])
        .bind(&subject)
        .execute(&fixture.pool)
        .await
        .unwrap();
    fixture.drained("the rest published once the failure cleared").await;
    let mut published = stream_event_ids(&js).await;
    let expected: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    assert_eq!(published[..2], expected[..2], "what was acked first stays first");
    // The events sent after the failed one were stored before its failure
    // was known, so the stream holds them ahead of it: the order across a
    // failed publish is not kept (docs/architecture.md, Outbox).
    published.sort();
    assert_eq!(published, expected, "every event once");
    stop.cancel();
    task.await.unwrap();
    fixture.finish().await;
}

#[tokio::test]
async fn events_written_without_a_pause_reach_nats_without_waiting_for_the_poll() {
    let mut fixture = Fixture::new().await;
    // A poll too slow to rescue an event the relay was not told of.
    fixture.settings.outbox.poll_interval_ms = 600_000;
    let js = fixture.jetstream().await;
    let (stop, task) = fixture.relay(js.clone());

    // Eight writers at once (the relay reads on and the notices go off),
    // then a pause (it runs dry and turns them on), then one more event.
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let pool = fixture.pool.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for _ in 0..40 {
                    ids.extend(append_events(&pool, 1).await);
                }
                ids
            })
        })
        .collect();
    let mut written = 0;
    for writer in writers {
        written += writer.await.unwrap().len();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    written += append_events(&fixture.pool, 1).await.len();

    fixture.drained("every event published").await;
    assert_eq!(stream_event_ids(&js).await.len(), written);
    stop.cancel();
    task.await.unwrap();
    assert_eq!(
        fixture.count("SELECT count(*) FROM relay_state WHERE reading").await,
        0,
        "a stopped relay leaves the writers' notices on"
    );
    fixture.finish().await;
}

#[tokio::test]
async fn a_relay_killed_while_reading_leaves_no_event_waiting_for_the_poll() {
    let mut fixture = Fixture::new().await;
    fixture.settings.outbox.poll_interval_ms = 600_000;
    // What a relay killed under load leaves: the writers' notices off.
    sqlx::query("INSERT INTO relay_state (reading) VALUES (true)").execute(&fixture.pool).await.unwrap();
    let js = fixture.jetstream().await;
    let (stop, task) = fixture.relay(js.clone());
    eventually(WAIT, "the new relay turned the notices on", || async {
        (fixture.count("SELECT count(*) FROM relay_state WHERE reading").await == 0).then_some(())
    })
    .await;

    let written = append_events(&fixture.pool, 1).await;
    fixture.drained("the event published").await;
    assert_eq!(stream_event_ids(&js).await, vec![written[0].to_string()]);
    stop.cancel();
    task.await.unwrap();
    fixture.finish().await;
}

#[tokio::test]
async fn the_audit_log_refuses_updates_and_deletes() {
    let fixture = Fixture::new().await;
    let caller = office();
    let mut conn = fixture.pool.acquire().await.unwrap();
    let change = Change::of("Test", "thing", 1).after(serde_json::json!({"state": "A"}));
    Outbox::new("producer", Clock::system()).write(&mut conn, &caller, change).await.unwrap();
    for statement in ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let refused = sqlx::query(statement).execute(&mut *conn).await.unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{statement}: {refused}");
    }
    drop(conn);
    assert_eq!(fixture.count("SELECT count(*) FROM audit_log WHERE actor = 'office-33'").await, 1);
    fixture.finish().await;
}

#[tokio::test]
async fn a_duplicate_key_maps_to_already_exists_without_sql_in_the_message() {
    let fixture = Fixture::new().await;
    let insert =
        "INSERT INTO inbox (event_id, stream, subject) VALUES ('018f0000-0000-7000-8000-000000000000', 's', 's')";
    sqlx::query(insert).execute(&fixture.pool).await.unwrap();
    let error = ServiceError::from(sqlx::query(insert).execute(&fixture.pool).await.unwrap_err());
    let status = tonic::Status::from(error);
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    assert!(!status.message().contains("inbox_pkey"), "{}", status.message());
    fixture.finish().await;
}

#[tokio::test]
async fn published_events_and_request_ids_past_the_retention_are_pruned() {
    let fixture = Fixture::new().await;
    append_events(&fixture.pool, 1).await;
    for (request_id, age) in [("old", "200 hours"), ("recent", "1 hour")] {
        sqlx::query(&format!(
            "INSERT INTO request_ids (subject, rpc, request_id, request_digest, response, created_at)
             VALUES ('office-33', 'RegisterParticipant', '{request_id}', '', '', now() - interval '{age}')"
        ))
        .execute(&fixture.pool)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE outbox SET published_at = now() - interval '200 hours'").execute(&fixture.pool).await.unwrap();
    let (stop, task) = fixture.relay(fixture.jetstream().await);
    eventually(WAIT, "the retention applied", || async {
        let left = fixture.count("SELECT count(*) FROM outbox").await
            + fixture.count("SELECT count(*) FROM request_ids").await;
        (left == 1).then_some(())
    })
    .await;
    assert_eq!(fixture.count("SELECT count(*) FROM request_ids WHERE request_id = 'recent'").await, 1);
    stop.cancel();
    task.await.unwrap();
    fixture.finish().await;
}

fn office() -> Caller {
    Caller {
        subject: "office-33".into(),
        unit: doithoai_units::UnitCode::parse("33").unwrap(),
        roles: vec![Role::Office],
        organization: None,
        at_root: false,
        peer: None,
    }
}

/// A change that records one effect (the row `effects`), keeping the
/// request's id; the result names the effect. It stays in flight a moment,
/// so that retries sent together overlap it.
async fn record_once(fixture: &Fixture, outbox: &Outbox, caller: &Caller, once: &Once) -> ServiceResult<EventEnvelope> {
    once.run(&fixture.pool, async {
        let mut tx = fixture.pool.begin().await?;
        let effect = Uuid::now_v7().to_string();
        sqlx::query("INSERT INTO effects (event_id) VALUES ($1)").bind(&effect).execute(&mut *tx).await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let change = Change::of("Record", "effect", &effect);
        outbox.commit(tx, caller, change, once, EventEnvelope { event_id: effect, ..envelope() }).await
    })
    .await
}

#[tokio::test]
async fn a_request_and_its_retries_sent_together_change_once_and_all_answer_the_first_result() {
    let fixture = Fixture::new().await;
    let outbox = Outbox::new("plumbing", Clock::system());
    let caller = office();
    let request = EventEnvelope { actor: "a request".into(), ..envelope() };
    let once = || Once::new(&caller, "Record", "request-1", &request).unwrap();

    let answers = futures::future::join_all((0..8).map(|_| async {
        let once = once();
        record_once(&fixture, &outbox, &caller, &once).await.unwrap().event_id
    }))
    .await;
    assert!(answers.iter().all(|answer| *answer == answers[0]), "{answers:?}");
    assert_eq!(fixture.count("SELECT count(*) FROM effects").await, 1);
    assert_eq!(fixture.count("SELECT count(*) FROM request_ids WHERE response IS NOT NULL").await, 1);

    // A retry refused by what the first request did answers the first result…
    let refused = || async { Err(Refusal::rule("R8.4", "the minutes are signed", "biên bản đã ký").into()) };
    let retried: EventEnvelope = once().run(&fixture.pool, refused()).await.unwrap();
    assert_eq!(retried.event_id, answers[0]);
    // …the same id with another request is refused by name…
    let other = EventEnvelope { actor: "another request".into(), ..envelope() };
    let reused = Once::new(&caller, "Record", "request-1", &other).unwrap();
    let status = tonic::Status::from(record_once(&fixture, &outbox, &caller, &reused).await.unwrap_err());
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(fixture.count("SELECT count(*) FROM effects").await, 1);
    // …and a refused first request keeps no id: its retry may still succeed.
    let fresh = Once::new(&caller, "Record", "request-2", &request).unwrap();
    let status = tonic::Status::from(fresh.run::<EventEnvelope>(&fixture.pool, refused()).await.unwrap_err());
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert_eq!(fixture.count("SELECT count(*) FROM request_ids").await, 1);
    record_once(&fixture, &outbox, &caller, &fresh).await.unwrap();
    assert_eq!(fixture.count("SELECT count(*) FROM effects").await, 2);
    fixture.finish().await;
}
