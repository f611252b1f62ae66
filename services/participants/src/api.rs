//! The participants API. The office and the conference's secretary manage
//! registrations, the queue, invitations and check-in; the host refuses;
//! everyone in scope reads counts and the queue, but names and phones only
//! the office, the secretary and the host.

use doithoai_proto::{
    common::v1::Field,
    participants::v1::{
        Attendance, CheckInRequest, Collective, ConferenceRequest, Invitation, InvitationStatus, InvitationUpdated,
        InviteRequest, ListInvitationsResponse, ListSpeakersResponse, MergeSpeakerRequest, MoveSpeakerRequest,
        Participant, ParticipantRefused, ParticipantRegistered, ParticipantStatus, Person, RefuseParticipantRequest,
        RegisterParticipantRequest, RegisterSpeakerRequest, SpeakerNoteRequest, SpeakerQueued, SpeakerRegistration,
        SpeakerRequest, SpeakerStatus, SpeakerUpdated, UpdateInvitationRequest, check_in_request, participant,
        participants_server::Participants, register_participant_request::Who,
    },
    scheduling::v1::ConferenceState,
};
use doithoai_runtime::{
    Caller, Reason, Role, ServiceError, ServiceResult, access, audit::AuditEntry, events::Event, idempotency::Once,
    outbox::Outbox, parse, unit_tree,
};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::{domain, privacy::IdentityKey};

pub struct ParticipantsApi {
    pool: PgPool,
    outbox: Outbox,
    identity: IdentityKey,
}

#[derive(sqlx::FromRow)]
struct ConferenceRow {
    id: Uuid,
    unit_path: Vec<String>,
    state: String,
    host_position_id: Uuid,
    delegate_position_id: Option<Uuid>,
    secretary_subject: String,
    agenda_items: i32,
}

impl ConferenceRow {
    fn state(&self) -> ConferenceState {
        ConferenceState::from_str_name(&self.state).unwrap_or_default()
    }
}

#[derive(sqlx::FromRow)]
struct SpeakerRow {
    id: Uuid,
    conference_id: Uuid,
    participant_id: Uuid,
    position: i32,
    topic: String,
    field: String,
    status: String,
    note: String,
    merged_into: Option<Uuid>,
    speaker_name: String,
}

impl SpeakerRow {
    fn status(&self) -> SpeakerStatus {
        SpeakerStatus::from_str_name(&self.status).unwrap_or_default()
    }

    fn wire(&self, with_name: bool) -> SpeakerRegistration {
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

    fn updated(&self) -> SpeakerUpdated {
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

const SPEAKER_COLUMNS: &str = "s.id, s.conference_id, s.participant_id, s.position, s.topic, s.field, s.status, s.note, s.merged_into, p.full_name AS speaker_name";

fn lifecycle(en: &str, vi: &str) -> ServiceError {
    ServiceError::rule("LIFECYCLE", en, vi)
}

fn not_yours() -> ServiceError {
    ServiceError::permission_denied(
        Reason::NotYourConference,
        "only the organising office, the conference's secretary (or its host, for refusals) may do this",
        "chỉ văn phòng tổ chức, thư ký hội nghị (hoặc người chủ trì, khi từ chối) được thực hiện thao tác này",
    )
}

impl ParticipantsApi {
    pub fn new(pool: PgPool, outbox: Outbox, identity: IdentityKey) -> Self {
        Self { pool, outbox, identity }
    }

    async fn conference(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        id: Uuid,
        lock: bool,
    ) -> ServiceResult<ConferenceRow> {
        let sql = format!(
            "SELECT id, unit_path, state, host_position_id, delegate_position_id, secretary_subject, agenda_items FROM conferences WHERE id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        );
        let row: ConferenceRow = sqlx::query_as(&sql).bind(id).fetch_optional(conn).await?.ok_or_else(|| {
            ServiceError::not_found(
                format!("conference {id} is unknown here (not announced yet?)"),
                format!("hội nghị {id} chưa có tại đây (chưa thông báo?)"),
            )
        })?;
        caller.require_within(&row.unit_path)?;
        Ok(row)
    }

    /// The office, the conference's own secretary, or (for registrations) a portal.
    fn require_manager(&self, caller: &Caller, conference: &ConferenceRow, portal: bool) -> ServiceResult<()> {
        let office = caller.has_role(Role::Office) || caller.has_role(Role::Admin);
        let secretary = caller.has_role(Role::Secretary) && caller.subject == conference.secretary_subject;
        if office || secretary || (portal && caller.has_role(Role::Service)) { Ok(()) } else { Err(not_yours()) }
    }

    async fn is_host(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        conference: &ConferenceRow,
    ) -> ServiceResult<bool> {
        access::hosts(conn, caller, conference.host_position_id, conference.delegate_position_id).await
    }

    async fn sees_contacts(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        conference: &ConferenceRow,
    ) -> ServiceResult<bool> {
        Ok(self.require_manager(caller, conference, false).is_ok() || self.is_host(conn, caller, conference).await?)
    }

    async fn speaker(&self, conn: &mut PgConnection, id: Uuid) -> ServiceResult<SpeakerRow> {
        sqlx::query_as(&format!("SELECT {SPEAKER_COLUMNS} FROM speakers s JOIN participants p ON p.id = s.participant_id WHERE s.id = $1 FOR UPDATE OF s"))
            .bind(id)
            .fetch_optional(conn)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("speaker registration {id} does not exist"), format!("đăng ký phát biểu {id} không tồn tại")))
    }

    async fn record(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        entry: AuditEntry<'_>,
        path: &[String],
        event: Option<Event>,
    ) -> ServiceResult<()> {
        let events: Vec<Event> = event.into_iter().map(|event| Event { unit_path: path.to_vec(), ..event }).collect();
        self.outbox.record(conn, caller, &[entry], &events).await?;
        Ok(())
    }

    /// A step on one speaker registration by the office or the secretary.
    async fn speaker_step<F>(
        &self,
        request_caller: &Caller,
        id: &str,
        rpc: &'static str,
        change: F,
    ) -> ServiceResult<SpeakerRegistration>
    where
        F: FnOnce(&mut SpeakerRow, &ConferenceRow) -> ServiceResult<()>,
    {
        let mut tx = self.pool.begin().await?;
        let mut speaker = self.speaker(&mut tx, parse::id("registration_id", id)?).await?;
        let conference = self.conference(&mut tx, request_caller, speaker.conference_id, false).await?;
        self.require_manager(request_caller, &conference, false)?;
        let before = json!({ "status": speaker.status, "position": speaker.position });
        change(&mut speaker, &conference)?;
        sqlx::query("UPDATE speakers SET status = $2, note = $3, merged_into = $4, position = $5 WHERE id = $1")
            .bind(speaker.id)
            .bind(&speaker.status)
            .bind(&speaker.note)
            .bind(speaker.merged_into)
            .bind(speaker.position)
            .execute(&mut *tx)
            .await?;
        let entry = AuditEntry {
            rpc,
            record_type: "speaker",
            record_id: speaker.id.to_string(),
            before: Some(before),
            after: Some(
                json!({ "status": speaker.status, "position": speaker.position, "merged_into": speaker.merged_into }),
            ),
        };
        let event = Event::new("speaker_updated", speaker.conference_id.to_string(), Vec::new(), &speaker.updated());
        self.record(&mut tx, request_caller, entry, &conference.unit_path, Some(event)).await?;
        tx.commit().await?;
        Ok(speaker.wire(true))
    }

    async fn attendance(&self, conn: &mut PgConnection, conference: &ConferenceRow) -> ServiceResult<Attendance> {
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
        .fetch_one(&mut *conn)
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
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: Uuid,
    conference_id: Uuid,
    organization_id: Option<Uuid>,
    invitee_name: String,
    invitee_title: String,
    answers_agenda_items: Vec<i32>,
    status: String,
}

impl InvitationRow {
    fn wire(&self) -> Invitation {
        Invitation {
            id: self.id.to_string(),
            conference_id: self.conference_id.to_string(),
            organization_id: self.organization_id.map(|id| id.to_string()).unwrap_or_default(),
            invitee_name: self.invitee_name.clone(),
            invitee_title: self.invitee_title.clone(),
            answers_agenda_items: self.answers_agenda_items.iter().map(|i| *i as u32).collect(),
            status: InvitationStatus::from_str_name(&self.status).unwrap_or_default() as i32,
        }
    }

    /// Published on every change; the service's `record` adds the unit path.
    fn updated_event(&self) -> Event {
        let updated = InvitationUpdated { invitation: Some(self.wire()) };
        Event::new("invitation_updated", self.id.to_string(), Vec::new(), &updated)
    }
}

const INVITATION_COLUMNS: &str =
    "id, conference_id, organization_id, invitee_name, invitee_title, answers_agenda_items, status";

#[tonic::async_trait]
impl Participants for ParticipantsApi {
    async fn register_participant(
        &self,
        request: Request<RegisterParticipantRequest>,
    ) -> Result<Response<Participant>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let once = Once::new(&caller, "RegisterParticipant", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let conference =
            self.conference(&mut tx, &caller, parse::id("conference_id", &request.conference_id)?, true).await?;
        self.require_manager(&caller, &conference, true)?;
        domain::registration_open(conference.state())?;
        let code = unit_tree::parse_code("unit_code", &request.unit_code)?;
        let participant_path = unit_tree::unit_path(&mut tx, &code).await?;
        domain::r2_3_in_the_province(&conference.unit_path, &participant_path)?;
        let (collective, full_name, representative, phone, key, person_key, who) = match request.who {
            Some(Who::Person(person)) => {
                let name = domain::check_name("person.full_name", &person.full_name)?;
                let phone = domain::check_phone(&person.phone)?;
                let id = domain::check_national_id(&person.national_id)?;
                let key = self.identity.person(id.as_deref(), &name, code.as_str(), phone.as_deref());
                let person_key = phone.as_deref().map(|p| self.identity.person(None, &name, code.as_str(), Some(p)));
                let who = participant::Who::Person(Person {
                    full_name: name.clone(),
                    phone: phone.clone().unwrap_or_default(),
                    national_id: String::new(),
                });
                (false, name, None, phone, key, person_key, who)
            }
            Some(Who::Collective(group)) => {
                let name = domain::check_name("collective.organization_name", &group.organization_name)?;
                let representative = domain::check_name("collective.representative_name", &group.representative_name)?;
                let key = self.identity.collective(&name, code.as_str());
                let who = participant::Who::Collective(Collective {
                    organization_name: name.clone(),
                    representative_name: representative.clone(),
                });
                (true, name, Some(representative), None, key, None, who)
            }
            None => {
                return Err(ServiceError::invalid_argument(
                    Reason::InvalidArgument,
                    "a person or a collective is required",
                    "cần thông tin cá nhân hoặc tập thể",
                )
                .with_violation("who", "required")
                .into());
            }
        };
        let id = Uuid::now_v7();
        let inserted = sqlx::query(
            "INSERT INTO participants (id, conference_id, collective, full_name, representative_name, phone, unit_code, identity_key, person_key,
                 status, registered_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'PARTICIPANT_STATUS_REGISTERED', $10)",
        )
        .bind(id)
        .bind(conference.id)
        .bind(collective)
        .bind(&full_name)
        .bind(&representative)
        .bind(&phone)
        .bind(code.as_str())
        .bind(&key)
        .bind(&person_key)
        .bind(&caller.subject)
        .execute(&mut *tx)
        .await;
        if let Err(error) = inserted {
            let error = ServiceError::from(error);
            if error.code() == Code::AlreadyExists {
                return Err(ServiceError::new(
                    Code::AlreadyExists,
                    Reason::Rule("R8.3"),
                    "R8.3: this participant is already registered for the conference",
                    "R8.3: người này đã đăng ký tham gia hội nghị",
                )
                .into());
            }
            return Err(error.into());
        }
        let entry = AuditEntry {
            rpc: "RegisterParticipant",
            record_type: "participant",
            record_id: id.to_string(),
            before: None,
            after: Some(
                json!({ "conference_id": conference.id, "collective": collective, "unit_code": code.as_str() }),
            ),
        };
        let event = Event::new(
            "participant_registered",
            id.to_string(),
            Vec::new(),
            &ParticipantRegistered {
                conference_id: conference.id.to_string(),
                participant_id: id.to_string(),
                collective,
            },
        );
        self.record(&mut tx, &caller, entry, &conference.unit_path, Some(event)).await?;
        let participant = Participant {
            id: id.to_string(),
            conference_id: conference.id.to_string(),
            who: Some(who),
            unit_code: code.to_string(),
            status: ParticipantStatus::Registered as i32,
            registered_at: None,
        };
        once.remember(&mut tx, &participant).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(participant))
    }

    async fn register_speaker(
        &self,
        request: Request<RegisterSpeakerRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let (topic, field) = domain::check_topic(&request.topic, request.field)?;
        let once = Once::new(&caller, "RegisterSpeaker", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let conference =
            self.conference(&mut tx, &caller, parse::id("conference_id", &request.conference_id)?, false).await?;
        self.require_manager(&caller, &conference, true)?;
        domain::registration_open(conference.state())?;
        let participant_id = parse::id("participant_id", &request.participant_id)?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM participants WHERE id = $1 AND conference_id = $2")
                .bind(participant_id)
                .bind(conference.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(ServiceError::from)?;
        match status.as_deref() {
            None => {
                return Err(ServiceError::not_found(
                    "the participant is not registered for this conference",
                    "người này chưa đăng ký tham gia hội nghị",
                )
                .into());
            }
            Some("PARTICIPANT_STATUS_REFUSED") => {
                return Err(ServiceError::rule(
                    "R2.4",
                    "R2.4: the host refused dialogue with this participant",
                    "R2.4: người chủ trì đã từ chối đối thoại với người này",
                )
                .into());
            }
            Some(_) => {}
        }
        // The queue row's lock orders concurrent registrations by commit.
        let position: i32 = sqlx::query_scalar(
            "INSERT INTO queues (conference_id, last_position) VALUES ($1, 1)
             ON CONFLICT (conference_id) DO UPDATE SET last_position = queues.last_position + 1 RETURNING last_position",
        )
        .bind(conference.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(ServiceError::from)?;
        let id = Uuid::now_v7();
        sqlx::query("INSERT INTO speakers (id, conference_id, participant_id, position, topic, field, status) VALUES ($1, $2, $3, $4, $5, $6, 'SPEAKER_STATUS_QUEUED')")
            .bind(id)
            .bind(conference.id)
            .bind(participant_id)
            .bind(position)
            .bind(&topic)
            .bind(field.as_str_name())
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let entry = AuditEntry {
            rpc: "RegisterSpeaker",
            record_type: "speaker",
            record_id: id.to_string(),
            before: None,
            after: Some(json!({ "position": position, "field": field.as_str_name() })),
        };
        let queued = SpeakerQueued {
            conference_id: conference.id.to_string(),
            registration_id: id.to_string(),
            participant_id: participant_id.to_string(),
            position: position as u32,
            topic: topic.clone(),
            field: field as i32,
        };
        let event = Event::new("speaker_queued", conference.id.to_string(), Vec::new(), &queued);
        self.record(&mut tx, &caller, entry, &conference.unit_path, Some(event)).await?;
        let registration = SpeakerRegistration {
            id: id.to_string(),
            conference_id: conference.id.to_string(),
            participant_id: participant_id.to_string(),
            position: position as u32,
            topic,
            field: field as i32,
            status: SpeakerStatus::Queued as i32,
            ..Default::default()
        };
        once.remember(&mut tx, &registration).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(registration))
    }

    async fn list_speakers(
        &self,
        request: Request<ConferenceRequest>,
    ) -> Result<Response<ListSpeakersResponse>, Status> {
        let caller = Caller::of(&request)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let conference = self
            .conference(&mut conn, &caller, parse::id("conference_id", &request.get_ref().conference_id)?, false)
            .await?;
        let with_names = self.sees_contacts(&mut conn, &caller, &conference).await?;
        let rows: Vec<SpeakerRow> = sqlx::query_as(&format!(
            "SELECT {SPEAKER_COLUMNS} FROM speakers s JOIN participants p ON p.id = s.participant_id WHERE s.conference_id = $1 ORDER BY s.position"
        ))
        .bind(conference.id)
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        Ok(Response::new(ListSpeakersResponse { speakers: rows.iter().map(|r| r.wire(with_names)).collect() }))
    }

    async fn confirm_speaker(&self, request: Request<SpeakerRequest>) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        let speaker = self
            .speaker_step(&caller, &request.get_ref().registration_id, "ConfirmSpeaker", |s, _| {
                if s.status() != SpeakerStatus::Queued {
                    return Err(lifecycle("only a queued registration is confirmed", "chỉ xác nhận đăng ký đang chờ"));
                }
                s.status = SpeakerStatus::Confirmed.as_str_name().to_owned();
                Ok(())
            })
            .await?;
        Ok(Response::new(speaker))
    }

    async fn merge_speaker(
        &self,
        request: Request<MergeSpeakerRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let into = parse::id("into_registration_id", &request.into_registration_id)?;
        let target: Option<(Uuid, String)> = sqlx::query_as("SELECT conference_id, status FROM speakers WHERE id = $1")
            .bind(into)
            .fetch_optional(&self.pool)
            .await
            .map_err(ServiceError::from)?;
        let speaker = self
            .speaker_step(&caller, &request.registration_id, "MergeSpeaker", |s, _| {
                let Some((conference_id, status)) = &target else {
                    return Err(ServiceError::not_found(
                        "the registration to merge into does not exist",
                        "đăng ký gộp vào không tồn tại",
                    ));
                };
                let target_waits = SpeakerStatus::from_str_name(status).is_some_and(domain::waiting);
                if *conference_id != s.conference_id || into == s.id || !target_waits || !domain::waiting(s.status()) {
                    return Err(lifecycle(
                        "merge two waiting registrations of the same conference",
                        "chỉ gộp hai đăng ký đang chờ của cùng hội nghị",
                    ));
                }
                s.status = SpeakerStatus::Merged.as_str_name().to_owned();
                s.merged_into = Some(into);
                Ok(())
            })
            .await?;
        Ok(Response::new(speaker))
    }

    async fn mark_out_of_scope(
        &self,
        request: Request<SpeakerNoteRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let speaker = self
            .speaker_step(&caller, &request.registration_id, "MarkOutOfScope", |s, _| {
                if !domain::waiting(s.status()) {
                    return Err(lifecycle(
                        "only a waiting registration is marked out of scope",
                        "chỉ đánh dấu ngoài phạm vi với đăng ký đang chờ",
                    ));
                }
                if request.reason.trim().is_empty() {
                    return Err(ServiceError::rule(
                        "R5.1",
                        "R5.1: say why the topic is out of scope",
                        "R5.1: phải nêu lý do nội dung nằm ngoài phạm vi",
                    ));
                }
                s.status = SpeakerStatus::OutOfScope.as_str_name().to_owned();
                s.note = request.reason.trim().to_owned();
                Ok(())
            })
            .await?;
        Ok(Response::new(speaker))
    }

    async fn move_speaker(
        &self,
        request: Request<MoveSpeakerRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        if request.reason.trim().is_empty() {
            return Err(ServiceError::rule(
                "R8.3",
                "R8.3: speakers keep their registration order unless a reason is recorded",
                "R8.3: chỉ thay đổi thứ tự phát biểu khi ghi rõ lý do",
            )
            .into());
        }
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        let mut speaker = self.speaker(&mut tx, parse::id("registration_id", &request.registration_id)?).await?;
        let conference = self.conference(&mut tx, &caller, speaker.conference_id, false).await?;
        self.require_manager(&caller, &conference, false)?;
        sqlx::query("SELECT last_position FROM queues WHERE conference_id = $1 FOR UPDATE")
            .bind(conference.id)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let positions: Vec<i32> =
            sqlx::query_scalar("SELECT position FROM speakers WHERE conference_id = $1 ORDER BY position")
                .bind(conference.id)
                .fetch_all(&mut *tx)
                .await
                .map_err(ServiceError::from)?;
        let last = positions.last().copied().unwrap_or(0) as u32;
        if request.new_position == 0 || request.new_position > last {
            return Err(ServiceError::invalid_argument(
                Reason::InvalidArgument,
                format!("new_position must be 1 to {last}"),
                format!("vị trí mới phải từ 1 đến {last}"),
            )
            .with_violation("new_position", "out of range")
            .into());
        }
        let from = speaker.position as u32;
        let positions: Vec<u32> = positions.iter().map(|p| *p as u32).collect();
        for (old, new) in domain::r8_3_move(&positions, from, request.new_position) {
            if old != new {
                sqlx::query("UPDATE speakers SET position = $3 WHERE conference_id = $1 AND position = $2")
                    .bind(conference.id)
                    .bind(old as i32)
                    .bind(-(new as i32))
                    .execute(&mut *tx)
                    .await
                    .map_err(ServiceError::from)?;
            }
        }
        // Negative while moving, so no two rows meet on one position mid-update.
        sqlx::query("UPDATE speakers SET position = -position WHERE conference_id = $1 AND position < 0")
            .bind(conference.id)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        speaker.position = request.new_position as i32;
        let entry = AuditEntry {
            rpc: "MoveSpeaker",
            record_type: "speaker",
            record_id: speaker.id.to_string(),
            before: Some(json!({ "position": from })),
            after: Some(json!({ "position": request.new_position, "reason": request.reason.trim() })),
        };
        let event = Event::new("speaker_updated", conference.id.to_string(), Vec::new(), &speaker.updated());
        self.record(&mut tx, &caller, entry, &conference.unit_path, Some(event)).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(speaker.wire(true)))
    }

    async fn call_next_speaker(
        &self,
        request: Request<ConferenceRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        let conference = self
            .conference(&mut tx, &caller, parse::id("conference_id", &request.get_ref().conference_id)?, true)
            .await?;
        self.require_manager(&caller, &conference, false)?;
        if conference.state() != ConferenceState::InProgress {
            return Err(lifecycle(
                "speakers are called while the conference is in progress",
                "chỉ mời phát biểu khi hội nghị đang diễn ra",
            )
            .into());
        }
        let queue: Vec<(i32, String, Uuid)> =
            sqlx::query_as("SELECT position, status, id FROM speakers WHERE conference_id = $1")
                .bind(conference.id)
                .fetch_all(&mut *tx)
                .await
                .map_err(ServiceError::from)?;
        let queue: Vec<(u32, SpeakerStatus, String)> = queue
            .into_iter()
            .map(|(p, s, id)| (p as u32, SpeakerStatus::from_str_name(&s).unwrap_or_default(), id.to_string()))
            .collect();
        let next = domain::r8_3_next_speaker(&queue)?.to_owned();
        tx.commit().await.map_err(ServiceError::from)?;
        let speaker = self
            .speaker_step(&caller, &next, "CallNextSpeaker", |s, _| {
                if !domain::waiting(s.status()) {
                    return Err(lifecycle(
                        "that speaker was just called by someone else",
                        "người này vừa được mời phát biểu",
                    ));
                }
                s.status = SpeakerStatus::Called.as_str_name().to_owned();
                Ok(())
            })
            .await?;
        Ok(Response::new(speaker))
    }

    async fn mark_spoke(&self, request: Request<SpeakerRequest>) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.finish_turn(&caller, &request.get_ref().registration_id, SpeakerStatus::Spoke).await?))
    }

    async fn mark_absent(&self, request: Request<SpeakerRequest>) -> Result<Response<SpeakerRegistration>, Status> {
        let caller = Caller::of(&request)?;
        Ok(Response::new(self.finish_turn(&caller, &request.get_ref().registration_id, SpeakerStatus::Absent).await?))
    }

    async fn refuse_participant(
        &self,
        request: Request<RefuseParticipantRequest>,
    ) -> Result<Response<Participant>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let reason = domain::r2_4_reason(request.reason)?;
        let participant_id = parse::id("participant_id", &request.participant_id)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        let found: Option<(Uuid, String, String)> =
            sqlx::query_as("SELECT conference_id, status, unit_code FROM participants WHERE id = $1 FOR UPDATE")
                .bind(participant_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(ServiceError::from)?;
        let (conference_id, status, unit_code) = found
            .ok_or_else(|| ServiceError::not_found("the participant does not exist", "người tham gia không tồn tại"))?;
        let conference = self.conference(&mut tx, &caller, conference_id, false).await?;
        // R9.2: the host (or the delegated deputy) of this conference refuses.
        if !self.is_host(&mut tx, &caller, &conference).await? {
            return Err(ServiceError::permission_denied(
                Reason::Rule("R9.2"),
                "R9.2: only the host of this conference refuses dialogue",
                "R9.2: chỉ người chủ trì hội nghị được từ chối đối thoại",
            )
            .into());
        }
        if !matches!(conference.state(), ConferenceState::Announced | ConferenceState::InProgress) {
            return Err(lifecycle(
                "refusals are made before or during the conference",
                "chỉ từ chối trước hoặc trong hội nghị",
            )
            .into());
        }
        if status == ParticipantStatus::Refused.as_str_name() {
            return Err(ServiceError::new(
                Code::AlreadyExists,
                Reason::Rule("R2.4"),
                "R2.4: already refused",
                "R2.4: đã từ chối người này",
            )
            .into());
        }
        sqlx::query("UPDATE participants SET status = 'PARTICIPANT_STATUS_REFUSED' WHERE id = $1")
            .bind(participant_id)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        sqlx::query("INSERT INTO refusals (id, conference_id, participant_id, reason, note, refused_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7())
            .bind(conference.id)
            .bind(participant_id)
            .bind(reason.as_str_name())
            .bind(request.note.trim())
            .bind(&caller.subject)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        // Off the queue: everything still to come.
        sqlx::query(
            "UPDATE speakers SET status = 'SPEAKER_STATUS_REMOVED', note = 'R2.4'
             WHERE participant_id = $1 AND status IN ('SPEAKER_STATUS_QUEUED', 'SPEAKER_STATUS_CONFIRMED', 'SPEAKER_STATUS_CALLED')",
        )
        .bind(participant_id)
        .execute(&mut *tx)
        .await
        .map_err(ServiceError::from)?;
        let entry = AuditEntry {
            rpc: "RefuseParticipant",
            record_type: "participant",
            record_id: participant_id.to_string(),
            before: Some(json!({ "status": status })),
            after: Some(json!({ "status": "PARTICIPANT_STATUS_REFUSED", "reason": reason.as_str_name() })),
        };
        let refused = ParticipantRefused {
            conference_id: conference.id.to_string(),
            participant_id: participant_id.to_string(),
            reason: reason as i32,
        };
        let event = Event::new("participant_refused", participant_id.to_string(), Vec::new(), &refused);
        self.record(&mut tx, &caller, entry, &conference.unit_path, Some(event)).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(Participant {
            id: participant_id.to_string(),
            conference_id: conference.id.to_string(),
            unit_code,
            status: ParticipantStatus::Refused as i32,
            ..Default::default()
        }))
    }

    async fn check_in(&self, request: Request<CheckInRequest>) -> Result<Response<Attendance>, Status> {
        let caller = Caller::of(&request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        let (table, id, rpc) = match &request.get_ref().who {
            Some(check_in_request::Who::ParticipantId(id)) => {
                ("participants", parse::id("participant_id", id)?, "CheckInParticipant")
            }
            Some(check_in_request::Who::InvitationId(id)) => {
                ("invitations", parse::id("invitation_id", id)?, "CheckInInvitee")
            }
            None => {
                return Err(ServiceError::invalid_argument(
                    Reason::InvalidArgument,
                    "participant_id or invitation_id is required",
                    "cần mã người tham gia hoặc giấy mời",
                )
                .with_violation("who", "required")
                .into());
            }
        };
        let found: Option<(Uuid, String)> =
            sqlx::query_as(&format!("SELECT conference_id, status FROM {table} WHERE id = $1 FOR UPDATE"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(ServiceError::from)?;
        let (conference_id, status) = found.ok_or_else(|| {
            ServiceError::not_found(
                "nobody with that id is registered or invited",
                "không có người đăng ký hoặc khách mời với mã này",
            )
        })?;
        let conference = self.conference(&mut tx, &caller, conference_id, false).await?;
        self.require_manager(&caller, &conference, false)?;
        if !matches!(conference.state(), ConferenceState::Announced | ConferenceState::InProgress) {
            return Err(lifecycle(
                "check-in is open before and during the conference",
                "chỉ điểm danh trước và trong hội nghị",
            )
            .into());
        }
        let new_status = match (table, status.as_str()) {
            ("participants", "PARTICIPANT_STATUS_REFUSED") => {
                return Err(ServiceError::rule(
                    "R2.4",
                    "R2.4: the host refused this participant",
                    "R2.4: người này đã bị từ chối",
                )
                .into());
            }
            ("participants", _) => "PARTICIPANT_STATUS_CHECKED_IN",
            (_, "INVITATION_STATUS_DECLINED") => {
                return Err(lifecycle("the invitee declined", "khách mời đã từ chối").into());
            }
            _ => "INVITATION_STATUS_ATTENDED",
        };
        sqlx::query(&format!("UPDATE {table} SET status = $2 WHERE id = $1"))
            .bind(id)
            .bind(new_status)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let entry = AuditEntry {
            rpc,
            record_type: if table == "participants" { "participant" } else { "invitation" },
            record_id: id.to_string(),
            before: Some(json!({ "status": status })),
            after: Some(json!({ "status": new_status })),
        };
        self.record(&mut tx, &caller, entry, &conference.unit_path, None).await?;
        let attendance = self.attendance(&mut tx, &conference).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(attendance))
    }

    async fn invite(&self, request: Request<InviteRequest>) -> Result<Response<Invitation>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let once = Once::new(&caller, "Invite", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let conference =
            self.conference(&mut tx, &caller, parse::id("conference_id", &request.conference_id)?, false).await?;
        self.require_manager(&caller, &conference, false)?;
        if !matches!(conference.state(), ConferenceState::Announced | ConferenceState::InProgress) {
            return Err(lifecycle(
                "invitations go out once the conference is announced",
                "chỉ gửi giấy mời khi hội nghị đã thông báo",
            )
            .into());
        }
        let name = domain::check_name("invitee_name", &request.invitee_name)?;
        let organization = match request.organization_id.as_str() {
            "" => None,
            id => {
                let id = parse::id("organization_id", id)?;
                let active: Option<bool> = sqlx::query_scalar("SELECT active FROM organizations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(ServiceError::from)?;
                if active != Some(true) {
                    return Err(ServiceError::not_found(
                        "the agency is not in the directory or is inactive",
                        "cơ quan không có trong danh mục hoặc đã ngừng hoạt động",
                    )
                    .into());
                }
                Some(id)
            }
        };
        if let Some(item) = request.answers_agenda_items.iter().find(|i| **i as i32 >= conference.agenda_items) {
            return Err(ServiceError::invalid_argument(
                Reason::InvalidArgument,
                format!("agenda item {item} does not exist"),
                format!("nội dung số {item} không có trong chương trình"),
            )
            .with_violation("answers_agenda_items", "out of range")
            .into());
        }
        let row = InvitationRow {
            id: Uuid::now_v7(),
            conference_id: conference.id,
            organization_id: organization,
            invitee_name: name,
            invitee_title: request.invitee_title.trim().to_owned(),
            answers_agenda_items: request.answers_agenda_items.iter().map(|i| *i as i32).collect(),
            status: InvitationStatus::Sent.as_str_name().to_owned(),
        };
        sqlx::query(&format!("INSERT INTO invitations ({INVITATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
            .bind(row.id)
            .bind(row.conference_id)
            .bind(row.organization_id)
            .bind(&row.invitee_name)
            .bind(&row.invitee_title)
            .bind(&row.answers_agenda_items)
            .bind(&row.status)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let entry = AuditEntry {
            rpc: "Invite",
            record_type: "invitation",
            record_id: row.id.to_string(),
            before: None,
            after: Some(json!({ "organization_id": row.organization_id, "status": row.status })),
        };
        self.record(&mut tx, &caller, entry, &conference.unit_path, Some(row.updated_event())).await?;
        once.remember(&mut tx, &row.wire()).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(row.wire()))
    }

    async fn update_invitation(
        &self,
        request: Request<UpdateInvitationRequest>,
    ) -> Result<Response<Invitation>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        let mut row: InvitationRow =
            sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = $1 FOR UPDATE"))
                .bind(parse::id("invitation_id", &request.invitation_id)?)
                .fetch_optional(&mut *tx)
                .await
                .map_err(ServiceError::from)?
                .ok_or_else(|| ServiceError::not_found("the invitation does not exist", "giấy mời không tồn tại"))?;
        let conference = self.conference(&mut tx, &caller, row.conference_id, false).await?;
        self.require_manager(&caller, &conference, false)?;
        let from = InvitationStatus::from_str_name(&row.status).unwrap_or_default();
        let to: InvitationStatus = parse::known("status", request.status)?;
        use InvitationStatus::*;
        let allowed =
            matches!((from, to), (Sent, Accepted | Declined) | (Accepted, Declined | Attended) | (Declined, Accepted));
        if !allowed {
            return Err(lifecycle(
                &format!(
                    "an invitation goes from {} to {} only through the right steps",
                    from.as_str_name(),
                    to.as_str_name()
                ),
                "trạng thái giấy mời không thể chuyển như vậy",
            )
            .into());
        }
        let before = row.status.clone();
        row.status = to.as_str_name().to_owned();
        sqlx::query("UPDATE invitations SET status = $2 WHERE id = $1")
            .bind(row.id)
            .bind(&row.status)
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let entry = AuditEntry {
            rpc: "UpdateInvitation",
            record_type: "invitation",
            record_id: row.id.to_string(),
            before: Some(json!({ "status": before })),
            after: Some(json!({ "status": row.status })),
        };
        self.record(&mut tx, &caller, entry, &conference.unit_path, Some(row.updated_event())).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(row.wire()))
    }

    async fn list_invitations(
        &self,
        request: Request<ConferenceRequest>,
    ) -> Result<Response<ListInvitationsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let conference = self
            .conference(&mut conn, &caller, parse::id("conference_id", &request.get_ref().conference_id)?, false)
            .await?;
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE conference_id = $1 ORDER BY id"
        ))
        .bind(conference.id)
        .fetch_all(&mut *conn)
        .await
        .map_err(ServiceError::from)?;
        Ok(Response::new(ListInvitationsResponse { invitations: rows.iter().map(InvitationRow::wire).collect() }))
    }

    async fn get_attendance(&self, request: Request<ConferenceRequest>) -> Result<Response<Attendance>, Status> {
        let caller = Caller::of(&request)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let conference = self
            .conference(&mut conn, &caller, parse::id("conference_id", &request.get_ref().conference_id)?, false)
            .await?;
        Ok(Response::new(self.attendance(&mut conn, &conference).await?))
    }
}

impl ParticipantsApi {
    async fn finish_turn(
        &self,
        caller: &Caller,
        id: &str,
        outcome: SpeakerStatus,
    ) -> ServiceResult<SpeakerRegistration> {
        let rpc = if outcome == SpeakerStatus::Spoke { "MarkSpoke" } else { "MarkAbsent" };
        self.speaker_step(caller, id, rpc, |s, conference| {
            if s.status() != SpeakerStatus::Called || conference.state() != ConferenceState::InProgress {
                return Err(lifecycle(
                    "only the speaker called during the conference is marked",
                    "chỉ ghi nhận người đang được mời phát biểu trong hội nghị",
                ));
            }
            s.status = outcome.as_str_name().to_owned();
            Ok(())
        })
        .await
    }
}
