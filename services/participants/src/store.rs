//! The participants service's rows: its replica of the conferences, the
//! registered participants (the only place names and phones live), the
//! speaker queue, refusals and invitations.

use doithoai_proto::{
    common::v1::Field,
    participants::v1::{Attendance, Invitation, InvitationStatus, SpeakerRegistration, SpeakerStatus, SpeakerUpdated},
    scheduling::v1::{Conference, ConferenceState},
};
use doithoai_runtime::{Refusal, ServiceError, ServiceResult, access, db::RowLock};
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

/// What the participants service keeps of a conference.
#[derive(sqlx::FromRow)]
pub struct ConferenceRow {
    pub id: Uuid,
    pub unit_path: Vec<String>,
    pub state: String,
    pub host_position_id: Uuid,
    pub delegate_position_id: Option<Uuid>,
    pub secretary_subject: String,
    pub agenda_items: i32,
}

impl ConferenceRow {
    pub fn state(&self) -> ConferenceState {
        ConferenceState::from_str_name(&self.state).unwrap_or_default()
    }

    /// Who acts on the conference.
    pub fn actors(&self) -> access::Conference<'_> {
        access::Conference {
            host_position: self.host_position_id,
            deputy_position: self.delegate_position_id,
            secretary_subject: &self.secretary_subject,
        }
    }
}

const CONFERENCE: &str =
    "id, unit_path, state, host_position_id, delegate_position_id, secretary_subject, agenda_items";

/// A conference, held by `lock`.
pub async fn conference(conn: &mut PgConnection, id: Uuid, lock: RowLock) -> ServiceResult<ConferenceRow> {
    let sql = format!("SELECT {CONFERENCE} FROM conferences WHERE id = $1{}", lock.sql());
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?.ok_or_else(|| unknown_conference(id))
}

/// A conference held by `lock`, and the path of the unit `code` if the
/// directory knows it, in one round trip (a registration's round trips bound
/// its rate).
pub async fn conference_and_unit_path(
    conn: &mut PgConnection,
    id: Uuid,
    lock: RowLock,
    code: &str,
) -> ServiceResult<(ConferenceRow, Option<Vec<String>>)> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        conference: ConferenceRow,
        path: Option<Vec<String>>,
    }
    let sql = format!(
        "SELECT {CONFERENCE}, (SELECT path FROM units WHERE code = $2) AS path FROM conferences WHERE id = $1{}",
        lock.sql()
    );
    let row: Row =
        sqlx::query_as(&sql).bind(id).bind(code).fetch_optional(conn).await?.ok_or_else(|| unknown_conference(id))?;
    Ok((row.conference, row.path))
}

/// For each (conference, unit code) of a group of registrations, by its
/// place: the conference held shared, and the unit's path if the directory
/// knows it; none for a conference unknown here. One round trip.
pub async fn conferences_and_unit_paths(
    conn: &mut PgConnection,
    wanted: &[(Uuid, &str)],
) -> ServiceResult<Vec<Option<(ConferenceRow, Option<Vec<String>>)>>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        conference: ConferenceRow,
        place: i64,
        path: Option<Vec<String>>,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {}, w.place, (SELECT path FROM units WHERE code = w.unit_code) AS path
         FROM UNNEST($1::uuid[], $2::text[]) WITH ORDINALITY AS w(conference, unit_code, place)
         JOIN conferences c ON c.id = w.conference
         FOR SHARE OF c",
        CONFERENCE.split(", ").map(|column| format!("c.{column}")).collect::<Vec<_>>().join(", ")
    ))
    .bind(wanted.iter().map(|(id, _)| *id).collect::<Vec<_>>())
    .bind(wanted.iter().map(|(_, code)| *code).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    let mut found: Vec<Option<(ConferenceRow, Option<Vec<String>>)>> = wanted.iter().map(|_| None).collect();
    for row in rows {
        // ORDINALITY counts from 1.
        found[row.place as usize - 1] = Some((row.conference, row.path));
    }
    Ok(found)
}

fn unknown_conference(id: Uuid) -> ServiceError {
    Refusal::not_found(
        format!("conference {id} is unknown here (not announced yet?)"),
        format!("hội nghị {id} chưa có tại đây (chưa thông báo?)"),
    )
    .into()
}

/// A new participant, with the keyed hashes that find a second registration.
pub struct NewParticipant<'a> {
    pub id: Uuid,
    pub conference_id: Uuid,
    pub collective: bool,
    pub full_name: &'a str,
    pub representative_name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub unit_code: &'a str,
    pub identity_key: &'a [u8],
    pub person_key: Option<&'a [u8]>,
    pub registered_by: &'a str,
}

/// Inserts the participant; false when the same person or collective is
/// already registered for the conference.
pub async fn insert_participant(conn: &mut PgConnection, new: &NewParticipant<'_>) -> sqlx::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO participants (id, conference_id, collective, full_name, representative_name, phone, unit_code, identity_key,
             person_key, status, registered_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'PARTICIPANT_STATUS_REGISTERED', $10)",
    )
    .bind(new.id)
    .bind(new.conference_id)
    .bind(new.collective)
    .bind(new.full_name)
    .bind(new.representative_name)
    .bind(new.phone)
    .bind(new.unit_code)
    .bind(new.identity_key)
    .bind(new.person_key)
    .bind(new.registered_by)
    .execute(conn)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => Ok(false),
        Err(e) => Err(e),
    }
}

/// Inserts the participants of a group of registrations, in one statement;
/// returns the ids inserted. One left out is registered for its conference
/// already (or twice in the group).
pub async fn insert_participants(conn: &mut PgConnection, new: &[NewParticipant<'_>]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO participants (id, conference_id, collective, full_name, representative_name, phone, unit_code, identity_key,
             person_key, status, registered_by)
         SELECT p.id, p.conference_id, p.collective, p.full_name, p.representative_name, p.phone, p.unit_code, p.identity_key,
             p.person_key, 'PARTICIPANT_STATUS_REGISTERED', p.registered_by
         FROM UNNEST($1::uuid[], $2::uuid[], $3::bool[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bytea[],
             $9::bytea[], $10::text[])
             AS p(id, conference_id, collective, full_name, representative_name, phone, unit_code, identity_key, person_key,
                  registered_by)
         ON CONFLICT DO NOTHING
         RETURNING id",
    )
    .bind(new.iter().map(|n| n.id).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.conference_id).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.collective).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.full_name).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.representative_name).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.phone).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.unit_code).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.identity_key).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.person_key).collect::<Vec<_>>())
    .bind(new.iter().map(|n| n.registered_by).collect::<Vec<_>>())
    .fetch_all(conn)
    .await
}

/// A participant's conference, status and unit, locked for a change.
pub async fn lock_participant(conn: &mut PgConnection, id: Uuid) -> ServiceResult<(Uuid, String, String)> {
    sqlx::query_as("SELECT conference_id, status, unit_code FROM participants WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Refusal::not_found("the participant does not exist", "người tham gia không tồn tại").into())
}

/// A participant's status, if registered for this conference.
pub async fn participant_status(conn: &mut PgConnection, id: Uuid, conference: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT status FROM participants WHERE id = $1 AND conference_id = $2")
        .bind(id)
        .bind(conference)
        .fetch_optional(conn)
        .await
}

/// R2.4: refuses the participant, records why, and takes them off the queue.
pub async fn refuse(
    conn: &mut PgConnection,
    participant: Uuid,
    conference: Uuid,
    reason: &str,
    note: &str,
    by: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE participants SET status = 'PARTICIPANT_STATUS_REFUSED' WHERE id = $1")
        .bind(participant)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO refusals (id, conference_id, participant_id, reason, note, refused_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(conference)
    .bind(participant)
    .bind(reason)
    .bind(note)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    // Off the queue: everything still to come.
    sqlx::query(
        "UPDATE speakers SET status = 'SPEAKER_STATUS_REMOVED', note = 'R2.4'
         WHERE participant_id = $1 AND status IN ('SPEAKER_STATUS_QUEUED', 'SPEAKER_STATUS_CONFIRMED', 'SPEAKER_STATUS_CALLED')",
    )
    .bind(participant)
    .execute(conn)
    .await?;
    Ok(())
}

/// Who checks in: the table holding them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendeeTable {
    Participants,
    Invitations,
}

impl AttendeeTable {
    fn name(self) -> &'static str {
        match self {
            AttendeeTable::Participants => "participants",
            AttendeeTable::Invitations => "invitations",
        }
    }
}

/// An attendee's conference and status, locked for check-in.
pub async fn lock_attendee(conn: &mut PgConnection, table: AttendeeTable, id: Uuid) -> ServiceResult<(Uuid, String)> {
    sqlx::query_as(&format!("SELECT conference_id, status FROM {} WHERE id = $1 FOR UPDATE", table.name()))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| {
            Refusal::not_found(
                "nobody with that id is registered or invited",
                "không có người đăng ký hoặc khách mời với mã này",
            )
            .into()
        })
}

pub async fn set_attendee_status(
    conn: &mut PgConnection,
    table: AttendeeTable,
    id: Uuid,
    status: &str,
) -> sqlx::Result<()> {
    sqlx::query(&format!("UPDATE {} SET status = $2 WHERE id = $1", table.name()))
        .bind(id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

/// The counts of a conference's attendance.
pub async fn attendance(conn: &mut PgConnection, conference: &ConferenceRow) -> sqlx::Result<Attendance> {
    let (registered, checked_in, refused): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'PARTICIPANT_STATUS_CHECKED_IN'),
                count(*) FILTER (WHERE status = 'PARTICIPANT_STATUS_REFUSED')
         FROM participants WHERE conference_id = $1",
    )
    .bind(conference.id)
    .fetch_one(&mut *conn)
    .await?;
    let (invited, attended): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'INVITATION_STATUS_ATTENDED') FROM invitations WHERE conference_id = $1",
    )
    .bind(conference.id)
    .fetch_one(&mut *conn)
    .await?;
    let (queued, spoke): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status IN ('SPEAKER_STATUS_QUEUED', 'SPEAKER_STATUS_CONFIRMED')),
                count(*) FILTER (WHERE status = 'SPEAKER_STATUS_SPOKE')
         FROM speakers WHERE conference_id = $1",
    )
    .bind(conference.id)
    .fetch_one(conn)
    .await?;
    Ok(Attendance {
        conference_id: conference.id.to_string(),
        registered: registered as u32,
        checked_in: checked_in as u32,
        refused: refused as u32,
        invited: invited as u32,
        invitees_attended: attended as u32,
        speakers_queued: queued as u32,
        speakers_spoke: spoke as u32,
        registration_open: conference.state() == ConferenceState::Announced,
    })
}

/// A registration to speak, with its speaker's name (shown only to those who see contacts).
#[derive(sqlx::FromRow)]
pub struct SpeakerRow {
    pub id: Uuid,
    pub conference_id: Uuid,
    pub participant_id: Uuid,
    pub position: i32,
    pub topic: String,
    pub field: String,
    pub status: String,
    pub note: String,
    pub merged_into: Option<Uuid>,
    pub speaker_name: String,
}

impl SpeakerRow {
    pub fn status(&self) -> SpeakerStatus {
        SpeakerStatus::from_str_name(&self.status).unwrap_or_default()
    }

    pub fn wire(&self, with_name: bool) -> SpeakerRegistration {
        SpeakerRegistration {
            id: self.id.to_string(),
            conference_id: self.conference_id.to_string(),
            participant_id: self.participant_id.to_string(),
            position: self.position as u32,
            topic: self.topic.clone(),
            field: Field::from_str_name(&self.field).unwrap_or_default() as i32,
            status: self.status() as i32,
            note: self.note.clone(),
            merged_into: self.merged_into.map(|id| id.to_string()).unwrap_or_default(),
            speaker_name: if with_name { self.speaker_name.clone() } else { String::new() },
        }
    }

    pub fn updated(&self) -> SpeakerUpdated {
        SpeakerUpdated {
            conference_id: self.conference_id.to_string(),
            registration_id: self.id.to_string(),
            participant_id: self.participant_id.to_string(),
            position: self.position as u32,
            status: self.status() as i32,
            merged_into: self.merged_into.map(|id| id.to_string()).unwrap_or_default(),
        }
    }
}

const SPEAKER_COLUMNS: &str = "s.id, s.conference_id, s.participant_id, s.position, s.topic, s.field, s.status, s.note, \
     s.merged_into, p.full_name AS speaker_name";

/// A registration to speak, locked for a change.
pub async fn lock_speaker(conn: &mut PgConnection, id: Uuid) -> ServiceResult<SpeakerRow> {
    sqlx::query_as(&format!(
        "SELECT {SPEAKER_COLUMNS} FROM speakers s JOIN participants p ON p.id = s.participant_id WHERE s.id = $1 FOR UPDATE OF s"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| {
        Refusal::not_found(
            format!("speaker registration {id} does not exist"),
            format!("đăng ký phát biểu {id} không tồn tại"),
        )
        .into()
    })
}

/// A registration's conference and status, unlocked (the target of a merge).
pub async fn speaker_status(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as("SELECT conference_id, status FROM speakers WHERE id = $1").bind(id).fetch_optional(conn).await
}

pub async fn save_speaker(conn: &mut PgConnection, speaker: &SpeakerRow) -> sqlx::Result<()> {
    sqlx::query("UPDATE speakers SET status = $2, note = $3, merged_into = $4, position = $5 WHERE id = $1")
        .bind(speaker.id)
        .bind(&speaker.status)
        .bind(&speaker.note)
        .bind(speaker.merged_into)
        .bind(speaker.position)
        .execute(conn)
        .await?;
    Ok(())
}

/// The queue in position order.
pub async fn speakers(conn: &mut PgConnection, conference: Uuid) -> sqlx::Result<Vec<SpeakerRow>> {
    sqlx::query_as(&format!(
        "SELECT {SPEAKER_COLUMNS} FROM speakers s JOIN participants p ON p.id = s.participant_id
         WHERE s.conference_id = $1 ORDER BY s.position"
    ))
    .bind(conference)
    .fetch_all(conn)
    .await
}

/// The next position of the queue; the counter row's lock orders concurrent
/// registrations by commit, so positions are gapless.
pub async fn next_position(conn: &mut PgConnection, conference: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "INSERT INTO queues (conference_id, last_position) VALUES ($1, 1)
         ON CONFLICT (conference_id) DO UPDATE SET last_position = queues.last_position + 1 RETURNING last_position",
    )
    .bind(conference)
    .fetch_one(conn)
    .await
}

pub async fn insert_speaker(conn: &mut PgConnection, registration: &SpeakerRegistration) -> ServiceResult<()> {
    sqlx::query(
        "INSERT INTO speakers (id, conference_id, participant_id, position, topic, field, status)
         VALUES ($1, $2, $3, $4, $5, $6, 'SPEAKER_STATUS_QUEUED')",
    )
    .bind(doithoai_runtime::parse::id("id", &registration.id)?)
    .bind(doithoai_runtime::parse::id("conference_id", &registration.conference_id)?)
    .bind(doithoai_runtime::parse::id("participant_id", &registration.participant_id)?)
    .bind(registration.position as i32)
    .bind(&registration.topic)
    .bind(Field::try_from(registration.field).unwrap_or_default().as_str_name())
    .execute(conn)
    .await?;
    Ok(())
}

/// The queue's positions, with the counter locked so nobody registers while they move.
pub async fn lock_positions(conn: &mut PgConnection, conference: Uuid) -> sqlx::Result<Vec<u32>> {
    sqlx::query("SELECT last_position FROM queues WHERE conference_id = $1 FOR UPDATE")
        .bind(conference)
        .execute(&mut *conn)
        .await?;
    let positions: Vec<i32> =
        sqlx::query_scalar("SELECT position FROM speakers WHERE conference_id = $1 ORDER BY position")
            .bind(conference)
            .fetch_all(conn)
            .await?;
    Ok(positions.into_iter().map(|p| p as u32).collect())
}

/// Renumbers the queue (old → new positions).
pub async fn renumber(conn: &mut PgConnection, conference: Uuid, moves: &[(u32, u32)]) -> sqlx::Result<()> {
    // Negative while moving, so no two rows meet on one position mid-update.
    for (old, new) in moves.iter().filter(|(old, new)| old != new) {
        sqlx::query("UPDATE speakers SET position = $3 WHERE conference_id = $1 AND position = $2")
            .bind(conference)
            .bind(*old as i32)
            .bind(-(*new as i32))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE speakers SET position = -position WHERE conference_id = $1 AND position < 0")
        .bind(conference)
        .execute(conn)
        .await?;
    Ok(())
}

/// The queue as the call rule reads it: position, status, registration id.
pub async fn queue(conn: &mut PgConnection, conference: Uuid) -> sqlx::Result<Vec<(u32, SpeakerStatus, String)>> {
    let rows: Vec<(i32, String, Uuid)> =
        sqlx::query_as("SELECT position, status, id FROM speakers WHERE conference_id = $1")
            .bind(conference)
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(p, s, id)| (p as u32, SpeakerStatus::from_str_name(&s).unwrap_or_default(), id.to_string()))
        .collect())
}

/// An invitation to an official or agency.
#[derive(sqlx::FromRow)]
pub struct InvitationRow {
    pub id: Uuid,
    pub conference_id: Uuid,
    pub organization_id: Option<Uuid>,
    pub invitee_name: String,
    pub invitee_title: String,
    pub answers_agenda_items: Vec<i32>,
    pub status: String,
}

impl InvitationRow {
    pub fn status(&self) -> InvitationStatus {
        InvitationStatus::from_str_name(&self.status).unwrap_or_default()
    }

    pub fn wire(&self) -> Invitation {
        Invitation {
            id: self.id.to_string(),
            conference_id: self.conference_id.to_string(),
            organization_id: self.organization_id.map(|id| id.to_string()).unwrap_or_default(),
            invitee_name: self.invitee_name.clone(),
            invitee_title: self.invitee_title.clone(),
            answers_agenda_items: self.answers_agenda_items.iter().map(|i| *i as u32).collect(),
            status: self.status() as i32,
        }
    }
}

const INVITATION_COLUMNS: &str =
    "id, conference_id, organization_id, invitee_name, invitee_title, answers_agenda_items, status";

pub async fn insert_invitation(conn: &mut PgConnection, row: &InvitationRow) -> sqlx::Result<()> {
    sqlx::query(&format!("INSERT INTO invitations ({INVITATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(row.id)
        .bind(row.conference_id)
        .bind(row.organization_id)
        .bind(&row.invitee_name)
        .bind(&row.invitee_title)
        .bind(&row.answers_agenda_items)
        .bind(&row.status)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn invitation(conn: &mut PgConnection, id: Uuid) -> ServiceResult<InvitationRow> {
    sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(unknown_invitation)
}

/// The conference as the scheduling service last published it.
pub async fn conference_document(conn: &mut PgConnection, id: Uuid) -> ServiceResult<Option<Conference>> {
    let document: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT document FROM conferences WHERE id = $1").bind(id).fetch_one(conn).await?;
    let decode = |d: Vec<u8>| {
        Conference::decode(d.as_slice())
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored conference undecodable: {e}")))
    };
    document.map(decode).transpose()
}

fn unknown_invitation() -> ServiceError {
    Refusal::not_found("the invitation does not exist", "giấy mời không tồn tại").into()
}

pub async fn lock_invitation(conn: &mut PgConnection, id: Uuid) -> ServiceResult<InvitationRow> {
    sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1 FOR UPDATE"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(unknown_invitation)
}

pub async fn set_invitation_status(conn: &mut PgConnection, row: &InvitationRow) -> sqlx::Result<()> {
    sqlx::query("UPDATE invitations SET status = $2 WHERE id = $1")
        .bind(row.id)
        .bind(&row.status)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn invitations(conn: &mut PgConnection, conference: Uuid) -> sqlx::Result<Vec<InvitationRow>> {
    sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE conference_id = $1 ORDER BY id"))
        .bind(conference)
        .fetch_all(conn)
        .await
}
