//! `doithoai`: the operator's command line. It grows a subcommand for every
//! workflow; today: development tokens, the unit directory, health checks.

mod client;
mod dev;
mod health;
mod units;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "doithoai", version, about = "Operate doithoai: dialogue conferences and their deadlines")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Development helpers (local signing key).
    #[command(subcommand)]
    Dev(dev::DevCommand),
    /// The directory of administrative units.
    #[command(subcommand)]
    Units(units::UnitsCommand),
    /// Checks that a service answers gRPC health checks.
    Health(health::HealthArgs),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(command) => dev::run(command),
        Command::Units(command) => units::run(command).await,
        Command::Health(args) => health::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("doithoai: {error:#}");
            ExitCode::FAILURE
        }
    }
}
