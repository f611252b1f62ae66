//! The minutes service: what was said and decided at a conference — the
//! minutes, every petition, the answers, the host's conclusion — and what must
//! follow it: the conclusion notice, the agencies' written responses and
//! escalations (R1.2, R8.2, R8.4, R9.1, R10).

mod api;
mod documents;
pub mod domain;
mod receipt;
mod replica;
mod speakers;
mod store;

use doithoai_proto::minutes::v1::minutes_service_server::MinutesServiceServer;
use doithoai_runtime::{Api, Clock, Platform, RunningService, Settings, db, settings::Ports};

pub const SERVICE: &str = "minutes";
pub const PORTS: Ports = Ports { grpc: 7063, metrics: 9163, public: 8063 };

pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningService> {
    let speakers = speakers::Speakers::new(&settings.section("minutes")?, &settings.client_tls)?;
    let migrations = vec![
        db::plumbing_migrations(),
        doithoai_directory::unit_migrations(),
        doithoai_directory::post_migrations(),
        sqlx::migrate!(),
    ];
    let mut platform = Platform::connect(SERVICE, settings, clock, migrations).await?;
    doithoai_directory::check_caller_units(&mut platform);
    let scheduling = replica::SchedulingReplica { outbox: platform.outbox.clone() };
    let units = doithoai_directory::keep_replica(&mut platform, scheduling);
    let minutes =
        api::MinutesApi::new(platform.pool.clone(), platform.outbox.clone(), platform.clock.clone(), speakers);
    let api = Api::new().with(units).with(doithoai_runtime::guarded!(platform, MinutesServiceServer, minutes));
    platform.serve(api).await
}
