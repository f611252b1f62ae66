//! Rows of the scheduling database and their wire and domain forms.

use chrono::{DateTime, NaiveDate, Utc};
use doithoai_proto::scheduling::v1::{Body, Conference, Organization, OrganizationKind, Position, Rank};
use doithoai_runtime::{ServiceError, ServiceResult, time::instant};
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{conference, posts::Post};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PositionRow {
    pub id: Uuid,
    pub unit_code: String,
    pub body: String,
    pub rank: String,
    pub title: String,
    pub person_name: String,
    pub subject: Option<String>,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
}

pub const POSITION_COLUMNS: &str = "id, unit_code, body, rank, title, person_name, subject, term_start, term_end";

impl PositionRow {
    pub fn post(&self) -> Post {
        Post {
            id: self.id,
            unit_code: self.unit_code.clone(),
            body: Body::from_str_name(&self.body).unwrap_or(Body::Unspecified),
            rank: Rank::from_str_name(&self.rank).unwrap_or(Rank::Unspecified),
            subject: self.subject.clone(),
            term_start: self.term_start,
            term_end: self.term_end,
        }
    }

    pub fn wire(&self) -> Position {
        Position {
            id: self.id.to_string(),
            unit_code: self.unit_code.clone(),
            body: Body::from_str_name(&self.body).unwrap_or(Body::Unspecified) as i32,
            rank: Rank::from_str_name(&self.rank).unwrap_or(Rank::Unspecified) as i32,
            title: self.title.clone(),
            person_name: self.person_name.clone(),
            subject: self.subject.clone().unwrap_or_default(),
            term_start: self.term_start.to_string(),
            term_end: self.term_end.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

pub async fn find_position(conn: &mut PgConnection, id: Uuid) -> ServiceResult<PositionRow> {
    sqlx::query_as(&format!("SELECT {POSITION_COLUMNS} FROM positions WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            ServiceError::not_found(format!("position {id} does not exist"), format!("chức vụ {id} không tồn tại"))
        })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationRow {
    pub id: Uuid,
    pub unit_code: String,
    pub kind: String,
    pub name: String,
    pub active: bool,
}

pub const ORGANIZATION_COLUMNS: &str = "id, unit_code, kind, name, active";

impl OrganizationRow {
    pub fn wire(&self) -> Organization {
        Organization {
            id: self.id.to_string(),
            unit_code: self.unit_code.clone(),
            kind: OrganizationKind::from_str_name(&self.kind).unwrap_or(OrganizationKind::Unspecified) as i32,
            name: self.name.clone(),
            active: self.active,
        }
    }
}

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

/// Fills the column of the units asked to coordinate (R4.2) for conferences
/// stored before it existed.
pub async fn fill_coordinating_units(pool: &sqlx::PgPool) -> anyhow::Result<()> {
    let rows: Vec<(Uuid, Vec<u8>)> =
        sqlx::query_as("SELECT id, document FROM conferences WHERE coordinating_units IS NULL").fetch_all(pool).await?;
    for (id, document) in rows {
        let conference = Conference::decode(document.as_slice())?;
        sqlx::query("UPDATE conferences SET coordinating_units = $2 WHERE id = $1")
            .bind(id)
            .bind(&conference.coordinating_unit_codes)
            .execute(pool)
            .await?;
    }
    Ok(())
}

pub fn decode(document: &[u8]) -> ServiceResult<Conference> {
    Conference::decode(document)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored conference undecodable: {e}")))
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
    doithoai_proto::scheduling::v1::Regime::try_from(conference.regime)
        .map_or("REGIME_UNSPECIFIED", |r| r.as_str_name())
}

pub async fn insert_conference(conn: &mut PgConnection, conference: &Conference) -> ServiceResult<()> {
    let Columns { id, starts_at, ended_at, accountable } = columns(conference)?;
    sqlx::query(
        "INSERT INTO conferences (id, unit_code, unit_path, state, regime, starts_at, ended_at, accountable_position_id, document,
             coordinating_units)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
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

pub async fn update_conference(conn: &mut PgConnection, conference: &Conference) -> ServiceResult<()> {
    let Columns { id, starts_at, ended_at, accountable } = columns(conference)?;
    sqlx::query(
        "UPDATE conferences SET unit_code = $2, unit_path = $3, state = $4, regime = $5, starts_at = $6, ended_at = $7,
             accountable_position_id = $8, document = $9, coordinating_units = $10, version = version + 1, updated_at = now()
         WHERE id = $1",
    )
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
