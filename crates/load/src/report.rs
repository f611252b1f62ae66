//! The report: each operation's count, rate, errors and latency percentiles
//! (milliseconds), as JSON and as a table for the terminal.

use serde::Serialize;

use crate::{
    drive::{Outcome, Plan, Shape},
    events::EventsReport,
};

#[derive(Serialize)]
pub struct Report {
    pub workload: &'static str,
    pub shape: String,
    pub warmup_secs: f64,
    pub measured_secs: f64,
    pub operations: Vec<Operation>,
    /// What the workload checked after the load: each write there once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<String>,
    /// The events the writes announced: their lag, and that each arrived once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<EventsReport>,
}

#[derive(Serialize)]
pub struct Operation {
    pub name: &'static str,
    pub ok: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub first_errors: Vec<String>,
}

impl Report {
    pub fn new(workload: &'static str, plan: &Plan, outcome: &Outcome) -> Self {
        let seconds = outcome.elapsed.as_secs_f64().max(f64::EPSILON);
        let ms = |micros: u64| micros as f64 / 1000.0;
        let mut operations: Vec<Operation> = outcome
            .operations
            .iter()
            .map(|m| Operation {
                name: m.name,
                ok: m.latency.len(),
                errors: m.errors,
                per_second: m.latency.len() as f64 / seconds,
                p50_ms: ms(m.latency.value_at_quantile(0.50)),
                p90_ms: ms(m.latency.value_at_quantile(0.90)),
                p99_ms: ms(m.latency.value_at_quantile(0.99)),
                p999_ms: ms(m.latency.value_at_quantile(0.999)),
                max_ms: ms(m.latency.max()),
                first_errors: m.first_errors.clone(),
            })
            .collect();
        // All operations together, as one histogram.
        let mut all = outcome.operations.first().map(|m| m.latency.clone());
        if let Some(all) = &mut all {
            all.reset();
            for m in &outcome.operations {
                let _ = all.add(&m.latency);
            }
            operations.push(Operation {
                name: "all",
                ok: all.len(),
                errors: outcome.operations.iter().map(|m| m.errors).sum(),
                per_second: all.len() as f64 / seconds,
                p50_ms: ms(all.value_at_quantile(0.50)),
                p90_ms: ms(all.value_at_quantile(0.90)),
                p99_ms: ms(all.value_at_quantile(0.99)),
                p999_ms: ms(all.value_at_quantile(0.999)),
                max_ms: ms(all.max()),
                first_errors: Vec::new(),
            });
        }
        let shape = match plan.shape {
            Shape::Closed { concurrency } => format!("closed loop, {concurrency} callers"),
            Shape::Open { rate } => format!("open loop, {rate} requests/s"),
        };
        Self {
            workload,
            shape,
            warmup_secs: plan.warmup.as_secs_f64(),
            measured_secs: seconds,
            operations,
            verified: None,
            events: None,
        }
    }

    pub fn table(&self) -> String {
        let mut table = format!(
            "{} ({}, {:.1} s measured)\n{:<21} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            self.workload,
            self.shape,
            self.measured_secs,
            "operation",
            "ok",
            "errors",
            "per s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms"
        );
        for o in &self.operations {
            table.push_str(&format!(
                "{:<21} {:>8} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}\n",
                o.name, o.ok, o.errors, o.per_second, o.p50_ms, o.p90_ms, o.p99_ms, o.max_ms
            ));
            for error in &o.first_errors {
                table.push_str(&format!("    error: {error}\n"));
            }
        }
        if let Some(verified) = &self.verified {
            table.push_str(&format!("verified: {verified}\n"));
        }
        if let Some(events) = &self.events {
            table.push_str(&events.table());
        }
        table
    }
}
