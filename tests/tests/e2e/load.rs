//! The load tool's workloads against a real stack: the pages (found from
//! the links, the receipt codes from the minutes service, the dashboards
//! signed in) load without an error; the petitions' conferences are
//! prepared through the APIs and every petition recorded is found once. Only that it works is asserted here; how fast is measured with the
//! tool itself (`docs/performance.md`), never in a test.
#![allow(clippy::unwrap_used)]

use std::{sync::Arc, time::Duration};

use doithoai_load::{
    drive::{Plan, Shape, drive},
    pages::{Pages, PagesArgs},
    petitions::{Petitions, PetitionsArgs},
};
use doithoai_runtime::testsuite;
use doithoai_tests::{scheduling::District, web::start_web, *};

#[tokio::test]
async fn the_page_workload_finds_and_loads_every_kind_of_page() {
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    district.held(&stack).await;
    let web = start_web(&stack, |settings| settings.with("web.lookups_per_minute", 1_000_000)).await;
    let args = PagesArgs {
        web: format!("http://{}", web.addr),
        unit: "33".into(),
        minutes: format!("http://{}", stack.running("minutes").grpc_addr),
        dev_key: testsuite::dev_key("signing.pem"),
        per_kind: 20,
    };
    let pages = Arc::new(Pages::discover(&args).await.unwrap());
    let found = pages.describe();
    for kind in ["unit 20", "conference 1", "petition 2", "open311 2", "heads 1", "report 3"] {
        assert!(found.contains(kind), "{found}");
    }
    let plan =
        Plan { shape: Shape::Closed { concurrency: 2 }, warmup: Duration::ZERO, duration: Duration::from_secs(3) };
    let outcome = drive(pages, &plan).await;
    for operation in &outcome.operations {
        assert_eq!(operation.errors, 0, "{}: {:?}", operation.name, operation.first_errors);
    }
    let loaded: Vec<&str> = outcome.operations.iter().filter(|m| !m.latency.is_empty()).map(|m| m.name).collect();
    assert!(loaded.len() >= 8, "{loaded:?}");

    web.stop().await.unwrap();
    stack.finish().await;
}

#[tokio::test]
async fn the_petition_workload_prepares_its_conferences_records_and_finds_each_petition_once() {
    let stack = Stack::start().await;
    District::set_up(&stack).await;
    let addr = |service: &str| format!("http://{}", stack.running(service).grpc_addr);
    let args = PetitionsArgs {
        scheduling: addr("scheduling"),
        participants: addr("participants"),
        minutes: addr("minutes"),
        deadlines: addr("deadlines"),
        root: "33".into(),
        conferences: 3,
        dev_key: testsuite::dev_key("signing.pem"),
        nats: stack.nats.url(),
        consumer_database: stack.database_url("deadlines"),
    };
    let petitions = Arc::new(Petitions::prepare(&args).await.unwrap());
    let plan =
        Plan { shape: Shape::Closed { concurrency: 3 }, warmup: Duration::ZERO, duration: Duration::from_secs(2) };
    let outcome = drive(petitions.clone(), &plan).await;
    let recorded = &outcome.operations[0];
    assert_eq!(recorded.errors, 0, "{:?}", recorded.first_errors);
    assert!(recorded.latency.len() >= 3, "{}", recorded.latency.len());
    let (verified, events) = petitions.verify().await.unwrap();
    assert!(verified.starts_with(&format!("{} petitions", recorded.latency.len())), "{verified}");
    // Each one's event heard on NATS once, and taken in by the deadlines service.
    assert_eq!(events.to_nats.events, recorded.latency.len());
    assert_eq!((events.to_nats.missing, events.to_nats.duplicates), (0, 0));
    let consumer = events.to_consumer.expect("the deadlines service's inbox was read");
    assert_eq!((consumer.events, consumer.missing), (recorded.latency.len(), 0));

    stack.finish().await;
}
