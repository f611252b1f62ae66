//! The directory of units, as the import plans it (`doithoai_units`).

use doithoai_directory::units::{COLUMNS, UnitRow};
use doithoai_runtime::{ServiceError, ServiceResult};
use doithoai_units::{Decision, ImportPlan, Life, LivingUnit, ReorganisationPlan, Tier, Unit, UnitCode};
use sqlx::PgConnection;

/// Imports are rare and whole; one at a time keeps paths consistent.
pub async fn lock_units(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE").execute(conn).await?;
    Ok(())
}

/// The whole directory; a stored unit that does not parse is an internal error.
pub async fn load_units(conn: &mut PgConnection) -> ServiceResult<Vec<Unit>> {
    Ok(load_living(conn).await?.into_iter().map(|living| living.unit).collect())
}

/// The whole directory with each unit's life.
pub async fn load_living(conn: &mut PgConnection) -> ServiceResult<Vec<LivingUnit>> {
    let rows: Vec<UnitRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM units")).fetch_all(conn).await?;
    rows.into_iter()
        .map(|row| {
            let life = Life {
                from: row.valid_from,
                to: row.valid_to,
                successors: row.successor_codes.iter().map(|c| UnitCode::parse(c)).collect::<Result<_, _>>()?,
            };
            Ok(LivingUnit { unit: from_row(row)?, life })
        })
        .collect::<anyhow::Result<_>>()
        .map_err(ServiceError::Internal)
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

/// Stores every unit a reorganisation changes, with its life, and the
/// reorganisation itself, in one transaction.
pub async fn save_reorganisation(
    conn: &mut PgConnection,
    plan: &ReorganisationPlan,
    decision: &Decision,
    applied_by: &str,
) -> sqlx::Result<()> {
    let units = plan.changed();
    let text = |f: fn(&LivingUnit) -> String| units.iter().map(|u| f(u)).collect::<Vec<String>>();
    let join = |codes: &[UnitCode], sep: &str| codes.iter().map(UnitCode::as_str).collect::<Vec<_>>().join(sep);
    sqlx::query(
        "INSERT INTO units (code, name, tier, parent_code, kind, path, legacy_codes, valid_from, valid_to, successor_codes,
                            reorganised_by)
         SELECT code, name, tier, NULLIF(parent, ''), kind, string_to_array(path, '.'), string_to_array(legacy, ';'),
                NULLIF(valid_from, '')::date, NULLIF(valid_to, '')::date, string_to_array(successors, ';'), $11
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::text[], $10::text[])
              AS u(code, name, tier, parent, kind, path, legacy, valid_from, valid_to, successors)
         ON CONFLICT (code) DO UPDATE SET
             name = EXCLUDED.name, tier = EXCLUDED.tier, parent_code = EXCLUDED.parent_code,
             kind = EXCLUDED.kind, path = EXCLUDED.path, legacy_codes = EXCLUDED.legacy_codes,
             valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to,
             successor_codes = EXCLUDED.successor_codes, reorganised_by = EXCLUDED.reorganised_by, updated_at = now()",
    )
    .bind(text(|u| u.unit.code.to_string()))
    .bind(text(|u| u.unit.name.clone()))
    .bind(text(|u| u.unit.tier.to_string()))
    .bind(text(|u| u.unit.parent.as_ref().map(ToString::to_string).unwrap_or_default()))
    .bind(text(|u| u.unit.kind.clone()))
    .bind(units.iter().map(|u| join(&u.unit.path, ".")).collect::<Vec<_>>())
    .bind(units.iter().map(|u| join(&u.unit.legacy_codes, ";")).collect::<Vec<_>>())
    .bind(text(|u| u.life.from.map(|d| d.to_string()).unwrap_or_default()))
    .bind(text(|u| u.life.to.map(|d| d.to_string()).unwrap_or_default()))
    .bind(units.iter().map(|u| join(&u.life.successors, ";")).collect::<Vec<_>>())
    .bind(&decision.number)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO reorganisations (decision_number, effective_date, applied_by, created, continued, retired)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (decision_number) DO NOTHING",
    )
    .bind(&decision.number)
    .bind(decision.effective)
    .bind(applied_by)
    .bind(plan.created.len() as i32)
    .bind(plan.continued.len() as i32)
    .bind(plan.retired.len() as i32)
    .execute(conn)
    .await?;
    Ok(())
}

/// The units a reorganisation placed, which a plain import leaves alone.
pub async fn reorganised(conn: &mut PgConnection) -> sqlx::Result<std::collections::HashSet<String>> {
    let codes: Vec<String> =
        sqlx::query_scalar("SELECT code FROM units WHERE reorganised_by IS NOT NULL").fetch_all(conn).await?;
    Ok(codes.into_iter().collect())
}

/// A unit's life; a unit the directory lacks has none (its path is checked first).
pub async fn life(conn: &mut PgConnection, code: &str) -> ServiceResult<Life> {
    let row: Option<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>, Vec<String>)> =
        sqlx::query_as("SELECT valid_from, valid_to, successor_codes FROM units WHERE code = $1")
            .bind(code)
            .fetch_optional(conn)
            .await?;
    let Some((from, to, successors)) = row else { return Ok(Life::default()) };
    let successors = successors.iter().map(|c| UnitCode::parse(c)).collect::<Result<_, _>>();
    Ok(Life { from, to, successors: successors.map_err(|e| ServiceError::Internal(e.into()))? })
}
