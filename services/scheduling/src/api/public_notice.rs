//! R7.3: the public notice of an announced conference as a document, issued
//! by the host's office (`crate::documents`).

use doithoai_directory::{organizations, units};
use doithoai_documents::{Body as IssuingBody, rendered};
use doithoai_proto::common::v1::{DocumentFormat, RenderedDocument};
use doithoai_proto::scheduling::v1::{Body, ConferenceRef, RenderConferenceRequest};
use doithoai_runtime::{Caller, Refusal, ServiceResult, parse};

use super::conferences::ConferencesApi;
use crate::store::posts;
use doithoai_documents::conference::{Host, public_notice};

impl ConferencesApi {
    pub(super) async fn render_public_notice(
        &self,
        caller: Caller,
        request: RenderConferenceRequest,
    ) -> ServiceResult<RenderedDocument> {
        let format = parse::known::<DocumentFormat>("format", request.format)?;
        let conference = self.get_conference(caller, ConferenceRef { id: request.id }).await?;
        if conference.notice.is_none() {
            return Err(Refusal::rule(
                "R7.3",
                "the public notice exists once the conference is announced",
                "thông báo công khai có khi hội nghị đã được thông báo",
            )
            .into());
        }
        let mut conn = self.pool.acquire().await?;
        // Who hosts: the deputy when the head delegated (R2.2).
        let hosting = conference
            .delegation
            .as_ref()
            .map_or(conference.host_position_id.as_str(), |d| d.deputy_position_id.as_str());
        let post = posts::find_position(&mut conn, parse::id("host_position_id", hosting)?).await?;
        let body = IssuingBody::from_proto(Body::try_from(conference.body).unwrap_or_default())
            .unwrap_or(IssuingBody::PeoplesCommittee);
        let unit_name =
            units::unit_name(&mut conn, &conference.unit_code).await?.unwrap_or_else(|| conference.unit_code.clone());
        let venue = units::unit_name(&mut conn, &conference.venue_unit_code).await?.unwrap_or_default();
        let coordinating = unit_names(&mut conn, &conference.coordinating_unit_codes).await?;
        let host = Host {
            body,
            unit_name,
            place: units::place(&mut conn, &conference.unit_path).await?,
            title: post.title,
            name: post.person_name,
            office: organizations::office(&mut conn, &conference.unit_code, body.office_kind()).await?,
            venue_unit_name: venue,
            coordinating_unit_names: coordinating,
        };
        let name = format!("thong-bao-hoi-nghi-{}", conference.id);
        Ok(rendered(&public_notice(&conference, &host), format, &name))
    }
}

/// The names of the units asked to coordinate (R4.2), in their order.
async fn unit_names(conn: &mut sqlx::PgConnection, codes: &[String]) -> sqlx::Result<Vec<String>> {
    let mut names = Vec::with_capacity(codes.len());
    for code in codes {
        names.push(units::unit_name(conn, code).await?.unwrap_or_else(|| code.clone()));
    }
    Ok(names)
}
