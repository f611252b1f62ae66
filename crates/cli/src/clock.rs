//! `doithoai clock`: the four services' simulated clocks, for rehearsals and
//! the local stack. Only services started with `clock.adjustable` serve them
//! (never production); only an administrator may read or move them.

use clap::{Args, Subcommand};
use doithoai_proto::clock::v1::{GetTimeRequest, SetTimeRequest, Time, simulated_clock_client::SimulatedClockClient};
use doithoai_runtime::time::{ZONE, instant};

use crate::{
    UsageError,
    client::{Connection, Service, TlsArgs, explain, local_time},
};

const SERVICES: [(&str, Service); 4] = [
    ("scheduling", Service::Scheduling),
    ("participants", Service::Participants),
    ("minutes", Service::Minutes),
    ("deadlines", Service::Deadlines),
];

#[derive(Subcommand)]
pub enum ClockCommand {
    /// Each service's time, in Hà Nội.
    Show(ClockArgs),
    /// Moves every service's clock to a local time (2026-03-02T08:00, Hà Nội) or back to `now`;
    /// time runs on from there.
    Set {
        when: String,
        #[command(flatten)]
        args: ClockArgs,
    },
}

/// The services are found at DOITHOAI_<SERVICE>_ADDR, or the local stack's ports.
#[derive(Args)]
pub struct ClockArgs {
    /// An administrator's bearer token (see `doithoai dev token`).
    #[arg(long, env = "DOITHOAI_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
}

fn time(service: &str, time: &Time) -> anyhow::Result<String> {
    let at = time.time.as_ref().and_then(instant);
    let at = at.ok_or_else(|| anyhow::anyhow!("{service} answered without a time"))?;
    Ok(format!("{service:<13} {}", at.with_timezone(&ZONE).format("%Y-%m-%d %H:%M:%S %:z")))
}

pub async fn run(command: ClockCommand) -> anyhow::Result<()> {
    let (args, to) = match command {
        ClockCommand::Show(args) => (args, None),
        ClockCommand::Set { when, args } if when == "now" => {
            (args, Some(prost_types::Timestamp::from(std::time::SystemTime::now())))
        }
        ClockCommand::Set { when, args } => (args, Some(local_time(&when)?)),
    };
    let connection = Connection { addr: None, token: args.token, tls: args.tls };
    for (name, service) in SERVICES {
        let mut clock = SimulatedClockClient::new(connection.channel(service).await?);
        let answer = match to {
            None => clock.get_time(GetTimeRequest {}).await,
            Some(to) => clock.set_time(SetTimeRequest { time: Some(to) }).await,
        };
        let answer = answer.map_err(|status| {
            if status.code() == tonic::Code::Unimplemented {
                UsageError(format!("{name} runs on the system clock: it was not started with clock.adjustable")).into()
            } else {
                anyhow::anyhow!("{name}: {}", explain(status))
            }
        })?;
        out!("{}", time(name, &answer.into_inner())?)?;
    }
    Ok(())
}
