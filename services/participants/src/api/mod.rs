//! The participants API: registrations (`registering`), refusals and
//! check-in (`registration`), the speaker queue (`queue`) and invitations
//! (`invitations`). The office and the conference's secretary manage them;
//! the host refuses (R9.2); everyone in scope reads counts and the queue,
//! but names and phones only the office, the secretary and the host. Each
//! RPC reads: parse → load (store) → decide (domain) → write the change with
//! its audit entry and events, in one transaction.

mod invitation_document;
mod invitations;
mod queue;
mod registering;
mod registration;

use doithoai_directory::units::require_reach;
use doithoai_proto::common::v1::RenderedDocument;
use doithoai_proto::participants::v1::{
    Attendance, CheckInRequest, ConferenceRequest, Invitation, InviteRequest, ListInvitationsResponse,
    ListSpeakersResponse, MergeSpeakerRequest, MoveSpeakerRequest, Participant, RefuseParticipantRequest,
    RegisterParticipantRequest, RegisterSpeakerRequest, RenderInvitationRequest, SpeakerNoteRequest,
    SpeakerRegistration, SpeakerRequest, UpdateInvitationRequest, participants_server::Participants,
};
use doithoai_runtime::{
    Caller, Clock, ServiceResult, access::Actor, db::RowLock, outbox::Outbox, rpc::handle, together::Together,
};
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    privacy::IdentityKey,
    store::{self, ConferenceRow},
};

pub struct ParticipantsApi {
    pool: PgPool,
    outbox: Outbox,
    identity: IdentityKey,
    clock: Clock,
    /// RegisterParticipant's writers: registrations that arrive together are written together.
    registrations: Together<registering::Registration, Participant>,
}

#[tonic::async_trait]
impl Participants for ParticipantsApi {
    async fn register_participant(
        &self,
        request: Request<RegisterParticipantRequest>,
    ) -> Result<Response<Participant>, Status> {
        handle(request, |caller, request| self.register_participant(caller, request)).await
    }

    async fn register_speaker(
        &self,
        request: Request<RegisterSpeakerRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.register_speaker(caller, request)).await
    }

    async fn list_speakers(
        &self,
        request: Request<ConferenceRequest>,
    ) -> Result<Response<ListSpeakersResponse>, Status> {
        handle(request, |caller, request| self.list_speakers(caller, request)).await
    }

    async fn confirm_speaker(&self, request: Request<SpeakerRequest>) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.confirm_speaker(caller, request)).await
    }

    async fn merge_speaker(
        &self,
        request: Request<MergeSpeakerRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.merge_speaker(caller, request)).await
    }

    async fn mark_out_of_scope(
        &self,
        request: Request<SpeakerNoteRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.mark_out_of_scope(caller, request)).await
    }

    async fn move_speaker(
        &self,
        request: Request<MoveSpeakerRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.move_speaker(caller, request)).await
    }

    async fn call_next_speaker(
        &self,
        request: Request<ConferenceRequest>,
    ) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.call_next_speaker(caller, request)).await
    }

    async fn mark_spoke(&self, request: Request<SpeakerRequest>) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.mark_spoke(caller, request)).await
    }

    async fn mark_absent(&self, request: Request<SpeakerRequest>) -> Result<Response<SpeakerRegistration>, Status> {
        handle(request, |caller, request| self.mark_absent(caller, request)).await
    }

    async fn refuse_participant(
        &self,
        request: Request<RefuseParticipantRequest>,
    ) -> Result<Response<Participant>, Status> {
        handle(request, |caller, request| self.refuse_participant(caller, request)).await
    }

    async fn check_in(&self, request: Request<CheckInRequest>) -> Result<Response<Attendance>, Status> {
        handle(request, |caller, request| self.check_in(caller, request)).await
    }

    async fn invite(&self, request: Request<InviteRequest>) -> Result<Response<Invitation>, Status> {
        handle(request, |caller, request| self.invite(caller, request)).await
    }

    async fn update_invitation(
        &self,
        request: Request<UpdateInvitationRequest>,
    ) -> Result<Response<Invitation>, Status> {
        handle(request, |caller, request| self.update_invitation(caller, request)).await
    }

    async fn list_invitations(
        &self,
        request: Request<ConferenceRequest>,
    ) -> Result<Response<ListInvitationsResponse>, Status> {
        handle(request, |caller, request| self.list_invitations(caller, request)).await
    }

    async fn get_attendance(&self, request: Request<ConferenceRequest>) -> Result<Response<Attendance>, Status> {
        handle(request, |caller, request| self.get_attendance(caller, request)).await
    }

    async fn render_invitation(
        &self,
        request: Request<RenderInvitationRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        handle(request, |caller, request| self.render_invitation(caller, request)).await
    }
}

impl ParticipantsApi {
    pub fn new(pool: PgPool, outbox: Outbox, identity: IdentityKey, clock: Clock) -> Self {
        let registrations = registering::Registrar { pool: pool.clone(), outbox: outbox.clone() }.start();
        Self { pool, outbox, identity, clock, registrations }
    }

    /// The conference, if it lies in the caller's scope, held by `lock`:
    /// registrations share it, so that a change of its state waits for them,
    /// and calls of the next speaker exclude one another.
    async fn conference(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        id: Uuid,
        lock: RowLock,
    ) -> ServiceResult<ConferenceRow> {
        let conference = store::conference(conn, id, lock).await?;
        require_reach(conn, caller, &conference.unit_path).await?;
        Ok(conference)
    }

    /// Names and phones: the office, the secretary and the host.
    async fn sees_contacts(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        conference: &ConferenceRow,
    ) -> ServiceResult<bool> {
        for actor in [Actor::Office, Actor::Secretary, Actor::Host] {
            if conference.actors().acts_as(conn, caller, actor).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Who manages registrations, the queue and invitations.
const MANAGERS: [Actor; 2] = [Actor::Office, Actor::Secretary];
/// …and who may register citizens too: a portal.
const REGISTRARS: [Actor; 3] = [Actor::Office, Actor::Secretary, Actor::Portal];
