//! The project's load tool: drives a workload against a running doithoai, in
//! a closed loop (a number of callers, each waiting for its answer) or an
//! open loop (a target rate, latency counted from when each request was due,
//! so a slow server cannot hide its queue), for a duration after a warm-up,
//! and reports each operation's HDR-histogram percentiles as JSON.

pub mod conferences;
pub mod cycles;
pub mod drive;
pub mod events;
pub mod pages;
pub mod petitions;
pub mod reads;
pub mod registrations;
pub mod report;
