//! The unit directory end to end: import into scheduling, replicas in the
//! other three services, reads, refusals, audit, traces and metrics.
#![allow(clippy::unwrap_used)]

use doithoai_proto::{
    common::v1::PageRequest,
    directory::v1::{GetSubtreeRequest, GetUnitRequest, ListChildrenRequest, UnitRow},
};
use doithoai_tests::*;
use tonic::Code;
use tonic_types::StatusExt;

const HUNG_YEN_2020_UNITS: i64 = 172;

#[tokio::test]
async fn the_unit_import_reaches_all_three_replicas() {
    let stack = Stack::start().await;
    let imported = stack.import_file("hung-yen-2020.csv").await.unwrap();
    assert_eq!((imported.received, imported.created, imported.updated), (172, 172, 0));
    stack.replicas_hold(HUNG_YEN_2020_UNITS).await;

    let admin = token("33", &[Role::Admin]);
    for name in REPLICAS {
        let mut replica = stack.replica(name).await;
        let unit =
            replica.get_unit(authorized(GetUnitRequest { code: "11950".into() }, &admin)).await.unwrap().into_inner();
        assert_eq!(
            (unit.name.as_str(), unit.path.clone()),
            ("Phường Lam Sơn", vec!["33".to_owned(), "323".into(), "11950".into()])
        );
        let request = ListChildrenRequest { code: "33".into(), ..Default::default() };
        let districts = replica.list_children(authorized(request, &admin)).await.unwrap().into_inner();
        assert_eq!(districts.units.len(), 10, "{name}");
    }
    stack.finish().await;
}

#[tokio::test]
async fn a_bad_import_names_its_lines_and_imports_nothing() {
    let stack = Stack::start().await;
    let mut rows = read_rows("hung-yen-2020.csv");
    rows[5].parent_code = "999".into();
    let refused = stack.import_rows(rows, &token("33", &[Role::Admin])).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let violations = refused.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, format!("rows[line {}].parent_code", 7));
    assert!(violations[0].description.contains("unknown parent 999"));
    let reason = refused.get_details_error_info().unwrap().reason;
    assert_eq!(reason, "INVALID_UNIT_IMPORT");

    assert_eq!(stack.count("scheduling", "SELECT count(*) FROM units").await, 0, "nothing half-written");
    assert_eq!(stack.count("scheduling", "SELECT count(*) FROM outbox").await, 0);
    stack.finish().await;
}

#[tokio::test]
async fn the_2025_merger_reshapes_the_tree_everywhere() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let merged = stack.import_file("hung-yen-2025-07.csv").await.unwrap();
    assert_eq!(merged.received, 105);
    assert!(merged.updated > 0 && merged.created > 0, "{merged:?}");

    let admin = token("33", &[Role::Admin]);
    let expected = vec!["33".to_owned(), "11953".into()];
    let mut directory = stack.directory().await;
    let unit =
        directory.get_unit(authorized(GetUnitRequest { code: "11953".into() }, &admin)).await.unwrap().into_inner();
    assert_eq!((unit.name.as_str(), &unit.path), ("Phường Phố Hiến", &expected));
    for name in REPLICAS {
        let mut replica = stack.replica(name).await;
        eventually(WAIT, &format!("{name} to see the merger"), || {
            let mut replica = replica.clone();
            let request = authorized(GetUnitRequest { code: "11953".into() }, &admin);
            async move { replica.get_unit(request).await.ok().filter(|u| u.get_ref().path == ["33", "11953"]) }
        })
        .await;
        let request = authorized(GetUnitRequest { code: "11953".into() }, &admin);
        assert_eq!(replica.get_unit(request).await.unwrap().into_inner().name, "Phường Phố Hiến");
    }
    stack.finish().await;
}

#[tokio::test]
async fn importing_the_same_list_again_changes_and_publishes_nothing() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let again = stack.import_file("hung-yen-2020.csv").await.unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 172));
    assert_eq!(stack.count("scheduling", "SELECT count(*) FROM outbox").await, HUNG_YEN_2020_UNITS);
    assert_eq!(
        stack.count("scheduling", "SELECT count(*) FROM audit_log WHERE rpc = 'ImportUnits'").await,
        HUNG_YEN_2020_UNITS
    );
    stack.finish().await;
}

#[tokio::test]
async fn a_subtree_reads_root_first_across_pages() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let token = token("323", &[Role::Office]);
    let mut directory = stack.directory().await;
    let (mut codes, mut page_token) = (Vec::new(), String::new());
    loop {
        let request = GetSubtreeRequest {
            code: "323".into(),
            page: Some(PageRequest { page_size: 4, page_token }),
            ..Default::default()
        };
        let page = directory.get_subtree(authorized(request, &token)).await.unwrap().into_inner();
        codes.extend(page.units.into_iter().map(|u| u.code));
        page_token = page.page.unwrap().next_page_token;
        if page_token.is_empty() {
            break;
        }
    }
    let communes_of_323 = read_rows("hung-yen-2020.csv").iter().filter(|r| r.parent_code == "323").count();
    assert_eq!(codes.len(), 1 + communes_of_323);
    assert_eq!(codes[0], "323");
    let mut sorted = codes[1..].to_vec();
    sorted.sort();
    assert_eq!(codes[1..], sorted[..], "no unit twice, none skipped");
    stack.finish().await;
}

#[tokio::test]
async fn the_callers_trace_follows_the_event_onto_nats() {
    let stack = Stack::start().await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let row = UnitRow {
        line: 2,
        code: "33".into(),
        name: "Tỉnh Hưng Yên".into(),
        tier: 1,
        kind: "Tỉnh".into(),
        ..Default::default()
    };
    let chunk = doithoai_proto::directory::v1::ImportUnitsRequest { rows: vec![row] };
    let mut request = authorized(tokio_stream::iter(vec![chunk]), &token("33", &[Role::Admin]));
    request.metadata_mut().insert("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01").parse().unwrap());
    stack.directory().await.import_units(request).await.unwrap();

    let js = async_nats::jetstream::new(async_nats::connect(stack.nats.url()).await.unwrap());
    let message = eventually(WAIT, "the event on NATS", || {
        let js = js.clone();
        async move { js.get_stream("DOITHOAI_SCHEDULING").await.ok()?.get_raw_message(1).await.ok() }
    })
    .await;
    assert_eq!(message.subject.as_str(), "doithoai.scheduling.unit_upserted.33");
    let traceparent = message.headers.get("traceparent").expect("a traceparent header").to_string();
    assert!(traceparent.contains(trace_id), "{traceparent}");
    let audited: Option<String> = sqlx::query_scalar("SELECT trace_id FROM audit_log")
        .fetch_one(&stack.database("scheduling").await)
        .await
        .unwrap();
    assert_eq!(audited.as_deref(), Some(trace_id));
    stack.finish().await;
}

#[tokio::test]
async fn metrics_count_rpcs_by_method_and_code() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let unauthenticated = stack.directory().await.get_unit(GetUnitRequest { code: "33".into() }).await.unwrap_err();
    assert_eq!(unauthenticated.code(), Code::Unauthenticated);

    let body = http_get(stack.running("scheduling").metrics_addr, "/metrics").await;
    let directory = r#"grpc_service="doithoai.directory.v1.UnitDirectory""#;
    let handled = |method: &str, code: &str| {
        body.lines().any(|l| {
            l.starts_with("grpc_server_handled_total{")
                && l.contains(directory)
                && l.contains(&format!(r#"grpc_method="{method}""#))
                && l.contains(&format!(r#"grpc_code="{code}""#))
        })
    };
    assert!(handled("ImportUnits", "OK"), "{body}");
    assert!(handled("GetUnit", "UNAUTHENTICATED"), "{body}");
    let started = r#"grpc_method="GetUnit""#;
    assert!(body.lines().any(|l| l.starts_with("grpc_server_started_total{") && l.contains(started)), "{body}");
    assert!(body.lines().any(|l| l.starts_with("grpc_server_handling_seconds_bucket{") && l.contains(directory)));
    assert!(body.contains("doithoai_outbox_backlog"), "{body}");
    stack.finish().await;
}
