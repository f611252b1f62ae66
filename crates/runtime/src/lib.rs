//! Plumbing written once for every doithoai service: settings, telemetry,
//! PostgreSQL, the gRPC server, authentication and scope, requests parsed at
//! the edge, refusals, the transactional outbox and its relay, idempotent
//! consumers, the audit log and metrics. It knows no service by name.

pub mod access;
pub mod audit;
pub mod auth;
pub mod change;
pub mod clock_service;
pub mod consumer;
pub mod db;
pub mod error;
pub mod events;
pub mod idempotency;
pub mod metrics;
pub mod outbox;
pub mod pagination;
pub mod parse;
pub mod rpc;
pub mod server;
pub mod settings;
pub mod telemetry;
#[cfg(feature = "testsuite")]
pub mod testsuite;
pub mod time;
pub mod tls;
pub mod together;

pub use auth::{Caller, Role};
pub use change::Change;
pub use error::{Checked, Reason, Refusal, ServiceError, ServiceResult};
pub use server::{Api, Platform, RunningService};
pub use settings::Settings;
pub use time::Clock;
