//! The speaker queue (R8.3): registrations to speak with their topic and
//! field (R5.1), in registration order; confirmed, merged, marked out of
//! scope, moved with a recorded reason, called in order and marked as spoken
//! or absent.

use doithoai_proto::participants::v1::{
    ConferenceRequest, ListSpeakersResponse, MergeSpeakerRequest, MoveSpeakerRequest, ParticipantStatus,
    RegisterSpeakerRequest, SpeakerNoteRequest, SpeakerQueued, SpeakerRegistration, SpeakerRequest, SpeakerStatus,
};
use doithoai_runtime::{
    Caller, Change, Checked, Refusal, ServiceResult, db::RowLock, events::Event, idempotency::Once, parse,
};
use serde_json::json;
use uuid::Uuid;

use super::{MANAGERS, ParticipantsApi, REGISTRARS};
use crate::{
    domain::{self, Turn},
    store::{self, ConferenceRow, SpeakerRow},
};

impl ParticipantsApi {
    pub(super) async fn register_speaker(
        &self,
        caller: Caller,
        request: RegisterSpeakerRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        let (topic, field) = domain::check_topic(&request.topic, request.field)?;
        let conference_id = parse::id("conference_id", &request.conference_id)?;
        let participant_id = parse::id("participant_id", &request.participant_id)?;
        let once = Once::new(&caller, "RegisterSpeaker", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let conference = self.conference(&mut tx, &caller, conference_id, RowLock::None).await?;
            conference.actors().acting(&mut tx, &caller, &REGISTRARS).await?;
            domain::registration_open(conference.state())?;
            let status = store::participant_status(&mut tx, participant_id, conference.id).await?.ok_or_else(|| {
                Refusal::not_found(
                    "the participant is not registered for this conference",
                    "người này chưa đăng ký tham gia hội nghị",
                )
            })?;
            domain::r2_4_not_refused(ParticipantStatus::from_str_name(&status).unwrap_or_default())?;
            let position = store::next_position(&mut tx, conference.id).await?;
            let registration = SpeakerRegistration {
                id: Uuid::now_v7().to_string(),
                conference_id: conference.id.to_string(),
                participant_id: participant_id.to_string(),
                position: position as u32,
                topic,
                field: field as i32,
                status: SpeakerStatus::Queued as i32,
                ..Default::default()
            };
            store::insert_speaker(&mut tx, &registration).await?;
            let queued = SpeakerQueued {
                conference_id: registration.conference_id.clone(),
                registration_id: registration.id.clone(),
                participant_id: registration.participant_id.clone(),
                position: registration.position,
                topic: registration.topic.clone(),
                field: registration.field,
            };
            let change = Change::of("RegisterSpeaker", "speaker", &registration.id)
                .after(json!({ "position": position, "field": field.as_str_name() }))
                .event(Event::new("speaker_queued", conference.id.to_string(), conference.unit_path.clone(), &queued));
            self.outbox.commit(tx, &caller, change, &once, registration).await
        })
        .await
    }

    pub(super) async fn list_speakers(
        &self,
        caller: Caller,
        request: ConferenceRequest,
    ) -> ServiceResult<ListSpeakersResponse> {
        let id = parse::id("conference_id", &request.conference_id)?;
        let mut conn = self.pool.acquire().await?;
        let conference = self.conference(&mut conn, &caller, id, RowLock::None).await?;
        let with_names = self.sees_contacts(&mut conn, &caller, &conference).await?;
        let rows = store::speakers(&mut conn, conference.id).await?;
        Ok(ListSpeakersResponse { speakers: rows.iter().map(|r| r.wire(with_names)).collect() })
    }

    pub(super) async fn confirm_speaker(
        &self,
        caller: Caller,
        request: SpeakerRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        self.turn(&caller, &request.registration_id, "ConfirmSpeaker", Turn::Confirm, "").await
    }

    pub(super) async fn mark_out_of_scope(
        &self,
        caller: Caller,
        request: SpeakerNoteRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        self.turn(&caller, &request.registration_id, "MarkOutOfScope", Turn::OutOfScope, &request.reason).await
    }

    pub(super) async fn mark_spoke(
        &self,
        caller: Caller,
        request: SpeakerRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        self.turn(&caller, &request.registration_id, "MarkSpoke", Turn::Spoke, "").await
    }

    pub(super) async fn mark_absent(
        &self,
        caller: Caller,
        request: SpeakerRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        self.turn(&caller, &request.registration_id, "MarkAbsent", Turn::Absent, "").await
    }

    pub(super) async fn call_next_speaker(
        &self,
        caller: Caller,
        request: ConferenceRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        let id = parse::id("conference_id", &request.conference_id)?;
        let mut tx = self.pool.begin().await?;
        let conference = self.conference(&mut tx, &caller, id, RowLock::Exclusive).await?;
        conference.actors().acting(&mut tx, &caller, &MANAGERS).await?;
        domain::r8_3_calling(conference.state())?;
        let queue = store::queue(&mut tx, conference.id).await?;
        let next = domain::r8_3_next_speaker(&queue)?.to_owned();
        tx.commit().await?;
        // A concurrent call may take the same speaker first: the turn refuses then.
        self.turn(&caller, &next, "CallNextSpeaker", Turn::Call, "").await
    }

    pub(super) async fn merge_speaker(
        &self,
        caller: Caller,
        request: MergeSpeakerRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        let into = parse::id("into_registration_id", &request.into_registration_id)?;
        let target = store::speaker_status(&mut *self.pool.acquire().await?, into).await?;
        self.speaker_step(&caller, &request.registration_id, "MergeSpeaker", |speaker, _| {
            let (conference_id, status) = target.ok_or_else(|| {
                Refusal::not_found("the registration to merge into does not exist", "đăng ký gộp vào không tồn tại")
            })?;
            let into_status = SpeakerStatus::from_str_name(&status).unwrap_or_default();
            domain::r8_3_merge(
                conference_id == speaker.conference_id,
                into == speaker.id,
                speaker.status(),
                into_status,
            )?;
            speaker.status = SpeakerStatus::Merged.as_str_name().to_owned();
            speaker.merged_into = Some(into);
            Ok(())
        })
        .await
    }

    pub(super) async fn move_speaker(
        &self,
        caller: Caller,
        request: MoveSpeakerRequest,
    ) -> ServiceResult<SpeakerRegistration> {
        let id = parse::id("registration_id", &request.registration_id)?;
        let mut tx = self.pool.begin().await?;
        let mut speaker = store::lock_speaker(&mut tx, id).await?;
        let conference = self.conference(&mut tx, &caller, speaker.conference_id, RowLock::None).await?;
        conference.actors().acting(&mut tx, &caller, &MANAGERS).await?;
        let positions = store::lock_positions(&mut tx, conference.id).await?;
        domain::r8_3_may_move(&request.reason, request.new_position, positions.last().copied().unwrap_or(0))?;
        let from = speaker.position as u32;
        store::renumber(&mut tx, conference.id, &domain::r8_3_move(&positions, from, request.new_position)).await?;
        speaker.position = request.new_position as i32;
        let change = Change::of("MoveSpeaker", "speaker", speaker.id)
            .before(json!({ "position": from }))
            .after(json!({ "position": request.new_position, "reason": request.reason.trim() }))
            .event(Event::new(
                "speaker_updated",
                conference.id.to_string(),
                conference.unit_path.clone(),
                &speaker.updated(),
            ));
        self.outbox.write(&mut tx, &caller, change).await?;
        tx.commit().await?;
        Ok(speaker.wire(true))
    }

    /// One step of the queue on a registration (R8.3).
    async fn turn(
        &self,
        caller: &Caller,
        id: &str,
        rpc: &'static str,
        turn: Turn,
        reason: &str,
    ) -> ServiceResult<SpeakerRegistration> {
        self.speaker_step(caller, id, rpc, |speaker, conference| {
            let status = domain::r8_3_turn(speaker.status(), conference.state(), turn, reason)?;
            speaker.status = status.as_str_name().to_owned();
            if turn == Turn::OutOfScope {
                speaker.note = reason.trim().to_owned();
            }
            Ok(())
        })
        .await
    }

    /// A change to one speaker registration by the office or the secretary:
    /// lock, decide, save with its audit entry and SpeakerUpdated, commit.
    async fn speaker_step<F>(
        &self,
        caller: &Caller,
        id: &str,
        rpc: &'static str,
        decide: F,
    ) -> ServiceResult<SpeakerRegistration>
    where
        F: FnOnce(&mut SpeakerRow, &ConferenceRow) -> Checked,
    {
        let id = parse::id("registration_id", id)?;
        let mut tx = self.pool.begin().await?;
        let mut speaker = store::lock_speaker(&mut tx, id).await?;
        let conference = self.conference(&mut tx, caller, speaker.conference_id, RowLock::None).await?;
        conference.actors().acting(&mut tx, caller, &MANAGERS).await?;
        let before = json!({ "status": speaker.status, "position": speaker.position });
        decide(&mut speaker, &conference)?;
        store::save_speaker(&mut tx, &speaker).await?;
        let change = Change::of(rpc, "speaker", speaker.id)
            .before(before)
            .after(
                json!({ "status": speaker.status, "position": speaker.position, "merged_into": speaker.merged_into }),
            )
            .event(Event::new(
                "speaker_updated",
                speaker.conference_id.to_string(),
                conference.unit_path.clone(),
                &speaker.updated(),
            ));
        self.outbox.write(&mut tx, caller, change).await?;
        tx.commit().await?;
        Ok(speaker.wire(true))
    }
}
