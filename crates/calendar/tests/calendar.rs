//! The legal calendar: every announced year, the issue's examples, the
//! estimate for later years, revisions, and properties against the naive loop.
#![allow(clippy::unwrap_used)]

use chrono::{Days, NaiveDate};
use doithoai_calendar::{Calendar, CalendarError, DayKind, Source, YearStatus, naive::NaiveCalendar};
use proptest::prelude::*;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn calendar() -> &'static Calendar {
    Calendar::builtin()
}

/// Days off (not ordinary weekends) and worked weekend days of a year.
fn exceptions(year: i32) -> (Vec<String>, Vec<String>) {
    let days = calendar().days_off(year).unwrap();
    let off = days.iter().filter(|d| !d.kind.is_working()).map(|d| d.date.to_string()).collect();
    let worked = days.iter().filter(|d| d.kind == DayKind::MakeUpWorkday).map(|d| d.date.to_string()).collect();
    (off, worked)
}

fn off_on_weekdays(year: i32) -> Vec<String> {
    let days = calendar().days_off(year).unwrap();
    days.iter()
        .filter(|d| !d.kind.is_working() && !matches!(d.date.format("%a").to_string().as_str(), "Sat" | "Sun"))
        .map(|d| d.date.to_string())
        .collect()
}

#[test]
fn the_issue_examples() {
    assert_eq!(calendar().add_working_days(date("2025-04-28"), 3).unwrap(), date("2025-05-06"));
    let explained = calendar().explain(date("2025-12-23"), 10).unwrap();
    assert_eq!(explained.due, date("2026-01-08"));
    let skipped: Vec<String> = explained.skipped.iter().map(|s| s.day.date.to_string()).collect();
    assert_eq!(skipped, ["2025-12-27", "2025-12-28", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]);
    let swap = &explained.skipped[3].day;
    assert_eq!(swap.kind, DayKind::SwappedOff);
    assert!(matches!(&swap.source, Source::Announcement { document, .. } if document == "Công văn số 12729/VPCP-KGVX"));
}

#[test]
fn weekdays_off_in_each_announced_year() {
    let expected: [(i32, &[&str]); 8] = [
        (
            2019,
            &[
                "2019-01-01",
                "2019-02-04",
                "2019-02-05",
                "2019-02-06",
                "2019-02-07",
                "2019-02-08",
                "2019-04-15",
                "2019-04-29",
                "2019-04-30",
                "2019-05-01",
                "2019-09-02",
            ],
        ),
        (
            2020,
            &[
                "2020-01-01",
                "2020-01-23",
                "2020-01-24",
                "2020-01-27",
                "2020-01-28",
                "2020-01-29",
                "2020-04-02",
                "2020-04-30",
                "2020-05-01",
                "2020-09-02",
            ],
        ),
        (
            2021,
            &[
                "2021-01-01",
                "2021-02-10",
                "2021-02-11",
                "2021-02-12",
                "2021-02-15",
                "2021-02-16",
                "2021-04-21",
                "2021-04-30",
                "2021-05-03",
                "2021-09-02",
                "2021-09-03",
            ],
        ),
        (
            2022,
            &[
                "2022-01-03",
                "2022-01-31",
                "2022-02-01",
                "2022-02-02",
                "2022-02-03",
                "2022-02-04",
                "2022-04-11",
                "2022-05-02",
                "2022-05-03",
                "2022-09-01",
                "2022-09-02",
            ],
        ),
        (
            2023,
            &[
                "2023-01-02",
                "2023-01-20",
                "2023-01-23",
                "2023-01-24",
                "2023-01-25",
                "2023-01-26",
                "2023-05-01",
                "2023-05-02",
                "2023-05-03",
                "2023-09-01",
                "2023-09-04",
            ],
        ),
        (
            2024,
            &[
                "2024-01-01",
                "2024-02-08",
                "2024-02-09",
                "2024-02-12",
                "2024-02-13",
                "2024-02-14",
                "2024-04-18",
                "2024-04-29",
                "2024-04-30",
                "2024-05-01",
                "2024-09-02",
                "2024-09-03",
            ],
        ),
        (
            2025,
            &[
                "2025-01-01",
                "2025-01-27",
                "2025-01-28",
                "2025-01-29",
                "2025-01-30",
                "2025-01-31",
                "2025-04-07",
                "2025-04-30",
                "2025-05-01",
                "2025-05-02",
                "2025-09-01",
                "2025-09-02",
            ],
        ),
        (
            2026,
            &[
                "2026-01-01",
                "2026-01-02",
                "2026-02-16",
                "2026-02-17",
                "2026-02-18",
                "2026-02-19",
                "2026-02-20",
                "2026-04-27",
                "2026-04-30",
                "2026-05-01",
                "2026-08-31",
                "2026-09-01",
                "2026-09-02",
            ],
        ),
    ];
    for (year, days) in expected {
        assert_eq!(off_on_weekdays(year), days, "{year}");
        assert!(matches!(calendar().year_status(year), Some(YearStatus::Announced { .. })), "{year}");
    }
}

#[test]
fn saturdays_worked_in_exchange_are_working_days() {
    for (year, worked) in [
        (2019, vec!["2019-01-05", "2019-05-04"]),
        (2024, vec!["2024-05-04"]),
        (2025, vec!["2025-04-26"]),
        (2026, vec!["2026-01-10", "2026-08-22"]),
    ] {
        assert_eq!(exceptions(year).1, worked, "{year}");
        for day in worked {
            assert!(calendar().is_working_day(date(day)).unwrap(), "{day}");
        }
    }
    // Counting across a worked Saturday: Friday 25 April 2025 + 1 is Saturday 26 April.
    assert_eq!(calendar().add_working_days(date("2025-04-25"), 1).unwrap(), date("2025-04-26"));
}

#[test]
fn a_swap_crosses_the_year_boundary() {
    // New Year 2026: Friday 2 January off, Saturday 10 January worked.
    let explained = calendar().explain(date("2025-12-31"), 6).unwrap();
    assert_eq!(explained.due, date("2026-01-10"));
    assert_eq!(explained.make_up_days.len(), 1);
}

#[test]
fn years_after_the_last_announcement_are_provisional_estimates() {
    assert_eq!(calendar().year_status(2027), Some(&YearStatus::Provisional));
    let tet = calendar().day(date("2027-02-08")).unwrap();
    assert_eq!(tet.kind, DayKind::Holiday);
    assert!(tet.provisional());
    assert!(calendar().explain(date("2027-02-01"), 10).unwrap().provisional);
    assert!(!calendar().explain(date("2026-02-01"), 10).unwrap().provisional);
    // A rule-based day in an announced year is law, not an estimate.
    assert!(!calendar().day(date("2026-04-27")).unwrap().provisional());
}

#[test]
fn outside_the_horizon_is_an_error_never_a_guess() {
    let (first, last) = calendar().horizon();
    assert_eq!((first, last), (date("2019-01-01"), date("2031-12-31")));
    assert!(matches!(calendar().is_working_day(date("2032-01-01")), Err(CalendarError::OutsideHorizon { .. })));
    assert!(calendar().add_working_days(date("2018-12-31"), 1).is_err());
    assert!(calendar().add_working_days(date("2031-12-30"), 30).is_err(), "the due date would be past the horizon");
    assert!(calendar().days_off(2032).is_err());
}

#[test]
fn a_new_announcement_makes_a_new_revision() {
    let before = calendar();
    let culture_day = r#"
        [[announcement]]
        id = "2027-culture-day"
        document = "Luật sửa đổi Bộ luật Lao động (hypothetical)"
        issued = "2026-12-01"
        issuer = "Quốc hội"
        source = "test"
        replaces = []
        days_off = [{ date = "2027-11-24", name = "Ngày Văn hóa Việt Nam", name_en = "Vietnamese Culture Day" }]
    "#;
    let after = before.with_announcements(culture_day).unwrap();
    assert_ne!(before.revision().id, after.revision().id);
    assert_eq!(after.revision().announcements, before.revision().announcements + 1);
    assert!(before.is_working_day(date("2027-11-24")).unwrap());
    assert!(!after.is_working_day(date("2027-11-24")).unwrap());
    assert_eq!(after.explain(date("2027-11-23"), 1).unwrap().revision, after.revision().id);
    assert_eq!(after.explain(date("2027-11-23"), 1).unwrap().due, date("2027-11-25"));
}

#[test]
fn a_later_document_replaces_an_earlier_one_for_the_same_holiday() {
    let correction = r#"
        [[announcement]]
        id = "2027-national-day"
        document = "Thông báo (test)"
        issued = "2027-06-01"
        issuer = "Bộ Nội vụ"
        source = "test"
        replaces = ["national_day:2027"]
        days_off = [
          { date = "2027-09-02", name = "Quốc khánh", name_en = "National Day" },
          { date = "2027-09-01", name = "Quốc khánh (ngày liền kề)", name_en = "National Day (adjacent day)" },
        ]
    "#;
    let after = calendar().with_announcements(correction).unwrap();
    assert!(calendar().is_working_day(date("2027-09-01")).unwrap());
    assert!(!after.is_working_day(date("2027-09-01")).unwrap());
    assert!(after.is_working_day(date("2027-09-03")).unwrap(), "the estimate's 3/9 is gone");
}

#[test]
fn bad_announcement_data_is_refused_with_its_id() {
    let bad = r#"
        [[announcement]]
        id = "bad"
        document = "x"
        issued = "2026-01-01"
        issuer = "x"
        source = "x"
        replaces = ["tet:2027"]
        worked = [{ date = "2027-02-10", name = "x", name_en = "x" }]
    "#;
    let error = calendar().with_announcements(bad).unwrap_err().to_string();
    assert!(error.contains("announcement bad") && error.contains("weekend"), "{error}");
    assert!(calendar().with_announcements("[[announcement]]\nid = 1").is_err());
}

/// An announcement of one extra day off, as an operator loads it.
fn extra_day_off(date: &str) -> String {
    format!(
        r#"
        [[announcement]]
        id = "extra-{date}"
        document = "Thông báo (kiểm thử)"
        issued = "2026-04-01"
        issuer = "Bộ Nội vụ"
        source = "test"
        replaces = []
        days_off = [{{ date = "{date}", name = "Ngày nghỉ", name_en = "Day off" }}]
        "#
    )
}

#[test]
fn a_loaded_announcement_must_change_a_dated_day_inside_the_horizon() {
    let check = |text: &str| calendar().check_announcement(text).map_err(|e| e.to_string());
    assert!(check(&extra_day_off("2026-04-15")).is_ok());
    assert_eq!(check("").unwrap_err(), "announcement data holds no [[announcement]]");
    assert!(check(&format!("a = \"{}\"", "x".repeat(1 << 20))).unwrap_err().contains("more than"));
    let unknown = check("a = \"xxx\"").unwrap_err();
    assert!(unknown.contains("unknown field `a`") && unknown.contains("line 1"), "{unknown}");
    let undated = extra_day_off("2026-04-15")
        .replace(r#"days_off = [{ date = "2026-04-15", name = "Ngày nghỉ", name_en = "Day off" }]"#, "");
    assert!(check(&undated).unwrap_err().contains("adds a day off"));
    let group_only = undated.replace("replaces = []", r#"replaces = ["tet:2027"]"#);
    assert!(check(&group_only).unwrap_err().contains("changes at least one day"));
    assert!(check(&extra_day_off("2032-01-05")).unwrap_err().contains("horizon"));
    assert!(check(&extra_day_off("2018-06-05")).unwrap_err().contains("horizon"));
    let undocumented = extra_day_off("2026-04-15").replace("Thông báo (kiểm thử)", " ");
    assert!(check(&undocumented).unwrap_err().contains("document"));
}

#[test]
fn an_announcement_of_a_day_already_off_changes_no_day() {
    // 2 September 2026 is National Day already.
    let again = calendar().with_announcements(&extra_day_off("2026-09-02")).unwrap();
    assert!(again.same_days(calendar()));
    let moved = calendar().with_announcements(&extra_day_off("2026-04-15")).unwrap();
    assert!(!moved.same_days(calendar()));
}

#[test]
fn days_off_have_names_and_sources() {
    let days = calendar().days_off(2026).unwrap();
    let tet = days.iter().find(|d| d.date == date("2026-02-17")).unwrap();
    assert_eq!(tet.name.as_ref().unwrap().0, "Tết Nguyên đán (mùng 1)");
    assert!(matches!(&tet.source, Source::Announcement { document, .. } if document == "Thông báo số 9441/TB-BNV"));
    let compensation = days.iter().find(|d| d.date == date("2026-04-27")).unwrap();
    assert_eq!(compensation.kind, DayKind::Compensatory);
    assert_eq!(compensation.name.as_ref().unwrap().0, "Nghỉ bù Giỗ Tổ Hùng Vương");
}

fn horizon_day() -> impl Strategy<Value = NaiveDate> {
    let (first, last) = calendar().horizon();
    let span = (last - first).num_days() as u64 - 200;
    (0..span).prop_map(move |offset| first + Days::new(offset))
}

proptest! {
    #[test]
    fn adding_then_counting_gives_back_n(day in horizon_day(), n in 0u32..120) {
        let due = calendar().add_working_days(day, n).unwrap();
        prop_assert_eq!(calendar().working_days_between(day, due).unwrap(), i64::from(n));
        prop_assert!(n == 0 || calendar().is_working_day(due).unwrap());
    }

    #[test]
    fn the_precomputed_calendar_agrees_with_the_naive_loop(day in horizon_day(), n in 0u32..120) {
        let naive = NaiveCalendar::of(calendar());
        prop_assert_eq!(calendar().add_working_days(day, n).unwrap(), naive.add_working_days(day, n));
        prop_assert_eq!(calendar().is_working_day(day).unwrap(), naive.is_working_day(day));
    }

    #[test]
    fn a_revision_that_changes_no_day_changes_no_due_date(day in horizon_day(), n in 0u32..120) {
        let again = calendar().with_announcements(&extra_day_off("2026-09-02")).unwrap();
        prop_assert_eq!(again.add_working_days(day, n).unwrap(), calendar().add_working_days(day, n).unwrap());
    }

    #[test]
    fn counting_is_antisymmetric(a in horizon_day(), b in horizon_day()) {
        let forward = calendar().working_days_between(a, b).unwrap();
        prop_assert_eq!(forward, -calendar().working_days_between(b, a).unwrap());
    }
}
