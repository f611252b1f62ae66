//! The scheduling rules as pure functions: who may host (R2), where and
//! what (R4.2, R5.1), the notice (R7.3), the duration and the secretary
//! (R8.1), the lifecycle, the annual plan (R11.1) and the yearly periodic
//! dialogue (R6.2, R6.3). Each refusal names its rule.

pub mod conference;
pub mod plans;
pub mod posts;
pub mod report;
pub mod units;

use chrono::{DateTime, TimeZone, Utc};
use doithoai_runtime::{Checked, Refusal, time::ZONE};

/// The years plans, reports and lists are about.
pub fn check_year(year: i32) -> Checked {
    if !(2000..=2100).contains(&year) {
        return Err(Refusal::invalid(
            "year",
            format!("year {year} is out of range (2000 to 2100)"),
            format!("năm {year} không hợp lệ (2000 đến 2100)"),
        ));
    }
    Ok(())
}

/// The instants a year spans in Vietnam, from its first midnight to the next year's.
pub fn year_span(year: i32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = |y: i32| ZONE.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().map(|t| t.with_timezone(&Utc));
    Some((start(year)?, start(year + 1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_is_one_of_2000_to_2100_and_spans_it_in_vietnam() {
        assert!(check_year(2026).is_ok());
        assert_eq!(check_year(1999).unwrap_err().id(), "INVALID:year");
        assert_eq!(check_year(2101).unwrap_err().id(), "INVALID:year");
        let (from, to) = year_span(2026).unwrap();
        assert_eq!(
            (from.to_rfc3339(), to.to_rfc3339()),
            ("2025-12-31T17:00:00+00:00".into(), "2026-12-31T17:00:00+00:00".into())
        );
    }
}
