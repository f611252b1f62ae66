//! Transactional outbox. A service appends its events in the same transaction
//! as the change they describe; the relay publishes them to JetStream with
//! `Nats-Msg-Id` = event id, awaits each ack, and only then marks them
//! published. NATS being down delays events; it never fails a write or loses
//! one.

use std::time::Duration;

use async_nats::{HeaderMap, jetstream};
use doithoai_proto::common::v1::EventEnvelope;
use prost::Message;
use sqlx::{PgConnection, PgPool, postgres::PgListener};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::{
    audit,
    auth::Caller,
    change::Change,
    error::{Reason, Refusal, ServiceResult},
    events,
    idempotency::Once,
    settings::Settings,
    telemetry,
    time::Clock,
};

const CHANNEL: &str = "doithoai_outbox";
const RELAY_LOCK: i64 = 0x0d01_7400_0001;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const FINAL_FLUSH: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Where a service appends its events. Events carry the time of the
/// service's clock, so a simulated day is the day the events say.
#[derive(Debug, Clone)]
pub struct Outbox {
    service: &'static str,
    clock: Clock,
    caller_units: Option<&'static str>,
}

impl Outbox {
    pub fn new(service: &'static str, clock: Clock) -> Self {
        Self { service, clock, caller_units: None }
    }

    /// Checks every change's caller against the service's directory: a caller
    /// whose unit ended (a reorganisation) reads its history but changes
    /// nothing. `query` gives, for a unit code, the day it ended (or NULL)
    /// and its successors.
    pub fn checking_caller_units(self, query: &'static str) -> Self {
        Self { caller_units: Some(query), ..self }
    }

    /// Appends one event; call inside the business transaction.
    pub async fn append(&self, conn: &mut PgConnection, actor: &str, event: &events::Event) -> sqlx::Result<Uuid> {
        let ids = self.append_all(conn, actor, std::slice::from_ref(event)).await?;
        Ok(ids[0])
    }

    /// Writes a change the caller made: its audit entries and the events
    /// that describe it, both in the business transaction. Refused (and so
    /// rolled back whole) when the caller's unit has ended.
    pub async fn write(&self, conn: &mut PgConnection, caller: &Caller, change: Change) -> ServiceResult<()> {
        self.require_living_unit(conn, caller).await?;
        audit::record(conn, caller, &change.audit).await?;
        if !change.events.is_empty() {
            self.append_all(conn, &caller.subject, &change.events).await?;
        }
        Ok(())
    }

    async fn require_living_unit(&self, conn: &mut PgConnection, caller: &Caller) -> ServiceResult<()> {
        let Some(query) = self.caller_units else { return Ok(()) };
        let found: Option<(Option<chrono::NaiveDate>, Vec<String>)> =
            sqlx::query_as(query).bind(caller.unit.as_str()).fetch_optional(conn).await?;
        let Some((Some(ended), successors)) = found else { return Ok(()) };
        if ended >= self.clock.today() {
            return Ok(());
        }
        let (unit, successors) = (caller.unit.as_str(), successors.join(", "));
        Err(Refusal::denied(
            Reason::CallerUnitEnded,
            format!("unit {unit} ended on {ended}, succeeded by {successors}: its accounts read its history but change nothing"),
            format!("đơn vị {unit} đã kết thúc ngày {ended}, được kế thừa bởi {successors}: tài khoản của đơn vị chỉ xem lịch sử, không thay đổi dữ liệu"),
        )
        .into())
    }

    /// Ends a change: writes it, keeps its result for a retry of the same
    /// request (`Once`), and commits. Returns the result.
    pub async fn commit<R: Message>(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
        caller: &Caller,
        change: Change,
        once: &Once,
        result: R,
    ) -> ServiceResult<R> {
        self.write(&mut tx, caller, change).await?;
        once.remember(&mut tx, &result).await?;
        tx.commit().await?;
        Ok(result)
    }

    /// Appends events in order, in one statement.
    pub async fn append_all(
        &self,
        conn: &mut PgConnection,
        actor: &str,
        events: &[events::Event],
    ) -> sqlx::Result<Vec<Uuid>> {
        let traceparent = telemetry::current_traceparent();
        let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
        let mut subjects = Vec::with_capacity(events.len());
        let mut aggregates = Vec::with_capacity(events.len());
        let mut envelopes = Vec::with_capacity(events.len());
        for (event, id) in events.iter().zip(&ids) {
            subjects.push(events::subject(self.service, event.kind, &event.unit_path));
            aggregates.push(event.aggregate_id.clone());
            envelopes.push(event.envelope(*id, actor, traceparent.as_deref(), self.clock.now()).encode_to_vec());
        }
        sqlx::query(
            "INSERT INTO outbox (event_id, subject, aggregate_id, envelope, traceparent)
             SELECT e.id, e.subject, e.aggregate, e.envelope, $5
             FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY
                  AS e(id, subject, aggregate, envelope, n)
             ORDER BY e.n",
        )
        .bind(&ids)
        .bind(&subjects)
        .bind(&aggregates)
        .bind(&envelopes)
        .bind(&traceparent)
        .execute(conn)
        .await?;
        Ok(ids)
    }
}

/// Publishes the outbox to JetStream.
pub struct Relay {
    pub service: &'static str,
    pub pool: PgPool,
    pub jetstream: jetstream::Context,
    pub settings: Settings,
}

#[derive(sqlx::FromRow)]
struct Pending {
    seq: i64,
    event_id: Uuid,
    subject: String,
    envelope: Vec<u8>,
    traceparent: Option<String>,
}

impl Relay {
    /// Runs until `stop`, then makes one last bounded attempt to flush.
    pub async fn run(self, stop: CancellationToken) {
        let poll = Duration::from_millis(self.settings.outbox.poll_interval_ms);
        let mut listener = None;
        let mut backoff = Duration::from_millis(200);
        let mut stream_ready = false;
        let mut last_prune: Option<std::time::Instant> = None;
        while !stop.is_cancelled() {
            if last_prune.is_none_or(|at| at.elapsed() > PRUNE_EVERY) {
                self.prune().await;
                last_prune = Some(std::time::Instant::now());
            }
            if listener.is_none() {
                listener = self.listen().await;
            }
            if !stream_ready {
                match events::ensure_stream(&self.jetstream, self.service, &self.settings.nats).await {
                    Ok(_) => stream_ready = true,
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "stream not ready; events wait in the outbox")
                    }
                }
            }
            let result =
                if stream_ready { self.publish_batch().await } else { Err(anyhow::anyhow!("stream not ready")) };
            match result {
                Ok(published) => {
                    backoff = Duration::from_millis(200);
                    if published as i64 == self.settings.outbox.batch_size {
                        continue;
                    }
                    self.record_backlog().await;
                    let notified = async {
                        match listener.as_mut() {
                            Some(l) => l.recv().await.is_ok(),
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        ok = notified => if !ok { listener = None },
                        _ = tokio::time::sleep(poll) => {}
                    }
                }
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), retry_in = ?backoff, "outbox relay cannot publish");
                    self.record_backlog().await;
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        let flush = async {
            while let Ok(n) = self.publish_batch().await {
                if n == 0 {
                    break;
                }
            }
        };
        if tokio::time::timeout(FINAL_FLUSH, flush).await.is_err() {
            tracing::warn!("outbox not fully flushed at shutdown; the next start publishes the rest");
        }
        self.record_backlog().await;
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(CHANNEL).await.ok()?;
        Some(listener)
    }

    /// Publishes the oldest unpublished events, in order. One relay at a time
    /// (an advisory lock), so the order holds with several replicas running.
    /// Returns how many were published.
    pub async fn publish_batch(&self) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)").bind(RELAY_LOCK).fetch_one(&mut *tx).await?;
        if !locked {
            return Ok(0);
        }
        let pending: Vec<Pending> = sqlx::query_as(
            "SELECT seq, event_id, subject, envelope, traceparent FROM outbox
             WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(self.settings.outbox.batch_size)
        .fetch_all(&mut *tx)
        .await?;

        // Send the whole batch, then collect the acks in order; stop at the
        // first failure so nothing after a gap is marked published.
        let mut acks = Vec::with_capacity(pending.len());
        let mut failure = None;
        for event in &pending {
            let (span, message) = publish(event);
            let sent = self.jetstream.send_publish(event.subject.clone(), message).instrument(span.clone()).await;
            match sent {
                Ok(ack) => acks.push((span, ack)),
                Err(error) => {
                    span.in_scope(|| tracing::warn!(error = %error, "publish failed"));
                    failure = Some(anyhow::Error::new(error));
                    break;
                }
            }
        }
        let mut published = Vec::with_capacity(acks.len());
        // Each producer span lasts until the server's ack, and ends with it.
        for (event, (span, ack)) in pending.iter().zip(acks) {
            match ack.into_future().instrument(span).await {
                Ok(_) => published.push(event.seq),
                Err(error) => {
                    failure.get_or_insert(anyhow::Error::new(error));
                    break;
                }
            }
        }
        sqlx::query("UPDATE outbox SET published_at = now() WHERE seq = ANY($1)")
            .bind(&published)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        metrics::counter!("doithoai_outbox_published_total", "service" => self.service)
            .increment(published.len() as u64);
        metrics::counter!("doithoai_outbox_publish_failures_total", "service" => self.service)
            .increment(u64::from(failure.is_some()));
        match failure {
            Some(error) => Err(error.context(format!("{} of {} events published", published.len(), pending.len()))),
            None => Ok(published.len()),
        }
    }

    /// Deletes published rows, and the results kept for retried requests
    /// (AIP-155 ids), past the retention period: a retry comes within
    /// minutes, not weeks.
    async fn prune(&self) {
        for statement in [
            "DELETE FROM outbox WHERE published_at < now() - make_interval(hours => $1::int)",
            "DELETE FROM request_ids WHERE created_at < now() - make_interval(hours => $1::int)",
        ] {
            let pruned =
                sqlx::query(statement).bind(self.settings.outbox.retention_hours as i32).execute(&self.pool).await;
            if let Err(error) = pruned {
                tracing::warn!(error = %error, "cannot prune the outbox or the request ids");
            }
        }
    }

    async fn record_backlog(&self) {
        let backlog: Result<(i64, Option<f64>), _> = sqlx::query_as(
            "SELECT count(*), EXTRACT(EPOCH FROM now() - min(created_at))::float8 FROM outbox WHERE published_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await;
        if let Ok((count, oldest)) = backlog {
            metrics::gauge!("doithoai_outbox_backlog", "service" => self.service).set(count as f64);
            metrics::gauge!("doithoai_outbox_oldest_age_seconds", "service" => self.service).set(oldest.unwrap_or(0.0));
        }
    }
}

/// The message for `event` and its producer span, which covers the send and
/// the ack: a child of the request that wrote the event (its stored
/// `traceparent`), whose own context the message carries, so that a
/// consumer's span follows it (OpenTelemetry's messaging conventions).
fn publish(event: &Pending) -> (tracing::Span, jetstream::message::PublishMessage) {
    let span = tracing::info_span!(
        "publish",
        otel.name = %format!("publish {}", event.subject),
        otel.kind = "producer",
        messaging.system = "nats",
        messaging.operation.type = "send",
        messaging.destination.name = %event.subject,
        messaging.message.id = %event.event_id,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty,
    );
    telemetry::continue_trace(&span, event.traceparent.as_deref());
    let mut headers = HeaderMap::new();
    if let Some(traceparent) = span.in_scope(telemetry::current_traceparent).or_else(|| event.traceparent.clone()) {
        headers.insert(telemetry::TRACEPARENT, traceparent.as_str());
    }
    // Headers first: `headers` replaces the map that `message_id` writes to.
    let message = jetstream::message::PublishMessage::build()
        .headers(headers)
        .payload(event.envelope.clone().into())
        .message_id(event.event_id.to_string());
    (span, message)
}

/// Decodes what the relay stored, for tests and operators.
pub fn decode_envelope(bytes: &[u8]) -> anyhow::Result<EventEnvelope> {
    Ok(EventEnvelope::decode(bytes)?)
}
