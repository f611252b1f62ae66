//! The participants service: who takes part in a conference and in what
//! order citizens speak (R2.3, R2.4, R7.4, R8.3, R9.2). It holds citizens'
//! personal data, so it is where data protection is strictest: names and
//! phones stay in its database and leave it only for the office, the
//! secretary and the host; logs, events and audit entries carry ids.

mod api;
pub mod domain;
mod privacy;
mod replica;
mod store;

use doithoai_proto::participants::v1::participants_server::ParticipantsServer;
use doithoai_runtime::{Api, Clock, Platform, RunningService, Settings, db, settings::Ports};

pub const SERVICE: &str = "participants";
pub const PORTS: Ports = Ports { grpc: 7062, metrics: 9162, public: 8062 };

pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningService> {
    let identity = privacy::IdentityKey::from_settings(settings.section("privacy")?)?;
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
    let participants =
        api::ParticipantsApi::new(platform.pool.clone(), platform.outbox.clone(), identity, platform.clock.clone());
    let api = Api::new().with(units).with(doithoai_runtime::guarded!(platform, ParticipantsServer, participants));
    platform.serve(api).await
}
