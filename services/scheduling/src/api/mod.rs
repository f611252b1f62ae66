//! The gRPC APIs of the scheduling service. Each trait method hands the
//! request to a body of the same name (`rpc::handle`); bodies parse, load
//! (`store`), decide (`domain`) and write the change with its audit entries
//! and events.

pub mod conferences;
pub mod plans;
pub mod posts;
mod public_notice;
mod reorganisation;
pub mod units;

pub use doithoai_directory::unit_in_scope;
use doithoai_runtime::{Refusal, Role};

/// Offices (and administrators) manage their unit's subtree.
pub const MANAGERS: [Role; 2] = [Role::Admin, Role::Office];

/// Everyone with a role reads inside their subtree.
pub const READERS: [Role; 8] = Role::ALL;

/// A request without the message it is about.
pub fn missing(field: &str) -> Refusal {
    Refusal::invalid(field, format!("{field} is required"), format!("thiếu {field}"))
}
