//! The unit directory as every service reads it, and the replicas of the
//! scheduling service's directory that the other three keep. The scheduling
//! service owns units, posts and organizations; the others keep tables of
//! the same shape from its events (`units`, `positions`, `organizations`),
//! migrated here once, and answer the same questions from them.

pub mod hosts;
pub mod organizations;
pub mod scheduling;
pub mod units;

use doithoai_proto::directory::v1::unit_replica_server::UnitReplicaServer;
use doithoai_runtime::{Platform, auth::Authenticated, consumer::EventHandler, guarded};
use sqlx::migrate::Migrator;

pub use units::{
    UnitReader, in_scope_sql, parse_code, require_scope_if_nothing_read, unit_in_scope, unit_path, unknown_unit,
};

/// The source stream of every replica: the scheduling service's events.
pub const SOURCE: &str = "scheduling";

/// The replica of the units, for every service but scheduling.
pub fn unit_migrations() -> Migrator {
    sqlx::migrate!("migrations/units")
}

/// The replica of posts and organizations, for the services that act on
/// conferences (who hosts, which agency is active).
pub fn post_migrations() -> Migrator {
    sqlx::migrate!("migrations/posts")
}

/// Makes every change this service writes check its caller's unit: a caller
/// of a unit that ended (a reorganisation) reads its history but changes
/// nothing. Call before the APIs take their outbox.
pub fn check_caller_units(platform: &mut Platform) {
    platform.outbox = platform.outbox.clone().checking_caller_units();
}

/// Keeps this service's replica of the directory from the scheduling
/// service's events, with `more` handling its other events (conferences) in
/// the same transaction — one durable consumer per source stream — and
/// returns the gRPC service that reads the units.
pub fn keep_replica<H: EventHandler>(
    platform: &mut Platform,
    more: H,
) -> Authenticated<UnitReplicaServer<units::UnitReplicaService>> {
    platform.consume(SOURCE, (units::UnitReplicaHandler, more));
    guarded!(platform, UnitReplicaServer, units::UnitReplicaService::new(platform.pool.clone()))
}
