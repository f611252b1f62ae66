//! Heads, deputies, offices and agencies. Changes are audited and published
//! (PositionUpserted, OrganizationUpserted) for the other services' replicas.

use doithoai_proto::scheduling::v1::{
    Body, CreateOrganizationRequest, CreatePositionRequest, ListOrganizationsRequest, ListOrganizationsResponse,
    ListPositionsRequest, ListPositionsResponse, Organization, OrganizationKind, OrganizationUpserted, Position,
    PositionUpserted, Rank, UpdateOrganizationRequest, UpdatePositionRequest, directory_server::Directory,
};
use doithoai_runtime::{
    Caller, Reason, ServiceError, ServiceResult, audit::AuditEntry, events::Event, idempotency::Once, outbox::Outbox,
    pagination::Page, parse,
};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{MANAGERS, READERS, unit_in_scope};
use crate::{
    domain::posts::{check_term, r2_1_one_head_at_a_time},
    store::{self, ORGANIZATION_COLUMNS, OrganizationRow, POSITION_COLUMNS, PositionRow},
};

pub struct DirectoryApi {
    pool: PgPool,
    outbox: Outbox,
}

impl DirectoryApi {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }
}

fn required(field: &'static str, value: &str) -> ServiceResult<()> {
    if value.trim().is_empty() || value.chars().count() > 300 {
        return Err(ServiceError::invalid_argument(
            Reason::InvalidArgument,
            format!("{field} must be 1 to 300 characters"),
            format!("{field} phải từ 1 đến 300 ký tự"),
        )
        .with_violation(field, "1 to 300 characters"));
    }
    Ok(())
}

fn enum_name<E: Copy>(
    field: &'static str,
    value: i32,
    parse: impl Fn(i32) -> Option<E>,
    name: impl Fn(E) -> &'static str,
) -> ServiceResult<&'static str> {
    match parse(value) {
        Some(e) if value != 0 => Ok(name(e)),
        _ => Err(ServiceError::invalid_argument(
            Reason::InvalidArgument,
            format!("{field} must be specified"),
            format!("chưa chọn {field}"),
        )
        .with_violation(field, "unspecified")),
    }
}

/// The row a request describes, checked.
fn position_row(position: &Position, id: Uuid) -> ServiceResult<PositionRow> {
    let body = enum_name("body", position.body, |v| Body::try_from(v).ok(), |b| b.as_str_name())?;
    let rank = enum_name("rank", position.rank, |v| Rank::try_from(v).ok(), |r| r.as_str_name())?;
    required("title", &position.title)?;
    required("person_name", &position.person_name)?;
    let term_start = parse::date("term_start", &position.term_start)?;
    let term_end = match position.term_end.as_str() {
        "" => None,
        text => Some(parse::date("term_end", text)?),
    };
    check_term(term_start, term_end)?;
    Ok(PositionRow {
        id,
        unit_code: position.unit_code.clone(),
        body: body.to_owned(),
        rank: rank.to_owned(),
        title: position.title.trim().to_owned(),
        person_name: position.person_name.trim().to_owned(),
        subject: Some(position.subject.trim().to_owned()).filter(|s| !s.is_empty()),
        term_start,
        term_end,
    })
}

fn position_summary(row: &PositionRow) -> serde_json::Value {
    json!({ "unit_code": row.unit_code, "body": row.body, "rank": row.rank, "title": row.title,
            "subject": row.subject, "term_start": row.term_start, "term_end": row.term_end })
}

impl DirectoryApi {
    async fn save_position(
        &self,
        caller: &Caller,
        rpc: &'static str,
        row: PositionRow,
        existing: Option<PositionRow>,
        once: &Once,
    ) -> ServiceResult<Position> {
        let mut tx = self.pool.begin().await?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(done);
        }
        let path = unit_in_scope(&mut tx, caller, "position.unit_code", &row.unit_code).await?;
        // Lock the body's posts so two heads cannot be added at once.
        let others: Vec<PositionRow> = sqlx::query_as(&format!(
            "SELECT {POSITION_COLUMNS} FROM positions WHERE unit_code = $1 AND body = $2 FOR UPDATE"
        ))
        .bind(&row.unit_code)
        .bind(&row.body)
        .fetch_all(&mut *tx)
        .await?;
        let others: Vec<_> = others.iter().map(PositionRow::post).collect();
        r2_1_one_head_at_a_time(&row.post(), &others)?;
        sqlx::query(
            "INSERT INTO positions (id, unit_code, body, rank, title, person_name, subject, term_start, term_end)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, person_name = EXCLUDED.person_name,
                 subject = EXCLUDED.subject, term_start = EXCLUDED.term_start, term_end = EXCLUDED.term_end, updated_at = now()",
        )
        .bind(row.id)
        .bind(&row.unit_code)
        .bind(&row.body)
        .bind(&row.rank)
        .bind(&row.title)
        .bind(&row.person_name)
        .bind(&row.subject)
        .bind(row.term_start)
        .bind(row.term_end)
        .execute(&mut *tx)
        .await?;
        let entry = AuditEntry {
            rpc,
            record_type: "position",
            record_id: row.id.to_string(),
            before: existing.as_ref().map(position_summary),
            after: Some(position_summary(&row)),
        };
        let wire = row.wire();
        let event = PositionUpserted { position: Some(wire.clone()), unit_path: path.clone() };
        let event = Event::new("position_upserted", row.id.to_string(), path, &event);
        self.outbox.record(&mut tx, caller, &[entry], &[event]).await?;
        once.remember(&mut tx, &wire).await?;
        tx.commit().await?;
        Ok(wire)
    }

    async fn save_organization(
        &self,
        caller: &Caller,
        rpc: &'static str,
        row: OrganizationRow,
        existing: Option<OrganizationRow>,
        once: &Once,
    ) -> ServiceResult<Organization> {
        let mut tx = self.pool.begin().await?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(done);
        }
        let path = unit_in_scope(&mut tx, caller, "organization.unit_code", &row.unit_code).await?;
        sqlx::query(
            "INSERT INTO organizations (id, unit_code, kind, name, active) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, active = EXCLUDED.active, updated_at = now()",
        )
        .bind(row.id)
        .bind(&row.unit_code)
        .bind(&row.kind)
        .bind(&row.name)
        .bind(row.active)
        .execute(&mut *tx)
        .await?;
        let summary = |r: &OrganizationRow| json!({ "unit_code": r.unit_code, "kind": r.kind, "name": r.name, "active": r.active });
        let entry = AuditEntry {
            rpc,
            record_type: "organization",
            record_id: row.id.to_string(),
            before: existing.as_ref().map(summary),
            after: Some(summary(&row)),
        };
        let wire = row.wire();
        let event = OrganizationUpserted { organization: Some(wire.clone()), unit_path: path.clone() };
        let event = Event::new("organization_upserted", row.id.to_string(), path, &event);
        self.outbox.record(&mut tx, caller, &[entry], &[event]).await?;
        once.remember(&mut tx, &wire).await?;
        tx.commit().await?;
        Ok(wire)
    }
}

fn organization_row(organization: &Organization, id: Uuid) -> ServiceResult<OrganizationRow> {
    let kind = enum_name("kind", organization.kind, |v| OrganizationKind::try_from(v).ok(), |k| k.as_str_name())?;
    required("name", &organization.name)?;
    Ok(OrganizationRow {
        id,
        unit_code: organization.unit_code.clone(),
        kind: kind.to_owned(),
        name: organization.name.trim().to_owned(),
        active: organization.active,
    })
}

async fn find_organization(conn: &mut PgConnection, id: Uuid) -> ServiceResult<OrganizationRow> {
    sqlx::query_as(&format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            ServiceError::not_found(format!("organization {id} does not exist"), format!("cơ quan {id} không tồn tại"))
        })
}

fn missing(field: &'static str) -> Status {
    ServiceError::invalid_argument(Reason::InvalidArgument, format!("{field} is required"), format!("thiếu {field}"))
        .with_violation(field, "required")
        .into()
}

#[tonic::async_trait]
impl Directory for DirectoryApi {
    async fn create_position(&self, request: Request<CreatePositionRequest>) -> Result<Response<Position>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&MANAGERS)?;
        let request = request.into_inner();
        let once = Once::new(&caller, "CreatePosition", &request.request_id, &request)?;
        let position = request.position.ok_or_else(|| missing("position"))?;
        let row = position_row(&position, Uuid::now_v7())?;
        Ok(Response::new(self.save_position(&caller, "CreatePosition", row, None, &once).await?))
    }

    async fn update_position(&self, request: Request<UpdatePositionRequest>) -> Result<Response<Position>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&MANAGERS)?;
        let position = request.into_inner().position.ok_or_else(|| missing("position"))?;
        let id = parse::id("position.id", &position.id)?;
        let existing = store::find_position(&mut *self.pool.acquire().await.map_err(ServiceError::from)?, id).await?;
        // The post itself (unit, body, rank) does not change; who holds it and when does.
        let merged = Position {
            unit_code: existing.unit_code.clone(),
            body: existing.post().body as i32,
            rank: existing.post().rank as i32,
            ..position
        };
        let row = position_row(&merged, id)?;
        Ok(Response::new(self.save_position(&caller, "UpdatePosition", row, Some(existing), &Once::none()).await?))
    }

    async fn list_positions(
        &self,
        request: Request<ListPositionsRequest>,
    ) -> Result<Response<ListPositionsResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&READERS)?;
        let request = request.into_inner();
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let body = parse::filter::<Body>("body", request.body)?.map(|b| b.as_str_name());
        let on_date = match request.on_date.as_str() {
            "" => None,
            text => Some(parse::date("on_date", text)?),
        };
        let page = Page::from_request(request.page.as_ref())?;
        let after = page.after_key(|key| Uuid::parse_str(key).ok())?;
        let rows: Vec<PositionRow> = sqlx::query_as(&format!(
            "SELECT {} FROM positions p JOIN units u ON u.code = p.unit_code
             WHERE u.path @> ARRAY[$1]::text[] AND ($2::text IS NULL OR p.body = $2)
               AND ($3::date IS NULL OR (p.term_start <= $3 AND (p.term_end IS NULL OR p.term_end >= $3)))
               AND ($4::uuid IS NULL OR p.id > $4)
             ORDER BY p.id LIMIT $5",
            POSITION_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(&request.unit_code)
        .bind(body)
        .bind(on_date)
        .bind(after)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let (rows, info) = page.finish(rows, |r| r.id.to_string());
        Ok(Response::new(ListPositionsResponse {
            positions: rows.iter().map(PositionRow::wire).collect(),
            page: Some(info),
        }))
    }

    async fn create_organization(
        &self,
        request: Request<CreateOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&MANAGERS)?;
        let request = request.into_inner();
        let once = Once::new(&caller, "CreateOrganization", &request.request_id, &request)?;
        let organization = request.organization.ok_or_else(|| missing("organization"))?;
        let row = organization_row(&Organization { active: true, ..organization }, Uuid::now_v7())?;
        Ok(Response::new(self.save_organization(&caller, "CreateOrganization", row, None, &once).await?))
    }

    async fn update_organization(
        &self,
        request: Request<UpdateOrganizationRequest>,
    ) -> Result<Response<Organization>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&MANAGERS)?;
        let organization = request.into_inner().organization.ok_or_else(|| missing("organization"))?;
        let id = parse::id("organization.id", &organization.id)?;
        let existing = find_organization(&mut *self.pool.acquire().await.map_err(ServiceError::from)?, id).await?;
        let row = organization_row(&Organization { unit_code: existing.unit_code.clone(), ..organization }, id)?;
        Ok(Response::new(
            self.save_organization(&caller, "UpdateOrganization", row, Some(existing), &Once::none()).await?,
        ))
    }

    async fn list_organizations(
        &self,
        request: Request<ListOrganizationsRequest>,
    ) -> Result<Response<ListOrganizationsResponse>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&READERS)?;
        let request = request.into_inner();
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        unit_in_scope(&mut conn, &caller, "unit_code", &request.unit_code).await?;
        let kind = parse::filter::<OrganizationKind>("kind", request.kind)?.map(|k| k.as_str_name());
        let page = Page::from_request(request.page.as_ref())?;
        let after = page.after_key(|key| Uuid::parse_str(key).ok())?;
        let rows: Vec<OrganizationRow> = sqlx::query_as(
            "SELECT o.id, o.unit_code, o.kind, o.name, o.active FROM organizations o JOIN units u ON u.code = o.unit_code
             WHERE u.path @> ARRAY[$1]::text[] AND ($2::text IS NULL OR o.kind = $2) AND ($3::uuid IS NULL OR o.id > $3)
             ORDER BY o.id LIMIT $4",
        )
        .bind(&request.unit_code)
        .bind(kind)
        .bind(after)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let (rows, info) = page.finish(rows, |r| r.id.to_string());
        Ok(Response::new(ListOrganizationsResponse {
            organizations: rows.iter().map(OrganizationRow::wire).collect(),
            page: Some(info),
        }))
    }
}
