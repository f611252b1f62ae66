//! What the minutes service keeps of the scheduling service: conferences
//! (host, secretary, invited agencies, end), posts and organizations. The
//! minutes open when a conference starts (R8.1: with its secretary).

use anyhow::Context;
use doithoai_directory::scheduling::{conference_of, upsert_directory};
use doithoai_proto::{
    common::v1::EventEnvelope,
    minutes::v1::{Minutes, MinutesOpened, MinutesState},
    scheduling::v1::{Conference, ConferenceState},
};
use doithoai_runtime::{consumer::EventHandler, events::Event, outbox::Outbox, time::instant};
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

pub struct SchedulingReplica {
    pub outbox: Outbox,
}

impl EventHandler for SchedulingReplica {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        match conference_of(event)? {
            Some(conference) => self.conference(conn, event, conference).await,
            None => upsert_directory(conn, event).await.map(|_| ()),
        }
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
        let delegate = conference.delegation.as_ref().map(|d| Uuid::parse_str(&d.deputy_position_id)).transpose()?;
        let invited: Vec<Uuid> =
            conference.invited_organization_ids.iter().map(|i| Uuid::parse_str(i)).collect::<Result<_, _>>()?;
        sqlx::query(
            "INSERT INTO conferences (id, unit_code, unit_path, state, host_position_id, delegate_position_id, accountable_position_id,
                 secretary_subject, invited_organization_ids, ended_at, version, secretary_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO UPDATE SET unit_code = EXCLUDED.unit_code, unit_path = EXCLUDED.unit_path, state = EXCLUDED.state,
                 host_position_id = EXCLUDED.host_position_id, delegate_position_id = EXCLUDED.delegate_position_id,
                 accountable_position_id = EXCLUDED.accountable_position_id, secretary_subject = EXCLUDED.secretary_subject,
                 invited_organization_ids = EXCLUDED.invited_organization_ids, ended_at = EXCLUDED.ended_at, version = EXCLUDED.version,
                 secretary_name = EXCLUDED.secretary_name
             WHERE conferences.version < EXCLUDED.version",
        )
        .bind(id)
        .bind(&conference.unit_code)
        .bind(&conference.unit_path)
        .bind(state.as_str_name())
        .bind(Uuid::parse_str(&conference.host_position_id)?)
        .bind(delegate)
        .bind(Uuid::parse_str(&conference.accountable_position_id).context("a conference without an accountable post")?)
        .bind(&conference.secretary_subject)
        .bind(&invited)
        .bind(conference.ended_at.as_ref().and_then(instant))
        .bind(conference.version as i32)
        .bind(&conference.secretary_name)
        .execute(&mut *conn)
        .await?;
        // The minutes open once, with the first event that shows the conference under way.
        if matches!(state, ConferenceState::InProgress | ConferenceState::Ended) {
            let opened_at = conference.started_at;
            let minutes = Minutes {
                conference_id: conference.id.clone(),
                unit_code: conference.unit_code.clone(),
                unit_path: conference.unit_path.clone(),
                state: MinutesState::Open as i32,
                secretary_subject: conference.secretary_subject.clone(),
                opened_at,
                ..Default::default()
            };
            let opened = sqlx::query(
                "INSERT INTO minutes (conference_id, state, document) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(MinutesState::Open.as_str_name())
            .bind(minutes.encode_to_vec())
            .execute(&mut *conn)
            .await?
            .rows_affected()
                == 1;
            if opened {
                let message = MinutesOpened { conference_id: conference.id.clone(), opened_at };
                let out = Event::new("minutes_opened", conference.id.clone(), conference.unit_path.clone(), &message);
                self.outbox.append(conn, &event.actor, &out).await?;
            }
        }
        Ok(())
    }
}
