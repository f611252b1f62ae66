//! Posts (heads and deputies with their terms) and organizations (offices
//! and agencies), with their wire and domain forms.

use chrono::NaiveDate;
use doithoai_proto::scheduling::v1::{Body, Organization, OrganizationKind, Position, Rank};
use doithoai_runtime::{ServiceError, ServiceResult, db::RowLock};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::posts::{Agency, Post};

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

const POSITION_COLUMNS: &str = "id, unit_code, body, rank, title, person_name, subject, term_start, term_end";
/// The same columns, of `positions p` in a join.
const P_COLUMNS: &str =
    "p.id, p.unit_code, p.body, p.rank, p.title, p.person_name, p.subject, p.term_start, p.term_end";

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

/// The posts of a unit's body, locked so that two heads cannot be added at once (R2.1).
pub async fn lock_body_posts(conn: &mut PgConnection, unit_code: &str, body: &str) -> sqlx::Result<Vec<PositionRow>> {
    sqlx::query_as(&format!("SELECT {POSITION_COLUMNS} FROM positions WHERE unit_code = $1 AND body = $2 FOR UPDATE"))
        .bind(unit_code)
        .bind(body)
        .fetch_all(conn)
        .await
}

/// Creates the post, or changes who holds it and when (never its unit, body or rank).
pub async fn save_position(conn: &mut PgConnection, row: &PositionRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO positions (id, unit_code, body, rank, title, person_name, subject, term_start, term_end)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, person_name = EXCLUDED.person_name,
             subject = EXCLUDED.subject, term_start = EXCLUDED.term_start, term_end = EXCLUDED.term_end, updated_at = now()",
    )
    .bind(row.id)
    .bind(&row.unit_code)
    .bind(&row.body)
    .bind(&row.rank)
    .bind(&row.title)
    .bind(&row.person_name)
    .bind(&row.subject)
    .bind(row.term_start)
    .bind(row.term_end)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which posts of a subtree a list asks for, one page after `after`.
pub struct PositionFilter<'a> {
    pub unit_code: &'a str,
    pub body: Option<&'static str>,
    /// Only the posts held on this date.
    pub on_date: Option<NaiveDate>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list_positions(conn: &mut PgConnection, filter: &PositionFilter<'_>) -> sqlx::Result<Vec<PositionRow>> {
    sqlx::query_as(&format!(
        "SELECT {P_COLUMNS} FROM positions p JOIN units u ON u.code = p.unit_code
         WHERE u.path @> ARRAY[$1]::text[] AND ($2::text IS NULL OR p.body = $2)
           AND ($3::date IS NULL OR (p.term_start <= $3 AND (p.term_end IS NULL OR p.term_end >= $3)))
           AND ($4::uuid IS NULL OR p.id > $4)
         ORDER BY p.id LIMIT $5"
    ))
    .bind(filter.unit_code)
    .bind(filter.body)
    .bind(filter.on_date)
    .bind(filter.after)
    .bind(filter.limit)
    .fetch_all(conn)
    .await
}

/// The heads of a subtree whose term touches `year`, by unit, body and term.
/// Ends on `last_day` the posts of units that end then (a reorganisation),
/// returning them as they now are.
pub async fn end_posts_in(
    conn: &mut PgConnection,
    units: &[String],
    last_day: NaiveDate,
) -> sqlx::Result<Vec<PositionRow>> {
    sqlx::query_as(&format!(
        "UPDATE positions SET term_end = $2, updated_at = now()
         WHERE unit_code = ANY($1) AND term_start <= $2 AND (term_end IS NULL OR term_end > $2)
         RETURNING {POSITION_COLUMNS}"
    ))
    .bind(units)
    .bind(last_day)
    .fetch_all(conn)
    .await
}

pub async fn heads_serving_in(conn: &mut PgConnection, unit_code: &str, year: i32) -> sqlx::Result<Vec<PositionRow>> {
    sqlx::query_as(&format!(
        "SELECT {P_COLUMNS} FROM positions p JOIN units u ON u.code = p.unit_code
         WHERE u.path @> ARRAY[$1]::text[] AND p.rank = 'RANK_HEAD'
           AND p.term_start <= make_date($2, 12, 31) AND (p.term_end IS NULL OR p.term_end >= make_date($2, 1, 1))
         ORDER BY u.path, p.body, p.term_start"
    ))
    .bind(unit_code)
    .bind(year)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationRow {
    pub id: Uuid,
    pub unit_code: String,
    pub kind: String,
    pub name: String,
    pub active: bool,
    pub successor_id: Option<Uuid>,
    pub ended_on: Option<NaiveDate>,
    pub decision_number: Option<String>,
    pub head_title: String,
    pub head_name: String,
}

const ORGANIZATION: &str = "o.id, o.unit_code, o.kind, o.name, o.active, o.successor_id, o.ended_on, o.decision_number, o.head_title, o.head_name";

impl OrganizationRow {
    pub fn wire(&self) -> Organization {
        Organization {
            id: self.id.to_string(),
            unit_code: self.unit_code.clone(),
            kind: OrganizationKind::from_str_name(&self.kind).unwrap_or(OrganizationKind::Unspecified) as i32,
            name: self.name.clone(),
            active: self.active,
            successor_id: self.successor_id.map(|id| id.to_string()).unwrap_or_default(),
            ended_on: self.ended_on.map(|day| day.to_string()).unwrap_or_default(),
            decision_number: self.decision_number.clone().unwrap_or_default(),
            head_title: self.head_title.clone(),
            head_name: self.head_name.clone(),
        }
    }

    pub fn agency(&self) -> Agency {
        Agency { id: self.id, active: self.active, successor: self.successor_id, ended_on: self.ended_on }
    }
}

/// The organization, locked for the rest of the transaction with `lock`.
pub async fn find_organization(conn: &mut PgConnection, id: Uuid, lock: RowLock) -> ServiceResult<OrganizationRow> {
    sqlx::query_as(&format!("SELECT {ORGANIZATION} FROM organizations o WHERE o.id = $1{}", lock.sql()))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            ServiceError::not_found(format!("organization {id} does not exist"), format!("cơ quan {id} không tồn tại"))
        })
}

/// Creates the organization, or changes its kind, name, whether it is active
/// and its succession.
pub async fn save_organization(conn: &mut PgConnection, row: &OrganizationRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO organizations (id, unit_code, kind, name, active, successor_id, ended_on, decision_number,
             head_title, head_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, active = EXCLUDED.active,
             successor_id = EXCLUDED.successor_id, ended_on = EXCLUDED.ended_on,
             decision_number = EXCLUDED.decision_number, head_title = EXCLUDED.head_title,
             head_name = EXCLUDED.head_name, updated_at = now()",
    )
    .bind(row.id)
    .bind(&row.unit_code)
    .bind(&row.kind)
    .bind(&row.name)
    .bind(row.active)
    .bind(row.successor_id)
    .bind(row.ended_on)
    .bind(&row.decision_number)
    .bind(&row.head_title)
    .bind(&row.head_name)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which organizations of a subtree a list asks for, one page after `after`.
pub struct OrganizationFilter<'a> {
    pub unit_code: &'a str,
    pub kind: Option<&'static str>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list_organizations(
    conn: &mut PgConnection,
    filter: &OrganizationFilter<'_>,
) -> sqlx::Result<Vec<OrganizationRow>> {
    sqlx::query_as(&format!(
        "SELECT {ORGANIZATION} FROM organizations o JOIN units u ON u.code = o.unit_code
         WHERE u.path @> ARRAY[$1]::text[] AND ($2::text IS NULL OR o.kind = $2) AND ($3::uuid IS NULL OR o.id > $3)
         ORDER BY o.id LIMIT $4"
    ))
    .bind(filter.unit_code)
    .bind(filter.kind)
    .bind(filter.after)
    .bind(filter.limit)
    .fetch_all(conn)
    .await
}

/// How many of `ids` are active organizations.
pub async fn count_active_organizations(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM organizations WHERE id = ANY($1) AND active")
        .bind(ids)
        .fetch_one(conn)
        .await
}
