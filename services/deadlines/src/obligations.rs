//! Obligations as stored rows: opened by the other services' events, closed
//! by the facts that meet them, moved by the sweeper. Opening is idempotent by
//! the obligation's key; closing freezes the outcome and publishes it once.

use chrono::NaiveDate;
use doithoai_calendar::Calendar;
use doithoai_proto::deadlines::v1::{
    DeadlineCancelled, DeadlineMet, DeadlineRescheduled, Obligation, ObligationKind, ObligationOpened,
    ObligationState as State,
};
use doithoai_runtime::{events::Event, outbox::Outbox};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{self, Horizon};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub kind: String,
    pub rule: String,
    pub unit_path: Vec<String>,
    pub conference_id: Option<Uuid>,
    pub petition_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub anchor_date: NaiveDate,
    pub anchor: String,
    pub working_days: i32,
    pub due_date: NaiveDate,
    pub calendar_revision: String,
    /// The calendar's explanation of the due date.
    pub explanation: Vec<String>,
    /// Why it moved to another unit or agency, in order.
    pub moves: Vec<String>,
    pub state: String,
    pub met_on: Option<NaiveDate>,
    pub cancel_reason: Option<String>,
    pub head_position_id: Option<Uuid>,
    /// The furthest state a transition was published for.
    pub announced_state: String,
}

/// The states of an obligation still owed, as an SQL list (`state IN {STILL_OPEN}`).
pub const STILL_OPEN: &str = "('OBLIGATION_STATE_OPEN', 'OBLIGATION_STATE_DUE_SOON', 'OBLIGATION_STATE_OVERDUE')";

pub const COLUMNS: &str = "id, kind, rule, unit_path, conference_id, petition_id, organization_id, anchor_date, anchor, \
     working_days, due_date, calendar_revision, explanation, moves, state, met_on, cancel_reason, head_position_id, \
     announced_state";

impl Row {
    pub fn state(&self) -> State {
        State::from_str_name(&self.state).unwrap_or_default()
    }

    pub fn announced(&self) -> State {
        State::from_str_name(&self.announced_state).unwrap_or_default()
    }

    pub fn wire(&self) -> Obligation {
        let id = |value: Option<Uuid>| value.map(|v| v.to_string()).unwrap_or_default();
        Obligation {
            id: self.id.to_string(),
            kind: ObligationKind::from_str_name(&self.kind).unwrap_or_default() as i32,
            rule: self.rule.clone(),
            unit_path: self.unit_path.clone(),
            conference_id: id(self.conference_id),
            petition_id: id(self.petition_id),
            organization_id: id(self.organization_id),
            anchor_date: self.anchor_date.to_string(),
            anchor: self.anchor.clone(),
            working_days: self.working_days as u32,
            due_date: self.due_date.to_string(),
            calendar_revision: self.calendar_revision.clone(),
            // The due date's reasons, then the moves.
            explanation: self.explanation.iter().chain(&self.moves).cloned().collect(),
            state: self.state() as i32,
            met_on: self.met_on.map(|d| d.to_string()).unwrap_or_default(),
            cancel_reason: self.cancel_reason.clone().unwrap_or_default(),
            head_position_id: id(self.head_position_id),
        }
    }
}

/// A new obligation, before its due date is computed.
pub struct Opening {
    pub key: String,
    pub kind: ObligationKind,
    pub rule: &'static str,
    pub unit_path: Vec<String>,
    pub conference_id: Option<Uuid>,
    pub petition_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub anchor_date: NaiveDate,
    pub anchor: &'static str,
    pub working_days: u32,
    /// The head who owes it (R13.1 reports); `None` for a unit's.
    pub head_position_id: Option<Uuid>,
}

/// Opens the obligation unless it exists already, with the unit that owes it
/// on its anchor date (see [`owner`]), and publishes ObligationOpened.
#[tracing::instrument(name = "obligation.open", skip_all, fields(kind = opening.kind.as_str_name(), rule = opening.rule))]
pub async fn open(
    conn: &mut PgConnection,
    calendar: &Calendar,
    outbox: &Outbox,
    opening: Opening,
) -> anyhow::Result<()> {
    let due = domain::due(calendar, opening.anchor_date, opening.working_days)?;
    let (unit_path, moves) = owner(conn, &opening.unit_path, opening.anchor_date).await?;
    let opened: Vec<Row> = sqlx::query_as(&format!(
        "INSERT INTO obligations (id, key, kind, rule, unit_path, conference_id, petition_id, organization_id, anchor_date, anchor,
             working_days, due_date, calendar_revision, explanation, moves, head_position_id, state)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'OBLIGATION_STATE_OPEN')
         ON CONFLICT (key) DO NOTHING
         RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(&opening.key)
    .bind(opening.kind.as_str_name())
    .bind(opening.rule)
    .bind(&unit_path)
    .bind(opening.conference_id)
    .bind(opening.petition_id)
    .bind(opening.organization_id)
    .bind(opening.anchor_date)
    .bind(opening.anchor)
    .bind(opening.working_days as i32)
    .bind(due.date)
    .bind(&due.revision)
    .bind(&due.explanation)
    .bind(&moves)
    .bind(opening.head_position_id)
    .fetch_all(&mut *conn)
    .await?;
    announce_opened(conn, outbox, &opened).await
}

/// Publishes ObligationOpened for the obligations just opened (the rows an
/// insert returned), in the transaction that opened them.
pub async fn announce_opened(conn: &mut PgConnection, outbox: &Outbox, rows: &[Row]) -> anyhow::Result<()> {
    let opened = rows.iter().map(|row| (row, ObligationOpened { obligation: Some(row.wire()) }));
    announce(conn, outbox, "deadlines", "obligation_opened", opened).await?;
    Ok(())
}

/// Publishes an event of `kind` for each row a change returned, from the
/// transaction that changed them; nothing when none changed.
pub async fn announce<'a, M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    outbox: &Outbox,
    actor: &str,
    kind: &'static str,
    changed: impl IntoIterator<Item = (&'a Row, M)>,
) -> sqlx::Result<()> {
    let events: Vec<Event> = changed
        .into_iter()
        .map(|(row, message)| Event::new(kind, row.id.to_string(), row.unit_path.clone(), &message))
        .collect();
    if !events.is_empty() {
        outbox.append_all(conn, actor, &events).await?;
    }
    Ok(())
}

/// Who owes work that arises on `day` for the unit of `path`: that unit, or —
/// when it had ended by then (a notice sent after a reorganisation for a
/// conference held before it) — its first successor, through every
/// succession, with a line for each step. Work that arose before the end was
/// moved by the reorganisation itself.
async fn owner(conn: &mut PgConnection, path: &[String], day: NaiveDate) -> sqlx::Result<(Vec<String>, Vec<String>)> {
    let (mut path, mut moves) = (path.to_vec(), Vec::new());
    // A chain of successions is short; the bound only guards against a loop.
    for _ in 0..8 {
        let Some(code) = path.last().cloned() else { break };
        let life: Option<(Option<NaiveDate>, Vec<String>)> =
            sqlx::query_as("SELECT valid_to, successor_codes FROM units WHERE code = $1")
                .bind(&code)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((Some(ended), successors)) = life.filter(|(ended, _)| ended.is_some_and(|end| end < day)) else {
            break;
        };
        let Some(successor) = successors.first() else { break };
        let next: Option<Vec<String>> = sqlx::query_scalar("SELECT path FROM units WHERE code = $1")
            .bind(successor)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(next) = next else { break };
        moves.push(format!("owed by {successor}: unit {code} ended on {ended}"));
        path = next;
    }
    Ok((path, moves))
}

/// What a list of obligations asks for; each `None` is "any".
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub unit_code: &'a str,
    /// The caller's unit: nothing comes back unless `unit_code` lies in its subtree.
    pub scope: &'a str,
    pub kind: Option<&'static str>,
    pub state: Option<&'static str>,
    pub organization_id: Option<Uuid>,
    pub conference_id: Option<Uuid>,
    pub petition_id: Option<Uuid>,
    pub head_position_id: Option<Uuid>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// A page of the obligations in a unit's subtree, in id order; empty when
/// the unit lies outside the caller's scope ([`doithoai_directory::in_scope_sql`]).
///
/// Planned for each request's own unit, never kept prepared: the plan that
/// suits a commune (its few rows by the path's index, then sorted) sorted
/// the whole province's for the province's page (17 ms here, and every row
/// of a country's), and the province's (the ids in order, filtered) would
/// walk the whole table for a commune.
pub async fn list(conn: &mut PgConnection, filter: &Filter<'_>) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM obligations
         WHERE unit_path @> ARRAY[$1]::text[] AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR state = $3)
           AND ($4::uuid IS NULL OR organization_id = $4) AND ($5::uuid IS NULL OR conference_id = $5)
           AND ($6::uuid IS NULL OR id > $6) AND ($8::uuid IS NULL OR head_position_id = $8)
           AND ($9::date IS NULL OR due_date >= $9) AND ($10::date IS NULL OR due_date <= $10)
           AND ($11::uuid IS NULL OR petition_id = $11) AND {in_scope}
         ORDER BY id LIMIT $7",
        in_scope = doithoai_directory::in_scope_sql(1, 12)
    ))
    .bind(filter.unit_code)
    .bind(filter.kind)
    .bind(filter.state)
    .bind(filter.organization_id)
    .bind(filter.conference_id)
    .bind(filter.after)
    .bind(filter.limit)
    .bind(filter.head_position_id)
    .bind(filter.due_from)
    .bind(filter.due_to)
    .bind(filter.petition_id)
    .bind(filter.scope)
    .persistent(false)
    .fetch_all(conn)
    .await
}

/// The agencies of a subtree with overdue obligations: (agency, overdue, open),
/// most overdue first; none when the unit lies outside the caller's `scope`.
pub async fn leaderboard(
    conn: &mut PgConnection,
    scope: &str,
    unit_code: &str,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, i64, i64)>> {
    sqlx::query_as(&format!(
        "SELECT organization_id,
                count(*) FILTER (WHERE state = 'OBLIGATION_STATE_OVERDUE'),
                count(*) FILTER (WHERE state IN {STILL_OPEN})
         FROM obligations WHERE unit_path @> ARRAY[$1]::text[] AND organization_id IS NOT NULL AND {in_scope}
         GROUP BY organization_id HAVING count(*) FILTER (WHERE state = 'OBLIGATION_STATE_OVERDUE') > 0
         ORDER BY 2 DESC, 1 LIMIT $2",
        in_scope = doithoai_directory::in_scope_sql(1, 3)
    ))
    .bind(unit_code)
    .bind(limit)
    .bind(scope)
    .fetch_all(conn)
    .await
}

pub async fn by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM obligations WHERE id = $1")).bind(id).fetch_optional(conn).await
}

pub async fn by_key(conn: &mut PgConnection, key: &str) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM obligations WHERE key = $1")).bind(key).fetch_optional(conn).await
}

/// The obligation, locked for the change.
pub async fn lock(conn: &mut PgConnection, key: &str) -> sqlx::Result<Option<Row>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM obligations WHERE key = $1 FOR UPDATE"))
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Moves the start of an open obligation's clock (the agency acknowledged
/// receipt), recomputing its due date; a closed one keeps its outcome.
pub async fn reanchor(
    conn: &mut PgConnection,
    calendar: &Calendar,
    horizon: Horizon,
    key: &str,
    anchor_date: NaiveDate,
    anchor: &str,
) -> anyhow::Result<()> {
    let Some(row) = lock(conn, key).await? else { return Ok(()) };
    if !domain::is_open(row.state()) {
        return Ok(());
    }
    let due = domain::due(calendar, anchor_date, row.working_days as u32)?;
    let state = domain::after_a_move(calendar, row.state(), due.date, horizon)?;
    sqlx::query(
        "UPDATE obligations SET anchor_date = $2, anchor = $3, due_date = $4, calendar_revision = $5, explanation = $6,
             state = $7, updated_at = now()
         WHERE id = $1",
    )
    .bind(row.id)
    .bind(anchor_date)
    .bind(anchor)
    .bind(due.date)
    .bind(&due.revision)
    .bind(&due.explanation)
    .bind(state.as_str_name())
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a clock the notice opened from its own sending (the conference's
/// end not yet heard: events of two services arrive in any order) to the
/// end, once heard. Its due date follows, and a clock already met gets the
/// outcome and working days the end gives it.
pub async fn anchor_at_end(
    conn: &mut PgConnection,
    calendar: &Calendar,
    key: &str,
    ended_on: NaiveDate,
) -> anyhow::Result<()> {
    let Some(row) = lock(conn, key).await? else { return Ok(()) };
    if row.anchor != "SENT" {
        return Ok(());
    }
    let due = domain::due(calendar, ended_on, row.working_days as u32)?;
    let (state, took) = match row.met_on {
        Some(met_on) => (
            domain::outcome(due.date, met_on).as_str_name().to_owned(),
            calendar.working_days_between(ended_on, met_on).ok().map(|days| days.max(0) as i32),
        ),
        None => (row.state.clone(), None),
    };
    sqlx::query(
        "UPDATE obligations SET anchor_date = $2, anchor = 'ENDED', due_date = $3, calendar_revision = $4,
             explanation = $5, state = $6, met_after_working_days = COALESCE($7, met_after_working_days),
             updated_at = now()
         WHERE id = $1",
    )
    .bind(row.id)
    .bind(ended_on)
    .bind(due.date)
    .bind(&due.revision)
    .bind(&due.explanation)
    .bind(&state)
    .bind(took)
    .execute(conn)
    .await?;
    Ok(())
}

/// Closes an open obligation as met on `met_on`, freezing the outcome, and
/// publishes DeadlineMet once.
pub async fn close(
    conn: &mut PgConnection,
    calendar: &Calendar,
    outbox: &Outbox,
    actor: &str,
    key: &str,
    met_on: NaiveDate,
) -> anyhow::Result<()> {
    let Some(mut row) = lock(conn, key).await? else { return Ok(()) };
    if !domain::is_open(row.state()) {
        return Ok(());
    }
    row.state = domain::outcome(row.due_date, met_on).as_str_name().to_owned();
    row.met_on = Some(met_on);
    let took = calendar.working_days_between(row.anchor_date, met_on).ok().map(|days| days.max(0) as i32);
    sqlx::query(
        "UPDATE obligations SET state = $2, met_on = $3, met_after_working_days = $4, updated_at = now() WHERE id = $1",
    )
    .bind(row.id)
    .bind(&row.state)
    .bind(met_on)
    .bind(took)
    .execute(&mut *conn)
    .await?;
    let event = Event::new(
        "deadline_met",
        row.id.to_string(),
        row.unit_path.clone(),
        &DeadlineMet { obligation: Some(row.wire()) },
    );
    outbox.append(conn, actor, &event).await?;
    Ok(())
}

/// Recomputes the open obligations whose due dates count working days with
/// a new calendar revision; those whose due date moves are rescheduled,
/// explained and published. Returns how many.
pub async fn reschedule_open(
    conn: &mut PgConnection,
    calendar: &Calendar,
    horizon: Horizon,
    outbox: &Outbox,
    actor: &str,
) -> anyhow::Result<u32> {
    let kinds: Vec<&str> = domain::COUNTED_IN_WORKING_DAYS.iter().map(|kind| kind.as_str_name()).collect();
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM obligations
         WHERE state IN {STILL_OPEN}
           AND kind = ANY($1) FOR UPDATE"
    ))
    .bind(&kinds)
    .fetch_all(&mut *conn)
    .await?;
    let mut moved = 0;
    for mut row in rows {
        let kind = ObligationKind::from_str_name(&row.kind).unwrap_or_default();
        let Some(due) = domain::rescheduled(calendar, kind, row.anchor_date, row.working_days as u32, row.due_date)?
        else {
            continue;
        };
        let (previous_due, previous_revision) = (row.due_date, row.calendar_revision.clone());
        row.due_date = due.date;
        row.calendar_revision = due.revision;
        row.explanation = due.explanation;
        row.state = domain::after_a_move(calendar, row.state(), row.due_date, horizon)?.as_str_name().to_owned();
        sqlx::query(
            "UPDATE obligations SET due_date = $2, calendar_revision = $3, explanation = $4, state = $5, updated_at = now() WHERE id = $1",
        )
        .bind(row.id)
        .bind(row.due_date)
        .bind(&row.calendar_revision)
        .bind(&row.explanation)
        .bind(&row.state)
        .execute(&mut *conn)
        .await?;
        let message = DeadlineRescheduled {
            obligation: Some(row.wire()),
            previous_due_date: previous_due.to_string(),
            previous_calendar_revision: previous_revision,
        };
        outbox
            .append(
                conn,
                actor,
                &Event::new("deadline_rescheduled", row.id.to_string(), row.unit_path.clone(), &message),
            )
            .await?;
        moved += 1;
    }
    Ok(moved)
}

/// Cancels an open obligation (the petition went up a level, say).
pub async fn cancel(
    conn: &mut PgConnection,
    outbox: &Outbox,
    actor: &str,
    key: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "UPDATE obligations SET state = 'OBLIGATION_STATE_CANCELLED', cancel_reason = $2, updated_at = now()
         WHERE key = $1 AND state IN {STILL_OPEN} RETURNING {COLUMNS}"
    ))
    .bind(key)
    .bind(reason)
    .fetch_all(&mut *conn)
    .await?;
    announce_cancelled(conn, outbox, actor, &rows).await?;
    Ok(())
}

/// Publishes each cancelled obligation once, from the transaction that
/// cancelled it, so those who count from the events (the national hub) see
/// that it is no longer owed.
pub async fn announce_cancelled(
    conn: &mut PgConnection,
    outbox: &Outbox,
    actor: &str,
    rows: &[Row],
) -> sqlx::Result<()> {
    let cancelled = rows.iter().map(|row| (row, DeadlineCancelled { obligation: Some(row.wire()) }));
    announce(conn, outbox, actor, "deadline_cancelled", cancelled).await
}

/// The R10.3 clocks of a petition, by key.
pub async fn response_keys(conn: &mut PgConnection, petition: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT key FROM obligations WHERE petition_id = $1 AND kind = 'OBLIGATION_KIND_AGENCY_RESPONSE'",
    )
    .bind(petition)
    .fetch_all(conn)
    .await
}

/// Open obligations whose state `today` changes: past due and not yet
/// overdue, or open and due within the window. Locked, skipping those another
/// replica's sweep holds.
pub async fn lock_changing_state(
    conn: &mut PgConnection,
    today: NaiveDate,
    window: NaiveDate,
    limit: i64,
) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM obligations
         WHERE (state IN ('OBLIGATION_STATE_OPEN', 'OBLIGATION_STATE_DUE_SOON') AND due_date < $1)
            OR (state = 'OBLIGATION_STATE_OPEN' AND due_date <= $2)
         ORDER BY due_date LIMIT $3 FOR UPDATE SKIP LOCKED"
    ))
    .bind(today)
    .bind(window)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn set_state(conn: &mut PgConnection, row: &Row) -> sqlx::Result<()> {
    sqlx::query("UPDATE obligations SET state = $2, announced_state = $3, updated_at = now() WHERE id = $1")
        .bind(row.id)
        .bind(&row.state)
        .bind(&row.announced_state)
        .execute(conn)
        .await?;
    Ok(())
}

/// Due-soon and overdue obligations not yet reminded of `today`, locked.
pub async fn lock_unreminded(conn: &mut PgConnection, today: NaiveDate, limit: i64) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM obligations
         WHERE state IN ('OBLIGATION_STATE_DUE_SOON', 'OBLIGATION_STATE_OVERDUE')
           AND (last_reminded_on IS NULL OR last_reminded_on < $1)
         ORDER BY due_date LIMIT $2 FOR UPDATE SKIP LOCKED"
    ))
    .bind(today)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn reminded(conn: &mut PgConnection, id: Uuid, today: NaiveDate) -> sqlx::Result<()> {
    sqlx::query("UPDATE obligations SET last_reminded_on = $2 WHERE id = $1")
        .bind(id)
        .bind(today)
        .execute(conn)
        .await?;
    Ok(())
}

/// Open and overdue obligations by level of the unit tree (1 = province) and
/// kind: (level, kind, open, overdue). Reads only open rows (a partial index).
pub async fn open_by_tier(conn: &mut PgConnection) -> sqlx::Result<Vec<(String, String, i64, i64)>> {
    sqlx::query_as(&format!(
        "SELECT coalesce(u.tier, 'unknown'), o.kind, count(*), count(*) FILTER (WHERE o.state = 'OBLIGATION_STATE_OVERDUE')
         FROM obligations o LEFT JOIN units u ON u.code = o.unit_path[cardinality(o.unit_path)]
         WHERE o.state IN {STILL_OPEN}
         GROUP BY 1, 2"
    ))
    .fetch_all(conn)
    .await
}

/// Obligations still owed by province, kind and state (open, due soon,
/// overdue), from the per-unit totals the trigger keeps: a dashboard's
/// figures without reading a row of `obligations`.
pub async fn owed_by_province(conn: &mut PgConnection) -> sqlx::Result<Vec<(String, String, String, i64)>> {
    sqlx::query_as(&format!(
        "SELECT u.path[1], t.kind, t.state, sum(t.count)::bigint FROM obligation_totals t JOIN units u ON u.code = t.unit_code
         WHERE t.state IN {STILL_OPEN} GROUP BY 1, 2, 3"
    ))
    .fetch_all(conn)
    .await
}

/// By kind: obligations met on time, and all that were met or are overdue.
pub async fn on_time_by_kind(conn: &mut PgConnection) -> sqlx::Result<Vec<(String, i64, i64)>> {
    sqlx::query_as(
        "SELECT kind, coalesce(sum(count) FILTER (WHERE state = 'OBLIGATION_STATE_MET_ON_TIME'), 0)::bigint,
                coalesce(sum(count) FILTER (WHERE state IN ('OBLIGATION_STATE_MET_ON_TIME', 'OBLIGATION_STATE_MET_LATE',
                                                             'OBLIGATION_STATE_OVERDUE')), 0)::bigint
         FROM obligation_totals GROUP BY 1",
    )
    .fetch_all(conn)
    .await
}

/// By province (every province of the replica, none left out for having
/// none): heads whose periodic dialogue of `year` is still owed (R6.2).
pub async fn heads_without_dialogue(conn: &mut PgConnection, year: i32) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(&format!(
        "SELECT p.code, count(o.id) FROM units p
         LEFT JOIN obligations o ON o.unit_path[1] = p.code AND o.kind = 'OBLIGATION_KIND_PERIODIC_DIALOGUE'
              AND o.state IN {STILL_OPEN} AND extract(year FROM o.anchor_date) = $1
         WHERE p.tier = 'province' AND p.valid_to IS NULL
         GROUP BY 1"
    ))
    .bind(year)
    .fetch_all(conn)
    .await
}

/// Moves each open obligation to its unit's current path, where a
/// reorganisation placed the unit elsewhere (a commune now directly under the
/// province), with a line saying why. Returns how many.
pub async fn follow_units(conn: &mut PgConnection, effective: NaiveDate, decision: &str) -> sqlx::Result<u64> {
    let moved = sqlx::query(&format!(
        "UPDATE obligations o SET unit_path = u.path, updated_at = now(),
             moves = array_append(o.moves,
                 'unit ' || u.code || ' is under ' || array_to_string(u.path[1:cardinality(u.path) - 1], '/')
                 || ' from ' || $1::date || ' (' || $2 || ')')
         FROM units u
         WHERE u.code = o.unit_path[cardinality(o.unit_path)] AND o.unit_path <> u.path
           AND o.state IN {STILL_OPEN}"
    ))
    .bind(effective)
    .bind(decision)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected())
}

/// Moves the open obligations a unit owes (its own, not its heads') to
/// another unit's path, keeping their due dates, with the reason last in
/// their explanation. Returns how many.
pub async fn move_open(conn: &mut PgConnection, unit: &str, to_path: &[String], why: &str) -> sqlx::Result<u64> {
    let moved = sqlx::query(&format!(
        "UPDATE obligations SET unit_path = $2, moves = array_append(moves, $3), updated_at = now()
         WHERE unit_path[cardinality(unit_path)] = $1 AND head_position_id IS NULL
           AND state IN {STILL_OPEN}"
    ))
    .bind(unit)
    .bind(to_path)
    .bind(why)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected())
}

/// Cancels the open periodic dialogues of a unit's heads for the year that
/// contains `last_day`, the unit's last.
pub async fn cancel_dialogues_of(
    conn: &mut PgConnection,
    outbox: &Outbox,
    (actor, unit): (&str, &str),
    last_day: NaiveDate,
    reason: &str,
) -> sqlx::Result<u64> {
    let cancelled: Vec<Row> = sqlx::query_as(&format!(
        "UPDATE obligations SET state = 'OBLIGATION_STATE_CANCELLED', cancel_reason = $3, updated_at = now()
         WHERE kind = 'OBLIGATION_KIND_PERIODIC_DIALOGUE' AND unit_path[cardinality(unit_path)] = $1
           AND extract(year FROM anchor_date) = extract(year FROM $2::date) AND state IN {STILL_OPEN}
         RETURNING {COLUMNS}"
    ))
    .bind(unit)
    .bind(last_day)
    .bind(reason)
    .fetch_all(&mut *conn)
    .await?;
    announce_cancelled(conn, outbox, actor, &cancelled).await?;
    Ok(cancelled.len() as u64)
}

/// Passes the open R10.3 responses an agency owes to its successor, keeping
/// their due dates, with the reason last in their explanation; the key
/// becomes the successor's, so its receipt and response close them. Returns
/// how many.
pub async fn move_to_agency(conn: &mut PgConnection, from: Uuid, to: Uuid, why: &str) -> sqlx::Result<u64> {
    let moved = sqlx::query(&format!(
        "UPDATE obligations o SET organization_id = $2, key = 'AGENCY_RESPONSE:' || o.petition_id || ':' || $2,
             moves = array_append(o.moves, $3), updated_at = now()
         WHERE o.organization_id = $1 AND o.kind = 'OBLIGATION_KIND_AGENCY_RESPONSE'
           AND o.state IN {STILL_OPEN}
           AND NOT EXISTS (SELECT 1 FROM obligations x WHERE x.key = 'AGENCY_RESPONSE:' || o.petition_id || ':' || $2)"
    ))
    .bind(from)
    .bind(to)
    .bind(why)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected())
}
