//! The SimulatedClock API: served only when a service runs with an
//! adjustable clock, so that an administrator can walk the legal deadlines of
//! a rehearsal or the demonstration year in minutes. Every move is audited.

use chrono::{DateTime, Datelike, Utc};
use doithoai_proto::clock::v1::{GetTimeRequest, SetTimeRequest, Time, simulated_clock_server::SimulatedClock};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::{
    Caller, Change, Checked, Refusal, Role, ServiceResult,
    outbox::Outbox,
    rpc::handle,
    time::{self, Clock},
};

/// The years a clock may be moved to: those of the legal calendar and then some.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

pub struct SimulatedClockService {
    clock: Clock,
    pool: PgPool,
    outbox: Outbox,
}

fn wire(at: DateTime<Utc>) -> Time {
    Time { time: Some(time::timestamp(at)) }
}

/// The instant asked for, if it is one a clock may show.
fn instant(time: Option<&prost_types::Timestamp>) -> Checked<DateTime<Utc>> {
    let asked = time.ok_or_else(|| Refusal::invalid("time", "time is required", "thiếu thời điểm"))?;
    Some(asked)
        .filter(|asked| asked.nanos >= 0)
        .and_then(time::instant)
        .filter(|at| YEARS.contains(&at.year()))
        .ok_or_else(|| {
            Refusal::invalid(
                "time",
                format!("the time must be an instant in the years {} to {}", YEARS.start(), YEARS.end()),
                format!("thời điểm phải thuộc các năm {} đến {}", YEARS.start(), YEARS.end()),
            )
        })
}

impl SimulatedClockService {
    pub fn new(clock: Clock, pool: PgPool, outbox: Outbox) -> Self {
        Self { clock, pool, outbox }
    }

    async fn set_time(&self, caller: Caller, request: SetTimeRequest) -> ServiceResult<Time> {
        // Every service's clock moves together, for the whole deployment.
        caller.require_root_admin()?;
        let to = instant(request.time.as_ref())?;
        let from = self.clock.now();
        let offset = to - chrono::Utc::now();
        let change = Change::of("SetTime", "clock", "clock")
            .before(serde_json::json!({ "time": from }))
            .after(serde_json::json!({ "time": to }));
        let mut tx = self.pool.begin().await?;
        self.outbox.write(&mut tx, &caller, change).await?;
        sqlx::query(
            "INSERT INTO clock_offset (offset_micros, set_by) VALUES ($1, $2)
             ON CONFLICT (only_row) DO UPDATE SET offset_micros = EXCLUDED.offset_micros, set_by = EXCLUDED.set_by, set_at = now()",
        )
        .bind(offset.num_microseconds().unwrap_or_default())
        .bind(&caller.subject)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.clock.set(to);
        tracing::warn!(actor = %caller.subject, %from, %to, "the clock was moved");
        Ok(wire(self.clock.now()))
    }
}

/// Puts an adjustable clock back on the offset last set, so that a restarted
/// service keeps the rehearsal's time instead of returning to the present.
pub async fn resume(clock: &Clock, pool: &PgPool) -> anyhow::Result<()> {
    if !clock.is_adjustable() {
        return Ok(());
    }
    let stored: Option<i64> = sqlx::query_scalar("SELECT offset_micros FROM clock_offset").fetch_optional(pool).await?;
    if let Some(micros) = stored {
        clock.resume(chrono::TimeDelta::microseconds(micros));
        tracing::warn!(now = %clock.now(), "the clock resumes the time an administrator set");
    }
    Ok(())
}

#[tonic::async_trait]
impl SimulatedClock for SimulatedClockService {
    async fn get_time(&self, request: Request<GetTimeRequest>) -> Result<Response<Time>, Status> {
        handle(request, |caller, _| async move {
            caller.require_role(&[Role::Admin])?;
            Ok(wire(self.clock.now()))
        })
        .await
    }

    async fn set_time(&self, request: Request<SetTimeRequest>) -> Result<Response<Time>, Status> {
        handle(request, |caller, request| self.set_time(caller, request)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_moves_only_to_a_plausible_instant() {
        let at = |seconds, nanos| instant(Some(&prost_types::Timestamp { seconds, nanos }));
        assert_eq!(at(1_772_416_800, 0).unwrap().to_rfc3339(), "2026-03-02T02:00:00+00:00");
        assert!(at(1_772_416_800_000, 0).is_err(), "milliseconds taken for seconds");
        assert!(at(i64::MAX, 0).is_err());
        assert!(at(1_772_416_800, -1).is_err());
        assert!(at(1_772_416_800, 1_000_000_000).is_err());
        assert!(instant(None).is_err());
    }
}
