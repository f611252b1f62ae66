//! What the participants service keeps of the scheduling service: its
//! conferences (state, host, secretary), posts (to know the host's login) and
//! organizations (to invite). Older events arriving late change nothing: a
//! conference carries its version, posts and organizations their event id.
//! A cancelled or postponed conference notifies its registrants.

use anyhow::Context;
use doithoai_directory::scheduling::{conference_of, upsert_directory};
use doithoai_proto::{
    common::v1::EventEnvelope,
    participants::v1::RegistrantsNotified,
    scheduling::v1::{Conference, ConferenceState},
};
use doithoai_runtime::{consumer::EventHandler, events::Event, outbox::Outbox};
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

pub struct SchedulingReplica {
    pub outbox: Outbox,
}

impl EventHandler for SchedulingReplica {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        if let Some(conference) = conference_of(event)? {
            return self.conference(conn, event, conference).await;
        }
        upsert_directory(conn, event).await?;
        Ok(())
    }
}

impl SchedulingReplica {
    async fn conference(
        &self,
        conn: &mut PgConnection,
        event: &EventEnvelope,
        conference: Conference,
    ) -> anyhow::Result<()> {
        let id = Uuid::parse_str(&conference.id)?;
        let state = ConferenceState::try_from(conference.state).unwrap_or_default();
        let starts_at = conference
            .starts_at
            .as_ref()
            .and_then(doithoai_runtime::time::instant)
            .context("a conference without a start")?;
        let delegate = conference.delegation.as_ref().map(|d| Uuid::parse_str(&d.deputy_position_id)).transpose()?;
        let applied = sqlx::query(
            "INSERT INTO conferences (id, unit_path, state, starts_at, host_position_id, delegate_position_id, secretary_subject, agenda_items, version, document)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET unit_path = EXCLUDED.unit_path, state = EXCLUDED.state, starts_at = EXCLUDED.starts_at,
                 host_position_id = EXCLUDED.host_position_id, delegate_position_id = EXCLUDED.delegate_position_id,
                 secretary_subject = EXCLUDED.secretary_subject, agenda_items = EXCLUDED.agenda_items, version = EXCLUDED.version,
                 document = EXCLUDED.document
             WHERE conferences.version < EXCLUDED.version",
        )
        .bind(id)
        .bind(&conference.unit_path)
        .bind(state.as_str_name())
        .bind(starts_at)
        .bind(Uuid::parse_str(&conference.host_position_id)?)
        .bind(delegate)
        .bind(&conference.secretary_subject)
        .bind(conference.agenda.len() as i32)
        .bind(conference.version as i32)
        .bind(conference.encode_to_vec())
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if applied && matches!(state, ConferenceState::Cancelled | ConferenceState::Postponed) {
            let participant_ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM participants WHERE conference_id = $1 AND status <> 'PARTICIPANT_STATUS_REFUSED' ORDER BY id")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
            let why = state.as_str_name().trim_start_matches("CONFERENCE_STATE_").to_owned();
            let notice = RegistrantsNotified {
                conference_id: conference.id.clone(),
                participant_ids: participant_ids.iter().map(Uuid::to_string).collect(),
                why,
            };
            let out = Event::new("registrants_notified", conference.id.clone(), conference.unit_path.clone(), &notice);
            self.outbox.append(conn, &event.actor, &out).await?;
        }
        Ok(())
    }
}
