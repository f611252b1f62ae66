//! Queries over obligations, scoped by unit subtree.

use doithoai_proto::deadlines::v1::{
    GetObligationRequest, ListObligationsRequest, ListObligationsResponse, Obligation, ObligationKind, ObligationState,
    deadlines_server::Deadlines,
};
use doithoai_runtime::{Caller, ServiceError, pagination::Page, unit_tree};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::obligations::{COLUMNS, Row};

pub struct DeadlinesApi {
    pool: PgPool,
}

impl DeadlinesApi {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn parse_id(field: &str, text: &str) -> Result<Option<Uuid>, ServiceError> {
    if text.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(text).map(Some).map_err(|_| {
        ServiceError::invalid_argument(
            "INVALID_ARGUMENT",
            format!("{field} is not an id"),
            format!("{field} không phải mã hợp lệ"),
        )
        .with_violation(field, "not a UUID")
    })
}

#[tonic::async_trait]
impl Deadlines for DeadlinesApi {
    async fn list_obligations(
        &self,
        request: Request<ListObligationsRequest>,
    ) -> Result<Response<ListObligationsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let code = unit_tree::parse_code("unit_code", &request.unit_code)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        caller.require_within(&unit_tree::unit_path(&mut conn, &code).await?)?;
        let kind = ObligationKind::try_from(request.kind)
            .ok()
            .filter(|k| *k != ObligationKind::Unspecified)
            .map(|k| k.as_str_name());
        let state = ObligationState::try_from(request.state)
            .ok()
            .filter(|s| *s != ObligationState::Unspecified)
            .map(|s| s.as_str_name());
        let page = Page::from_request(request.page.as_ref());
        let after = parse_id("page.page_token", page.after.as_deref().unwrap_or(""))?;
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM obligations
             WHERE unit_path @> ARRAY[$1]::text[] AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR state = $3)
               AND ($4::uuid IS NULL OR organization_id = $4) AND ($5::uuid IS NULL OR conference_id = $5)
               AND ($6::uuid IS NULL OR id > $6)
             ORDER BY id LIMIT $7"
        ))
        .bind(code.as_str())
        .bind(kind)
        .bind(state)
        .bind(parse_id("organization_id", &request.organization_id)?)
        .bind(parse_id("conference_id", &request.conference_id)?)
        .bind(after)
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let (rows, info) = page.finish(rows, |r| r.id.to_string());
        Ok(Response::new(ListObligationsResponse {
            obligations: rows.iter().map(Row::wire).collect(),
            page: Some(info),
        }))
    }

    async fn get_obligation(&self, request: Request<GetObligationRequest>) -> Result<Response<Obligation>, Status> {
        let caller = Caller::of(&request)?;
        let id = parse_id("id", &request.get_ref().id)?.ok_or_else(|| ServiceError::not_found("no id", "thiếu mã"))?;
        let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM obligations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| {
                ServiceError::not_found(
                    format!("obligation {id} does not exist"),
                    format!("nghĩa vụ {id} không tồn tại"),
                )
            })?;
        caller.require_within(&row.unit_path)?;
        Ok(Response::new(row.wire()))
    }
}
