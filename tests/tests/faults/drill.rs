//! The backup and restore drill (`deploy/local/drill`), played on a stack of
//! the test's own: the streams snapshotted while the services run, then a
//! conference ended and a petition recorded, then the databases dumped; the
//! services stopped, the streams and databases destroyed and restored, the
//! services started again. The answers are those of before, every event is
//! on NATS once, and the deadlines service catches a month up without doing
//! anything twice.

use std::{collections::HashMap, path::Path, process::Command, time::Duration};

use doithoai_load::conferences::Conference;
use doithoai_proto::{
    common::v1::{EventEnvelope, PageRequest},
    deadlines::v1::{ListObligationsRequest, SummaryRequest, deadlines_client::DeadlinesClient},
    minutes::v1::{
        Classification, ConferenceRequest, RecordPetitionRequest, minutes_service_client::MinutesServiceClient,
    },
    scheduling::v1::{ListConferencesRequest, conferences_client::ConferencesClient},
};
use doithoai_runtime::testsuite::{self, nats_client};
use doithoai_tests::{Role, WAIT, authorized, eventually, faults::ProcessStack, read_rows, stream_messages, token};
use prost::Message;
use tonic::transport::Channel;

use crate::{ONE_AT_A_TIME, SERVICE_BINARY};

#[tokio::test]
async fn the_drill_restores_the_same_answers_and_the_deadlines_catch_up_without_doing_anything_twice() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut stack = ProcessStack::start(SERVICE_BINARY).await;
    let conferences = stack.conferences_of(read_rows("hung-yen-2025-07.csv"), 3).await;
    for conference in &conferences {
        record_petition(&stack, conference, "Đường làng xuống cấp").await;
    }
    stack.end_conference(&conferences[0]).await;
    settled(&stack, 1).await;

    let folder = tempfile::tempdir().unwrap();
    drill(&stack, "backup-streams", folder.path());
    // Between the snapshot and the dumps: their events are in the databases only.
    stack.end_conference(&conferences[1]).await;
    record_petition(&stack, &conferences[2], "Xin cấp giấy chứng nhận quyền sử dụng đất").await;
    settled(&stack, 2).await;
    drill(&stack, "backup-databases", folder.path());
    let before = answers(&stack, &conferences).await;

    for name in doithoai_tests::SERVICES {
        stack.kill(name).await;
    }
    let js = async_nats::jetstream::new(nats_client(&stack.nats.url()).await.unwrap());
    for name in doithoai_tests::SERVICES {
        js.delete_stream(doithoai_runtime::events::stream_name(name)).await.unwrap();
    }
    drill(&stack, "restore", folder.path());
    let mut again = 0;
    for name in doithoai_tests::SERVICES {
        let pool = stack.database(name).await;
        let unpublished: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
        again += unpublished;
    }
    assert!(again > 0, "the events written after the snapshot wait to be published again");
    for name in doithoai_tests::SERVICES {
        stack.restart(name).await;
    }
    for name in doithoai_tests::SERVICES {
        stack.outbox_published(name).await;
    }
    let after = eventually(WAIT, "the same answers as before the backup", || async {
        let after = answers(&stack, &conferences).await;
        (after == before).then_some(after)
    })
    .await;
    assert_eq!(after, before);

    // A month on: the sweeper moves what falls due, once.
    stack.move_clocks(chrono::Days::new(30)).await;
    stack.outbox_published("deadlines").await;
    for name in doithoai_tests::SERVICES {
        let stream = doithoai_runtime::events::stream_name(name);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for message in stream_messages(&stack.nats.url(), &stream).await {
            let id = message.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()).unwrap_or_default();
            *seen.entry(id).or_default() += 1;
        }
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "{stream}: events on NATS twice: {twice:?}");
        // The outbox keeps what it published: every event written is on NATS.
        let pool = stack.database(name).await;
        let written: Vec<String> =
            sqlx::query_scalar("SELECT event_id::text FROM outbox").fetch_all(&pool).await.unwrap();
        let missing: Vec<_> = written.iter().filter(|id| !seen.contains_key(*id)).collect();
        assert!(missing.is_empty(), "{stream}: events written but not on NATS: {missing:?}");
    }
    let mut transitions: HashMap<(String, String), usize> = HashMap::new();
    for message in stream_messages(&stack.nats.url(), "DOITHOAI_DEADLINES").await {
        let kind = message.subject.split('.').nth(2).unwrap_or_default().to_owned();
        if kind == "deadline_reminder" {
            continue;
        }
        let envelope = EventEnvelope::decode(message.payload).unwrap();
        *transitions.entry((envelope.aggregate_id, kind)).or_default() += 1;
    }
    let twice: Vec<_> = transitions.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "transitions published twice: {twice:?}");
    let deadlines = stack.database("deadlines").await;
    let obligations: i64 = sqlx::query_scalar("SELECT count(*) FROM obligations").fetch_one(&deadlines).await.unwrap();
    let opened = transitions.keys().filter(|(_, kind)| kind == "obligation_opened").count();
    assert_eq!(opened as i64, obligations, "each obligation opened once");
    let overdue: i64 = sqlx::query_scalar("SELECT count(*) FROM obligations WHERE state = 'OBLIGATION_STATE_OVERDUE'")
        .fetch_one(&deadlines)
        .await
        .unwrap();
    let announced = transitions.keys().filter(|(_, kind)| kind == "deadline_overdue").count();
    assert_eq!(announced as i64, overdue, "each overdue obligation announced once");
}

/// `deploy/local/drill STEP DIR` against the stack's PostgreSQL and NATS.
fn drill(stack: &ProcessStack, step: &str, dir: &Path) {
    let cli = Path::new(SERVICE_BINARY).with_file_name("doithoai");
    assert!(
        cli.exists(),
        "{} is not built: cargo build -p doithoai-cli (cargo test --workspace builds it)",
        cli.display()
    );
    let out = Command::new(testsuite::repo_root().join("deploy/local/drill"))
        .args([step, dir.to_str().unwrap()])
        .env("DOITHOAI_DATABASE__URL", stack.postgres.url())
        .env("DOITHOAI_NATS__URL", stack.nats.url())
        .env("DOITHOAI_CLI", &cli)
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "drill {step}: {said}");
    eprintln!("drill {step}:\n{said}");
}

async fn record_petition(stack: &ProcessStack, conference: &Conference, text: &str) {
    let channel = Channel::from_shared(stack.addr("minutes")).unwrap().connect().await.unwrap();
    let request = RecordPetitionRequest {
        conference_id: conference.id.clone(),
        text: text.into(),
        field: 1,
        classification: Classification::Petition as i32,
        request_id: uuid::Uuid::now_v7().to_string(),
        ..Default::default()
    };
    MinutesServiceClient::new(channel).record_petition(authorized(request, &conference.secretary)).await.unwrap();
}

/// Every event published and the deadlines service holding `notices` R10.2 clocks.
async fn settled(stack: &ProcessStack, notices: i64) {
    for name in doithoai_tests::SERVICES {
        stack.outbox_published(name).await;
    }
    stack.conclusion_notices(notices).await;
    // And the consumers idle: what they took in is in their databases.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// What the services answer: the province's summary, its obligations and
/// conferences, and each conference's minutes.
async fn answers(stack: &ProcessStack, conferences: &[Conference]) -> Vec<String> {
    let admin = token(&stack.root, &[Role::Admin]);
    let connect = |name: &str| Channel::from_shared(stack.addr(name)).unwrap().connect_lazy();
    let mut deadlines = DeadlinesClient::new(connect("deadlines"));
    let summary = SummaryRequest { unit_code: stack.root.clone(), ..Default::default() };
    let summary = deadlines.get_summary(authorized(summary, &admin)).await.unwrap().into_inner();
    let page = Some(PageRequest { page_size: 1000, ..Default::default() });
    let list = ListObligationsRequest { unit_code: stack.root.clone(), page: page.clone(), ..Default::default() };
    let mut obligations = deadlines.list_obligations(authorized(list, &admin)).await.unwrap().into_inner().obligations;
    obligations.sort_by(|a, b| a.id.cmp(&b.id));
    let list = ListConferencesRequest { unit_code: stack.root.clone(), page, ..Default::default() };
    let mut held = ConferencesClient::new(connect("scheduling"))
        .list_conferences(authorized(list, &admin))
        .await
        .unwrap()
        .into_inner()
        .conferences;
    held.sort_by(|a, b| a.id.cmp(&b.id));
    let mut answers = vec![format!("{summary:?}"), format!("{obligations:?}"), format!("{held:?}")];
    let mut minutes = MinutesServiceClient::new(connect("minutes"));
    for conference in conferences {
        let request = authorized(ConferenceRequest { conference_id: conference.id.clone() }, &conference.secretary);
        answers.push(format!("{:?}", minutes.get_minutes(request).await.unwrap().into_inner()));
    }
    answers
}
