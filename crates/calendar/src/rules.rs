//! Days off estimated from the Labor Code, for years (or holidays) the
//! government has not announced yet.
//!
//! - Bộ luật Lao động 2012, Điều 115 (2013–2020): 1/1; Tết 5 days; Giỗ Tổ
//!   Hùng Vương 10/3 lunar; 30/4; 1/5; 2/9. Khoản 3: a holiday on a weekly
//!   rest day gives a day off on the next day.
//! - Bộ luật Lao động 2019, Điều 112 (from 2021): the same, with 2/9 and one
//!   day before or after it. Điều 111 khoản 3: a weekly rest day that falls on
//!   a holiday is taken on the next working day.
//!
//! The Prime Minister fixes the Tết days and the day beside 2/9 each year;
//! the estimate takes the last day of the lunar year and the first four of
//! the new one, and the day beside 2/9 that makes the longer break.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::{
    calendar::DayKind,
    lunar::{LunarDate, lunar_to_solar},
};

/// A holiday and the days off that come with it; an announcement replaces
/// a whole group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Group {
    NewYear,
    Tet,
    HungKings,
    VictoryAndLabour,
    NationalDay,
}

impl Group {
    pub(crate) const ALL: [Group; 5] =
        [Group::NewYear, Group::Tet, Group::HungKings, Group::VictoryAndLabour, Group::NationalDay];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Group::NewYear => "new_year",
            Group::Tet => "tet",
            Group::HungKings => "hung_kings",
            Group::VictoryAndLabour => "victory_and_labour",
            Group::NationalDay => "national_day",
        }
    }

    /// Parses `tet:2026`.
    pub(crate) fn parse_key(key: &str) -> Option<(Group, i32)> {
        let (name, year) = key.split_once(':')?;
        let group = Group::ALL.into_iter().find(|g| g.name() == name)?;
        Some((group, year.parse().ok()?))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
    pub name_en: String,
}

pub(crate) fn law(year: i32) -> &'static str {
    if year <= 2020 { "Bộ luật Lao động 2012, Điều 115" } else { "Bộ luật Lao động 2019, Điều 112" }
}

pub(crate) fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn day(date: NaiveDate, name: &str, name_en: &str) -> PlannedDay {
    PlannedDay { date, kind: DayKind::Holiday, name: name.to_owned(), name_en: name_en.to_owned() }
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a fixed holiday date exists")
}

/// The holidays of one group in one year by the Labor Code (compensation
/// comes separately, across groups: see [`compensate`]).
pub(crate) fn holidays(group: Group, year: i32) -> Vec<PlannedDay> {
    match group {
        Group::NewYear => vec![day(ymd(year, 1, 1), "Tết Dương lịch", "New Year's Day")],
        Group::Tet => {
            let first = lunar_to_solar(LunarDate { day: 1, month: 1, year, leap: false })
                .expect("every lunar year has a first day");
            let eve = first - Days::new(1);
            (0..5).map(|i| day(eve + Days::new(i), "Tết Nguyên đán", "Lunar New Year")).collect()
        }
        Group::HungKings => {
            let date = lunar_to_solar(LunarDate { day: 10, month: 3, year, leap: false })
                .expect("10/3 exists every lunar year");
            vec![day(date, "Giỗ Tổ Hùng Vương", "Hùng Kings' Commemoration Day")]
        }
        Group::VictoryAndLabour => vec![
            day(ymd(year, 4, 30), "Ngày Chiến thắng", "Reunification Day"),
            day(ymd(year, 5, 1), "Ngày Quốc tế Lao động", "International Labour Day"),
        ],
        Group::NationalDay => {
            let national = ymd(year, 9, 2);
            let mut days = vec![day(national, "Quốc khánh", "National Day")];
            if year >= 2021 {
                let beside = match national.weekday() {
                    // The day that joins 2/9 to a weekend, or else the day after.
                    Weekday::Tue | Weekday::Fri | Weekday::Sat => ymd(year, 9, 1),
                    _ => ymd(year, 9, 3),
                };
                days.push(day(beside, "Quốc khánh (ngày liền kề)", "National Day (adjacent day)"));
                days.sort_by_key(|d| d.date);
            }
            days
        }
    }
}

/// For every holiday on a weekend, in date order, a compensatory day off on
/// the next working day: a weekday that is not already off (`is_off`).
pub(crate) fn compensate(holidays: &[PlannedDay], is_off: impl Fn(NaiveDate) -> bool) -> Vec<PlannedDay> {
    let mut owed: Vec<&PlannedDay> = holidays.iter().filter(|d| is_weekend(d.date)).collect();
    owed.sort_by_key(|d| d.date);
    let mut given: Vec<PlannedDay> = Vec::new();
    for holiday in owed {
        let mut next = holiday.date;
        loop {
            next = next + Days::new(1);
            if !is_weekend(next) && !is_off(next) && given.iter().all(|g| g.date != next) {
                break;
            }
        }
        given.push(PlannedDay {
            date: next,
            kind: DayKind::Compensatory,
            name: format!("Nghỉ bù {}", holiday.name),
            name_en: format!("Compensatory day off for {}", holiday.name_en),
        });
    }
    given
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(days: &[PlannedDay]) -> Vec<String> {
        days.iter().map(|d| d.date.to_string()).collect()
    }

    fn with_compensation(groups: &[Group], year: i32) -> Vec<String> {
        let holidays: Vec<PlannedDay> = groups.iter().flat_map(|g| holidays(*g, year)).collect();
        let taken: Vec<NaiveDate> = holidays.iter().map(|d| d.date).collect();
        let mut all = dates(&holidays);
        all.extend(dates(&compensate(&holidays, |d| taken.contains(&d))));
        all
    }

    #[test]
    fn tet_is_the_eve_and_four_days() {
        // Tết 2027: 1/1 lunar is Saturday 6 February 2027.
        assert_eq!(
            dates(&holidays(Group::Tet, 2027)),
            ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09"]
        );
    }

    #[test]
    fn weekend_days_of_tet_are_given_back_after_it() {
        let days = with_compensation(&[Group::Tet], 2027);
        assert_eq!(days[5..], ["2027-02-10", "2027-02-11"]);
    }

    #[test]
    fn a_holiday_on_a_weekend_gives_the_next_working_day_off() {
        // 1/1/2028 is a Saturday.
        assert_eq!(with_compensation(&[Group::NewYear], 2028), ["2028-01-01", "2028-01-03"]);
    }

    #[test]
    fn compensation_skips_other_holidays() {
        // 2023: Giỗ Tổ 29/4 (Saturday), 30/4 (Sunday), 1/5 (Monday): the two
        // days owed fall on 2/5 and 3/5, past Labour Day.
        let days = with_compensation(&[Group::HungKings, Group::VictoryAndLabour], 2023);
        assert_eq!(days, ["2023-04-29", "2023-04-30", "2023-05-01", "2023-05-02", "2023-05-03"]);
    }

    #[test]
    fn national_day_has_one_adjacent_day_from_2021_only() {
        assert_eq!(dates(&holidays(Group::NationalDay, 2020)), ["2020-09-02"]);
        // 2/9/2027 is a Thursday: Friday 3/9 joins it to the weekend.
        assert_eq!(dates(&holidays(Group::NationalDay, 2027)), ["2027-09-02", "2027-09-03"]);
        // 2/9/2029 is a Sunday: Monday 3/9, and Tuesday for the Sunday.
        assert_eq!(with_compensation(&[Group::NationalDay], 2029), ["2029-09-02", "2029-09-03", "2029-09-04"]);
    }

    #[test]
    fn hung_kings_day_follows_the_lunar_calendar() {
        // 10/3 lunar 2027 is 16 April 2027.
        assert_eq!(dates(&holidays(Group::HungKings, 2027)), ["2027-04-16"]);
    }
}
