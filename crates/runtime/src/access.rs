//! Who acts on a conference. Its host is the head whose post it names, or the
//! deputy the head delegated (R2.2): a HOST caller whose token subject is that
//! post's login subject, in the scheduling service's directory and in the
//! replica every other service keeps of it (the same `positions` shape).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Caller, Role, ServiceResult};

/// Whether `caller` hosts: a HOST holding the host's post or the deputy's.
pub async fn hosts(conn: &mut PgConnection, caller: &Caller, host: Uuid, deputy: Option<Uuid>) -> ServiceResult<bool> {
    if !caller.has_role(Role::Host) {
        return Ok(false);
    }
    let posts: Vec<Uuid> = std::iter::once(host).chain(deputy).collect();
    let holds = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM positions WHERE id = ANY($1) AND subject = $2)")
        .bind(&posts)
        .bind(&caller.subject)
        .fetch_one(conn)
        .await?;
    Ok(holds)
}
