//! R7.4: an invitation as the document the host's office sends the invited
//! official (`doithoai_documents::conference::invitation`), from the
//! replicas of the conference, the directory's host (`doithoai_directory::hosts`) and the agency.

use doithoai_directory::{hosts, organizations};
use doithoai_documents::conference::{Invitee, invitation};
use doithoai_documents::rendered;
use doithoai_proto::common::v1::{DocumentFormat, RenderedDocument};
use doithoai_proto::participants::v1::RenderInvitationRequest;
use doithoai_runtime::{Caller, Refusal, ServiceResult, db::RowLock, parse};

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
        let stored = self.conference(&mut conn, &caller, row.conference_id, RowLock::None).await?;
        let conference = store::conference_document(&mut conn, stored.id).await?.ok_or_else(|| {
            Refusal::rule(
                "R7.4",
                "the conference's details have not reached this service yet",
                "thông tin hội nghị chưa được đồng bộ",
            )
        })?;
        let host = hosts::host(&mut conn, &conference).await?;
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
