//! The monitoring of `deploy/monitoring`, tested like code: promtool checks
//! the alert rules and runs their unit tests; every expression of every rule
//! and dashboard parses as PromQL and names only metrics that the services
//! export — scraped from a running stack that has done the work each metric
//! counts — or that Prometheus or a named exporter does.
#![allow(clippy::unwrap_used)]

use std::{collections::BTreeSet, path::PathBuf, process::Command};

use doithoai_proto::deadlines::v1::{ObligationKind, ObligationState};
use doithoai_tests::{scheduling::at, *};

use crate::deadlines::Fixture;

/// Metrics that come from elsewhere: Prometheus's own, and the standard
/// exporters the NATS and PostgreSQL dashboard is built on
/// (prometheus-nats-exporter with -varz, postgres_exporter's defaults).
const NOT_OURS: [&str; 14] = [
    "up",
    "gnatsd_varz_connections",
    "gnatsd_varz_in_msgs",
    "gnatsd_varz_out_msgs",
    "gnatsd_varz_mem",
    "gnatsd_varz_slow_consumers",
    "pg_up",
    "pg_stat_database_numbackends",
    "pg_stat_database_xact_commit",
    "pg_stat_database_xact_rollback",
    "pg_stat_database_deadlocks",
    "pg_database_size_bytes",
    "gnatsd_varz_cpu",
    "pg_stat_activity_count",
];

fn monitoring() -> PathBuf {
    repo_root().join("deploy/monitoring")
}

fn promtool(args: &[&str]) -> String {
    let output = Command::new("promtool")
        .args(args)
        .current_dir(monitoring())
        .output()
        .unwrap_or_else(|e| panic!("cannot run promtool ({e}): deploy/local/test installs it"));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "promtool {args:?}:\n{text}");
    text
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    assert!(promtool(&["check", "rules", "alerts.yml"]).contains("SUCCESS: 8 rules found"));
    assert!(promtool(&["test", "rules", "alerts.test.yml"]).contains("SUCCESS"));
}

/// Every expression of the rules and the dashboards, with where it is.
fn expressions() -> Vec<(String, String)> {
    let mut all = Vec::new();
    let rules: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(monitoring().join("alerts.yml")).unwrap()).unwrap();
    for rule in rules["groups"].as_array().unwrap().iter().flat_map(|g| g["rules"].as_array().unwrap()) {
        all.push((format!("alert {}", rule["alert"]), rule["expr"].as_str().unwrap().to_owned()));
    }
    let dashboards = std::fs::read_dir(monitoring().join("dashboards")).unwrap();
    let mut files: Vec<PathBuf> = dashboards.map(|entry| entry.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 4, "{files:?}");
    for file in files {
        let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                let expr = target["expr"].as_str().unwrap().to_owned();
                all.push((format!("{name}: {}", panel["title"]), expr));
            }
        }
        // A variable's query names its metric: label_values(metric, label).
        for variable in dashboard["templating"]["list"].as_array().unwrap() {
            if let Some(query) = variable["query"].as_str().and_then(|q| q.strip_prefix("label_values(")) {
                let metric = query.split(',').next().unwrap().trim().to_owned();
                all.push((format!("{name}: variable {}", variable["name"]), metric));
            }
        }
    }
    all
}

/// The metric names an expression selects.
fn metric_names(expr: &str) -> Result<BTreeSet<String>, String> {
    use promql_parser::parser::{Expr, parse};
    fn walk(expr: &Expr, names: &mut BTreeSet<String>) {
        match expr {
            Expr::Aggregate(aggregate) => {
                walk(&aggregate.expr, names);
                if let Some(param) = &aggregate.param {
                    walk(param, names);
                }
            }
            Expr::Unary(unary) => walk(&unary.expr, names),
            Expr::Binary(binary) => {
                walk(&binary.lhs, names);
                walk(&binary.rhs, names);
            }
            Expr::Paren(paren) => walk(&paren.expr, names),
            Expr::Subquery(subquery) => walk(&subquery.expr, names),
            Expr::VectorSelector(selector) => names.extend(selector.name.clone()),
            Expr::MatrixSelector(matrix) => names.extend(matrix.vs.name.clone()),
            Expr::Call(call) => call.args.args.iter().for_each(|arg| walk(arg, names)),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
        }
    }
    // Dashboards' variables are not PromQL; a value stands in for each.
    let expr = expr.replace("$job", "doithoai-scheduling").replace("$province", "33");
    let parsed = parse(&expr)?;
    let mut names = BTreeSet::new();
    walk(&parsed, &mut names);
    Ok(names)
}

#[test]
fn every_expression_parses_and_names_a_metric() {
    for (place, expr) in expressions() {
        let names = metric_names(&expr).unwrap_or_else(|e| panic!("{place}: {expr}: {e}"));
        assert!(!names.is_empty(), "{place}: {expr} names no metric");
    }
}

#[tokio::test]
async fn every_metric_the_monitoring_names_is_exported() {
    // The work each metric counts: units imported, RPCs answered and refused,
    // events relayed and consumed, a conference ended, its notice overdue.
    let f = Fixture::ended().await;
    f.until("the R10.2 obligation", ObligationKind::ConclusionNotice, |o| o.len() == 1).await;
    f.stack.clock.set(at("2026-03-26T02:00:00Z"));
    f.until("overdue", ObligationKind::ConclusionNotice, |o| o[0].state() == ObligationState::Overdue).await;
    let named: BTreeSet<String> = expressions()
        .into_iter()
        .flat_map(|(place, expr)| metric_names(&expr).unwrap_or_else(|e| panic!("{place}: {e}")))
        .filter(|name| !NOT_OURS.contains(&name.as_str()))
        .collect();
    // The sweep records its gauges after the pass that found the overdue.
    let give_up = std::time::Instant::now() + WAIT;
    let (exported, missing) = loop {
        let mut exported = BTreeSet::new();
        for service in SERVICES {
            let body = http_get(f.stack.running(service).metrics_addr, "/metrics").await;
            let samples = body.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
            exported.extend(samples.map(|l| l.split(['{', ' ']).next().unwrap_or_default().to_owned()));
        }
        let missing: Vec<String> = named.difference(&exported).cloned().collect();
        if missing.is_empty() || std::time::Instant::now() > give_up {
            break (exported, missing);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert!(missing.is_empty(), "named by the monitoring but exported by no service: {missing:?}");
    assert!(exported.contains("grpc_server_handled_total") && named.len() > 15, "{named:?}");
    f.stack.finish().await;
}
