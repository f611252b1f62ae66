//! The replica of the scheduling service's organizations (agencies), as the
//! services that act on conferences read it.

use sqlx::PgConnection;
use uuid::Uuid;

/// The unit of an agency, if it is in the directory and active.
pub async fn active_unit(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT unit_code FROM organizations WHERE id = $1 AND active")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The names of the agencies, by id.
pub async fn names(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<(String, String)>> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM organizations WHERE id = ANY($1)").bind(ids).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id, name)| (id.to_string(), name)).collect())
}
