//! A reorganisation of the directory (the district tier abolished and the
//! provinces and communes merged on 1 July 2025): a newer list of whole
//! provinces with the units each was formed from, dated by a decision,
//! planned by `doithoai_units::plan_reorganisation`, shown before it is
//! applied, then applied all or nothing, audited and published: a
//! UnitUpserted for every unit it changes, then one UnitsReorganised.

use doithoai_proto::{
    common::v1::Unit as WireUnit,
    directory::v1::{ReorganiseUnitsRequest, ReorganiseUnitsResponse, Succession, UnitUpserted, UnitsReorganised},
    scheduling::v1::PositionUpserted,
};
use doithoai_runtime::{Caller, Change, ServiceResult, audit::AuditEntry, events::Event, parse};
use doithoai_units::{Decision, LivingUnit, ReorganisationPlan, UnitCode, plan_reorganisation};
use serde_json::json;
use tonic::Streaming;

use super::units::{Directory, MAX_IMPORT_ROWS, lines_refused, parse_rows, to_wire, too_many_rows, unreadable};
use crate::store::{
    posts::{self, PositionRow},
    units as stored,
};

impl Directory {
    pub(super) async fn reorganise_units(
        &self,
        caller: Caller,
        mut chunks: Streaming<ReorganiseUnitsRequest>,
    ) -> ServiceResult<ReorganiseUnitsResponse> {
        // The tree of the whole deployment changes: its root administrator decides.
        caller.require_root_admin()?;
        let first = chunks.message().await.map_err(unreadable)?.unwrap_or_default();
        let decision = Decision {
            number: parse::text("decision_number", &first.decision_number, 100)?,
            effective: parse::date("effective_date", &first.effective_date)?,
        };
        let mut rows = first.rows;
        while let Some(chunk) = chunks.message().await.map_err(unreadable)? {
            rows.extend(chunk.rows);
            if rows.len() > MAX_IMPORT_ROWS {
                return Err(too_many_rows());
            }
        }
        let records = parse_rows(rows)?;
        let mut tx = self.pool.begin().await?;
        stored::lock_units(&mut tx).await?;
        let existing = stored::load_living(&mut tx).await?;
        let plan = plan_reorganisation(&existing, records, &decision).map_err(lines_refused)?;
        let applied = !first.dry_run && !plan.is_empty();
        if applied {
            stored::save_reorganisation(&mut tx, &plan, &decision, &caller.subject).await?;
            // The posts of the units that end end with them.
            let ending: Vec<String> = plan.retired.iter().map(|(_, u)| u.unit.code.to_string()).collect();
            let last_day = decision.effective.pred_opt().unwrap_or(decision.effective);
            let ended = posts::end_posts_in(&mut tx, &ending, last_day).await?;
            self.outbox.write(&mut tx, &caller, change(&plan, &decision, &ended)).await?;
            tx.commit().await?;
            tracing::info!(
                decision = decision.number,
                created = plan.created.len(),
                continued = plan.continued.len(),
                retired = plan.retired.len(),
                "units reorganised"
            );
        }
        Ok(response(&plan, &decision, applied))
    }
}

/// PositionUpserted of a post that ended with its unit, on the unit's subject.
fn post_ended(post: &PositionRow, plan: &ReorganisationPlan) -> Event {
    let path: Vec<String> = plan
        .retired
        .iter()
        .find(|(_, u)| u.unit.code.as_str() == post.unit_code)
        .map(|(_, u)| u.unit.path.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let upserted = PositionUpserted { position: Some(post.wire()), unit_path: path.clone() };
    Event::new("position_upserted", post.id.to_string(), path, &upserted)
}

fn post_entry(post: &PositionRow, decision: &Decision) -> AuditEntry {
    AuditEntry {
        rpc: "ReorganiseUnits",
        record_type: "position",
        record_id: post.id.to_string(),
        before: None,
        after: Some(json!({ "term_end": post.term_end, "decision": decision.number })),
    }
}

fn successions(plan: &ReorganisationPlan) -> Vec<Succession> {
    plan.retired
        .iter()
        .map(|(_, after)| Succession {
            code: after.unit.code.to_string(),
            successor_codes: after.life.successors.iter().map(ToString::to_string).collect(),
        })
        .collect()
}

fn response(plan: &ReorganisationPlan, decision: &Decision, applied: bool) -> ReorganiseUnitsResponse {
    ReorganiseUnitsResponse {
        decision_number: decision.number.clone(),
        effective_date: decision.effective.to_string(),
        applied,
        received: plan.received as u32,
        created_codes: plan.created.iter().map(|u| u.unit.code.to_string()).collect(),
        continued_codes: plan.continued.iter().map(|(_, u)| u.unit.code.to_string()).collect(),
        retired: successions(plan),
        unchanged: plan.unchanged as u32,
    }
}

pub fn living_to_wire(living: &LivingUnit) -> WireUnit {
    WireUnit {
        valid_from: living.life.from.map(|d| d.to_string()).unwrap_or_default(),
        valid_to: living.life.to.map(|d| d.to_string()).unwrap_or_default(),
        successor_codes: living.life.successors.iter().map(ToString::to_string).collect(),
        ..to_wire(&living.unit)
    }
}

/// An audit entry and a UnitUpserted for every unit the reorganisation
/// changes, a PositionUpserted for every post that ends with its unit, then
/// one UnitsReorganised on each of its provinces' subjects.
fn change(plan: &ReorganisationPlan, decision: &Decision, ended: &[PositionRow]) -> Change {
    let summary = |u: &LivingUnit| {
        json!({
            "name": u.unit.name,
            "parent_code": u.unit.parent.as_ref().map(UnitCode::as_str),
            "path": u.unit.path.iter().map(UnitCode::as_str).collect::<Vec<_>>(),
            "valid_from": u.life.from,
            "valid_to": u.life.to,
            "successor_codes": u.life.successors.iter().map(UnitCode::as_str).collect::<Vec<_>>(),
            "decision": decision.number,
        })
    };
    let entry = |before: Option<&LivingUnit>, after: &LivingUnit| AuditEntry {
        rpc: "ReorganiseUnits",
        record_type: "unit",
        record_id: after.unit.code.to_string(),
        before: before.map(summary),
        after: Some(summary(after)),
    };
    let entries = plan
        .created
        .iter()
        .map(|u| entry(None, u))
        .chain(plan.continued.iter().chain(&plan.retired).map(|(before, after)| entry(Some(before), after)));
    let upserted = plan.changed().into_iter().map(|living| {
        let wire = living_to_wire(living);
        Event::new("unit_upserted", living.unit.code.as_str(), wire.path.clone(), &UnitUpserted { unit: Some(wire) })
    });
    let reorganised = UnitsReorganised {
        decision_number: decision.number.clone(),
        effective_date: decision.effective.to_string(),
        retired: successions(plan),
        created_codes: plan.created.iter().map(|u| u.unit.code.to_string()).collect(),
    };
    // The provinces the units that begin or go on lie in, whether or not the
    // province's own row changed (a list may keep it as it was).
    let mut provinces: Vec<&UnitCode> = plan
        .created
        .iter()
        .chain(plan.continued.iter().map(|(_, after)| after))
        .filter_map(|u| u.unit.path.first())
        .collect();
    provinces.sort();
    provinces.dedup();
    let provinces = provinces
        .into_iter()
        .map(|province| Event::new("units_reorganised", &decision.number, vec![province.to_string()], &reorganised))
        .collect::<Vec<_>>();
    let posts = ended.iter().map(|post| post_ended(post, plan));
    entries
        .chain(ended.iter().map(|post| post_entry(post, decision)))
        .fold(Change::default(), Change::and)
        .events(upserted)
        .events(posts)
        .events(provinces)
}
