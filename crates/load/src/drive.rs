//! The driver, the same for every workload: the shape of the load, the
//! warm-up, and one histogram of latencies per operation.

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use hdrhistogram::Histogram;
use tokio::time::Instant;

/// What a workload sends: one request at a time, by its sequence number.
pub trait Workload: Send + Sync + 'static {
    /// The names of its operations, which `send` returns the index of.
    fn operations(&self) -> &[&'static str];
    /// Sends the `n`th request: which operation it was, and whether it
    /// succeeded; `None` when it has nothing to send now (a closed loop's
    /// caller then stops; an open loop stops sending).
    fn send(&self, n: u64) -> impl Future<Output = Option<(usize, anyhow::Result<()>)>> + Send;
}

#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Closed { concurrency: usize },
    Open { rate: f64 },
}

pub struct Plan {
    pub shape: Shape,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one operation did while measured.
pub struct Measured {
    pub name: &'static str,
    /// Microseconds, from when the request was due to its answer.
    pub latency: Histogram<u64>,
    pub errors: u64,
    /// The first few errors' texts, to say what went wrong.
    pub first_errors: Vec<String>,
}

pub struct Outcome {
    pub operations: Vec<Measured>,
    /// How long was measured, as it happened.
    pub elapsed: Duration,
}

struct Recorder {
    measuring_from: Instant,
    until: Instant,
    operations: Mutex<Vec<Measured>>,
}

impl Recorder {
    fn record(&self, due: Instant, operation: usize, result: anyhow::Result<()>) {
        if due < self.measuring_from || due >= self.until {
            return;
        }
        let micros = u64::try_from(due.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut operations = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(measured) = operations.get_mut(operation) else { return };
        match result {
            Ok(()) => {
                let _ = measured.latency.record(micros.max(1));
            }
            Err(error) => {
                measured.errors += 1;
                if measured.first_errors.len() < 5 {
                    measured.first_errors.push(format!("{error:#}"));
                }
            }
        }
    }
}

/// Runs `workload` as `plan` says and returns what was measured.
pub async fn drive<W: Workload>(workload: Arc<W>, plan: &Plan) -> Outcome {
    let start = Instant::now();
    let operations = workload
        .operations()
        .iter()
        .map(|name| Measured {
            name,
            // 1 µs to 10 min at 3 significant digits.
            latency: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"),
            errors: 0,
            first_errors: Vec::new(),
        })
        .collect();
    let recorder = Arc::new(Recorder {
        measuring_from: start + plan.warmup,
        until: start + plan.warmup + plan.duration,
        operations: Mutex::new(operations),
    });
    let until = recorder.until;
    match plan.shape {
        Shape::Closed { concurrency } => {
            let callers = (0..concurrency as u64).map(|caller| {
                let (workload, recorder) = (workload.clone(), recorder.clone());
                tokio::spawn(async move {
                    let mut n = caller;
                    while Instant::now() < until {
                        let due = Instant::now();
                        let Some((operation, result)) = workload.send(n).await else { break };
                        recorder.record(due, operation, result);
                        n += concurrency as u64;
                    }
                })
            });
            futures::future::join_all(callers).await;
        }
        Shape::Open { rate } => {
            let every = Duration::from_secs_f64(1.0 / rate);
            let mut in_flight = Vec::new();
            let mut n = 0u64;
            let exhausted = Arc::new(AtomicBool::new(false));
            loop {
                // Each request is due at its own instant, whenever it is sent.
                let due = start + every.mul_f64(n as f64);
                if due >= until || exhausted.load(Ordering::Relaxed) {
                    break;
                }
                tokio::time::sleep_until(due).await;
                let (workload, recorder, exhausted) = (workload.clone(), recorder.clone(), exhausted.clone());
                in_flight.push(tokio::spawn(async move {
                    match workload.send(n).await {
                        Some((operation, result)) => recorder.record(due, operation, result),
                        None => exhausted.store(true, Ordering::Relaxed),
                    }
                }));
                n += 1;
                in_flight.retain(|task| !task.is_finished());
            }
            futures::future::join_all(in_flight).await;
        }
    }
    let elapsed = plan.duration.min(start.elapsed().saturating_sub(plan.warmup));
    let operations = std::mem::take(&mut *recorder.operations.lock().unwrap_or_else(PoisonError::into_inner));
    Outcome { operations, elapsed }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests that take 10 ms; two operations in turn, every tenth request failing.
    struct TenMilliseconds;

    impl Workload for TenMilliseconds {
        fn operations(&self) -> &[&'static str] {
            &["even", "odd"]
        }

        async fn send(&self, n: u64) -> Option<(usize, anyhow::Result<()>)> {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let result = if n % 10 == 9 { Err(anyhow::anyhow!("refused")) } else { Ok(()) };
            Some(((n % 2) as usize, result))
        }
    }

    fn plan(shape: Shape, warmup: u64, duration: u64) -> Plan {
        Plan { shape, warmup: Duration::from_millis(warmup), duration: Duration::from_millis(duration) }
    }

    fn sent(outcome: &Outcome) -> u64 {
        outcome.operations.iter().map(|m| m.latency.len() + m.errors).sum()
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_loop_keeps_each_caller_busy_and_measures_only_after_the_warm_up() {
        let outcome = drive(Arc::new(TenMilliseconds), &plan(Shape::Closed { concurrency: 4 }, 500, 1000)).await;
        // 4 callers × 1 s ÷ 10 ms, the warm-up's 200 requests left out.
        assert_eq!(sent(&outcome), 400);
        assert_eq!(outcome.operations.iter().map(|m| m.errors).sum::<u64>(), 40);
        assert_eq!(outcome.operations[0].first_errors.len(), 0, "the failing ones are odd");
        assert!(outcome.operations[1].first_errors[0].contains("refused"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_loop_sends_at_its_rate_and_counts_latency_from_when_each_was_due() {
        let outcome = drive(Arc::new(TenMilliseconds), &plan(Shape::Open { rate: 200.0 }, 250, 1000)).await;
        assert_eq!(sent(&outcome), 200);
        let even = &outcome.operations[0].latency;
        assert!((10_000..10_100).contains(&even.value_at_quantile(0.99)), "{}", even.value_at_quantile(0.99));
    }

    /// Requests of 10 ms until `left` runs out (a workload whose conferences are all done).
    struct Finite(std::sync::atomic::AtomicU64);

    impl Workload for Finite {
        fn operations(&self) -> &[&'static str] {
            &["step"]
        }

        async fn send(&self, _: u64) -> Option<(usize, anyhow::Result<()>)> {
            self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(1)).ok()?;
            tokio::time::sleep(Duration::from_millis(10)).await;
            Some((0, Ok(())))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_ends_when_the_workload_has_nothing_left_and_counts_only_the_time_it_took() {
        let finite = Arc::new(Finite(std::sync::atomic::AtomicU64::new(30)));
        let outcome = drive(finite.clone(), &plan(Shape::Closed { concurrency: 3 }, 0, 60_000)).await;
        assert_eq!(sent(&outcome), 30);
        // 3 callers, 10 requests each of 10 ms: 100 ms of the minute planned.
        assert_eq!(outcome.elapsed, Duration::from_millis(100));
        let finite = Arc::new(Finite(std::sync::atomic::AtomicU64::new(30)));
        let outcome = drive(finite, &plan(Shape::Open { rate: 100.0 }, 0, 60_000)).await;
        assert_eq!(sent(&outcome), 30);
        assert!(outcome.elapsed < Duration::from_secs(1), "{:?}", outcome.elapsed);
    }
}
