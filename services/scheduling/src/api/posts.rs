//! Heads, deputies, offices and agencies. Changes are audited and published
//! (PositionUpserted, OrganizationUpserted) for the other services' replicas.

use doithoai_proto::scheduling::v1::{
    Body, CreateOrganizationRequest, CreatePositionRequest, ListOrganizationsRequest, ListOrganizationsResponse,
    ListPositionsRequest, ListPositionsResponse, Organization, OrganizationKind, OrganizationSucceeded,
    OrganizationUpserted, Position, PositionUpserted, Rank, SucceedOrganizationRequest, UpdateOrganizationRequest,
    UpdatePositionRequest, directory_server::Directory,
};
use doithoai_runtime::{
    Caller, Change, Checked, ServiceResult, db::RowLock, events::Event, idempotency::Once, outbox::Outbox,
    pagination::Page, parse, rpc::handle,
};
use serde_json::json;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{MANAGERS, READERS, missing, unit_in_scope};
use crate::{
    domain::{
        posts::{Succession, check_term, may_change, r2_1_one_head_at_a_time, r10_3_succession},
        units::exists_on,
    },
    store::{
        posts::{self as stored, OrganizationFilter, OrganizationRow, PositionFilter, PositionRow},
        units,
    },
};

/// The longest title, name of a person or name of an organization.
const MAX_NAME: usize = 300;

pub struct DirectoryApi {
    pool: PgPool,
    outbox: Outbox,
}

#[tonic::async_trait]
impl Directory for DirectoryApi {
    async fn create_position(&self, request: Request<CreatePositionRequest>) -> Result<Response<Position>, Status> {
        handle(request, |caller, request| self.create_position(caller, request)).await
    }

    async fn update_position(&self, request: Request<UpdatePositionRequest>) -> Result<Response<Position>, Status> {
        handle(request, |caller, request| self.update_position(caller, request)).await
    }

    async fn list_positions(
        &self,
        request: Request<ListPositionsRequest>,
    ) -> Result<Response<ListPositionsResponse>, Status> {
        handle(request, |caller, request| self.list_positions(caller, request)).await
    }

    async fn create_organization(
        &self,
        request: Request<CreateOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        handle(request, |caller, request| self.create_organization(caller, request)).await
    }

    async fn update_organization(
        &self,
        request: Request<UpdateOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        handle(request, |caller, request| self.update_organization(caller, request)).await
    }

    async fn list_organizations(
        &self,
        request: Request<ListOrganizationsRequest>,
    ) -> Result<Response<ListOrganizationsResponse>, Status> {
        handle(request, |caller, request| self.list_organizations(caller, request)).await
    }

    async fn succeed_organization(
        &self,
        request: Request<SucceedOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        handle(request, |caller, request| self.succeed_organization(caller, request)).await
    }
}

impl DirectoryApi {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }

    async fn create_position(&self, caller: Caller, request: CreatePositionRequest) -> ServiceResult<Position> {
        caller.require_role(&MANAGERS)?;
        let once = Once::new(&caller, "CreatePosition", &request.request_id, &request)?;
        let position = request.position.ok_or_else(|| missing("position"))?;
        let row = position_row(&position, Uuid::now_v7())?;
        self.save_position(&caller, "CreatePosition", row, None, &once).await
    }

    async fn update_position(&self, caller: Caller, request: UpdatePositionRequest) -> ServiceResult<Position> {
        caller.require_role(&MANAGERS)?;
        let position = request.position.ok_or_else(|| missing("position"))?;
        let id = parse::id("position.id", &position.id)?;
        let existing = stored::find_position(&mut *self.pool.acquire().await?, id).await?;
        // The post itself (unit, body, rank) does not change; who holds it and when does.
        let merged = Position {
            unit_code: existing.unit_code.clone(),
            body: existing.post().body as i32,
            rank: existing.post().rank as i32,
            ..position
        };
        let row = position_row(&merged, id)?;
        self.save_position(&caller, "UpdatePosition", row, Some(existing), &Once::none()).await
    }

    async fn list_positions(
        &self,
        caller: Caller,
        request: ListPositionsRequest,
    ) -> ServiceResult<ListPositionsResponse> {
        caller.require_role(&READERS)?;
        let mut conn = self.pool.acquire().await?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let body = parse::filter::<Body>("body", request.body)?.map(|b| b.as_str_name());
        let on_date = parse::optional_date("on_date", &request.on_date)?;
        let page = Page::from_request(request.page.as_ref())?;
        let after = page.after_key(|key| Uuid::parse_str(key).ok())?;
        let filter = PositionFilter { unit_code: &request.unit_code, body, on_date, after, limit: page.limit() };
        let rows = stored::list_positions(&mut conn, &filter).await?;
        let (rows, info) = page.finish(rows, |r| r.id.to_string());
        Ok(ListPositionsResponse { positions: rows.iter().map(PositionRow::wire).collect(), page: Some(info) })
    }

    async fn create_organization(
        &self,
        caller: Caller,
        request: CreateOrganizationRequest,
    ) -> ServiceResult<Organization> {
        caller.require_role(&MANAGERS)?;
        let once = Once::new(&caller, "CreateOrganization", &request.request_id, &request)?;
        let organization = request.organization.ok_or_else(|| missing("organization"))?;
        let row = organization_row(&Organization { active: true, ..organization }, Uuid::now_v7())?;
        self.save_organization(&caller, "CreateOrganization", row, None, &once).await
    }

    async fn update_organization(
        &self,
        caller: Caller,
        request: UpdateOrganizationRequest,
    ) -> ServiceResult<Organization> {
        caller.require_role(&MANAGERS)?;
        let organization = request.organization.ok_or_else(|| missing("organization"))?;
        let id = parse::id("organization.id", &organization.id)?;
        let existing = stored::find_organization(&mut *self.pool.acquire().await?, id, RowLock::None).await?;
        may_change(&existing.agency(), organization.active)?;
        let row = organization_row(&Organization { unit_code: existing.unit_code.clone(), ..organization }, id)?;
        let row = OrganizationRow {
            successor_id: existing.successor_id,
            ended_on: existing.ended_on,
            decision_number: existing.decision_number.clone(),
            ..row
        };
        self.save_organization(&caller, "UpdateOrganization", row, Some(existing), &Once::none()).await
    }

    /// The agency ends the day before `effective_date`; its successor takes
    /// over its work (the deadlines and minutes services follow the event).
    /// The caller's scope holds both agencies' units.
    async fn succeed_organization(
        &self,
        caller: Caller,
        request: SucceedOrganizationRequest,
    ) -> ServiceResult<Organization> {
        caller.require_role(&MANAGERS)?;
        let once = Once::new(&caller, "SucceedOrganization", &request.request_id, &request)?;
        let id = parse::id("organization_id", &request.organization_id)?;
        let successor_id = parse::id("successor_id", &request.successor_id)?;
        let effective = parse::date("effective_date", &request.effective_date)?;
        let decision = parse::text("decision_number", &request.decision_number, MAX_NAME)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let agency = stored::find_organization(&mut tx, id, RowLock::Exclusive).await?;
            let successor = stored::find_organization(&mut tx, successor_id, RowLock::None).await?;
            let path = unit_in_scope(&mut tx, &caller, "organization_id", &agency.unit_code).await?;
            unit_in_scope(&mut tx, &caller, "successor_id", &successor.unit_code).await?;
            exists_on(&successor.unit_code, &units::life(&mut tx, &successor.unit_code).await?, effective)?;
            let last_day = match r10_3_succession(&agency.agency(), &successor.agency(), effective)? {
                Succession::Done => return Ok(agency.wire()),
                Succession::Apply { last_day } => last_day,
            };
            let ended = OrganizationRow {
                active: false,
                successor_id: Some(successor.id),
                ended_on: Some(last_day),
                decision_number: Some(decision),
                ..agency.clone()
            };
            stored::save_organization(&mut tx, &ended).await?;
            let wire = ended.wire();
            let upserted = OrganizationUpserted { organization: Some(wire.clone()), unit_path: path.clone() };
            let succeeded = OrganizationSucceeded {
                organization: Some(wire.clone()),
                successor: Some(successor.wire()),
                effective_date: effective.to_string(),
                unit_path: path.clone(),
            };
            let change = Change::of("SucceedOrganization", "organization", id)
                .before(organization_summary(&agency))
                .after(organization_summary(&ended))
                .event(Event::new("organization_upserted", id.to_string(), path.clone(), &upserted))
                .event(Event::new("organization_succeeded", id.to_string(), path, &succeeded));
            self.outbox.commit(tx, &caller, change, &once, wire).await
        })
        .await
    }

    async fn list_organizations(
        &self,
        caller: Caller,
        request: ListOrganizationsRequest,
    ) -> ServiceResult<ListOrganizationsResponse> {
        caller.require_role(&READERS)?;
        let mut conn = self.pool.acquire().await?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let kind = parse::filter::<OrganizationKind>("kind", request.kind)?.map(|k| k.as_str_name());
        let page = Page::from_request(request.page.as_ref())?;
        let after = page.after_key(|key| Uuid::parse_str(key).ok())?;
        let filter = OrganizationFilter { unit_code: &request.unit_code, kind, after, limit: page.limit() };
        let rows = stored::list_organizations(&mut conn, &filter).await?;
        let (rows, info) = page.finish(rows, |r| r.id.to_string());
        Ok(ListOrganizationsResponse {
            organizations: rows.iter().map(OrganizationRow::wire).collect(),
            page: Some(info),
        })
    }

    async fn save_position(
        &self,
        caller: &Caller,
        rpc: &'static str,
        row: PositionRow,
        existing: Option<PositionRow>,
        once: &Once,
    ) -> ServiceResult<Position> {
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let path = unit_in_scope(&mut tx, caller, "position.unit_code", &row.unit_code).await?;
            let others = stored::lock_body_posts(&mut tx, &row.unit_code, &row.body).await?;
            let others: Vec<_> = others.iter().map(PositionRow::post).collect();
            r2_1_one_head_at_a_time(&row.post(), &others)?;
            stored::save_position(&mut tx, &row).await?;
            let wire = row.wire();
            let upserted = PositionUpserted { position: Some(wire.clone()), unit_path: path.clone() };
            let mut change = Change::of(rpc, "position", row.id).after(position_summary(&row)).event(Event::new(
                "position_upserted",
                row.id.to_string(),
                path,
                &upserted,
            ));
            if let Some(existing) = &existing {
                change = change.before(position_summary(existing));
            }
            self.outbox.commit(tx, caller, change, once, wire).await
        })
        .await
    }

    async fn save_organization(
        &self,
        caller: &Caller,
        rpc: &'static str,
        row: OrganizationRow,
        existing: Option<OrganizationRow>,
        once: &Once,
    ) -> ServiceResult<Organization> {
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let path = unit_in_scope(&mut tx, caller, "organization.unit_code", &row.unit_code).await?;
            stored::save_organization(&mut tx, &row).await?;
            let wire = row.wire();
            let upserted = OrganizationUpserted { organization: Some(wire.clone()), unit_path: path.clone() };
            let mut change = Change::of(rpc, "organization", row.id)
                .after(organization_summary(&row))
                .event(Event::new("organization_upserted", row.id.to_string(), path, &upserted));
            if let Some(existing) = &existing {
                change = change.before(organization_summary(existing));
            }
            self.outbox.commit(tx, caller, change, once, wire).await
        })
        .await
    }
}

/// The row a request describes, checked.
fn position_row(position: &Position, id: Uuid) -> Checked<PositionRow> {
    let body = parse::required::<Body>("body", position.body)?.as_str_name();
    let rank = parse::required::<Rank>("rank", position.rank)?.as_str_name();
    let title = parse::text("title", &position.title, MAX_NAME)?;
    let person_name = parse::text("person_name", &position.person_name, MAX_NAME)?;
    let term_start = parse::date("term_start", &position.term_start)?;
    let term_end = parse::optional_date("term_end", &position.term_end)?;
    check_term(term_start, term_end)?;
    Ok(PositionRow {
        id,
        unit_code: position.unit_code.clone(),
        body: body.to_owned(),
        rank: rank.to_owned(),
        title,
        person_name,
        subject: Some(position.subject.trim().to_owned()).filter(|s| !s.is_empty()),
        term_start,
        term_end,
    })
}

fn organization_row(organization: &Organization, id: Uuid) -> Checked<OrganizationRow> {
    let kind = parse::required::<OrganizationKind>("kind", organization.kind)?.as_str_name();
    Ok(OrganizationRow {
        id,
        unit_code: organization.unit_code.clone(),
        kind: kind.to_owned(),
        name: parse::text("name", &organization.name, MAX_NAME)?,
        active: organization.active,
        successor_id: None,
        ended_on: None,
        decision_number: None,
        head_title: parse::optional_text("head_title", &organization.head_title, MAX_NAME)?,
        head_name: parse::optional_text("head_name", &organization.head_name, MAX_NAME)?,
    })
}

fn position_summary(row: &PositionRow) -> serde_json::Value {
    json!({ "unit_code": row.unit_code, "body": row.body, "rank": row.rank, "title": row.title,
            "subject": row.subject, "term_start": row.term_start, "term_end": row.term_end })
}

fn organization_summary(row: &OrganizationRow) -> serde_json::Value {
    json!({ "unit_code": row.unit_code, "kind": row.kind, "name": row.name, "active": row.active,
            "successor_id": row.successor_id, "ended_on": row.ended_on, "decision_number": row.decision_number,
            "head_title": row.head_title, "head_name": row.head_name })
}
