//! The conference's documents as the host's body issues them, PDF or DOCX:
//! the public and the internal minutes and the conclusion notice, with names and titles
//! from the directory's replicas.

use doithoai_directory::{organizations, units::place};
use doithoai_documents::{Body, rendered};
use doithoai_proto::common::v1::{DocumentFormat, RenderedDocument};
use doithoai_proto::minutes::v1::{Minutes, Petition, PetitionRequest, RenderPetitionRequest, RenderRequest};
use doithoai_runtime::{Caller, Refusal, ServiceResult, access::Actor, auth::OnBehalf, db::RowLock, parse};
use sqlx::{PgConnection, Postgres, pool::PoolConnection};
use uuid::Uuid;

use super::MinutesApi;
use crate::{
    documents::{self, Edition, Letterhead},
    store::{self, ConferenceRow},
};

/// What a petition's documents start from.
struct PreparedPetition {
    conn: PoolConnection<Postgres>,
    conference: ConferenceRow,
    petition: Petition,
    letterhead: Letterhead,
    format: DocumentFormat,
}

/// What both documents start from.
struct Prepared {
    conn: PoolConnection<Postgres>,
    conference: ConferenceRow,
    minutes: Minutes,
    letterhead: Letterhead,
    format: DocumentFormat,
}

impl MinutesApi {
    async fn prepare(&self, caller: &Caller, request: &RenderRequest) -> ServiceResult<Prepared> {
        let format = parse::known::<DocumentFormat>("format", request.format)?;
        let mut conn = self.pool.acquire().await?;
        let conference =
            self.conference(&mut conn, caller, parse::id("conference_id", &request.conference_id)?).await?;
        let minutes = store::full_minutes(&mut conn, conference.id).await?;
        let letterhead = letterhead(&mut conn, &conference).await?;
        Ok(Prepared { conn, conference, minutes, letterhead, format })
    }

    pub(super) async fn render_minutes(
        &self,
        caller: Caller,
        request: RenderRequest,
    ) -> ServiceResult<RenderedDocument> {
        let p = self.prepare(&caller, &request).await?;
        let document = documents::minutes_document(&p.minutes, &p.letterhead, Edition::Public);
        Ok(rendered(&document, p.format, &format!("bien-ban-{}", p.conference.id)))
    }

    /// For those who run the conference: its office, secretary and host (the
    /// participants service decides the same of the names it gives).
    pub(super) async fn render_internal_minutes(
        &self,
        caller: Caller,
        on_behalf: OnBehalf,
        request: RenderRequest,
    ) -> ServiceResult<RenderedDocument> {
        let Prepared { mut conn, conference, minutes, letterhead, format } = self.prepare(&caller, &request).await?;
        conference.actors().acting(&mut conn, &caller, &[Actor::Office, Actor::Secretary, Actor::Host]).await?;
        // The connection goes back to the pool while the other service answers.
        drop(conn);
        let speakers = self.speakers.of(&request.conference_id, &on_behalf).await?;
        let document = documents::minutes_document(&minutes, &letterhead, Edition::Internal { speakers: &speakers });
        Ok(rendered(&document, format, &format!("bien-ban-noi-bo-{}", conference.id)))
    }

    pub(super) async fn render_conclusion_notice(
        &self,
        caller: Caller,
        request: RenderRequest,
    ) -> ServiceResult<RenderedDocument> {
        let mut p = self.prepare(&caller, &request).await?;
        let notice = store::notice(&mut p.conn, p.conference.id, RowLock::None).await?.ok_or_else(|| {
            Refusal::not_found("no conclusion notice was issued yet", "chưa ban hành thông báo kết luận")
        })?;
        let ids: Vec<Uuid> =
            notice.assignments.iter().filter_map(|a| Uuid::parse_str(&a.organization_id).ok()).collect();
        let agencies = organizations::names(&mut p.conn, &ids).await?.into_iter().collect();
        let document = documents::notice_document(&notice, &p.minutes, &p.letterhead, &agencies);
        let name = format!("thong-bao-ket-luan-{}", notice.number.replace('/', "-"));
        Ok(rendered(&document, p.format, &name))
    }
}

impl MinutesApi {
    pub(super) async fn render_petition_receipt(
        &self,
        caller: Caller,
        request: RenderPetitionRequest,
    ) -> ServiceResult<RenderedDocument> {
        let mut p = self.prepare_petition(caller, request).await?;
        let minutes = store::full_minutes(&mut p.conn, p.conference.id).await?;
        let document = documents::receipt_document(&p.petition, &minutes, &p.letterhead);
        Ok(rendered(&document, p.format, &format!("bien-nhan-{}", p.petition.receipt_code)))
    }

    /// Whoever may read the petition may print its documents.
    async fn prepare_petition(
        &self,
        caller: Caller,
        request: RenderPetitionRequest,
    ) -> ServiceResult<PreparedPetition> {
        let format = parse::known::<DocumentFormat>("format", request.format)?;
        let petition = self.get_petition(caller, PetitionRequest { petition_id: request.petition_id }).await?;
        let mut conn = self.pool.acquire().await?;
        let conference = store::conference(&mut conn, parse::id("conference_id", &petition.conference_id)?).await?;
        let letterhead = letterhead(&mut conn, &conference).await?;
        Ok(PreparedPetition { conn, conference, petition, letterhead, format })
    }

    pub(super) async fn get_response_document(
        &self,
        caller: Caller,
        request: PetitionRequest,
    ) -> ServiceResult<RenderedDocument> {
        let petition = self.get_petition(caller, request).await?;
        let mut conn = self.pool.acquire().await?;
        let (file_name, content) =
            store::response_file(&mut conn, parse::id("petition_id", &petition.id)?).await?.ok_or_else(|| {
                Refusal::not_found("the agency attached no response document", "cơ quan chưa đính kèm văn bản trả lời")
            })?;
        Ok(RenderedDocument { file_name, content, content_type: doithoai_documents::PDF.into() })
    }

    pub(super) async fn render_response_cover(
        &self,
        caller: Caller,
        request: RenderPetitionRequest,
    ) -> ServiceResult<RenderedDocument> {
        let mut p = self.prepare_petition(caller, request).await?;
        if p.petition.response.is_none() {
            return Err(Refusal::rule("R10.3", "the agency has not responded yet", "cơ quan chưa trả lời").into());
        }
        let (petition, conn, letterhead) = (&p.petition, &mut p.conn, &p.letterhead);
        let agency_id = Uuid::parse_str(&petition.assigned_organization_id).ok();
        let agency = match agency_id {
            Some(id) => organizations::names(conn, &[id]).await?.into_iter().next().map(|(_, n)| n),
            None => None,
        };
        let document = documents::response_cover(petition, letterhead, &agency.unwrap_or_default());
        Ok(rendered(&document, p.format, &format!("phieu-tra-loi-{}", petition.receipt_code)))
    }
}

async fn letterhead(conn: &mut PgConnection, conference: &ConferenceRow) -> ServiceResult<Letterhead> {
    let row = store::letterhead(conn, conference.id).await?;
    // A post the replica has not yet heard named (an older replica) prints as the State's.
    let body = row.host_body.as_deref().and_then(Body::from_name).unwrap_or(Body::PeoplesCommittee);
    let office = organizations::office(conn, &row.unit_code, body.office_kind()).await?;
    Ok(Letterhead {
        body,
        unit_name: row.unit_name.unwrap_or_else(|| row.unit_code.clone()),
        parent_unit_name: row.parent_unit_name,
        place: place(conn, &conference.unit_path).await?,
        host_title: row.host_title.unwrap_or_default(),
        host_name: row.host_name.unwrap_or_default(),
        secretary_name: row.secretary_name,
        office,
    })
}
