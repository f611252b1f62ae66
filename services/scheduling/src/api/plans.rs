//! Annual plans (R11.1) and the yearly periodic-dialogue report (R6.2, R6.3).

use chrono::TimeZone;
use doithoai_proto::scheduling::v1::{
    AnnualPlan, AnnualPlanSet, GetAnnualPlanRequest, GetPeriodicDialogueReportRequest, PeriodicDialogueReport, Rank,
    Regime, plans_server::Plans,
};
use doithoai_runtime::{
    Caller, Reason, ServiceError, ServiceResult, audit::AuditEntry, events::Event, idempotency::Once, outbox::Outbox,
    parse, time::ZONE,
};
use prost::Message;
use serde_json::json;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use super::{MANAGERS, READERS, unit_in_scope};
use crate::{
    domain::{
        Refusal,
        report::{HeldDialogue, periodic_dialogues},
    },
    store::{self, POSITION_COLUMNS, PositionRow},
};

pub struct PlansApi {
    pool: PgPool,
    outbox: Outbox,
}

impl PlansApi {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }
}

fn check_year(year: i32) -> ServiceResult<()> {
    if !(2000..=2100).contains(&year) {
        return Err(ServiceError::invalid_argument(
            Reason::InvalidArgument,
            format!("year {year} is out of range"),
            format!("năm {year} không hợp lệ"),
        )
        .with_violation("year", "2000 to 2100"));
    }
    Ok(())
}

#[tonic::async_trait]
impl Plans for PlansApi {
    async fn set_annual_plan(&self, request: Request<AnnualPlan>) -> Result<Response<AnnualPlan>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&MANAGERS)?;
        let plan = request.into_inner();
        let once = Once::new(&caller, "SetAnnualPlan", &plan.request_id, &plan)?;
        let plan = AnnualPlan { request_id: String::new(), ..plan };
        check_year(plan.year)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let path = unit_in_scope(&mut tx, &caller, "unit_code", &plan.unit_code).await?;
        for item in &plan.items {
            if Regime::try_from(item.regime).unwrap_or_default() == Regime::Unspecified
                || !(1..=12).contains(&item.month)
            {
                return Err(ServiceError::invalid_argument(
                    Reason::InvalidArgument,
                    "each item needs a regime and a month 1–12",
                    "mỗi mục cần chế độ và tháng 1–12",
                )
                .with_violation("items", "regime and month")
                .into());
            }
            let host =
                store::find_position(&mut tx, parse::id("items.host_position_id", &item.host_position_id)?).await?;
            let post = host.post();
            // R11.1 with R6.3: the unit's own heads, serving in the year.
            if post.rank != Rank::Head || post.unit_code != plan.unit_code || !post.serves_in(plan.year) {
                return Err(Refusal::rule(
                    "R11.1",
                    format!("position {} is not a head of unit {} in {}", post.id, plan.unit_code, plan.year),
                    format!(
                        "chức vụ {} không phải người đứng đầu đơn vị {} trong năm {}",
                        post.id, plan.unit_code, plan.year
                    ),
                )
                .into());
            }
        }
        let before: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT document FROM annual_plans WHERE unit_code = $1 AND year = $2 FOR UPDATE")
                .bind(&plan.unit_code)
                .bind(plan.year)
                .fetch_optional(&mut *tx)
                .await
                .map_err(ServiceError::from)?;
        sqlx::query(
            "INSERT INTO annual_plans (unit_code, year, document) VALUES ($1, $2, $3)
             ON CONFLICT (unit_code, year) DO UPDATE SET document = EXCLUDED.document, updated_at = now()",
        )
        .bind(&plan.unit_code)
        .bind(plan.year)
        .bind(plan.encode_to_vec())
        .execute(&mut *tx)
        .await
        .map_err(ServiceError::from)?;
        let summary = |p: &AnnualPlan| json!({ "items": p.items.len(), "hosts": p.items.iter().map(|i| &i.host_position_id).collect::<Vec<_>>() });
        let previous = before.map(|d| decode_plan(&d)).transpose()?;
        let entry = AuditEntry {
            rpc: "SetAnnualPlan",
            record_type: "annual_plan",
            record_id: format!("{}/{}", plan.unit_code, plan.year),
            before: previous.as_ref().map(summary),
            after: Some(summary(&plan)),
        };
        let event = Event::new(
            "annual_plan_set",
            format!("{}/{}", plan.unit_code, plan.year),
            path,
            &AnnualPlanSet { plan: Some(plan.clone()) },
        );
        self.outbox.record(&mut tx, &caller, &[entry], &[event]).await.map_err(ServiceError::from)?;
        once.remember(&mut tx, &plan).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(plan))
    }

    async fn get_annual_plan(&self, request: Request<GetAnnualPlanRequest>) -> Result<Response<AnnualPlan>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&READERS)?;
        let request = request.into_inner();
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let document: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT document FROM annual_plans WHERE unit_code = $1 AND year = $2")
                .bind(&request.unit_code)
                .bind(request.year)
                .fetch_optional(&mut *conn)
                .await
                .map_err(ServiceError::from)?;
        let plan = match document {
            Some(document) => decode_plan(&document)?,
            None => AnnualPlan { unit_code: request.unit_code, year: request.year, ..Default::default() },
        };
        Ok(Response::new(plan))
    }

    async fn get_periodic_dialogue_report(
        &self,
        request: Request<GetPeriodicDialogueReportRequest>,
    ) -> Result<Response<PeriodicDialogueReport>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&READERS)?;
        let request = request.into_inner();
        check_year(request.year)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let columns = POSITION_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
        let heads: Vec<PositionRow> = sqlx::query_as(&format!(
            "SELECT {columns} FROM positions p JOIN units u ON u.code = p.unit_code
             WHERE u.path @> ARRAY[$1]::text[] AND p.rank = 'RANK_HEAD'
               AND p.term_start <= make_date($2, 12, 31) AND (p.term_end IS NULL OR p.term_end >= make_date($2, 1, 1))
             ORDER BY u.path, p.body, p.term_start"
        ))
        .bind(&request.unit_code)
        .bind(request.year)
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let plans: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT a.document FROM annual_plans a JOIN units u ON u.code = a.unit_code WHERE u.path @> ARRAY[$1]::text[] AND a.year = $2",
        )
        .bind(&request.unit_code)
        .bind(request.year)
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let plans = plans.iter().map(|d| decode_plan(d)).collect::<ServiceResult<Vec<_>>>()?;
        let planned: Vec<String> = plans
            .into_iter()
            .flat_map(|p| {
                p.items.into_iter().filter(|i| i.regime == Regime::Periodic as i32).map(|i| i.host_position_id)
            })
            .collect();
        let bounds = |y: i32| ZONE.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().map(|t| t.with_timezone(&chrono::Utc));
        let held: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
            "SELECT id, accountable_position_id FROM conferences
             WHERE unit_path @> ARRAY[$1]::text[] AND state = 'CONFERENCE_STATE_ENDED' AND regime = 'REGIME_PERIODIC'
               AND ended_at >= $2 AND ended_at < $3",
        )
        .bind(&request.unit_code)
        .bind(bounds(request.year))
        .bind(bounds(request.year + 1))
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let held: Vec<HeldDialogue> = held
            .into_iter()
            .map(|(id, accountable)| HeldDialogue {
                conference_id: id.to_string(),
                accountable_position_id: accountable.to_string(),
            })
            .collect();
        let heads = periodic_dialogues(heads.iter().map(PositionRow::wire).collect(), &planned, &held);
        Ok(Response::new(PeriodicDialogueReport { unit_code: request.unit_code, year: request.year, heads }))
    }
}

/// A stored plan; one that does not decode is an error, never a missing plan.
fn decode_plan(document: &[u8]) -> ServiceResult<AnnualPlan> {
    AnnualPlan::decode(document).map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored plan undecodable: {e}")))
}
