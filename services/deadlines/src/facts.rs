//! The facts the reports count, from the other services' events: each ended
//! conference, and each petition with what became of it at the conference.

use anyhow::Context;
use doithoai_proto::{
    common::v1::{EventEnvelope, Field},
    minutes::v1::{Classification, PetitionAnswered, PetitionEscalated, PetitionRecorded, PetitionReferred},
    scheduling::v1::{Conference, ConferenceKind, Regime},
};
use doithoai_runtime::{
    consumer::{Delivered, EventHandler},
    events::decode_payload,
    time::local_date,
};
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
        match decode_payload::<PetitionRecorded>(event)? {
            Some(recorded) => Records::of(event, &recorded)?.write(conn).await,
            None => outcome(conn, event).await,
        }
    }

    /// The records of a batch's petitions in one statement: a conference
    /// records them by the thousand. An outcome first writes the records
    /// before it, so that it finds its own.
    async fn handle_all(&self, conn: &mut PgConnection, events: &[Delivered<'_>]) -> anyhow::Result<()> {
        let mut records = Records::default();
        for event in events {
            match decode_payload::<PetitionRecorded>(event.envelope)? {
                Some(recorded) => records.push(event.envelope, &recorded)?,
                None => {
                    std::mem::take(&mut records).write(conn).await?;
                    outcome(conn, event.envelope).await?;
                }
            }
        }
        records.write(conn).await
    }
}

/// Petitions as they were recorded, as the columns of one `UNNEST`.
#[derive(Default)]
struct Records {
    ids: Vec<Uuid>,
    conferences: Vec<Uuid>,
    /// Each unit path as a JSON array: `UNNEST` cannot take an array of them.
    unit_paths: Vec<serde_json::Value>,
    fields: Vec<&'static str>,
    classifications: Vec<&'static str>,
    recorded_on: Vec<chrono::NaiveDate>,
    escalated_from: Vec<Option<Uuid>>,
}

impl Records {
    fn of(event: &EventEnvelope, recorded: &PetitionRecorded) -> anyhow::Result<Self> {
        let mut records = Self::default();
        records.push(event, recorded)?;
        Ok(records)
    }

    fn push(&mut self, event: &EventEnvelope, recorded: &PetitionRecorded) -> anyhow::Result<()> {
        let occurred = event
            .occurred_at
            .as_ref()
            .and_then(doithoai_runtime::time::instant)
            .context("an event without its time")?;
        let escalated_from = Some(recorded.escalated_from_petition_id.as_str())
            .filter(|s| !s.is_empty())
            .map(Uuid::parse_str)
            .transpose()?;
        self.ids.push(Uuid::parse_str(&recorded.petition_id)?);
        self.conferences.push(Uuid::parse_str(&recorded.conference_id)?);
        self.unit_paths.push(serde_json::json!(event.unit_path));
        self.fields.push(Field::try_from(recorded.field).unwrap_or_default().as_str_name());
        self.classifications.push(Classification::try_from(recorded.classification).unwrap_or_default().as_str_name());
        self.recorded_on.push(local_date(occurred));
        self.escalated_from.push(escalated_from);
        Ok(())
    }

    async fn write(self, conn: &mut PgConnection) -> anyhow::Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO petitions (id, conference_id, unit_path, field, classification, recorded_on, escalated_from)
             SELECT r.id, r.conference_id, ARRAY(SELECT jsonb_array_elements_text(r.unit_path)), r.field,
                    r.classification, r.recorded_on, r.escalated_from
             FROM UNNEST($1::uuid[], $2::uuid[], $3::jsonb[], $4::text[], $5::text[], $6::date[], $7::uuid[])
                  AS r(id, conference_id, unit_path, field, classification, recorded_on, escalated_from)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&self.ids)
        .bind(&self.conferences)
        .bind(&self.unit_paths)
        .bind(&self.fields)
        .bind(&self.classifications)
        .bind(&self.recorded_on)
        .bind(&self.escalated_from)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// What became of a petition at the conference, if the event says.
async fn outcome(conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
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
