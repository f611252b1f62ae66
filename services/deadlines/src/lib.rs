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
mod successions;
pub mod summary;
mod sweeper;

use std::time::Duration;

use doithoai_proto::deadlines::v1::deadlines_server::DeadlinesServer;
use doithoai_runtime::{Api, Clock, Platform, RunningService, Settings, consumer::Independent, db, settings::Ports};
use serde::Deserialize;

pub const SERVICE: &str = "deadlines";
pub const PORTS: Ports = Ports { grpc: 7064, metrics: 9164, public: 8064 };

/// The service's own settings, section `deadlines`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DeadlineSettings {
    /// How often the sweeper looks for obligations whose state changed.
    pub sweep_interval_ms: u64,
    /// An open obligation is DUE_SOON this many working days before its due date.
    pub due_soon_working_days: u32,
    /// R13.1: the last day of the first half-year's reporting period, as MM-DD.
    pub report_half_year_end: String,
    /// …and of the year's.
    pub report_year_end: String,
    /// Working days after a period's end within which its report is due.
    pub report_due_working_days: u32,
}

impl Default for DeadlineSettings {
    fn default() -> Self {
        Self {
            sweep_interval_ms: 60_000,
            due_soon_working_days: 3,
            report_half_year_end: "06-30".into(),
            report_year_end: "12-31".into(),
            report_due_working_days: 10,
        }
    }
}

/// The service's migrations, with the plumbing's and the unit replica's.
pub fn migrations() -> Vec<sqlx::migrate::Migrator> {
    vec![db::plumbing_migrations(), doithoai_directory::unit_migrations(), sqlx::migrate!()]
}

pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningService> {
    let own: DeadlineSettings = settings.section("deadlines")?;
    let migrations = migrations();
    let mut platform = Platform::connect(SERVICE, settings, clock, migrations).await?;
    doithoai_directory::check_caller_units(&mut platform);
    let calendars = calendars::Calendars::new();
    calendars.refresh(&platform.pool).await?;
    let periods = reports_due::ReportPeriods {
        half_year_end: own.report_half_year_end.clone(),
        year_end: own.report_year_end.clone(),
        due_working_days: own.report_due_working_days,
    };
    periods.end(doithoai_proto::deadlines::v1::ObligationKind::ReportHalfYear, 2026)?;
    periods.end(doithoai_proto::deadlines::v1::ObligationKind::ReportYear, 2026)?;
    let clocks = handlers::ConferenceClocks { calendars: calendars.clone(), outbox: platform.outbox.clone() };
    let heads = periodic::HeadsReplica {
        calendars: calendars.clone(),
        periods: periods.clone(),
        outbox: platform.outbox.clone(),
    };
    let successions = successions::Successions { outbox: platform.outbox.clone() };
    let units = doithoai_directory::keep_replica(&mut platform, (clocks, (heads, successions)));
    let petitions = handlers::PetitionClocks {
        outbox: platform.outbox.clone(),
        calendars: calendars.clone(),
        clock: platform.clock.clone(),
        due_soon_working_days: own.due_soon_working_days,
    };
    // The facts are tables of their own, which the clocks never read.
    platform.consume("minutes", Independent(facts::PetitionFacts, petitions));
    let sweeper = sweeper::Sweeper {
        periods,
        pool: platform.pool.clone(),
        calendars: calendars.clone(),
        outbox: platform.outbox.clone(),
        clock: platform.clock.clone(),
        interval: Duration::from_millis(own.sweep_interval_ms),
        due_soon_working_days: own.due_soon_working_days,
    };
    platform.run_in_background(|stop| sweeper.run(stop));
    let deadlines = doithoai_runtime::guarded!(
        platform,
        DeadlinesServer,
        api::DeadlinesApi {
            pool: platform.pool.clone(),
            outbox: platform.outbox.clone(),
            calendars,
            clock: platform.clock.clone(),
            due_soon_working_days: own.due_soon_working_days,
        }
    );
    platform.serve(Api::new().with(units).with(deadlines)).await
}
