//! Invitations to officials and agencies (R7.4): sent once the conference is
//! announced, naming the agenda items they answer, then accepted, declined
//! and attended.

use doithoai_directory::organizations;
use doithoai_proto::participants::v1::{
    ConferenceRequest, Invitation, InvitationStatus, InvitationUpdated, InviteRequest, ListInvitationsResponse,
    UpdateInvitationRequest,
};
use doithoai_runtime::{Caller, Change, Refusal, ServiceResult, db::RowLock, events::Event, idempotency::Once, parse};
use serde_json::json;
use uuid::Uuid;

use super::{MANAGERS, ParticipantsApi};
use crate::{
    domain,
    store::{self, InvitationRow},
};

/// Published on every change, for a notifier and the portals.
fn updated(row: &InvitationRow, unit_path: &[String]) -> Event {
    let updated = InvitationUpdated { invitation: Some(row.wire()) };
    Event::new("invitation_updated", row.id.to_string(), unit_path.to_vec(), &updated)
}

impl ParticipantsApi {
    pub(super) async fn invite(&self, caller: Caller, request: InviteRequest) -> ServiceResult<Invitation> {
        let conference_id = parse::id("conference_id", &request.conference_id)?;
        let name = domain::check_name("invitee_name", &request.invitee_name)?;
        let organization = parse::optional_id("organization_id", &request.organization_id)?;
        let once = Once::new(&caller, "Invite", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let conference = self.conference(&mut tx, &caller, conference_id, RowLock::None).await?;
            conference.actors().acting(&mut tx, &caller, &MANAGERS).await?;
            domain::may_invite(conference.state())?;
            if let Some(agency) = organization
                && organizations::active_unit(&mut tx, agency).await?.is_none()
            {
                return Err(Refusal::not_found(
                    "the agency is not in the directory or is inactive",
                    "cơ quan không có trong danh mục hoặc đã ngừng hoạt động",
                )
                .into());
            }
            if let Some(item) = request.answers_agenda_items.iter().find(|i| **i as i32 >= conference.agenda_items) {
                return Err(Refusal::invalid(
                    "answers_agenda_items",
                    format!("agenda item {item} does not exist"),
                    format!("nội dung số {item} không có trong chương trình"),
                )
                .into());
            }
            let row = InvitationRow {
                id: Uuid::now_v7(),
                conference_id: conference.id,
                organization_id: organization,
                invitee_name: name,
                invitee_title: request.invitee_title.trim().to_owned(),
                answers_agenda_items: request.answers_agenda_items.iter().map(|i| *i as i32).collect(),
                status: InvitationStatus::Sent.as_str_name().to_owned(),
            };
            store::insert_invitation(&mut tx, &row).await?;
            let change = Change::of("Invite", "invitation", row.id)
                .after(json!({ "organization_id": row.organization_id, "status": row.status }))
                .event(updated(&row, &conference.unit_path));
            self.outbox.commit(tx, &caller, change, &once, row.wire()).await
        })
        .await
    }

    pub(super) async fn update_invitation(
        &self,
        caller: Caller,
        request: UpdateInvitationRequest,
    ) -> ServiceResult<Invitation> {
        let id = parse::id("invitation_id", &request.invitation_id)?;
        let to: InvitationStatus = parse::known("status", request.status)?;
        let mut tx = self.pool.begin().await?;
        let mut row = store::lock_invitation(&mut tx, id).await?;
        let conference = self.conference(&mut tx, &caller, row.conference_id, RowLock::None).await?;
        conference.actors().acting(&mut tx, &caller, &MANAGERS).await?;
        domain::invitation_step(row.status(), to)?;
        let before = std::mem::replace(&mut row.status, to.as_str_name().to_owned());
        store::set_invitation_status(&mut tx, &row).await?;
        let change = Change::of("UpdateInvitation", "invitation", row.id)
            .before(json!({ "status": before }))
            .after(json!({ "status": row.status }))
            .event(updated(&row, &conference.unit_path));
        self.outbox.write(&mut tx, &caller, change).await?;
        tx.commit().await?;
        Ok(row.wire())
    }

    pub(super) async fn list_invitations(
        &self,
        caller: Caller,
        request: ConferenceRequest,
    ) -> ServiceResult<ListInvitationsResponse> {
        let id = parse::id("conference_id", &request.conference_id)?;
        let mut conn = self.pool.acquire().await?;
        let conference = self.conference(&mut conn, &caller, id, RowLock::None).await?;
        let rows = store::invitations(&mut conn, conference.id).await?;
        Ok(ListInvitationsResponse { invitations: rows.iter().map(InvitationRow::wire).collect() })
    }
}
