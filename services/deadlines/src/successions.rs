//! Work follows the successor (a reorganisation, UnitsReorganised): an open
//! obligation owed by a unit that ended moves to the unit that succeeds it —
//! R10.2 notices owed by an abolished district's office go to the province's
//! office — keeping its due date, with a line saying why; and the periodic
//! dialogue of the year a head's unit ended is no longer owed, unless held.

use doithoai_directory as directory;
use doithoai_proto::{common::v1::EventEnvelope, directory::v1::UnitsReorganised};
use doithoai_runtime::{consumer::EventHandler, events::decode_payload};
use sqlx::PgConnection;

pub struct Successions;

impl EventHandler for Successions {
    async fn handle(&self, conn: &mut PgConnection, event: &EventEnvelope) -> anyhow::Result<()> {
        let Some(reorganised) = decode_payload::<UnitsReorganised>(event)? else { return Ok(()) };
        let effective: chrono::NaiveDate = reorganised.effective_date.parse()?;
        let last_day = effective.pred_opt().unwrap_or(effective);
        for ended in &reorganised.retired {
            // A split names several successors; the work goes to the first, and says so.
            let Some(successor) = ended.successor_codes.first() else { continue };
            // The successor's UnitUpserted came first; until it is here, retry.
            let code = directory::parse_code("successor", successor).map_err(|e| anyhow::anyhow!("{e}"))?;
            let path = directory::unit_path(conn, &code).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let why = format!(
                "moved to {successor}: unit {} ended on {last_day} ({})",
                ended.code, reorganised.decision_number
            );
            crate::obligations::move_open(conn, &ended.code, &path, &why).await?;
            let reason = format!(
                "R6.2: unit {} ended on {last_day} ({}); its heads' dialogue of {} is not owed",
                ended.code,
                reorganised.decision_number,
                chrono::Datelike::year(&last_day)
            );
            crate::obligations::cancel_dialogues_of(conn, &ended.code, last_day, &reason).await?;
        }
        Ok(())
    }
}
