//! The directory of units, as the import plans it (`doithoai_units`).

use doithoai_directory::units::UnitRow;
use doithoai_runtime::{ServiceError, ServiceResult};
use doithoai_units::{ImportPlan, Tier, Unit, UnitCode};
use sqlx::PgConnection;

/// Imports are rare and whole; one at a time keeps paths consistent.
pub async fn lock_units(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE").execute(conn).await?;
    Ok(())
}

/// The whole directory; a stored unit that does not parse is an internal error.
pub async fn load_units(conn: &mut PgConnection) -> ServiceResult<Vec<Unit>> {
    let rows: Vec<UnitRow> =
        sqlx::query_as("SELECT code, name, tier, parent_code, kind, path, legacy_codes FROM units")
            .fetch_all(conn)
            .await?;
    rows.into_iter().map(|row| from_row(row).map_err(ServiceError::Internal)).collect()
}

fn from_row(row: UnitRow) -> anyhow::Result<Unit> {
    let code = |text: &str| UnitCode::parse(text).map_err(anyhow::Error::new);
    Ok(Unit {
        code: code(&row.code)?,
        name: row.name,
        tier: row.tier.parse::<Tier>().map_err(anyhow::Error::msg)?,
        parent: row.parent_code.as_deref().map(code).transpose()?,
        kind: row.kind,
        path: row.path.iter().map(|c| code(c)).collect::<anyhow::Result<_>>()?,
        legacy_codes: row.legacy_codes.iter().map(|c| code(c)).collect::<anyhow::Result<_>>()?,
    })
}

/// Upserts every unit the import changes in one statement. Arrays of arrays
/// do not survive UNNEST, so paths travel joined and are split again.
pub async fn save_units(conn: &mut PgConnection, plan: &ImportPlan) -> sqlx::Result<()> {
    let units: Vec<&Unit> = plan.changed().collect();
    let column = |f: fn(&Unit) -> String| units.iter().map(|u| f(u)).collect::<Vec<String>>();
    let join = |codes: &[UnitCode], sep: &str| codes.iter().map(UnitCode::as_str).collect::<Vec<_>>().join(sep);
    sqlx::query(
        "INSERT INTO units (code, name, tier, parent_code, kind, path, legacy_codes)
         SELECT code, name, tier, NULLIF(parent, ''), kind, string_to_array(path, '.'), string_to_array(legacy, ';')
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS u(code, name, tier, parent, kind, path, legacy)
         ON CONFLICT (code) DO UPDATE SET
             name = EXCLUDED.name, tier = EXCLUDED.tier, parent_code = EXCLUDED.parent_code,
             kind = EXCLUDED.kind, path = EXCLUDED.path, legacy_codes = EXCLUDED.legacy_codes,
             updated_at = now()",
    )
    .bind(column(|u| u.code.to_string()))
    .bind(column(|u| u.name.clone()))
    .bind(column(|u| u.tier.to_string()))
    .bind(column(|u| u.parent.as_ref().map(ToString::to_string).unwrap_or_default()))
    .bind(column(|u| u.kind.clone()))
    .bind(units.iter().map(|u| join(&u.path, ".")).collect::<Vec<_>>())
    .bind(units.iter().map(|u| join(&u.legacy_codes, ";")).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
