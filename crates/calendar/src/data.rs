//! The government's announcements of days off, as data with their document
//! numbers. `data/announcements.toml` ships with the crate; more can be loaded
//! at run time, which makes a new calendar revision.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::rules::Group;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("announcement data is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("announcement {id}: {message}")]
    Invalid { id: String, message: String },
    #[error("announcement data holds no [[announcement]]")]
    Empty,
    #[error("announcement data is {size} bytes, more than the {limit} a file of announcements needs")]
    TooLarge { size: usize, limit: usize },
}

/// More than any real announcement file (the shipped eight years are 20 KB).
pub const MAX_LOADED_BYTES: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "announcement", default)]
    announcements: Vec<Announcement>,
}

/// One document of the government (or a ministry on its behalf) fixing days
/// off and swapped working days.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    pub id: String,
    /// Number and kind, e.g. `Thông báo số 6150/TB-LĐTBXH`.
    pub document: String,
    pub issued: NaiveDate,
    pub issuer: String,
    /// Where the text can be read.
    pub source: String,
    /// The holiday groups this announcement fixes, e.g. `tet:2026`; their
    /// estimated days are replaced by the days listed here.
    pub replaces: Vec<String>,
    #[serde(default)]
    pub days_off: Vec<AnnouncedDay>,
    /// Weekend days worked in exchange for a swapped day off.
    #[serde(default)]
    pub worked: Vec<AnnouncedDay>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncedDay {
    pub date: NaiveDate,
    pub name: String,
    pub name_en: String,
    /// `holiday` (default), `compensatory` or `swapped`.
    #[serde(default)]
    pub kind: Option<String>,
}

impl Announcement {
    pub(crate) fn groups(&self) -> impl Iterator<Item = (Group, i32)> + '_ {
        self.replaces.iter().filter_map(|key| Group::parse_key(key))
    }
}

/// The last year an announcement may fix: the calendar estimates five years
/// past the last announced one, and one more for a swap across the year's
/// end, from lunar dates that end with [`crate::lunar::LAST_YEAR`].
pub const LAST_ANNOUNCED_YEAR: i32 = crate::lunar::LAST_YEAR - 6;

/// Checks an announcement loaded at run time more strictly than the shipped
/// data: bounded, at least one announcement, each with an id of its own, its
/// document and at least one dated change, every date and holiday group
/// inside `horizon` (and never past [`LAST_ANNOUNCED_YEAR`]).
pub(crate) fn check_loaded(
    text: &str,
    horizon: (NaiveDate, NaiveDate),
    existing: &[Announcement],
) -> Result<(), DataError> {
    if text.len() > MAX_LOADED_BYTES {
        return Err(DataError::TooLarge { size: text.len(), limit: MAX_LOADED_BYTES });
    }
    let announcements = parse(text)?;
    if announcements.is_empty() {
        return Err(DataError::Empty);
    }
    let (first, last) = horizon;
    let last_year = last.year().min(LAST_ANNOUNCED_YEAR);
    let inside = |date: NaiveDate| date >= first && date.year() <= last_year && date <= last;
    for (n, announcement) in announcements.iter().enumerate() {
        let invalid = |message: String| DataError::Invalid { id: announcement.id.clone(), message };
        let reused = existing.iter().chain(&announcements[..n]).any(|a| a.id == announcement.id);
        if announcement.id.trim().is_empty() || reused {
            return Err(invalid("id: each announcement needs an id of its own (a correction too)".into()));
        }
        if announcement.document.trim().is_empty() {
            return Err(invalid("document: the number of the document is required".into()));
        }
        if announcement.days_off.is_empty() && announcement.worked.is_empty() {
            return Err(invalid("days_off, worked: an announcement changes at least one day".into()));
        }
        for day in announcement.days_off.iter().chain(&announcement.worked) {
            if !inside(day.date) {
                return Err(invalid(format!("{}: outside the calendar's horizon {first} to {last}", day.date)));
            }
        }
        for (group, year) in announcement.groups() {
            if !(first.year()..=last_year).contains(&year) {
                return Err(invalid(format!("replaces {}:{year}: outside the calendar's horizon", group.name())));
            }
        }
        if !inside(announcement.issued) {
            return Err(invalid(format!("issued {}: outside the calendar's horizon", announcement.issued)));
        }
    }
    Ok(())
}

/// Parses and checks a file of announcements.
pub(crate) fn parse(text: &str) -> Result<Vec<Announcement>, DataError> {
    let file: File = toml::from_str(text)?;
    for announcement in &file.announcements {
        let invalid = |message: String| DataError::Invalid { id: announcement.id.clone(), message };
        if announcement.replaces.is_empty() && announcement.days_off.is_empty() {
            return Err(invalid("neither replaces a holiday group nor adds a day off".into()));
        }
        for key in &announcement.replaces {
            if Group::parse_key(key).is_none() {
                return Err(invalid(format!("unknown holiday group {key:?} (expected e.g. tet:2026)")));
            }
        }
        for day in &announcement.days_off {
            if !matches!(day.kind.as_deref(), None | Some("holiday" | "compensatory" | "swapped")) {
                return Err(invalid(format!("{}: unknown kind {:?}", day.date, day.kind)));
            }
            if day.kind.as_deref() == Some("swapped") && matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(invalid(format!("{}: a swapped day off must be a weekday", day.date)));
            }
        }
        for day in &announcement.worked {
            if !matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(invalid(format!("{}: a worked day in exchange must be a weekend day", day.date)));
            }
        }
    }
    Ok(file.announcements)
}
