//! The load tool's workloads against a real stack: the pages (found from
//! the links, the receipt codes from the minutes service, the dashboards
//! signed in) load without an error; the petitions' conferences are
//! prepared through the APIs and every petition recorded is found once;
//! whole conferences are played to their last written response. Only that
//! it works is asserted here; how fast is measured with the tool itself
//! (`docs/performance.md`), never in a test.
#![allow(clippy::unwrap_used)]

use std::{sync::Arc, time::Duration};

use doithoai_load::{
    conferences::StackArgs,
    cycles::{Cycles, CyclesArgs},
    drive::{Plan, Shape, drive},
    pages::{Pages, PagesArgs},
    petitions::{Petitions, PetitionsArgs},
    reads::{Reads, ReadsArgs},
    registrations::{Registrations, RegistrationsArgs},
};
use doithoai_runtime::testsuite;
use doithoai_tests::{scheduling::District, web::start_web, *};

/// The load tool's view of the stack, with `conferences` conferences.
fn stack_args(stack: &Stack, conferences: usize) -> StackArgs {
    let addr = |service: &str| format!("http://{}", stack.running(service).grpc_addr);
    StackArgs {
        scheduling: addr("scheduling"),
        participants: addr("participants"),
        minutes: addr("minutes"),
        deadlines: addr("deadlines"),
        root: "33".into(),
        conferences,
        dev_key: testsuite::dev_key("signing.pem"),
    }
}

fn briefly(concurrency: usize) -> Plan {
    Plan { shape: Shape::Closed { concurrency }, warmup: Duration::ZERO, duration: Duration::from_secs(2) }
}

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
    let args = PetitionsArgs {
        stack: stack_args(&stack, 3),
        nats: stack.nats.url(),
        consumer_database: stack.database_url("deadlines"),
    };
    let petitions = Arc::new(Petitions::prepare(&args).await.unwrap());
    let outcome = drive(petitions.clone(), &briefly(3)).await;
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

#[tokio::test]
async fn the_registration_workload_registers_citizens_each_counted_once_in_the_attendance() {
    let stack = Stack::start().await;
    District::set_up(&stack).await;
    let args = RegistrationsArgs { stack: stack_args(&stack, 2) };
    let registrations = Arc::new(Registrations::prepare(&args).await.unwrap());
    let outcome = drive(registrations.clone(), &briefly(2)).await;
    let registered = &outcome.operations[0];
    assert_eq!(registered.errors, 0, "{:?}", registered.first_errors);
    assert!(registered.latency.len() >= 2, "{}", registered.latency.len());
    let verified = registrations.verify().await.unwrap();
    assert!(verified.starts_with(&format!("{} registrations", registered.latency.len())), "{verified}");
    stack.finish().await;
}

#[tokio::test]
async fn the_read_workload_reads_summaries_lists_and_reports_without_an_error() {
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    district.held(&stack).await;
    let args = ReadsArgs {
        scheduling: format!("http://{}", stack.running("scheduling").grpc_addr),
        deadlines: format!("http://{}", stack.running("deadlines").grpc_addr),
        root: "33".into(),
        dev_key: testsuite::dev_key("signing.pem"),
        communes: 3,
        reports: true,
    };
    let reads = Arc::new(Reads::prepare(&args).await.unwrap());
    assert!(reads.describe().contains("3 communes"), "{}", reads.describe());
    let outcome = drive(reads, &briefly(2)).await;
    for operation in &outcome.operations {
        assert_eq!(operation.errors, 0, "{}: {:?}", operation.name, operation.first_errors);
        assert!(!operation.latency.is_empty(), "{} was read", operation.name);
    }
    stack.finish().await;
}

#[tokio::test]
async fn the_cycle_workload_plays_each_conference_to_its_last_response_with_every_deadline_met() {
    let stack = Stack::start().await;
    District::set_up(&stack).await;
    let args = CyclesArgs { stack: stack_args(&stack, 2), petitions: 3 };
    let cycles = Arc::new(Cycles::prepare(&args).await.unwrap());
    // Two callers play the two conferences' 3 + 6 + 3 steps each, then stop.
    let plan =
        Plan { shape: Shape::Closed { concurrency: 2 }, warmup: Duration::ZERO, duration: Duration::from_secs(60) };
    let outcome = drive(cycles.clone(), &plan).await;
    assert!(outcome.elapsed < plan.duration, "the run ends once every conference is done");
    for operation in &outcome.operations {
        assert_eq!(operation.errors, 0, "{}: {:?}", operation.name, operation.first_errors);
    }
    let taken: Vec<(&str, u64)> = outcome.operations.iter().map(|m| (m.name, m.latency.len())).collect();
    assert_eq!(
        taken,
        [
            ("RecordPetition", 6),
            ("RecordConclusion", 2),
            ("SignMinutes", 4),
            ("EndConference", 2),
            ("IssueConclusionNotice", 2),
            ("AcknowledgeNotice", 2),
            ("RecordResponse", 6)
        ]
    );
    // Each conference's minutes and obligations, read back, match its steps.
    let verified = cycles.verify().await.unwrap();
    assert!(verified.starts_with("2 of 2 conferences played to the end; 6 petitions"), "{verified}");
    assert!(verified.contains("6 answered in writing"), "{verified}");
    stack.finish().await;
}
