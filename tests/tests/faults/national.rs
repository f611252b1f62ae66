//! The national hub: two provinces, each a whole stack on a NATS of its own
//! with a JetStream domain, linked to the hub as leaf nodes; the hub's stream
//! sources both provinces' deadlines events and the national summary folds
//! them. One province's link is cut while both work on, then restored.

use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

use doithoai_load::conferences::Conference;
use doithoai_national::{figures::Province, hub};
use doithoai_proto::{
    common::v1::EventEnvelope,
    deadlines::v1::{SummaryRequest, deadlines_client::DeadlinesClient},
};
use doithoai_runtime::testsuite::{Leaf, TestNats, free_port, nats_client};
use doithoai_tests::{
    Role, WAIT, authorized, eventually,
    faults::{ProcessStack, Relay},
    province_rows, read_rows, stream_messages, token,
};
use prost::Message;
use tokio::time::Instant;
use tonic::transport::Channel;

use crate::{ONE_AT_A_TIME, SERVICE_BINARY, report};

/// How long Hưng Yên is cut off from the hub.
const CUT: Duration = Duration::from_millis(2500);

/// A province of the test: its stack, its link to the hub and its conferences.
struct Linked {
    stack: ProcessStack,
    link: Relay,
    conferences: Vec<Conference>,
}

#[tokio::test]
async fn the_hub_holds_every_provinces_figures_once_through_a_cut_link() {
    let _one = ONE_AT_A_TIME.lock().await;
    let leaf_port = free_port();
    let hub = TestNats::with_domain("national", Leaf::Listen(leaf_port)).await.unwrap();
    let mut provinces = Vec::new();
    for (root, domain, rows) in [
        ("33", "hung-yen", read_rows("hung-yen-2025-07.csv")),
        ("01", "ha-noi", province_rows("vietnam-2025-07.csv", "01")),
    ] {
        let link = Relay::start(([127, 0, 0, 1], leaf_port).into()).await;
        let nats = TestNats::with_domain(domain, Leaf::Remote(link.addr)).await.unwrap();
        let stack = ProcessStack::province(SERVICE_BINARY, root, nats).await;
        // Each head's post opens the year's dialogue (R6.2) and reports (R13.1).
        let conferences = stack.conferences_of(rows, 2).await;
        provinces.push(Linked { stack, link, conferences });
    }
    let js = async_nats::jetstream::new(nats_client(&hub.url()).await.unwrap());
    let links = ["33=hung-yen".parse().unwrap(), "01=ha-noi".parse().unwrap()];
    hub::link(&js, &links, 1).await.unwrap();

    let at_hub = |js: async_nats::jetstream::Context| async move { hub::read(&js).await.unwrap().0.provinces() };
    let truths = async |provinces: &[Linked]| {
        let mut truths = Vec::new();
        for province in provinces {
            truths.push(truth(&province.stack).await);
        }
        truths.sort_by(|a, b| a.code.cmp(&b.code));
        truths
    };
    let both_arrived = truths(&provinces).await;
    assert!(both_arrived.iter().all(|p| p.heads_without_dialogue > 0), "{both_arrived:?}");
    eventually(WAIT, "both provinces' figures at the hub", || async {
        (at_hub(js.clone()).await == truths(&provinces).await).then_some(())
    })
    .await;

    // Hưng Yên cut off: both provinces end their conferences (R10.2's
    // notices open) and Hưng Yên's clock runs on past their due dates.
    provinces[0].link.cut();
    let cut_at = Instant::now();
    for province in &provinces {
        end_conferences(province).await;
    }
    provinces[0].stack.move_clocks(chrono::Days::new(30)).await;
    let hung_yen_cut_off = truth(&provinces[0].stack).await;
    assert!(
        hung_yen_cut_off.overdue_by_kind.get("CONCLUSION_NOTICE") == Some(&2),
        "Hưng Yên's local work went on while cut off: {hung_yen_cut_off:?}"
    );
    eventually(WAIT, "Hà Nội's new figures at the hub", || async {
        let held = at_hub(js.clone()).await;
        (held.iter().find(|p| p.code == "01") == Some(&truth(&provinces[1].stack).await)).then_some(())
    })
    .await;
    // Hưng Yên's events on its own NATS, and none of them at the hub.
    provinces[0].stack.outbox_published("deadlines").await;
    tokio::time::sleep(CUT.saturating_sub(cut_at.elapsed())).await;
    let held = at_hub(js.clone()).await;
    let hung_yen_held = held.iter().find(|p| p.code == "33").unwrap();
    assert_eq!(hung_yen_held, both_arrived.iter().find(|p| p.code == "33").unwrap(), "nothing crossed the cut link");

    provinces[0].link.restore();
    let restored = Instant::now();
    eventually(WAIT, "Hưng Yên's figures at the hub after the link is back", || async {
        (at_hub(js.clone()).await == truths(&provinces).await).then_some(())
    })
    .await;
    report("national hub link cut", &[("cut", restored - cut_at), ("caught up after restore", restored.elapsed())]);

    // Every event of each province at the hub once, and none other.
    let mut national: HashMap<String, usize> = HashMap::new();
    for message in stream_messages(&hub.url(), hub::STREAM).await {
        let envelope = EventEnvelope::decode(message.payload).unwrap();
        *national.entry(envelope.event_id).or_default() += 1;
    }
    let twice: Vec<_> = national.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "events at the hub more than once: {twice:?}");
    let mut published = 0;
    for province in &provinces {
        for message in stream_messages(&province.stack.nats.url(), "DOITHOAI_DEADLINES").await {
            let envelope = EventEnvelope::decode(message.payload).unwrap();
            assert!(
                national.contains_key(&envelope.event_id),
                "an event of {} missing at the hub",
                province.stack.root
            );
            published += 1;
        }
    }
    assert_eq!(national.len(), published, "the hub holds events no province published");
}

/// A province's figures as its own deadlines service holds them: its
/// obligations by kind and state, its own summary's on-time rate.
async fn truth(stack: &ProcessStack) -> Province {
    let pool = stack.database("deadlines").await;
    let counts: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT kind, state, count(*) FROM obligations GROUP BY kind, state")
            .fetch_all(&pool)
            .await
            .unwrap();
    let heads: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT head_position_id) FROM obligations WHERE kind = 'OBLIGATION_KIND_PERIODIC_DIALOGUE'
           AND state IN ('OBLIGATION_STATE_OPEN', 'OBLIGATION_STATE_DUE_SOON', 'OBLIGATION_STATE_OVERDUE')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let short = |name: &str, prefix: &str| name.strip_prefix(prefix).unwrap_or(name).to_owned();
    let mut obligations: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut overdue_by_kind = BTreeMap::new();
    for (kind, state, n) in counts {
        let (kind, state) = (short(&kind, "OBLIGATION_KIND_"), short(&state, "OBLIGATION_STATE_"));
        if state == "OVERDUE" {
            overdue_by_kind.insert(kind.clone(), n as u64);
        }
        obligations.entry(kind).or_default().insert(state, n as u64);
    }
    let admin = token(&stack.root, &[Role::Admin]);
    let deadlines = Channel::from_shared(stack.addr("deadlines")).unwrap().connect().await.unwrap();
    let request = SummaryRequest { unit_code: stack.root.clone(), ..Default::default() };
    let summary = DeadlinesClient::new(deadlines).get_summary(authorized(request, &admin)).await.unwrap().into_inner();
    Province {
        code: stack.root.clone(),
        obligations,
        on_time_rate: summary.on_time_rate,
        heads_without_dialogue: heads as u64,
        overdue_by_kind,
    }
}

async fn end_conferences(province: &Linked) {
    for conference in &province.conferences {
        province.stack.end_conference(conference).await;
    }
    province.stack.conclusion_notices(province.conferences.len() as i64).await;
}
