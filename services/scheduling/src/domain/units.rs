//! Units in time: a conference is held in units that exist on its date. A
//! unit a reorganisation ended (the districts of July 2025) keeps its
//! history, but nothing new happens in it after its last day.

use chrono::NaiveDate;
use doithoai_runtime::{Checked, Reason, Refusal};
use doithoai_units::{Life, UnitCode};
use tonic::Code;

/// The unit `code` exists on `day`, or the refusal says when it ended (and
/// what succeeded it) or when it begins.
pub fn exists_on(code: &str, life: &Life, day: NaiveDate) -> Checked {
    if life.alive_on(day) {
        return Ok(());
    }
    let successors = life.successors.iter().map(UnitCode::as_str).collect::<Vec<_>>().join(", ");
    let (en, vi) = match (life.from, life.to) {
        (Some(from), _) if day < from => (
            format!("unit {code} begins on {from}, after {day}"),
            format!("đơn vị {code} bắt đầu từ {from}, sau ngày {day}"),
        ),
        (_, Some(to)) => (
            format!("unit {code} ended on {to}, succeeded by {successors}: it does not exist on {day}"),
            format!("đơn vị {code} đã kết thúc ngày {to}, được kế thừa bởi {successors}: không còn tồn tại ngày {day}"),
        ),
        _ => (format!("unit {code} does not exist on {day}"), format!("đơn vị {code} không tồn tại ngày {day}")),
    };
    Err(Refusal::new(Code::FailedPrecondition, Reason::UnitNotInExistence, en, vi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn a_conference_is_held_in_a_unit_that_exists_on_its_date() {
        let district = Life {
            to: Some(day("2025-06-30")),
            successors: vec![UnitCode::parse("33").unwrap_or_else(|_| unreachable!())],
            ..Life::default()
        };
        assert!(exists_on("323", &district, day("2025-06-30")).is_ok());
        let after = exists_on("323", &district, day("2025-07-01")).unwrap_err();
        assert_eq!((after.code, after.id()), (Code::FailedPrecondition, "UNIT_NOT_IN_EXISTENCE".to_owned()));
        assert!(after.en.contains("succeeded by 33"), "{}", after.en);
        let new = Life { from: Some(day("2025-07-01")), ..Life::default() };
        assert!(exists_on("11953", &new, day("2025-06-30")).unwrap_err().en.contains("begins on 2025-07-01"));
        assert!(exists_on("11953", &Life::default(), day("2019-01-01")).is_ok());
    }
}
