//! Who takes part: citizens and collectives register (R2.3, R8.3) — found
//! again under a keyed hash, never by their identity number —, the host
//! refuses on the grounds of R2.4 (R9.2), and attendance is checked in.

use doithoai_directory as directory;
use doithoai_directory::units::require_reach;
use doithoai_proto::participants::v1::{
    Attendance, CheckInRequest, Collective, ConferenceRequest, InvitationStatus, Participant, ParticipantRefused,
    ParticipantRegistered, ParticipantStatus, Person, RefuseParticipantRequest, RegisterParticipantRequest,
    check_in_request, participant, register_participant_request::Who,
};
use doithoai_runtime::{
    Caller, Change, Reason, Refusal, ServiceResult, access::Actor, db::RowLock, events::Event, idempotency::Once, parse,
};
use serde_json::json;
use uuid::Uuid;

use super::{MANAGERS, ParticipantsApi, REGISTRARS};
use crate::{
    domain::{self, Attendee},
    store::{self, AttendeeTable, NewParticipant},
};

/// A registration as checked: what is stored, and what the caller sees.
struct Registrant {
    collective: bool,
    full_name: String,
    representative: Option<String>,
    phone: Option<String>,
    identity_key: Vec<u8>,
    person_key: Option<Vec<u8>>,
    who: participant::Who,
}

impl ParticipantsApi {
    pub(super) async fn register_participant(
        &self,
        caller: Caller,
        request: RegisterParticipantRequest,
    ) -> ServiceResult<Participant> {
        let conference_id = parse::id("conference_id", &request.conference_id)?;
        let code = directory::parse_code("unit_code", &request.unit_code)?;
        let registrant = self.registrant(request.who.as_ref(), code.as_str())?;
        let once = Once::new(&caller, "RegisterParticipant", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (conference, participant_path) =
                store::conference_and_unit_path(&mut tx, conference_id, RowLock::Shared, code.as_str()).await?;
            require_reach(&mut tx, &caller, &conference.unit_path).await?;
            conference.actors().acting(&mut tx, &caller, &REGISTRARS).await?;
            domain::registration_open(conference.state())?;
            let participant_path = participant_path.ok_or_else(|| directory::unknown_unit(&code))?;
            domain::r2_3_in_the_province(&conference.unit_path, &participant_path)?;
            let id = Uuid::now_v7();
            let new = NewParticipant {
                id,
                conference_id: conference.id,
                collective: registrant.collective,
                full_name: &registrant.full_name,
                representative_name: registrant.representative.as_deref(),
                phone: registrant.phone.as_deref(),
                unit_code: code.as_str(),
                identity_key: &registrant.identity_key,
                person_key: registrant.person_key.as_deref(),
                registered_by: &caller.subject,
            };
            if !store::insert_participant(&mut tx, &new).await? {
                return Err(Refusal::repeated(
                    "R8.3",
                    "this participant is already registered for the conference",
                    "người này đã đăng ký tham gia hội nghị",
                )
                .into());
            }
            let registered = ParticipantRegistered {
                conference_id: conference.id.to_string(),
                participant_id: id.to_string(),
                collective: registrant.collective,
            };
            let change = Change::of("RegisterParticipant", "participant", id)
                .after(json!({ "conference_id": conference.id, "collective": registrant.collective, "unit_code": code.as_str() }))
                .event(Event::new("participant_registered", id.to_string(), conference.unit_path.clone(), &registered));
            let participant = Participant {
                id: id.to_string(),
                conference_id: conference.id.to_string(),
                who: Some(registrant.who),
                unit_code: code.to_string(),
                status: ParticipantStatus::Registered as i32,
                registered_at: None,
            };
            self.outbox.commit(tx, &caller, change, &once, participant).await
        })
        .await
    }

    /// The person or collective a registration names, checked, with the keyed
    /// hashes that find a second registration of them.
    fn registrant(&self, who: Option<&Who>, unit_code: &str) -> ServiceResult<Registrant> {
        Ok(match who {
            Some(Who::Person(person)) => {
                let name = domain::check_name("person.full_name", &person.full_name)?;
                let phone = domain::check_phone(&person.phone)?;
                let national_id = domain::check_national_id(&person.national_id)?;
                let identity_key = self.identity.person(national_id.as_deref(), &name, unit_code, phone.as_deref());
                let person_key = phone.as_deref().map(|p| self.identity.person(None, &name, unit_code, Some(p)));
                let who = participant::Who::Person(Person {
                    full_name: name.clone(),
                    phone: phone.clone().unwrap_or_default(),
                    national_id: String::new(),
                });
                Registrant {
                    collective: false,
                    full_name: name,
                    representative: None,
                    phone,
                    identity_key,
                    person_key,
                    who,
                }
            }
            Some(Who::Collective(group)) => {
                let name = domain::check_name("collective.organization_name", &group.organization_name)?;
                let representative = domain::check_name("collective.representative_name", &group.representative_name)?;
                let who = participant::Who::Collective(Collective {
                    organization_name: name.clone(),
                    representative_name: representative.clone(),
                });
                Registrant {
                    collective: true,
                    identity_key: self.identity.collective(&name, unit_code),
                    full_name: name,
                    representative: Some(representative),
                    phone: None,
                    person_key: None,
                    who,
                }
            }
            None => {
                return Err(Refusal::invalid(
                    "who",
                    "a person or a collective is required",
                    "cần thông tin cá nhân hoặc tập thể",
                )
                .into());
            }
        })
    }

    pub(super) async fn refuse_participant(
        &self,
        caller: Caller,
        request: RefuseParticipantRequest,
    ) -> ServiceResult<Participant> {
        let reason = domain::r2_4_reason(request.reason)?;
        let participant_id = parse::id("participant_id", &request.participant_id)?;
        let mut tx = self.pool.begin().await?;
        let (conference_id, status, unit_code) = store::lock_participant(&mut tx, participant_id).await?;
        let conference = self.conference(&mut tx, &caller, conference_id, RowLock::None).await?;
        // R9.2: the host (or the delegated deputy) of this conference refuses.
        if !conference.actors().acts_as(&mut tx, &caller, Actor::Host).await? {
            return Err(Refusal::denied(
                Reason::Rule("R9.2"),
                "R9.2: only the host of this conference refuses dialogue",
                "R9.2: chỉ người chủ trì hội nghị được từ chối đối thoại",
            )
            .into());
        }
        let status = ParticipantStatus::from_str_name(&status).unwrap_or_default();
        domain::r2_4_may_refuse(conference.state(), status)?;
        store::refuse(
            &mut tx,
            participant_id,
            conference.id,
            reason.as_str_name(),
            request.note.trim(),
            &caller.subject,
        )
        .await?;
        let refused = ParticipantRefused {
            conference_id: conference.id.to_string(),
            participant_id: participant_id.to_string(),
            reason: reason as i32,
        };
        let change = Change::of("RefuseParticipant", "participant", participant_id)
            .before(json!({ "status": status.as_str_name() }))
            .after(json!({ "status": "PARTICIPANT_STATUS_REFUSED", "reason": reason.as_str_name() }))
            .event(Event::new(
                "participant_refused",
                participant_id.to_string(),
                conference.unit_path.clone(),
                &refused,
            ));
        self.outbox.write(&mut tx, &caller, change).await?;
        tx.commit().await?;
        Ok(Participant {
            id: participant_id.to_string(),
            conference_id: conference.id.to_string(),
            unit_code,
            status: ParticipantStatus::Refused as i32,
            ..Default::default()
        })
    }

    pub(super) async fn check_in(&self, caller: Caller, request: CheckInRequest) -> ServiceResult<Attendance> {
        let (table, id, rpc) = match &request.who {
            Some(check_in_request::Who::ParticipantId(id)) => {
                (AttendeeTable::Participants, parse::id("participant_id", id)?, "CheckInParticipant")
            }
            Some(check_in_request::Who::InvitationId(id)) => {
                (AttendeeTable::Invitations, parse::id("invitation_id", id)?, "CheckInInvitee")
            }
            None => {
                return Err(Refusal::invalid(
                    "who",
                    "participant_id or invitation_id is required",
                    "cần mã người tham gia hoặc giấy mời",
                )
                .into());
            }
        };
        let mut tx = self.pool.begin().await?;
        let (conference_id, status) = store::lock_attendee(&mut tx, table, id).await?;
        let conference = self.conference(&mut tx, &caller, conference_id, RowLock::None).await?;
        conference.actors().acting(&mut tx, &caller, &MANAGERS).await?;
        let attendee = match table {
            AttendeeTable::Participants => {
                Attendee::Participant(ParticipantStatus::from_str_name(&status).unwrap_or_default())
            }
            AttendeeTable::Invitations => {
                Attendee::Invitee(InvitationStatus::from_str_name(&status).unwrap_or_default())
            }
        };
        let (record_type, checked_in) = match domain::check_in(conference.state(), attendee)? {
            Attendee::Participant(status) => ("participant", status.as_str_name()),
            Attendee::Invitee(status) => ("invitation", status.as_str_name()),
        };
        store::set_attendee_status(&mut tx, table, id, checked_in).await?;
        let change =
            Change::of(rpc, record_type, id).before(json!({ "status": status })).after(json!({ "status": checked_in }));
        self.outbox.write(&mut tx, &caller, change).await?;
        let attendance = store::attendance(&mut tx, &conference).await?;
        tx.commit().await?;
        Ok(attendance)
    }

    pub(super) async fn get_attendance(&self, caller: Caller, request: ConferenceRequest) -> ServiceResult<Attendance> {
        let id = parse::id("conference_id", &request.conference_id)?;
        let mut conn = self.pool.acquire().await?;
        let conference = self.conference(&mut conn, &caller, id, RowLock::None).await?;
        Ok(store::attendance(&mut conn, &conference).await?)
    }
}
