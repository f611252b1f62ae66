//! R7.4: an invitation as the document the host's office sends the invited
//! official (`doithoai_documents::conference::invitation`), from the
//! replicas of the conference, the hosting post, the office and the agency.

use doithoai_directory::{organizations, units};
use doithoai_documents::conference::{Host, Invitee, invitation};
use doithoai_documents::{Body as IssuingBody, rendered};
use doithoai_proto::common::v1::{DocumentFormat, RenderedDocument};
use doithoai_proto::participants::v1::RenderInvitationRequest;
use doithoai_proto::scheduling::v1::Body;
use doithoai_runtime::{Caller, Refusal, ServiceResult, parse};
use sqlx::PgConnection;
use uuid::Uuid;

use super::ParticipantsApi;
use crate::store;

impl ParticipantsApi {
    pub(super) async fn render_invitation(
        &self,
        caller: Caller,
        request: RenderInvitationRequest,
    ) -> ServiceResult<RenderedDocument> {
        let format = parse::known::<DocumentFormat>("format", request.format)?;
        let mut conn = self.pool.acquire().await?;
        let row = store::invitation(&mut conn, parse::id("invitation_id", &request.invitation_id)?).await?;
        let stored = self.conference(&mut conn, &caller, row.conference_id, false).await?;
        let conference = store::conference_document(&mut conn, stored.id).await?.ok_or_else(|| {
            Refusal::rule(
                "R7.4",
                "the conference's details have not reached this service yet",
                "thông tin hội nghị chưa được đồng bộ",
            )
        })?;
        let body = IssuingBody::from_proto(Body::try_from(conference.body).unwrap_or_default())
            .unwrap_or(IssuingBody::PeoplesCommittee);
        let (title, name) =
            hosting_post(&mut conn, stored.delegate_position_id.unwrap_or(stored.host_position_id)).await?;
        let host = Host {
            body,
            unit_name: units::unit_name(&mut conn, &conference.unit_code)
                .await?
                .unwrap_or_else(|| conference.unit_code.clone()),
            place: units::place(&mut conn, &conference.unit_path).await?,
            title,
            name,
            office: organizations::office(&mut conn, &conference.unit_code, body.office_kind()).await?,
            venue_unit_name: units::unit_name(&mut conn, &conference.venue_unit_code).await?.unwrap_or_default(),
            coordinating_unit_names: Vec::new(),
        };
        let agency = match row.organization_id {
            Some(id) => {
                organizations::names(&mut conn, &[id]).await?.into_iter().next().map(|(_, n)| n).unwrap_or_default()
            }
            None => String::new(),
        };
        let invitee = Invitee {
            name: row.invitee_name.clone(),
            title: row.invitee_title.clone(),
            agency,
            answers_agenda_items: row.answers_agenda_items.iter().map(|i| *i as u32).collect(),
        };
        let document = invitation(&conference, &host, &invitee, self.clock.today());
        Ok(rendered(&document, format, &format!("giay-moi-{}", row.id)))
    }
}

/// The hosting post's title and holder, as the replica knows them.
async fn hosting_post(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<(String, String)> {
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT title, person_name FROM positions WHERE id = $1").bind(id).fetch_optional(conn).await?;
    Ok(found.unwrap_or_default())
}
