//! `doithoai deadlines …`: what is due and what is late, through the deadlines service.

use doithoai_runtime::idempotency::request_id;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use doithoai_proto::deadlines::v1::{
    FileReportRequest, LeaderboardRequest, ListObligationsRequest, LoadAnnouncementRequest, Obligation, ObligationKind,
    ObligationState, RenderReportRequest, ReportFormat, ReportRequest, SummaryRequest,
    deadlines_client::DeadlinesClient,
};
use doithoai_proto::scheduling::v1::Body;

use crate::client::{AuthedChannel, Connection, Service, explain, named};

#[derive(Subcommand)]
pub enum DeadlinesCommand {
    /// Obligations of a unit's subtree.
    List {
        #[arg(long)]
        unit: String,
        /// conclusion-notice, agency-response, escalation-notice, periodic-dialogue, report-half-year
        /// or report-year.
        #[arg(long)]
        kind: Option<String>,
        /// open, due-soon, overdue, met-on-time, met-late or cancelled.
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value = "")]
        organization: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Counts by state, the on-time rate and working days to meet.
    Summary {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        kind: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// The agencies with the most overdue obligations.
    Leaderboard {
        #[arg(long)]
        unit: String,
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[command(flatten)]
        connection: Connection,
    },
    /// The report of a subtree for a period (R13.1): figures, or CSV / PDF with --out.
    Report {
        #[arg(long)]
        unit: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Writes CSV (a .csv file), DOCX (a .docx file) or PDF (any other
        /// name) instead of printing figures.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The body that issues the document: party-committee (the default),
        /// peoples-council or peoples-committee.
        #[arg(long, default_value = "party-committee")]
        body: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Records that a head's report (R13.1) was filed: report-half-year or report-year.
    FileReport {
        /// The head's post (see `doithoai directory posts`).
        head: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        year: i32,
        /// YYYY-MM-DD.
        #[arg(long)]
        filed_on: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Loads a late government announcement (TOML) as a new calendar revision.
    LoadAnnouncement {
        file: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
}

async fn client(connection: &Connection) -> anyhow::Result<DeadlinesClient<AuthedChannel>> {
    Ok(DeadlinesClient::new(connection.channel(Service::Deadlines).await?))
}

fn kind(text: Option<&str>) -> anyhow::Result<i32> {
    Ok(text.map(|k| named("OBLIGATION_KIND", k, ObligationKind::from_str_name)).transpose()?.map_or(0, |k| k as i32))
}

fn line(o: &Obligation) -> String {
    let state =
        ObligationState::try_from(o.state).map_or("?", |s| s.as_str_name()).trim_start_matches("OBLIGATION_STATE_");
    let kind = ObligationKind::try_from(o.kind).map_or("?", |k| k.as_str_name()).trim_start_matches("OBLIGATION_KIND_");
    let subject = [&o.petition_id, &o.conference_id, &o.head_position_id]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_default();
    format!("{} {kind} {state} due {} ({}) {subject}", o.id, o.due_date, o.rule)
}

pub async fn run(command: DeadlinesCommand) -> anyhow::Result<()> {
    match command {
        DeadlinesCommand::List { unit, kind: k, state, organization, connection } => {
            let state = state
                .map(|s| named("OBLIGATION_STATE", &s, ObligationState::from_str_name))
                .transpose()?
                .map_or(0, |s| s as i32);
            let request = ListObligationsRequest {
                unit_code: unit,
                kind: kind(k.as_deref())?,
                state,
                organization_id: organization,
                ..Default::default()
            };
            for obligation in client(&connection)
                .await?
                .list_obligations(request)
                .await
                .map_err(explain)?
                .get_ref()
                .obligations
                .iter()
            {
                out!("{}", line(obligation))?;
            }
        }
        DeadlinesCommand::FileReport { head, kind: k, year, filed_on, connection } => {
            let request = FileReportRequest {
                request_id: request_id(),
                head_position_id: head,
                kind: kind(Some(&k))?,
                year,
                filed_on,
            };
            let filed = sent!(client(&connection).await?, file_report, request).map_err(explain)?;
            out!("{}", line(filed.get_ref()))?;
        }
        DeadlinesCommand::Summary { unit, kind: k, connection } => {
            let request = SummaryRequest { unit_code: unit, kind: kind(k.as_deref())?, ..Default::default() };
            let summary = client(&connection).await?.get_summary(request).await.map_err(explain)?.into_inner();
            out!(
                "on time {:.0}%, median {} and p90 {} working days",
                summary.on_time_rate * 100.0,
                summary.median_working_days,
                summary.p90_working_days
            )?;
            for count in &summary.counts {
                let state = ObligationState::try_from(count.state)
                    .map_or("?", |s| s.as_str_name())
                    .trim_start_matches("OBLIGATION_STATE_");
                out!("  {state:12} {}", count.count)?;
            }
        }
        DeadlinesCommand::Leaderboard { unit, limit, connection } => {
            let board = client(&connection)
                .await?
                .get_overdue_leaderboard(LeaderboardRequest { unit_code: unit, limit })
                .await
                .map_err(explain)?;
            for agency in &board.get_ref().agencies {
                out!("{} {} overdue of {} open", agency.organization_id, agency.overdue, agency.open)?;
            }
        }
        DeadlinesCommand::Report { unit, from, to, out, body, connection } => {
            let issuing_body = named("BODY", &body, Body::from_str_name)? as i32;
            let request = ReportRequest { unit_code: unit, from, to };
            let mut client = client(&connection).await?;
            match out {
                Some(path) => {
                    let format = match path.extension().and_then(|e| e.to_str()) {
                        Some("csv") => ReportFormat::Csv,
                        Some("docx") => ReportFormat::Docx,
                        _ => ReportFormat::Pdf,
                    } as i32;
                    let rendered = client
                        .render_report(RenderReportRequest { report: Some(request), format, issuing_body })
                        .await
                        .map_err(explain)?
                        .into_inner();
                    std::fs::write(&path, &rendered.content)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    out!("{} ({} bytes)", path.display(), rendered.content.len())?;
                }
                None => {
                    let r = client.get_report(request).await.map_err(explain)?.into_inner();
                    out!("{} {} – {}", r.unit_name, r.from, r.to)?;
                    let total =
                        |counts: &[doithoai_proto::deadlines::v1::Count]| counts.iter().map(|c| c.count).sum::<u32>();
                    out!(
                        "  conferences held: {}; heads held their periodic dialogue: {} of {}",
                        total(&r.conferences_by_kind),
                        r.heads_held,
                        r.heads_held + r.heads_not_held
                    )?;
                    out!(
                        "  petitions: {} (answered at the conference {}, referred {}, escalated {})",
                        total(&r.petitions_by_field),
                        r.petitions_answered_at_conference,
                        r.petitions_referred,
                        r.petitions_escalated
                    )?;
                    out!(
                        "  notices: {} on time, {} late, {} overdue",
                        r.notices_on_time,
                        r.notices_late,
                        r.notices_overdue
                    )?;
                    out!(
                        "  responses: {} on time, {} late, {} overdue",
                        r.responses_on_time,
                        r.responses_late,
                        r.responses_overdue
                    )?;
                }
            }
        }
        DeadlinesCommand::LoadAnnouncement { file, connection } => {
            let toml = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let loaded = client(&connection)
                .await?
                .load_announcement(LoadAnnouncementRequest { toml })
                .await
                .map_err(explain)?;
            let loaded = loaded.into_inner();
            if loaded.changed {
                out!("calendar revision {}: {} open obligation(s) rescheduled", loaded.revision, loaded.rescheduled)?;
            } else {
                out!("calendar revision {} unchanged: the announcement changes no day", loaded.revision)?;
            }
        }
    }
    Ok(())
}
