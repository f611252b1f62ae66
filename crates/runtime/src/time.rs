//! Time. Instants are stored in UTC; legal dates are dates in
//! Asia/Ho_Chi_Minh. Services read the time from a [`Clock`] so that tests
//! (and the end-to-end scenario) can move it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

pub const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// An instant as the wire's timestamp.
pub fn timestamp(at: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: at.timestamp(), nanos: at.timestamp_subsec_nanos() as i32 }
}

/// A wire timestamp as an instant (negative nanoseconds read as none); `None` out of range.
pub fn instant(at: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(at.seconds, at.nanos.max(0) as u32)
}

/// The date in Vietnam of an instant.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&ZONE).date_naive()
}

/// The system clock; a clock a test sets and advances; or the system clock
/// shifted by an offset an operator sets (`clock.adjustable`, for rehearsals
/// and the demonstration year).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    source: Source,
    /// Told when the clock is moved, so that whoever waits for the next day
    /// (the deadlines' sweeper) wakes for a moved one at once, not a sweep
    /// interval later, when a rehearsal may have moved on by months.
    moved: Arc<tokio::sync::Notify>,
}

#[derive(Debug, Clone, Default)]
enum Source {
    #[default]
    System,
    Fixed(Arc<Mutex<DateTime<Utc>>>),
    Shifted(Arc<Mutex<TimeDelta>>),
}

fn lock<T: Copy>(value: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    value.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Clock {
    pub fn system() -> Self {
        Self { source: Source::System, moved: Arc::default() }
    }

    /// A clock that stands at `at` until set or advanced.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self { source: Source::Fixed(Arc::new(Mutex::new(at))), moved: Arc::default() }
    }

    /// The system clock until set; from then it runs on from the time set.
    pub fn adjustable() -> Self {
        Self { source: Source::Shifted(Arc::new(Mutex::new(TimeDelta::zero()))), moved: Arc::default() }
    }

    /// Whether [`Clock::set`] moves it.
    pub fn is_adjustable(&self) -> bool {
        !matches!(self.source, Source::System)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.source {
            Source::System => Utc::now(),
            Source::Fixed(at) => *lock(at),
            Source::Shifted(offset) => Utc::now() + *lock(offset),
        }
    }

    pub fn today(&self) -> NaiveDate {
        local_date(self.now())
    }

    /// Moves an adjustable clock; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        match &self.source {
            Source::System => {}
            Source::Fixed(fixed) => *lock(fixed) = at,
            Source::Shifted(offset) => *lock(offset) = at - Utc::now(),
        }
        self.moved.notify_one();
    }

    /// Resolves once the clock has been moved since the last call (or at
    /// its next move).
    pub async fn moved(&self) {
        self.moved.notified().await;
    }

    /// How far an adjustable clock runs from the system clock (zero for the others).
    pub fn offset(&self) -> TimeDelta {
        match &self.source {
            Source::Shifted(offset) => *lock(offset),
            _ => TimeDelta::zero(),
        }
    }

    /// Puts an adjustable clock back at an offset it had (after a restart);
    /// the system and fixed clocks keep their time.
    pub fn resume(&self, offset: TimeDelta) {
        if let Source::Shifted(current) = &self.source {
            *lock(current) = offset;
            self.moved.notify_one();
        }
    }

    pub fn advance(&self, by: TimeDelta) {
        self.set(self.now() + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_dates_are_dates_in_vietnam() {
        // 17:30 UTC on 31 December is already 1 January in Hà Nội.
        let instant = "2025-12-31T17:30:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(local_date(instant), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    }

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let clock = Clock::fixed("2026-01-05T02:00:00Z".parse().unwrap());
        let copy = clock.clone();
        clock.advance(TimeDelta::days(8));
        assert_eq!(copy.today(), NaiveDate::from_ymd_opt(2026, 1, 13).unwrap());
    }

    #[test]
    fn an_adjustable_clock_runs_on_from_the_time_set() {
        let clock = Clock::adjustable();
        assert!((clock.now() - Utc::now()).abs() < TimeDelta::seconds(1));
        let set: DateTime<Utc> = "2025-03-03T02:00:00Z".parse().unwrap();
        clock.clone().set(set);
        let now = clock.now();
        assert!(now >= set && now - set < TimeDelta::seconds(1), "{now}");
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
        assert!(!Clock::system().is_adjustable() && clock.is_adjustable());
        let restarted = Clock::adjustable();
        restarted.resume(clock.offset());
        assert_eq!(restarted.today(), NaiveDate::from_ymd_opt(2025, 3, 3).unwrap());
    }

    #[tokio::test]
    async fn a_moved_clock_wakes_whoever_waits_for_its_next_day() {
        let clock = Clock::adjustable();
        let quiet = tokio::time::timeout(std::time::Duration::from_millis(20), clock.moved()).await;
        assert!(quiet.is_err(), "an unmoved clock wakes nobody");
        let waiting = tokio::spawn({
            let clock = clock.clone();
            async move { clock.moved().await }
        });
        clock.set("2025-07-01T03:00:00Z".parse().unwrap());
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await.unwrap().unwrap();
        // A move while nobody waited is kept for the next wait.
        clock.advance(TimeDelta::days(1));
        tokio::time::timeout(std::time::Duration::from_secs(5), clock.moved()).await.unwrap();
    }
}
