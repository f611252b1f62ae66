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

/// The unit's active office of `kind` (`ORGANIZATION_KIND_…`), which issues
/// its body's notices: its name, its head's title and name.
pub async fn office(
    conn: &mut PgConnection,
    unit_code: &str,
    kind: &str,
) -> sqlx::Result<Option<(String, String, String)>> {
    sqlx::query_as(
        "SELECT name, head_title, head_name FROM organizations
         WHERE unit_code = $1 AND kind = $2 AND active ORDER BY name LIMIT 1",
    )
    .bind(unit_code)
    .bind(kind)
    .fetch_optional(conn)
    .await
}

/// The names of the agencies, by id.
pub async fn names(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<(String, String)>> {
    let rows: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM organizations WHERE id = ANY($1)").bind(ids).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(id, name)| (id.to_string(), name)).collect())
}

/// The agencies `id` acts for: itself and every agency whose work passed to
/// it, directly or through others (SucceedOrganization), as ids.
pub async fn represented_by(conn: &mut PgConnection, id: &str) -> sqlx::Result<Vec<String>> {
    let Ok(id) = Uuid::parse_str(id) else { return Ok(Vec::new()) };
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "WITH RECURSIVE represented (id) AS (
             SELECT $1::uuid
             UNION SELECT o.id FROM organizations o JOIN represented r ON o.successor_id = r.id
         )
         SELECT id FROM represented",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(ids.iter().map(Uuid::to_string).collect())
}
