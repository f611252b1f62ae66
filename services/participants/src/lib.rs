//! The participants service: who takes part in a conference and in what order citizens speak.
//! It keeps its own replica of the unit directory for scope checks.

use doithoai_runtime::{Api, Clock, Platform, RunningService, Settings, db};

pub const SERVICE: &str = "participants";

pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningService> {
    let migrations = vec![db::plumbing_migrations(), db::unit_replica_migrations()];
    let mut platform = Platform::connect(SERVICE, settings, clock, migrations).await?;
    let units = platform.keep_unit_replica();
    platform.serve(Api::new().with(units)).await
}
