//! The sweeper: stored due dates, never in-memory timers. Every interval it
//! moves open obligations whose state the date has changed (DUE_SOON,
//! OVERDUE) and publishes each transition once, in the same transaction as
//! the change. After downtime it catches up on the next sweep; with two
//! replicas `FOR UPDATE SKIP LOCKED` gives each row to one of them.

use std::time::Duration;

use chrono::Datelike;

use doithoai_proto::deadlines::v1::{DeadlineDueSoon, DeadlineOverdue, DeadlineReminder, ObligationState as State};
use doithoai_runtime::{Clock, events::Event, outbox::Outbox};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    calendars::Calendars,
    domain,
    obligations::{self, Row},
};

const BATCH: i64 = 500;

pub struct Sweeper {
    pub pool: PgPool,
    pub periods: crate::reports_due::ReportPeriods,
    pub calendars: Calendars,
    pub outbox: Outbox,
    pub clock: Clock,
    pub interval: Duration,
    pub due_soon_working_days: u32,
}

impl Sweeper {
    pub async fn run(self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            loop {
                match self.sweep().await {
                    Ok(changed) if changed as i64 == BATCH => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "sweep failed; retrying next interval");
                        break;
                    }
                }
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(self.interval) => {}
                // A rehearsal moved the clock: sweep its new day now.
                () = self.clock.moved() => {}
            }
        }
    }

    /// One reminder a working day for each due-soon or overdue obligation.
    async fn remind(&self, calendar: &doithoai_calendar::Calendar, today: chrono::NaiveDate) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        let rows = obligations::lock_unreminded(&mut tx, today, BATCH).await?;
        for row in &rows {
            let left = calendar.working_days_between(today, row.due_date).unwrap_or(0);
            obligations::reminded(&mut tx, row.id, today).await?;
            let reminder = DeadlineReminder { obligation: Some(row.wire()), working_days_left: left as i32 };
            let event = Event::new("deadline_reminder", row.id.to_string(), row.unit_path.clone(), &reminder);
            self.outbox.append(&mut tx, "deadlines-sweeper", &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The figures dashboards and alerts read, with label sets bounded by
    /// the kinds, the states and the provinces: obligations still owed by
    /// the tier of the unit that owes them and by province, the on-time
    /// rate by kind, and the heads still owing this year's dialogue.
    async fn record_gauges(&self, year: i32) -> anyhow::Result<()> {
        let mut conn = self.pool.acquire().await?;
        for (tier, kind, open, overdue) in obligations::open_by_tier(&mut conn).await? {
            let kind = kind_label(&kind);
            metrics::gauge!("doithoai_obligations_open", "tier" => tier.clone(), "kind" => kind.clone())
                .set(open as f64);
            metrics::gauge!("doithoai_obligations_overdue", "tier" => tier, "kind" => kind).set(overdue as f64);
        }
        for (province, kind, state, count) in obligations::owed_by_province(&mut conn).await? {
            let state = state.trim_start_matches("OBLIGATION_STATE_").to_lowercase();
            metrics::gauge!("doithoai_obligations_owed", "province" => province, "kind" => kind_label(&kind), "state" => state)
                .set(count as f64);
        }
        for (kind, on_time, counted) in obligations::on_time_by_kind(&mut conn).await? {
            if counted > 0 {
                metrics::gauge!("doithoai_obligations_on_time_ratio", "kind" => kind_label(&kind))
                    .set(on_time as f64 / counted as f64);
            }
        }
        for (province, heads) in obligations::heads_without_dialogue(&mut conn, year).await? {
            metrics::gauge!("doithoai_heads_without_dialogue", "province" => province).set(heads as f64);
        }
        Ok(())
    }

    /// One pass over a batch of obligations that may have changed state by
    /// today; returns how many rows it looked at.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        // Another replica may have loaded an announcement.
        self.calendars.refresh(&self.pool).await?;
        let calendar = &*self.calendars.current();
        let today = self.clock.today();
        // A new year, or a new head, brings its periodic dialogue (R6.2).
        // Each in a transaction of its own, with the ObligationOpened events it
        // publishes: one for all would hold the counters' row locks of every
        // unit at once, against the consumers that change the same counters.
        let mut tx = self.pool.begin().await?;
        crate::periodic::ensure(&mut tx, calendar, &self.outbox, today.year(), None).await?;
        tx.commit().await?;
        let mut tx = self.pool.begin().await?;
        crate::reports_due::ensure(&mut tx, calendar, &self.outbox, &self.periods, today.year(), None).await?;
        tx.commit().await?;
        // Only rows whose state the date changes: past due and not yet
        // overdue, or open and within the due-soon window.
        let window = calendar.add_working_days(today, self.due_soon_working_days).unwrap_or(today);
        let mut tx = self.pool.begin().await?;
        let rows = obligations::lock_changing_state(&mut tx, today, window, BATCH).await?;
        let mut changed = 0;
        for mut row in rows.iter().cloned() {
            let state = domain::state_on(calendar, row.due_date, today, self.due_soon_working_days)?;
            if state == row.state() {
                continue;
            }
            row.state = state.as_str_name().to_owned();
            // A due date that moved may bring an obligation back to a state it
            // was announced in: it changes, and is not announced again.
            let announce = domain::first_reached(state, row.announced());
            if announce {
                row.announced_state = row.state.clone();
            }
            obligations::set_state(&mut tx, &row).await?;
            if announce {
                self.outbox.append(&mut tx, "deadlines-sweeper", &transition(&row, state)).await?;
                if state == State::Overdue {
                    let province = row.unit_path.first().cloned().unwrap_or_default();
                    metrics::counter!("doithoai_obligations_became_overdue_total", "province" => province, "kind" => kind_label(&row.kind))
                        .increment(1);
                }
            }
            changed += 1;
        }
        tx.commit().await?;
        if calendar.is_working_day(today).unwrap_or(false) {
            self.remind(calendar, today).await?;
        }
        if changed > 0 {
            tracing::info!(changed, %today, "obligations moved");
        }
        metrics::gauge!("doithoai_sweep_last_run_timestamp_seconds").set(chrono::Utc::now().timestamp() as f64);
        self.record_gauges(today.year()).await?;
        Ok(rows.len())
    }
}

/// `OBLIGATION_KIND_AGENCY_RESPONSE` → `agency_response`, as metrics label it.
fn kind_label(kind: &str) -> String {
    kind.trim_start_matches("OBLIGATION_KIND_").to_lowercase()
}

/// The event of an obligation reaching DUE_SOON or OVERDUE.
fn transition(row: &Row, state: State) -> Event {
    let obligation = Some(row.wire());
    let (id, path) = (row.id.to_string(), row.unit_path.clone());
    match state {
        State::Overdue => Event::new("deadline_overdue", id, path, &DeadlineOverdue { obligation }),
        _ => Event::new("deadline_due_soon", id, path, &DeadlineDueSoon { obligation }),
    }
}
