//! The scheduling service: who may hold a dialogue and when. It owns the
//! directory of units, posts (heads and deputies), offices and agencies,
//! annual plans and conferences, and publishes what the other services need.

mod api;
pub mod domain;
mod public_feed;
mod store;

use doithoai_proto::{
    directory::v1::unit_directory_server::UnitDirectoryServer,
    scheduling::v1::{
        conferences_server::ConferencesServer, directory_server::DirectoryServer, plans_server::PlansServer,
    },
};
use doithoai_runtime::{Api, Clock, Platform, RunningService, Settings, db, guarded, settings::Ports};

pub const SERVICE: &str = "scheduling";
pub const PORTS: Ports = Ports { grpc: 7061, metrics: 9161, public: 8061 };

pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningService> {
    let migrations = vec![db::plumbing_migrations(), sqlx::migrate!()];
    let mut platform = Platform::connect(SERVICE, settings, clock, migrations).await?;
    doithoai_directory::check_caller_units(&mut platform);
    let (pool, outbox, clock) = (platform.pool.clone(), platform.outbox.clone(), platform.clock.clone());
    store::conferences::fill_coordinating_units(&mut *pool.acquire().await?).await?;
    let api = Api::new()
        .with(guarded!(platform, UnitDirectoryServer, api::units::Directory::new(pool.clone(), outbox.clone())))
        .with(guarded!(platform, DirectoryServer, api::posts::DirectoryApi::new(pool.clone(), outbox.clone())))
        .with(guarded!(
            platform,
            ConferencesServer,
            api::conferences::ConferencesApi::new(pool.clone(), outbox.clone(), clock.clone())
        ))
        .with(guarded!(platform, PlansServer, api::plans::PlansApi::new(pool.clone(), outbox.clone())))
        .with_http(public_feed::router(pool, clock));
    platform.serve(api).await
}
