//! Events on the wire: one JetStream stream per producing service, subjects
//! that carry the unit path (`doithoai.scheduling.unit_upserted.33.323.11974`)
//! so a tier can subscribe to its own subtree, and the protobuf envelope.

use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::{self, stream};
use doithoai_proto::common::v1::EventEnvelope;
use prost::{Message, Name};
use uuid::Uuid;

use crate::settings::NatsSettings;

/// How long a relay or a consumer first waits before trying NATS again.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest it waits (each wait doubles the last). A cluster elects a
/// stream's new leader in a few seconds, and a restarted server is back as
/// soon; a longer wait would only hold the events back after it, and a try
/// costs next to nothing.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A relay's or a consumer's tries while NATS (or the database) is away:
/// waits that double up to [`MAX_BACKOFF`], and one warning per outage, for
/// its first failed try; the tries after it, a try every 2 s, are debug.
pub(crate) struct Retries {
    what: &'static str,
    source: &'static str,
    wait: Duration,
    failed: u32,
}

impl Retries {
    /// `what` says what failed; `source` is the stream concerned.
    pub(crate) fn new(what: &'static str, source: &'static str) -> Self {
        Self { what, source, wait: FIRST_BACKOFF, failed: 0 }
    }

    /// A failed try, logged; returns how long to wait before the next.
    pub(crate) fn failed(&mut self, error: &anyhow::Error) -> Duration {
        let (what, source, wait, error) = (self.what, self.source, self.wait, format!("{error:#}"));
        if self.failed == 0 {
            tracing::warn!(source, error, retry_in = ?wait, "{what}");
        } else {
            tracing::debug!(source, error, retry_in = ?wait, failed_tries = self.failed + 1, "{what}");
        }
        self.failed += 1;
        self.wait = (wait * 2).min(MAX_BACKOFF);
        wait
    }

    /// A try that worked: the next outage starts from the first wait.
    /// Returns how many tries failed before it (0: there was no outage).
    pub(crate) fn succeeded(&mut self) -> u32 {
        self.wait = FIRST_BACKOFF;
        std::mem::take(&mut self.failed)
    }
}

/// Stream of the events `service` publishes.
pub fn stream_name(service: &str) -> String {
    format!("DOITHOAI_{}", service.to_ascii_uppercase())
}

pub fn subject(service: &str, kind: &str, unit_path: &[String]) -> String {
    let mut subject = format!("doithoai.{service}.{kind}");
    for code in unit_path {
        subject.push('.');
        subject.push_str(code);
    }
    subject
}

/// Creates the stream of `service`, or brings an existing one to the
/// configured settings. Producer and consumers both call it, so start-up
/// order does not matter.
pub async fn ensure_stream(
    js: &jetstream::Context,
    service: &str,
    nats: &NatsSettings,
) -> anyhow::Result<stream::Stream> {
    let config = stream::Config {
        name: stream_name(service),
        subjects: vec![format!("doithoai.{service}.>")],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        num_replicas: nats.stream_replicas,
        duplicate_window: Duration::from_secs(nats.duplicate_window_secs),
        ..Default::default()
    };
    if js.get_stream(&config.name).await.is_ok() {
        js.update_stream(&config).await.with_context(|| format!("cannot update stream {}", config.name))?;
    } else if let Err(error) = js.create_stream(config.clone()).await {
        // Another service may have created it in between.
        js.get_stream(&config.name).await.with_context(|| format!("cannot create stream {}: {error}", config.name))?;
    }
    js.get_stream(&config.name).await.with_context(|| format!("stream {} is missing", config.name))
}

/// An event on its way into the outbox.
#[derive(Debug, Clone)]
pub struct Event {
    /// Subject token, snake case: `unit_upserted`.
    pub kind: &'static str,
    pub event_type: String,
    pub aggregate_id: String,
    pub unit_path: Vec<String>,
    pub payload: Vec<u8>,
}

impl Event {
    pub fn new<M: Message + Name>(
        kind: &'static str,
        aggregate_id: impl Into<String>,
        unit_path: Vec<String>,
        message: &M,
    ) -> Self {
        Self {
            kind,
            event_type: M::full_name(),
            aggregate_id: aggregate_id.into(),
            unit_path,
            payload: message.encode_to_vec(),
        }
    }

    pub fn envelope(
        &self,
        event_id: Uuid,
        actor: &str,
        traceparent: Option<&str>,
        occurred_at: chrono::DateTime<chrono::Utc>,
    ) -> EventEnvelope {
        EventEnvelope {
            event_id: event_id.to_string(),
            event_type: self.event_type.clone(),
            occurred_at: Some(crate::time::timestamp(occurred_at)),
            unit_path: self.unit_path.clone(),
            actor: actor.to_owned(),
            traceparent: traceparent.unwrap_or_default().to_owned(),
            aggregate_id: self.aggregate_id.clone(),
            payload: self.payload.clone(),
        }
    }
}

/// Decodes the payload of an envelope as `M`, checking its type name.
pub fn decode_payload<M: Message + Name + Default>(envelope: &EventEnvelope) -> anyhow::Result<Option<M>> {
    if envelope.event_type != M::full_name() {
        return Ok(None);
    }
    M::decode(envelope.payload.as_slice()).map(Some).context("undecodable event payload")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_carry_the_unit_path() {
        let path = ["33", "323", "11974"].map(String::from);
        assert_eq!(subject("minutes", "petition_recorded", &path), "doithoai.minutes.petition_recorded.33.323.11974");
        assert_eq!(stream_name("minutes"), "DOITHOAI_MINUTES");
    }
}
