//! `doithoai-load`: the command line of the project's load tool.

use std::{path::PathBuf, sync::Arc, time::Duration};

use clap::{Args, Parser, Subcommand};
use doithoai_load::{cycles, drive, pages, petitions, reads, registrations, report};

#[derive(Parser)]
#[command(name = "doithoai-load", version, about = "Load a running doithoai and measure it")]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
    #[command(flatten)]
    shape: ShapeArgs,
}

#[derive(Subcommand)]
enum Workload {
    /// The web's pages: public (a unit's conferences, a conference, a
    /// petition's status and its Open311 JSON, figures) and, signed in, the
    /// oversight dashboards; every page kind an equal share.
    Pages(pages::PagesArgs),
    /// Petitions recorded by the secretaries, over N conferences held at once
    /// (`--conferences 1`: all on one); each one answered OK is checked in the
    /// minutes afterwards. Moves the services' clocks ten days on.
    Petitions(petitions::PetitionsArgs),
    /// Citizens registered by the secretaries for N conferences announced at
    /// once (`--conferences 1`: all on one); each conference's attendance is
    /// checked against them afterwards.
    Registrations(registrations::RegistrationsArgs),
    /// The overseers' reads (GetSummary, ListObligations, ListConferences;
    /// `--reports` adds GetReport) of the province and its communes in turn,
    /// over the year the stack holds.
    Reads(reads::ReadsArgs),
    /// Whole conferences, each from its first petition to its agency's last
    /// written response (petitions, conclusion, signatures, end, conclusion
    /// notice, acknowledgement, responses), N at once; afterwards each is
    /// checked in its minutes and in the deadlines service's obligations.
    /// A closed loop of at most one caller per conference. Moves the
    /// services' clocks ten days on.
    Cycles(cycles::CyclesArgs),
}

#[derive(Args)]
struct ShapeArgs {
    /// Closed loop: this many callers, each sending its next request when the last is answered.
    #[arg(long, global = true, default_value_t = 8, conflicts_with = "rate")]
    concurrency: usize,
    /// Open loop: this many requests a second, whatever the answers.
    #[arg(long, global = true)]
    rate: Option<f64>,
    /// How long to measure (after the warm-up).
    #[arg(long, global = true, default_value = "30s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// How long to load without measuring first.
    #[arg(long, global = true, default_value = "5s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Where to write the JSON report (besides standard output).
    #[arg(long, global = true)]
    json: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let shape = match cli.shape.rate {
        Some(rate) if rate > 0.0 => drive::Shape::Open { rate },
        Some(_) => anyhow::bail!("--rate must be positive"),
        None => drive::Shape::Closed { concurrency: cli.shape.concurrency.max(1) },
    };
    let plan = drive::Plan { shape, warmup: cli.shape.warmup, duration: cli.shape.duration };
    let report = match cli.workload {
        Workload::Pages(args) => {
            let pages = Arc::new(pages::Pages::discover(&args).await?);
            eprintln!("{}", pages.describe());
            report::Report::new("pages", &plan, &drive::drive(pages, &plan).await)
        }
        Workload::Petitions(args) => {
            let petitions = Arc::new(petitions::Petitions::prepare(&args).await?);
            eprintln!("{}", petitions.describe());
            let outcome = drive::drive(petitions.clone(), &plan).await;
            let mut report = report::Report::new("petitions", &plan, &outcome);
            let (verified, events) = petitions.verify().await?;
            report.verified = Some(verified);
            report.events = Some(events);
            report
        }
        Workload::Registrations(args) => {
            let registrations = Arc::new(registrations::Registrations::prepare(&args).await?);
            eprintln!("{}", registrations.describe());
            let outcome = drive::drive(registrations.clone(), &plan).await;
            let mut report = report::Report::new("registrations", &plan, &outcome);
            report.verified = Some(registrations.verify().await?);
            report
        }
        Workload::Cycles(args) => {
            // A conference's steps are taken in order, by one caller at a time.
            let drive::Shape::Closed { concurrency } = shape else {
                anyhow::bail!("cycles runs in a closed loop (--concurrency), not at a rate")
            };
            anyhow::ensure!(
                concurrency <= args.stack.conferences,
                "cycles: --concurrency {concurrency} is more than the {} conferences (one caller a conference)",
                args.stack.conferences
            );
            let cycles = Arc::new(cycles::Cycles::prepare(&args).await?);
            eprintln!("{}", cycles.describe());
            let outcome = drive::drive(cycles.clone(), &plan).await;
            let mut report = report::Report::new("cycles", &plan, &outcome);
            report.verified = Some(cycles.verify().await?);
            report
        }
        Workload::Reads(args) => {
            let reads = Arc::new(reads::Reads::prepare(&args).await?);
            eprintln!("{}", reads.describe());
            report::Report::new("reads", &plan, &drive::drive(reads, &plan).await)
        }
    };
    eprintln!("{}", report.table());
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &cli.shape.json {
        std::fs::write(path, &json)?;
    }
    println!("{json}");
    Ok(())
}
