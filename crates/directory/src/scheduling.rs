//! Reading the scheduling service's events, for the services that keep
//! replicas of its conferences, posts and organizations. Each service keeps
//! the columns it needs; the decoding and the post and organization upserts
//! (the same shape everywhere) are here once.

use anyhow::Context;
use doithoai_proto::{
    common::v1::EventEnvelope,
    scheduling::v1::{
        Conference, ConferenceAnnounced, ConferenceCancelled, ConferenceEnded, ConferenceExtended, ConferencePostponed,
        ConferenceStarted, HostDelegated, OrganizationUpserted, PositionUpserted,
    },
};
use prost::{Message, Name};
use sqlx::PgConnection;
use uuid::Uuid;

use doithoai_runtime::events::decode_payload;

/// The conference carried by any conference lifecycle event.
pub fn conference_of(event: &EventEnvelope) -> anyhow::Result<Option<Conference>> {
    fn take<M: Message + Name + Default>(
        event: &EventEnvelope,
        get: impl Fn(M) -> Option<Conference>,
    ) -> anyhow::Result<Option<Conference>> {
        Ok(decode_payload::<M>(event)?.and_then(get))
    }
    let found = take(event, |e: ConferenceAnnounced| e.conference)?
        .or(take(event, |e: ConferenceStarted| e.conference)?)
        .or(take(event, |e: ConferenceExtended| e.conference)?)
        .or(take(event, |e: ConferenceEnded| e.conference)?)
        .or(take(event, |e: ConferenceCancelled| e.conference)?)
        .or(take(event, |e: ConferencePostponed| e.conference)?)
        .or(take(event, |e: HostDelegated| e.conference)?);
    Ok(found)
}

/// Applies PositionUpserted or OrganizationUpserted to the `positions` and
/// `organizations` tables; returns whether the event was one of them. An
/// older event arriving late changes nothing.
pub async fn upsert_directory(conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<bool> {
    let event_id = Uuid::parse_str(&event.event_id)?;
    if let Some(upserted) = decode_payload::<PositionUpserted>(event)? {
        let position = upserted.position.context("PositionUpserted without a position")?;
        sqlx::query(
            "INSERT INTO positions (id, unit_code, subject, body, title, person_name, source_event_id)
             VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET unit_code = EXCLUDED.unit_code, subject = EXCLUDED.subject,
                 body = EXCLUDED.body, title = EXCLUDED.title, person_name = EXCLUDED.person_name,
                 source_event_id = EXCLUDED.source_event_id
             WHERE positions.source_event_id < EXCLUDED.source_event_id",
        )
        .bind(Uuid::parse_str(&position.id)?)
        .bind(&position.unit_code)
        .bind(&position.subject)
        .bind(position.body().as_str_name())
        .bind(&position.title)
        .bind(&position.person_name)
        .bind(event_id)
        .execute(conn)
        .await?;
        return Ok(true);
    }
    if let Some(upserted) = decode_payload::<OrganizationUpserted>(event)? {
        let organization = upserted.organization.context("OrganizationUpserted without an organization")?;
        sqlx::query(
            "INSERT INTO organizations (id, unit_code, name, active, successor_id, kind, head_title, head_name,
                 source_event_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET unit_code = EXCLUDED.unit_code, name = EXCLUDED.name,
                 active = EXCLUDED.active, successor_id = EXCLUDED.successor_id, kind = EXCLUDED.kind,
                 head_title = EXCLUDED.head_title, head_name = EXCLUDED.head_name,
                 source_event_id = EXCLUDED.source_event_id
             WHERE organizations.source_event_id < EXCLUDED.source_event_id",
        )
        .bind(Uuid::parse_str(&organization.id)?)
        .bind(&organization.unit_code)
        .bind(&organization.name)
        .bind(organization.active)
        .bind(Some(organization.successor_id.as_str()).filter(|s| !s.is_empty()).map(Uuid::parse_str).transpose()?)
        .bind(organization.kind().as_str_name())
        .bind(&organization.head_title)
        .bind(&organization.head_name)
        .bind(event_id)
        .execute(conn)
        .await?;
        return Ok(true);
    }
    Ok(false)
}
