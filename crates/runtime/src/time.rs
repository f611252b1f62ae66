//! Time. Instants are stored in UTC; legal dates are dates in
//! Asia/Ho_Chi_Minh. Services read the time from a [`Clock`] so that tests
//! (and the end-to-end scenario) can move it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

pub const ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// The date in Vietnam of an instant.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&ZONE).date_naive()
}

/// The system clock, or a clock a test sets and advances.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock that stands at `at` until set or advanced.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Self { fixed: Some(Arc::new(Mutex::new(at))) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            Some(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
            None => Utc::now(),
        }
    }

    pub fn today(&self) -> NaiveDate {
        local_date(self.now())
    }

    /// Moves a fixed clock; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.fixed {
            *fixed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
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
}
