//! R6.2, R6.3: the Bí thư, the Chủ tịch HĐND and the Chủ tịch UBND of every
//! unit each hold a periodic dialogue every year. One obligation per head and
//! year, from the start of the year (or of the term) to 31 December (or the
//! end of the term); met by an ended periodic conference the head answered for.

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use doithoai_calendar::Calendar;
use doithoai_proto::{
    common::v1::EventEnvelope,
    deadlines::v1::DeadlineRescheduled,
    scheduling::v1::{PositionUpserted, Rank},
};
use doithoai_runtime::{consumer::EventHandler, events::decode_payload, outbox::Outbox, time::local_date};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    calendars::Calendars,
    obligations::{self, COLUMNS, Row, STILL_OPEN},
    reports_due::ReportPeriods,
};

pub fn key(position: Uuid, year: i32) -> String {
    format!("PERIODIC_DIALOGUE:{position}:{year}")
}

/// Opens the year's obligation for every head serving in it (or for one
/// head), unless it exists.
pub async fn ensure(
    conn: &mut PgConnection,
    calendar: &Calendar,
    outbox: &Outbox,
    year: i32,
    head: Option<Uuid>,
) -> anyhow::Result<u64> {
    let opened: Vec<Row> = sqlx::query_as(&format!(
        "INSERT INTO obligations (id, key, kind, rule, unit_path, head_position_id, anchor_date, anchor, working_days, due_date,
             calendar_revision, explanation, state)
         SELECT gen_random_uuid(), 'PERIODIC_DIALOGUE:' || h.position_id || ':' || $1, 'OBLIGATION_KIND_PERIODIC_DIALOGUE', 'R6.2',
                h.unit_path, h.position_id, GREATEST(make_date($1, 1, 1), h.term_start), 'YEAR', 0,
                LEAST(make_date($1, 12, 31), coalesce(h.term_end, make_date($1, 12, 31))), $2,
                ARRAY['R6.2, R6.3: one periodic dialogue a year, by 31 December or the end of the term'], 'OBLIGATION_STATE_OPEN'
         FROM heads h
         WHERE h.term_start <= make_date($1, 12, 31) AND (h.term_end IS NULL OR h.term_end >= make_date($1, 1, 1))
           AND ($3::uuid IS NULL OR h.position_id = $3)
         ON CONFLICT (key) DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(year)
    .bind(&calendar.revision().id)
    .bind(head)
    .fetch_all(&mut *conn)
    .await?;
    crate::obligations::announce_opened(conn, outbox, &opened).await?;
    Ok(opened.len() as u64)
}

/// Keeps the heads from PositionUpserted; a changed term moves or cancels
/// that head's open obligations, and a head owes the year's dialogue and
/// reports from the day the post is recorded, not from the next sweep.
pub struct HeadsReplica {
    pub calendars: Calendars,
    pub periods: ReportPeriods,
    pub outbox: Outbox,
}

impl EventHandler for HeadsReplica {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        let Some(upserted) = decode_payload::<PositionUpserted>(event)? else { return Ok(()) };
        let position = upserted.position.context("PositionUpserted without a position")?;
        if position.rank != Rank::Head as i32 {
            return Ok(());
        }
        let id = Uuid::parse_str(&position.id)?;
        let term_start = NaiveDate::parse_from_str(&position.term_start, "%Y-%m-%d")?;
        let term_end = Some(position.term_end.as_str())
            .filter(|t| !t.is_empty())
            .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
            .transpose()?;
        let applied = sqlx::query(
            "INSERT INTO heads (position_id, unit_code, unit_path, term_start, term_end, source_event_id, body, title, person_name, subject)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (position_id) DO UPDATE SET unit_code = EXCLUDED.unit_code, unit_path = EXCLUDED.unit_path,
                 term_start = EXCLUDED.term_start, term_end = EXCLUDED.term_end, source_event_id = EXCLUDED.source_event_id,
                 body = EXCLUDED.body, title = EXCLUDED.title, person_name = EXCLUDED.person_name, subject = EXCLUDED.subject
             WHERE heads.source_event_id < EXCLUDED.source_event_id",
        )
        .bind(id)
        .bind(&position.unit_code)
        .bind(&upserted.unit_path)
        .bind(term_start)
        .bind(term_end)
        .bind(Uuid::parse_str(&event.event_id)?)
        .bind(position.body().as_str_name())
        .bind(&position.title)
        .bind(&position.person_name)
        .bind(&position.subject)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if applied {
            // Periods the term no longer reaches are cancelled (dialogues and
            // reports alike); the year's dialogue ends with the term.
            let cancelled: Vec<Row> = sqlx::query_as(&format!(
                "UPDATE obligations SET state = 'OBLIGATION_STATE_CANCELLED', cancel_reason = 'outside the head''s term', updated_at = now()
                 WHERE head_position_id = $1 AND state IN {STILL_OPEN}
                   AND (due_date < $2 OR ($3::date IS NOT NULL AND anchor_date > $3))
                 RETURNING {COLUMNS}"
            ))
            .bind(id)
            .bind(term_start)
            .bind(term_end)
            .fetch_all(&mut *conn)
            .await?;
            obligations::announce_cancelled(conn, &self.outbox, &event.actor, &cancelled).await?;
            end_with_the_term(conn, &self.outbox, &event.actor, id, term_end).await?;
            let recorded = event.occurred_at.as_ref().and_then(doithoai_runtime::time::instant);
            let year = local_date(recorded.context("an event without its time")?).year();
            let calendar = self.calendars.current();
            ensure(conn, &calendar, &self.outbox, year, Some(id)).await?;
            crate::reports_due::ensure(conn, &calendar, &self.outbox, &self.periods, year, Some(id)).await?;
        }
        Ok(())
    }
}

/// The head's open dialogues end with the term (or the year): those whose
/// due date moves are published as rescheduled, with the day they had.
async fn end_with_the_term(
    conn: &mut PgConnection,
    outbox: &Outbox,
    actor: &str,
    head: Uuid,
    term_end: Option<NaiveDate>,
) -> anyhow::Result<()> {
    let due = "LEAST(make_date(extract(year FROM anchor_date)::int, 12, 31), coalesce($2, make_date(extract(year FROM anchor_date)::int, 12, 31)))";
    let before: Vec<(Uuid, NaiveDate, String)> = sqlx::query_as(&format!(
        "SELECT id, due_date, calendar_revision FROM obligations
         WHERE head_position_id = $1 AND kind = 'OBLIGATION_KIND_PERIODIC_DIALOGUE' AND state IN {STILL_OPEN}
           AND due_date IS DISTINCT FROM {due}
         FOR UPDATE"
    ))
    .bind(head)
    .bind(term_end)
    .fetch_all(&mut *conn)
    .await?;
    let ended: Vec<Row> = sqlx::query_as(&format!(
        "UPDATE obligations SET due_date = {due}, state = 'OBLIGATION_STATE_OPEN', updated_at = now()
         WHERE head_position_id = $1 AND kind = 'OBLIGATION_KIND_PERIODIC_DIALOGUE' AND state IN {STILL_OPEN}
         RETURNING {COLUMNS}"
    ))
    .bind(head)
    .bind(term_end)
    .fetch_all(&mut *conn)
    .await?;
    let moved = ended.iter().filter_map(|row| {
        let (_, previous_due, previous_revision) = before.iter().find(|(id, ..)| *id == row.id)?;
        let message = DeadlineRescheduled {
            obligation: Some(row.wire()),
            previous_due_date: previous_due.to_string(),
            previous_calendar_revision: previous_revision.clone(),
        };
        Some((row, message))
    });
    obligations::announce(conn, outbox, actor, "deadline_rescheduled", moved).await?;
    Ok(())
}
