//! The deadlines service: turns the other services' events into legal
//! obligations with due dates in working days (R10.2, R10.3, R10.4), keeps
//! their state from the dates and facts with a sweeper, and tells everyone
//! what is due and what is late.

mod api;
mod calendars;
pub mod domain;
mod facts;
mod handlers;
mod obligations;
mod periodic;
pub mod report;
mod reports_due;
pub mod summary;
mod sweeper;

use std::time::Duration;

use doithoai_proto::deadlines::v1::deadlines_server::DeadlinesServer;
use doithoai_runtime::{Api, Clock, Platform, RunningService, Settings, db};

pub const SERVICE: &str = "deadlines";

/// The service's migrations, with the plumbing's and the unit replica's.
pub fn migrations() -> Vec<sqlx::migrate::Migrator> {
    vec![db::plumbing_migrations(), db::unit_replica_migrations(), sqlx::migrate!()]
}

pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningService> {
    let migrations = migrations();
    let mut platform = Platform::connect(SERVICE, settings, clock, migrations).await?;
    let calendars = calendars::Calendars::new();
    calendars.refresh(&platform.pool).await?;
    let deadlines = &platform.settings.deadlines;
    let periods = reports_due::ReportPeriods {
        half_year_end: deadlines.report_half_year_end.clone(),
        year_end: deadlines.report_year_end.clone(),
        due_working_days: deadlines.report_due_working_days,
    };
    periods.end(doithoai_proto::deadlines::v1::ObligationKind::ReportHalfYear, 2026)?;
    periods.end(doithoai_proto::deadlines::v1::ObligationKind::ReportYear, 2026)?;
    let units = platform.keep_unit_replica_with(handlers::ConferenceClocks {
        calendars: calendars.clone(),
        outbox: platform.outbox.clone(),
        heads: periodic::HeadsReplica { calendars: calendars.clone(), periods: periods.clone() },
    });
    platform
        .consume("minutes", handlers::PetitionClocks { outbox: platform.outbox.clone(), calendars: calendars.clone() });
    let sweeper = sweeper::Sweeper {
        periods,
        pool: platform.pool.clone(),
        calendars: calendars.clone(),
        outbox: platform.outbox.clone(),
        clock: platform.clock.clone(),
        interval: Duration::from_millis(platform.settings.deadlines.sweep_interval_ms),
        due_soon_working_days: platform.settings.deadlines.due_soon_working_days,
    };
    platform.run_in_background(|stop| sweeper.run(stop));
    let deadlines = doithoai_runtime::guarded!(
        platform,
        DeadlinesServer,
        api::DeadlinesApi::new(platform.pool.clone(), platform.outbox.clone(), calendars, platform.clock.clone())
    );
    platform.serve(Api::new().with(units).with(deadlines)).await
}
