//! Queries over obligations, scoped by unit subtree.

use doithoai_proto::deadlines::v1::{
    AgencyOverdue, FileReportRequest, GetObligationRequest, Leaderboard, LeaderboardRequest, ListObligationsRequest,
    ListObligationsResponse, LoadAnnouncementRequest, LoadAnnouncementResponse, Obligation, ObligationKind,
    ObligationState, RenderReportRequest, RenderedReport, Report, ReportFormat, ReportRequest, Summary, SummaryRequest,
    deadlines_server::Deadlines,
};
use doithoai_runtime::{
    Caller, Clock, Reason, Role, ServiceError,
    audit::{self, AuditEntry},
    idempotency::Once,
    outbox::Outbox,
    pagination::Page,
    parse, unit_tree,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    calendars::Calendars,
    obligations::{self, COLUMNS, Row},
};

pub struct DeadlinesApi {
    pool: PgPool,
    outbox: Outbox,
    calendars: Calendars,
    clock: Clock,
}

impl DeadlinesApi {
    pub fn new(pool: PgPool, outbox: Outbox, calendars: Calendars, clock: Clock) -> Self {
        Self { pool, outbox, calendars, clock }
    }

    /// The report a request asks for, after checking the caller's scope.
    async fn report(&self, caller: &Caller, request: &ReportRequest) -> Result<(Report, String), ServiceError> {
        let mut conn = self.pool.acquire().await?;
        let code = self.subtree(&mut conn, caller, &request.unit_code).await?;
        let (from, to) = match (parse::optional_date("from", &request.from)?, parse::optional_date("to", &request.to)?)
        {
            (Some(from), Some(to)) if from <= to => (from, to),
            _ => {
                return Err(ServiceError::invalid_argument(
                    Reason::InvalidArgument,
                    "a report needs from ≤ to (YYYY-MM-DD)",
                    "báo cáo cần từ ngày ≤ đến ngày",
                )
                .with_violation("from", "YYYY-MM-DD, not after `to`"));
            }
        };
        let name = |code: String| async move {
            sqlx::query_scalar::<_, String>("SELECT name FROM units WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.pool)
                .await
        };
        let unit_name = name(code.clone()).await?.unwrap_or_else(|| code.clone());
        let path: Vec<String> =
            sqlx::query_scalar("SELECT path FROM units WHERE code = $1").bind(&code).fetch_one(&mut *conn).await?;
        let province = name(path.first().cloned().unwrap_or_default()).await?.unwrap_or_default();
        let place = province.trim_start_matches("Tỉnh ").trim_start_matches("Thành phố ").to_owned();
        Ok((crate::report::compute(&mut conn, &code, &unit_name, from, to).await?, place))
    }

    async fn subtree(
        &self,
        conn: &mut sqlx::PgConnection,
        caller: &Caller,
        code: &str,
    ) -> Result<String, ServiceError> {
        let code = unit_tree::parse_code("unit_code", code)?;
        caller.require_within(&unit_tree::unit_path(conn, &code).await?)?;
        Ok(code.to_string())
    }
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
        let kind = parse::filter::<ObligationKind>("kind", request.kind)?.map(|k| k.as_str_name());
        let state = parse::filter::<ObligationState>("state", request.state)?.map(|s| s.as_str_name());
        let page = Page::from_request(request.page.as_ref())?;
        let after = page.after_key(|key| Uuid::parse_str(key).ok())?;
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM obligations
             WHERE unit_path @> ARRAY[$1]::text[] AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR state = $3)
               AND ($4::uuid IS NULL OR organization_id = $4) AND ($5::uuid IS NULL OR conference_id = $5)
               AND ($6::uuid IS NULL OR id > $6) AND ($8::uuid IS NULL OR head_position_id = $8)
               AND ($9::date IS NULL OR due_date >= $9) AND ($10::date IS NULL OR due_date <= $10)
             ORDER BY id LIMIT $7"
        ))
        .bind(code.as_str())
        .bind(kind)
        .bind(state)
        .bind(parse::optional_id("organization_id", &request.organization_id)?)
        .bind(parse::optional_id("conference_id", &request.conference_id)?)
        .bind(after)
        .bind(page.limit())
        .bind(parse::optional_id("head_position_id", &request.head_position_id)?)
        .bind(parse::optional_date("due_from", &request.due_from)?)
        .bind(parse::optional_date("due_to", &request.due_to)?)
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let (rows, info) = page.finish(rows, |r| r.id.to_string());
        Ok(Response::new(ListObligationsResponse {
            obligations: rows.iter().map(Row::wire).collect(),
            page: Some(info),
        }))
    }

    async fn get_summary(&self, request: Request<SummaryRequest>) -> Result<Response<Summary>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let code = self.subtree(&mut conn, &caller, &request.unit_code).await?;
        let kind = parse::filter::<ObligationKind>("kind", request.kind)?.map(|k| k.as_str_name());
        let (from, to) =
            (parse::optional_date("due_from", &request.due_from)?, parse::optional_date("due_to", &request.due_to)?);
        let summary = crate::summary::subtree(&mut conn, &code, kind, from, to).await.map_err(ServiceError::from)?;
        Ok(Response::new(summary))
    }

    async fn get_overdue_leaderboard(
        &self,
        request: Request<LeaderboardRequest>,
    ) -> Result<Response<Leaderboard>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let code = self.subtree(&mut conn, &caller, &request.unit_code).await?;
        let limit = if request.limit == 0 { 10 } else { request.limit.min(100) };
        let rows: Vec<(Uuid, i64, i64)> = sqlx::query_as(
            "SELECT organization_id,
                    count(*) FILTER (WHERE state = 'OBLIGATION_STATE_OVERDUE'),
                    count(*) FILTER (WHERE state IN ('OBLIGATION_STATE_OPEN', 'OBLIGATION_STATE_DUE_SOON', 'OBLIGATION_STATE_OVERDUE'))
             FROM obligations WHERE unit_path @> ARRAY[$1]::text[] AND organization_id IS NOT NULL
             GROUP BY organization_id HAVING count(*) FILTER (WHERE state = 'OBLIGATION_STATE_OVERDUE') > 0
             ORDER BY 2 DESC, 1 LIMIT $2",
        )
        .bind(&code)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        let agencies = rows
            .into_iter()
            .map(|(id, overdue, open)| AgencyOverdue {
                organization_id: id.to_string(),
                overdue: overdue as u32,
                open: open as u32,
            })
            .collect();
        Ok(Response::new(Leaderboard { agencies }))
    }

    async fn load_announcement(
        &self,
        request: Request<LoadAnnouncementRequest>,
    ) -> Result<Response<LoadAnnouncementResponse>, Status> {
        let caller = Caller::of(&request)?;
        // The legal calendar is national: one revision for the whole deployment.
        caller.require_root_admin()?;
        let text = request.into_inner().toml;
        let current = self.calendars.current();
        let calendar =
            current.check_announcement(&text).and_then(|()| current.with_announcements(&text)).map_err(|e| {
                ServiceError::invalid_argument(
                    Reason::InvalidAnnouncement,
                    e.to_string(),
                    format!("dữ liệu thông báo ngày nghỉ không hợp lệ: {e}"),
                )
                .with_violation("toml", e.to_string())
            })?;
        if calendar.same_days(&current) {
            let revision = current.revision().id.clone();
            return Ok(Response::new(LoadAnnouncementResponse { revision, rescheduled: 0, changed: false }));
        }
        let revision = calendar.revision().id.clone();
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        // One loader at a time, so revisions stack in order.
        sqlx::query("LOCK TABLE calendar_announcements IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calendar_announcements (toml, revision, loaded_by) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&text)
        .bind(&revision)
        .bind(&caller.subject)
        .fetch_one(&mut *tx)
        .await
        .map_err(ServiceError::from)?;
        let rescheduled = obligations::reschedule_open(&mut tx, &calendar, &self.outbox, &caller.subject)
            .await
            .map_err(ServiceError::Internal)?;
        let entry = AuditEntry {
            rpc: "LoadAnnouncement",
            record_type: "calendar",
            record_id: revision.clone(),
            before: None,
            after: Some(serde_json::json!({ "rescheduled": rescheduled })),
        };
        audit::record(&mut tx, &caller, &[entry]).await.map_err(ServiceError::from)?;
        tx.commit().await.map_err(ServiceError::from)?;
        self.calendars.replace(id, calendar);
        Ok(Response::new(LoadAnnouncementResponse { revision, rescheduled, changed: true }))
    }

    async fn get_report(&self, request: Request<ReportRequest>) -> Result<Response<Report>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.report(&caller, request.get_ref()).await?.0))
    }

    async fn render_report(&self, request: Request<RenderReportRequest>) -> Result<Response<RenderedReport>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let (report, place) = self.report(&caller, &request.report.unwrap_or_default()).await?;
        let name = format!("bao-cao-{}-{}-{}", report.unit_code, report.from, report.to);
        let rendered = match parse::known::<ReportFormat>("format", request.format)? {
            ReportFormat::Pdf => {
                let pdf = doithoai_documents::render(
                    "Báo cáo kết quả tiếp xúc, đối thoại",
                    &crate::report::lines(&report, &place, self.clock.today()),
                );
                RenderedReport {
                    file_name: format!("{name}.pdf"),
                    content_type: "application/pdf".into(),
                    content: pdf,
                }
            }
            _ => RenderedReport {
                file_name: format!("{name}.csv"),
                content_type: "text/csv; charset=utf-8".into(),
                content: crate::report::csv(&report).into_bytes(),
            },
        };
        Ok(Response::new(rendered))
    }

    async fn file_report(&self, request: Request<FileReportRequest>) -> Result<Response<Obligation>, Status> {
        let caller = Caller::of(&request)?;
        caller.require_role(&[Role::Office, Role::Admin])?;
        let request = request.into_inner();
        let kind = parse::known::<ObligationKind>("kind", request.kind)?;
        if !matches!(kind, ObligationKind::ReportHalfYear | ObligationKind::ReportYear) {
            return Err(ServiceError::invalid_argument(
                Reason::InvalidArgument,
                "kind is REPORT_HALF_YEAR or REPORT_YEAR",
                "loại báo cáo không hợp lệ",
            )
            .with_violation("kind", "a report kind")
            .into());
        }
        let head = parse::optional_id("head_position_id", &request.head_position_id)?.ok_or_else(|| {
            ServiceError::invalid_argument(
                Reason::InvalidArgument,
                "head_position_id is required",
                "thiếu người đứng đầu",
            )
            .with_violation("head_position_id", "required")
        })?;
        let filed_on = parse::happened("filed_on", &request.filed_on, self.clock.today())?;
        let key = crate::reports_due::key(kind, head, request.year);
        let once = Once::new(&caller, "FileReport", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM obligations WHERE key = $1"))
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::not_found("no such report is owed", "không có báo cáo này phải nộp"))?;
        caller.require_within(&row.unit_path)?;
        if !crate::domain::is_open(row.state()) {
            return Err(ServiceError::rule(
                "R13.1",
                "R13.1: this report was already filed",
                "R13.1: báo cáo này đã được nộp",
            )
            .into());
        }
        obligations::close(&mut tx, &self.calendars.current(), &self.outbox, &caller.subject, &key, filed_on)
            .await
            .map_err(ServiceError::Internal)?;
        let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM obligations WHERE key = $1"))
            .bind(&key)
            .fetch_one(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let entry = AuditEntry {
            rpc: "FileReport",
            record_type: "obligation",
            record_id: row.id.to_string(),
            before: Some(serde_json::json!({ "state": "OPEN" })),
            after: Some(serde_json::json!({ "state": row.state, "met_on": filed_on })),
        };
        audit::record(&mut tx, &caller, &[entry]).await.map_err(ServiceError::from)?;
        once.remember(&mut tx, &row.wire()).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(row.wire()))
    }

    async fn get_obligation(&self, request: Request<GetObligationRequest>) -> Result<Response<Obligation>, Status> {
        let caller = Caller::of(&request)?;
        let id = parse::optional_id("id", &request.get_ref().id)?
            .ok_or_else(|| ServiceError::not_found("no id", "thiếu mã"))?;
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
