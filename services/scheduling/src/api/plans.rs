//! Annual plans (R11.1) and the yearly periodic-dialogue report (R6.2, R6.3).

use doithoai_proto::scheduling::v1::{
    AnnualPlan, AnnualPlanSet, GetAnnualPlanRequest, GetPeriodicDialogueReportRequest, PeriodicDialogueReport, Regime,
    plans_server::Plans,
};
use doithoai_runtime::{
    Caller, Change, ServiceResult, events::Event, idempotency::Once, outbox::Outbox, parse, rpc::handle,
};
use serde_json::json;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use super::{MANAGERS, READERS, unit_in_scope};
use crate::{
    domain::{
        check_year,
        plans::{check_item, r11_1_planned_by_the_units_heads},
        report::{HeldDialogue, periodic_dialogues},
        year_span,
    },
    store::{conferences, plans as stored, posts},
};

pub struct PlansApi {
    pool: PgPool,
    outbox: Outbox,
}

#[tonic::async_trait]
impl Plans for PlansApi {
    async fn set_annual_plan(&self, request: Request<AnnualPlan>) -> Result<Response<AnnualPlan>, Status> {
        handle(request, |caller, plan| self.set_annual_plan(caller, plan)).await
    }

    async fn get_annual_plan(&self, request: Request<GetAnnualPlanRequest>) -> Result<Response<AnnualPlan>, Status> {
        handle(request, |caller, request| self.get_annual_plan(caller, request)).await
    }

    async fn get_periodic_dialogue_report(
        &self,
        request: Request<GetPeriodicDialogueReportRequest>,
    ) -> Result<Response<PeriodicDialogueReport>, Status> {
        handle(request, |caller, request| self.get_periodic_dialogue_report(caller, request)).await
    }
}

impl PlansApi {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }

    async fn set_annual_plan(&self, caller: Caller, plan: AnnualPlan) -> ServiceResult<AnnualPlan> {
        caller.require_role(&MANAGERS)?;
        let once = Once::new(&caller, "SetAnnualPlan", &plan.request_id, &plan)?;
        let plan = AnnualPlan { request_id: String::new(), ..plan };
        check_year(plan.year)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let path = unit_in_scope(&mut tx, &caller, "unit_code", &plan.unit_code).await?;
            for item in &plan.items {
                check_item(item)?;
                let host =
                    posts::find_position(&mut tx, parse::id("items.host_position_id", &item.host_position_id)?).await?;
                r11_1_planned_by_the_units_heads(&host.post(), &plan.unit_code, plan.year)?;
            }
            let previous = stored::lock_plan(&mut tx, &plan.unit_code, plan.year).await?;
            stored::save_plan(&mut tx, &plan).await?;
            let key = format!("{}/{}", plan.unit_code, plan.year);
            let set = Event::new("annual_plan_set", key.clone(), path, &AnnualPlanSet { plan: Some(plan.clone()) });
            let mut change = Change::of("SetAnnualPlan", "annual_plan", key).after(summary(&plan)).event(set);
            if let Some(previous) = &previous {
                change = change.before(summary(previous));
            }
            self.outbox.commit(tx, &caller, change, &once, plan).await
        })
        .await
    }

    async fn get_annual_plan(&self, caller: Caller, request: GetAnnualPlanRequest) -> ServiceResult<AnnualPlan> {
        caller.require_role(&READERS)?;
        let mut conn = self.pool.acquire().await?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let plan = stored::find_plan(&mut conn, &request.unit_code, request.year).await?;
        Ok(plan.unwrap_or_else(|| AnnualPlan {
            unit_code: request.unit_code,
            year: request.year,
            ..Default::default()
        }))
    }

    async fn get_periodic_dialogue_report(
        &self,
        caller: Caller,
        request: GetPeriodicDialogueReportRequest,
    ) -> ServiceResult<PeriodicDialogueReport> {
        caller.require_role(&READERS)?;
        check_year(request.year)?;
        let mut conn = self.pool.acquire().await?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let heads = posts::heads_serving_in(&mut conn, &request.unit_code, request.year).await?;
        let planned: Vec<String> = stored::plans_in_subtree(&mut conn, &request.unit_code, request.year)
            .await?
            .into_iter()
            .flat_map(|p| {
                p.items.into_iter().filter(|i| i.regime == Regime::Periodic as i32).map(|i| i.host_position_id)
            })
            .collect();
        let span = year_span(request.year).ok_or_else(|| anyhow::anyhow!("year {} has no bounds", request.year))?;
        let held: Vec<HeldDialogue> = conferences::periodic_conferences_ended(&mut conn, &request.unit_code, span)
            .await?
            .into_iter()
            .map(|(id, accountable)| HeldDialogue {
                conference_id: id.to_string(),
                accountable_position_id: accountable.to_string(),
            })
            .collect();
        let heads = periodic_dialogues(heads.iter().map(|h| h.wire()).collect(), &planned, &held);
        Ok(PeriodicDialogueReport { unit_code: request.unit_code, year: request.year, heads })
    }
}

/// A plan as the audit log keeps it: how many items, and their hosts.
fn summary(plan: &AnnualPlan) -> serde_json::Value {
    json!({ "items": plan.items.len(), "hosts": plan.items.iter().map(|i| &i.host_position_id).collect::<Vec<_>>() })
}
