//! Plumbing written once for every doithoai service: settings, telemetry,
//! PostgreSQL, the gRPC server, authentication and scope, errors, the
//! transactional outbox and its relay, idempotent consumers, the audit log,
//! metrics, and the replica of the unit directory that every service keeps.

pub mod access;
pub mod audit;
pub mod auth;
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
pub mod scheduling_replica;
pub mod server;
pub mod settings;
pub mod telemetry;
#[cfg(feature = "testsuite")]
pub mod testsuite;
pub mod time;
pub mod unit_tree;

pub use auth::{Caller, Role};
pub use error::{Reason, ServiceError, ServiceResult};
pub use server::{Api, Platform, RunningService};
pub use settings::Settings;
pub use time::Clock;
