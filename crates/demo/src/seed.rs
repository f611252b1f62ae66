//! Plays a [`Plan`] through the services' public gRPC APIs: each step at its
//! own time (every service's adjustable clock is moved there first), as the
//! office, host, secretary or agency whose step it is. At the end the clocks
//! return to the present.

use std::{collections::HashMap, time::Duration};

use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use doithoai_proto::{
    clock::v1::{SetTimeRequest, simulated_clock_client::SimulatedClockClient},
    common::v1::PageRequest,
    deadlines::v1::{
        FileReportRequest, ListObligationsRequest, ObligationKind, ObligationState, deadlines_client::DeadlinesClient,
    },
    directory::v1::{
        GetSubtreeRequest, GetUnitRequest, ReorganiseUnitsRequest, unit_directory_client::UnitDirectoryClient,
    },
    minutes::v1::{
        AcknowledgeNoticeRequest, AnswerPetitionRequest, ConferenceRequest, EscalatePetitionRequest,
        IssueConclusionNoticeRequest, NoticeAssignment, Outcome, RecordConclusionRequest, RecordOpeningRequest,
        RecordPetitionRequest, RecordResponseRequest, ReferPetitionRequest, Response as WrittenResponse,
        minutes_service_client::MinutesServiceClient,
    },
    participants::v1::{
        CheckInRequest, Collective, ConferenceRequest as ParticipantsConference, InvitationStatus, InviteRequest,
        Person, RegisterParticipantRequest, RegisterSpeakerRequest, SpeakerRequest, UpdateInvitationRequest,
        check_in_request, participants_client::ParticipantsClient, register_participant_request::Who,
    },
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AnnualPlan, AssignSecretaryRequest, ConferenceDraft, ConferenceRef,
        CreateConferenceRequest, CreateOrganizationRequest, CreatePositionRequest, DelegateHostRequest, Form,
        ListConferencesRequest, ListOrganizationsRequest, ListPositionsRequest, Organization, PlannedConference,
        Position, Regime, SucceedOrganizationRequest, conferences_client::ConferencesClient,
        directory_client::DirectoryClient, plans_client::PlansClient,
    },
};
use doithoai_runtime::{
    Role,
    auth::{TokenSigner, with_bearer as bearer},
    error::describe,
    idempotency::{request_id, retrying},
    pagination::every_page,
    time::{ZONE, local_date, timestamp},
};
use tonic::{Status, transport::Channel};

use crate::plan::{DemoUnit, Fate, Plan, Registrant, Turn};

/// Where the four services listen.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub scheduling: String,
    pub participants: String,
    pub minutes: String,
    pub deadlines: String,
}

impl Endpoints {
    fn all(&self) -> [&str; 4] {
        [&self.scheduling, &self.participants, &self.minutes, &self.deadlines]
    }
}

async fn connect(addr: &str) -> anyhow::Result<Channel> {
    Channel::from_shared(addr.to_owned())
        .with_context(|| format!("bad address {addr}"))?
        .connect()
        .await
        .with_context(|| format!("cannot reach {addr}"))
}

/// A refusal of the step `what`, with the rule or reason the service named.
fn refused(what: String) -> impl FnOnce(Status) -> anyhow::Error {
    move |status| anyhow::anyhow!("{what}: {}", describe(&status))
}

/// The province `root` lies in: the deployment's root, whose administrator
/// moves the clocks.
async fn province_of(endpoints: &Endpoints, token: &str, root: &str) -> anyhow::Result<String> {
    let mut client = UnitDirectoryClient::new(connect(&endpoints.scheduling).await?);
    let request = GetUnitRequest { code: root.to_owned() };
    let unit = client.get_unit(bearer(request, token)).await.map_err(refused(format!("unit {root}")))?.into_inner();
    unit.path.first().cloned().context("a unit without its path")
}

/// The units of the subtree rooted at `root`, parents before children.
pub async fn units(endpoints: &Endpoints, signer: &TokenSigner, root: &str) -> anyhow::Result<Vec<DemoUnit>> {
    let token = signer.sign("demo", root, &[Role::Admin], Duration::from_secs(3600))?;
    let client = UnitDirectoryClient::new(connect(&endpoints.scheduling).await?);
    let mut units = every_page::<_, anyhow::Error, _, _>(usize::MAX, |page| {
        let (mut client, request) =
            (client.clone(), GetSubtreeRequest { code: root.to_owned(), page, ..Default::default() });
        let token = &token;
        async move {
            let listed = client.get_subtree(bearer(request, token)).await;
            let listed = listed.map_err(refused(format!("the units of {root}")))?.into_inner();
            Ok((listed.units, listed.page))
        }
    })
    .await?;
    anyhow::ensure!(!units.is_empty(), "unit {root} is not in the directory: import the units first");
    // Parents before children: by depth (the length of the path from the root), then code.
    units.sort_by(|a, b| (a.path.len(), &a.code).cmp(&(b.path.len(), &b.code)));
    Ok(units
        .into_iter()
        .map(|u| DemoUnit {
            code: u.code,
            name: u.name,
            tier: u.tier,
            parent: Some(u.parent_code).filter(|p| !p.is_empty()),
        })
        .collect())
}

/// Sends a create with its request id, and again while the service is
/// unavailable: a retry returns the first result and changes nothing twice.
macro_rules! create {
    ($client:expr, $method:ident, $request:expr, $token:expr) => {{
        let request = $request;
        retrying(|| {
            let (mut client, request) = ($client.clone(), bearer(request.clone(), $token));
            async move { client.$method(request).await }
        })
        .await
    }};
}

/// Waits until `done` says another service has heard what it must, asking
/// every 100 ms for at most a minute.
async fn within_a_minute<F, Fut>(what: &str, mut done: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    for _ in 0..600 {
        if done().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("waited a minute for {what}")
}

/// Sends a successor's step (`$send`, a `Result<_, Status>`), and again
/// while the service has not yet heard of the succession and refuses the
/// successor as not the organization assigned, for at most a minute.
macro_rules! as_successor {
    ($successor:expr, $send:expr) => {{
        let mut attempts = if $successor { 600 } else { 1 };
        loop {
            match $send {
                Err(status) if status.code() == tonic::Code::PermissionDenied && attempts > 1 => {
                    attempts -= 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                sent => break sent,
            }
        }
    }};
}

/// One thing someone does on a day of the plan.
#[derive(Debug, Clone, Copy)]
enum Step {
    Directory,
    /// The plan's reorganisation of that index.
    Reorganise(usize),
    Announce(usize),
    Register(usize),
    Start(usize),
    Record(usize),
    End(usize),
    Notice(usize),
    Acknowledge(usize, usize),
    Escalate(usize, usize),
    Respond(usize, usize),
    RespondEscalated(usize, usize),
    File(usize),
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or_default());
    local.and_local_timezone(ZONE).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// Every step of the plan at its time, in order.
fn timeline(plan: &Plan) -> Vec<(DateTime<Utc>, Step)> {
    let mut steps = vec![(at(NaiveDate::from_ymd_opt(plan.year, 1, 2).unwrap_or_default(), 7, 0), Step::Directory)];
    for (r, reorganisation) in plan.reorganisations.iter().enumerate() {
        steps.push((at(reorganisation.effective, 6, 0), Step::Reorganise(r)));
    }
    for (c, conference) in plan.conferences.iter().enumerate() {
        steps.push((at(conference.announce_on, 8, 0), Step::Announce(c)));
        steps.push((at(conference.register_on, 9, 0), Step::Register(c)));
        steps.push((at(conference.day, 8, 0), Step::Start(c)));
        steps.push((at(conference.day, 9, 0), Step::Record(c)));
        steps.push((at(conference.day, 11, 30), Step::End(c)));
        let Some(notice_on) = conference.notice_on else { continue };
        steps.push((at(notice_on, 14, 0), Step::Notice(c)));
        for (&agency, &on) in &conference.acknowledged {
            steps.push((at(on, 9, 0), Step::Acknowledge(c, agency)));
        }
        for (p, petition) in conference.petitions.iter().enumerate() {
            let Fate::Assigned { response, escalation, .. } = &petition.fate else { continue };
            if let Some(escalation) = escalation {
                steps.push((at(escalation.on, 10, 0), Step::Escalate(c, p)));
                if let Some(on) = escalation.response {
                    steps.push((at(on, 15, 0), Step::RespondEscalated(c, p)));
                }
            } else if let Some(on) = response {
                steps.push((at(*on, 15, 0), Step::Respond(c, p)));
            }
        }
    }
    for (f, filing) in plan.filings.iter().enumerate() {
        steps.push((at(filing.filed_on, 10, 0), Step::File(f)));
    }
    // Stable: steps at the same instant keep the plan's order.
    steps.sort_by_key(|(instant, _)| *instant);
    steps
}

/// What the seeding created, by kind.
#[derive(Debug, Default)]
pub struct Seeded {
    pub steps: usize,
    pub conferences: usize,
    pub participants: usize,
    pub speakers: usize,
    pub invitations: usize,
    pub petitions: usize,
    pub notices: usize,
    pub responses: usize,
    pub escalations: usize,
    pub reports: usize,
}

struct Seeder<'a> {
    plan: &'a Plan,
    signer: &'a TokenSigner,
    clocks: Vec<SimulatedClockClient<Channel>>,
    directory: DirectoryClient<Channel>,
    /// The unit directory, which the reorganisation changes.
    units: UnitDirectoryClient<Channel>,
    plans: PlansClient<Channel>,
    conferences: ConferencesClient<Channel>,
    participants: ParticipantsClient<Channel>,
    minutes: MinutesServiceClient<Channel>,
    deadlines: DeadlinesClient<Channel>,
    admin: String,
    /// The deployment's root administrator, who moves the clocks.
    clock_admin: String,
    tokens: std::sync::Mutex<HashMap<String, String>>,
    post_ids: Vec<String>,
    organization_ids: Vec<String>,
    conference_ids: Vec<String>,
    /// Per conference, per citizen: the participant's id and, for a speaker, the registration's.
    registrations: Vec<Vec<(String, String)>>,
    /// Per conference: the invitations of those who accepted.
    invitations: Vec<Vec<String>>,
    notice_ids: Vec<String>,
    /// Per conference, per petition: its id, and the escalated petition's id.
    petition_ids: Vec<Vec<String>>,
    escalated_ids: Vec<Vec<String>>,
    unheard: Vec<Unheard>,
    seeded: Seeded,
    /// The services' day, as the clocks were last moved.
    today: NaiveDate,
}

const TOKEN_TTL: Duration = Duration::from_secs(4 * 3600);

impl Seeder<'_> {
    /// A token for each caller, signed once: the year is played in well under its lifetime.
    fn signed(&self, subject: &str, unit: &str, role: Role, organization: Option<&str>) -> anyhow::Result<String> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = format!("{subject} {unit} {}", role.as_str());
        if let Some(token) = tokens.get(&key) {
            return Ok(token.clone());
        }
        let token = self.signer.sign_for(subject, unit, &[role], organization, TOKEN_TTL)?;
        tokens.insert(key, token.clone());
        Ok(token)
    }

    fn token(&self, subject: &str, unit: &str, role: Role) -> anyhow::Result<String> {
        self.signed(subject, unit, role, None)
    }

    /// The office of `unit` or, once the unit has ended, the root's, which
    /// finishes what the ended office left open.
    fn office(&self, unit: &str) -> anyhow::Result<String> {
        let unit = if self.plan.ended(unit, self.today) { &self.plan.units[0].code } else { unit };
        self.token(&format!("vanphong-{unit}"), unit, Role::Office)
    }

    fn secretary_subject(unit: &str) -> String {
        format!("thuky-{unit}")
    }

    fn secretary(&self, unit: &str) -> anyhow::Result<String> {
        self.token(&Self::secretary_subject(unit), unit, Role::Secretary)
    }

    /// The acting host: the delegated deputy, or the head.
    fn host(&self, c: usize) -> anyhow::Result<String> {
        let conference = &self.plan.conferences[c];
        let post = &self.plan.posts[conference.delegate.unwrap_or(conference.host)];
        self.token(&post.subject, &post.unit, Role::Host)
    }

    /// The organization doing `organization`'s work today: itself, or its successor.
    fn acting(&self, organization: usize) -> usize {
        self.plan.acting(organization, self.today)
    }

    fn organization_id(&self, organization: usize) -> String {
        self.organization_ids[self.acting(organization)].clone()
    }

    /// A token of the official of the organization acting for `organization`.
    fn agency(&self, organization: usize) -> anyhow::Result<String> {
        let organization = self.acting(organization);
        let id = &self.organization_ids[organization];
        let unit = &self.plan.organizations[organization].unit;
        self.signed(&format!("canbo-{id}"), unit, Role::Agency, Some(id))
    }

    /// Moves the four services' clocks together.
    async fn move_clocks(&mut self, to: DateTime<Utc>) -> anyhow::Result<()> {
        let time = Some(timestamp(to));
        let admin = &self.clock_admin;
        let moves = self.clocks.iter().map(|clock| {
            let mut clock = clock.clone();
            async move { clock.set_time(bearer(SetTimeRequest { time }, admin)).await }
        });
        futures::future::try_join_all(moves).await.map_err(|status| {
            if status.code() == tonic::Code::Unimplemented {
                anyhow::anyhow!(
                    "the services run on the system clock: start them with DOITHOAI_CLOCK__ADJUSTABLE=true \
                     (deploy/local/run does)"
                )
            } else {
                refused("moving the clock".into())(status)
            }
        })?;
        self.today = to.with_timezone(&ZONE).date_naive();
        Ok(())
    }

    async fn step(&mut self, step: Step) -> anyhow::Result<()> {
        match step {
            Step::Directory => self.directory_and_plans().await,
            Step::Reorganise(r) => self.reorganise(r).await,
            Step::Announce(c) => self.announce(c).await,
            Step::Register(c) => self.register(c).await,
            Step::Start(c) => {
                let conference = &self.plan.conferences[c];
                let request =
                    bearer(ConferenceRef { id: self.conference_ids[c].clone() }, &self.secretary(&conference.unit)?);
                self.conferences.start_conference(request).await.map_err(refused(format!("starting {c}")))?;
                Ok(())
            }
            Step::Record(c) => self.record(c).await,
            Step::End(c) => self.end(c).await,
            Step::Notice(c) => self.notice(c).await,
            Step::Acknowledge(c, agency) => {
                let on = self.plan.conferences[c].acknowledged[&agency];
                let request = AcknowledgeNoticeRequest {
                    request_id: request_id(),
                    notice_id: self.notice_ids[c].clone(),
                    organization_id: self.organization_id(agency),
                    received_on: on.to_string(),
                };
                let token = self.agency(agency)?;
                as_successor!(
                    self.acting(agency) != agency,
                    create!(self.minutes, acknowledge_notice, request.clone(), &token)
                )
                .map_err(refused(format!("acknowledging {c}")))?;
                Ok(())
            }
            Step::Escalate(c, p) => self.escalate(c, p).await,
            Step::Respond(c, p) => {
                let Fate::Assigned { agency, response: Some(on), .. } = self.plan.conferences[c].petitions[p].fate
                else {
                    return Ok(());
                };
                self.respond(c, self.petition_ids[c][p].clone(), agency, on, c + p).await
            }
            Step::RespondEscalated(c, p) => {
                let Fate::Assigned { escalation: Some(escalation), .. } = &self.plan.conferences[c].petitions[p].fate
                else {
                    return Ok(());
                };
                let (agency, on) = (escalation.to_agency, escalation.response.unwrap_or_default());
                self.respond(c, self.escalated_ids[c][p].clone(), agency, on, c + p).await
            }
            Step::File(f) => {
                let filing = &self.plan.filings[f];
                let request = FileReportRequest {
                    request_id: request_id(),
                    head_position_id: self.post_ids[filing.post].clone(),
                    kind: filing.kind as i32,
                    year: filing.year,
                    filed_on: filing.filed_on.to_string(),
                };
                let token = self.office(&self.plan.posts[filing.post].unit)?;
                create!(self.deadlines, file_report, request, &token).map_err(refused(format!("filing report {f}")))?;
                self.seeded.reports += 1;
                Ok(())
            }
        }
    }

    /// The year's start: refuses a year already seeded, finds the posts and
    /// organizations earlier years created, and creates the rest of those
    /// there from the start, with their units' annual plans.
    async fn directory_and_plans(&mut self) -> anyhow::Result<()> {
        let root = self.plan.units[0].code.clone();
        let year = self.plan.year;
        let listing = ListConferencesRequest {
            unit_code: root.clone(),
            year,
            page: Some(PageRequest { page_size: 1, ..Default::default() }),
            ..Default::default()
        };
        let listed = self.conferences.list_conferences(bearer(listing, &self.admin)).await;
        anyhow::ensure!(
            listed.map_err(refused("the conferences".into()))?.into_inner().conferences.is_empty(),
            "unit {root} already has conferences in {year}: each year is seeded once \
             (to start over, stop the stack and drop its doithoai_* databases)"
        );
        self.find_existing(&root).await?;
        // The terms of 2020–2021, or the year's start for an earlier year.
        let term_start = NaiveDate::from_ymd_opt(2021, 6, 1)
            .into_iter()
            .chain(NaiveDate::from_ymd_opt(year, 1, 1))
            .min()
            .unwrap_or_default();
        self.establish(None, term_start).await
    }

    /// The posts and organizations of the plan that the directory already
    /// has: a post by its unit, body and rank among those held in the year;
    /// an organization by its unit and its place among the unit's active ones.
    async fn find_existing(&mut self, root: &str) -> anyhow::Result<()> {
        let year_start = NaiveDate::from_ymd_opt(self.plan.year, 1, 1).unwrap_or_default().to_string();
        let (directory, admin) = (&self.directory, &self.admin);
        let positions = every_page::<_, anyhow::Error, _, _>(usize::MAX, |page| {
            let (mut directory, request) =
                (directory.clone(), ListPositionsRequest { unit_code: root.to_owned(), page, ..Default::default() });
            async move {
                let listed = directory.list_positions(bearer(request, admin)).await;
                let listed = listed.map_err(refused("the posts".into()))?.into_inner();
                Ok((listed.positions, listed.page))
            }
        })
        .await?;
        let organizations = every_page::<_, anyhow::Error, _, _>(usize::MAX, |page| {
            let (mut directory, request) = (
                directory.clone(),
                ListOrganizationsRequest { unit_code: root.to_owned(), page, ..Default::default() },
            );
            async move {
                let listed = directory.list_organizations(bearer(request, admin)).await;
                let listed = listed.map_err(refused("the organizations".into()))?.into_inner();
                Ok((listed.organizations, listed.page))
            }
        })
        .await?;
        let organizations: Vec<Organization> = organizations.into_iter().filter(|o| o.active).collect();
        self.post_ids = self
            .plan
            .posts
            .iter()
            .map(|post| {
                positions
                    .iter()
                    .find(|p| {
                        (p.unit_code.as_str(), p.body, p.rank)
                            == (post.unit.as_str(), post.body as i32, post.rank as i32)
                            && (p.term_end.is_empty() || p.term_end >= year_start)
                    })
                    .map(|p| p.id.clone())
                    .unwrap_or_default()
            })
            .collect();
        let mut places: HashMap<&str, usize> = HashMap::new();
        self.organization_ids = self
            .plan
            .organizations
            .iter()
            .map(|organization| {
                let place = places.entry(organization.unit.as_str()).or_default();
                *place += 1;
                organizations
                    .iter()
                    .filter(|o| o.unit_code == organization.unit)
                    .nth(*place - 1)
                    .map(|o| o.id.clone())
                    .unwrap_or_default()
            })
            .collect();
        Ok(())
    }

    /// Creates the posts and organizations that begin `begins` (`None`: at
    /// the plan's start) and are not yet there, and sets the annual plans of
    /// the units they belong to.
    async fn establish(&mut self, begins: Option<NaiveDate>, term_start: NaiveDate) -> anyhow::Result<()> {
        for (i, post) in self.plan.posts.iter().enumerate() {
            if post.begins != begins || !self.post_ids[i].is_empty() {
                continue;
            }
            let position = Position {
                unit_code: post.unit.clone(),
                body: post.body as i32,
                rank: post.rank as i32,
                title: post.title.clone(),
                person_name: post.person_name.clone(),
                subject: post.subject.clone(),
                term_start: term_start.to_string(),
                ..Default::default()
            };
            let request = CreatePositionRequest { request_id: request_id(), position: Some(position) };
            let office = self.office(&post.unit)?;
            let created = create!(self.directory, create_position, request, &office)
                .map_err(refused(format!("post {}", post.title)))?;
            self.post_ids[i] = created.into_inner().id;
        }
        for (i, organization) in self.plan.organizations.iter().enumerate() {
            if organization.begins != begins || !self.organization_ids[i].is_empty() {
                continue;
            }
            let wire = Organization {
                unit_code: organization.unit.clone(),
                kind: organization.kind as i32,
                name: organization.name.clone(),
                head_title: organization.head.as_ref().map(|h| h.0.clone()).unwrap_or_default(),
                head_name: organization.head.as_ref().map(|h| h.1.clone()).unwrap_or_default(),
                ..Default::default()
            };
            let request = CreateOrganizationRequest { request_id: request_id(), organization: Some(wire) };
            let office = self.office(&organization.unit)?;
            let created = create!(self.directory, create_organization, request, &office)
                .map_err(refused(organization.name.clone()))?;
            self.organization_ids[i] = created.into_inner().id;
        }
        // R11.1: each unit's plan names its heads' periodic dialogues.
        let units =
            self.plan.units.iter().filter(|u| self.plan.posts.iter().any(|p| p.unit == u.code && p.begins == begins));
        for unit in units {
            let items: Vec<PlannedConference> = self
                .plan
                .conferences
                .iter()
                .filter(|c| c.unit == unit.code && c.regime == Regime::Periodic)
                .map(|c| PlannedConference {
                    host_position_id: self.post_ids[c.host].clone(),
                    regime: Regime::Periodic as i32,
                    month: chrono::Datelike::month(&c.day),
                    theme: c.theme.clone(),
                })
                .collect();
            let plan =
                AnnualPlan { unit_code: unit.code.clone(), year: self.plan.year, items, request_id: request_id() };
            let token = self.office(&unit.code)?;
            create!(self.plans, set_annual_plan, plan, &token)
                .map_err(refused(format!("the plan of {}", unit.code)))?;
        }
        Ok(())
    }

    /// The reorganisation's day: the deployment's administrator applies the
    /// list; the new units' posts, organizations and plans are created; the
    /// root's office names the successor of each ended unit's office and
    /// agencies (R10.3); and the seeding waits until the deadlines service has
    /// moved their open work.
    async fn reorganise(&mut self, r: usize) -> anyhow::Result<()> {
        let reorganisation = self.plan.reorganisations[r].clone();
        let effective = reorganisation.effective.to_string();
        let first = ReorganiseUnitsRequest {
            decision_number: reorganisation.decision.clone(),
            effective_date: effective.clone(),
            ..Default::default()
        };
        let chunks = reorganisation
            .rows
            .chunks(500)
            .map(|rows| ReorganiseUnitsRequest { rows: rows.to_vec(), ..Default::default() });
        let outbound = tokio_stream::iter(std::iter::once(first).chain(chunks).collect::<Vec<_>>());
        self.units
            .reorganise_units(bearer(outbound, &self.clock_admin))
            .await
            .map_err(refused(format!("the reorganisation {}", reorganisation.decision)))?;
        self.establish(Some(reorganisation.effective), reorganisation.effective).await?;
        let root_office = self.office(&self.plan.units[0].code)?;
        for (&ended, &successor) in &reorganisation.successors {
            let request = SucceedOrganizationRequest {
                request_id: request_id(),
                organization_id: self.organization_ids[ended].clone(),
                successor_id: self.organization_ids[successor].clone(),
                effective_date: effective.clone(),
                decision_number: reorganisation.decision.clone(),
            };
            create!(self.directory, succeed_organization, request, &root_office)
                .map_err(refused(format!("the successor of {}", self.plan.organizations[ended].name)))?;
        }
        let ended: std::collections::HashSet<&String> =
            reorganisation.successors.keys().map(|&o| &self.organization_ids[o]).collect();
        let monitor = self.token("demo-monitor", &self.plan.units[0].code, Role::Monitor)?;
        let (deadlines, root) = (&self.deadlines, &self.plan.units[0].code);
        within_a_minute("the deadlines service to move the ended agencies' responses", || async {
            let responses = every_page::<_, anyhow::Error, _, _>(usize::MAX, |page| {
                let mut deadlines = deadlines.clone();
                let request = ListObligationsRequest {
                    unit_code: root.clone(),
                    kind: ObligationKind::AgencyResponse as i32,
                    page,
                    ..Default::default()
                };
                let monitor = &monitor;
                async move {
                    let listed = deadlines.list_obligations(bearer(request, monitor)).await;
                    let listed = listed.map_err(refused("the obligations".into()))?.into_inner();
                    Ok((listed.obligations, listed.page))
                }
            })
            .await?;
            let still_owed = [ObligationState::Open, ObligationState::DueSoon, ObligationState::Overdue];
            Ok(!responses.iter().any(|o| still_owed.contains(&o.state()) && ended.contains(&o.organization_id)))
        })
        .await
    }

    async fn announce(&mut self, c: usize) -> anyhow::Result<()> {
        let conference = &self.plan.conferences[c];
        let host = &self.plan.posts[conference.host];
        let office = self.office(&conference.unit)?;
        let draft = ConferenceDraft {
            unit_code: conference.unit.clone(),
            body: host.body as i32,
            host_position_id: self.post_ids[conference.host].clone(),
            regime: conference.regime as i32,
            kind: conference.kind as i32,
            form: Form::InPerson as i32,
            venue_unit_code: conference.venue.clone(),
            venue_address: "Hội trường trụ sở".into(),
            theme: conference.theme.clone(),
            agenda: vec![AgendaItem { title: conference.theme.clone(), field: 1, ..Default::default() }],
            starts_at: Some(timestamp(at(conference.day, 8, 0))),
            planned_minutes: 180,
            invited_organization_ids: conference.invited.iter().map(|&o| self.organization_ids[o].clone()).collect(),
            ..Default::default()
        };
        let what = || format!("conference {c} of {} on {}", conference.unit, conference.day);
        let created = create!(
            self.conferences,
            create_conference,
            CreateConferenceRequest { request_id: request_id(), draft: Some(draft) },
            &office
        )
        .map_err(refused(what()))?
        .into_inner();
        let secretary = AssignSecretaryRequest {
            id: created.id.clone(),
            secretary_subject: Self::secretary_subject(&conference.unit),
            secretary_name: "Chuyên viên văn phòng".into(),
        };
        self.conferences.assign_secretary(bearer(secretary, &office)).await.map_err(refused(what()))?;
        if let Some(deputy) = conference.delegate {
            let delegation = DelegateHostRequest {
                id: created.id.clone(),
                deputy_position_id: self.post_ids[deputy].clone(),
                reason: "Bận công tác theo chương trình của cấp trên".into(),
            };
            let head = self.token(&host.subject, &host.unit, Role::Host)?;
            self.conferences.delegate_host(bearer(delegation, &head)).await.map_err(refused(what()))?;
        }
        let notice = AnnounceConferenceRequest {
            id: created.id.clone(),
            media_channel: "Báo và Đài Phát thanh - Truyền hình tỉnh".into(),
            publication_date: conference.announce_on.to_string(),
        };
        self.conferences.announce_conference(bearer(notice, &office)).await.map_err(refused(what()))?;
        self.conference_ids[c] = created.id;
        self.seeded.conferences += 1;
        Ok(())
    }

    /// Whether the participants service has the conference open for registration, or started.
    async fn registration_open(&self, c: usize, token: &str) -> anyhow::Result<Option<bool>> {
        let request = ParticipantsConference { conference_id: self.conference_ids[c].clone() };
        match self.participants.clone().get_attendance(bearer(request, token)).await {
            Ok(attendance) => Ok(Some(attendance.into_inner().registration_open)),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(refused(format!("the attendance of {c}"))(status)),
        }
    }

    /// The office takes the registrations (R2.3), speakers in the order they will be called (R8.3).
    async fn register(&mut self, c: usize) -> anyhow::Result<()> {
        let conference = &self.plan.conferences[c];
        let office = self.office(&conference.unit)?;
        // Registration opens when the participants service hears of the announcement.
        within_a_minute(&format!("registration for conference {c} to open"), || async {
            Ok(self.registration_open(c, &office).await? == Some(true))
        })
        .await?;
        let conference_id = self.conference_ids[c].clone();
        let mut registered = Vec::new();
        for citizen in &conference.citizens {
            let who = match &citizen.who {
                Registrant::Person(name) => Who::Person(Person { full_name: name.clone(), ..Default::default() }),
                Registrant::Collective { organization, representative } => Who::Collective(Collective {
                    organization_name: organization.clone(),
                    representative_name: representative.clone(),
                }),
            };
            let request = RegisterParticipantRequest {
                request_id: request_id(),
                conference_id: conference_id.clone(),
                who: Some(who),
                unit_code: citizen.unit.clone(),
            };
            let participant = create!(self.participants, register_participant, request, &office)
                .map_err(refused(format!("a registration for {c}")))?
                .into_inner()
                .id;
            self.seeded.participants += 1;
            let topic = match citizen.role {
                Turn::Raises(p) => Some(&conference.petitions[p]),
                // Who will not turn up registered like the others, on the conference's theme.
                Turn::Absent => conference.petitions.first(),
                Turn::Listens => None,
            };
            let speaker = match topic {
                Some(petition) => {
                    let request = RegisterSpeakerRequest {
                        request_id: request_id(),
                        conference_id: conference_id.clone(),
                        participant_id: participant.clone(),
                        topic: petition.text.into(),
                        field: petition.field as i32,
                    };
                    let registration = create!(self.participants, register_speaker, request, &office)
                        .map_err(refused(format!("a speaker for {c}")))?;
                    registration.into_inner().id
                }
                None => String::new(),
            };
            registered.push((participant, speaker));
        }
        self.registrations[c] = registered;
        self.invite(c, &office).await
    }

    /// The office invites each agency's leader or official to answer (R7.4) and records the answer.
    async fn invite(&mut self, c: usize, office: &str) -> anyhow::Result<()> {
        let conference = &self.plan.conferences[c];
        let mut accepted = Vec::new();
        for (&organization, invitee) in conference.invited.iter().zip(&conference.invitees) {
            let request = InviteRequest {
                request_id: request_id(),
                conference_id: self.conference_ids[c].clone(),
                organization_id: self.organization_ids[organization].clone(),
                invitee_name: invitee.name.clone(),
                invitee_title: invitee.title.into(),
                answers_agenda_items: vec![0],
            };
            let invitation = create!(self.participants, invite, request, office)
                .map_err(refused(format!("an invitation to {c}")))?
                .into_inner();
            let status = if invitee.attends { InvitationStatus::Accepted } else { InvitationStatus::Declined };
            let answer = UpdateInvitationRequest { invitation_id: invitation.id.clone(), status: status as i32 };
            self.participants
                .update_invitation(bearer(answer, office))
                .await
                .map_err(refused(format!("an invitation's answer for {c}")))?;
            if invitee.attends {
                accepted.push(invitation.id);
            }
            self.seeded.invitations += 1;
        }
        self.invitations[c] = accepted;
        Ok(())
    }

    /// The secretary checks in those who came and calls the speakers in turn
    /// (R8.3); each one's petition goes into the minutes as it is raised.
    async fn hear_speakers(&mut self, c: usize, secretary: &str, host: &str) -> anyhow::Result<()> {
        let plan = self.plan;
        let conference = &plan.conferences[c];
        // Speakers are called once the participants service hears that the conference started.
        within_a_minute(&format!("the participants service to hear conference {c} start"), || async {
            Ok(self.registration_open(c, secretary).await? == Some(false))
        })
        .await?;
        let mut ids = vec![String::new(); conference.petitions.len()];
        let registered = std::mem::take(&mut self.registrations[c]);
        for (citizen, (participant, _)) in conference.citizens.iter().zip(&registered) {
            if citizen.role != Turn::Absent {
                let request = CheckInRequest { who: Some(check_in_request::Who::ParticipantId(participant.clone())) };
                self.participants
                    .check_in(bearer(request, secretary))
                    .await
                    .map_err(refused(format!("a check-in at {c}")))?;
            }
        }
        for invitation in std::mem::take(&mut self.invitations[c]) {
            let request = CheckInRequest { who: Some(check_in_request::Who::InvitationId(invitation)) };
            self.participants
                .check_in(bearer(request, secretary))
                .await
                .map_err(refused(format!("an invitee's check-in at {c}")))?;
        }
        let reference = ParticipantsConference { conference_id: self.conference_ids[c].clone() };
        for (citizen, (participant, speaker)) in conference.citizens.iter().zip(&registered) {
            if citizen.role == Turn::Listens {
                continue;
            }
            let called = self
                .participants
                .call_next_speaker(bearer(reference.clone(), secretary))
                .await
                .map_err(refused(format!("calling a speaker at {c}")))?
                .into_inner();
            anyhow::ensure!(&called.id == speaker, "conference {c} called {} out of registration order", called.id);
            let turn = SpeakerRequest { registration_id: speaker.clone() };
            let Turn::Raises(p) = citizen.role else {
                self.participants
                    .mark_absent(bearer(turn, secretary))
                    .await
                    .map_err(refused(format!("an absence at {c}")))?;
                continue;
            };
            self.participants.mark_spoke(bearer(turn, secretary)).await.map_err(refused(format!("a turn at {c}")))?;
            ids[p] = self.raise(c, p, participant, speaker, secretary, host).await?;
            self.seeded.speakers += 1;
        }
        self.escalated_ids[c] = vec![String::new(); ids.len()];
        self.petition_ids[c] = ids;
        Ok(())
    }

    async fn record(&mut self, c: usize) -> anyhow::Result<()> {
        let conference = &self.plan.conferences[c];
        let (secretary, host) = (self.secretary(&conference.unit)?, self.host(c)?);
        let id = self.conference_ids[c].clone();
        // The minutes open when the minutes service hears of the start.
        let reference = ConferenceRequest { conference_id: id.clone() };
        within_a_minute(&format!("the minutes of conference {c} to open"), || {
            let (mut minutes, request) = (self.minutes.clone(), bearer(reference.clone(), &secretary));
            async move { Ok(minutes.get_minutes(request).await.is_ok()) }
        })
        .await?;
        let opening = RecordOpeningRequest {
            conference_id: id.clone(),
            purpose: "Lắng nghe, tiếp thu ý kiến của nhân dân".into(),
            requirements: "Dân chủ, thẳng thắn, đúng quy định".into(),
            content: conference.theme.clone(),
        };
        self.minutes.record_opening(bearer(opening, &secretary)).await.map_err(refused(format!("opening {c}")))?;
        self.hear_speakers(c, &secretary, &host).await
    }

    /// Records petition `p` of conference `c`, raised by a called speaker, and
    /// answers or refers it there and then if that is its fate.
    async fn raise(
        &mut self,
        c: usize,
        p: usize,
        participant: &str,
        speaker: &str,
        secretary: &str,
        host: &str,
    ) -> anyhow::Result<String> {
        let conference = &self.plan.conferences[c];
        let petition = &conference.petitions[p];
        let record = RecordPetitionRequest {
            request_id: request_id(),
            conference_id: self.conference_ids[c].clone(),
            speaker_registration_id: speaker.to_owned(),
            participant_id: participant.to_owned(),
            text: petition.text.into(),
            field: petition.field as i32,
            classification: petition.classification as i32,
            ..Default::default()
        };
        let recorded =
            create!(self.minutes, record_petition, record, secretary).map_err(refused(format!("a petition of {c}")))?;
        let petition_id = recorded.into_inner().id;
        match petition.fate {
            Fate::Answered { by_agency } => {
                let answer = AnswerPetitionRequest {
                    request_id: request_id(),
                    petition_id: petition_id.clone(),
                    text: "Đã giải thích, trả lời trực tiếp tại hội nghị".into(),
                    organization_id: by_agency.map(|o| self.organization_ids[o].clone()).unwrap_or_default(),
                    official_name: by_agency.map(|_| "Lãnh đạo cơ quan chuyên môn".to_owned()).unwrap_or_default(),
                };
                create!(self.minutes, answer_petition, answer, host).map_err(refused(format!("an answer at {c}")))?;
            }
            Fate::Referred => {
                let refer = ReferPetitionRequest {
                    request_id: request_id(),
                    petition_id: petition_id.clone(),
                    receiving_body: "Ban Tiếp công dân".into(),
                    referred_on: conference.day.to_string(),
                };
                create!(self.minutes, refer_petition, refer, secretary)
                    .map_err(refused(format!("a referral at {c}")))?;
            }
            Fate::Assigned { .. } => {}
        }
        self.seeded.petitions += 1;
        Ok(petition_id)
    }

    async fn end(&mut self, c: usize) -> anyhow::Result<()> {
        let conference = &self.plan.conferences[c];
        let (secretary, host) = (self.secretary(&conference.unit)?, self.host(c)?);
        let id = self.conference_ids[c].clone();
        let what = || format!("ending conference {c}");
        let conclusion = RecordConclusionRequest {
            conference_id: id.clone(),
            conclusion: "Giao các cơ quan chuyên môn giải quyết, trả lời bằng văn bản theo quy định".into(),
        };
        self.minutes.record_conclusion(bearer(conclusion, &host)).await.map_err(refused(what()))?;
        let reference = ConferenceRequest { conference_id: id.clone() };
        self.minutes.sign_minutes(bearer(reference.clone(), &secretary)).await.map_err(refused(what()))?;
        self.minutes.sign_minutes(bearer(reference, &host)).await.map_err(refused(what()))?;
        let office = self.office(&conference.unit)?;
        self.conferences.end_conference(bearer(ConferenceRef { id }, &office)).await.map_err(refused(what()))?;
        Ok(())
    }

    async fn notice(&mut self, c: usize) -> anyhow::Result<()> {
        let conference = &self.plan.conferences[c];
        let assignments = conference
            .petitions
            .iter()
            .enumerate()
            .filter_map(|(p, petition)| match petition.fate {
                Fate::Assigned { agency, .. } => Some(NoticeAssignment {
                    petition_id: self.petition_ids[c][p].clone(),
                    organization_id: self.organization_id(agency),
                    received_on: String::new(),
                }),
                _ => None,
            })
            .collect();
        let request = IssueConclusionNoticeRequest {
            request_id: request_id(),
            conference_id: self.conference_ids[c].clone(),
            number: format!("{}-TB/VP", c + 1),
            sent_on: conference.notice_on.unwrap_or_default().to_string(),
            signer: "Chánh Văn phòng".into(),
            assignments,
        };
        let office = self.office(&conference.unit)?;
        let issued = create!(self.minutes, issue_conclusion_notice, request, &office)
            .map_err(refused(format!("the notice of {c}")))?;
        self.notice_ids[c] = issued.into_inner().id;
        self.unheard.push(Unheard {
            conference: c,
            kind: ObligationKind::ConclusionNotice,
            petition_id: String::new(),
        });
        self.seeded.notices += 1;
        Ok(())
    }

    async fn escalate(&mut self, c: usize, p: usize) -> anyhow::Result<()> {
        let conference = &self.plan.conferences[c];
        let Fate::Assigned { escalation: Some(escalation), .. } = &conference.petitions[p].fate else { return Ok(()) };
        let request = EscalatePetitionRequest {
            request_id: request_id(),
            petition_id: self.petition_ids[c][p].clone(),
            to_unit_code: escalation.to_unit.clone(),
            to_organization_id: self.organization_id(escalation.to_agency),
            petitioner_notified_on: escalation.on.to_string(),
        };
        let office = self.office(&conference.unit)?;
        let escalated = create!(self.minutes, escalate_petition, request, &office)
            .map_err(refused(format!("escalating at {c}")))?;
        let escalated_id = escalated.into_inner().escalation.map(|e| e.escalated_petition_id).unwrap_or_default();
        self.escalated_ids[c][p] = escalated_id;
        // Its R10.4 clock opens and closes with the event, which also cancels the unit's R10.3 clock.
        let petition_id = self.petition_ids[c][p].clone();
        self.unheard.push(Unheard { conference: c, kind: ObligationKind::EscalationNotice, petition_id });
        self.seeded.escalations += 1;
        Ok(())
    }

    async fn respond(
        &mut self,
        c: usize,
        petition_id: String,
        agency: usize,
        on: NaiveDate,
        n: usize,
    ) -> anyhow::Result<()> {
        let outcomes = [Outcome::Resolved, Outcome::PartlyResolved, Outcome::Explained, Outcome::NotAccepted];
        let response = WrittenResponse {
            responded_on: on.to_string(),
            document_number: format!("{}/CV", 100 + n),
            outcome: outcomes[n % outcomes.len()] as i32,
            summary: "Đã xem xét, giải quyết và trả lời công dân".into(),
            reported_to_heads: true,
            ..Default::default()
        };
        let request = RecordResponseRequest {
            request_id: request_id(),
            petition_id: petition_id.clone(),
            response: Some(response),
            ..Default::default()
        };
        let token = self.agency(agency)?;
        as_successor!(self.acting(agency) != agency, create!(self.minutes, record_response, request.clone(), &token))
            .map_err(refused(format!("a response on {on}")))?;
        self.unheard.push(Unheard { conference: c, kind: ObligationKind::AgencyResponse, petition_id });
        self.seeded.responses += 1;
        Ok(())
    }

    /// Waits until the deadlines service has heard every notice, response and
    /// escalation sent so far, so that moving the clock past a due date never
    /// finds one overdue that was met in time.
    async fn settle(&mut self) -> anyhow::Result<()> {
        let root = &self.plan.units[0].code;
        let monitor = self.token("demo-monitor", root, Role::Monitor)?;
        for unheard in std::mem::take(&mut self.unheard) {
            let request = ListObligationsRequest {
                unit_code: root.clone(),
                kind: unheard.kind as i32,
                conference_id: self.conference_ids[unheard.conference].clone(),
                ..Default::default()
            };
            within_a_minute(&format!("the deadlines service to hear of a {:?}", unheard.kind), || {
                let (mut deadlines, request) = (self.deadlines.clone(), bearer(request.clone(), &monitor));
                let petition_id = &unheard.petition_id;
                async move {
                    let listed =
                        deadlines.list_obligations(request).await.map_err(refused("the obligations".into()))?;
                    Ok(listed.into_inner().obligations.iter().any(|o| {
                        &o.petition_id == petition_id
                            && [ObligationState::MetOnTime, ObligationState::MetLate].contains(&o.state())
                    }))
                }
            })
            .await?;
        }
        Ok(())
    }
}

/// A notice, response or escalation the deadlines service hears of through NATS.
struct Unheard {
    conference: usize,
    kind: ObligationKind,
    /// Empty for a conclusion notice.
    petition_id: String,
}

/// Plays `plan`, calling `progress(done, total)` after each step.
pub async fn seed(
    plan: &Plan,
    endpoints: &Endpoints,
    signer: &TokenSigner,
    mut progress: impl FnMut(usize, usize),
) -> anyhow::Result<Seeded> {
    let scheduling = connect(&endpoints.scheduling).await?;
    let mut clocks = Vec::new();
    for addr in endpoints.all() {
        clocks.push(SimulatedClockClient::new(connect(addr).await?));
    }
    let minutes = connect(&endpoints.minutes).await?;
    let root = &plan.units[0].code;
    let admin = signer.sign("demo", root, &[Role::Admin], TOKEN_TTL)?;
    let province = province_of(endpoints, &admin, root).await?;
    let mut seeder = Seeder {
        plan,
        signer,
        clocks,
        directory: DirectoryClient::new(scheduling.clone()),
        units: UnitDirectoryClient::new(scheduling.clone()),
        plans: PlansClient::new(scheduling.clone()),
        conferences: ConferencesClient::new(scheduling),
        participants: ParticipantsClient::new(connect(&endpoints.participants).await?),
        minutes: MinutesServiceClient::new(minutes),
        deadlines: DeadlinesClient::new(connect(&endpoints.deadlines).await?),
        admin,
        clock_admin: signer.sign("demo", &province, &[Role::Admin], TOKEN_TTL)?,
        tokens: Default::default(),
        post_ids: vec![String::new(); plan.posts.len()],
        organization_ids: vec![String::new(); plan.organizations.len()],
        conference_ids: vec![String::new(); plan.conferences.len()],
        registrations: vec![Vec::new(); plan.conferences.len()],
        invitations: vec![Vec::new(); plan.conferences.len()],
        notice_ids: vec![String::new(); plan.conferences.len()],
        petition_ids: vec![Vec::new(); plan.conferences.len()],
        escalated_ids: vec![Vec::new(); plan.conferences.len()],
        unheard: Vec::new(),
        seeded: Seeded::default(),
        today: local_date(Utc::now()),
    };
    let timeline = timeline(plan);
    let total = timeline.len();
    let mut clock_at = None;
    let played = async {
        for (done, (instant, step)) in timeline.into_iter().enumerate() {
            if clock_at != Some(instant) {
                let day = |at: DateTime<Utc>| at.with_timezone(&ZONE).date_naive();
                if clock_at.map(day) != Some(day(instant)) {
                    seeder.settle().await?;
                }
                seeder.move_clocks(instant).await?;
                clock_at = Some(instant);
            }
            seeder.step(step).await.with_context(|| format!("{step:?} on {}", instant.with_timezone(&ZONE)))?;
            progress(done + 1, total);
        }
        anyhow::Ok(())
    }
    .await;
    // Back to the present, whether or not every step went through; the step's
    // failure is the one to report.
    let present = seeder.move_clocks(Utc::now()).await;
    played?;
    present?;
    seeder.seeded.steps = total;
    Ok(seeder.seeded)
}
