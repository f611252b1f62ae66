//! `doithoai directory …`, `doithoai conference …` and `doithoai plan …`:
//! posts and agencies, the conference lifecycle, the annual plans and the
//! periodic-dialogue report, through the scheduling service's gRPC API.

use doithoai_runtime::idempotency::request_id;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use doithoai_proto::{
    common::v1::Field,
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AnnualPlan, AssignSecretaryRequest, Body, Conference, ConferenceDraft,
        ConferenceKind, ConferenceRef, ConferenceState, CreateConferenceRequest, CreateOrganizationRequest,
        CreatePositionRequest, DelegateHostRequest, ExtendConferenceRequest, Form, GetAnnualPlanRequest,
        GetPeriodicDialogueReportRequest, ListConferencesRequest, ListPositionsRequest, Organization, OrganizationKind,
        PlannedConference, Position, PostponeConferenceRequest, Rank, ReasonRequest, Regime, RenderConferenceRequest,
        SucceedOrganizationRequest, conferences_client::ConferencesClient, directory_client::DirectoryClient,
        plans_client::PlansClient,
    },
};
use doithoai_runtime::time::{ZONE, instant};

use crate::{
    UsageError,
    client::{AuthedChannel, Connection, Service, document_format, explain, local_time, named, write_document},
};

#[derive(Subcommand)]
pub enum DirectoryCommand {
    /// Creates posts from a CSV: unit_code,body,rank,title,person_name,subject,term_start,term_end.
    ImportPosts {
        file: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Creates offices and agencies from a CSV: unit_code,kind,name.
    ImportOrganizations {
        file: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Ends an agency and passes its work (R10.3 responses, receipts of
    /// notices) to another, from a date, by a decision.
    SucceedOrganization {
        /// The agency that ends (its directory id).
        organization: String,
        #[arg(long)]
        successor: String,
        /// The successor's first day (YYYY-MM-DD).
        #[arg(long)]
        effective: String,
        #[arg(long)]
        decision: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Lists the posts of a unit's subtree, optionally those held on a date.
    Posts {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
}

#[derive(serde::Deserialize)]
struct PostLine {
    unit_code: String,
    body: String,
    rank: String,
    title: String,
    person_name: String,
    #[serde(default)]
    subject: String,
    term_start: String,
    #[serde(default)]
    term_end: String,
}

#[derive(serde::Deserialize)]
struct OrganizationLine {
    unit_code: String,
    kind: String,
    name: String,
    /// Who leads it and signs its documents; may be left out.
    #[serde(default)]
    head_title: String,
    #[serde(default)]
    head_name: String,
}

/// Reads every line first, so a bad file sends nothing.
fn read_lines<T: serde::de::DeserializeOwned, W>(
    file: &PathBuf,
    check: impl Fn(T) -> Result<W, UsageError>,
) -> anyhow::Result<Vec<(u64, W)>> {
    let mut reader = csv::Reader::from_path(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut lines = Vec::new();
    for record in reader.deserialize::<T>() {
        let line = lines.len() as u64 + 2;
        let record = record.map_err(|e| UsageError(format!("{}:line {line}: {e}", file.display())))?;
        lines.push((line, check(record).map_err(|e| UsageError(format!("{}:line {line}: {e}", file.display())))?));
    }
    Ok(lines)
}

pub async fn directory(command: DirectoryCommand) -> anyhow::Result<()> {
    match command {
        DirectoryCommand::ImportPosts { file, connection } => {
            let lines = read_lines(&file, |line: PostLine| {
                Ok(Position {
                    unit_code: line.unit_code,
                    body: named("BODY", &line.body, Body::from_str_name)? as i32,
                    rank: named("RANK", &line.rank, Rank::from_str_name)? as i32,
                    title: line.title,
                    person_name: line.person_name,
                    subject: line.subject,
                    term_start: line.term_start,
                    term_end: line.term_end,
                    ..Default::default()
                })
            })?;
            let client = DirectoryClient::new(connection.channel(Service::Scheduling).await?);
            for (n, (line, position)) in lines.into_iter().enumerate() {
                let request = CreatePositionRequest { request_id: request_id(), position: Some(position) };
                let created = sent!(client, create_position, request);
                let created = created.map_err(|s| {
                    explain(s).context(format!("{}:line {line} ({n} created before it)", file.display()))
                })?;
                out!("{} {}", created.get_ref().id, created.get_ref().title)?;
            }
        }
        DirectoryCommand::ImportOrganizations { file, connection } => {
            let lines = read_lines(&file, |line: OrganizationLine| {
                let kind = named("ORGANIZATION_KIND", &line.kind, OrganizationKind::from_str_name)? as i32;
                Ok(Organization {
                    unit_code: line.unit_code,
                    kind,
                    name: line.name,
                    active: true,
                    head_title: line.head_title,
                    head_name: line.head_name,
                    ..Default::default()
                })
            })?;
            let client = DirectoryClient::new(connection.channel(Service::Scheduling).await?);
            for (n, (line, organization)) in lines.into_iter().enumerate() {
                let request = CreateOrganizationRequest { request_id: request_id(), organization: Some(organization) };
                let created = sent!(client, create_organization, request);
                let created = created.map_err(|s| {
                    explain(s).context(format!("{}:line {line} ({n} created before it)", file.display()))
                })?;
                out!("{} {}", created.get_ref().id, created.get_ref().name)?;
            }
        }
        DirectoryCommand::SucceedOrganization { organization, successor, effective, decision, connection } => {
            let client = DirectoryClient::new(connection.channel(Service::Scheduling).await?);
            let request = SucceedOrganizationRequest {
                organization_id: organization,
                successor_id: successor,
                effective_date: effective,
                decision_number: decision,
                request_id: request_id(),
            };
            let ended = sent!(client, succeed_organization, request).map_err(explain)?.into_inner();
            out!(
                "{} {} ended on {}, succeeded by {} ({})",
                ended.id,
                ended.name,
                ended.ended_on,
                ended.successor_id,
                ended.decision_number
            )?;
        }
        DirectoryCommand::Posts { unit, on, connection } => {
            let mut client = DirectoryClient::new(connection.channel(Service::Scheduling).await?);
            let request =
                ListPositionsRequest { unit_code: unit, on_date: on.unwrap_or_default(), ..Default::default() };
            for p in client.list_positions(request).await.map_err(explain)?.into_inner().positions {
                let term = if p.term_end.is_empty() {
                    format!("{}–", p.term_start)
                } else {
                    format!("{}–{}", p.term_start, p.term_end)
                };
                out!("{} {} {} {} ({term})", p.id, p.unit_code, p.title, p.person_name)?;
            }
        }
    }
    Ok(())
}

#[derive(Args)]
pub struct DraftArgs {
    #[arg(long)]
    unit: String,
    /// party-committee, peoples-council or peoples-committee.
    #[arg(long)]
    body: String,
    /// The host's post id.
    #[arg(long)]
    host: String,
    /// periodic, regular or ad-hoc.
    #[arg(long, default_value = "periodic")]
    regime: String,
    /// sector-cadres, representatives, citizens-direct or thematic.
    #[arg(long, default_value = "citizens-direct")]
    kind: String,
    /// in-person, online or hybrid.
    #[arg(long, default_value = "in-person")]
    form: String,
    #[arg(long)]
    venue_unit: Option<String>,
    #[arg(long, default_value = "")]
    address: String,
    #[arg(long, default_value = "")]
    link: String,
    #[arg(long)]
    theme: String,
    /// Local time in Hà Nội: 2026-03-10T09:00.
    #[arg(long)]
    starts_at: String,
    #[arg(long, default_value_t = 180)]
    minutes: u32,
    /// "title|field", field as economy-and-society, defence-and-security, …; repeatable.
    #[arg(long)]
    agenda: Vec<String>,
    /// Invited organization ids; repeatable.
    #[arg(long)]
    invite: Vec<String>,
}

impl DraftArgs {
    fn draft(self) -> Result<ConferenceDraft, UsageError> {
        let agenda = self
            .agenda
            .iter()
            .map(|item| {
                let (title, field) = item.split_once('|').unwrap_or((item, "economy-and-society"));
                Ok(AgendaItem {
                    title: title.to_owned(),
                    field: named("FIELD", field, Field::from_str_name)? as i32,
                    ..Default::default()
                })
            })
            .collect::<Result<_, UsageError>>()?;
        Ok(ConferenceDraft {
            venue_unit_code: self.venue_unit.unwrap_or_else(|| self.unit.clone()),
            unit_code: self.unit,
            body: named("BODY", &self.body, Body::from_str_name)? as i32,
            host_position_id: self.host,
            regime: named("REGIME", &self.regime, Regime::from_str_name)? as i32,
            kind: named("CONFERENCE_KIND", &self.kind, ConferenceKind::from_str_name)? as i32,
            form: named("FORM", &self.form, Form::from_str_name)? as i32,
            venue_address: self.address,
            online_link: self.link,
            theme: self.theme,
            agenda,
            starts_at: Some(local_time(&self.starts_at)?),
            planned_minutes: self.minutes,
            invited_organization_ids: self.invite,
            coordinating_unit_codes: Vec::new(),
        })
    }
}

#[derive(Subcommand)]
pub enum ConferenceCommand {
    /// Creates a draft conference.
    Create {
        #[command(flatten)]
        draft: Box<DraftArgs>,
        #[command(flatten)]
        connection: Connection,
    },
    /// Assigns the secretary (R8.1).
    Secretary {
        id: String,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Records a delegation to a deputy (R2.2).
    Delegate {
        id: String,
        #[arg(long)]
        deputy: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Records the public notice (R7.3: at least 7 days before).
    Announce {
        id: String,
        #[arg(long)]
        channel: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        published: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Opens the conference on the day (the office, the host or the secretary).
    Start {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Extends once by at most 60 minutes (R8.1; the host's decision).
    Extend {
        id: String,
        minutes: u32,
        #[command(flatten)]
        connection: Connection,
    },
    /// Closes the conference; the R10.2 clock for its conclusion notice starts.
    End {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Cancels, with the reason (the office).
    Cancel {
        id: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Postpones; it needs a new notice before it can start.
    Postpone {
        id: String,
        #[arg(long)]
        reason: String,
        /// New local start, 2026-04-10T09:00.
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        connection: Connection,
    },
    /// One conference, whole.
    Get {
        id: String,
        #[command(flatten)]
        connection: Connection,
    },
    /// Writes the R7.3 public notice of an announced conference: DOCX to a
    /// .docx file, PDF to any other name.
    Notice {
        id: String,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        connection: Connection,
    },
    /// Conferences of a unit's subtree.
    List {
        #[arg(long)]
        unit: String,
        #[arg(long, default_value_t = 0)]
        year: i32,
        /// Also the conferences of the units whose work passed to this one.
        #[arg(long)]
        inherited: bool,
        #[command(flatten)]
        connection: Connection,
    },
}

fn line(c: &Conference) -> String {
    let state =
        ConferenceState::try_from(c.state).map_or("?", |s| s.as_str_name()).trim_start_matches("CONFERENCE_STATE_");
    let starts = c
        .starts_at
        .as_ref()
        .and_then(instant)
        .map(|t| t.with_timezone(&ZONE).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    format!("{} {state} {starts} {} {}", c.id, c.unit_code, c.theme)
}

async fn conferences(connection: &Connection) -> anyhow::Result<ConferencesClient<AuthedChannel>> {
    Ok(ConferencesClient::new(connection.channel(Service::Scheduling).await?))
}

pub async fn conference(command: ConferenceCommand) -> anyhow::Result<()> {
    let reference = |id: String| ConferenceRef { id };
    let result = match command {
        ConferenceCommand::Create { draft, connection } => {
            let request = CreateConferenceRequest { request_id: request_id(), draft: Some(draft.draft()?) };
            sent!(conferences(&connection).await?, create_conference, request)
        }
        ConferenceCommand::Secretary { id, subject, name, connection } => {
            let request = AssignSecretaryRequest { id, secretary_subject: subject, secretary_name: name };
            conferences(&connection).await?.assign_secretary(request).await
        }
        ConferenceCommand::Delegate { id, deputy, reason, connection } => {
            conferences(&connection)
                .await?
                .delegate_host(DelegateHostRequest { id, deputy_position_id: deputy, reason })
                .await
        }
        ConferenceCommand::Announce { id, channel, published, connection } => {
            let request = AnnounceConferenceRequest { id, media_channel: channel, publication_date: published };
            conferences(&connection).await?.announce_conference(request).await
        }
        ConferenceCommand::Start { id, connection } => {
            conferences(&connection).await?.start_conference(reference(id)).await
        }
        ConferenceCommand::Extend { id, minutes, connection } => {
            conferences(&connection).await?.extend_conference(ExtendConferenceRequest { id, minutes }).await
        }
        ConferenceCommand::End { id, connection } => {
            conferences(&connection).await?.end_conference(reference(id)).await
        }
        ConferenceCommand::Cancel { id, reason, connection } => {
            conferences(&connection).await?.cancel_conference(ReasonRequest { id, reason }).await
        }
        ConferenceCommand::Postpone { id, reason, to, connection } => {
            let new_starts_at = to.as_deref().map(local_time).transpose()?;
            conferences(&connection)
                .await?
                .postpone_conference(PostponeConferenceRequest { id, reason, new_starts_at })
                .await
        }
        ConferenceCommand::Get { id, connection } => {
            conferences(&connection).await?.get_conference(reference(id)).await
        }
        ConferenceCommand::Notice { id, out, connection } => {
            let format = document_format(&out);
            let rendered = conferences(&connection)
                .await?
                .render_public_notice(RenderConferenceRequest { id, format })
                .await
                .map_err(explain)?
                .into_inner();
            out!("{}", write_document(&out, &rendered)?)?;
            return Ok(());
        }
        ConferenceCommand::List { unit, year, inherited, connection } => {
            let request = ListConferencesRequest { unit_code: unit, year, inherited, ..Default::default() };
            let listed = conferences(&connection).await?.list_conferences(request).await.map_err(explain)?;
            for c in &listed.get_ref().conferences {
                out!("{}", line(c))?;
            }
            return Ok(());
        }
    };
    out!("{}", line(result.map_err(explain)?.get_ref()))?;
    Ok(())
}

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Sets a unit's plan for a year (R11.1), replacing the items it had.
    Set {
        #[command(flatten)]
        of: UnitYear,
        /// HOST_POST|REGIME|MONTH|THEME, e.g. "<post id>|periodic|3|Giải phóng mặt bằng"; repeatable.
        #[arg(long = "item")]
        items: Vec<String>,
    },
    /// A unit's plan for a year.
    Show(UnitYear),
    /// Which heads of a subtree held their periodic dialogue in a year (R6.2, R6.3).
    Report(UnitYear),
}

#[derive(Args)]
pub struct UnitYear {
    #[arg(long)]
    unit: String,
    #[arg(long)]
    year: i32,
    #[command(flatten)]
    connection: Connection,
}

/// `HOST_POST|REGIME|MONTH|THEME`.
fn planned(text: &str) -> Result<PlannedConference, UsageError> {
    let usage = || UsageError(format!("{text:?} is not HOST_POST|REGIME|MONTH|THEME"));
    let [host, regime, month, theme] = text.splitn(4, '|').collect::<Vec<_>>()[..] else { return Err(usage()) };
    Ok(PlannedConference {
        host_position_id: host.trim().to_owned(),
        regime: named("REGIME", regime, Regime::from_str_name)? as i32,
        month: month.trim().parse().map_err(|_| usage())?,
        theme: theme.trim().to_owned(),
    })
}

fn print_plan(plan: &AnnualPlan) -> anyhow::Result<()> {
    out!("{} {}: {} planned", plan.unit_code, plan.year, plan.items.len())?;
    for item in &plan.items {
        let regime = Regime::try_from(item.regime).map_or("?", |r| r.as_str_name()).trim_start_matches("REGIME_");
        out!("  month {:>2} {regime} {} {}", item.month, item.host_position_id, item.theme)?;
    }
    Ok(())
}

pub async fn plan(command: PlanCommand) -> anyhow::Result<()> {
    let UnitYear { unit, year, connection } = match command {
        PlanCommand::Set { of, items } => {
            // Bad items are refused before anything is sent.
            let items = items.iter().map(|item| planned(item)).collect::<Result<_, _>>()?;
            let client = PlansClient::new(of.connection.channel(Service::Scheduling).await?);
            let plan = AnnualPlan { unit_code: of.unit, year: of.year, items, request_id: request_id() };
            return print_plan(sent!(client, set_annual_plan, plan).map_err(explain)?.get_ref());
        }
        PlanCommand::Show(UnitYear { unit, year, connection }) => {
            let mut client = PlansClient::new(connection.channel(Service::Scheduling).await?);
            let plan = client.get_annual_plan(GetAnnualPlanRequest { unit_code: unit, year }).await.map_err(explain)?;
            return print_plan(plan.get_ref());
        }
        PlanCommand::Report(of) => of,
    };
    let mut client = PlansClient::new(connection.channel(Service::Scheduling).await?);
    let report = client
        .get_periodic_dialogue_report(GetPeriodicDialogueReportRequest { unit_code: unit, year })
        .await
        .map_err(explain)?;
    let heads = &report.get_ref().heads;
    out!(
        "{} of {} heads held their periodic dialogue in {year}",
        heads.iter().filter(|h| h.held).count(),
        heads.len()
    )?;
    for head in heads {
        let post = head.head.clone().unwrap_or_default();
        let mark = if head.held { "held" } else { "NOT HELD" };
        out!(
            "  {mark:8} {} {} {} (planned: {})",
            post.unit_code,
            post.title,
            post.person_name,
            if head.planned { "yes" } else { "no" }
        )?;
    }
    Ok(())
}
