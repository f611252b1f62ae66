//! The facts the reports count, from the other services' events: each ended
//! conference, and each petition with what became of it at the conference.

use anyhow::Context;
use doithoai_proto::{
    common::v1::{EventEnvelope, Field},
    minutes::v1::{Classification, PetitionAnswered, PetitionEscalated, PetitionRecorded, PetitionReferred},
    scheduling::v1::{Conference, ConferenceKind, Regime},
};
use doithoai_runtime::{consumer::EventHandler, events::decode_payload, time::local_date};
use sqlx::PgConnection;
use uuid::Uuid;

/// An ended conference, counted by kind and regime.
pub async fn conference_held(conn: &mut PgConnection, conference: &Conference) -> anyhow::Result<()> {
    let ended = conference
        .ended_at
        .as_ref()
        .and_then(doithoai_runtime::time::instant)
        .context("an ended conference without its end")?;
    sqlx::query(
        "INSERT INTO conferences_held (id, unit_path, kind, regime, ended_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(Uuid::parse_str(&conference.id)?)
    .bind(&conference.unit_path)
    .bind(ConferenceKind::try_from(conference.kind).unwrap_or_default().as_str_name())
    .bind(Regime::try_from(conference.regime).unwrap_or_default().as_str_name())
    .bind(local_date(ended))
    .execute(conn)
    .await?;
    Ok(())
}

/// From minutes: each petition and what became of it at the conference.
pub struct PetitionFacts;

impl EventHandler for PetitionFacts {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        petition_event(conn, event).await
    }
}

async fn petition_event(conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
    if let Some(recorded) = decode_payload::<PetitionRecorded>(event)? {
        let occurred = event
            .occurred_at
            .as_ref()
            .and_then(doithoai_runtime::time::instant)
            .context("an event without its time")?;
        let escalated_from = Some(recorded.escalated_from_petition_id.as_str())
            .filter(|s| !s.is_empty())
            .map(Uuid::parse_str)
            .transpose()?;
        sqlx::query(
            "INSERT INTO petitions (id, conference_id, unit_path, field, classification, recorded_on, escalated_from)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(Uuid::parse_str(&recorded.petition_id)?)
        .bind(Uuid::parse_str(&recorded.conference_id)?)
        .bind(&event.unit_path)
        .bind(Field::try_from(recorded.field).unwrap_or_default().as_str_name())
        .bind(Classification::try_from(recorded.classification).unwrap_or_default().as_str_name())
        .bind(local_date(occurred))
        .bind(escalated_from)
        .execute(&mut *conn)
        .await?;
        return Ok(());
    }
    let changed = if let Some(answered) = decode_payload::<PetitionAnswered>(event)? {
        Some((answered.petition_id, "ANSWERED"))
    } else if let Some(referred) = decode_payload::<PetitionReferred>(event)? {
        Some((referred.petition_id, "REFERRED"))
    } else {
        decode_payload::<PetitionEscalated>(event)?.map(|e| (e.petition_id, "ESCALATED"))
    };
    let Some((id, outcome)) = changed else { return Ok(()) };
    let updated = sqlx::query("UPDATE petitions SET outcome = $2 WHERE id = $1")
        .bind(Uuid::parse_str(&id)?)
        .bind(outcome)
        .execute(conn)
        .await?;
    // The petition's record comes first in the stream, but an event that
    // failed once is delivered again behind later ones: the outcome waits
    // for it (this event fails, and comes again) rather than being lost.
    if updated.rows_affected() == 0 {
        anyhow::bail!("petition {id} is not recorded here yet: its outcome {outcome} waits for it");
    }
    Ok(())
}
