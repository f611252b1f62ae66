//! Who takes part, once registered (`registering`): the host refuses on the
//! grounds of R2.4 (R9.2), and attendance is checked in.

use doithoai_proto::participants::v1::{
    Attendance, CheckInRequest, ConferenceRequest, InvitationStatus, Participant, ParticipantRefused,
    ParticipantStatus, RefuseParticipantRequest, check_in_request,
};
use doithoai_runtime::{
    Caller, Change, Reason, Refusal, ServiceResult, access::Actor, db::RowLock, events::Event, parse,
};
use serde_json::json;

use super::{MANAGERS, ParticipantsApi};
use crate::{
    domain::{self, Attendee},
    store::{self, AttendeeTable},
};

impl ParticipantsApi {
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
