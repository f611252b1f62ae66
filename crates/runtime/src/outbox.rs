//! Transactional outbox. A service appends its events in the same transaction
//! as the change they describe; the relay publishes them to JetStream with
//! `Nats-Msg-Id` = event id, awaits each ack, and only then marks them
//! published. NATS being down delays events; it never fails a write or loses
//! one.

use std::time::{Duration, Instant};

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
    idempotency::{Kept, Once},
    settings::Settings,
    telemetry,
    time::Clock,
};

const CHANNEL: &str = "doithoai_outbox";
const RELAY_LOCK: i64 = 0x0d01_7400_0001;
/// Held shared by each transaction that appends to the outbox (its trigger).
const WRITERS_LOCK: i64 = 0x0d01_7400_0002;
/// While events keep coming, how long the relay waits between reads, for
/// larger batches.
const LINGER: Duration = Duration::from_millis(2);
/// How long the relay waits for the writers that saw it reading.
const WRITERS_WAIT: Duration = Duration::from_millis(100);
const FINAL_FLUSH: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const BACKLOG_EVERY: Duration = Duration::from_secs(1);

/// Where a service appends its events. Events carry the time of the
/// service's clock, so a simulated day is the day the events say.
#[derive(Debug, Clone)]
pub struct Outbox {
    service: &'static str,
    clock: Clock,
    /// Whether each change checks its caller's unit in the service's `units` table.
    caller_units: bool,
}

/// The day the caller's unit ended, if it has, and its successors.
type UnitEnd = (Option<chrono::NaiveDate>, Option<Vec<String>>);

/// [`Outbox::store`]'s statement: whether it kept the request's result (or
/// had none to keep), then what it reads of the caller's unit ($17).
macro_rules! store_statement {
    ($unit_end:literal) => {
        concat!(
            "WITH audit AS (
                 INSERT INTO audit_log (actor, peer, rpc, record_type, record_id, before, after, trace_id)
                 SELECT $1, $18, a.rpc, a.record_type, a.record_id, a.before, a.after, $7
                 FROM UNNEST($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])
                      AS a(rpc, record_type, record_id, before, after)
             ), events AS (
                 INSERT INTO outbox (event_id, subject, aggregate_id, envelope, traceparent)
                 SELECT e.id, e.subject, e.aggregate, e.envelope, $8
                 FROM UNNEST($9::uuid[], $10::text[], $11::text[], $12::bytea[]) WITH ORDINALITY
                      AS e(id, subject, aggregate, envelope, n)
                 ORDER BY e.n
             ), kept AS (
                 INSERT INTO request_ids (subject, rpc, request_id, request_digest, response)
                 SELECT $13, $14, $15, $19, $16 WHERE $15::text IS NOT NULL
                 ON CONFLICT DO NOTHING
                 RETURNING 1
             )
             SELECT $15::text IS NULL OR EXISTS (SELECT FROM kept), ",
            $unit_end
        )
    };
}
// Binds $17 too, so both statements take the same parameters.
const STORE: &str = store_statement!("NULL::date, NULL::text[] FROM (SELECT $17::text) caller");
const STORE_CHECKING_UNIT: &str = store_statement!(
    "u.valid_to, u.successor_codes FROM (SELECT $17::text AS code) caller LEFT JOIN units u USING (code)"
);

/// [`Outbox::write_all`]'s statement: the changes of several callers, each
/// audit entry and event with its own request's trace. Returns how many
/// request ids it kept, and whether a caller's unit had ended ($19, $20).
macro_rules! store_all_statement {
    ($units_ended:literal) => {
        concat!(
            "WITH audit AS (
                 INSERT INTO audit_log (actor, peer, rpc, record_type, record_id, before, after, trace_id)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                                      $7::jsonb[], $8::text[])
             ), events AS (
                 INSERT INTO outbox (event_id, subject, aggregate_id, envelope, traceparent)
                 SELECT e.id, e.subject, e.aggregate, e.envelope, e.traceparent
                 FROM UNNEST($9::uuid[], $10::text[], $11::text[], $12::bytea[], $13::text[]) WITH ORDINALITY
                      AS e(id, subject, aggregate, envelope, traceparent, n)
                 ORDER BY e.n
             ), kept AS (
                 INSERT INTO request_ids (subject, rpc, request_id, request_digest, response)
                 SELECT * FROM UNNEST($14::text[], $15::text[], $16::text[], $17::bytea[], $18::bytea[])
                 ON CONFLICT DO NOTHING
                 RETURNING 1
             )
             SELECT (SELECT count(*) FROM kept), ",
            $units_ended
        )
    };
}
// Binds $19 and $20 too, so both statements take the same parameters.
const STORE_ALL: &str = store_all_statement!("false FROM (SELECT $19::text[], $20::date) callers");
const STORE_ALL_CHECKING_UNITS: &str =
    store_all_statement!("EXISTS (SELECT FROM units WHERE code = ANY($19::text[]) AND valid_to < $20::date)");

/// One change of several written together by [`Outbox::write_all`].
pub struct Entry<'a, R> {
    pub caller: &'a Caller,
    pub change: Change,
    pub once: &'a Once,
    /// What the request answers, kept under its id.
    pub result: R,
    /// The trace of the request that made the change.
    pub traceparent: Option<String>,
}

impl Outbox {
    pub fn new(service: &'static str, clock: Clock) -> Self {
        Self { service, clock, caller_units: false }
    }

    /// Checks every change's caller against the service's directory (its
    /// `units` table, with each unit's `valid_to` and `successor_codes`): a
    /// caller whose unit ended (a reorganisation) reads its history but
    /// changes nothing.
    pub fn checking_caller_units(self) -> Self {
        Self { caller_units: true, ..self }
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
        self.store(conn, caller, &change, None).await.map(drop)
    }

    /// Refuses a change whose caller's unit ended before today, from the
    /// unit's end and successors that the change's own statement read.
    fn require_living_unit(&self, caller: &Caller, end: UnitEnd) -> ServiceResult<()> {
        let (Some(ended), successors) = end else { return Ok(()) };
        if ended >= self.clock.today() {
            return Ok(());
        }
        let (unit, successors) = (caller.unit.as_str(), successors.unwrap_or_default().join(", "));
        Err(Refusal::denied(
            Reason::CallerUnitEnded,
            format!("unit {unit} ended on {ended}, succeeded by {successors}: its accounts read its history but change nothing"),
            format!("đơn vị {unit} đã kết thúc ngày {ended}, được kế thừa bởi {successors}: tài khoản của đơn vị chỉ xem lịch sử, không thay đổi dữ liệu"),
        )
        .into())
    }

    /// Ends a change: writes it, keeps its result under the request's id
    /// (`Once`), and commits. Returns the result; for a retry of a request
    /// that was committed, rolls back and returns the first request's.
    pub async fn commit<R: Message + Default>(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
        caller: &Caller,
        change: Change,
        once: &Once,
        result: R,
    ) -> ServiceResult<R> {
        if !self.store(&mut tx, caller, &change, once.keep(&result)).await? {
            let first = once.replay(&mut tx).await?;
            return first.ok_or_else(|| anyhow::anyhow!("a request id neither kept nor free").into());
        }
        tx.commit().await?;
        Ok(result)
    }

    /// Writes several callers' changes, in one statement, each result kept
    /// under its request's id; the caller commits. False when one of them
    /// cannot be committed with the others (its caller's unit ended, or its
    /// request's id was kept already: a retry): the transaction is to be
    /// rolled back, and each change done alone, where that is answered as
    /// it should be.
    pub async fn write_all<R: Message>(
        &self,
        conn: &mut PgConnection,
        entries: &[Entry<'_, R>],
    ) -> ServiceResult<bool> {
        let mut audit = AllAudit::default();
        let mut events = EventRows::default();
        let mut traceparents = Vec::new();
        let mut kept = Vec::new();
        for entry in entries {
            let (caller, traceparent) = (entry.caller, entry.traceparent.as_deref());
            for row in &entry.change.audit {
                audit.actors.push(caller.subject.as_str());
                audit.peers.push(caller.peer.as_deref());
                audit.trace_ids.push(audit::trace_id(traceparent));
                audit.entries.push(row);
            }
            let rows = self.rows(&caller.subject, &entry.change.events, traceparent);
            traceparents.extend(rows.ids.iter().map(|_| traceparent));
            events.extend(rows);
            kept.extend(entry.once.keep(&entry.result));
        }
        // In one order, so that two groups that each hold the other's retry
        // wait for each other in turn, not in a deadlock.
        kept.sort_by_key(|k| (k.subject, k.rpc, k.request_id));
        let columns = audit::Columns::of_all(&audit.entries);
        let units: Vec<&str> = entries.iter().map(|e| e.caller.unit.as_str()).collect();
        let statement = if self.caller_units { STORE_ALL_CHECKING_UNITS } else { STORE_ALL };
        let (took, unit_ended): (i64, bool) = sqlx::query_as(statement)
            .bind(&audit.actors)
            .bind(&audit.peers)
            .bind(&columns.rpcs)
            .bind(&columns.record_types)
            .bind(&columns.record_ids)
            .bind(&columns.befores)
            .bind(&columns.afters)
            .bind(&audit.trace_ids)
            .bind(&events.ids)
            .bind(&events.subjects)
            .bind(&events.aggregates)
            .bind(&events.envelopes)
            .bind(&traceparents)
            .bind(kept.iter().map(|k| k.subject).collect::<Vec<_>>())
            .bind(kept.iter().map(|k| k.rpc).collect::<Vec<_>>())
            .bind(kept.iter().map(|k| k.request_id).collect::<Vec<_>>())
            .bind(kept.iter().map(|k| k.digest).collect::<Vec<_>>())
            .bind(kept.iter().map(|k| k.response.as_slice()).collect::<Vec<_>>())
            .bind(&units)
            .bind(self.clock.today())
            .fetch_one(conn)
            .await?;
        Ok(!unit_ended && took == kept.len() as i64)
    }

    /// The audit entries, the events and the kept result in one statement,
    /// which also reads the caller's unit's end: a write's round trips are
    /// what bounds its rate, not its rows. A refusal rolls the whole
    /// transaction back. False when the request's id was kept already (by
    /// the first request, which this one waited for if it was in flight).
    async fn store(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        change: &Change,
        kept: Option<Kept<'_>>,
    ) -> ServiceResult<bool> {
        let statement = if self.caller_units { STORE_CHECKING_UNIT } else { STORE };
        let written = Written {
            actor: &caller.subject,
            peer: caller.peer.as_deref(),
            audit: &change.audit,
            events: &change.events,
            kept,
            unit: caller.unit.as_str(),
        };
        let (stored, _) = self.write_rows(conn, statement, written).await?;
        self.require_living_unit(caller, stored.unit_end)?;
        Ok(stored.took_id)
    }

    /// Appends events in order, in one statement (the same as a change's,
    /// without audit entries or a kept result).
    pub async fn append_all(
        &self,
        conn: &mut PgConnection,
        actor: &str,
        events: &[events::Event],
    ) -> sqlx::Result<Vec<Uuid>> {
        let written = Written { actor, peer: None, audit: &[], events, kept: None, unit: "" };
        let (_, ids) = self.write_rows(conn, STORE, written).await?;
        Ok(ids)
    }

    /// Runs one of the store statements; returns what it read, and the events' ids.
    async fn write_rows(
        &self,
        conn: &mut PgConnection,
        statement: &'static str,
        written: Written<'_>,
    ) -> sqlx::Result<(Stored, Vec<Uuid>)> {
        let Written { actor, peer, audit, events, kept, unit } = written;
        let traceparent = telemetry::current_traceparent();
        let audit = audit::Columns::of(audit);
        let events = self.rows(actor, events, traceparent.as_deref());
        let (took_id, valid_to, successors) = sqlx::query_as(statement)
            .bind(actor)
            .bind(&audit.rpcs)
            .bind(&audit.record_types)
            .bind(&audit.record_ids)
            .bind(&audit.befores)
            .bind(&audit.afters)
            .bind(audit::trace_id(traceparent.as_deref()))
            .bind(&traceparent)
            .bind(&events.ids)
            .bind(&events.subjects)
            .bind(&events.aggregates)
            .bind(&events.envelopes)
            .bind(kept.as_ref().map(|k| k.subject))
            .bind(kept.as_ref().map(|k| k.rpc))
            .bind(kept.as_ref().map(|k| k.request_id))
            .bind(kept.as_ref().map(|k| k.response.as_slice()))
            .bind(unit)
            .bind(peer)
            .bind(kept.as_ref().map(|k| k.digest))
            .fetch_one(conn)
            .await?;
        Ok((Stored { took_id, unit_end: (valid_to, successors) }, events.ids))
    }

    /// Events as the columns of one `UNNEST`, each with a new id.
    fn rows(&self, actor: &str, events: &[events::Event], traceparent: Option<&str>) -> EventRows {
        let ids: Vec<Uuid> = events.iter().map(|_| Uuid::now_v7()).collect();
        let envelopes = events
            .iter()
            .zip(&ids)
            .map(|(event, id)| event.envelope(*id, actor, traceparent, self.clock.now()).encode_to_vec())
            .collect();
        EventRows {
            subjects: events.iter().map(|e| events::subject(self.service, e.kind, &e.unit_path)).collect(),
            aggregates: events.iter().map(|e| e.aggregate_id.clone()).collect(),
            ids,
            envelopes,
        }
    }
}

/// What one store statement read.
struct Stored {
    /// Whether the request's id was free (or there was none): false for a
    /// retry of a request that was committed.
    took_id: bool,
    unit_end: UnitEnd,
}

/// What one store statement writes.
struct Written<'a> {
    actor: &'a str,
    /// The caller's client certificate's identity (mutual TLS).
    peer: Option<&'a str>,
    audit: &'a [audit::AuditEntry],
    events: &'a [events::Event],
    kept: Option<Kept<'a>>,
    /// The caller's unit, whose end the checking statement reads.
    unit: &'a str,
}

#[derive(Default)]
struct EventRows {
    ids: Vec<Uuid>,
    subjects: Vec<String>,
    aggregates: Vec<String>,
    envelopes: Vec<Vec<u8>>,
}

impl EventRows {
    fn extend(&mut self, rows: EventRows) {
        self.ids.extend(rows.ids);
        self.subjects.extend(rows.subjects);
        self.aggregates.extend(rows.aggregates);
        self.envelopes.extend(rows.envelopes);
    }
}

/// The audit entries of several callers' changes, each with its caller.
#[derive(Default)]
struct AllAudit<'a> {
    actors: Vec<&'a str>,
    peers: Vec<Option<&'a str>>,
    trace_ids: Vec<Option<&'a str>>,
    entries: Vec<&'a audit::AuditEntry>,
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
        let mut leader: Option<PgConnection> = None;
        // Whether the writers were told the relay is reading (no notices).
        let mut reading = false;
        let mut retries = events::Retries::new("outbox relay cannot publish", self.service);
        let mut stream_ready = false;
        let mut last_prune: Option<Instant> = None;
        let mut last_backlog: Option<Instant> = None;
        // Published and acked, to be marked by the next read's statement.
        let mut acked = Vec::new();
        while !stop.is_cancelled() {
            if last_prune.is_none_or(|at| at.elapsed() > PRUNE_EVERY) {
                self.prune().await;
                last_prune = Some(Instant::now());
            }
            if listener.is_none() {
                listener = self.listen().await;
            }
            let mut not_ready = None;
            if !stream_ready {
                match events::ensure_stream(&self.jetstream, self.service, &self.settings.nats).await {
                    Ok(_) => stream_ready = true,
                    Err(error) => not_ready = Some(error.context("stream not ready; events wait in the outbox")),
                }
            }
            let result = match (not_ready, leader.as_mut()) {
                (Some(error), _) => Err(error),
                (None, Some(conn)) => self.publish_batch(conn, &mut acked).await,
                (None, None) => match self.lead().await {
                    Ok(Some(conn)) => self.publish_batch(leader.insert(conn), &mut acked).await,
                    Ok(None) => Ok(0),
                    Err(error) => Err(error),
                },
            };
            // The backlog is read at most once a second: a gauge, not a
            // query per batch.
            if last_backlog.is_none_or(|at| at.elapsed() > BACKLOG_EVERY) {
                self.record_backlog().await;
                last_backlog = Some(Instant::now());
            }
            match result {
                Ok(published) => {
                    let failed_tries = retries.succeeded();
                    if failed_tries > 0 {
                        tracing::info!(failed_tries, "outbox relay publishing again");
                    }
                    if published as i64 == self.settings.outbox.batch_size {
                        continue;
                    }
                    if let Some(conn) = leader.as_mut() {
                        // Events keep coming: read on, a moment later and in
                        // larger batches, with the writers' notices off.
                        if published > 0 {
                            if !reading {
                                reading = Self::set_reading(conn, true).await.is_ok();
                            }
                            tokio::select! {
                                _ = stop.cancelled() => {}
                                _ = tokio::time::sleep(LINGER) => {}
                            }
                            continue;
                        }
                        // Dry: notices on, then a last read for the writers
                        // that saw them off.
                        if reading {
                            reading = false;
                            if let Err(error) = Self::stop_reading(conn).await {
                                tracing::warn!(error = %error, "relay cannot turn the writers' notices on");
                                leader = None;
                            }
                            continue;
                        }
                    }
                    let notified = async {
                        match listener.as_mut() {
                            Some(l) => {
                                let heard = l.recv().await.is_ok();
                                // Every commit since the last read notified:
                                // one read takes them all.
                                while l.next_buffered().is_some() {}
                                heard
                            }
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
                    let wait = retries.failed(&error);
                    // The lock may have gone with a broken connection; the
                    // notices go back on (the next relay's first read, or
                    // this one's, turns them off again).
                    if let (true, Some(conn)) = (reading, leader.as_mut()) {
                        let _ = Self::stop_reading(conn).await;
                    }
                    reading = false;
                    leader = None;
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
        if let Some(mut conn) = leader {
            if reading {
                let _ = Self::stop_reading(&mut conn).await;
            }
            let flush = async {
                while let Ok(n) = self.publish_batch(&mut conn, &mut acked).await {
                    if n == 0 {
                        break;
                    }
                }
            };
            if tokio::time::timeout(FINAL_FLUSH, flush).await.is_err() {
                tracing::warn!("outbox not fully flushed at shutdown; the next start publishes the rest");
            }
        }
        self.record_backlog().await;
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(CHANNEL).await.ok()?;
        Some(listener)
    }

    /// A connection of the relay's own holding the relay's lock, or none
    /// while another replica's relay holds it. One relay at a time keeps the
    /// order with several replicas running; the lock is the connection's, so
    /// a relay whose connection breaks loses it with the connection.
    async fn lead(&self) -> anyhow::Result<Option<PgConnection>> {
        let mut conn = self.pool.acquire().await?;
        let locked: bool =
            sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(RELAY_LOCK).fetch_one(&mut *conn).await?;
        if !locked {
            // Back to the pool: without the lock it holds nothing.
            return Ok(None);
        }
        let mut conn = conn.detach();
        // The outbox is empty when a service first starts and holds a day's
        // events later. A generic plan cached while it was small (a scan of
        // the whole table to mark a batch published) would serve this
        // connection for its life, wherever no ANALYZE comes to replan it:
        // plan the relay's few statements a batch for the table as it is.
        sqlx::query("SET plan_cache_mode = force_custom_plan").execute(&mut conn).await?;
        // A relay that died while reading left the notices off; the state
        // is the leader's, and this one has read nothing yet.
        Self::set_reading(&mut conn, false).await?;
        Ok(Some(conn))
    }

    /// Tells the writers whether to notify: not while the relay reads anyway.
    async fn set_reading(conn: &mut PgConnection, reading: bool) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO relay_state (reading) VALUES ($1) ON CONFLICT (only_row) DO UPDATE SET reading = EXCLUDED.reading",
        )
        .bind(reading)
        .execute(conn)
        .await
        .map(drop)
    }

    /// Turns the writers' notices on, and waits for the writers that saw
    /// them off (each holds the writers' key shared until it ends), so that
    /// the next read finds their events. It only tries the key, never queues
    /// for it (writers would queue behind), and stops trying after a while
    /// (writers overlapping without a gap): an event committed later is read
    /// at the next writer's notice, or at the poll.
    async fn stop_reading(conn: &mut PgConnection) -> sqlx::Result<()> {
        Self::set_reading(conn, false).await?;
        let since = Instant::now();
        while since.elapsed() < WRITERS_WAIT {
            let free: bool =
                sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(WRITERS_LOCK).fetch_one(&mut *conn).await?;
            if free {
                sqlx::query("SELECT pg_advisory_unlock($1)").bind(WRITERS_LOCK).execute(&mut *conn).await?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }

    /// Publishes the oldest unpublished events, in order, through the
    /// relay's connection (`lead`). Returns how many were published, and
    /// leaves their seqs in `acked`: the next batch's read marks them, in
    /// its own statement, so a batch costs one statement, not two. The
    /// relay reads again at once after any batch it published, and the
    /// read that finds nothing marks the last one.
    async fn publish_batch(&self, conn: &mut PgConnection, acked: &mut Vec<i64>) -> anyhow::Result<usize> {
        // The read sees the outbox as it was before its own marks, so it
        // leaves out the rows it marks.
        let pending: Vec<Pending> = sqlx::query_as(
            "WITH marked AS (UPDATE outbox SET published_at = now() WHERE seq = ANY($2))
             SELECT seq, event_id, subject, envelope, traceparent FROM outbox
             WHERE published_at IS NULL AND seq <> ALL($2) ORDER BY seq LIMIT $1",
        )
        .bind(self.settings.outbox.batch_size)
        .bind(&*acked)
        .fetch_all(&mut *conn)
        .await?;
        acked.clear();
        if pending.is_empty() {
            return Ok(0);
        }

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
        // Each producer span lasts until the server's ack, and ends with it.
        for (event, (span, ack)) in pending.iter().zip(acks) {
            match ack.into_future().instrument(span).await {
                Ok(_) => acked.push(event.seq),
                Err(error) => {
                    failure.get_or_insert(anyhow::Error::new(error));
                    break;
                }
            }
        }
        let published = acked.len();
        metrics::counter!("doithoai_outbox_published_total", "service" => self.service).increment(published as u64);
        metrics::counter!("doithoai_outbox_publish_failures_total", "service" => self.service)
            .increment(u64::from(failure.is_some()));
        let Some(error) = failure else { return Ok(published) };
        // The relay waits before it reads again: the part published is
        // marked now. Should that fail, those events go again with their
        // ids, and JetStream's duplicate window drops them.
        sqlx::query("UPDATE outbox SET published_at = now() WHERE seq = ANY($1)")
            .bind(&*acked)
            .execute(&mut *conn)
            .await?;
        acked.clear();
        Err(error.context(format!("{published} of {} events published", pending.len())))
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
