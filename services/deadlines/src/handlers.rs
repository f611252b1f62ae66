//! The other services' events that open, re-anchor and close obligations.

use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use doithoai_directory as directory;
use doithoai_directory::scheduling::conference_of;
use doithoai_proto::{
    common::v1::EventEnvelope,
    deadlines::v1::ObligationKind,
    minutes::v1::{ConclusionNoticeIssued, NoticeReceived, PetitionEscalated, ResponseRecorded},
    scheduling::v1::{ConferenceState, Regime},
};
use doithoai_runtime::{Clock, consumer::EventHandler, events::decode_payload, outbox::Outbox, time::local_date};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    calendars::Calendars,
    domain::{Horizon, NOTICE_WORKING_DAYS, RESPONSE_WORKING_DAYS},
    obligations::{self, Opening},
    periodic,
};

fn date(text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").with_context(|| format!("not a date: {text:?}"))
}

fn notice_key(conference: &str) -> String {
    format!("CONCLUSION_NOTICE:{conference}")
}

fn response_key(petition: &str, organization: &str) -> String {
    format!("AGENCY_RESPONSE:{petition}:{organization}")
}

/// The keys of a petition's R10.3 clocks, for its receipt or response. An
/// agency receives and responds only for a petition assigned to it, by the
/// notice or by an escalation, whose event opened the clock before in the
/// stream; but an event that failed once is delivered again behind later
/// ones. With no clock yet, the receipt or response fails and comes again,
/// rather than leave the clock to run when it has been met.
async fn opened_response_keys(conn: &mut PgConnection, petition: &str) -> anyhow::Result<Vec<String>> {
    let keys = obligations::response_keys(conn, Uuid::parse_str(petition)?).await?;
    if keys.is_empty() {
        anyhow::bail!("petition {petition} has no R10.3 clock here yet: the event waits for the one that opens it");
    }
    Ok(keys)
}

/// From scheduling: an ended conference starts the R10.2 clock.
pub struct ConferenceClocks {
    pub calendars: Calendars,
    pub outbox: Outbox,
}

impl EventHandler for ConferenceClocks {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        let Some(conference) = conference_of(event)? else { return Ok(()) };
        if conference.state != ConferenceState::Ended as i32 {
            return Ok(());
        }
        crate::facts::conference_held(conn, &conference).await?;
        let ended = conference
            .ended_at
            .as_ref()
            .and_then(doithoai_runtime::time::instant)
            .context("an ended conference without its end")?;
        let opening = Opening {
            key: notice_key(&conference.id),
            kind: ObligationKind::ConclusionNotice,
            rule: "R10.2",
            unit_path: conference.unit_path.clone(),
            conference_id: Some(Uuid::parse_str(&conference.id)?),
            petition_id: None,
            organization_id: None,
            anchor_date: local_date(ended),
            anchor: "ENDED",
            working_days: NOTICE_WORKING_DAYS,
            head_position_id: None,
        };
        let calendar = self.calendars.current();
        obligations::open(conn, &calendar, &self.outbox, opening).await?;
        // The notice may have been heard first, without the end: its clock now runs from the end.
        obligations::anchor_at_end(conn, &calendar, &notice_key(&conference.id), local_date(ended)).await?;
        // R6.2: a periodic conference meets the accountable head's obligation for its year.
        if conference.regime == Regime::Periodic as i32 {
            let head = Uuid::parse_str(&conference.accountable_position_id)?;
            let ended_on = local_date(ended);
            periodic::ensure(conn, &calendar, &self.outbox, ended_on.year(), Some(head)).await?;
            obligations::close(
                conn,
                &calendar,
                &self.outbox,
                &event.actor,
                &periodic::key(head, ended_on.year()),
                ended_on,
            )
            .await?;
        }
        Ok(())
    }
}

/// From minutes: the notice meets R10.2 and starts R10.3 for each agency;
/// receipt moves that clock; the response meets it; escalation cancels it and
/// opens (and, with the petitioner's notice, closes) R10.4.
pub struct PetitionClocks {
    pub outbox: Outbox,
    pub calendars: Calendars,
    pub clock: Clock,
    pub due_soon_working_days: u32,
}

impl EventHandler for PetitionClocks {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        let calendar = &*self.calendars.current();
        if let Some(issued) = decode_payload::<ConclusionNoticeIssued>(event)? {
            let notice = issued.notice.context("ConclusionNoticeIssued without a notice")?;
            let sent_on = date(&notice.sent_on)?;
            // Normally the conference's end opened R10.2 already; if the notice comes
            // first, open it here from the end the notice carries. If the minutes
            // service did not know the end either, the clock runs from the sending
            // until the end is heard (`anchor_at_end`).
            let ended = issued.conference_ended_at.as_ref().and_then(doithoai_runtime::time::instant);
            let opening = Opening {
                key: notice_key(&notice.conference_id),
                kind: ObligationKind::ConclusionNotice,
                rule: "R10.2",
                unit_path: event.unit_path.clone(),
                conference_id: Some(Uuid::parse_str(&notice.conference_id)?),
                petition_id: None,
                organization_id: None,
                anchor_date: ended.map_or(sent_on, local_date),
                anchor: if ended.is_some() { "ENDED" } else { "SENT" },
                working_days: NOTICE_WORKING_DAYS,
                head_position_id: None,
            };
            obligations::open(conn, calendar, &self.outbox, opening).await?;
            obligations::close(conn, calendar, &self.outbox, &event.actor, &notice_key(&notice.conference_id), sent_on)
                .await?;
            for assignment in &notice.assignments {
                // Until the agency acknowledges, its clock runs from the sending (R10.3).
                let opening = Opening {
                    key: response_key(&assignment.petition_id, &assignment.organization_id),
                    kind: ObligationKind::AgencyResponse,
                    rule: "R10.3",
                    unit_path: event.unit_path.clone(),
                    conference_id: Some(Uuid::parse_str(&notice.conference_id)?),
                    petition_id: Some(Uuid::parse_str(&assignment.petition_id)?),
                    organization_id: Some(Uuid::parse_str(&assignment.organization_id)?),
                    anchor_date: sent_on,
                    anchor: "SENT",
                    working_days: RESPONSE_WORKING_DAYS,
                    head_position_id: None,
                };
                obligations::open(conn, calendar, &self.outbox, opening).await?;
            }
        } else if let Some(received) = decode_payload::<NoticeReceived>(event)? {
            let horizon = Horizon { today: self.clock.today(), due_soon_working_days: self.due_soon_working_days };
            let received_on = date(&received.received_on)?;
            // The petition's clock under whichever agency it is keyed to now:
            // the minutes service accepted the answering agency for the petition
            // (the one assigned or one that succeeded it), and this service may
            // hear the answer before a succession, or between two of a chain.
            for key in opened_response_keys(conn, &received.petition_id).await? {
                obligations::reanchor(conn, calendar, horizon, &key, received_on, "RECEIVED").await?;
            }
        } else if let Some(recorded) = decode_payload::<ResponseRecorded>(event)? {
            let response = recorded.response.context("ResponseRecorded without a response")?;
            let responded_on = date(&response.responded_on)?;
            // As for a receipt: the petition's clock, whoever it is keyed to now.
            for key in opened_response_keys(conn, &recorded.petition_id).await? {
                obligations::close(conn, calendar, &self.outbox, &event.actor, &key, responded_on).await?;
            }
        } else if let Some(escalated) = decode_payload::<PetitionEscalated>(event)? {
            let escalation = escalated.escalation.context("PetitionEscalated without its escalation")?;
            let keys = obligations::response_keys(conn, Uuid::parse_str(&escalated.petition_id)?).await?;
            let reason = format!("R10.4: escalated to unit {}", escalation.to_unit_code);
            for key in keys {
                obligations::cancel(conn, &self.outbox, &event.actor, &key, &reason).await?;
            }
            let occurred = event.occurred_at.as_ref().and_then(doithoai_runtime::time::instant);
            let key = format!("ESCALATION_NOTICE:{}", escalated.petition_id);
            let opening = Opening {
                key: key.clone(),
                kind: ObligationKind::EscalationNotice,
                rule: "R10.4",
                unit_path: event.unit_path.clone(),
                conference_id: Some(Uuid::parse_str(&escalated.conference_id)?),
                petition_id: Some(Uuid::parse_str(&escalated.petition_id)?),
                organization_id: None,
                anchor_date: local_date(occurred.context("an event without its time")?),
                anchor: "ESCALATED",
                working_days: RESPONSE_WORKING_DAYS,
                head_position_id: None,
            };
            obligations::open(conn, calendar, &self.outbox, opening).await?;
            obligations::close(
                conn,
                calendar,
                &self.outbox,
                &event.actor,
                &key,
                date(&escalation.petitioner_notified_on)?,
            )
            .await?;
            // The receiving level handles it as its own petition: its agency's
            // R10.3 clock runs from the escalation.
            if !escalation.to_organization_id.is_empty() {
                let to_unit = directory::parse_code("to_unit_code", &escalation.to_unit_code)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let unit_path = directory::unit_path(conn, &to_unit).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                let opening = Opening {
                    key: response_key(&escalation.escalated_petition_id, &escalation.to_organization_id),
                    kind: ObligationKind::AgencyResponse,
                    rule: "R10.3",
                    unit_path,
                    conference_id: Some(Uuid::parse_str(&escalated.conference_id)?),
                    petition_id: Some(Uuid::parse_str(&escalation.escalated_petition_id)?),
                    organization_id: Some(Uuid::parse_str(&escalation.to_organization_id)?),
                    anchor_date: local_date(occurred.context("an event without its time")?),
                    anchor: "ESCALATED",
                    working_days: RESPONSE_WORKING_DAYS,
                    head_position_id: None,
                };
                obligations::open(conn, calendar, &self.outbox, opening).await?;
            }
        }
        Ok(())
    }
}
