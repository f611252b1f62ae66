//! The minutes API: the record of the conference (R8.2, R8.4, R9.1, R1.2),
//! sign-off and corrections (`record`), the petitions, their answers, the
//! agencies' responses (R10.3) and escalation (R10.4) (`petitions`), and the
//! conclusion notice (R10.2) (`notice`). Each RPC reads: parse → load
//! (store) → decide (domain) → write the change with its audit entry and
//! events, in one transaction.

mod notice;
mod petitions;
mod record;
mod recording;
mod render;

use doithoai_directory::units::require_reach;
use doithoai_proto::common::v1::RenderedDocument;
use doithoai_proto::minutes::v1::{
    AcknowledgeNoticeRequest, AddEntryRequest, AnswerPetitionRequest, ConclusionNotice, ConferenceRequest,
    EscalatePetitionRequest, FindPetitionRequest, IssueConclusionNoticeRequest, Minutes, Petition, PetitionRequest,
    RecordConclusionRequest, RecordOpeningRequest, RecordPetitionRequest, RecordResponseRequest, ReferPetitionRequest,
    RenderPetitionRequest, RenderRequest, minutes_service_server::MinutesService,
};
use doithoai_runtime::{
    Caller, Clock, Reason, Refusal, ServiceResult,
    access::Actor,
    db::RowLock,
    events::Event,
    outbox::Outbox,
    rpc::{handle, handle_on_behalf},
    together::Together,
};
use prost::Message;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    speakers::Speakers,
    store::{self, ConferenceRow},
};

pub struct MinutesApi {
    pool: PgPool,
    outbox: Outbox,
    clock: Clock,
    speakers: Speakers,
    /// RecordPetition's writers: petitions that arrive together are written together.
    recordings: Together<recording::Recording, Petition>,
}

#[tonic::async_trait]
impl MinutesService for MinutesApi {
    async fn get_minutes(&self, request: Request<ConferenceRequest>) -> Result<Response<Minutes>, Status> {
        handle(request, |caller, request| self.get_minutes(caller, request)).await
    }

    async fn get_response_document(
        &self,
        request: Request<PetitionRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        handle(request, |caller, request| self.get_response_document(caller, request)).await
    }

    async fn render_response_cover(
        &self,
        request: Request<RenderPetitionRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        handle(request, |caller, request| self.render_response_cover(caller, request)).await
    }

    async fn render_petition_receipt(
        &self,
        request: Request<RenderPetitionRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        handle(request, |caller, request| self.render_petition_receipt(caller, request)).await
    }

    async fn render_minutes(&self, request: Request<RenderRequest>) -> Result<Response<RenderedDocument>, Status> {
        handle(request, |caller, request| self.render_minutes(caller, request)).await
    }

    async fn render_internal_minutes(
        &self,
        request: Request<RenderRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        handle_on_behalf(request, |caller, on_behalf, request| self.render_internal_minutes(caller, on_behalf, request))
            .await
    }

    async fn render_conclusion_notice(
        &self,
        request: Request<RenderRequest>,
    ) -> Result<Response<RenderedDocument>, Status> {
        handle(request, |caller, request| self.render_conclusion_notice(caller, request)).await
    }

    async fn record_opening(&self, request: Request<RecordOpeningRequest>) -> Result<Response<Minutes>, Status> {
        handle(request, |caller, request| self.record_opening(caller, request)).await
    }

    async fn record_petition(&self, request: Request<RecordPetitionRequest>) -> Result<Response<Petition>, Status> {
        handle(request, |caller, request| self.record_petition(caller, request)).await
    }

    async fn refer_petition(&self, request: Request<ReferPetitionRequest>) -> Result<Response<Petition>, Status> {
        handle(request, |caller, request| self.refer_petition(caller, request)).await
    }

    async fn answer_petition(&self, request: Request<AnswerPetitionRequest>) -> Result<Response<Petition>, Status> {
        handle(request, |caller, request| self.answer_petition(caller, request)).await
    }

    async fn record_conclusion(&self, request: Request<RecordConclusionRequest>) -> Result<Response<Minutes>, Status> {
        handle(request, |caller, request| self.record_conclusion(caller, request)).await
    }

    async fn sign_minutes(&self, request: Request<ConferenceRequest>) -> Result<Response<Minutes>, Status> {
        handle(request, |caller, request| self.sign_minutes(caller, request)).await
    }

    async fn add_entry(&self, request: Request<AddEntryRequest>) -> Result<Response<Minutes>, Status> {
        handle(request, |caller, request| self.add_entry(caller, request)).await
    }

    async fn issue_conclusion_notice(
        &self,
        request: Request<IssueConclusionNoticeRequest>,
    ) -> Result<Response<ConclusionNotice>, Status> {
        handle(request, |caller, request| self.issue_conclusion_notice(caller, request)).await
    }

    async fn acknowledge_notice(
        &self,
        request: Request<AcknowledgeNoticeRequest>,
    ) -> Result<Response<ConclusionNotice>, Status> {
        handle(request, |caller, request| self.acknowledge_notice(caller, request)).await
    }

    async fn record_response(&self, request: Request<RecordResponseRequest>) -> Result<Response<Petition>, Status> {
        handle(request, |caller, request| self.record_response(caller, request)).await
    }

    async fn escalate_petition(&self, request: Request<EscalatePetitionRequest>) -> Result<Response<Petition>, Status> {
        handle(request, |caller, request| self.escalate_petition(caller, request)).await
    }

    async fn get_petition(&self, request: Request<PetitionRequest>) -> Result<Response<Petition>, Status> {
        handle(request, |caller, request| self.get_petition(caller, request)).await
    }

    async fn find_petition(&self, request: Request<FindPetitionRequest>) -> Result<Response<Petition>, Status> {
        handle(request, |caller, request| self.find_petition(caller, request)).await
    }
}

impl MinutesApi {
    pub fn new(pool: PgPool, outbox: Outbox, clock: Clock, speakers: Speakers) -> Self {
        let recordings = recording::Recorder { pool: pool.clone(), outbox: outbox.clone() }.start();
        Self { pool, outbox, clock, speakers, recordings }
    }

    /// The conference, if it lies in the caller's scope.
    async fn conference(&self, conn: &mut PgConnection, caller: &Caller, id: Uuid) -> ServiceResult<ConferenceRow> {
        let conference = store::conference(conn, id).await?;
        require_reach(conn, caller, &conference.unit_path).await?;
        Ok(conference)
    }

    /// The conference and its minutes, held by `lock` for a step, once the caller is
    /// found within reach and acting as one of `actors`; which one it acts as.
    async fn conference_with_minutes(
        &self,
        conn: &mut PgConnection,
        caller: &Caller,
        id: Uuid,
        actors: &[Actor],
        lock: RowLock,
    ) -> ServiceResult<(ConferenceRow, Actor, Minutes)> {
        let (conference, minutes) = store::conference_locking_minutes(conn, id, lock).await?;
        let actor = may_act(conn, caller, &conference, actors).await?;
        Ok((conference, actor, minutes.ok_or_else(store::minutes_not_open)?))
    }
}

/// Whether the caller may act on a conference: within reach, and acting as
/// one of `actors`; which one.
async fn may_act(
    conn: &mut PgConnection,
    caller: &Caller,
    conference: &ConferenceRow,
    actors: &[Actor],
) -> ServiceResult<Actor> {
    require_reach(conn, caller, &conference.unit_path).await?;
    conference.actors().acting(conn, caller, actors).await
}

/// An agency acting for a notice or petition of another agency's.
fn not_your_organization(what: &str) -> Refusal {
    Refusal::denied(
        Reason::NotYourOrganization,
        format!("only the agency {what} may do this"),
        format!("chỉ cơ quan {what} được thực hiện thao tác này"),
    )
}

fn event<M: Message + prost::Name>(kind: &'static str, id: &str, path: &[String], message: &M) -> Event {
    Event::new(kind, id, path.to_vec(), message)
}
