//! Requests parsed at the edge: ids, dates, enums and page tokens become
//! domain values once, or the request is INVALID_ARGUMENT naming its field.
//! A date that records something that happened (a referral, a notice sent
//! or received, a response, an escalation, a report filed) is never after
//! the service's today, nor before what it follows.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::error::{Checked, Reason, Refusal};

/// The first day a record can be about: Regulation 1548-QĐ/TU is of 2019.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2019, 1, 1) {
    Some(day) => day,
    None => unreachable!(),
};

use Refusal as R;

fn invalid(field: &str, en: impl Into<String>, vi: impl Into<String>) -> Refusal {
    R::invalid(field, en, vi)
}

/// A text of 1 to `max` characters, trimmed.
pub fn text(field: &str, value: &str, max: usize) -> Checked<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(invalid(
            field,
            format!("{field} must be 1 to {max} characters"),
            format!("{field} phải từ 1 đến {max} ký tự"),
        ));
    }
    Ok(value.to_owned())
}

/// A text that may be left empty, of at most `max` characters, trimmed.
pub fn optional_text(field: &str, value: &str, max: usize) -> Checked<String> {
    if value.trim().is_empty() { Ok(String::new()) } else { text(field, value, max) }
}

pub fn id(field: &str, text: &str) -> Checked<Uuid> {
    Uuid::parse_str(text).map_err(|_| {
        invalid(field, format!("{field} {:?} is not an id", short(text)), format!("{field} không phải mã hợp lệ"))
    })
}

/// An id that may be left empty.
pub fn optional_id(field: &str, text: &str) -> Checked<Option<Uuid>> {
    if text.is_empty() { Ok(None) } else { id(field, text).map(Some) }
}

pub fn date(field: &str, text: &str) -> Checked<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        invalid(
            field,
            format!("{field} {:?} is not a date (YYYY-MM-DD)", short(text)),
            format!("{field} không phải ngày (YYYY-MM-DD)"),
        )
    })
}

/// A date that may be left empty.
pub fn optional_date(field: &str, text: &str) -> Checked<Option<NaiveDate>> {
    if text.is_empty() { Ok(None) } else { date(field, text).map(Some) }
}

/// The date of something that happened: from 2019 up to `today`.
pub fn happened(field: &str, text: &str, today: NaiveDate) -> Checked<NaiveDate> {
    let date = date(field, text)?;
    if date > today {
        return Err(R::new(
            tonic::Code::InvalidArgument,
            Reason::DateInTheFuture,
            format!("{field} {date} is after today ({today}): it records what happened"),
            format!("{field} {date} sau ngày hôm nay ({today}): ngày này ghi nhận việc đã xảy ra"),
        )
        .with_violation(field, "not after today"));
    }
    if date < FIRST_DAY {
        return Err(invalid(
            field,
            format!("{field} {date} is before {FIRST_DAY}"),
            format!("{field} trước {FIRST_DAY}"),
        ));
    }
    Ok(date)
}

/// Refuses a date before the one it follows (a response before its notice's receipt).
pub fn not_before(field: &str, date: NaiveDate, earlier: NaiveDate, what: (&str, &str)) -> Checked<()> {
    if date >= earlier {
        return Ok(());
    }
    let (en, vi) = what;
    Err(R::new(
        tonic::Code::InvalidArgument,
        Reason::DateOutOfOrder,
        format!("{field} {date} is before {en} ({earlier})"),
        format!("{field} {date} trước {vi} ({earlier})"),
    )
    .with_violation(field, format!("not before {earlier}")))
}

/// A protobuf enum value this version knows, `UNSPECIFIED` (0) included.
pub fn known<E: TryFrom<i32>>(field: &str, value: i32) -> Checked<E> {
    E::try_from(value).map_err(|_| {
        invalid(
            field,
            format!("{field} {value} is not a known value"),
            format!("{field} {value} không phải giá trị hợp lệ"),
        )
    })
}

/// An enum used as a filter: 0 is "any", an unknown value is refused.
pub fn filter<E: TryFrom<i32>>(field: &str, value: i32) -> Checked<Option<E>> {
    if value == 0 { Ok(None) } else { known(field, value).map(Some) }
}

/// An enum a write must set: neither 0 nor unknown.
pub fn required<E: TryFrom<i32>>(field: &str, value: i32) -> Checked<E> {
    if value == 0 {
        return Err(invalid(field, format!("{field} must be specified"), format!("chưa chọn {field}")));
    }
    known(field, value)
}

/// The start of a text for a message, never the whole of a huge one.
fn short(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use doithoai_proto::common::v1::Tier;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn a_date_of_what_happened_is_not_after_today() {
        let today = day("2026-03-20");
        assert_eq!(happened("sent_on", "2026-03-20", today).ok(), Some(today));
        let future = happened("sent_on", "9999-12-31", today).unwrap_err();
        assert_eq!(future.code, tonic::Code::InvalidArgument);
        assert!(happened("sent_on", "2018-12-31", today).is_err());
        assert!(happened("sent_on", "20/3/2026", today).is_err());
    }

    #[test]
    fn a_date_does_not_precede_what_it_follows() {
        let received = day("2026-03-23");
        assert!(not_before("responded_on", day("2026-03-23"), received, ("the receipt", "ngày nhận")).is_ok());
        assert!(not_before("responded_on", day("2026-03-22"), received, ("the receipt", "ngày nhận")).is_err());
    }

    #[test]
    fn unknown_enum_values_are_refused_in_writes_and_filters() {
        assert_eq!(filter::<Tier>("tier", 0).ok(), Some(None));
        assert_eq!(filter::<Tier>("tier", 1).ok(), Some(Some(Tier::Province)));
        assert!(filter::<Tier>("tier", 99).is_err());
        assert!(required::<Tier>("tier", 0).is_err());
        assert!(required::<Tier>("tier", 77).is_err());
    }

    #[test]
    fn a_huge_bad_value_is_not_echoed_whole() {
        let error = id("id", &"x".repeat(1 << 20)).unwrap_err();
        assert!(error.to_string().len() < 200);
    }
}
