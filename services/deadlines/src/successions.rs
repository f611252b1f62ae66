//! Work follows the successor.
//!
//! - A reorganisation (UnitsReorganised): an open obligation owed by a unit
//!   that ended moves to the unit that succeeds it — R10.2 notices owed by an
//!   abolished district's office go to the province's office — keeping its
//!   due date, with a line saying why. The periodic dialogue of the year a
//!   head's unit ended is no longer owed, unless held. (Its R13.1 reports of
//!   later periods go with the post, which ends with the unit: the heads'
//!   replica cancels what a term does not reach.)
//!   Open work of a unit that goes on under a new parent follows it there.
//! - An agency's succession (OrganizationSucceeded): the R10.3 responses it
//!   owes pass to the agency that took over its work.

use doithoai_directory as directory;
use doithoai_proto::{
    common::v1::EventEnvelope, directory::v1::UnitsReorganised, scheduling::v1::OrganizationSucceeded,
};
use doithoai_runtime::{consumer::EventHandler, events::decode_payload, outbox::Outbox};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::obligations;

/// The outbox announces the obligations a reorganisation cancels.
pub struct Successions {
    pub outbox: Outbox,
}

impl EventHandler for Successions {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        if let Some(reorganised) = decode_payload::<UnitsReorganised>(event)? {
            units(conn, &self.outbox, (&event.actor, &reorganised)).await
        } else if let Some(succeeded) = decode_payload::<OrganizationSucceeded>(event)? {
            agency(conn, &succeeded).await
        } else {
            Ok(())
        }
    }
}

async fn units(
    conn: &mut PgConnection,
    outbox: &Outbox,
    (actor, reorganised): (&str, &UnitsReorganised),
) -> anyhow::Result<()> {
    let effective: chrono::NaiveDate = reorganised.effective_date.parse()?;
    let last_day = effective.pred_opt().unwrap_or(effective);
    let decision = &reorganised.decision_number;
    // The units that go on under another parent take their open work along.
    obligations::follow_units(conn, effective, decision).await?;
    for ended in &reorganised.retired {
        // A split names several successors; the work goes to the first, and says so.
        let Some(successor) = ended.successor_codes.first() else { continue };
        // The successor's UnitUpserted came first; until it is here, retry.
        let code = directory::parse_code("successor", successor).map_err(|e| anyhow::anyhow!("{e}"))?;
        let path = directory::unit_path(conn, &code).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let unit = &ended.code;
        let why = format!("moved to {successor}: unit {unit} ended on {last_day} ({decision})");
        obligations::move_open(conn, unit, &path, &why).await?;
        let year = chrono::Datelike::year(&last_day);
        let reason =
            format!("R6.2: unit {unit} ended on {last_day} ({decision}); its heads' dialogue of {year} is not owed");
        obligations::cancel_dialogues_of(conn, outbox, (actor, unit), last_day, &reason).await?;
    }
    Ok(())
}

async fn agency(conn: &mut PgConnection, succeeded: &OrganizationSucceeded) -> anyhow::Result<()> {
    let (Some(ended), Some(successor)) = (&succeeded.organization, &succeeded.successor) else {
        anyhow::bail!("OrganizationSucceeded without its agencies");
    };
    let why = format!(
        "moved to {} ({}): {} ended on {} ({})",
        successor.name, successor.id, ended.name, ended.ended_on, ended.decision_number
    );
    obligations::move_to_agency(conn, Uuid::parse_str(&ended.id)?, Uuid::parse_str(&successor.id)?, &why).await?;
    Ok(())
}
