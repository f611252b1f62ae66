//! The scheduling service: the directory of units (and, as it grows, heads,
//! agencies, annual plans and conferences). It owns who may hold a dialogue
//! and when, and publishes what the other services need to know.

mod directory;

use doithoai_proto::directory::v1::unit_directory_server::UnitDirectoryServer;
use doithoai_runtime::{Api, Platform, RunningService, Settings, db};

pub const SERVICE: &str = "scheduling";

pub async fn start(settings: Settings) -> anyhow::Result<RunningService> {
    let migrations = vec![db::plumbing_migrations(), sqlx::migrate!()];
    let platform = Platform::connect(SERVICE, settings, migrations).await?;
    let directory = directory::Directory::new(platform.pool.clone(), platform.outbox);
    let api = Api::new().with(UnitDirectoryServer::with_interceptor(directory, platform.authenticator()));
    platform.serve(api).await
}
