//! Properties of announcement loading: whatever an operator pastes is refused
//! or loaded, never a panic, and what the check accepts makes a calendar that
//! answers for every day it announced.
#![allow(clippy::unwrap_used)]

use chrono::{Datelike, Days, NaiveDate};
use doithoai_calendar::Calendar;
use proptest::{prelude::*, sample::Index};

fn calendar() -> &'static Calendar {
    Calendar::builtin()
}

// ---------------------------------------------------------------------------
// A model of an announcement, written out as TOML.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Day {
    date: String,
    name: String,
    name_en: String,
    kind: Option<String>,
}

#[derive(Debug, Clone)]
struct Announcement {
    id: String,
    document: String,
    issued: String,
    issuer: String,
    source: String,
    replaces: Vec<String>,
    days_off: Vec<Day>,
    worked: Vec<Day>,
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}

fn day_table(day: &Day) -> String {
    let mut fields = vec![
        format!("date = {}", quoted(&day.date)),
        format!("name = {}", quoted(&day.name)),
        format!("name_en = {}", quoted(&day.name_en)),
    ];
    if let Some(kind) = &day.kind {
        fields.push(format!("kind = {}", quoted(kind)));
    }
    format!("{{ {} }}", fields.join(", "))
}

/// The `key = value` lines of one `[[announcement]]` table.
fn lines(a: &Announcement) -> Vec<(String, String)> {
    vec![
        ("id".into(), quoted(&a.id)),
        ("document".into(), quoted(&a.document)),
        ("issued".into(), quoted(&a.issued)),
        ("issuer".into(), quoted(&a.issuer)),
        ("source".into(), quoted(&a.source)),
        ("replaces".into(), list(a.replaces.iter().map(|k| quoted(k)))),
        ("days_off".into(), list(a.days_off.iter().map(day_table))),
        ("worked".into(), list(a.worked.iter().map(day_table))),
    ]
}

fn render(tables: &[Vec<(String, String)>]) -> String {
    let mut text = String::new();
    for table in tables {
        text.push_str("[[announcement]]\n");
        for (key, value) in table {
            text.push_str(&format!("{key} = {value}\n"));
        }
        text.push('\n');
    }
    text
}

fn words() -> impl Strategy<Value = String> {
    "[A-Za-z0-9ĐđÀ-ỹ /.:()-]{0,16}"
}

const GROUPS: [&str; 5] = ["new_year", "tet", "hung_kings", "victory_and_labour", "national_day"];

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A day inside the built-in calendar's horizon.
fn horizon_date() -> impl Strategy<Value = NaiveDate> {
    let (first, last) = calendar().horizon();
    (0..=(last - first).num_days() as u64).prop_map(move |offset| first + Days::new(offset))
}

/// The Saturday or Sunday on or after `date`, if still inside the horizon.
fn weekend_on_or_after(date: NaiveDate) -> NaiveDate {
    let ahead = (5 + 7 - date.weekday().num_days_from_monday() as u64) % 7;
    let saturday = date + Days::new(ahead);
    if saturday > calendar().horizon().1 { saturday - Days::new(7) } else { saturday }
}

/// Dates of every kind: inside the horizon, far before or after it, beyond
/// the lunar calendar's years, not calendar dates at all, not dates at all.
/// `weekend` moves the real dates to a Saturday, as worked days must be.
fn any_date(weekend: bool) -> impl Strategy<Value = String> {
    let shift = move |date: NaiveDate| {
        if weekend { date + Days::new((5 + 7 - date.weekday().num_days_from_monday() as u64) % 7) } else { date }
    };
    prop_oneof![
        4 => horizon_date().prop_map(move |d| iso(shift(d))),
        3 => (1800i32..2300, 1u32..=12, 1u32..=28)
            .prop_map(move |(y, m, d)| iso(shift(NaiveDate::from_ymd_opt(y, m, d).unwrap()))),
        1 => (0i32..=9999, 0u32..=13, 0u32..=32).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => prop::sample::select(vec![
            "+200000-01-01", "+262143-12-31", "-0001-01-01", "2026-4-5", "2026-04-15T00:00:00", "20260415", "",
            "2026-02-29", "2024-02-29",
        ]).prop_map(str::to_owned),
        1 => words(),
    ]
}

/// Group keys of every kind: announced years, years far off, years that
/// overflow, unknown groups, no year.
fn any_group_key() -> impl Strategy<Value = String> {
    let group = prop::sample::select(GROUPS.to_vec());
    prop_oneof![
        4 => (group.clone(), 2019i32..=2031).prop_map(|(g, y)| format!("{g}:{y}")),
        2 => (group.clone(), 1800i32..=2300).prop_map(|(g, y)| format!("{g}:{y}")),
        1 => (group.clone(), any::<i32>()).prop_map(|(g, y)| format!("{g}:{y}")),
        1 => (group, prop::sample::select(vec!["", "+2027", "2027 ", "x", "99999999999", "2147483647"]))
            .prop_map(|(g, y)| format!("{g}:{y}")),
        1 => words(),
    ]
}

fn any_kind() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(
        0.5,
        prop_oneof![prop::sample::select(vec!["holiday", "compensatory", "swapped"]).prop_map(str::to_owned), words(),],
    )
}

fn any_day(weekend: bool) -> impl Strategy<Value = Day> {
    (any_date(weekend), words(), words(), any_kind()).prop_map(|(date, name, name_en, kind)| Day {
        date,
        name,
        name_en,
        kind,
    })
}

fn any_announcement() -> impl Strategy<Value = Announcement> {
    (
        words(),
        words(),
        any_date(false),
        (words(), words()),
        prop::collection::vec(any_group_key(), 0..4),
        prop::collection::vec(any_day(false), 0..4),
        prop::collection::vec(any_day(true), 0..3),
    )
        .prop_map(|(id, document, issued, (issuer, source), replaces, days_off, worked)| Announcement {
            id,
            document,
            issued,
            issuer,
            source,
            replaces,
            days_off,
            worked,
        })
}

/// TOML values of every type, for keys that expect another.
fn any_toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,20}",
        words().prop_map(|w| quoted(&w)),
        prop::sample::select(vec![
            "true",
            "1.5",
            "nan",
            "2026-04-15",
            "2026-04-15T08:00:00+07:00",
            "08:00:00",
            "[]",
            "{}",
            "[1, \"a\"]",
            "[{}]",
            "[{ date = 2026-04-15 }]",
            "'literal'",
            "\"\"\"multi\nline\"\"\"",
            "\"unterminated",
            "",
        ])
        .prop_map(str::to_owned),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Drop(Index),
    Retype(Index, String),
    Extra(String, String),
    Duplicate(Index),
    Junk(Index, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let key = prop_oneof![
        prop::sample::select(vec!["id", "date", "kind", "name", "announcement", "replaces", "x"])
            .prop_map(str::to_owned),
        "[a-z_]{1,10}",
    ];
    prop_oneof![
        any::<Index>().prop_map(Mutation::Drop),
        (any::<Index>(), any_toml_value()).prop_map(|(i, v)| Mutation::Retype(i, v)),
        (key, any_toml_value()).prop_map(|(k, v)| Mutation::Extra(k, v)),
        any::<Index>().prop_map(Mutation::Duplicate),
        (any::<Index>(), "\\PC{0,12}").prop_map(|(i, j)| Mutation::Junk(i, j)),
    ]
}

/// One `[[announcement]]` table, whole or with a few of its lines dropped,
/// retyped, repeated or garbled, or with a key it does not know.
fn any_table() -> impl Strategy<Value = Vec<(String, String)>> {
    (any_announcement(), prop_oneof![2 => Just(vec![]), 1 => prop::collection::vec(mutation(), 1..3)]).prop_map(
        |(announcement, mutations)| {
            let mut table = lines(&announcement);
            for mutation in mutations {
                match mutation {
                    Mutation::Drop(i) if !table.is_empty() => {
                        table.remove(i.index(table.len()));
                    }
                    Mutation::Retype(i, value) if !table.is_empty() => {
                        let at = i.index(table.len());
                        table[at].1 = value;
                    }
                    Mutation::Extra(key, value) => table.push((key, value)),
                    Mutation::Duplicate(i) if !table.is_empty() => {
                        let line = table[i.index(table.len())].clone();
                        table.push(line);
                    }
                    Mutation::Junk(i, junk) if !table.is_empty() => {
                        let at = i.index(table.len());
                        table[at].1.push_str(&junk);
                    }
                    _ => {}
                }
            }
            table
        },
    )
}

fn toml_shaped() -> impl Strategy<Value = String> {
    prop::collection::vec(any_table(), 0..3).prop_map(|tables| render(&tables))
}

/// An announcement an operator would load: documented, issued and dated
/// inside the horizon, worked days on weekends, the groups it replaces
/// named by year (any year from shortly before the horizon to just past the
/// lunar calendar's last, 2100, as an operator might type it).
fn plausible_announcement() -> impl Strategy<Value = Announcement> {
    let group = prop::sample::select(GROUPS.to_vec());
    let key = prop_oneof![
        2 => (group.clone(), 2019i32..=2031).prop_map(|(g, y)| format!("{g}:{y}")),
        2 => (group, 2017i32..=2110).prop_map(|(g, y)| format!("{g}:{y}")),
    ];
    let kind = prop::option::of(prop::sample::select(vec!["holiday", "compensatory", "swapped"]));
    let day_off = (horizon_date(), kind, "[A-Za-zĐđÀ-ỹ ]{1,16}").prop_map(|(date, kind, name)| Day {
        date: iso(date),
        name: name.clone(),
        name_en: name,
        kind: kind.map(str::to_owned),
    });
    let worked = horizon_date().prop_map(|date| Day {
        date: iso(weekend_on_or_after(date)),
        name: "Làm bù".into(),
        name_en: "Worked in exchange".into(),
        kind: None,
    });
    (
        "[a-z0-9-]{1,12}",
        "[A-Za-zĐđÀ-ỹ0-9 /-]{1,24}",
        horizon_date(),
        prop::collection::vec(key, 0..3),
        prop::collection::vec(day_off, 0..4),
        prop::collection::vec(worked, 0..2),
    )
        .prop_map(|(id, document, issued, replaces, days_off, worked)| Announcement {
            id,
            document: format!("Thông báo {document}"),
            issued: iso(issued),
            issuer: "Bộ Nội vụ".into(),
            source: "test".into(),
            replaces,
            days_off,
            worked,
        })
}

/// A plausible announcement issued after every built-in one (so it wins the
/// groups it names), replacing groups of announced years only, with its
/// worked days apart from its days off; its id is often one already taken.
fn newest_announcement() -> impl Strategy<Value = Announcement> {
    let latest = calendar().announcements().iter().map(|a| a.issued).max().unwrap();
    let ids: Vec<String> = calendar().announcements().iter().map(|a| a.id.clone()).collect();
    let id = prop_oneof![3 => prop::sample::select(ids), 1 => "[a-z0-9-]{1,12}"];
    let issued = (1u64..=365).prop_map(move |d| latest + Days::new(d));
    let group = prop::sample::select(GROUPS.to_vec());
    let replaces = prop::collection::vec((group, 2019i32..=2031).prop_map(|(g, y)| format!("{g}:{y}")), 0..3);
    (plausible_announcement(), id, issued, replaces).prop_map(|(mut a, id, issued, replaces)| {
        a.id = id;
        a.issued = iso(issued);
        a.replaces = replaces;
        let off: Vec<String> = a.days_off.iter().map(|d| d.date.clone()).collect();
        a.worked.retain(|d| !off.contains(&d.date));
        a
    })
}

proptest! {
    #[test]
    fn any_text_is_refused_or_checked_never_a_panic(text in any::<String>()) {
        let _ = calendar().check_announcement(&text);
    }

    #[test]
    fn any_toml_shaped_announcement_is_refused_or_checked_never_a_panic(text in toml_shaped()) {
        let _ = calendar().check_announcement(&text);
    }
}

proptest! {
    // Each case rebuilds a calendar from the shipped announcements and the new one.
    #![proptest_config(ProptestConfig { cases: 128, max_shrink_iters: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_refused_or_loaded_never_a_panic(text in any::<String>()) {
        let _ = calendar().with_announcements(&text);
    }

    // Found by this property: an announcement of 2095 or later (or of a
    // year near i32::MAX) panicked in the lunar estimates; such years are
    // now refused.
    #[test]
    fn any_toml_shaped_announcement_is_refused_or_loaded_never_a_panic(text in toml_shaped()) {
        let _ = calendar().with_announcements(&text);
    }

    // The path the deadlines service takes: the check also bounds the years
    // named in `replaces` and caps the horizon, so what it accepts loads.
    #[test]
    fn an_announcement_the_check_accepts_loads_and_its_dates_lie_inside_the_new_horizon(
        announcements in prop::collection::vec(plausible_announcement(), 1..3),
    ) {
        let text = render(&announcements.iter().map(lines).collect::<Vec<_>>());
        if calendar().check_announcement(&text).is_ok() {
            let loaded = calendar().with_announcements(&text);
            prop_assert!(loaded.is_ok(), "accepted, then refused: {:?}\n{}", loaded.err(), text);
            let loaded = loaded.unwrap();
            let (first, last) = loaded.horizon();
            prop_assert!(first <= calendar().horizon().0 && last >= calendar().horizon().1, "the horizon shrank");
            prop_assert_eq!(loaded.revision().announcements, calendar().revision().announcements + announcements.len());
            for announcement in &announcements {
                for day in announcement.days_off.iter().chain(&announcement.worked) {
                    let date: NaiveDate = day.date.parse().unwrap();
                    prop_assert!((first..=last).contains(&date), "{} outside {}..{}", date, first, last);
                    prop_assert!(loaded.day(date).is_ok());
                }
            }
        }
    }

    // Found by this property: a newer announcement reusing an existing id
    // was silently dropped; the check now refuses a reused id.
    #[test]
    fn the_days_a_newer_accepted_announcement_gives_off_are_off_and_its_worked_days_worked(
        announcement in newest_announcement(),
    ) {
        let text = render(&[lines(&announcement)]);
        prop_assume!(calendar().check_announcement(&text).is_ok());
        let loaded = calendar().with_announcements(&text).unwrap();
        for day in &announcement.days_off {
            let date: NaiveDate = day.date.parse().unwrap();
            prop_assert!(!loaded.is_working_day(date).unwrap(), "{} is announced off:\n{}", date, text);
        }
        for day in &announcement.worked {
            let date: NaiveDate = day.date.parse().unwrap();
            prop_assert!(loaded.is_working_day(date).unwrap(), "{} is announced worked:\n{}", date, text);
        }
    }
}
