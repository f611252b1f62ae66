//! `doithoai demo seed`: a plausible year of a province's dialogues, played
//! through the services' public gRPC APIs (which must run with an adjustable
//! clock, as `deploy/local/run` starts them).

use std::path::PathBuf;

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use clap::{Args, Subcommand};
use doithoai_demo::{history, plan, seed};
use doithoai_runtime::{auth::TokenSigner, time::local_date};
use indicatif::{ProgressBar, ProgressStyle};

use crate::client::Service;

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Seeds a year (or every year from --from, across a reorganisation):
    /// posts, agencies, annual plans, every head's periodic
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
    #[arg(long, conflicts_with = "from")]
    year: Option<i32>,
    /// Plays every year from this one up to yesterday instead, one after the other.
    #[arg(long)]
    from: Option<i32>,
    /// A newer list of whole provinces (with legacy_sources) applied as a
    /// reorganisation on its day: the years after it are played on its units,
    /// and the open work of the units it ends is finished by their successors.
    /// Repeat it for several, each with its --decision and --effective.
    #[arg(long, requires_all = ["from", "decision", "effective"])]
    reorganise: Vec<PathBuf>,
    /// The reorganisation's decision, e.g. 202/2025/QH15 (one per --reorganise, in order).
    #[arg(long)]
    decision: Vec<String>,
    /// The reorganisation's day (YYYY-MM-DD): its units begin that day (one per --reorganise).
    #[arg(long)]
    effective: Vec<NaiveDate>,
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
    let units = seed::units(&endpoints, &signer, &args.root).await?;
    // Up to yesterday: nothing is played later in the day than now.
    let until = today.pred_opt().unwrap_or(today);
    let usage = |e: anyhow::Error| crate::UsageError(format!("{e:#}"));
    if args.decision.len() != args.reorganise.len() || args.effective.len() != args.reorganise.len() {
        return Err(usage(anyhow::anyhow!("each --reorganise needs its own --decision and --effective")).into());
    }
    let mut changes = Vec::new();
    for ((file, decision), effective) in args.reorganise.iter().zip(args.decision).zip(args.effective) {
        changes.push(history::Change { decision, effective, rows: crate::units::read_rows(file)? });
    }
    let plans = match args.from {
        Some(from) => history::history(&units, &changes, from, args.seed, until).map_err(usage)?,
        None => vec![plan::plan(&units, args.year.unwrap_or(today.year() - 1), args.seed, until).map_err(usage)?],
    };
    for plan in &plans {
        play(plan, &endpoints, &signer).await?;
    }
    let (first, last) = (plans.first().map_or(0, |p| p.year), plans.last().map_or(0, |p| p.year));
    out!(
        "the years' report: doithoai deadlines report --unit {} --from {first}-01-01 --to {last}-12-31",
        units[0].code
    )?;
    Ok(())
}

/// Plays one year's plan, with its progress.
async fn play(plan: &plan::Plan, endpoints: &seed::Endpoints, signer: &TokenSigner) -> anyhow::Result<()> {
    let root = &plan.units[0];
    out!(
        "{} for {} {} (seed {}): {} units, {} posts, {} conferences, {} petitions{}",
        plan.year,
        root.code,
        root.name,
        plan.seed,
        plan.units.len(),
        plan.posts.len(),
        plan.conferences.len(),
        plan.petitions(),
        plan.reorganisations
            .iter()
            .map(|r| format!("; {} applied on {}, {} units end", r.decision, r.effective, r.ended.len()))
            .collect::<String>()
    )?;
    let progress = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} steps ({eta})").expect("a valid template"),
    );
    progress.set_message(format!("playing {}", plan.year));
    let seeded = seed::seed(plan, endpoints, signer, |done, total| {
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
    Ok(())
}
