//! One of the four services, named by its first argument, run exactly as its
//! own binary runs it (settings from `DOITHOAI_CONFIG` and the environment,
//! SIGTERM to stop). The fault tests start services as processes through it,
//! so that they can kill one with SIGKILL mid-load.
use std::process::ExitCode;

use doithoai_runtime::server::main as serve;

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("scheduling") => {
            serve(doithoai_scheduling::SERVICE, doithoai_scheduling::PORTS, doithoai_scheduling::start).await
        }
        Some("participants") => {
            serve(doithoai_participants::SERVICE, doithoai_participants::PORTS, doithoai_participants::start).await
        }
        Some("minutes") => serve(doithoai_minutes::SERVICE, doithoai_minutes::PORTS, doithoai_minutes::start).await,
        Some("deadlines") => {
            serve(doithoai_deadlines::SERVICE, doithoai_deadlines::PORTS, doithoai_deadlines::start).await
        }
        _ => {
            eprintln!("usage: doithoai-test-service scheduling|participants|minutes|deadlines");
            ExitCode::from(2)
        }
    }
}
