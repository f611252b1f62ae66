//! The participants service: who takes part in a conference and in what
//! order citizens speak (R2.3, R2.4, R7.4, R8.3, R9.2). It holds citizens'
//! personal data, so it is where data protection is strictest: names and
//! phones stay in its database and leave it only for the office, the
//! secretary and the host; logs, events and audit entries carry ids.

mod api;
pub mod domain;
mod privacy;
mod replica;

use doithoai_proto::participants::v1::participants_server::ParticipantsServer;
use doithoai_runtime::{Api, Clock, Platform, RunningService, Settings, db};

pub const SERVICE: &str = "participants";

pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningService> {
    let identity = privacy::IdentityKey::new(settings.identity_key()?.clone());
    let migrations = vec![db::plumbing_migrations(), db::unit_replica_migrations(), sqlx::migrate!()];
    let mut platform = Platform::connect(SERVICE, settings, clock, migrations).await?;
    let units = platform.keep_unit_replica_with(replica::SchedulingReplica { outbox: platform.outbox.clone() });
    let participants = api::ParticipantsApi::new(platform.pool.clone(), platform.outbox.clone(), identity);
    let api = Api::new().with(units).with(doithoai_runtime::guarded!(platform, ParticipantsServer, participants));
    platform.serve(api).await
}
