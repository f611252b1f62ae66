//! The annual plan (R11.1): each unit plans its conferences for the year,
//! each hosted by one of the unit's own heads serving in that year (R6.3).

use doithoai_proto::scheduling::v1::{PlannedConference, Rank, Regime};
use doithoai_runtime::{Checked, Refusal};

use super::posts::Post;

/// A planned conference has a regime and a month of the year.
pub fn check_item(item: &PlannedConference) -> Checked {
    if Regime::try_from(item.regime).unwrap_or_default() == Regime::Unspecified || !(1..=12).contains(&item.month) {
        return Err(Refusal::invalid(
            "items",
            "each item needs a regime and a month 1–12",
            "mỗi mục cần chế độ và tháng 1–12",
        ));
    }
    Ok(())
}

/// R11.1 with R6.3: a planned conference is hosted by a head of the plan's
/// unit whose term touches the plan's year.
pub fn r11_1_planned_by_the_units_heads(host: &Post, unit_code: &str, year: i32) -> Checked {
    if host.rank != Rank::Head || host.unit_code != unit_code || !host.serves_in(year) {
        return Err(Refusal::rule(
            "R11.1",
            format!("position {} is not a head of unit {unit_code} in {year}", host.id),
            format!("chức vụ {} không phải người đứng đầu đơn vị {unit_code} trong năm {year}", host.id),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use doithoai_proto::scheduling::v1::Body;
    use uuid::Uuid;

    use super::*;

    fn post(rank: Rank, unit_code: &str, start: &str, end: Option<&str>) -> Post {
        let date = |text: &str| text.parse::<NaiveDate>().unwrap();
        Post {
            id: Uuid::now_v7(),
            unit_code: unit_code.into(),
            body: Body::PeoplesCommittee,
            rank,
            subject: None,
            term_start: date(start),
            term_end: end.map(date),
        }
    }

    #[test]
    fn r11_1_planned_by_the_units_heads_serving_in_the_year() {
        let head = post(Rank::Head, "323", "2021-01-01", Some("2026-03-31"));
        assert!(r11_1_planned_by_the_units_heads(&head, "323", 2026).is_ok());
        assert_eq!(r11_1_planned_by_the_units_heads(&head, "323", 2027).unwrap_err().id(), "R11.1");
        assert_eq!(r11_1_planned_by_the_units_heads(&head, "325", 2026).unwrap_err().id(), "R11.1");
        let deputy = post(Rank::Deputy, "323", "2021-01-01", None);
        assert_eq!(r11_1_planned_by_the_units_heads(&deputy, "323", 2026).unwrap_err().id(), "R11.1");
    }

    #[test]
    fn a_planned_conference_has_a_regime_and_a_month() {
        let item = |regime: Regime, month| PlannedConference { regime: regime as i32, month, ..Default::default() };
        assert!(check_item(&item(Regime::Periodic, 12)).is_ok());
        assert_eq!(check_item(&item(Regime::Unspecified, 5)).unwrap_err().id(), "INVALID:items");
        assert_eq!(check_item(&item(Regime::Periodic, 0)).unwrap_err().id(), "INVALID:items");
        assert_eq!(check_item(&item(Regime::Periodic, 13)).unwrap_err().id(), "INVALID:items");
    }
}
