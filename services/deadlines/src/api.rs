//! The deadlines API: obligations, summaries, the overdue leaderboard and the
//! R13.1 reports of a unit's subtree; filing a report; loading a calendar
//! announcement. Each RPC reads: parse → load (obligations) → decide
//! (domain) → write the change.

use doithoai_directory as directory;
use doithoai_directory::units::require_reach;
use doithoai_documents::Body;
use doithoai_proto::deadlines::v1::{
    AgencyOverdue, FileReportRequest, GetObligationRequest, Leaderboard, LeaderboardRequest, ListObligationsRequest,
    ListObligationsResponse, LoadAnnouncementRequest, LoadAnnouncementResponse, Obligation, ObligationKind,
    ObligationState, RenderReportRequest, RenderedReport, Report, ReportFormat, ReportRequest, Summary, SummaryRequest,
    deadlines_server::Deadlines,
};
use doithoai_proto::scheduling::v1::Body as ScheduledBody;
use doithoai_runtime::{
    Caller, Change, Clock, Reason, Refusal, Role, ServiceError, ServiceResult, idempotency::Once, outbox::Outbox,
    pagination::Page, parse, rpc::handle,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    calendars::{self, Calendars},
    domain::{self, Horizon},
    obligations::{self, Filter, Row},
};

pub struct DeadlinesApi {
    pub pool: PgPool,
    pub outbox: Outbox,
    pub calendars: Calendars,
    pub clock: Clock,
    pub due_soon_working_days: u32,
}

#[tonic::async_trait]
impl Deadlines for DeadlinesApi {
    async fn list_obligations(
        &self,
        request: Request<ListObligationsRequest>,
    ) -> Result<Response<ListObligationsResponse>, Status> {
        handle(request, |caller, request| self.list_obligations(caller, request)).await
    }

    async fn get_summary(&self, request: Request<SummaryRequest>) -> Result<Response<Summary>, Status> {
        handle(request, |caller, request| self.get_summary(caller, request)).await
    }

    async fn get_overdue_leaderboard(
        &self,
        request: Request<LeaderboardRequest>,
    ) -> Result<Response<Leaderboard>, Status> {
        handle(request, |caller, request| self.get_overdue_leaderboard(caller, request)).await
    }

    async fn load_announcement(
        &self,
        request: Request<LoadAnnouncementRequest>,
    ) -> Result<Response<LoadAnnouncementResponse>, Status> {
        handle(request, |caller, request| self.load_announcement(caller, request)).await
    }

    async fn get_report(&self, request: Request<ReportRequest>) -> Result<Response<Report>, Status> {
        handle(request, |caller, request| async move { Ok(self.report(&caller, &request).await?.0) }).await
    }

    async fn render_report(&self, request: Request<RenderReportRequest>) -> Result<Response<RenderedReport>, Status> {
        handle(request, |caller, request| self.render_report(caller, request)).await
    }

    async fn file_report(&self, request: Request<FileReportRequest>) -> Result<Response<Obligation>, Status> {
        handle(request, |caller, request| self.file_report(caller, request)).await
    }

    async fn get_obligation(&self, request: Request<GetObligationRequest>) -> Result<Response<Obligation>, Status> {
        handle(request, |caller, request| self.get_obligation(caller, request)).await
    }
}

impl DeadlinesApi {
    async fn list_obligations(
        &self,
        caller: Caller,
        request: ListObligationsRequest,
    ) -> ServiceResult<ListObligationsResponse> {
        let code = directory::parse_code("unit_code", &request.unit_code)?;
        let page = Page::from_request(request.page.as_ref())?;
        let filter = Filter {
            unit_code: code.as_str(),
            scope: caller.unit.as_str(),
            kind: parse::filter::<ObligationKind>("kind", request.kind)?.map(|k| k.as_str_name()),
            state: parse::filter::<ObligationState>("state", request.state)?.map(|s| s.as_str_name()),
            organization_id: parse::optional_id("organization_id", &request.organization_id)?,
            conference_id: parse::optional_id("conference_id", &request.conference_id)?,
            petition_id: parse::optional_id("petition_id", &request.petition_id)?,
            head_position_id: parse::optional_id("head_position_id", &request.head_position_id)?,
            due_from: parse::optional_date("due_from", &request.due_from)?,
            due_to: parse::optional_date("due_to", &request.due_to)?,
            after: page.after_key(|key| Uuid::parse_str(key).ok())?,
            limit: page.limit(),
        };
        let mut conn = self.pool.acquire().await?;
        let rows = obligations::list(&mut conn, &filter).await?;
        directory::require_scope_if_nothing_read(&mut conn, &caller, &code, rows.is_empty()).await?;
        let (rows, info) = page.finish(rows, |r| r.id.to_string());
        Ok(ListObligationsResponse { obligations: rows.iter().map(Row::wire).collect(), page: Some(info) })
    }

    async fn get_summary(&self, caller: Caller, request: SummaryRequest) -> ServiceResult<Summary> {
        let code = directory::parse_code("unit_code", &request.unit_code)?;
        let kind = parse::filter::<ObligationKind>("kind", request.kind)?.map(|k| k.as_str_name());
        let (from, to) =
            (parse::optional_date("due_from", &request.due_from)?, parse::optional_date("due_to", &request.due_to)?);
        let mut conn = self.pool.acquire().await?;
        let (in_scope, summary) =
            crate::summary::subtree(&mut conn, caller.unit.as_str(), code.as_str(), kind, from, to).await?;
        directory::require_scope_if_nothing_read(&mut conn, &caller, &code, !in_scope).await?;
        Ok(summary)
    }

    async fn get_overdue_leaderboard(&self, caller: Caller, request: LeaderboardRequest) -> ServiceResult<Leaderboard> {
        let code = directory::parse_code("unit_code", &request.unit_code)?;
        let limit = if request.limit == 0 { 10 } else { request.limit.min(100) };
        let mut conn = self.pool.acquire().await?;
        let rows = obligations::leaderboard(&mut conn, caller.unit.as_str(), code.as_str(), i64::from(limit)).await?;
        directory::require_scope_if_nothing_read(&mut conn, &caller, &code, rows.is_empty()).await?;
        let agencies = rows
            .into_iter()
            .map(|(id, overdue, open)| AgencyOverdue {
                organization_id: id.to_string(),
                overdue: overdue as u32,
                open: open as u32,
            })
            .collect();
        Ok(Leaderboard { agencies })
    }

    async fn load_announcement(
        &self,
        caller: Caller,
        request: LoadAnnouncementRequest,
    ) -> ServiceResult<LoadAnnouncementResponse> {
        // The legal calendar is national: one revision for the whole deployment.
        caller.require_root_admin()?;
        let text = request.toml;
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
            return Ok(LoadAnnouncementResponse { revision, rescheduled: 0, changed: false });
        }
        let revision = calendar.revision().id.clone();
        let mut tx = self.pool.begin().await?;
        let id = calendars::store(&mut tx, &text, &revision, &caller.subject).await?;
        let horizon = Horizon { today: self.clock.today(), due_soon_working_days: self.due_soon_working_days };
        let rescheduled =
            obligations::reschedule_open(&mut tx, &calendar, horizon, &self.outbox, &caller.subject).await?;
        let change = Change::of("LoadAnnouncement", "calendar", &revision)
            .after(serde_json::json!({ "rescheduled": rescheduled }));
        self.outbox.write(&mut tx, &caller, change).await?;
        tx.commit().await?;
        self.calendars.replace(id, calendar);
        Ok(LoadAnnouncementResponse { revision, rescheduled, changed: true })
    }

    /// The report a request asks for, after checking the caller's scope, with
    /// the place its document is dated at.
    async fn report(&self, caller: &Caller, request: &ReportRequest) -> ServiceResult<(Report, String)> {
        let mut conn = self.pool.acquire().await?;
        let path = directory::unit_in_scope(&mut conn, caller, "unit_code", &request.unit_code).await?;
        let code = path.last().cloned().unwrap_or_default();
        let (from, to) = match (parse::optional_date("from", &request.from)?, parse::optional_date("to", &request.to)?)
        {
            (Some(from), Some(to)) if from <= to => (from, to),
            _ => {
                return Err(Refusal::invalid(
                    "from",
                    "a report needs from ≤ to (YYYY-MM-DD)",
                    "báo cáo cần từ ngày ≤ đến ngày",
                )
                .into());
            }
        };
        let unit_name = directory::units::unit_name(&mut conn, &code).await?.unwrap_or_else(|| code.clone());
        let place = directory::units::place(&mut conn, &path).await?;
        Ok((crate::report::compute(&mut conn, &code, &unit_name, from, to).await?, place))
    }

    async fn render_report(&self, caller: Caller, request: RenderReportRequest) -> ServiceResult<RenderedReport> {
        let format = parse::known::<ReportFormat>("format", request.format)?;
        // The regulation is the Party's: its committee issues unless asked otherwise.
        let body = Body::from_proto(parse::known::<ScheduledBody>("issuing_body", request.issuing_body)?)
            .unwrap_or(Body::PartyCommittee);
        let (report, place) = self.report(&caller, &request.report.unwrap_or_default()).await?;
        let name = format!("bao-cao-{}-{}-{}", report.unit_code, report.from, report.to);
        let today = self.clock.today();
        let document = || async {
            let mut conn = self.pool.acquire().await?;
            let issuing = crate::report::Issuing {
                body,
                parent_unit_name: directory::units::parent_name(&mut conn, &report.unit_code).await?,
                place,
                head_name: crate::report::head_name(&mut conn, &report.unit_code, body, today).await?,
            };
            ServiceResult::Ok(crate::report::document(&report, &issuing, today))
        };
        Ok(match format {
            ReportFormat::Pdf => RenderedReport {
                file_name: format!("{name}.pdf"),
                content_type: doithoai_documents::PDF.into(),
                content: document().await?.pdf(),
            },
            ReportFormat::Docx => RenderedReport {
                file_name: format!("{name}.docx"),
                content_type: doithoai_documents::DOCX.into(),
                content: document().await?.docx(),
            },
            _ => RenderedReport {
                file_name: format!("{name}.csv"),
                content_type: "text/csv; charset=utf-8".into(),
                content: crate::report::csv(&report).into_bytes(),
            },
        })
    }

    async fn file_report(&self, caller: Caller, request: FileReportRequest) -> ServiceResult<Obligation> {
        caller.require_role(&[Role::Office, Role::Admin, Role::Host])?;
        let kind = parse::known::<ObligationKind>("kind", request.kind)?;
        if !matches!(kind, ObligationKind::ReportHalfYear | ObligationKind::ReportYear) {
            return Err(Refusal::invalid(
                "kind",
                "kind is REPORT_HALF_YEAR or REPORT_YEAR",
                "loại báo cáo không hợp lệ",
            )
            .into());
        }
        let head = parse::optional_id("head_position_id", &request.head_position_id)?.ok_or_else(|| {
            Refusal::invalid("head_position_id", "head_position_id is required", "thiếu người đứng đầu")
        })?;
        let filed_on = parse::happened("filed_on", &request.filed_on, self.clock.today())?;
        let key = crate::reports_due::key(kind, head, request.year);
        let once = Once::new(&caller, "FileReport", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let row = obligations::lock(&mut tx, &key)
                .await?
                .ok_or_else(|| Refusal::not_found("no such report is owed", "không có báo cáo này phải nộp"))?;
            caller.require_within(&row.unit_path)?;
            if !caller.has_role(Role::Office) && !caller.has_role(Role::Admin) {
                // A head files their own report; the office files any of its unit's.
                let holder: Option<String> = sqlx::query_scalar("SELECT subject FROM heads WHERE position_id = $1")
                    .bind(head)
                    .fetch_optional(&mut *tx)
                    .await?;
                if holder.as_deref() != Some(caller.subject.as_str()) {
                    return Err(Refusal::denied(
                        Reason::NotYourPost,
                        "a head files only their own report",
                        "người đứng đầu chỉ nộp báo cáo của chính mình",
                    )
                    .into());
                }
            }
            domain::r13_1_filed_once(row.state())?;
            obligations::close(&mut tx, &self.calendars.current(), &self.outbox, &caller.subject, &key, filed_on)
                .await?;
            let filed =
                obligations::by_key(&mut tx, &key).await?.ok_or_else(|| anyhow::anyhow!("filed report vanished"))?;
            let change = Change::of("FileReport", "obligation", filed.id)
                .before(serde_json::json!({ "state": "OPEN" }))
                .after(serde_json::json!({ "state": filed.state, "met_on": filed_on }));
            self.outbox.commit(tx, &caller, change, &once, filed.wire()).await
        })
        .await
    }

    async fn get_obligation(&self, caller: Caller, request: GetObligationRequest) -> ServiceResult<Obligation> {
        let id = parse::optional_id("id", &request.id)?.ok_or_else(|| Refusal::not_found("no id", "thiếu mã"))?;
        let mut conn = self.pool.acquire().await?;
        let row = obligations::by_id(&mut conn, id).await?.ok_or_else(|| {
            Refusal::not_found(format!("obligation {id} does not exist"), format!("nghĩa vụ {id} không tồn tại"))
        })?;
        require_reach(&mut conn, &caller, &row.unit_path).await?;
        Ok(row.wire())
    }
}
