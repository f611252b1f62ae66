//! The SimulatedClock API: served only when a service runs with an
//! adjustable clock, so that an administrator can walk the legal deadlines of
//! a rehearsal or the demonstration year in minutes.

use chrono::DateTime;
use doithoai_proto::clock::v1::{GetTimeRequest, SetTimeRequest, Time, simulated_clock_server::SimulatedClock};
use tonic::{Request, Response, Status};

use crate::{Caller, Role, ServiceError, time::Clock};

pub struct SimulatedClockService {
    clock: Clock,
}

impl SimulatedClockService {
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }

    fn time(&self) -> Time {
        let now = self.clock.now();
        Time {
            time: Some(prost_types::Timestamp { seconds: now.timestamp(), nanos: now.timestamp_subsec_nanos() as i32 }),
        }
    }
}

#[tonic::async_trait]
impl SimulatedClock for SimulatedClockService {
    async fn get_time(&self, request: Request<GetTimeRequest>) -> Result<Response<Time>, Status> {
        Caller::of(&request)?.require_role(&[Role::Admin])?;
        Ok(Response::new(self.time()))
    }

    async fn set_time(&self, request: Request<SetTimeRequest>) -> Result<Response<Time>, Status> {
        Caller::of(&request)?.require_role(&[Role::Admin])?;
        let at = request
            .get_ref()
            .time
            .as_ref()
            .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
            .ok_or_else(|| ServiceError::invalid_argument("time", "time is required", "thiếu thời điểm"))?;
        self.clock.set(at);
        tracing::warn!(%at, "the clock was moved");
        Ok(Response::new(self.time()))
    }
}
