//! `doithoai`: the operator's command line. It grows a subcommand for every
//! workflow: development tokens, the unit directory, health checks, the
//! conference lifecycle, minutes, deadlines, the calendar, the demo year, the
//! rehearsals' clock and the streams' backups.

/// `println!` that returns the write's error instead of panicking: output
/// piped into `head` that closed early ends the command quietly (see `main`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

/// Sends a create with its request id (set where the request is built), and
/// again while the service is unavailable: AIP-155 makes the retry return the
/// first result, so a command that lost its answer never records twice.
macro_rules! sent {
    ($client:expr, $method:ident, $request:expr) => {{
        let client = &$client;
        let request = $request;
        doithoai_runtime::idempotency::retrying(|| {
            let (mut client, request) = (client.clone(), request.clone());
            async move { client.$method(request).await }
        })
        .await
    }};
}

mod calendar;
mod client;
mod clock;
mod deadlines;
mod demo;
mod dev;
mod health;
mod minutes;
mod participants;
mod scheduling;
mod streams;
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
    /// Posts (heads and deputies), offices and agencies.
    #[command(subcommand)]
    Directory(scheduling::DirectoryCommand),
    /// The conference lifecycle: create, announce, start, extend, end, cancel, postpone.
    #[command(subcommand)]
    Conference(Box<scheduling::ConferenceCommand>),
    /// Registration, the speaker queue, refusals, invitations and check-in.
    #[command(subcommand)]
    Participant(Box<participants::ParticipantCommand>),
    /// The minutes, petitions, conclusion notice, responses and escalations.
    #[command(subcommand)]
    Minutes(Box<minutes::MinutesCommand>),
    /// Obligations, their summary, the overdue leaderboard and late announcements.
    #[command(subcommand)]
    Deadlines(deadlines::DeadlinesCommand),
    /// Annual plans and the periodic-dialogue report.
    #[command(subcommand)]
    Plan(scheduling::PlanCommand),
    /// Vietnam's legal calendar: working days, days off, lunar dates.
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
    /// A plausible, deterministic year of dialogues for the local stack.
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// The services' simulated clocks, for rehearsals (never production).
    #[command(subcommand)]
    Clock(clock::ClockCommand),
    /// Backups of the JetStream streams, with their consumers (deploy/local/drill).
    #[command(subcommand)]
    Streams(streams::StreamsCommand),
}

/// Bad input from the operator: a one-line message and exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(command) => dev::run(command),
        Command::Units(command) => units::run(command).await,
        Command::Health(args) => health::run(args).await,
        Command::Calendar(command) => calendar::run(command),
        Command::Directory(command) => scheduling::directory(command).await,
        Command::Conference(command) => scheduling::conference(*command).await,
        Command::Plan(command) => scheduling::plan(command).await,
        Command::Participant(command) => participants::run(*command).await,
        Command::Minutes(command) => minutes::run(*command).await,
        Command::Deadlines(command) => deadlines::run(command).await,
        Command::Demo(command) => demo::run(command).await,
        Command::Clock(command) => clock::run(command).await,
        Command::Streams(command) => streams::run(command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // Output piped into `head` that closed early is not an error.
        Err(error)
            if error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) if error.is::<UsageError>() => {
            eprintln!("doithoai: {error}");
            ExitCode::from(2)
        }
        Err(error) => {
            eprintln!("doithoai: {error:#}");
            ExitCode::FAILURE
        }
    }
}
