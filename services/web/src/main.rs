//! `doithoai-web`: settings, telemetry, start, serve until a signal.

use std::process::ExitCode;

use doithoai_runtime::{Clock, Settings, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load(doithoai_web::PORTS) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("doithoai-web: {error:#}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = telemetry::init(&settings.telemetry, doithoai_web::SERVICE) {
        eprintln!("doithoai-web: {error:#}");
        return ExitCode::from(2);
    }
    let running = match doithoai_web::start(settings, Clock::system()).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("doithoai-web: {error:#}");
            return ExitCode::from(2);
        }
    };
    let _ = tokio::signal::ctrl_c().await;
    match running.stop().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "stopped with an error");
            ExitCode::FAILURE
        }
    }
}
