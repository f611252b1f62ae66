//! Petitions: recorded at the conference (R5.1), referred when they are
//! complaints or denunciations (R1.2), answered by the host or an invited
//! agency (R8.4, R9.1), responded to in writing by the assigned agency
//! (R10.3), escalated to a higher level (R10.4).

use doithoai_directory as directory;
use doithoai_directory::organizations;
use doithoai_directory::units::require_reach;
use doithoai_proto::minutes::v1::{
    Answer, AnswerPetitionRequest, EscalatePetitionRequest, Escalation, FindPetitionRequest, MinutesState, Outcome,
    Petition, PetitionAnswered, PetitionEscalated, PetitionRecorded, PetitionReferred, PetitionRequest, PetitionStatus,
    RecordResponseRequest, ReferPetitionRequest, Referral, ResponseRecorded,
};
use doithoai_runtime::{
    Caller, Change, Refusal, Role, ServiceResult, access::Actor, db::RowLock, idempotency::Once, parse, time::timestamp,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{MinutesApi, event, not_your_organization};
use crate::{
    domain, receipt,
    store::{self, ConferenceRow},
};

pub(super) fn status(petition: &Petition) -> &'static str {
    PetitionStatus::try_from(petition.status).unwrap_or_default().as_str_name()
}

pub(super) fn recorded(petition: &Petition) -> PetitionRecorded {
    PetitionRecorded {
        conference_id: petition.conference_id.clone(),
        petition_id: petition.id.clone(),
        classification: petition.classification,
        field: petition.field,
        state_secret: petition.state_secret,
        unit_code: petition.unit_code.clone(),
        escalated_from_petition_id: petition.escalated_from_petition_id.clone(),
    }
}

impl MinutesApi {
    /// A petition locked for a step, with the unit path it is scoped by and
    /// its conference, once the caller is known to act as one of `actors`.
    async fn petition_step(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        id: Uuid,
        actors: &[Actor],
    ) -> ServiceResult<(Petition, Vec<String>, ConferenceRow)> {
        let (petition, path) = store::petition(conn, id, RowLock::Exclusive).await?;
        let conference = self.conference(conn, caller, parse::id("conference_id", &petition.conference_id)?).await?;
        conference.actors().acting(conn, caller, actors).await?;
        Ok((petition, path, conference))
    }

    pub(super) async fn refer_petition(
        &self,
        caller: Caller,
        request: ReferPetitionRequest,
    ) -> ServiceResult<Petition> {
        let body = domain::text("receiving_body", &request.receiving_body)?;
        let referred_on = parse::happened("referred_on", &request.referred_on, self.clock.today())?;
        let id = parse::id("petition_id", &request.petition_id)?;
        let once = Once::new(&caller, "ReferPetition", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (mut petition, path, conference) =
                self.petition_step(&mut tx, &caller, id, &[Actor::Secretary, Actor::Office]).await?;
            let opened_on = domain::opened_on(&store::minutes(&mut tx, conference.id, RowLock::None).await?);
            parse::not_before("referred_on", referred_on, opened_on, ("the conference", "ngày hội nghị"))?;
            domain::r1_2_may_refer(&petition)?;
            let before = json!({ "status": status(&petition) });
            petition.status = PetitionStatus::Referred as i32;
            petition.referral = Some(Referral { receiving_body: body, referred_on: referred_on.to_string() });
            store::update_petition(&mut tx, &petition, &path).await?;
            let referred = PetitionReferred {
                conference_id: petition.conference_id.clone(),
                petition_id: petition.id.clone(),
                referral: petition.referral.clone(),
            };
            let change = Change::of("ReferPetition", "petition", &petition.id)
                .before(before)
                .after(json!({ "status": status(&petition) }))
                .event(event("petition_referred", &petition.id, &path, &referred));
            self.outbox.commit(tx, &caller, change, &once, petition).await
        })
        .await
    }

    pub(super) async fn answer_petition(
        &self,
        caller: Caller,
        request: AnswerPetitionRequest,
    ) -> ServiceResult<Petition> {
        let text = domain::text("text", &request.text)?;
        let id = parse::id("petition_id", &request.petition_id)?;
        let once = Once::new(&caller, "AnswerPetition", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (mut petition, path, conference) =
                self.petition_step(&mut tx, &caller, id, &[Actor::Secretary, Actor::Office, Actor::Host]).await?;
            let minutes = store::minutes(&mut tx, conference.id, RowLock::Exclusive).await?;
            domain::r8_4_minutes_open(MinutesState::try_from(minutes.state).unwrap_or_default())?;
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
            store::update_petition(&mut tx, &petition, &path).await?;
            let answered = PetitionAnswered {
                conference_id: petition.conference_id.clone(),
                petition_id: petition.id.clone(),
                accountable_position_id: conference.accountable_position_id.to_string(),
            };
            let change = Change::of("AnswerPetition", "petition", &petition.id)
                .before(json!({ "status": "PETITION_STATUS_RECORDED" }))
                .after(json!({ "status": status(&petition), "answered_by_organization_id": organization, "accountable_position_id": conference.accountable_position_id }))
                .event(event("petition_answered", &petition.id, &path, &answered));
            self.outbox.commit(tx, &caller, change, &once, petition).await
        })
        .await
    }

    pub(super) async fn record_response(
        &self,
        caller: Caller,
        request: RecordResponseRequest,
    ) -> ServiceResult<Petition> {
        let once = Once::new(&caller, "RecordResponse", &request.request_id, &request)?;
        let response = request
            .response
            .ok_or_else(|| Refusal::invalid("response", "response is required", "thiếu văn bản trả lời"))?;
        let responded_on = parse::happened("response.responded_on", &response.responded_on, self.clock.today())?;
        domain::text("response.document_number", &response.document_number)?;
        domain::text("response.summary", &response.summary)?;
        let outcome: Outcome = parse::required("response.outcome", response.outcome)?;
        let attachment = domain::r10_3_response_attachment(&request.attachment_file_name, &request.attachment)?;
        let id = parse::id("petition_id", &request.petition_id)?;
        caller.require_role(&[Role::Agency])?;
        let organization = caller.organization.clone().ok_or_else(|| not_your_organization("assigned"))?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (mut petition, path) = store::petition(&mut tx, id, RowLock::Exclusive).await?;
            // The assigned agency (or the one that took over its work) answers
            // even from outside the petition's subtree.
            let represented = organizations::represented_by(&mut tx, &organization).await?;
            if !represented.contains(&petition.assigned_organization_id)
                && require_reach(&mut tx, &caller, &path).await.is_err()
            {
                return Err(not_your_organization("assigned").into());
            }
            let notice = store::notice(&mut tx, parse::id("conference_id", &petition.conference_id)?, RowLock::None).await?;
            let follows = domain::r10_3_answer_follows(notice.as_ref(), &petition.id)?;
            domain::r10_3_may_respond(&petition, &represented, responded_on, follows)?;
            petition.status = PetitionStatus::Responded as i32;
            // Only the file's name, size and digest go with the petition and its event.
            let digest = attachment.as_ref().map(|a| format!("{:x}", Sha256::digest(&a.content))).unwrap_or_default();
            petition.response = Some(doithoai_proto::minutes::v1::Response {
                organization_id: organization.clone(),
                responded_on: responded_on.to_string(),
                attachment_file_name: attachment.as_ref().map(|a| a.file_name.clone()).unwrap_or_default(),
                attachment_bytes: attachment.as_ref().map_or(0, |a| a.content.len() as u64),
                attachment_sha256: digest.clone(),
                ..response
            });
            store::update_petition(&mut tx, &petition, &path).await?;
            if let Some(file) = &attachment {
                store::save_response_file(&mut tx, id, &file.file_name, &file.content, &digest).await?;
            }
            let recorded = ResponseRecorded {
                conference_id: petition.conference_id.clone(),
                petition_id: petition.id.clone(),
                response: petition.response.clone(),
            };
            let change = Change::of("RecordResponse", "petition", &petition.id)
                .before(json!({ "status": "PETITION_STATUS_ASSIGNED" }))
                .after(
                    json!({ "status": status(&petition), "outcome": outcome.as_str_name(), "responded_on": responded_on }),
                )
                .event(event("response_recorded", &petition.id, &path, &recorded));
            self.outbox.commit(tx, &caller, change, &once, petition).await
        })
        .await
    }

    pub(super) async fn escalate_petition(
        &self,
        caller: Caller,
        request: EscalatePetitionRequest,
    ) -> ServiceResult<Petition> {
        let notified_on =
            parse::happened("petitioner_notified_on", &request.petitioner_notified_on, self.clock.today())?;
        let id = parse::id("petition_id", &request.petition_id)?;
        let to_unit = directory::parse_code("to_unit_code", &request.to_unit_code)?;
        let to_organization = parse::optional_id("to_organization_id", &request.to_organization_id)?;
        let once = Once::new(&caller, "EscalatePetition", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (mut petition, path, conference) = self.petition_step(&mut tx, &caller, id, &[Actor::Office]).await?;
            let opened_on = domain::opened_on(&store::minutes(&mut tx, conference.id, RowLock::None).await?);
            parse::not_before("petitioner_notified_on", notified_on, opened_on, ("the conference", "ngày hội nghị"))?;
            domain::r10_4_may_escalate(&petition)?;
            let to_path = directory::unit_path(&mut tx, &to_unit).await?;
            domain::r10_4_higher_level(&path, &to_path)?;
            if let Some(agency) = to_organization
                && organizations::active_unit(&mut tx, agency).await?.as_deref() != Some(to_unit.as_str())
            {
                return Err(Refusal::not_found(
                    "the receiving agency is not an active agency of that unit",
                    "cơ quan tiếp nhận không thuộc đơn vị đó",
                )
                .into());
            }
            let to_organization = to_organization.map(|id| id.to_string()).unwrap_or_default();
            // The receiving level handles it as its own petition, linked to this one.
            let received = Petition {
                id: Uuid::now_v7().to_string(),
                unit_code: to_unit.to_string(),
                status: if to_organization.is_empty() { PetitionStatus::Recorded } else { PetitionStatus::Assigned } as i32,
                assigned_organization_id: to_organization.clone(),
                escalated_from_petition_id: petition.id.clone(),
                answer: None,
                referral: None,
                response: None,
                escalation: None,
                receipt_code: receipt::new_code(),
                ..petition.clone()
            };
            store::insert_petition(&mut tx, &received, &to_path).await?;
            let before = json!({ "status": status(&petition) });
            petition.status = PetitionStatus::Escalated as i32;
            petition.escalation = Some(Escalation {
                to_unit_code: to_unit.to_string(),
                to_organization_id: to_organization,
                petitioner_notified_on: notified_on.to_string(),
                escalated_petition_id: received.id.clone(),
            });
            store::update_petition(&mut tx, &petition, &path).await?;
            let escalated = PetitionEscalated {
                conference_id: petition.conference_id.clone(),
                petition_id: petition.id.clone(),
                escalation: petition.escalation.clone(),
            };
            let change = Change::of("EscalatePetition", "petition", &petition.id)
                .before(before)
                .after(json!({ "status": status(&petition), "to_unit_code": to_unit.as_str(), "escalated_petition_id": received.id }))
                .event(event("petition_escalated", &petition.id, &path, &escalated))
                .event(event("petition_recorded", &received.id, &to_path, &recorded(&received)));
            self.outbox.commit(tx, &caller, change, &once, petition).await
        })
        .await
    }

    pub(super) async fn get_petition(&self, caller: Caller, request: PetitionRequest) -> ServiceResult<Petition> {
        let id = parse::id("petition_id", &request.petition_id)?;
        let mut conn = self.pool.acquire().await?;
        let (petition, path) = store::petition(&mut conn, id, RowLock::None).await?;
        let assigned_agency = match caller.organization.as_deref() {
            Some(organization) if caller.has_role(Role::Agency) => {
                organizations::represented_by(&mut conn, organization)
                    .await?
                    .contains(&petition.assigned_organization_id)
            }
            _ => false,
        };
        if !assigned_agency {
            require_reach(&mut conn, &caller, &path).await?;
        }
        Ok(petition)
    }

    /// The petition a receipt code names. Any malformed code, unknown code or
    /// code outside the caller's reach answers the same NOT_FOUND, so that the
    /// answer tells nothing of which codes exist.
    pub(super) async fn find_petition(&self, caller: Caller, request: FindPetitionRequest) -> ServiceResult<Petition> {
        let unknown =
            || Refusal::not_found("no petition has this receipt code", "không có ý kiến nào mang mã tiếp nhận này");
        let code = receipt::parse(&request.receipt_code).ok_or_else(unknown)?;
        let mut conn = self.pool.acquire().await?;
        let (petition, path) = store::petition_by_code(&mut conn, &code).await?.ok_or_else(unknown)?;
        if require_reach(&mut conn, &caller, &path).await.is_err() {
            return Err(unknown().into());
        }
        Ok(petition)
    }
}
