//! `doithoai demo seed`: a plausible year of a province's dialogues, played
//! through the services' public gRPC APIs (which must run with an adjustable
//! clock, as `deploy/local/run` starts them).

use std::path::PathBuf;

use anyhow::Context;
use chrono::Datelike;
use clap::{Args, Subcommand};
use doithoai_demo::{plan, seed};
use doithoai_runtime::{auth::TokenSigner, time::local_date};
use indicatif::{ProgressBar, ProgressStyle};

use crate::client::Service;

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Seeds a year: posts, agencies, annual plans, every head's periodic
    /// dialogue, regular and ad hoc conferences, registrations and speakers
    /// (fictitious names), petitions, notices,
    /// acknowledgements, responses on time and late, escalations, reports.
    Seed(SeedArgs),
}

#[derive(Args)]
pub struct SeedArgs {
    /// The unit whose subtree is seeded (its units must be imported).
    #[arg(long, default_value = "33")]
    root: String,
    /// The year to play (it must be over); default: last year.
    #[arg(long)]
    year: Option<i32>,
    /// The same seed gives the same year.
    #[arg(long, default_value_t = 1548)]
    seed: u64,
    /// Ed25519 key that signs the tokens of the offices, heads, secretaries and agencies it acts as.
    #[arg(long, env = "DOITHOAI_DEV_SIGNING_KEY", default_value = "deploy/local/dev-keys/signing.pem")]
    key: PathBuf,
}

pub async fn run(command: DemoCommand) -> anyhow::Result<()> {
    let DemoCommand::Seed(args) = command;
    let pem = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read signing key {}", args.key.display()))?;
    let signer = TokenSigner::from_private_pem(&pem, "doithoai")?;
    let endpoints = seed::Endpoints {
        scheduling: Service::Scheduling.address(),
        participants: Service::Participants.address(),
        minutes: Service::Minutes.address(),
        deadlines: Service::Deadlines.address(),
    };
    let today = local_date(chrono::Utc::now());
    let year = args.year.unwrap_or(today.year() - 1);
    let units = seed::units(&endpoints, &signer, &args.root).await?;
    // Up to yesterday: nothing is played later in the day than now.
    let until = today.pred_opt().unwrap_or(today);
    let plan = plan::plan(&units, year, args.seed, until).map_err(|e| crate::UsageError(format!("{e:#}")))?;
    out!(
        "{year} for {} {} (seed {}): {} units, {} posts, {} conferences, {} petitions",
        units[0].code,
        units[0].name,
        args.seed,
        units.len(),
        plan.posts.len(),
        plan.conferences.len(),
        plan.petitions()
    )?;

    let progress = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} steps ({eta})").expect("a valid template"),
    );
    progress.set_message("playing the year");
    let seeded = seed::seed(&plan, &endpoints, &signer, |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })
    .await;
    progress.finish_and_clear();
    let seeded = seeded?;
    out!(
        "seeded in {} steps: {} conferences, {} registrations, {} speakers heard, {} agencies invited, {} petitions, \
         {} conclusion notices, {} responses, {} escalations, {} reports filed",
        seeded.steps,
        seeded.conferences,
        seeded.participants,
        seeded.speakers,
        seeded.invitations,
        seeded.petitions,
        seeded.notices,
        seeded.responses,
        seeded.escalations,
        seeded.reports
    )?;
    out!(
        "the year's report: doithoai deadlines report --unit {} --from {year}-01-01 --to {year}-12-31",
        units[0].code
    )?;
    Ok(())
}
