//! Petitions recorded by the conferences' secretaries (RecordPetition), over
//! N conferences held at once (one each in N communes) or all on one. Before
//! the load the workload prepares its conferences through the public APIs,
//! as an office would: a head's post where the commune has none, a
//! conference ten days ahead, its secretary, its announcement; then it moves
//! the services' clocks (the stack's must be adjustable, as the local one
//! is) to the conference's hour and starts them all. After the load it
//! reads every conference's minutes back: each petition answered OK must be
//! there, once, and nothing else.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant, SystemTime},
};

use anyhow::Context;
use chrono::{Datelike, Duration as Days, NaiveDate, Utc, Weekday};
use clap::Args;
use doithoai_proto::{
    clock::v1::{GetTimeRequest, SetTimeRequest, simulated_clock_client::SimulatedClockClient},
    common::v1::Tier,
    directory::v1::{GetSubtreeRequest, unit_directory_client::UnitDirectoryClient},
    minutes::v1::{
        Classification, ConferenceRequest, PetitionRecorded, RecordPetitionRequest,
        minutes_service_client::MinutesServiceClient,
    },
    scheduling::v1::{
        AgendaItem, AnnounceConferenceRequest, AssignSecretaryRequest, Body, ConferenceDraft, ConferenceKind,
        ConferenceRef, CreateConferenceRequest, CreatePositionRequest, Form, ListPositionsRequest, Position, Rank,
        Regime, conferences_client::ConferencesClient, directory_client::DirectoryClient,
    },
};
use doithoai_runtime::{
    Role,
    auth::{TokenSigner, with_bearer as bearer},
    events::decode_payload,
    time::{instant, timestamp},
};
use tonic::transport::Channel;

use crate::{
    drive::Workload,
    events::{Answered, EventsReport, Listener},
};

#[derive(Args)]
pub struct PetitionsArgs {
    #[arg(long, default_value = "http://127.0.0.1:7061")]
    pub scheduling: String,
    #[arg(long, default_value = "http://127.0.0.1:7062")]
    pub participants: String,
    #[arg(long, default_value = "http://127.0.0.1:7063")]
    pub minutes: String,
    #[arg(long, default_value = "http://127.0.0.1:7064")]
    pub deadlines: String,
    /// The deployment's root unit (its administrator moves the clocks).
    #[arg(long, default_value = "33")]
    pub root: String,
    /// How many conferences the petitions are spread over; 1 puts them all on one.
    #[arg(long, default_value_t = 32)]
    pub conferences: usize,
    /// The development signing key, for the office's, the secretaries' and the administrator's tokens.
    #[arg(long, default_value = "deploy/local/dev-keys/signing.pem")]
    pub dev_key: std::path::PathBuf,
    /// Where the petitions' events are heard.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub nats: String,
    /// The deadlines service's database, whose inbox shows each event taken in;
    /// empty to skip that check.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/doithoai_deadlines")]
    pub consumer_database: String,
}

/// The events RecordPetition announces.
const RECORDED: &str = "doithoai.minutes.petition_recorded.>";

/// One started conference and its secretary's token.
struct Held {
    id: String,
    secretary: String,
}

pub struct Petitions {
    minutes: MinutesServiceClient<Channel>,
    held: Vec<Held>,
    /// Each petition answered OK: its conference's index, and its id with when it was answered.
    recorded: Mutex<Vec<(usize, Answered)>>,
    listener: Mutex<Option<Listener>>,
    consumer: Option<sqlx::PgPool>,
    /// Tells this run's request ids from another's.
    run: String,
}

/// 09:00 in Hà Nội on `day`.
fn nine_o_clock(day: NaiveDate) -> chrono::DateTime<Utc> {
    day.and_hms_opt(2, 0, 0).unwrap_or_default().and_utc()
}

impl Petitions {
    pub async fn prepare(args: &PetitionsArgs) -> anyhow::Result<Self> {
        anyhow::ensure!(args.conferences >= 1, "--conferences must be at least 1");
        let key = std::fs::read_to_string(&args.dev_key)
            .with_context(|| format!("cannot read the development key {}", args.dev_key.display()))?;
        let signer = TokenSigner::from_private_pem(&key, "doithoai")?;
        let hour = Duration::from_secs(8 * 3600);
        let admin = signer.sign("load-admin", &args.root, &[Role::Admin], hour)?;
        let connect = |addr: &str| Channel::from_shared(addr.to_owned()).map(|e| e.connect_lazy());
        let scheduling = connect(&args.scheduling)?;
        let mut clocks = Vec::new();
        for addr in [&args.scheduling, &args.participants, &args.minutes, &args.deadlines] {
            clocks.push(SimulatedClockClient::new(connect(addr)?));
        }

        // Today as the services see it; the conferences ten days on, a weekday.
        let now = clocks[0].get_time(bearer(GetTimeRequest {}, &admin)).await.context("the scheduling clock")?;
        let now = now.into_inner().time.as_ref().and_then(instant).context("a clock without its time")?;
        let today = now.date_naive();
        let mut day = today + Days::days(10);
        while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            day += Days::days(1);
        }

        // The communes, and a head's post in each.
        let units = UnitDirectoryClient::new(scheduling.clone())
            .get_subtree(bearer(
                GetSubtreeRequest { code: args.root.clone(), on_date: today.to_string(), ..Default::default() },
                &admin,
            ))
            .await
            .context("the root's subtree")?
            .into_inner()
            .units;
        let communes: Vec<String> = units
            .into_iter()
            .filter(|u| u.tier == Tier::Commune as i32 && u.valid_to.is_empty())
            .map(|u| u.code)
            .take(args.conferences)
            .collect();
        anyhow::ensure!(
            communes.len() == args.conferences,
            "the root has {} communes, fewer than --conferences {}",
            communes.len(),
            args.conferences
        );
        let mut held = Vec::new();
        for unit in &communes {
            let office = signer.sign(&format!("load-office-{unit}"), unit, &[Role::Office], hour)?;
            let host = head_of(&scheduling, unit, &office, day).await?;
            let conferences = ConferencesClient::new(scheduling.clone());
            let draft = ConferenceDraft {
                unit_code: unit.clone(),
                body: Body::PartyCommittee as i32,
                host_position_id: host,
                regime: Regime::AdHoc as i32,
                kind: ConferenceKind::CitizensDirect as i32,
                form: Form::InPerson as i32,
                venue_unit_code: unit.clone(),
                venue_address: "Hội trường Ủy ban nhân dân".into(),
                theme: "Hội nghị tải thử".into(),
                agenda: vec![AgendaItem { title: "Đất đai".into(), field: 1, ..Default::default() }],
                starts_at: Some(timestamp(nine_o_clock(day))),
                planned_minutes: 240,
                ..Default::default()
            };
            let create = CreateConferenceRequest { draft: Some(draft), ..Default::default() };
            let created =
                conferences.clone().create_conference(bearer(create, &office)).await.context("a conference")?;
            let id = created.into_inner().id;
            let secretary = format!("load-secretary-{unit}");
            let assign = AssignSecretaryRequest {
                id: id.clone(),
                secretary_subject: secretary.clone(),
                secretary_name: "Thư ký".into(),
            };
            conferences.clone().assign_secretary(bearer(assign, &office)).await.context("its secretary")?;
            let notice = AnnounceConferenceRequest {
                id: id.clone(),
                media_channel: "Cổng thông tin điện tử".into(),
                publication_date: today.to_string(),
            };
            conferences.clone().announce_conference(bearer(notice, &office)).await.context("its announcement")?;
            held.push((id, office, signer.sign(&secretary, unit, &[Role::Secretary], hour)?));
        }

        // The conferences' hour on every service, then each started.
        for clock in &mut clocks {
            let set = SetTimeRequest { time: Some(timestamp(nine_o_clock(day))) };
            clock.set_time(bearer(set, &admin)).await.context("moving a service's clock")?;
        }
        let mut minutes = MinutesServiceClient::new(connect(&args.minutes)?);
        for (id, office, _) in &held {
            ConferencesClient::new(scheduling.clone())
                .start_conference(bearer(ConferenceRef { id: id.clone() }, office))
                .await
                .context("starting a conference")?;
        }
        // The minutes open when the minutes service hears of the start.
        for (id, _, secretary) in &held {
            let mut waited = 0;
            while minutes.get_minutes(bearer(ConferenceRequest { conference_id: id.clone() }, secretary)).await.is_err()
            {
                anyhow::ensure!(waited < 300, "the minutes of conference {id} did not open within 30 s");
                tokio::time::sleep(Duration::from_millis(100)).await;
                waited += 1;
            }
        }
        let held = held.into_iter().map(|(id, _, secretary)| Held { id, secretary }).collect();
        let run = format!("{:x}", Utc::now().timestamp_micros());
        let listener = Listener::start(&args.nats, RECORDED, |envelope| {
            decode_payload::<PetitionRecorded>(envelope).ok().flatten().map(|recorded| recorded.petition_id)
        })
        .await?;
        let consumer = match args.consumer_database.as_str() {
            "" => None,
            url => Some(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                    .with_context(|| format!("cannot connect to the consumer's database {url}"))?,
            ),
        };
        Ok(Self {
            minutes,
            held,
            recorded: Mutex::new(Vec::new()),
            listener: Mutex::new(Some(listener)),
            consumer,
            run,
        })
    }

    /// Each started conference's id and its secretary's token.
    pub fn conferences(&self) -> Vec<(String, String)> {
        self.held.iter().map(|held| (held.id.clone(), held.secretary.clone())).collect()
    }

    pub fn describe(&self) -> String {
        format!("petitions over {} conferences, started", self.held.len())
    }

    /// Every petition answered OK is in its conference's minutes once, and the
    /// minutes hold no other from this run; its event was on NATS once, and
    /// in the deadlines service's inbox. Returns what was checked, and the
    /// events' lag.
    pub async fn verify(&self) -> anyhow::Result<(String, EventsReport)> {
        let recorded = std::mem::take(&mut *self.recorded.lock().unwrap_or_else(PoisonError::into_inner));
        let mut expected: HashMap<usize, Vec<String>> = HashMap::new();
        for (c, answered) in &recorded {
            expected.entry(*c).or_default().push(answered.key.clone());
        }
        for (c, held) in self.held.iter().enumerate() {
            let request = bearer(ConferenceRequest { conference_id: held.id.clone() }, &held.secretary);
            let minutes = self.minutes.clone().get_minutes(request).await?.into_inner();
            let mut found: Vec<String> = minutes.petitions.into_iter().map(|p| p.id).collect();
            let mut wanted = expected.remove(&c).unwrap_or_default();
            found.sort();
            wanted.sort();
            anyhow::ensure!(
                found == wanted,
                "conference {}: {} petitions answered OK, the minutes hold {}",
                held.id,
                wanted.len(),
                found.len()
            );
        }
        let listener = self.listener.lock().unwrap_or_else(PoisonError::into_inner).take();
        let listener = listener.context("the petitions were verified already")?;
        let answered: Vec<Answered> = recorded.into_iter().map(|(_, answered)| answered).collect();
        let events = listener.report(RECORDED, &answered, self.consumer.as_ref()).await?;
        let consumer_missing = events.to_consumer.as_ref().map_or(0, |c| c.missing);
        anyhow::ensure!(
            events.to_nats.missing == 0 && events.to_nats.duplicates == 0 && consumer_missing == 0,
            "of {} petitions' events, {} never reached NATS, {} reached it more than once, {} never reached the deadlines service",
            answered.len(),
            events.to_nats.missing,
            events.to_nats.duplicates,
            consumer_missing
        );
        let consumer = if self.consumer.is_some() { " and in the deadlines service's inbox" } else { "" };
        let checked = format!(
            "{} petitions answered OK, each in its conference's minutes once, nothing else; each one's event on NATS once{consumer}",
            answered.len()
        );
        Ok((checked, events))
    }
}

/// The head of the commune's Party committee on `day`: the one in post, or a
/// post made for the load.
async fn head_of(scheduling: &Channel, unit: &str, office: &str, day: NaiveDate) -> anyhow::Result<String> {
    let mut directory = DirectoryClient::new(scheduling.clone());
    let list = ListPositionsRequest {
        unit_code: unit.to_owned(),
        body: Body::PartyCommittee as i32,
        on_date: day.to_string(),
        ..Default::default()
    };
    let posts = directory.list_positions(bearer(list, office)).await.context("the commune's posts")?;
    if let Some(head) =
        posts.into_inner().positions.into_iter().find(|p| p.unit_code == unit && p.rank == Rank::Head as i32)
    {
        return Ok(head.id);
    }
    let position = Position {
        unit_code: unit.to_owned(),
        body: Body::PartyCommittee as i32,
        rank: Rank::Head as i32,
        title: "Bí thư Đảng ủy".into(),
        person_name: format!("Người chủ trì {unit}"),
        subject: format!("load-host-{unit}"),
        term_start: "2025-07-01".into(),
        ..Default::default()
    };
    let created = directory
        .create_position(bearer(CreatePositionRequest { position: Some(position), ..Default::default() }, office))
        .await
        .context("a head's post")?;
    Ok(created.into_inner().id)
}

impl Workload for Petitions {
    fn operations(&self) -> &[&'static str] {
        &["RecordPetition"]
    }

    async fn send(&self, n: u64) -> (usize, anyhow::Result<()>) {
        let c = (n % self.held.len() as u64) as usize;
        let held = &self.held[c];
        let record = RecordPetitionRequest {
            conference_id: held.id.clone(),
            text: format!("Kiến nghị tải thử số {n}"),
            field: 1,
            classification: Classification::Petition as i32,
            request_id: format!("load-{}-{n}", self.run),
            ..Default::default()
        };
        let result = async {
            let answer = self.minutes.clone().record_petition(bearer(record, &held.secretary)).await?;
            let answered = Answered { key: answer.into_inner().id, at: Instant::now(), wall: SystemTime::now() };
            self.recorded.lock().unwrap_or_else(PoisonError::into_inner).push((c, answered));
            Ok(())
        };
        (0, result.await)
    }
}
