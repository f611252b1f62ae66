//! The conclusion notice (R10.2): issued once by the office after the
//! minutes are signed, assigning each petition not answered at the
//! conference to one agency; each agency acknowledges its receipt, which
//! starts its R10.3 clock.

use doithoai_directory::organizations;
use doithoai_proto::minutes::v1::{
    AcknowledgeNoticeRequest, ConclusionNotice, ConclusionNoticeIssued, IssueConclusionNoticeRequest, MinutesState,
    NoticeAssignment, NoticeReceived, PetitionStatus,
};
use doithoai_runtime::{
    Caller, Change, Refusal, Role, ServiceResult, access::Actor, db::RowLock, idempotency::Once, parse, time::timestamp,
};
use serde_json::json;
use uuid::Uuid;

use super::{MinutesApi, event, not_your_organization};
use crate::{domain, store};

impl MinutesApi {
    pub(super) async fn issue_conclusion_notice(
        &self,
        caller: Caller,
        request: IssueConclusionNoticeRequest,
    ) -> ServiceResult<ConclusionNotice> {
        let number = domain::text("number", &request.number)?;
        let signer = domain::text("signer", &request.signer)?;
        let sent_on = parse::happened("sent_on", &request.sent_on, self.clock.today())?;
        let conference_id = parse::id("conference_id", &request.conference_id)?;
        let agencies = request
            .assignments
            .iter()
            .map(|a| parse::id("assignments.organization_id", &a.organization_id))
            .collect::<Result<Vec<_>, _>>()?;
        let once = Once::new(&caller, "IssueConclusionNotice", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let (conference, _, minutes) =
                self.conference_with_minutes(&mut tx, &caller, conference_id, &[Actor::Office], RowLock::Exclusive).await?;
            parse::not_before("sent_on", sent_on, domain::opened_on(&minutes), ("the conference", "ngày hội nghị"))?;
            let issued = store::notice(&mut tx, conference.id, RowLock::Exclusive).await?.is_some();
            domain::r10_2_may_issue(MinutesState::try_from(minutes.state).unwrap_or_default(), issued)?;
            let mut petitions = store::petitions(&mut tx, conference.id, RowLock::Exclusive).await?;
            domain::r10_2_notice_covers(&petitions, &request.assignments)?;
            for (agency, assignment) in agencies.iter().zip(&request.assignments) {
                if organizations::active_unit(&mut tx, *agency).await?.is_none() {
                    return Err(Refusal::not_found(
                        format!("agency {} does not exist or is inactive", assignment.organization_id),
                        format!("cơ quan {} không tồn tại hoặc đã ngừng hoạt động", assignment.organization_id),
                    )
                    .into());
                }
            }
            for petition in petitions.iter_mut() {
                if let Some(assignment) = request.assignments.iter().find(|a| a.petition_id == petition.id) {
                    petition.status = PetitionStatus::Assigned as i32;
                    petition.assigned_organization_id = assignment.organization_id.clone();
                    store::update_petition(&mut tx, petition, &conference.unit_path).await?;
                }
            }
            let notice = ConclusionNotice {
                id: Uuid::now_v7().to_string(),
                conference_id: conference.id.to_string(),
                number,
                sent_on: sent_on.to_string(),
                signer,
                // Received only once each agency acknowledges.
                assignments: request
                    .assignments
                    .iter()
                    .map(|a| NoticeAssignment { received_on: String::new(), ..a.clone() })
                    .collect(),
            };
            store::insert_notice(&mut tx, &notice).await?;
            let issued = ConclusionNoticeIssued {
                notice: Some(notice.clone()),
                conference_ended_at: conference.ended_at.map(timestamp),
            };
            let change = Change::of("IssueConclusionNotice", "notice", &notice.id)
                .after(
                    json!({ "number": notice.number, "sent_on": notice.sent_on, "assignments": notice.assignments.len() }),
                )
                .event(event("conclusion_notice_issued", &notice.conference_id, &conference.unit_path, &issued));
            self.outbox.commit(tx, &caller, change, &once, notice).await
        })
        .await
    }

    pub(super) async fn acknowledge_notice(
        &self,
        caller: Caller,
        request: AcknowledgeNoticeRequest,
    ) -> ServiceResult<ConclusionNotice> {
        caller.require_role(&[Role::Agency])?;
        let organization = parse::id("organization_id", &request.organization_id)?.to_string();
        if caller.organization.as_deref() != Some(organization.as_str()) {
            return Err(not_your_organization("the notice is addressed to").into());
        }
        let received_on = parse::happened("received_on", &request.received_on, self.clock.today())?;
        let notice_id = parse::id("notice_id", &request.notice_id)?;
        let once = Once::new(&caller, "AcknowledgeNotice", &request.request_id, &request)?;
        once.run(&self.pool, async {
            let mut tx = self.pool.begin().await?;
            let conference_id = store::lock_notice_conference(&mut tx, notice_id).await?;
            let conference = self.conference(&mut tx, &caller, conference_id).await?;
            let mut notice = store::notice(&mut tx, conference_id, RowLock::Exclusive).await?.ok_or_else(|| {
                Refusal::not_found("the conclusion notice does not exist", "thông báo kết luận không tồn tại")
            })?;
            let represented = organizations::represented_by(&mut tx, &organization).await?;
            let mine = domain::r10_3_acknowledge(&mut notice, &represented, received_on)?;
            let events = mine.iter().map(|i| {
                let assignment = &notice.assignments[*i];
                let received = NoticeReceived {
                    notice_id: notice.id.clone(),
                    conference_id: notice.conference_id.clone(),
                    petition_id: assignment.petition_id.clone(),
                    organization_id: organization.clone(),
                    received_on: received_on.to_string(),
                };
                event("notice_received", &assignment.petition_id, &conference.unit_path, &received)
            });
            let change = Change::of("AcknowledgeNotice", "notice", &notice.id)
                .after(json!({ "organization_id": organization, "received_on": received_on }))
                .events(events.collect::<Vec<_>>());
            store::update_notice(&mut tx, &notice).await?;
            self.outbox.commit(tx, &caller, change, &once, notice).await
        })
        .await
    }
}
