//! The gRPC APIs of the scheduling service.

pub mod conferences;
pub mod plans;
pub mod posts;
pub mod units;

use doithoai_runtime::{Caller, Role, ServiceResult, unit_tree};
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
    let code = unit_tree::parse_code(field, code)?;
    let path = unit_tree::unit_path(conn, &code).await?;
    caller.require_within(&path)?;
    Ok(path)
}
