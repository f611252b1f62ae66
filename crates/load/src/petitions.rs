//! Petitions recorded by the conferences' secretaries (RecordPetition), over
//! N conferences held at once (one each in N communes) or all on one, which
//! it prepares and starts first ([`conferences`]). After the load it reads
//! every conference's minutes back: each petition answered OK must be there,
//! once, and nothing else; and each one's event must have reached NATS and
//! the deadlines service once.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Instant, SystemTime},
};

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use doithoai_proto::minutes::v1::{
    Classification, ConferenceRequest, PetitionRecorded, RecordPetitionRequest,
    minutes_service_client::MinutesServiceClient,
};
use doithoai_runtime::{auth::with_bearer as bearer, events::decode_payload};
use tonic::transport::Channel;

use crate::{
    conferences::{self, Conference, StackArgs},
    drive::Workload,
    events::{Answered, EventsReport, Listener},
};

#[derive(Args)]
pub struct PetitionsArgs {
    #[command(flatten)]
    pub stack: StackArgs,
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
/// The largest minutes the check reads back: 64 MB, some 300,000 petitions.
const VERIFY_MESSAGE_LIMIT: usize = 64 * 1024 * 1024;

pub struct Petitions {
    minutes: MinutesServiceClient<Channel>,
    held: Vec<Conference>,
    /// Each petition answered OK: its conference's index, and its id with when it was answered.
    recorded: Mutex<Vec<(usize, Answered)>>,
    listener: Mutex<Option<Listener>>,
    consumer: Option<sqlx::PgPool>,
    /// Tells this run's request ids from another's.
    run: String,
}

impl Petitions {
    pub async fn prepare(args: &PetitionsArgs) -> anyhow::Result<Self> {
        let held = conferences::announce(&args.stack).await?.start().await?;
        // The check reads each conference's whole minutes: a run on one
        // conference puts tens of thousands of petitions in them, past
        // gRPC's default 4 MB per message.
        let minutes = MinutesServiceClient::new(args.stack.connect(&args.stack.minutes)?)
            .max_decoding_message_size(VERIFY_MESSAGE_LIMIT);
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

impl Workload for Petitions {
    fn operations(&self) -> &[&'static str] {
        &["RecordPetition"]
    }

    async fn send(&self, n: u64) -> Option<(usize, anyhow::Result<()>)> {
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
        Some((0, result.await))
    }
}
