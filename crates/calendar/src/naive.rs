//! The obvious day-by-day loop over a set of exceptions. Slow, but plain
//! enough to trust: the tests check the calendar against it, and the
//! benchmark measures the calendar beside it.

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::{Calendar, DayKind};

pub struct NaiveCalendar {
    exceptions: HashMap<NaiveDate, DayKind>,
}

impl NaiveCalendar {
    pub fn of(calendar: &Calendar) -> Self {
        Self { exceptions: calendar.exceptions().collect() }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.exceptions.get(&date) {
            Some(kind) => kind.is_working(),
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let (mut date, mut left) = (date, n);
        while left > 0 {
            date = date + Days::new(1);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }
}
