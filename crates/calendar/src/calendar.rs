//! The calendar: every day of the horizon classified once, with cumulative
//! working-day counts, so that adding or counting working days is a lookup.

use std::{collections::BTreeMap, fmt, sync::OnceLock};

use chrono::{Datelike, Days, NaiveDate};
use sha2::{Digest, Sha256};

use crate::{
    data::{self, Announcement, DataError},
    rules::{self, Group},
};

/// The announcements that ship with the crate.
const BUILTIN: &str = include_str!("../data/announcements.toml");

/// The first day the calendar answers for: the year Regulation 1548-QĐ/TU was issued.
const FIRST_YEAR: i32 = 2019;

/// How many years after the last announced one are estimated (provisional).
const ESTIMATED_YEARS: i32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// Monday to Friday, not a day off.
    Working,
    /// Saturday or Sunday.
    WeeklyRest,
    /// A public holiday (ngày lễ, tết).
    Holiday,
    /// A day off in place of a holiday that fell on a weekend (nghỉ bù).
    Compensatory,
    /// A working day given off in exchange for a worked weekend day (hoán đổi).
    SwappedOff,
    /// A weekend day worked in exchange for a swapped day off (làm bù).
    MakeUpWorkday,
}

impl DayKind {
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Working | DayKind::MakeUpWorkday)
    }

    pub fn describe(self) -> &'static str {
        match self {
            DayKind::Working => "working day",
            DayKind::WeeklyRest => "weekly rest",
            DayKind::Holiday => "public holiday",
            DayKind::Compensatory => "compensatory day off",
            DayKind::SwappedOff => "swapped day off",
            DayKind::MakeUpWorkday => "worked in exchange",
        }
    }
}

/// Where a day's status comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The ordinary week.
    Week,
    /// An announcement, by document number and issue date.
    Announcement { document: String, issued: NaiveDate },
    /// The Labor Code. Provisional in years after the last announcement,
    /// when the government may still fix the days otherwise.
    Rule { law: &'static str, provisional: bool },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Week => f.write_str("the civil service week (Monday–Friday)"),
            Source::Announcement { document, issued } => write!(f, "{document} ({issued})"),
            Source::Rule { law, provisional: false } => f.write_str(law),
            Source::Rule { law, provisional: true } => write!(f, "{law} (estimated: not yet announced)"),
        }
    }
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// Vietnamese and English names, for holidays and exchanged days.
    pub name: Option<(String, String)>,
    pub source: Source,
}

impl Day {
    pub fn provisional(&self) -> bool {
        matches!(self.source, Source::Rule { provisional: true, .. })
    }
}

/// Which data a calendar was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The first 12 hex digits of the SHA-256 of all announcement data.
    pub id: String,
    pub announcements: usize,
    /// The most recently issued document.
    pub latest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YearStatus {
    /// Up to the last announced year: the announcements that fix its
    /// holidays (possibly none, where the Labor Code alone decides).
    Announced { documents: Vec<String> },
    /// After the last announcement: estimated from the Labor Code.
    Provisional,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("{date} is outside the calendar's horizon {first} to {last}")]
    OutsideHorizon { date: NaiveDate, first: NaiveDate, last: NaiveDate },
}

/// A non-working day passed over while counting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub day: Day,
}

/// How a due date was computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub anchor: NaiveDate,
    pub working_days: u32,
    pub due: NaiveDate,
    /// Every non-working day between the anchor and the due date.
    pub skipped: Vec<Skipped>,
    /// Weekend days counted because they were worked in exchange.
    pub make_up_days: Vec<Day>,
    /// Whether any day in the window is estimated rather than announced.
    pub provisional: bool,
    pub revision: String,
}

#[derive(Debug, Clone)]
struct Special {
    kind: DayKind,
    name: String,
    name_en: String,
    source: Source,
}

#[derive(Clone)]
pub struct Calendar {
    first: NaiveDate,
    last: NaiveDate,
    /// Kind of every day of the horizon.
    kinds: Vec<DayKind>,
    /// `working_through[i]`: working days from the first day through day i.
    working_through: Vec<u32>,
    /// Offsets of the working days, in order.
    working_days: Vec<u32>,
    special: BTreeMap<NaiveDate, Special>,
    years: BTreeMap<i32, YearStatus>,
    revision: Revision,
    sources: Vec<String>,
    announcements: Vec<Announcement>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("first", &self.first)
            .field("last", &self.last)
            .field("revision", &self.revision)
            .finish()
    }
}

impl Calendar {
    /// The calendar of the announcements shipped with this crate.
    pub fn builtin() -> &'static Calendar {
        static BUILT: OnceLock<Calendar> = OnceLock::new();
        BUILT.get_or_init(|| {
            Calendar::from_sources(vec![BUILTIN.to_owned()]).expect("the shipped announcements are valid")
        })
    }

    /// A new revision with more announcements (a later or corrected document
    /// for the same holiday replaces the earlier one).
    pub fn with_announcements(&self, text: &str) -> Result<Calendar, DataError> {
        let mut sources = self.sources.clone();
        sources.push(text.to_owned());
        Calendar::from_sources(sources)
    }

    /// Checks an announcement an operator loads before it makes a revision:
    /// see [`data::check_loaded`]. Stored ones are rebuilt without it.
    pub fn check_announcement(&self, text: &str) -> Result<(), DataError> {
        data::check_loaded(text, self.horizon(), &self.announcements)
    }

    /// Whether both calendars classify every day alike: a revision that
    /// changes no day is no revision.
    pub fn same_days(&self, other: &Calendar) -> bool {
        (self.first, self.last) == (other.first, other.last) && self.kinds == other.kinds
    }

    fn from_sources(sources: Vec<String>) -> Result<Calendar, DataError> {
        let mut announcements: Vec<Announcement> = Vec::new();
        for text in &sources {
            announcements.extend(data::parse(text)?);
        }
        // Later documents win over earlier ones for the same group.
        announcements.sort_by_key(|a| a.issued);
        let mut digest = Sha256::new();
        for text in &sources {
            digest.update(text.as_bytes());
        }
        let id: String = digest.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect();
        let revision = Revision {
            id,
            announcements: announcements.len(),
            latest: announcements.last().map(|a| format!("{} ({})", a.document, a.issued)),
        };

        let announced_years = announcements.iter().flat_map(|a| {
            a.groups().map(|(_, year)| year).chain(a.days_off.iter().chain(&a.worked).map(|d| d.date.year()))
        });
        let last_announced = announced_years.max().unwrap_or(FIRST_YEAR);
        // Estimates run past the last announced year on lunar dates that end.
        if last_announced > data::LAST_ANNOUNCED_YEAR {
            let id = announcements.last().map(|a| a.id.clone()).unwrap_or_default();
            let message =
                format!("{last_announced}: after {}, the last year the calendar can hold", data::LAST_ANNOUNCED_YEAR);
            return Err(DataError::Invalid { id, message });
        }
        let first = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("a valid date");
        let last = NaiveDate::from_ymd_opt(last_announced + ESTIMATED_YEARS, 12, 31).expect("a valid date");

        // The latest document for each group wins; documents that name no
        // group add their days (a new kind of holiday, say).
        let mut replaced: BTreeMap<(Group, i32), &Announcement> = BTreeMap::new();
        let mut additions: Vec<&Announcement> = Vec::new();
        for announcement in &announcements {
            if announcement.replaces.is_empty() {
                additions.push(announcement);
            }
            for group in announcement.groups() {
                replaced.insert(group, announcement);
            }
        }
        let mut chosen: Vec<&Announcement> = replaced.values().copied().collect();
        chosen.sort_by_key(|a| (a.issued, a.id.clone()));
        chosen.dedup_by_key(|a| a.id.clone());
        chosen.extend(additions);

        let mut special: BTreeMap<NaiveDate, Special> = BTreeMap::new();
        for announcement in &chosen {
            let source = Source::Announcement { document: announcement.document.clone(), issued: announcement.issued };
            for day in &announcement.days_off {
                let kind = match day.kind.as_deref() {
                    Some("compensatory") => DayKind::Compensatory,
                    Some("swapped") => DayKind::SwappedOff,
                    _ => DayKind::Holiday,
                };
                special.insert(
                    day.date,
                    Special { kind, name: day.name.clone(), name_en: day.name_en.clone(), source: source.clone() },
                );
            }
            for day in &announcement.worked {
                let kind = DayKind::MakeUpWorkday;
                special.insert(
                    day.date,
                    Special { kind, name: day.name.clone(), name_en: day.name_en.clone(), source: source.clone() },
                );
            }
        }
        // The Labor Code for every holiday no announcement fixed, then the
        // days owed for those on a weekend, past every day already off.
        let mut estimated = Vec::new();
        for year in FIRST_YEAR - 1..=last.year() + 1 {
            let source = Source::Rule { law: rules::law(year), provisional: year > last_announced };
            for group in Group::ALL {
                if !replaced.contains_key(&(group, year)) {
                    estimated.extend(rules::holidays(group, year).into_iter().map(|day| (day, source.clone())));
                }
            }
        }
        for (day, source) in &estimated {
            let special_day = Special {
                kind: day.kind,
                name: day.name.clone(),
                name_en: day.name_en.clone(),
                source: source.clone(),
            };
            special.entry(day.date).or_insert(special_day);
        }
        for (day, source) in &estimated {
            let taken = |date: NaiveDate| special.get(&date).is_some_and(|d| !d.kind.is_working());
            if let Some(owed) = rules::compensate(std::slice::from_ref(day), taken).pop() {
                special.insert(
                    owed.date,
                    Special { kind: owed.kind, name: owed.name, name_en: owed.name_en, source: source.clone() },
                );
            }
        }

        let mut years = BTreeMap::new();
        for year in FIRST_YEAR..=last.year() {
            let mut documents: Vec<String> = Vec::new();
            for group in Group::ALL {
                if let Some(announcement) = replaced.get(&(group, year))
                    && !documents.contains(&announcement.document)
                {
                    documents.push(announcement.document.clone());
                }
            }
            let status =
                if year > last_announced { YearStatus::Provisional } else { YearStatus::Announced { documents } };
            years.insert(year, status);
        }

        let length = (last - first).num_days() as usize + 1;
        let mut kinds = Vec::with_capacity(length);
        let mut working_through = Vec::with_capacity(length);
        let mut working_days = Vec::new();
        let mut count = 0u32;
        for offset in 0..length {
            let date = first + Days::new(offset as u64);
            let kind = match special.get(&date) {
                Some(day) => day.kind,
                None if rules::is_weekend(date) => DayKind::WeeklyRest,
                None => DayKind::Working,
            };
            if kind.is_working() {
                count += 1;
                working_days.push(offset as u32);
            }
            kinds.push(kind);
            working_through.push(count);
        }
        special.retain(|date, _| (first..=last).contains(date));
        Ok(Calendar {
            first,
            last,
            kinds,
            working_through,
            working_days,
            special,
            years,
            revision,
            sources,
            announcements,
        })
    }

    /// Every announcement the calendar was built from, oldest first.
    pub fn announcements(&self) -> &[Announcement] {
        &self.announcements
    }

    pub fn revision(&self) -> &Revision {
        &self.revision
    }

    /// The first and last day the calendar answers for.
    pub fn horizon(&self) -> (NaiveDate, NaiveDate) {
        (self.first, self.last)
    }

    pub fn year_status(&self, year: i32) -> Option<&YearStatus> {
        self.years.get(&year)
    }

    fn offset(&self, date: NaiveDate) -> Result<usize, CalendarError> {
        if date < self.first || date > self.last {
            return Err(CalendarError::OutsideHorizon { date, first: self.first, last: self.last });
        }
        Ok((date - self.first).num_days() as usize)
    }

    fn outside(&self, date: NaiveDate) -> CalendarError {
        CalendarError::OutsideHorizon { date, first: self.first, last: self.last }
    }

    pub fn day(&self, date: NaiveDate) -> Result<Day, CalendarError> {
        let kind = self.kinds[self.offset(date)?];
        Ok(match self.special.get(&date) {
            Some(special) => Day {
                date,
                kind: special.kind,
                name: Some((special.name.clone(), special.name_en.clone())),
                source: special.source.clone(),
            },
            None => Day { date, kind, name: None, source: Source::Week },
        })
    }

    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.kinds[self.offset(date)?].is_working())
    }

    /// The `n`-th working day after `date` (the anchor day does not count;
    /// `n = 0` gives the anchor itself).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            self.offset(date)?;
            return Ok(date);
        }
        let ordinal = self.working_through[self.offset(date)?] as usize + n as usize;
        match self.working_days.get(ordinal - 1) {
            Some(&offset) => Ok(self.first + Days::new(u64::from(offset))),
            None => Err(self.outside(self.last + Days::new(1))),
        }
    }

    /// Working days after `from` up to and including `to`; negative when `to`
    /// is before `from`. `working_days_between(d, add_working_days(d, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Result<i64, CalendarError> {
        let (a, b) = (self.offset(from)?, self.offset(to)?);
        Ok(i64::from(self.working_through[b]) - i64::from(self.working_through[a]))
    }

    /// Every day off that is not an ordinary weekend, and every weekend day
    /// worked in exchange, in date order.
    pub fn days_off(&self, year: i32) -> Result<Vec<Day>, CalendarError> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| self.outside(self.last))?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| self.outside(self.last))?;
        self.offset(first)?;
        self.offset(last)?;
        self.special.range(first..=last).map(|(date, _)| self.day(*date)).collect()
    }

    /// The due date `n` working days after `anchor`, with every day skipped
    /// on the way and why.
    pub fn explain(&self, anchor: NaiveDate, n: u32) -> Result<Explanation, CalendarError> {
        let due = self.add_working_days(anchor, n)?;
        let mut skipped = Vec::new();
        let mut make_up_days = Vec::new();
        let mut provisional = false;
        let mut date = anchor;
        while date < due {
            date = date + Days::new(1);
            let day = self.day(date)?;
            provisional |= day.provisional();
            match day.kind {
                DayKind::Working => {}
                DayKind::MakeUpWorkday => make_up_days.push(day),
                _ => skipped.push(Skipped { day }),
            }
        }
        Ok(Explanation {
            anchor,
            working_days: n,
            due,
            skipped,
            make_up_days,
            provisional,
            revision: self.revision.id.clone(),
        })
    }

    /// All days that differ from the ordinary week, for building oracles.
    pub fn exceptions(&self) -> impl Iterator<Item = (NaiveDate, DayKind)> + '_ {
        self.special.iter().map(|(date, day)| (*date, day.kind))
    }
}
