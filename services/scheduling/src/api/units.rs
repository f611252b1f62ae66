//! The unit directory: import (all or nothing, every bad line named) and the
//! scope-checked reads. Every changed unit is audited and published as
//! UnitUpserted for the other services' replicas.

use doithoai_directory::units::{UnitReader, tier_from_wire, tier_to_wire};
use doithoai_proto::{
    common::v1::Unit as WireUnit,
    directory::v1::{
        GetSubtreeRequest, GetUnitRequest, ImportUnitsRequest, ImportUnitsResponse, ListChildrenRequest,
        ListUnitsResponse, ReorganiseUnitsRequest, ReorganiseUnitsResponse, UnitRow as WireRow, UnitUpserted,
        unit_directory_server::UnitDirectory,
    },
};
use doithoai_runtime::{
    Caller, Change, Reason, Role, ServiceError, ServiceResult, audit::AuditEntry, events::Event, outbox::Outbox,
    pagination::Page, parse, rpc::handle,
};
use doithoai_units::{ImportPlan, LineError, RawUnit, Unit, UnitCode, UnitRecord, plan_import};
use serde_json::json;
use sqlx::PgPool;
use tonic::{Request, Response, Status, Streaming};

use crate::store::units as stored;

/// More rows than the whole country has (about 11,500), so one import can
/// never exhaust memory.
pub(super) const MAX_IMPORT_ROWS: usize = 50_000;

pub struct Directory {
    pub(super) pool: PgPool,
    pub(super) outbox: Outbox,
    reader: UnitReader,
}

#[tonic::async_trait]
impl UnitDirectory for Directory {
    async fn import_units(
        &self,
        request: Request<Streaming<ImportUnitsRequest>>,
    ) -> Result<Response<ImportUnitsResponse>, Status> {
        handle(request, |caller, chunks| self.import_units(caller, chunks)).await
    }

    async fn get_unit(&self, request: Request<GetUnitRequest>) -> Result<Response<WireUnit>, Status> {
        handle(request, |caller, request| async move { self.reader.get_unit(&caller, &request.code).await }).await
    }

    async fn list_children(
        &self,
        request: Request<ListChildrenRequest>,
    ) -> Result<Response<ListUnitsResponse>, Status> {
        handle(request, |caller, request| self.list_children(caller, request)).await
    }

    async fn get_subtree(&self, request: Request<GetSubtreeRequest>) -> Result<Response<ListUnitsResponse>, Status> {
        handle(request, |caller, request| self.get_subtree(caller, request)).await
    }

    async fn reorganise_units(
        &self,
        request: Request<Streaming<ReorganiseUnitsRequest>>,
    ) -> Result<Response<ReorganiseUnitsResponse>, Status> {
        handle(request, |caller, chunks| self.reorganise_units(caller, chunks)).await
    }
}

impl Directory {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { reader: UnitReader::new(pool.clone()), pool, outbox }
    }

    async fn import_units(
        &self,
        caller: Caller,
        mut chunks: Streaming<ImportUnitsRequest>,
    ) -> ServiceResult<ImportUnitsResponse> {
        caller.require_role(&[Role::Admin])?;
        let mut rows = Vec::new();
        while let Some(chunk) = chunks.message().await.map_err(unreadable)? {
            rows.extend(chunk.rows);
            if rows.len() > MAX_IMPORT_ROWS {
                return Err(too_many_rows());
            }
        }
        self.import(&caller, rows).await
    }

    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn import(&self, caller: &Caller, rows: Vec<WireRow>) -> ServiceResult<ImportUnitsResponse> {
        let records = parse_rows(rows)?;
        let mut tx = self.pool.begin().await?;
        stored::lock_units(&mut tx).await?;
        let existing = stored::load_units(&mut tx).await?;
        // An older list says what a reorganisation has since replaced: its
        // units stay as the reorganisation left them.
        let reorganised = stored::reorganised(&mut tx).await?;
        let received = records.len();
        let records: Vec<_> = records.into_iter().filter(|r| !reorganised.contains(r.code.as_str())).collect();
        let superseded = received - records.len();
        let plan = plan_import(&existing, records).map_err(lines_refused)?;
        for (before, after) in &plan.updated {
            caller.require_within(&codes(&before.path))?;
            caller.require_within(&codes(&after.path))?;
        }
        for unit in &plan.created {
            caller.require_within(&codes(&unit.path))?;
        }
        stored::save_units(&mut tx, &plan).await?;
        self.outbox.write(&mut tx, caller, change(&plan)).await?;
        tx.commit().await?;
        tracing::info!(
            created = plan.created.len(),
            updated = plan.updated.len(),
            unchanged = plan.unchanged,
            superseded,
            "units imported"
        );
        Ok(ImportUnitsResponse {
            received: received as u32,
            created: plan.created.len() as u32,
            updated: plan.updated.len() as u32,
            unchanged: plan.unchanged as u32,
            superseded: superseded as u32,
        })
    }

    async fn list_children(&self, caller: Caller, request: ListChildrenRequest) -> ServiceResult<ListUnitsResponse> {
        let page = Page::from_request(request.page.as_ref())?;
        let on = parse::optional_date("on_date", &request.on_date)?;
        self.reader.list_children(&caller, &request.code, on, page).await
    }

    async fn get_subtree(&self, caller: Caller, request: GetSubtreeRequest) -> ServiceResult<ListUnitsResponse> {
        let page = Page::from_request(request.page.as_ref())?;
        let on = parse::optional_date("on_date", &request.on_date)?;
        self.reader.get_subtree(&caller, &request.code, on, page).await
    }
}

pub(super) fn too_many_rows() -> ServiceError {
    ServiceError::invalid_argument(
        Reason::ImportTooLarge,
        format!("an import may hold at most {MAX_IMPORT_ROWS} rows; nothing was imported"),
        format!("mỗi lần nhập tối đa {MAX_IMPORT_ROWS} dòng; chưa nhập đơn vị nào"),
    )
}

/// A request stream that breaks keeps its status code: one chunk over the
/// size limit is OUT_OF_RANGE, which the server answers as MESSAGE_TOO_LARGE.
pub(super) fn unreadable(status: Status) -> ServiceError {
    ServiceError::new(status.code(), Reason::InvalidArgument, status.message(), status.message())
}

pub(super) fn parse_rows(rows: Vec<WireRow>) -> ServiceResult<Vec<UnitRecord>> {
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
    if errors.is_empty() { Ok(records) } else { Err(lines_refused(errors)) }
}

pub(super) fn lines_refused(errors: Vec<LineError>) -> ServiceError {
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

pub(super) fn to_wire(unit: &Unit) -> WireUnit {
    WireUnit {
        code: unit.code.to_string(),
        name: unit.name.clone(),
        tier: tier_to_wire(unit.tier) as i32,
        parent_code: unit.parent.as_ref().map(ToString::to_string).unwrap_or_default(),
        kind: unit.kind.clone(),
        path: unit.path.iter().map(ToString::to_string).collect(),
        legacy_codes: unit.legacy_codes.iter().map(ToString::to_string).collect(),
        ..WireUnit::default()
    }
}

/// The import as one change: an audit entry per unit created or updated and
/// a UnitUpserted per changed unit. An import that changes nothing writes nothing.
fn change(plan: &ImportPlan) -> Change {
    let entry = |before: Option<&Unit>, after: &Unit| AuditEntry {
        rpc: "ImportUnits",
        record_type: "unit",
        record_id: after.code.to_string(),
        before: before.map(summary),
        after: Some(summary(after)),
    };
    let created = plan.created.iter().map(|unit| entry(None, unit));
    let updated = plan.updated.iter().map(|(before, after)| entry(Some(before), after));
    let events = plan.changed().map(|unit| {
        let wire = to_wire(unit);
        Event::new("unit_upserted", unit.code.as_str(), wire.path.clone(), &UnitUpserted { unit: Some(wire) })
    });
    created.chain(updated).fold(Change::default(), Change::and).events(events)
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
