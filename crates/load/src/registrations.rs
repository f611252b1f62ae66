//! Citizens registered for the conferences by their secretaries
//! (RegisterParticipant), over N conferences announced at once (one each in
//! N communes) or all on one, which it prepares first ([`conferences`]).
//! Each citizen is one of the province's, named for the request. After the
//! load each conference's attendance must count exactly the registrations
//! answered OK.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use clap::Args;
use doithoai_proto::participants::v1::{
    ConferenceRequest, Person, RegisterParticipantRequest, participants_client::ParticipantsClient,
    register_participant_request::Who,
};
use doithoai_runtime::auth::with_bearer as bearer;
use tonic::transport::Channel;

use crate::{
    conferences::{self, Conference, StackArgs},
    drive::Workload,
};

#[derive(Args)]
pub struct RegistrationsArgs {
    #[command(flatten)]
    pub stack: StackArgs,
}

pub struct Registrations {
    participants: ParticipantsClient<Channel>,
    announced: Vec<Conference>,
    /// The registrations answered OK, by conference.
    registered: Vec<AtomicU32>,
    root: String,
    /// Tells this run's citizens and request ids from another's.
    run: String,
}

impl Registrations {
    pub async fn prepare(args: &RegistrationsArgs) -> anyhow::Result<Self> {
        let announced = conferences::announce(&args.stack).await?.conferences;
        let participants = ParticipantsClient::new(args.stack.connect(&args.stack.participants)?);
        // Registration opens when the participants service hears of the announcement.
        for conference in &announced {
            let request = ConferenceRequest { conference_id: conference.id.clone() };
            let open = || {
                let (mut participants, request) = (participants.clone(), bearer(request.clone(), &conference.office));
                async move { participants.get_attendance(request).await.is_ok_and(|a| a.into_inner().registration_open) }
            };
            conferences::within_30_s(&format!("registration for conference {}", conference.id), open).await?;
        }
        Ok(Self {
            participants,
            registered: announced.iter().map(|_| AtomicU32::new(0)).collect(),
            announced,
            root: args.stack.root.clone(),
            run: format!("{:x}", Utc::now().timestamp_micros()),
        })
    }

    pub fn describe(&self) -> String {
        format!("registrations over {} conferences, announced", self.announced.len())
    }

    /// Each conference's attendance counts the registrations answered OK.
    pub async fn verify(&self) -> anyhow::Result<String> {
        let mut total = 0;
        for (conference, registered) in self.announced.iter().zip(&self.registered) {
            let request = bearer(ConferenceRequest { conference_id: conference.id.clone() }, &conference.office);
            let attendance = self.participants.clone().get_attendance(request).await?.into_inner();
            let registered = registered.load(Ordering::Relaxed);
            anyhow::ensure!(
                attendance.registered == registered,
                "conference {}: {registered} registrations answered OK, its attendance counts {}",
                conference.id,
                attendance.registered
            );
            total += registered;
        }
        Ok(format!("{total} registrations answered OK, each counted in its conference's attendance, nothing else"))
    }
}

impl Workload for Registrations {
    fn operations(&self) -> &[&'static str] {
        &["RegisterParticipant"]
    }

    async fn send(&self, n: u64) -> Option<(usize, anyhow::Result<()>)> {
        let c = (n % self.announced.len() as u64) as usize;
        let conference = &self.announced[c];
        let person = Person { full_name: format!("Công dân Tải Thử {} {n}", self.run), ..Default::default() };
        let request = RegisterParticipantRequest {
            conference_id: conference.id.clone(),
            who: Some(Who::Person(person)),
            unit_code: self.root.clone(),
            request_id: format!("load-{}-{n}", self.run),
        };
        let result = self.participants.clone().register_participant(bearer(request, &conference.secretary)).await;
        if result.is_ok() {
            self.registered[c].fetch_add(1, Ordering::Relaxed);
        }
        Some((0, result.map(drop).map_err(anyhow::Error::from)))
    }
}
