//! `doithoai health ADDR`: the standard gRPC health check, with an optional wait.

use std::time::{Duration, Instant};

use clap::Args;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

#[derive(Args)]
pub struct HealthArgs {
    /// gRPC address, e.g. http://127.0.0.1:7061
    addr: String,
    /// Keep trying for this many seconds.
    #[arg(long, default_value_t = 0)]
    wait: u64,
}

pub async fn run(args: HealthArgs) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(args.wait);
    loop {
        match check(&args.addr).await {
            Ok(()) => {
                out!("{} SERVING", args.addr)?;
                return Ok(());
            }
            Err(error) if Instant::now() >= deadline => return Err(error),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

async fn check(addr: &str) -> anyhow::Result<()> {
    let channel = tonic::transport::Endpoint::from_shared(addr.to_owned())?.connect().await?;
    let mut client = HealthClient::new(channel);
    let response = client.check(HealthCheckRequest { service: String::new() }).await?.into_inner();
    anyhow::ensure!(response.status == ServingStatus::Serving as i32, "{addr} is not serving");
    Ok(())
}
