//! The unit directory: import (all or nothing, every bad line named) and the
//! scope-checked reads. Every changed unit is audited and published as
//! UnitUpserted for the other services' replicas.

use doithoai_proto::{
    common::v1::Unit as WireUnit,
    directory::v1::{
        GetSubtreeRequest, GetUnitRequest, ImportUnitsRequest, ImportUnitsResponse, ListChildrenRequest,
        ListUnitsResponse, UnitRow as WireRow, UnitUpserted, unit_directory_server::UnitDirectory,
    },
};
use doithoai_runtime::{
    Caller, Reason, Role, ServiceError, ServiceResult,
    audit::AuditEntry,
    events::Event,
    outbox::Outbox,
    pagination::Page,
    unit_tree::{UnitReader, UnitRow, tier_from_wire, tier_to_wire},
};
use doithoai_units::{ImportPlan, LineError, RawUnit, Tier, Unit, UnitCode, UnitRecord, plan_import};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status, Streaming};

/// More rows than the whole country has (about 11,500), so one import can
/// never exhaust memory.
const MAX_IMPORT_ROWS: usize = 50_000;

pub struct Directory {
    pool: PgPool,
    outbox: Outbox,
    reader: UnitReader,
}

impl Directory {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { reader: UnitReader::new(pool.clone()), pool, outbox }
    }

    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn import(&self, caller: &Caller, rows: Vec<WireRow>) -> ServiceResult<ImportUnitsResponse> {
        let records = parse_rows(rows)?;
        let mut tx = self.pool.begin().await?;
        // Imports are rare and whole; one at a time keeps paths consistent.
        sqlx::query("LOCK TABLE units IN SHARE ROW EXCLUSIVE MODE").execute(&mut *tx).await?;
        let existing = load_units(&mut tx).await?;
        let plan = plan_import(&existing, records).map_err(import_refused)?;
        for (before, after) in &plan.updated {
            caller.require_within(&codes(&before.path))?;
            caller.require_within(&codes(&after.path))?;
        }
        for unit in &plan.created {
            caller.require_within(&codes(&unit.path))?;
        }
        store(&mut tx, &plan).await?;
        let events: Vec<Event> = plan
            .changed()
            .map(|unit| {
                let wire = to_wire(unit);
                Event::new("unit_upserted", unit.code.as_str(), wire.path.clone(), &UnitUpserted { unit: Some(wire) })
            })
            .collect();
        self.outbox.record(&mut tx, caller, &audit_entries(&plan), &events).await?;
        tx.commit().await?;
        tracing::info!(
            created = plan.created.len(),
            updated = plan.updated.len(),
            unchanged = plan.unchanged,
            "units imported"
        );
        Ok(ImportUnitsResponse {
            received: plan.received as u32,
            created: plan.created.len() as u32,
            updated: plan.updated.len() as u32,
            unchanged: plan.unchanged as u32,
        })
    }
}

fn parse_rows(rows: Vec<WireRow>) -> ServiceResult<Vec<UnitRecord>> {
    let mut records = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let line = if row.line > 0 { row.line } else { index as u32 + 1 };
        let raw = RawUnit {
            code: &row.code,
            name: &row.name,
            tier: tier_from_wire(row.tier),
            parent_code: &row.parent_code,
            kind: &row.kind,
            legacy_codes: row.legacy_codes.iter().map(String::as_str).collect(),
        };
        match UnitRecord::parse(line, raw) {
            Ok(record) => records.push(record),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    if errors.is_empty() { Ok(records) } else { Err(import_refused(errors)) }
}

fn import_refused(errors: Vec<LineError>) -> ServiceError {
    let first = errors.first().map(ToString::to_string).unwrap_or_default();
    let mut error = ServiceError::invalid_argument(
        Reason::InvalidUnitImport,
        format!("nothing was imported: {} problem(s); first: {first}", errors.len()),
        format!("chưa nhập đơn vị nào: {} lỗi; lỗi đầu tiên: {first}", errors.len()),
    );
    for problem in errors {
        error = error.with_violation(format!("rows[line {}].{}", problem.line, problem.field), problem.message);
    }
    error
}

fn codes(path: &[UnitCode]) -> Vec<&str> {
    path.iter().map(UnitCode::as_str).collect()
}

async fn load_units(conn: &mut PgConnection) -> ServiceResult<Vec<Unit>> {
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

fn to_wire(unit: &Unit) -> WireUnit {
    WireUnit {
        code: unit.code.to_string(),
        name: unit.name.clone(),
        tier: tier_to_wire(unit.tier) as i32,
        parent_code: unit.parent.as_ref().map(ToString::to_string).unwrap_or_default(),
        kind: unit.kind.clone(),
        path: unit.path.iter().map(ToString::to_string).collect(),
        legacy_codes: unit.legacy_codes.iter().map(ToString::to_string).collect(),
    }
}

/// Upserts every changed unit in one statement. Arrays of arrays do not
/// survive UNNEST, so paths travel joined and are split again.
async fn store(conn: &mut PgConnection, plan: &ImportPlan) -> sqlx::Result<()> {
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

fn summary(unit: &Unit) -> serde_json::Value {
    json!({
        "name": unit.name,
        "tier": unit.tier.as_str(),
        "parent_code": unit.parent.as_ref().map(UnitCode::as_str),
        "kind": unit.kind,
        "path": codes(&unit.path),
    })
}

fn audit_entries(plan: &ImportPlan) -> Vec<AuditEntry<'static>> {
    let entry = |before: Option<&Unit>, after: &Unit| AuditEntry {
        rpc: "ImportUnits",
        record_type: "unit",
        record_id: after.code.to_string(),
        before: before.map(summary),
        after: Some(summary(after)),
    };
    let created = plan.created.iter().map(|unit| entry(None, unit));
    let updated = plan.updated.iter().map(|(before, after)| entry(Some(before), after));
    created.chain(updated).collect()
}

#[tonic::async_trait]
impl UnitDirectory for Directory {
    async fn import_units(
        &self,
        request: Request<Streaming<ImportUnitsRequest>>,
    ) -> Result<Response<ImportUnitsResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&[Role::Admin])?;
        let mut chunks = request.into_inner();
        let mut rows = Vec::new();
        while let Some(chunk) = chunks.message().await? {
            rows.extend(chunk.rows);
            if rows.len() > MAX_IMPORT_ROWS {
                return Err(ServiceError::invalid_argument(
                    Reason::ImportTooLarge,
                    format!("an import may hold at most {MAX_IMPORT_ROWS} rows; nothing was imported"),
                    format!("mỗi lần nhập tối đa {MAX_IMPORT_ROWS} dòng; chưa nhập đơn vị nào"),
                )
                .into());
            }
        }
        Ok(Response::new(self.import(&caller, rows).await?))
    }

    async fn get_unit(&self, request: Request<GetUnitRequest>) -> Result<Response<WireUnit>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.reader.get_unit(&caller, &request.get_ref().code).await?))
    }

    async fn list_children(
        &self,
        request: Request<ListChildrenRequest>,
    ) -> Result<Response<ListUnitsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref())?;
        Ok(Response::new(self.reader.list_children(&caller, &request.code, page).await?))
    }

    async fn get_subtree(&self, request: Request<GetSubtreeRequest>) -> Result<Response<ListUnitsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.get_ref();
        let page = Page::from_request(request.page.as_ref())?;
        Ok(Response::new(self.reader.get_subtree(&caller, &request.code, page).await?))
    }
}
