//! Annual plans (R11.1), stored whole (protobuf) by unit and year.

use doithoai_proto::scheduling::v1::AnnualPlan;
use doithoai_runtime::{ServiceError, ServiceResult};
use prost::Message;
use sqlx::PgConnection;

/// The unit's plan for the year, if it has one, locked for the rest of the transaction.
pub async fn lock_plan(conn: &mut PgConnection, unit_code: &str, year: i32) -> ServiceResult<Option<AnnualPlan>> {
    let document: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT document FROM annual_plans WHERE unit_code = $1 AND year = $2 FOR UPDATE")
            .bind(unit_code)
            .bind(year)
            .fetch_optional(conn)
            .await?;
    document.map(|d| decode(&d)).transpose()
}

pub async fn find_plan(conn: &mut PgConnection, unit_code: &str, year: i32) -> ServiceResult<Option<AnnualPlan>> {
    let document: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT document FROM annual_plans WHERE unit_code = $1 AND year = $2")
            .bind(unit_code)
            .bind(year)
            .fetch_optional(conn)
            .await?;
    document.map(|d| decode(&d)).transpose()
}

/// Stores the plan, replacing the unit's plan for the year.
pub async fn save_plan(conn: &mut PgConnection, plan: &AnnualPlan) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO annual_plans (unit_code, year, document) VALUES ($1, $2, $3)
         ON CONFLICT (unit_code, year) DO UPDATE SET document = EXCLUDED.document, updated_at = now()",
    )
    .bind(&plan.unit_code)
    .bind(plan.year)
    .bind(plan.encode_to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

/// The plans for the year of every unit in the subtree.
pub async fn plans_in_subtree(conn: &mut PgConnection, unit_code: &str, year: i32) -> ServiceResult<Vec<AnnualPlan>> {
    let documents: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT a.document FROM annual_plans a JOIN units u ON u.code = a.unit_code WHERE u.path @> ARRAY[$1]::text[] AND a.year = $2",
    )
    .bind(unit_code)
    .bind(year)
    .fetch_all(conn)
    .await?;
    documents.iter().map(|d| decode(d)).collect()
}

/// A stored plan; one that does not decode is an error, never a missing plan.
fn decode(document: &[u8]) -> ServiceResult<AnnualPlan> {
    AnnualPlan::decode(document).map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored plan undecodable: {e}")))
}
