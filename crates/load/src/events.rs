//! The events the writes announce, heard as the other services hear them:
//! on NATS, from the moment each write was answered (the relay's lag), and
//! in the consuming service's inbox (the lag to the next service). Every
//! write answered OK must have its event, once, in both.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant, SystemTime},
};

use anyhow::Context;
use doithoai_proto::common::v1::EventEnvelope;
use futures::StreamExt;
use hdrhistogram::Histogram;
use prost::Message;
use serde::Serialize;
use uuid::Uuid;

/// How long after the load the events may still be on their way.
const SETTLE: Duration = Duration::from_secs(30);
/// The width of the windows the lag is reported in, to show whether it grows.
const WINDOW: Duration = Duration::from_secs(10);

/// A write answered OK: the record its event names, and when the answer came.
pub struct Answered {
    pub key: String,
    pub at: Instant,
    pub wall: SystemTime,
}

/// One event heard: its id, when, and how many times.
struct Heard {
    event_id: Uuid,
    at: Instant,
    times: u32,
}

/// Hears the events of one subject from before the load starts.
pub struct Listener {
    heard: Arc<Mutex<HashMap<String, Heard>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Serialize, Default)]
pub struct Lag {
    pub events: u64,
    pub missing: u64,
    pub duplicates: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Serialize)]
pub struct EventsReport {
    pub subject: String,
    /// From each write's answer to its event on NATS.
    pub to_nats: Lag,
    /// The same, p99 in each successive window of the run (ms).
    pub to_nats_p99_by_window: Vec<f64>,
    pub window_secs: u64,
    /// From each write's answer to its event in the consuming service's inbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_consumer: Option<Lag>,
}

impl Listener {
    /// Subscribes to `subject`; `key` names the record an event is about.
    pub async fn start(nats: &str, subject: &str, key: fn(&EventEnvelope) -> Option<String>) -> anyhow::Result<Self> {
        let client = async_nats::connect(nats).await.with_context(|| format!("cannot connect to NATS at {nats}"))?;
        let mut messages = client.subscribe(subject.to_owned()).await?;
        client.flush().await?;
        let heard: Arc<Mutex<HashMap<String, Heard>>> = Arc::default();
        let into = heard.clone();
        let task = tokio::spawn(async move {
            let _client = client;
            while let Some(message) = messages.next().await {
                let at = Instant::now();
                let Ok(envelope) = EventEnvelope::decode(message.payload) else { continue };
                let (Some(record), Ok(event_id)) = (key(&envelope), Uuid::parse_str(&envelope.event_id)) else {
                    continue;
                };
                let mut heard = into.lock().unwrap_or_else(PoisonError::into_inner);
                heard.entry(record).and_modify(|h| h.times += 1).or_insert(Heard { event_id, at, times: 1 });
            }
        });
        Ok(Self { heard, task })
    }

    /// Waits for the events of `answered` (at most `SETTLE`), then measures
    /// them; with `inbox`, also their arrival in the consumer's inbox.
    pub async fn report(
        self,
        subject: &str,
        answered: &[Answered],
        inbox: Option<&sqlx::PgPool>,
    ) -> anyhow::Result<EventsReport> {
        let all_heard = || {
            let heard = self.heard.lock().unwrap_or_else(PoisonError::into_inner);
            answered.iter().all(|a| heard.contains_key(&a.key))
        };
        let deadline = Instant::now() + SETTLE;
        while !all_heard() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.task.abort();
        let heard = std::mem::take(&mut *self.heard.lock().unwrap_or_else(PoisonError::into_inner));
        let start = answered.iter().map(|a| a.at).min().unwrap_or_else(Instant::now);

        let mut to_nats = Lag::default();
        let mut latency = histogram();
        let mut windows: Vec<Histogram<u64>> = Vec::new();
        for a in answered {
            let Some(h) = heard.get(&a.key) else {
                to_nats.missing += 1;
                continue;
            };
            to_nats.duplicates += u64::from(h.times - 1);
            let micros = h.at.saturating_duration_since(a.at).as_micros() as u64;
            latency.saturating_record(micros.max(1));
            let window = (a.at - start).as_secs() / WINDOW.as_secs();
            while windows.len() <= window as usize {
                windows.push(histogram());
            }
            windows[window as usize].saturating_record(micros.max(1));
        }
        fill(&mut to_nats, &latency);

        let to_consumer = match inbox {
            Some(pool) => Some(consumed(pool, answered, &heard).await?),
            None => None,
        };
        Ok(EventsReport {
            subject: subject.to_owned(),
            to_nats,
            to_nats_p99_by_window: windows.iter().map(|w| ms(w.value_at_quantile(0.99))).collect(),
            window_secs: WINDOW.as_secs(),
            to_consumer,
        })
    }
}

/// The events in the consumer's inbox, once each (its key), waiting for the
/// last of them at most `SETTLE`.
async fn consumed(pool: &sqlx::PgPool, answered: &[Answered], heard: &HashMap<String, Heard>) -> anyhow::Result<Lag> {
    let ids: Vec<Uuid> = answered.iter().filter_map(|a| heard.get(&a.key)).map(|h| h.event_id).collect();
    let deadline = Instant::now() + SETTLE;
    let received: HashMap<Uuid, chrono::DateTime<chrono::Utc>> = loop {
        let rows: Vec<(Uuid, chrono::DateTime<chrono::Utc>)> =
            sqlx::query_as("SELECT event_id, received_at FROM inbox WHERE event_id = ANY($1)")
                .bind(&ids)
                .fetch_all(pool)
                .await
                .context("the consumer's inbox")?;
        if rows.len() == ids.len() || Instant::now() >= deadline {
            break rows.into_iter().collect();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut lag = Lag::default();
    let mut latency = histogram();
    for a in answered {
        let Some(at) = heard.get(&a.key).and_then(|h| received.get(&h.event_id)) else {
            lag.missing += 1;
            continue;
        };
        let answered_at = chrono::DateTime::<chrono::Utc>::from(a.wall);
        let micros = (*at - answered_at).num_microseconds().unwrap_or(0).max(1) as u64;
        latency.saturating_record(micros);
    }
    fill(&mut lag, &latency);
    Ok(lag)
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn fill(lag: &mut Lag, latency: &Histogram<u64>) {
    lag.events = latency.len();
    lag.p50_ms = ms(latency.value_at_quantile(0.50));
    lag.p99_ms = ms(latency.value_at_quantile(0.99));
    lag.max_ms = ms(latency.max());
}

impl EventsReport {
    pub fn table(&self) -> String {
        let line = |name: &str, lag: &Lag| {
            format!(
                "{name:<14} {:>8} missing {} duplicates {}  p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms\n",
                lag.events, lag.missing, lag.duplicates, lag.p50_ms, lag.p99_ms, lag.max_ms
            )
        };
        let mut table = format!("events on {}\n", self.subject);
        table.push_str(&line("to NATS", &self.to_nats));
        let windows: Vec<String> = self.to_nats_p99_by_window.iter().map(|p| format!("{p:.0}")).collect();
        table.push_str(&format!("  p99 per {} s: {} ms\n", self.window_secs, windows.join(" ")));
        if let Some(consumer) = &self.to_consumer {
            table.push_str(&line("to consumer", consumer));
        }
        table
    }
}
