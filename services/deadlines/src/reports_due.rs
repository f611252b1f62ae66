//! R13.1: every head reports on their dialogues every six months and every
//! year. One obligation per head and period, due a configurable number of
//! working days after the period's (configurable) end; met when filed.

use chrono::NaiveDate;
use doithoai_calendar::Calendar;
use doithoai_proto::deadlines::v1::ObligationKind;
use doithoai_runtime::outbox::Outbox;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::obligations::{self, Opening};

#[derive(Debug, Clone)]
pub struct ReportPeriods {
    /// MM-DD.
    pub half_year_end: String,
    pub year_end: String,
    pub due_working_days: u32,
}

impl ReportPeriods {
    /// The end of the period of `kind` in `year`.
    pub fn end(&self, kind: ObligationKind, year: i32) -> anyhow::Result<NaiveDate> {
        let month_day = if kind == ObligationKind::ReportHalfYear { &self.half_year_end } else { &self.year_end };
        NaiveDate::parse_from_str(&format!("{year}-{month_day}"), "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("invalid setting `deadlines.report_*_end`: {month_day:?} is not MM-DD"))
    }
}

pub fn key(kind: ObligationKind, head: Uuid, year: i32) -> String {
    format!("{}:{head}:{year}", kind.as_str_name().trim_start_matches("OBLIGATION_KIND_"))
}

/// Opens the year's report obligations for heads serving at each period's
/// end that do not have them yet.
/// Opens the year's reports for every head serving at each period's end (or
/// for one head), unless they exist.
pub async fn ensure(
    conn: &mut PgConnection,
    calendar: &Calendar,
    outbox: &Outbox,
    periods: &ReportPeriods,
    year: i32,
    head: Option<Uuid>,
) -> anyhow::Result<()> {
    for kind in [ObligationKind::ReportHalfYear, ObligationKind::ReportYear] {
        let end = periods.end(kind, year)?;
        let missing: Vec<(Uuid, Vec<String>)> = sqlx::query_as(
            "SELECT h.position_id, h.unit_path FROM heads h
             WHERE h.term_start <= $1 AND (h.term_end IS NULL OR h.term_end >= $1)
               AND ($4::uuid IS NULL OR h.position_id = $4)
               AND NOT EXISTS (SELECT 1 FROM obligations o WHERE o.key = $2 || ':' || h.position_id || ':' || $3)",
        )
        .bind(end)
        .bind(kind.as_str_name().trim_start_matches("OBLIGATION_KIND_"))
        .bind(year.to_string())
        .bind(head)
        .fetch_all(&mut *conn)
        .await?;
        for (head, unit_path) in missing {
            let opening = Opening {
                key: key(kind, head, year),
                kind,
                rule: "R13.1",
                unit_path,
                conference_id: None,
                petition_id: None,
                organization_id: None,
                anchor_date: end,
                anchor: "PERIOD_END",
                working_days: periods.due_working_days,
                head_position_id: Some(head),
            };
            obligations::open(conn, calendar, outbox, opening).await?;
        }
    }
    Ok(())
}
