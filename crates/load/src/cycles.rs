//! Whole conferences, each played from its first petition to its last
//! written response, as its staff would: the secretary records
//! `--petitions` petitions; the host concludes; the secretary and the host
//! sign the minutes; the office ends the conference and issues the
//! conclusion notice, every petition assigned to the commune's agency; the
//! agency acknowledges the notice and answers each petition in writing.
//!
//! Each request is the next step of a conference no other caller holds, so
//! a conference's steps keep their order while many conferences move at
//! once. The run ends when the duration does or every conference is done.
//! A step refused is tried again (with its request id, where it has one);
//! a conference whose step fails three times is left where it stopped.
//!
//! Afterwards it checks each conference against what was answered OK: its
//! minutes hold exactly its petitions, in the state its last step left them;
//! and the deadlines service, through the events, holds one R10.3
//! obligation for each petition assigned, met once answered, and the R10.2
//! obligation of each conference ended, met once its notice was issued.

use std::{
    collections::{BTreeSet, VecDeque},
    sync::{Mutex, PoisonError},
};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;
use doithoai_proto::{
    common::v1::PageRequest,
    deadlines::v1::{ListObligationsRequest, ObligationKind, ObligationState, deadlines_client::DeadlinesClient},
    minutes::v1::{
        AcknowledgeNoticeRequest, Classification, ConferenceRequest, IssueConclusionNoticeRequest, NoticeAssignment,
        Outcome, PetitionStatus, RecordConclusionRequest, RecordPetitionRequest, RecordResponseRequest,
        Response as WrittenResponse, minutes_service_client::MinutesServiceClient,
    },
    scheduling::v1::{
        ConferenceRef, CreateOrganizationRequest, ListOrganizationsRequest, Organization, OrganizationKind,
        conferences_client::ConferencesClient, directory_client::DirectoryClient,
    },
};
use doithoai_runtime::{Role, auth::with_bearer as bearer};
use tonic::transport::Channel;

use crate::{
    conferences::{self, Conference, StackArgs, TOKEN_TTL},
    drive::Workload,
};

#[derive(Args)]
pub struct CyclesArgs {
    #[command(flatten)]
    pub stack: StackArgs,
    /// How many petitions each conference hears (and its agency answers).
    #[arg(long, default_value_t = 10)]
    pub petitions: usize,
}

/// The operations, in the order of a conference's steps.
const OPERATIONS: [&str; 7] = [
    "RecordPetition",
    "RecordConclusion",
    "SignMinutes",
    "EndConference",
    "IssueConclusionNotice",
    "AcknowledgeNotice",
    "RecordResponse",
];

/// A step of a conference of `p` petitions, by how many steps it has done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Record(usize),
    Conclude,
    SignBySecretary,
    SignByHost,
    End,
    Notice,
    Acknowledge,
    Respond(usize),
    Done,
}

impl Step {
    fn nth(done: usize, p: usize) -> Self {
        match done {
            d if d < p => Self::Record(d),
            d if d == p => Self::Conclude,
            d if d == p + 1 => Self::SignBySecretary,
            d if d == p + 2 => Self::SignByHost,
            d if d == p + 3 => Self::End,
            d if d == p + 4 => Self::Notice,
            d if d == p + 5 => Self::Acknowledge,
            d if d < 2 * p + 6 => Self::Respond(d - p - 6),
            _ => Self::Done,
        }
    }

    fn operation(self) -> usize {
        match self {
            Self::Record(_) => 0,
            Self::Conclude => 1,
            Self::SignBySecretary | Self::SignByHost => 2,
            Self::End => 3,
            Self::Notice => 4,
            Self::Acknowledge => 5,
            Self::Respond(_) | Self::Done => 6,
        }
    }
}

/// One conference's cycle, and how far it has come.
struct Cycle {
    conference: Conference,
    agency_id: String,
    agency: String,
    petitions: Vec<String>,
    notice_id: String,
    done: usize,
    failures: u32,
}

pub struct Cycles {
    minutes: MinutesServiceClient<Channel>,
    scheduling: Channel,
    deadlines: DeadlinesClient<Channel>,
    monitor: String,
    root: String,
    per_conference: usize,
    /// The conferences' day, by the services' clocks: every document of the
    /// cycle is dated on it.
    day: NaiveDate,
    /// The conferences no caller holds, with a step to take.
    ready: Mutex<VecDeque<Cycle>>,
    /// The conferences done, or given up.
    left: Mutex<Vec<Cycle>>,
    /// Tells this run's request ids from another's.
    run: String,
}

impl Cycles {
    pub async fn prepare(args: &CyclesArgs) -> anyhow::Result<Self> {
        anyhow::ensure!(args.petitions >= 1, "--petitions must be at least 1");
        let signer = args.stack.signer()?;
        let scheduling = args.stack.connect(&args.stack.scheduling)?;
        let announced = conferences::announce(&args.stack).await?;
        let day = announced.day;
        let held = announced.start().await?;
        let mut ready = VecDeque::new();
        for conference in held {
            let agency_id = agency_of(&scheduling, &conference).await?;
            let agency = signer.sign_for(
                &format!("load-agency-{agency_id}"),
                &conference.unit,
                &[Role::Agency],
                Some(&agency_id),
                TOKEN_TTL,
            )?;
            ready.push_back(Cycle {
                conference,
                agency_id,
                agency,
                petitions: Vec::new(),
                notice_id: String::new(),
                done: 0,
                failures: 0,
            });
        }
        let root = args.stack.root.clone();
        Ok(Self {
            minutes: MinutesServiceClient::new(args.stack.connect(&args.stack.minutes)?),
            deadlines: DeadlinesClient::new(args.stack.connect(&args.stack.deadlines)?),
            monitor: signer.sign("load-monitor", &root, &[Role::Monitor], TOKEN_TTL)?,
            scheduling,
            root,
            per_conference: args.petitions,
            day,
            ready: Mutex::new(ready),
            left: Mutex::new(Vec::new()),
            run: format!("{:x}", Utc::now().timestamp_micros()),
        })
    }

    pub fn describe(&self) -> String {
        let conferences = self.ready.lock().unwrap_or_else(PoisonError::into_inner).len();
        format!("cycles of {conferences} conferences started, {} petitions each", self.per_conference)
    }

    /// Takes `cycle`'s next step; returns which operation it was.
    async fn take_step(&self, cycle: &mut Cycle) -> (usize, anyhow::Result<()>) {
        let step = Step::nth(cycle.done, self.per_conference);
        let request_id = format!("load-{}-{}-{}", self.run, cycle.conference.id, cycle.done);
        let conference = &cycle.conference;
        let reference = ConferenceRequest { conference_id: conference.id.clone() };
        let mut minutes = self.minutes.clone();
        let result: anyhow::Result<()> = async {
            match step {
                Step::Record(n) => {
                    let record = RecordPetitionRequest {
                        conference_id: conference.id.clone(),
                        text: format!("Kiến nghị tải thử số {n}"),
                        field: 1,
                        classification: Classification::Petition as i32,
                        request_id,
                        ..Default::default()
                    };
                    let recorded = minutes.record_petition(bearer(record, &conference.secretary)).await?;
                    cycle.petitions.push(recorded.into_inner().id);
                }
                Step::Conclude => {
                    let conclusion = RecordConclusionRequest {
                        conference_id: conference.id.clone(),
                        conclusion: "Giao cơ quan chuyên môn giải quyết, trả lời bằng văn bản theo quy định".into(),
                    };
                    minutes.record_conclusion(bearer(conclusion, &conference.host)).await?;
                }
                Step::SignBySecretary => drop(minutes.sign_minutes(bearer(reference, &conference.secretary)).await?),
                Step::SignByHost => drop(minutes.sign_minutes(bearer(reference, &conference.host)).await?),
                Step::End => {
                    let end = ConferenceRef { id: conference.id.clone() };
                    ConferencesClient::new(self.scheduling.clone())
                        .end_conference(bearer(end, &conference.office))
                        .await?;
                }
                Step::Notice => {
                    let assignments = cycle
                        .petitions
                        .iter()
                        .map(|id| NoticeAssignment {
                            petition_id: id.clone(),
                            organization_id: cycle.agency_id.clone(),
                            received_on: String::new(),
                        })
                        .collect();
                    let notice = IssueConclusionNoticeRequest {
                        request_id,
                        conference_id: conference.id.clone(),
                        number: format!("{}-TB/VP", cycle.done),
                        sent_on: self.day.to_string(),
                        signer: "Chánh Văn phòng".into(),
                        assignments,
                    };
                    let issued = minutes.issue_conclusion_notice(bearer(notice, &conference.office)).await?;
                    cycle.notice_id = issued.into_inner().id;
                }
                Step::Acknowledge => {
                    let acknowledge = AcknowledgeNoticeRequest {
                        notice_id: cycle.notice_id.clone(),
                        organization_id: cycle.agency_id.clone(),
                        received_on: self.day.to_string(),
                        request_id,
                    };
                    minutes.acknowledge_notice(bearer(acknowledge, &cycle.agency)).await?;
                }
                Step::Respond(n) => {
                    let response = WrittenResponse {
                        responded_on: self.day.to_string(),
                        document_number: format!("{n}/CV-TT"),
                        outcome: Outcome::Resolved as i32,
                        summary: "Đã xem xét, giải quyết và trả lời công dân".into(),
                        reported_to_heads: true,
                        ..Default::default()
                    };
                    let respond = RecordResponseRequest {
                        petition_id: cycle.petitions[n].clone(),
                        response: Some(response),
                        request_id,
                        ..Default::default()
                    };
                    minutes.record_response(bearer(respond, &cycle.agency)).await?;
                }
                Step::Done => {}
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => (cycle.done, cycle.failures) = (cycle.done + 1, 0),
            Err(_) => cycle.failures += 1,
        }
        (step.operation(), result)
    }

    /// Every conference checked against the steps answered OK, in its
    /// minutes and in the deadlines service's obligations (which arrive
    /// through the events: waits up to 30 s for them).
    pub async fn verify(&self) -> anyhow::Result<String> {
        let mut cycles = std::mem::take(&mut *self.left.lock().unwrap_or_else(PoisonError::into_inner));
        cycles.extend(self.ready.lock().unwrap_or_else(PoisonError::into_inner).drain(..));
        let (mut petitions, mut responses, mut complete) = (0, 0, 0);
        for cycle in &cycles {
            let p = self.per_conference;
            let reached = Step::nth(cycle.done, p);
            let responded = match reached {
                Step::Respond(n) => n,
                Step::Done => p,
                _ => 0,
            };
            let request =
                bearer(ConferenceRequest { conference_id: cycle.conference.id.clone() }, &cycle.conference.office);
            let held = self.minutes.clone().get_minutes(request).await?.into_inner();
            let found: BTreeSet<String> = held.petitions.iter().map(|p| p.id.clone()).collect();
            anyhow::ensure!(
                found == cycle.petitions.iter().cloned().collect(),
                "conference {}: {} petitions answered OK, the minutes hold {}",
                cycle.conference.id,
                cycle.petitions.len(),
                found.len()
            );
            for (n, petition) in cycle.petitions.iter().enumerate() {
                let status = held.petitions.iter().find(|p| &p.id == petition).map(|p| p.status());
                let wanted = if n < responded {
                    PetitionStatus::Responded
                } else if reached > Step::Notice {
                    PetitionStatus::Assigned
                } else {
                    PetitionStatus::Recorded
                };
                anyhow::ensure!(
                    status == Some(wanted),
                    "conference {}: petition {petition} is {status:?} in the minutes, not {wanted:?}",
                    cycle.conference.id
                );
            }
            // What the deadlines service must hold once it has heard every event.
            let mut wanted = Vec::new();
            if reached > Step::End {
                wanted.push((ObligationKind::ConclusionNotice, String::new(), reached > Step::Notice));
            }
            if reached > Step::Notice {
                for (n, petition) in cycle.petitions.iter().enumerate() {
                    wanted.push((ObligationKind::AgencyResponse, petition.clone(), n < responded));
                }
            }
            wanted.sort();
            let mut held = Vec::new();
            for _ in 0..300 {
                held = self.obligations(&cycle.conference.id).await?;
                if held == wanted {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            anyhow::ensure!(
                held == wanted,
                "conference {}: the deadlines service holds {held:?}, its steps answered OK make {wanted:?}",
                cycle.conference.id
            );
            petitions += cycle.petitions.len();
            responses += responded;
            complete += usize::from(reached == Step::Done);
        }
        Ok(format!(
            "{complete} of {} conferences played to the end; {petitions} petitions, each in its minutes once, \
             {responses} answered in writing; the deadlines service holds one obligation for each notice due \
             and each petition assigned, met exactly where the step was answered OK",
            cycles.len()
        ))
    }

    /// The conference's R10.2 and R10.3 obligations: kind, petition, met.
    async fn obligations(&self, conference: &str) -> anyhow::Result<Vec<(ObligationKind, String, bool)>> {
        let mut found = Vec::new();
        for kind in [ObligationKind::ConclusionNotice, ObligationKind::AgencyResponse] {
            let request = ListObligationsRequest {
                unit_code: self.root.clone(),
                kind: kind as i32,
                conference_id: conference.to_owned(),
                page: Some(PageRequest { page_size: 1000, ..Default::default() }),
                ..Default::default()
            };
            let listed = self.deadlines.clone().list_obligations(bearer(request, &self.monitor)).await?;
            for obligation in listed.into_inner().obligations {
                let met = [ObligationState::MetOnTime, ObligationState::MetLate].contains(&obligation.state());
                found.push((kind, obligation.petition_id, met));
            }
        }
        found.sort();
        Ok(found)
    }
}

impl Workload for Cycles {
    fn operations(&self) -> &[&'static str] {
        &OPERATIONS
    }

    /// The next step of the first conference no caller holds; `None` when
    /// every conference left is held by another caller or done.
    async fn send(&self, _: u64) -> Option<(usize, anyhow::Result<()>)> {
        let mut cycle = self.ready.lock().unwrap_or_else(PoisonError::into_inner).pop_front()?;
        let taken = self.take_step(&mut cycle).await;
        if Step::nth(cycle.done, self.per_conference) == Step::Done || cycle.failures >= 3 {
            self.left.lock().unwrap_or_else(PoisonError::into_inner).push(cycle);
        } else {
            self.ready.lock().unwrap_or_else(PoisonError::into_inner).push_back(cycle);
        }
        Some(taken)
    }
}

/// The commune's agency (a department) that answers the load's petitions:
/// one already there, or one made for the load.
async fn agency_of(scheduling: &Channel, conference: &Conference) -> anyhow::Result<String> {
    let mut directory = DirectoryClient::new(scheduling.clone());
    let list = ListOrganizationsRequest {
        unit_code: conference.unit.clone(),
        kind: OrganizationKind::Department as i32,
        ..Default::default()
    };
    let listed = directory.list_organizations(bearer(list, &conference.office)).await.context("the agencies")?;
    if let Some(agency) =
        listed.into_inner().organizations.into_iter().find(|o| o.active && o.unit_code == conference.unit)
    {
        return Ok(agency.id);
    }
    let organization = Organization {
        unit_code: conference.unit.clone(),
        kind: OrganizationKind::Department as i32,
        name: "Phòng Kinh tế".into(),
        active: true,
        ..Default::default()
    };
    let create = CreateOrganizationRequest { organization: Some(organization), ..Default::default() };
    let created = directory.create_organization(bearer(create, &conference.office)).await.context("an agency")?;
    Ok(created.into_inner().id)
}
