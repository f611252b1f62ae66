//! Outages: NATS stopped during imports, a service restarted, an event
//! delivered twice.
#![allow(clippy::unwrap_used)]

use async_nats::jetstream::{self, message::PublishMessage};
use doithoai_tests::*;

#[tokio::test]
async fn units_imported_while_nats_is_down_arrive_once_it_is_back() {
    let mut stack = Stack::start().await;
    stack.nats.stop().await;
    let imported = stack.import_file("hung-yen-2020.csv").await.expect("a write never fails because NATS is down");
    assert_eq!(imported.created, 172);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for name in REPLICAS {
        assert_eq!(stack.count(name, "SELECT count(*) FROM units").await, 0);
    }
    stack.nats.restart().await.unwrap();
    stack.replicas_hold(172).await;
    // The relay marks a batch published once it has every ack, so the
    // replicas may hold the units a moment before the outbox says so.
    eventually(WAIT, "the outbox to be marked published", || async {
        (stack.count("scheduling", "SELECT count(*) FROM outbox WHERE published_at IS NULL").await == 0).then_some(())
    })
    .await;
    stack.finish().await;
}

#[tokio::test]
async fn a_restarted_service_resumes_its_consumer_where_it_left_off() {
    let mut stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    stack.replicas_hold(172).await;
    stack.stop_service("minutes").await;
    let merged = stack.import_file("hung-yen-2025-07.csv").await.unwrap();
    stack.restart_service("minutes").await;

    let published = stack.count("scheduling", "SELECT count(*) FROM outbox").await;
    assert_eq!(published, 172 + i64::from(merged.created + merged.updated));
    eventually(WAIT, "minutes to catch up", || async {
        (stack.count("minutes", "SELECT count(*) FROM inbox").await == published).then_some(())
    })
    .await;
    let path: Vec<String> = sqlx::query_scalar("SELECT path FROM units WHERE code = '11953'")
        .fetch_one(&stack.database("minutes").await)
        .await
        .unwrap();
    assert_eq!(path, ["33", "11953"]);
    stack.finish().await;
}

#[tokio::test]
async fn a_redelivered_unit_event_has_exactly_one_effect() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    stack.replicas_hold(172).await;
    let updated_at = "SELECT extract(epoch FROM updated_at)::float8 FROM units WHERE code = '33'";
    let before: f64 = sqlx::query_scalar(updated_at).fetch_one(&stack.database("participants").await).await.unwrap();

    // The first event again under a new message id, as after a producer crash.
    let js = jetstream::new(async_nats::connect(stack.nats.url()).await.unwrap());
    let mut stream = js.get_stream("DOITHOAI_SCHEDULING").await.unwrap();
    let first = stream.get_raw_message(1).await.unwrap();
    let copy = PublishMessage::build().payload(first.payload.clone()).message_id("redelivered-copy");
    js.send_publish(first.subject.to_string(), copy).await.unwrap().await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    for name in REPLICAS {
        eventually(WAIT, &format!("{name} to settle the copy"), || {
            let stream = stream.clone();
            async move { (stream.consumer_info(name).await.ok()?.ack_floor.stream_sequence == last).then_some(()) }
        })
        .await;
        assert_eq!(stack.count(name, "SELECT count(*) FROM inbox").await, 172, "{name}");
    }
    let after: f64 = sqlx::query_scalar(updated_at).fetch_one(&stack.database("participants").await).await.unwrap();
    assert_eq!(before, after, "the copy changed nothing");
    stack.finish().await;
}
