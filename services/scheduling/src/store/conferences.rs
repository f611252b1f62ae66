//! The conference aggregate, stored whole (protobuf) beside the columns
//! queries filter on.

use chrono::{DateTime, Utc};
use doithoai_directory as directory;
use doithoai_proto::scheduling::v1::{Conference, Regime};
use doithoai_runtime::{ServiceError, ServiceResult, time::instant};
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::conference;

/// Loads a conference and locks it for the rest of the transaction.
pub async fn lock_conference(conn: &mut PgConnection, id: Uuid) -> ServiceResult<Conference> {
    let document: Vec<u8> = sqlx::query_scalar("SELECT document FROM conferences WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| not_found(id))?;
    decode(&document)
}

pub async fn find_conference(conn: &mut PgConnection, id: Uuid) -> ServiceResult<Conference> {
    let document: Vec<u8> = sqlx::query_scalar("SELECT document FROM conferences WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| not_found(id))?;
    decode(&document)
}

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::not_found(format!("conference {id} does not exist"), format!("hội nghị {id} không tồn tại"))
}

pub fn decode(document: &[u8]) -> ServiceResult<Conference> {
    Conference::decode(document)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored conference undecodable: {e}")))
}

/// The instants a list or report bounds its conferences by: from, until.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// Which conferences a list asks for: those of the unit's subtree and those
/// it is asked to coordinate (R4.2), one page after `after` (start, id).
pub struct ConferenceFilter<'a> {
    pub unit_code: &'a str,
    pub starting_in: Option<Span>,
    pub state: Option<&'static str>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
    /// With the conferences of the units `unit_code` succeeded.
    pub inherited: bool,
    /// The caller's unit: nothing comes back unless `unit_code` lies in its subtree.
    pub scope: &'a str,
}

/// A listed conference: its id and start (the page key) and its stored document.
pub type ListedConference = (Uuid, DateTime<Utc>, Vec<u8>);

pub async fn list_conferences(
    conn: &mut PgConnection,
    filter: &ConferenceFilter<'_>,
) -> sqlx::Result<Vec<ListedConference>> {
    // A unit's predecessors: the units whose successors include it, and theirs.
    sqlx::query_as(&format!(
        "WITH RECURSIVE predecessors (code) AS (
             SELECT $1::text WHERE $8
             UNION SELECT u.code FROM units u JOIN predecessors p ON p.code = ANY (u.successor_codes)
         )
         SELECT id, starts_at, document FROM conferences
         WHERE (unit_path @> ARRAY[$1]::text[] OR coordinating_units @> ARRAY[$1]::text[]
                OR unit_path && ARRAY(SELECT code FROM predecessors))
           AND ($2::timestamptz IS NULL OR starts_at >= $2)
           AND ($3::timestamptz IS NULL OR starts_at < $3) AND ($4::text IS NULL OR state = $4)
           AND ($5::timestamptz IS NULL OR (starts_at, id) > ($5, $6)) AND {in_scope}
         ORDER BY starts_at, id LIMIT $7",
        in_scope = directory::in_scope_sql(1, 9)
    ))
    .bind(filter.unit_code)
    .bind(filter.starting_in.map(|(from, _)| from))
    .bind(filter.starting_in.map(|(_, to)| to))
    .bind(filter.state)
    .bind(filter.after.map(|(at, _)| at))
    .bind(filter.after.map(|(_, id)| id))
    .bind(filter.limit)
    .bind(filter.inherited)
    .bind(filter.scope)
    .fetch_all(conn)
    .await
}

/// The public feed of a subtree (R7.3): announced, running and ended
/// conferences starting from `since`, at most a thousand.
pub async fn announced_since(
    conn: &mut PgConnection,
    unit_code: &str,
    since: DateTime<Utc>,
) -> ServiceResult<Vec<Conference>> {
    let documents: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT document FROM conferences WHERE unit_path @> ARRAY[$1]::text[]
           AND state IN ('CONFERENCE_STATE_ANNOUNCED', 'CONFERENCE_STATE_IN_PROGRESS', 'CONFERENCE_STATE_ENDED')
           AND starts_at >= $2 ORDER BY starts_at, id LIMIT 1000",
    )
    .bind(unit_code)
    .bind(since)
    .fetch_all(conn)
    .await?;
    // An undecodable conference is an error, never a shorter feed.
    documents.iter().map(|d| decode(d)).collect()
}

/// The periodic conferences of a subtree that ended within `span`: each
/// one's id and the position accountable for it (R2.2, R6.3).
pub async fn periodic_conferences_ended(
    conn: &mut PgConnection,
    unit_code: &str,
    (from, until): Span,
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT id, accountable_position_id FROM conferences
         WHERE unit_path @> ARRAY[$1]::text[] AND state = 'CONFERENCE_STATE_ENDED' AND regime = 'REGIME_PERIODIC'
           AND ended_at >= $2 AND ended_at < $3",
    )
    .bind(unit_code)
    .bind(from)
    .bind(until)
    .fetch_all(conn)
    .await
}

/// Fills the column of the units asked to coordinate (R4.2) for conferences
/// stored before it existed.
pub async fn fill_coordinating_units(conn: &mut PgConnection) -> anyhow::Result<()> {
    let rows: Vec<(Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT id, document FROM conferences WHERE coordinating_units IS NULL")
            .fetch_all(&mut *conn)
            .await?;
    for (id, document) in rows {
        let conference = Conference::decode(document.as_slice())?;
        sqlx::query("UPDATE conferences SET coordinating_units = $2 WHERE id = $1")
            .bind(id)
            .bind(&conference.coordinating_unit_codes)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The columns queries filter on, taken from the aggregate.
struct Columns {
    id: Uuid,
    starts_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    accountable: Uuid,
}

fn columns(conference: &Conference) -> ServiceResult<Columns> {
    Ok(Columns {
        id: Uuid::parse_str(&conference.id).map_err(anyhow::Error::new)?,
        starts_at: conference::starts_at(conference)
            .ok_or_else(|| anyhow::anyhow!("a stored conference has a start"))?,
        ended_at: conference.ended_at.as_ref().and_then(instant),
        accountable: Uuid::parse_str(&conference.accountable_position_id).map_err(anyhow::Error::new)?,
    })
}

fn state_name(conference: &Conference) -> &'static str {
    conference::state(conference).as_str_name()
}

fn regime_name(conference: &Conference) -> &'static str {
    Regime::try_from(conference.regime).map_or("REGIME_UNSPECIFIED", |r| r.as_str_name())
}

pub async fn insert_conference(conn: &mut PgConnection, conference: &Conference) -> ServiceResult<()> {
    write(
        conn,
        "INSERT INTO conferences (id, unit_code, unit_path, state, regime, starts_at, ended_at, accountable_position_id, document,
             coordinating_units)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        conference,
    )
    .await
}

pub async fn update_conference(conn: &mut PgConnection, conference: &Conference) -> ServiceResult<()> {
    write(
        conn,
        "UPDATE conferences SET unit_code = $2, unit_path = $3, state = $4, regime = $5, starts_at = $6, ended_at = $7,
             accountable_position_id = $8, document = $9, coordinating_units = $10, version = version + 1, updated_at = now()
         WHERE id = $1",
        conference,
    )
    .await
}

/// Runs `sql` with the conference's columns as $1 to $10, in the order both
/// the insert and the update name them.
async fn write(conn: &mut PgConnection, sql: &str, conference: &Conference) -> ServiceResult<()> {
    let Columns { id, starts_at, ended_at, accountable } = columns(conference)?;
    sqlx::query(sql)
        .bind(id)
        .bind(&conference.unit_code)
        .bind(&conference.unit_path)
        .bind(state_name(conference))
        .bind(regime_name(conference))
        .bind(starts_at)
        .bind(ended_at)
        .bind(accountable)
        .bind(conference.encode_to_vec())
        .bind(&conference.coordinating_unit_codes)
        .execute(conn)
        .await?;
    Ok(())
}
