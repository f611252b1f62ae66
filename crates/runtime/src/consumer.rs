//! Idempotent consumers. One durable pull consumer per consuming service and
//! source stream, with explicit acks. Each event is handled in a database
//! transaction that first records its id in the inbox: a redelivered event
//! finds its id there and has no second effect. The ack follows the commit.
//! An undecodable message is terminated and logged; one that keeps failing is
//! parked in the dead-letter table after a bounded number of deliveries.

use std::{collections::HashSet, future::Future, time::Duration};

use async_nats::jetstream::{self, AckKind, consumer::pull};
use doithoai_proto::common::v1::EventEnvelope;
use futures::StreamExt;
use prost::Message;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::{events, settings::Settings, telemetry};

/// The longest an event that failed waits to be delivered again.
const MAX_REDELIVERY_DELAY: Duration = Duration::from_secs(30);
/// How often the server says a pull request is still alive while no event
/// comes. Two missed, and the consumer attaches again: a request lost with
/// the cluster node that led the consumer is noticed in seconds, not after
/// the client's default 15 s heartbeat twice over.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// At most this many events handled in one transaction.
const BATCH: usize = 64;

/// What a service does with the events of one source stream. Runs inside the
/// transaction that records the event in the inbox; an error rolls both back.
pub trait EventHandler: Send + Sync + 'static {
    fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope)
    -> impl Future<Output = anyhow::Result<()>> + Send;

    /// The events that arrived together, in order, in one transaction: each
    /// alone, in its own span, unless the handler writes them together
    /// (many of one kind in one statement), as it must then in their order.
    fn handle_all(
        &self,
        conn: &mut PgConnection,
        events: &[Delivered<'_>],
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        async move {
            for event in events {
                self.handle(conn, event.envelope).instrument(event.span.clone()).await?;
            }
            Ok(())
        }
    }
}

/// An event of a batch, with its consumer span.
#[derive(Clone, Copy)]
pub struct Delivered<'a> {
    pub envelope: &'a EventEnvelope,
    pub span: &'a tracing::Span,
}

/// No further handling.
impl EventHandler for () {
    async fn handle(&self, _: &mut PgConnection, _: &EventEnvelope) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Two handlers of one stream, in order, in the same transaction: for each
/// event the first, then the second.
impl<A: EventHandler, B: EventHandler> EventHandler for (A, B) {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        self.0.handle(conn, event).await?;
        self.1.handle(conn, event).await
    }
}

/// Two handlers of one stream that share nothing (neither reads what the
/// other writes), in the same transaction: the first takes a batch whole,
/// then the second, so that each may write its events together.
pub struct Independent<A, B>(pub A, pub B);

impl<A: EventHandler, B: EventHandler> EventHandler for Independent<A, B> {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        self.0.handle(conn, event).await?;
        self.1.handle(conn, event).await
    }

    async fn handle_all(&self, conn: &mut PgConnection, events: &[Delivered<'_>]) -> anyhow::Result<()> {
        self.0.handle_all(conn, events).await?;
        self.1.handle_all(conn, events).await
    }
}

pub struct Consumer<H> {
    /// The consuming service; also the durable consumer's name.
    pub service: &'static str,
    /// The producing service whose stream is consumed.
    pub source: &'static str,
    pub pool: PgPool,
    pub jetstream: jetstream::Context,
    pub settings: Settings,
    pub handler: H,
}

/// An event decoded from its message, with its span.
struct Received {
    message: jetstream::Message,
    envelope: EventEnvelope,
    event_id: Uuid,
    deliveries: i64,
    span: tracing::Span,
}

enum Outcome {
    Applied,
    Duplicate,
}

impl<H: EventHandler> Consumer<H> {
    /// Consumes until `stop`, re-attaching after NATS outages.
    pub async fn run(self, stop: CancellationToken) {
        let mut retries = events::Retries::new("consumer detached", self.source);
        while !stop.is_cancelled() {
            match self.consume(&stop, &mut retries).await {
                Ok(()) => break,
                Err(error) => {
                    let wait = retries.failed(&error);
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// Consumes until `stop` or an error; once attached, the outage (if
    /// any) is over for `retries`.
    async fn consume(&self, stop: &CancellationToken, retries: &mut events::Retries) -> anyhow::Result<()> {
        let stream = events::ensure_stream(&self.jetstream, self.source, &self.settings.nats).await?;
        let consumer = stream
            .get_or_create_consumer(
                self.service,
                pull::Config {
                    durable_name: Some(self.service.to_owned()),
                    description: Some(format!("{} consumes {}", self.service, self.source)),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait: self.settings.ack_wait(),
                    filter_subject: format!("doithoai.{}.>", self.source),
                    ..Default::default()
                },
            )
            .await?;
        let messages = consumer.stream().heartbeat(HEARTBEAT).messages().await?;
        retries.succeeded();
        tracing::info!(source = self.source, "consumer attached");
        // Every series exists from the start, so that an alert on a rate or
        // an increase sees its zero (and a dashboard its empty line).
        let labels = [("service", self.service), ("source", self.source)];
        metrics::counter!("doithoai_consumer_handled_total", &labels).increment(0);
        metrics::counter!("doithoai_consumer_redeliveries_total", &labels).increment(0);
        metrics::counter!("doithoai_dead_letters_total", "service" => self.service).increment(0);
        metrics::counter!("doithoai_consumer_undecodable_total", "service" => self.service).increment(0);
        // What has arrived together is handled together, in one transaction.
        let mut batches = messages.ready_chunks(BATCH);
        loop {
            let next = tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                next = batches.next() => next,
            };
            let Some(batch) = next else { anyhow::bail!("the message stream ended") };
            let mut received = Vec::with_capacity(batch.len());
            let mut broken = None;
            for message in batch {
                match message {
                    Ok(message) => received.extend(self.receive(message).await),
                    Err(error) => {
                        broken = Some(error);
                        break;
                    }
                }
            }
            self.process_all(received).await;
            if let Some(error) = broken {
                return Err(anyhow::Error::new(error));
            }
        }
    }

    /// Decodes a message and opens its span; an undecodable one is
    /// terminated here.
    async fn receive(&self, message: jetstream::Message) -> Option<Received> {
        let (deliveries, pending) = message.info().map_or((1, 0), |i| (i.delivered, i.pending));
        metrics::gauge!("doithoai_consumer_pending", "service" => self.service, "source" => self.source)
            .set(pending as f64);
        let decoded = EventEnvelope::decode(message.payload.clone())
            .ok()
            .and_then(|envelope| Uuid::parse_str(&envelope.event_id).ok().map(|id| (envelope, id)));
        let Some((envelope, event_id)) = decoded else {
            tracing::error!(subject = %message.subject, "undecodable event terminated");
            metrics::counter!("doithoai_consumer_undecodable_total", "service" => self.service).increment(1);
            let _ = message.ack_with(AckKind::Term).await;
            return None;
        };
        let span = tracing::info_span!(
            "event",
            otel.name = %format!("process {}", message.subject),
            otel.kind = "consumer",
            messaging.system = "nats",
            messaging.operation.type = "process",
            messaging.destination.name = %message.subject,
            messaging.consumer.group.name = self.service,
            service = self.service,
            event_type = %envelope.event_type,
            event_id = %event_id,
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
        );
        let traceparent = message
            .headers
            .as_ref()
            .and_then(|h| h.get(telemetry::TRACEPARENT))
            .map(|v| v.as_str().to_owned())
            .or_else(|| Some(envelope.traceparent.clone()).filter(|t| !t.is_empty()));
        telemetry::continue_trace(&span, traceparent.as_deref());
        // The request that wrote the event, beside the publish it came through.
        telemetry::link(&span, Some(envelope.traceparent.as_str()).filter(|t| !t.is_empty()));

        if deliveries > 1 {
            metrics::counter!("doithoai_consumer_redeliveries_total", "service" => self.service, "source" => self.source)
                .increment(1);
        }
        Some(Received { message, envelope, event_id, deliveries, span })
    }

    /// Handles a batch in one transaction and acks it; should any event of
    /// it fail, each is handled again on its own, so that only the failing
    /// one is retried or parked.
    async fn process_all(&self, batch: Vec<Received>) {
        if batch.len() > 1 {
            let started = std::time::Instant::now();
            match self.apply_all(&batch).await {
                Ok(()) => {
                    let seconds = started.elapsed().as_secs_f64() / batch.len() as f64;
                    for received in &batch {
                        metrics::histogram!("doithoai_consumer_handler_seconds", "service" => self.service, "source" => self.source)
                            .record(seconds);
                        metrics::counter!("doithoai_consumer_handled_total", "service" => self.service, "source" => self.source)
                            .increment(1);
                        let _ = received.message.ack().await;
                    }
                    return;
                }
                Err(error) => {
                    tracing::debug!(
                        error = format!("{error:#}"),
                        events = batch.len(),
                        "batch failed; events one by one"
                    )
                }
            }
        }
        for received in batch {
            self.process(received).await;
        }
    }

    async fn apply_all(&self, batch: &[Received]) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<Uuid> = batch.iter().map(|r| r.event_id).collect();
        let subjects: Vec<&str> = batch.iter().map(|r| r.message.subject.as_str()).collect();
        let mut fresh: HashSet<Uuid> = sqlx::query_scalar(
            "INSERT INTO inbox (event_id, stream, subject) SELECT id, $2, subject FROM UNNEST($1::uuid[], $3::text[]) AS e(id, subject)
             ON CONFLICT DO NOTHING RETURNING event_id",
        )
        .bind(&ids)
        .bind(events::stream_name(self.source))
        .bind(&subjects)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        // An event delivered twice in one batch is handled once.
        let events: Vec<Delivered<'_>> = batch
            .iter()
            .filter(|received| fresh.remove(&received.event_id))
            .map(|received| Delivered { envelope: &received.envelope, span: &received.span })
            .collect();
        self.handler.handle_all(&mut tx, &events).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn process(&self, received: Received) {
        let Received { message, envelope, event_id, deliveries, span } = received;
        async {
            let started = std::time::Instant::now();
            let applied = self.apply(&envelope, event_id, message.subject.as_str()).await;
            metrics::histogram!("doithoai_consumer_handler_seconds", "service" => self.service, "source" => self.source)
                .record(started.elapsed().as_secs_f64());
            match applied {
                Ok(outcome) => {
                    metrics::counter!("doithoai_consumer_handled_total", "service" => self.service, "source" => self.source)
                        .increment(1);
                    if matches!(outcome, Outcome::Duplicate) {
                        tracing::debug!("duplicate event skipped");
                    }
                    let _ = message.ack().await;
                }
                Err(error) if deliveries >= self.settings.consumer.max_deliveries => {
                    match self.park(&message, event_id, deliveries, &error).await {
                        Ok(()) => {
                            tracing::error!(error = format!("{error:#}"), deliveries, "event parked in dead letters");
                            let _ = message.ack_with(AckKind::Term).await;
                        }
                        Err(park_error) => {
                            tracing::error!(error = %park_error, "cannot park event; it will be redelivered");
                            let _ = message.ack_with(AckKind::Nak(Some(MAX_REDELIVERY_DELAY))).await;
                        }
                    }
                }
                Err(error) => {
                    let delay = Duration::from_millis(250 * 2u64.pow(deliveries.clamp(1, 7) as u32)).min(MAX_REDELIVERY_DELAY);
                    tracing::warn!(error = format!("{error:#}"), deliveries, "event failed; redelivery in {delay:?}");
                    let _ = message.ack_with(AckKind::Nak(Some(delay))).await;
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn apply(&self, envelope: &EventEnvelope, event_id: Uuid, subject: &str) -> anyhow::Result<Outcome> {
        let mut tx = self.pool.begin().await?;
        let fresh =
            sqlx::query("INSERT INTO inbox (event_id, stream, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(event_id)
                .bind(events::stream_name(self.source))
                .bind(subject)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if !fresh {
            return Ok(Outcome::Duplicate);
        }
        self.handler.handle(&mut tx, envelope).await?;
        tx.commit().await?;
        Ok(Outcome::Applied)
    }

    async fn park(
        &self,
        message: &jetstream::Message,
        event_id: Uuid,
        deliveries: i64,
        error: &anyhow::Error,
    ) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO dead_letters (stream, subject, event_id, deliveries, error, payload) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(events::stream_name(self.source))
        .bind(message.subject.as_str())
        .bind(event_id.to_string())
        .bind(deliveries)
        .bind(format!("{error:#}"))
        .bind(message.payload.as_ref())
        .execute(&self.pool)
        .await?;
        metrics::counter!("doithoai_dead_letters_total", "service" => self.service).increment(1);
        Ok(())
    }
}
