//! The minutes API: the record of the conference (R8.2, R8.4, R9.1, R1.2),
//! sign-off and corrections, the conclusion notice (R10.2), the agencies'
//! responses (R10.3) and escalation (R10.4). Each step is one transaction with
//! its audit entry and its event for the deadlines service.

use chrono::{DateTime, NaiveDate, Utc};
use doithoai_proto::{
    common::v1::Field,
    minutes::v1::{
        AcknowledgeNoticeRequest, AddEntryRequest, Answer, AnswerPetitionRequest, ConclusionNotice,
        ConclusionNoticeIssued, ConclusionSigned, ConferenceRequest, Entry, EntryAdded, EscalatePetitionRequest,
        Escalation, IssueConclusionNoticeRequest, Minutes, MinutesState, NoticeAssignment, NoticeReceived, Outcome,
        Petition, PetitionAnswered, PetitionEscalated, PetitionRecorded, PetitionReferred, PetitionRequest,
        PetitionStatus, RecordConclusionRequest, RecordOpeningRequest, RecordPetitionRequest, RecordResponseRequest,
        ReferPetitionRequest, Referral, RenderedDocument, ResponseRecorded, Signature,
        minutes_service_server::MinutesService,
    },
};
use doithoai_runtime::{
    Caller, Clock, Reason, Role, ServiceError, ServiceResult, access,
    audit::AuditEntry,
    events::Event,
    idempotency::Once,
    outbox::Outbox,
    parse,
    time::{self, timestamp},
    unit_tree,
};
use prost::Message;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::{
    documents,
    domain::{self, rule},
};

/// A unit's name from the replica of the directory.
async fn unit_name(conn: &mut PgConnection, code: &str) -> ServiceResult<String> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM units WHERE code = $1").bind(code).fetch_optional(conn).await?;
    Ok(name.unwrap_or_else(|| code.to_owned()))
}

pub struct MinutesApi {
    pool: PgPool,
    outbox: Outbox,
    clock: Clock,
}

#[derive(sqlx::FromRow)]
struct ConferenceRow {
    id: Uuid,
    unit_path: Vec<String>,
    host_position_id: Uuid,
    delegate_position_id: Option<Uuid>,
    accountable_position_id: Uuid,
    secretary_subject: String,
    invited_organization_ids: Vec<Uuid>,
    ended_at: Option<DateTime<Utc>>,
}

/// The day the minutes opened: the conference's first day.
fn opened_on(minutes: &Minutes) -> NaiveDate {
    minutes.opened_at.as_ref().and_then(time::instant).map(time::local_date).unwrap_or(parse::FIRST_DAY)
}

fn not_yours(who: &str) -> ServiceError {
    ServiceError::permission_denied(
        Reason::NotYourConference,
        format!("only {who} may do this"),
        format!("chỉ {who} được thực hiện thao tác này"),
    )
}

/// An agency acting for a notice or petition of another agency's.
fn not_your_organization(what: &str) -> ServiceError {
    ServiceError::permission_denied(
        Reason::NotYourOrganization,
        format!("only the agency {what} may do this"),
        format!("chỉ cơ quan {what} được thực hiện thao tác này"),
    )
}

/// Who acts.
#[derive(Clone, Copy, PartialEq)]
enum Actor {
    Office,
    Secretary,
    Host,
}

fn state(minutes: &Minutes) -> MinutesState {
    MinutesState::try_from(minutes.state).unwrap_or_default()
}

fn status(petition: &Petition) -> &'static str {
    PetitionStatus::try_from(petition.status).unwrap_or_default().as_str_name()
}

impl MinutesApi {
    pub fn new(pool: PgPool, outbox: Outbox, clock: Clock) -> Self {
        Self { pool, outbox, clock }
    }

    async fn conference(&self, conn: &mut PgConnection, caller: &Caller, id: Uuid) -> ServiceResult<ConferenceRow> {
        let row: ConferenceRow = sqlx::query_as(
            "SELECT id, unit_path, host_position_id, delegate_position_id, accountable_position_id, secretary_subject,
                    invited_organization_ids, ended_at FROM conferences WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| {
            ServiceError::not_found(
                format!("conference {id} is unknown here (not announced?)"),
                format!("hội nghị {id} chưa có tại đây"),
            )
        })?;
        caller.require_within(&row.unit_path)?;
        Ok(row)
    }

    async fn acts_as(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        conference: &ConferenceRow,
        actor: Actor,
    ) -> ServiceResult<bool> {
        Ok(match actor {
            Actor::Office => caller.has_role(Role::Office) || caller.has_role(Role::Admin),
            Actor::Secretary => caller.has_role(Role::Secretary) && caller.subject == conference.secretary_subject,
            Actor::Host => {
                access::hosts(conn, caller, conference.host_position_id, conference.delegate_position_id).await?
            }
        })
    }

    async fn require(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        conference: &ConferenceRow,
        actors: &[Actor],
        who: &str,
    ) -> ServiceResult<Actor> {
        for actor in actors {
            if self.acts_as(conn, caller, conference, *actor).await? {
                return Ok(*actor);
            }
        }
        Err(not_yours(who))
    }

    /// The day the conference began, as its minutes record it.
    async fn opened_on(&self, conn: &mut PgConnection, conference: Uuid) -> ServiceResult<NaiveDate> {
        Ok(opened_on(&self.read_minutes(conn, conference, false).await?))
    }

    async fn lock_minutes(&self, conn: &mut PgConnection, conference: Uuid) -> ServiceResult<Minutes> {
        self.read_minutes(conn, conference, true).await
    }

    async fn read_minutes(&self, conn: &mut PgConnection, conference: Uuid, lock: bool) -> ServiceResult<Minutes> {
        let lock = if lock { " FOR UPDATE" } else { "" };
        let document: Vec<u8> =
            sqlx::query_scalar(&format!("SELECT document FROM minutes WHERE conference_id = $1{lock}"))
                .bind(conference)
                .fetch_optional(conn)
                .await?
                .ok_or_else(|| {
                    rule("R8.1", "the minutes open when the conference starts", "biên bản được mở khi hội nghị bắt đầu")
                })?;
        Minutes::decode(document.as_slice()).map_err(|e| ServiceError::Internal(e.into()))
    }

    async fn save_minutes(&self, conn: &mut PgConnection, minutes: &Minutes) -> ServiceResult<()> {
        sqlx::query("UPDATE minutes SET state = $2, document = $3, updated_at = now() WHERE conference_id = $1")
            .bind(parse::id("conference_id", &minutes.conference_id)?)
            .bind(state(minutes).as_str_name())
            .bind(minutes.encode_to_vec())
            .execute(conn)
            .await?;
        Ok(())
    }

    async fn lock_petition(&self, conn: &mut PgConnection, id: &str) -> ServiceResult<(Petition, Vec<String>)> {
        let id = parse::id("petition_id", id)?;
        let (document, path): (Vec<u8>, Vec<String>) =
            sqlx::query_as("SELECT document, unit_path FROM petitions WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(conn)
                .await?
                .ok_or_else(|| {
                    ServiceError::not_found(
                        format!("petition {id} does not exist"),
                        format!("ý kiến {id} không tồn tại"),
                    )
                })?;
        Ok((Petition::decode(document.as_slice()).map_err(|e| ServiceError::Internal(e.into()))?, path))
    }

    async fn save_petition(
        &self,
        conn: &mut PgConnection,
        petition: &Petition,
        path: &[String],
        insert: bool,
    ) -> ServiceResult<()> {
        let sql = if insert {
            "INSERT INTO petitions (id, conference_id, unit_code, unit_path, status, assigned_organization_id, escalated_from, document)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        } else {
            "UPDATE petitions SET conference_id = $2, unit_code = $3, unit_path = $4, status = $5, assigned_organization_id = $6,
                 escalated_from = $7, document = $8 WHERE id = $1"
        };
        let optional = |text: &str| Uuid::parse_str(text).ok();
        sqlx::query(sql)
            .bind(parse::id("petition.id", &petition.id)?)
            .bind(parse::id("conference_id", &petition.conference_id)?)
            .bind(&petition.unit_code)
            .bind(path)
            .bind(status(petition))
            .bind(optional(&petition.assigned_organization_id))
            .bind(optional(&petition.escalated_from_petition_id))
            .bind(petition.encode_to_vec())
            .execute(conn)
            .await?;
        Ok(())
    }

    async fn petitions(&self, conn: &mut PgConnection, conference: Uuid) -> ServiceResult<Vec<Petition>> {
        let documents: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT document FROM petitions WHERE conference_id = $1 AND escalated_from IS NULL ORDER BY id FOR UPDATE",
        )
        .bind(conference)
        .fetch_all(conn)
        .await?;
        documents.iter().map(|d| Petition::decode(d.as_slice()).map_err(|e| ServiceError::Internal(e.into()))).collect()
    }

    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        rpc: &'static str,
        record_type: &'static str,
        id: &str,
        before: Option<serde_json::Value>,
        after: serde_json::Value,
        events: Vec<Event>,
    ) -> ServiceResult<()> {
        let entry = AuditEntry { rpc, record_type, record_id: id.to_owned(), before, after: Some(after) };
        self.outbox.record(conn, caller, &[entry], &events).await?;
        Ok(())
    }

    /// A change to the minutes document by the given actors.
    async fn minutes_step<F>(
        &self,
        caller: &Caller,
        conference_id: &str,
        actors: &[Actor],
        who: &str,
        rpc: &'static str,
        once: &Once,
        change: F,
    ) -> ServiceResult<Minutes>
    where
        F: FnOnce(&mut Minutes, Actor, &ConferenceRow, &Self) -> ServiceResult<Vec<Event>>,
    {
        let mut tx = self.pool.begin().await?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(done);
        }
        let conference = self.conference(&mut tx, caller, parse::id("conference_id", conference_id)?).await?;
        let actor = self.require(&mut tx, caller, &conference, actors, who).await?;
        let mut minutes = self.lock_minutes(&mut tx, conference.id).await?;
        let before = json!({ "state": state(&minutes).as_str_name(), "entries": minutes.entries.len() });
        let events = change(&mut minutes, actor, &conference, self)?;
        self.save_minutes(&mut tx, &minutes).await?;
        let after = json!({ "state": state(&minutes).as_str_name(), "entries": minutes.entries.len() });
        self.record(&mut tx, caller, rpc, "minutes", conference_id, Some(before), after, events).await?;
        once.remember(&mut tx, &minutes).await?;
        tx.commit().await?;
        Ok(minutes)
    }

    /// The minutes with their petitions (those escalated here from below are
    /// the receiving level's, not part of this record).
    async fn full_minutes(&self, conn: &mut PgConnection, conference: Uuid) -> ServiceResult<Minutes> {
        let document: Vec<u8> = sqlx::query_scalar("SELECT document FROM minutes WHERE conference_id = $1")
            .bind(conference)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| {
                rule("R8.1", "the minutes open when the conference starts", "biên bản được mở khi hội nghị bắt đầu")
            })?;
        let mut minutes = Minutes::decode(document.as_slice()).map_err(|e| ServiceError::Internal(e.into()))?;
        let documents: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT document FROM petitions WHERE conference_id = $1 AND escalated_from IS NULL ORDER BY id",
        )
        .bind(conference)
        .fetch_all(conn)
        .await?;
        // An undecodable petition is an error, never a shorter record.
        minutes.petitions = documents
            .iter()
            .map(|d| Petition::decode(d.as_slice()))
            .collect::<Result<_, _>>()
            .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored petition undecodable: {e}")))?;
        Ok(minutes)
    }

    async fn notice(
        &self,
        conn: &mut PgConnection,
        conference: Uuid,
        lock: bool,
    ) -> ServiceResult<Option<(Uuid, ConclusionNotice)>> {
        let sql = format!(
            "SELECT id, document FROM notices WHERE conference_id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        );
        let row: Option<(Uuid, Vec<u8>)> = sqlx::query_as(&sql).bind(conference).fetch_optional(conn).await?;
        row.map(|(id, d)| {
            Ok((id, ConclusionNotice::decode(d.as_slice()).map_err(|e| ServiceError::Internal(e.into()))?))
        })
        .transpose()
    }
}

fn event<M: Message + prost::Name>(kind: &'static str, id: &str, path: &[String], message: &M) -> Event {
    Event::new(kind, id, path.to_vec(), message)
}

#[tonic::async_trait]
impl MinutesService for MinutesApi {
    async fn get_minutes(&self, request: Request<ConferenceRequest>) -> Result<Response<Minutes>, Status> {
        let caller = Caller::of(&request)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let conference =
            self.conference(&mut conn, &caller, parse::id("conference_id", &request.get_ref().conference_id)?).await?;
        Ok(Response::new(self.full_minutes(&mut conn, conference.id).await?))
    }

    async fn render_minutes(&self, request: Request<ConferenceRequest>) -> Result<Response<RenderedDocument>, Status> {
        let caller = Caller::of(&request)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let conference =
            self.conference(&mut conn, &caller, parse::id("conference_id", &request.get_ref().conference_id)?).await?;
        let minutes = self.full_minutes(&mut conn, conference.id).await?;
        let unit = unit_name(&mut conn, &minutes.unit_code).await?;
        let pdf = doithoai_documents::render(
            "Biên bản hội nghị tiếp xúc, đối thoại",
            &documents::minutes_lines(&minutes, &unit),
        );
        Ok(Response::new(RenderedDocument { file_name: format!("bien-ban-{}.pdf", conference.id), pdf }))
    }

    async fn render_conclusion_notice(
        &self,
        request: Request<ConferenceRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        let caller = Caller::of(&request)?;
        let mut conn = self.pool.acquire().await.map_err(ServiceError::from)?;
        let conference =
            self.conference(&mut conn, &caller, parse::id("conference_id", &request.get_ref().conference_id)?).await?;
        let (_, notice) = self.notice(&mut conn, conference.id, false).await?.ok_or_else(|| {
            ServiceError::not_found("no conclusion notice was issued yet", "chưa ban hành thông báo kết luận")
        })?;
        let minutes = self.full_minutes(&mut conn, conference.id).await?;
        let unit = unit_name(&mut conn, &minutes.unit_code).await?;
        let province = unit_name(&mut conn, conference.unit_path.first().map_or("", String::as_str)).await?;
        let place = province.trim_start_matches("Tỉnh ").trim_start_matches("Thành phố ").to_owned();
        let ids: Vec<Uuid> =
            notice.assignments.iter().filter_map(|a| Uuid::parse_str(&a.organization_id).ok()).collect();
        let agencies: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, name FROM organizations WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await
            .map_err(ServiceError::from)?;
        let agencies = agencies.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
        let pdf = doithoai_documents::render(
            "Thông báo kết luận",
            &documents::notice_lines(&notice, &minutes, &unit, &place, &agencies),
        );
        Ok(Response::new(RenderedDocument {
            file_name: format!("thong-bao-ket-luan-{}.pdf", notice.number.replace('/', "-")),
            pdf,
        }))
    }

    async fn record_opening(&self, request: Request<RecordOpeningRequest>) -> Result<Response<Minutes>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let (purpose, requirements, content) = (
            domain::text("purpose", &request.purpose)?,
            domain::text("requirements", &request.requirements)?,
            domain::text("content", &request.content)?,
        );
        let minutes = self
            .minutes_step(
                &caller,
                &request.conference_id,
                &[Actor::Secretary, Actor::Office],
                "the secretary or the office",
                "RecordOpening",
                &Once::none(),
                |m, _, _, _| {
                    domain::r8_4_minutes_open(state(m))?;
                    // R8.2: the host opens with purpose, requirements and main content.
                    m.purpose = purpose;
                    m.requirements = requirements;
                    m.content = content;
                    Ok(Vec::new())
                },
            )
            .await?;
        Ok(Response::new(minutes))
    }

    async fn record_petition(&self, request: Request<RecordPetitionRequest>) -> Result<Response<Petition>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let text = domain::text("text", &request.text)?;
        let classification = domain::classification(request.classification)?;
        let field: Field = parse::known("field", request.field)?;
        if field == Field::Unspecified {
            return Err(rule(
                "R5.1",
                "a petition belongs to one of the fields of R5.1",
                "ý kiến phải thuộc một lĩnh vực tại R5.1",
            )
            .into());
        }
        let optional_id = |field: &str, text: &str| {
            parse::optional_id(field, text).map(|id| id.map(|id| id.to_string()).unwrap_or_default())
        };
        let (registration, participant) = (
            optional_id("speaker_registration_id", &request.speaker_registration_id)?,
            optional_id("participant_id", &request.participant_id)?,
        );
        let once = Once::new(&caller, "RecordPetition", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let conference = self.conference(&mut tx, &caller, parse::id("conference_id", &request.conference_id)?).await?;
        self.require(&mut tx, &caller, &conference, &[Actor::Secretary, Actor::Office], "the secretary or the office")
            .await?;
        let minutes = self.lock_minutes(&mut tx, conference.id).await?;
        domain::r8_4_minutes_open(state(&minutes))?;
        let petition = Petition {
            id: Uuid::now_v7().to_string(),
            conference_id: conference.id.to_string(),
            unit_code: minutes.unit_code.clone(),
            speaker_registration_id: registration,
            participant_id: participant,
            text,
            field: field as i32,
            classification: classification as i32,
            state_secret: request.state_secret,
            status: PetitionStatus::Recorded as i32,
            ..Default::default()
        };
        self.save_petition(&mut tx, &petition, &conference.unit_path, true).await?;
        let recorded = PetitionRecorded {
            conference_id: petition.conference_id.clone(),
            petition_id: petition.id.clone(),
            classification: petition.classification,
            field: petition.field,
            state_secret: petition.state_secret,
            unit_code: petition.unit_code.clone(),
            escalated_from_petition_id: String::new(),
        };
        let after = json!({ "status": status(&petition), "classification": classification.as_str_name(), "state_secret": petition.state_secret });
        let events = vec![event("petition_recorded", &petition.id, &conference.unit_path, &recorded)];
        self.record(&mut tx, &caller, "RecordPetition", "petition", &petition.id, None, after, events).await?;
        once.remember(&mut tx, &petition).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(petition))
    }

    async fn refer_petition(&self, request: Request<ReferPetitionRequest>) -> Result<Response<Petition>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let body = domain::text("receiving_body", &request.receiving_body)?;
        let referred_on = parse::happened("referred_on", &request.referred_on, self.clock.today())?;
        let once = Once::new(&caller, "ReferPetition", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let (mut petition, path) = self.lock_petition(&mut tx, &request.petition_id).await?;
        let conference =
            self.conference(&mut tx, &caller, parse::id("conference_id", &petition.conference_id)?).await?;
        self.require(&mut tx, &caller, &conference, &[Actor::Secretary, Actor::Office], "the secretary or the office")
            .await?;
        let opened_on = self.opened_on(&mut tx, conference.id).await?;
        parse::not_before("referred_on", referred_on, opened_on, ("the conference", "ngày hội nghị"))?;
        domain::r1_2_may_refer(&petition)?;
        let before = json!({ "status": status(&petition) });
        petition.status = PetitionStatus::Referred as i32;
        petition.referral = Some(Referral { receiving_body: body, referred_on: referred_on.to_string() });
        self.save_petition(&mut tx, &petition, &path, false).await?;
        let referred = PetitionReferred {
            conference_id: petition.conference_id.clone(),
            petition_id: petition.id.clone(),
            referral: petition.referral.clone(),
        };
        let events = vec![event("petition_referred", &petition.id, &path, &referred)];
        self.record(
            &mut tx,
            &caller,
            "ReferPetition",
            "petition",
            &petition.id,
            Some(before),
            json!({ "status": status(&petition) }),
            events,
        )
        .await?;
        once.remember(&mut tx, &petition).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(petition))
    }

    async fn answer_petition(&self, request: Request<AnswerPetitionRequest>) -> Result<Response<Petition>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let text = domain::text("text", &request.text)?;
        let once = Once::new(&caller, "AnswerPetition", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let (mut petition, path) = self.lock_petition(&mut tx, &request.petition_id).await?;
        let conference =
            self.conference(&mut tx, &caller, parse::id("conference_id", &petition.conference_id)?).await?;
        self.require(
            &mut tx,
            &caller,
            &conference,
            &[Actor::Secretary, Actor::Office, Actor::Host],
            "the secretary, the office or the host",
        )
        .await?;
        let minutes = self.lock_minutes(&mut tx, conference.id).await?;
        domain::r8_4_minutes_open(state(&minutes))?;
        domain::r8_4_may_answer(&petition)?;
        let organization = Some(request.organization_id.as_str()).filter(|o| !o.is_empty());
        let invited: Vec<String> = conference.invited_organization_ids.iter().map(Uuid::to_string).collect();
        domain::r8_4_answerer(organization, &request.official_name, &invited)?;
        let acting_host = conference.delegate_position_id.unwrap_or(conference.host_position_id);
        petition.status = PetitionStatus::Answered as i32;
        petition.answer = Some(Answer {
            text,
            answered_by_position_id: if organization.is_none() { acting_host.to_string() } else { String::new() },
            answered_by_organization_id: organization.unwrap_or_default().to_owned(),
            answered_by_name: request.official_name.trim().to_owned(),
            // R9.1: the host answers for every answer.
            accountable_position_id: conference.accountable_position_id.to_string(),
            answered_at: Some(timestamp(self.clock.now())),
        });
        self.save_petition(&mut tx, &petition, &path, false).await?;
        let answered = PetitionAnswered {
            conference_id: petition.conference_id.clone(),
            petition_id: petition.id.clone(),
            accountable_position_id: conference.accountable_position_id.to_string(),
        };
        let events = vec![event("petition_answered", &petition.id, &path, &answered)];
        let after = json!({ "status": status(&petition), "answered_by_organization_id": organization, "accountable_position_id": conference.accountable_position_id });
        self.record(
            &mut tx,
            &caller,
            "AnswerPetition",
            "petition",
            &petition.id,
            Some(json!({ "status": "PETITION_STATUS_RECORDED" })),
            after,
            events,
        )
        .await?;
        once.remember(&mut tx, &petition).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(petition))
    }

    async fn record_conclusion(&self, request: Request<RecordConclusionRequest>) -> Result<Response<Minutes>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let conclusion = domain::text("conclusion", &request.conclusion)?;
        let minutes = self
            .minutes_step(
                &caller,
                &request.conference_id,
                &[Actor::Host],
                "the host",
                "RecordConclusion",
                &Once::none(),
                |m, _, _, _| {
                    domain::r8_4_minutes_open(state(m))?;
                    m.conclusion = conclusion;
                    m.state = MinutesState::Concluded as i32;
                    Ok(Vec::new())
                },
            )
            .await?;
        Ok(Response::new(minutes))
    }

    async fn sign_minutes(&self, request: Request<ConferenceRequest>) -> Result<Response<Minutes>, Status> {
        let caller = Caller::of(&request)?;
        let conference_id = request.get_ref().conference_id.clone();
        let minutes = self
            .minutes_step(
                &caller,
                &conference_id,
                &[Actor::Secretary, Actor::Host],
                "the secretary or the host",
                "SignMinutes",
                &Once::none(),
                |m, actor, conference, api| {
                    if state(m) != MinutesState::Concluded {
                        return Err(rule(
                            "R8.4",
                            "the minutes are signed after the host's conclusion, once",
                            "biên bản được ký sau kết luận của người chủ trì, một lần",
                        ));
                    }
                    let signature = Some(Signature {
                        subject: caller.subject.clone(),
                        signed_at: Some(timestamp(api.clock.now())),
                    });
                    match actor {
                        Actor::Host if m.host_signature.is_none() => m.host_signature = signature,
                        Actor::Secretary if m.secretary_signature.is_none() => m.secretary_signature = signature,
                        _ => return Err(rule("R8.4", "already signed", "đã ký")),
                    }
                    if m.host_signature.is_some() && m.secretary_signature.is_some() {
                        m.state = MinutesState::Signed as i32;
                        let signed = ConclusionSigned {
                            conference_id: m.conference_id.clone(),
                            signed_at: Some(timestamp(api.clock.now())),
                        };
                        return Ok(vec![event("conclusion_signed", &m.conference_id, &conference.unit_path, &signed)]);
                    }
                    Ok(Vec::new())
                },
            )
            .await?;
        Ok(Response::new(minutes))
    }

    async fn add_entry(&self, request: Request<AddEntryRequest>) -> Result<Response<Minutes>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let text = domain::text("text", &request.text)?;
        let kind = request.kind.trim().to_uppercase();
        let once = Once::new(&caller, "AddEntry", &request.request_id, &request)?;
        let minutes = self
            .minutes_step(
                &caller,
                &request.conference_id,
                &[Actor::Secretary, Actor::Office],
                "the secretary or the office",
                "AddEntry",
                &once,
                |m, _, conference, api| {
                    match kind.as_str() {
                        // Corrections exist because signed minutes do not change.
                        "CORRECTION" if state(m) != MinutesState::Signed => {
                            return Err(rule(
                                "R8.4",
                                "corrections are for signed minutes; change the open minutes directly",
                                "chỉ đính chính biên bản đã ký",
                            ));
                        }
                        "CORRECTION" | "REVIEW_NOTE" | "IMPLEMENTATION_REPORT" => {}
                        _ => {
                            return Err(parse::invalid(
                                "kind",
                                "kind is CORRECTION, REVIEW_NOTE or IMPLEMENTATION_REPORT",
                                "loại phải là CORRECTION, REVIEW_NOTE hoặc IMPLEMENTATION_REPORT",
                            ));
                        }
                    }
                    m.entries.push(Entry {
                        id: Uuid::now_v7().to_string(),
                        kind: kind.clone(),
                        text,
                        author: caller.subject.clone(),
                        recorded_at: Some(timestamp(api.clock.now())),
                    });
                    Ok(vec![event(
                        "entry_added",
                        &m.conference_id,
                        &conference.unit_path,
                        &EntryAdded { conference_id: m.conference_id.clone(), kind: kind.clone() },
                    )])
                },
            )
            .await?;
        Ok(Response::new(minutes))
    }

    async fn issue_conclusion_notice(
        &self,
        request: Request<IssueConclusionNoticeRequest>,
    ) -> Result<Response<ConclusionNotice>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let number = domain::text("number", &request.number)?;
        let signer = domain::text("signer", &request.signer)?;
        let sent_on = parse::happened("sent_on", &request.sent_on, self.clock.today())?;
        let once = Once::new(&caller, "IssueConclusionNotice", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let conference = self.conference(&mut tx, &caller, parse::id("conference_id", &request.conference_id)?).await?;
        self.require(&mut tx, &caller, &conference, &[Actor::Office], "the office").await?;
        let minutes = self.lock_minutes(&mut tx, conference.id).await?;
        parse::not_before("sent_on", sent_on, opened_on(&minutes), ("the conference", "ngày hội nghị"))?;
        if state(&minutes) != MinutesState::Signed {
            return Err(rule(
                "R10.2",
                "the notice carries the signed conclusion: sign the minutes first",
                "thông báo kết luận ban hành sau khi biên bản đã ký",
            )
            .into());
        }
        if self.notice(&mut tx, conference.id, true).await?.is_some() {
            return Err(ServiceError::new(
                Code::AlreadyExists,
                Reason::Rule("R10.2"),
                "R10.2: the conclusion notice was already issued",
                "R10.2: thông báo kết luận đã được ban hành",
            )
            .into());
        }
        let mut petitions = self.petitions(&mut tx, conference.id).await?;
        domain::r10_2_notice_covers(&petitions, &request.assignments)?;
        for assignment in &request.assignments {
            let active: Option<bool> = sqlx::query_scalar("SELECT active FROM organizations WHERE id = $1")
                .bind(parse::id("assignments.organization_id", &assignment.organization_id)?)
                .fetch_optional(&mut *tx)
                .await
                .map_err(ServiceError::from)?;
            if active != Some(true) {
                return Err(ServiceError::not_found(
                    format!("agency {} does not exist or is inactive", assignment.organization_id),
                    format!("cơ quan {} không tồn tại hoặc đã ngừng hoạt động", assignment.organization_id),
                )
                .into());
            }
        }
        for petition in petitions.iter_mut() {
            if let Some(assignment) = request.assignments.iter().find(|a| a.petition_id == petition.id) {
                petition.status = PetitionStatus::Assigned as i32;
                petition.assigned_organization_id = assignment.organization_id.clone();
                self.save_petition(&mut tx, petition, &conference.unit_path, false).await?;
            }
        }
        let notice = ConclusionNotice {
            id: Uuid::now_v7().to_string(),
            conference_id: conference.id.to_string(),
            number,
            sent_on: sent_on.to_string(),
            signer,
            // Received only once each agency acknowledges.
            assignments: request
                .assignments
                .iter()
                .map(|a| NoticeAssignment { received_on: String::new(), ..a.clone() })
                .collect(),
        };
        sqlx::query("INSERT INTO notices (id, conference_id, document) VALUES ($1, $2, $3)")
            .bind(parse::id("id", &notice.id)?)
            .bind(conference.id)
            .bind(notice.encode_to_vec())
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        let issued = ConclusionNoticeIssued {
            notice: Some(notice.clone()),
            conference_ended_at: conference.ended_at.map(timestamp),
        };
        let events = vec![event("conclusion_notice_issued", &notice.conference_id, &conference.unit_path, &issued)];
        let after =
            json!({ "number": notice.number, "sent_on": notice.sent_on, "assignments": notice.assignments.len() });
        self.record(&mut tx, &caller, "IssueConclusionNotice", "notice", &notice.id, None, after, events).await?;
        once.remember(&mut tx, &notice).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(notice))
    }

    async fn acknowledge_notice(
        &self,
        request: Request<AcknowledgeNoticeRequest>,
    ) -> Result<Response<ConclusionNotice>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        caller.require_role(&[Role::Agency])?;
        let organization = parse::id("organization_id", &request.organization_id)?.to_string();
        if caller.organization.as_deref() != Some(organization.as_str()) {
            return Err(not_your_organization("the notice is addressed to").into());
        }
        let received_on = parse::happened("received_on", &request.received_on, self.clock.today())?;
        let once = Once::new(&caller, "AcknowledgeNotice", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let notice_id = parse::id("notice_id", &request.notice_id)?;
        let conference_id: Uuid = sqlx::query_scalar("SELECT conference_id FROM notices WHERE id = $1 FOR UPDATE")
            .bind(notice_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| {
                ServiceError::not_found("the conclusion notice does not exist", "thông báo kết luận không tồn tại")
            })?;
        let conference = self.conference(&mut tx, &caller, conference_id).await?;
        let (_, mut notice) = self
            .notice(&mut tx, conference_id, true)
            .await?
            .ok_or_else(|| ServiceError::not_found("notice", "thông báo"))?;
        let sent_on = parse::date("sent_on", &notice.sent_on)?;
        parse::not_before("received_on", received_on, sent_on, ("the notice's sending", "ngày gửi thông báo"))?;
        let mine: Vec<usize> = notice
            .assignments
            .iter()
            .enumerate()
            .filter(|(_, a)| a.organization_id == organization)
            .map(|(i, _)| i)
            .collect();
        if mine.is_empty() {
            return Err(ServiceError::permission_denied(
                Reason::NotYourOrganization,
                "the notice assigns nothing to this agency",
                "thông báo không giao ý kiến nào cho cơ quan này",
            )
            .into());
        }
        if mine.iter().all(|i| !notice.assignments[*i].received_on.is_empty()) {
            return Err(ServiceError::new(
                Code::AlreadyExists,
                Reason::Rule("R10.3"),
                "R10.3: receipt was already acknowledged",
                "R10.3: đã xác nhận nhận thông báo",
            )
            .into());
        }
        let mut events = Vec::new();
        for i in mine {
            let assignment = &mut notice.assignments[i];
            assignment.received_on = received_on.to_string();
            let received = NoticeReceived {
                notice_id: notice.id.clone(),
                conference_id: notice.conference_id.clone(),
                petition_id: assignment.petition_id.clone(),
                organization_id: organization.clone(),
                received_on: received_on.to_string(),
            };
            events.push(event("notice_received", &assignment.petition_id, &conference.unit_path, &received));
        }
        sqlx::query("UPDATE notices SET document = $2 WHERE id = $1")
            .bind(notice_id)
            .bind(notice.encode_to_vec())
            .execute(&mut *tx)
            .await
            .map_err(ServiceError::from)?;
        self.record(
            &mut tx,
            &caller,
            "AcknowledgeNotice",
            "notice",
            &notice.id,
            None,
            json!({ "organization_id": organization, "received_on": received_on }),
            events,
        )
        .await?;
        once.remember(&mut tx, &notice).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(notice))
    }

    async fn record_response(&self, request: Request<RecordResponseRequest>) -> Result<Response<Petition>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let once = Once::new(&caller, "RecordResponse", &request.request_id, &request)?;
        let response = request
            .response
            .ok_or_else(|| parse::invalid("response", "response is required", "thiếu văn bản trả lời"))?;
        let responded_on = parse::happened("response.responded_on", &response.responded_on, self.clock.today())?;
        domain::text("response.document_number", &response.document_number)?;
        domain::text("response.summary", &response.summary)?;
        if Outcome::try_from(response.outcome).unwrap_or_default() == Outcome::Unspecified {
            return Err(parse::invalid(
                "response.outcome",
                "the outcome must be specified",
                "chưa chọn kết quả giải quyết",
            )
            .into());
        }
        caller.require_role(&[Role::Agency])?;
        let organization = caller.organization.clone().ok_or_else(|| not_your_organization("assigned"))?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let (mut petition, path) = self.lock_petition(&mut tx, &request.petition_id).await?;
        caller.require_within(&path).or_else(|_| {
            if petition.assigned_organization_id == organization {
                Ok(())
            } else {
                Err(not_your_organization("assigned"))
            }
        })?;
        // The answer follows the agency's receipt of the notice, or its sending.
        let notice = self.notice(&mut tx, parse::id("conference_id", &petition.conference_id)?, false).await?;
        let follows = match notice {
            Some((_, notice)) => {
                let assignment = notice.assignments.iter().find(|a| a.petition_id == petition.id);
                let received = assignment.map(|a| a.received_on.as_str()).filter(|r| !r.is_empty());
                parse::date("received_on", received.unwrap_or(&notice.sent_on))?
            }
            // A petition escalated from below has no notice of its own.
            None => parse::FIRST_DAY,
        };
        domain::r10_3_may_respond(&petition, &organization, responded_on, follows)?;
        petition.status = PetitionStatus::Responded as i32;
        petition.response = Some(doithoai_proto::minutes::v1::Response {
            organization_id: organization.clone(),
            responded_on: responded_on.to_string(),
            ..response
        });
        self.save_petition(&mut tx, &petition, &path, false).await?;
        let recorded = ResponseRecorded {
            conference_id: petition.conference_id.clone(),
            petition_id: petition.id.clone(),
            response: petition.response.clone(),
        };
        let events = vec![event("response_recorded", &petition.id, &path, &recorded)];
        let outcome = Outcome::try_from(petition.response.as_ref().map_or(0, |r| r.outcome)).unwrap_or_default();
        let after =
            json!({ "status": status(&petition), "outcome": outcome.as_str_name(), "responded_on": responded_on });
        self.record(
            &mut tx,
            &caller,
            "RecordResponse",
            "petition",
            &petition.id,
            Some(json!({ "status": "PETITION_STATUS_ASSIGNED" })),
            after,
            events,
        )
        .await?;
        once.remember(&mut tx, &petition).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(petition))
    }

    async fn escalate_petition(&self, request: Request<EscalatePetitionRequest>) -> Result<Response<Petition>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let notified_on =
            parse::happened("petitioner_notified_on", &request.petitioner_notified_on, self.clock.today())?;
        let once = Once::new(&caller, "EscalatePetition", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await.map_err(ServiceError::from)?;
        if let Some(done) = once.replay(&mut tx).await? {
            return Ok(Response::new(done));
        }
        let (mut petition, path) = self.lock_petition(&mut tx, &request.petition_id).await?;
        let conference =
            self.conference(&mut tx, &caller, parse::id("conference_id", &petition.conference_id)?).await?;
        self.require(&mut tx, &caller, &conference, &[Actor::Office], "the office").await?;
        let opened_on = self.opened_on(&mut tx, conference.id).await?;
        parse::not_before("petitioner_notified_on", notified_on, opened_on, ("the conference", "ngày hội nghị"))?;
        if !matches!(
            PetitionStatus::try_from(petition.status).unwrap_or_default(),
            PetitionStatus::Recorded | PetitionStatus::Assigned
        ) {
            return Err(rule(
                "R10.4",
                "only a petition still to be resolved is escalated",
                "chỉ đề xuất lên cấp trên ý kiến chưa được giải quyết",
            )
            .into());
        }
        let to_path =
            unit_tree::unit_path(&mut tx, &unit_tree::parse_code("to_unit_code", &request.to_unit_code)?).await?;
        domain::r10_4_higher_level(&path, &to_path)?;
        let to_organization = match request.to_organization_id.as_str() {
            "" => String::new(),
            id => {
                let unit: Option<String> =
                    sqlx::query_scalar("SELECT unit_code FROM organizations WHERE id = $1 AND active")
                        .bind(parse::id("to_organization_id", id)?)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(ServiceError::from)?;
                if unit.as_deref() != Some(request.to_unit_code.as_str()) {
                    return Err(ServiceError::not_found(
                        "the receiving agency is not an active agency of that unit",
                        "cơ quan tiếp nhận không thuộc đơn vị đó",
                    )
                    .into());
                }
                id.to_owned()
            }
        };
        // The receiving level handles it as its own petition, linked to this one.
        let received = Petition {
            id: Uuid::now_v7().to_string(),
            unit_code: request.to_unit_code.clone(),
            status: if to_organization.is_empty() { PetitionStatus::Recorded } else { PetitionStatus::Assigned } as i32,
            assigned_organization_id: to_organization.clone(),
            escalated_from_petition_id: petition.id.clone(),
            answer: None,
            referral: None,
            response: None,
            escalation: None,
            ..petition.clone()
        };
        self.save_petition(&mut tx, &received, &to_path, true).await?;
        let before = json!({ "status": status(&petition) });
        petition.status = PetitionStatus::Escalated as i32;
        petition.escalation = Some(Escalation {
            to_unit_code: request.to_unit_code.clone(),
            to_organization_id: to_organization,
            petitioner_notified_on: notified_on.to_string(),
            escalated_petition_id: received.id.clone(),
        });
        self.save_petition(&mut tx, &petition, &path, false).await?;
        let escalated = PetitionEscalated {
            conference_id: petition.conference_id.clone(),
            petition_id: petition.id.clone(),
            escalation: petition.escalation.clone(),
        };
        let recorded = PetitionRecorded {
            conference_id: received.conference_id.clone(),
            petition_id: received.id.clone(),
            classification: received.classification,
            field: received.field,
            state_secret: received.state_secret,
            unit_code: received.unit_code.clone(),
            escalated_from_petition_id: petition.id.clone(),
        };
        let events = vec![
            event("petition_escalated", &petition.id, &path, &escalated),
            event("petition_recorded", &received.id, &to_path, &recorded),
        ];
        let after = json!({ "status": status(&petition), "to_unit_code": request.to_unit_code, "escalated_petition_id": received.id });
        self.record(&mut tx, &caller, "EscalatePetition", "petition", &petition.id, Some(before), after, events)
            .await?;
        once.remember(&mut tx, &petition).await?;
        tx.commit().await.map_err(ServiceError::from)?;
        Ok(Response::new(petition))
    }

    async fn get_petition(&self, request: Request<PetitionRequest>) -> Result<Response<Petition>, Status> {
        let caller = Caller::of(&request)?;
        let id = parse::id("petition_id", &request.get_ref().petition_id)?;
        let (document, path): (Vec<u8>, Vec<String>) =
            sqlx::query_as("SELECT document, unit_path FROM petitions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(ServiceError::from)?
                .ok_or_else(|| {
                    ServiceError::not_found(
                        format!("petition {id} does not exist"),
                        format!("ý kiến {id} không tồn tại"),
                    )
                })?;
        let petition = Petition::decode(document.as_slice()).map_err(|e| ServiceError::Internal(e.into()))?;
        let assigned_agency = caller.has_role(Role::Agency)
            && caller.organization.as_deref() == Some(petition.assigned_organization_id.as_str());
        if !assigned_agency {
            caller.require_within(&path)?;
        }
        Ok(Response::new(petition))
    }
}
