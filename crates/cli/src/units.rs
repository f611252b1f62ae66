//! `doithoai units import FILE`, `doithoai units reorganise FILE` and
//! `doithoai units tree CODE`.

use std::{io::Write, path::PathBuf};

use anyhow::Context;
use clap::Subcommand;
use doithoai_directory::units::wire_row;
use doithoai_proto::{
    common::v1::{PageRequest, Tier as WireTier},
    directory::v1::{
        GetSubtreeRequest, ImportUnitsRequest, ReorganiseUnitsRequest, UnitRow,
        unit_directory_client::UnitDirectoryClient,
    },
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::client::{Connection, Service, explain};

const CHUNK_ROWS: usize = 500;

#[derive(Subcommand)]
pub enum UnitsCommand {
    /// Imports a GSO unit list (code,name,tier,parent_code,type[,legacy_sources]).
    /// All or nothing: a bad line is named and nothing is imported.
    Import {
        file: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Applies a newer list of whole provinces with legacy_sources as a
    /// reorganisation dated by its decision (the root administrator only):
    /// the units it ends and their successors are printed first; with
    /// --dry-run nothing is applied. Applying it again changes nothing.
    Reorganise {
        file: PathBuf,
        /// The decision's number, e.g. 202/2025/QH15.
        #[arg(long)]
        decision: String,
        /// The day the new units begin (YYYY-MM-DD).
        #[arg(long)]
        effective: String,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        connection: Connection,
    },
    /// Prints a unit and everything below it.
    Tree {
        code: String,
        #[command(flatten)]
        connection: Connection,
    },
}

pub async fn run(command: UnitsCommand) -> anyhow::Result<()> {
    match command {
        UnitsCommand::Import { file, connection } => import(&file, &connection).await,
        UnitsCommand::Reorganise { file, decision, effective, dry_run, connection } => {
            reorganise(&file, decision, effective, dry_run, &connection).await
        }
        UnitsCommand::Tree { code, connection } => tree(&code, &connection).await,
    }
}

/// The rows of a unit list, or every bad line named.
pub(crate) fn read_rows(file: &PathBuf) -> anyhow::Result<Vec<UnitRow>> {
    let reader = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let records = doithoai_units::read_units_csv(reader).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {}:{e}", file.display())).collect();
        anyhow::anyhow!("{} problem(s); nothing was imported:\n{}", errors.len(), lines.join("\n"))
    })?;
    Ok(records.into_iter().map(wire_row).collect())
}

async fn import(file: &PathBuf, connection: &Connection) -> anyhow::Result<()> {
    let rows = read_rows(file)?;

    let progress = ProgressBar::new(rows.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} units").expect("a valid template"),
    );
    progress.set_message("sending");
    let bar = progress.clone();
    let chunks: Vec<Vec<UnitRow>> = rows.chunks(CHUNK_ROWS).map(<[UnitRow]>::to_vec).collect();
    let outbound = tokio_stream::iter(chunks.into_iter().map(move |chunk| {
        bar.inc(chunk.len() as u64);
        ImportUnitsRequest { rows: chunk }
    }));
    let mut client = UnitDirectoryClient::new(connection.channel(Service::Scheduling).await?);
    let result = client.import_units(outbound).await;
    progress.finish_and_clear();
    let response = result.map_err(explain)?.into_inner();
    let superseded = match response.superseded {
        0 => String::new(),
        n => format!(", {n} kept as a later reorganisation left them"),
    };
    out!(
        "{}: {} received, {} created, {} updated, {} unchanged{superseded}",
        file.display(),
        response.received,
        response.created,
        response.updated,
        response.unchanged
    )?;
    Ok(())
}

async fn reorganise(
    file: &PathBuf,
    decision_number: String,
    effective_date: String,
    dry_run: bool,
    connection: &Connection,
) -> anyhow::Result<()> {
    let rows = read_rows(file)?;
    let first = ReorganiseUnitsRequest { decision_number, effective_date, dry_run, rows: Vec::new() };
    let chunks =
        rows.chunks(CHUNK_ROWS).map(|rows| ReorganiseUnitsRequest { rows: rows.to_vec(), ..Default::default() });
    let outbound = tokio_stream::iter(std::iter::once(first).chain(chunks).collect::<Vec<_>>());
    let mut client = UnitDirectoryClient::new(connection.channel(Service::Scheduling).await?);
    let plan = client.reorganise_units(outbound).await.map_err(explain)?.into_inner();
    for ended in &plan.retired {
        out!("ends {}: succeeded by {}", ended.code, ended.successor_codes.join(", "))?;
    }
    for created in &plan.created_codes {
        out!("begins {created}")?;
    }
    let nothing = plan.created_codes.is_empty() && plan.continued_codes.is_empty() && plan.retired.is_empty();
    let verdict = match (plan.applied, dry_run) {
        (true, _) => "applied",
        (false, _) if nothing => "already applied: nothing changes",
        (false, _) => "planned only (--dry-run)",
    };
    out!(
        "{} ({}, from {}): {} received, {} begin, {} go on, {} end, {} unchanged; {verdict}",
        file.display(),
        plan.decision_number,
        plan.effective_date,
        plan.received,
        plan.created_codes.len(),
        plan.continued_codes.len(),
        plan.retired.len(),
        plan.unchanged
    )?;
    Ok(())
}

async fn tree(code: &str, connection: &Connection) -> anyhow::Result<()> {
    let mut client = UnitDirectoryClient::new(connection.channel(Service::Scheduling).await?);
    let mut page_token = String::new();
    let mut root_depth = None;
    let mut out = std::io::stdout().lock();
    loop {
        let request = GetSubtreeRequest {
            code: code.to_owned(),
            page: Some(PageRequest { page_size: 1000, page_token }),
            ..Default::default()
        };
        let response = client.get_subtree(request).await.map_err(explain)?.into_inner();
        for unit in &response.units {
            let depth = unit.path.len();
            let indent = "  ".repeat(depth - *root_depth.get_or_insert(depth));
            let tier = WireTier::try_from(unit.tier).map_or("?", |t| t.as_str_name().trim_start_matches("TIER_"));
            let ended = match unit.valid_to.as_str() {
                "" => String::new(),
                to => format!(" — ended {to}, succeeded by {}", unit.successor_codes.join(", ")),
            };
            writeln!(out, "{indent}{} {} ({}, {}){ended}", unit.code, unit.name, unit.kind, tier.to_lowercase())?;
        }
        page_token = response.page.map(|p| p.next_page_token).unwrap_or_default();
        if page_token.is_empty() {
            return Ok(());
        }
    }
}
