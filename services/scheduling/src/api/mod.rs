//! The gRPC APIs of the scheduling service. Each trait method hands the
//! request to a body of the same name (`rpc::handle`); bodies parse, load
//! (`store`), decide (`domain`) and write the change with its audit entries
//! and events.

pub mod conferences;
pub mod plans;
pub mod posts;
mod reorganisation;
pub mod units;

use doithoai_directory as directory;
use doithoai_runtime::{Caller, Refusal, Role, ServiceResult};
use sqlx::PgConnection;

/// Offices (and administrators) manage their unit's subtree.
pub const MANAGERS: [Role; 2] = [Role::Admin, Role::Office];

/// Everyone with a role reads inside their subtree.
pub const READERS: [Role; 8] = Role::ALL;

/// The unit's path, after checking the caller may act on it.
pub async fn unit_in_scope(
    conn: &mut PgConnection,
    caller: &Caller,
    field: &str,
    code: &str,
) -> ServiceResult<Vec<String>> {
    let code = directory::parse_code(field, code)?;
    let path = directory::unit_path(conn, &code).await?;
    caller.require_within(&path)?;
    Ok(path)
}

/// A request without the message it is about.
pub fn missing(field: &str) -> Refusal {
    Refusal::invalid(field, format!("{field} is required"), format!("thiếu {field}"))
}
