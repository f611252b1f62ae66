//! The minutes service's rows: its replica of the conferences, the minutes
//! document of each, the petitions and the conclusion notices. Documents are
//! stored as their protobuf messages beside the columns queries filter on; an
//! undecodable document is an error, never a shorter record.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use doithoai_proto::minutes::v1::{ConclusionNotice, Minutes, MinutesState, Petition, PetitionStatus};
use doithoai_runtime::{Refusal, ServiceError, ServiceResult, access, db::RowLock, parse};
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

/// What the minutes service keeps of a conference.
#[derive(sqlx::FromRow)]
pub struct ConferenceRow {
    pub id: Uuid,
    pub unit_path: Vec<String>,
    pub host_position_id: Uuid,
    pub delegate_position_id: Option<Uuid>,
    pub accountable_position_id: Uuid,
    pub secretary_subject: String,
    pub invited_organization_ids: Vec<Uuid>,
    pub ended_at: Option<DateTime<Utc>>,
}

impl ConferenceRow {
    /// Who acts on the conference.
    pub fn actors(&self) -> access::Conference<'_> {
        access::Conference {
            host_position: self.host_position_id,
            deputy_position: self.delegate_position_id,
            secretary_subject: &self.secretary_subject,
        }
    }
}

fn decode<M: Message + Default>(what: &str, document: &[u8]) -> ServiceResult<M> {
    M::decode(document).map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored {what} undecodable: {e}")))
}

/// The columns of a [`ConferenceRow`].
const CONFERENCE: &str = "id, unit_path, host_position_id, delegate_position_id, accountable_position_id, \
                          secretary_subject, invited_organization_ids, ended_at";

pub async fn conference(conn: &mut PgConnection, id: Uuid) -> ServiceResult<ConferenceRow> {
    sqlx::query_as(&format!("SELECT {CONFERENCE} FROM conferences WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| unknown_conference(id))
}

/// The conference and its minutes document held by `lock`, in one round
/// trip (a write's round trips bound its rate); no minutes before the
/// conference starts.
pub async fn conference_locking_minutes(
    conn: &mut PgConnection,
    id: Uuid,
    lock: RowLock,
) -> ServiceResult<(ConferenceRow, Option<Minutes>)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        conference: ConferenceRow,
        document: Option<Vec<u8>>,
    }
    let row: Row = sqlx::query_as(&format!(
        "SELECT {CONFERENCE}, (SELECT document FROM minutes WHERE conference_id = c.id{}) AS document
         FROM conferences c WHERE id = $1",
        lock.sql()
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| unknown_conference(id))?;
    let minutes = row.document.map(|document| decode("minutes", &document)).transpose()?;
    Ok((row.conference, minutes))
}

/// Several conferences and their minutes, held by `lock`, in one round trip:
/// those of the petitions written together. An unknown conference is left out.
pub async fn conferences_locking_minutes(
    conn: &mut PgConnection,
    ids: &[Uuid],
    lock: RowLock,
) -> ServiceResult<HashMap<Uuid, (ConferenceRow, Option<Minutes>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        conference: ConferenceRow,
        document: Option<Vec<u8>>,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {CONFERENCE}, (SELECT document FROM minutes WHERE conference_id = c.id{}) AS document
         FROM conferences c WHERE id = ANY($1)",
        lock.sql()
    ))
    .bind(ids)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let minutes = row.document.map(|document| decode("minutes", &document)).transpose()?;
            Ok((row.conference.id, (row.conference, minutes)))
        })
        .collect()
}

fn unknown_conference(id: Uuid) -> ServiceError {
    Refusal::not_found(
        format!("conference {id} is unknown here (not announced?)"),
        format!("hội nghị {id} chưa có tại đây"),
    )
    .into()
}

/// R8.1: the refusal of a step on minutes not yet open.
pub fn minutes_not_open() -> Refusal {
    Refusal::rule("R8.1", "the minutes open when the conference starts", "biên bản được mở khi hội nghị bắt đầu")
}

/// The minutes document alone (`lock` for a change).
pub async fn minutes(conn: &mut PgConnection, conference: Uuid, lock: RowLock) -> ServiceResult<Minutes> {
    let document: Vec<u8> =
        sqlx::query_scalar(&format!("SELECT document FROM minutes WHERE conference_id = $1{}", lock.sql()))
            .bind(conference)
            .fetch_optional(conn)
            .await?
            .ok_or_else(minutes_not_open)?;
    decode("minutes", &document)
}

pub async fn save_minutes(conn: &mut PgConnection, minutes: &Minutes) -> ServiceResult<()> {
    let state = MinutesState::try_from(minutes.state).unwrap_or_default();
    sqlx::query("UPDATE minutes SET state = $2, document = $3, updated_at = now() WHERE conference_id = $1")
        .bind(parse::id("conference_id", &minutes.conference_id)?)
        .bind(state.as_str_name())
        .bind(minutes.encode_to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

/// The minutes with their petitions (those escalated here from below are
/// the receiving level's, not part of this record).
/// What the conference's documents print of it, from the replicas: who
/// hosted (the deputy's post when the host delegated, R2.2) as body, title
/// and name; the secretary; the unit and the unit above it.
#[derive(sqlx::FromRow)]
pub struct Letterhead {
    pub unit_code: String,
    pub secretary_name: String,
    pub host_body: Option<String>,
    pub host_title: Option<String>,
    pub host_name: Option<String>,
    pub unit_name: Option<String>,
    pub parent_unit_name: Option<String>,
}

pub async fn letterhead(conn: &mut PgConnection, conference: Uuid) -> ServiceResult<Letterhead> {
    sqlx::query_as(
        "SELECT c.unit_code, c.secretary_name, p.body AS host_body, p.title AS host_title, p.person_name AS host_name,
                u.name AS unit_name, parent.name AS parent_unit_name
         FROM conferences c
         LEFT JOIN positions p ON p.id = coalesce(c.delegate_position_id, c.host_position_id)
         LEFT JOIN units u ON u.code = c.unit_code
         LEFT JOIN units parent ON parent.code = u.parent_code
         WHERE c.id = $1",
    )
    .bind(conference)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| unknown_conference(conference))
}

pub async fn full_minutes(conn: &mut PgConnection, conference: Uuid) -> ServiceResult<Minutes> {
    let mut minutes = minutes(conn, conference, RowLock::None).await?;
    minutes.petitions = petitions(conn, conference, RowLock::None).await?;
    Ok(minutes)
}

/// The conference's own petitions, in the order they were recorded.
pub async fn petitions(conn: &mut PgConnection, conference: Uuid, lock: RowLock) -> ServiceResult<Vec<Petition>> {
    let documents: Vec<Vec<u8>> = sqlx::query_scalar(&format!(
        "SELECT document FROM petitions WHERE conference_id = $1 AND escalated_from IS NULL ORDER BY id{}",
        lock.sql()
    ))
    .bind(conference)
    .fetch_all(conn)
    .await?;
    documents.iter().map(|d| decode("petition", d)).collect()
}

/// A petition with the unit path it is scoped by (`lock` for a change).
pub async fn petition(conn: &mut PgConnection, id: Uuid, lock: RowLock) -> ServiceResult<(Petition, Vec<String>)> {
    let (document, path): (Vec<u8>, Vec<String>) =
        sqlx::query_as(&format!("SELECT document, unit_path FROM petitions WHERE id = $1{}", lock.sql()))
            .bind(id)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| {
                Refusal::not_found(format!("petition {id} does not exist"), format!("ý kiến {id} không tồn tại"))
            })?;
    Ok((decode("petition", &document)?, path))
}

/// Keeps the agency's response file with its SHA-256 (R10.3).
pub async fn save_response_file(
    conn: &mut PgConnection,
    petition: Uuid,
    file_name: &str,
    content: &[u8],
    sha256: &str,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO response_files (petition_id, file_name, content, sha256) VALUES ($1, $2, $3, $4)")
        .bind(petition)
        .bind(file_name)
        .bind(content)
        .bind(sha256)
        .execute(conn)
        .await?;
    Ok(())
}

/// The agency's response file: its name and content.
pub async fn response_file(conn: &mut PgConnection, petition: Uuid) -> sqlx::Result<Option<(String, Vec<u8>)>> {
    sqlx::query_as("SELECT file_name, content FROM response_files WHERE petition_id = $1")
        .bind(petition)
        .fetch_optional(conn)
        .await
}

/// The petition a receipt code (in its printed form) names, with its unit path.
pub async fn petition_by_code(conn: &mut PgConnection, code: &str) -> ServiceResult<Option<(Petition, Vec<String>)>> {
    let row: Option<(Vec<u8>, Vec<String>)> =
        sqlx::query_as("SELECT document, unit_path FROM petitions WHERE receipt_code = $1")
            .bind(code)
            .fetch_optional(conn)
            .await?;
    row.map(|(document, path)| Ok((decode("petition", &document)?, path))).transpose()
}

pub async fn insert_petition(conn: &mut PgConnection, petition: &Petition, path: &[String]) -> ServiceResult<()> {
    write_petition(
        conn,
        petition,
        path,
        "INSERT INTO petitions (id, conference_id, unit_code, unit_path, status, assigned_organization_id, escalated_from, document,
             receipt_code)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .await
}

/// New petitions, in one statement, each under its conference's unit path.
pub async fn insert_petitions(conn: &mut PgConnection, petitions: &[&Petition]) -> ServiceResult<()> {
    let optional = |text: &str| Uuid::parse_str(text).ok();
    let ids = petitions.iter().map(|p| parse::id("petition.id", &p.id)).collect::<Result<Vec<_>, _>>()?;
    let conferences =
        petitions.iter().map(|p| parse::id("conference_id", &p.conference_id)).collect::<Result<Vec<_>, _>>()?;
    let inserted = sqlx::query(
        "INSERT INTO petitions (id, conference_id, unit_code, unit_path, status, assigned_organization_id, escalated_from, document,
             receipt_code)
         SELECT p.id, p.conference_id, p.unit_code, c.unit_path, p.status, p.assigned, p.escalated_from, p.document, p.receipt_code
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::uuid[], $7::bytea[], $8::text[])
              AS p(id, conference_id, unit_code, status, assigned, escalated_from, document, receipt_code)
         JOIN conferences c ON c.id = p.conference_id",
    )
    .bind(&ids)
    .bind(&conferences)
    .bind(petitions.iter().map(|p| p.unit_code.as_str()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| PetitionStatus::try_from(p.status).unwrap_or_default().as_str_name()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| optional(&p.assigned_organization_id)).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| optional(&p.escalated_from_petition_id)).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.encode_to_vec()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.receipt_code.as_str()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    if inserted.rows_affected() != petitions.len() as u64 {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "{} of {} petitions inserted: a conference went missing",
            inserted.rows_affected(),
            petitions.len()
        )));
    }
    Ok(())
}

pub async fn update_petition(conn: &mut PgConnection, petition: &Petition, path: &[String]) -> ServiceResult<()> {
    write_petition(
        conn,
        petition,
        path,
        "UPDATE petitions SET conference_id = $2, unit_code = $3, unit_path = $4, status = $5, assigned_organization_id = $6,
             escalated_from = $7, document = $8, receipt_code = $9 WHERE id = $1",
    )
    .await
}

async fn write_petition(conn: &mut PgConnection, petition: &Petition, path: &[String], sql: &str) -> ServiceResult<()> {
    let optional = |text: &str| Uuid::parse_str(text).ok();
    sqlx::query(sql)
        .bind(parse::id("petition.id", &petition.id)?)
        .bind(parse::id("conference_id", &petition.conference_id)?)
        .bind(&petition.unit_code)
        .bind(path)
        .bind(PetitionStatus::try_from(petition.status).unwrap_or_default().as_str_name())
        .bind(optional(&petition.assigned_organization_id))
        .bind(optional(&petition.escalated_from_petition_id))
        .bind(petition.encode_to_vec())
        .bind(&petition.receipt_code)
        .execute(conn)
        .await?;
    Ok(())
}

/// The conference's conclusion notice, if it was issued (`lock` for a change).
pub async fn notice(
    conn: &mut PgConnection,
    conference: Uuid,
    lock: RowLock,
) -> ServiceResult<Option<ConclusionNotice>> {
    let document: Option<Vec<u8>> =
        sqlx::query_scalar(&format!("SELECT document FROM notices WHERE conference_id = $1{}", lock.sql()))
            .bind(conference)
            .fetch_optional(conn)
            .await?;
    document.map(|d| decode("notice", &d)).transpose()
}

/// The conference a notice concludes, locking the notice.
pub async fn lock_notice_conference(conn: &mut PgConnection, notice: Uuid) -> ServiceResult<Uuid> {
    sqlx::query_scalar("SELECT conference_id FROM notices WHERE id = $1 FOR UPDATE")
        .bind(notice)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            Refusal::not_found("the conclusion notice does not exist", "thông báo kết luận không tồn tại").into()
        })
}

pub async fn insert_notice(conn: &mut PgConnection, notice: &ConclusionNotice) -> ServiceResult<()> {
    sqlx::query("INSERT INTO notices (id, conference_id, document) VALUES ($1, $2, $3)")
        .bind(parse::id("id", &notice.id)?)
        .bind(parse::id("conference_id", &notice.conference_id)?)
        .bind(notice.encode_to_vec())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update_notice(conn: &mut PgConnection, notice: &ConclusionNotice) -> ServiceResult<()> {
    sqlx::query("UPDATE notices SET document = $2 WHERE id = $1")
        .bind(parse::id("id", &notice.id)?)
        .bind(notice.encode_to_vec())
        .execute(conn)
        .await?;
    Ok(())
}
