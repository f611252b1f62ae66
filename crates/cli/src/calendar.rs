//! `doithoai calendar …`: Vietnam's legal calendar for other tools and people.
//! Each command prints its result on the first line; bad input is a one-line
//! error and exit code 2.

use std::io::Write;

use chrono::{Datelike, NaiveDate};
use clap::Subcommand;
use doithoai_calendar::{Calendar, Day, YearStatus, solar_to_lunar};

use crate::UsageError;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// The n-th working day after DATE (DATE itself does not count).
    AddWorkingDays {
        date: String,
        #[arg(allow_hyphen_values = true)]
        n: String,
    },
    /// The lunar date of DATE, as day/month/year; a leap month is marked `+` (10/3+/2023).
    Lunar { date: String },
    /// Every day off and every weekend day worked in YEAR, with names and documents.
    Year {
        #[arg(allow_hyphen_values = true)]
        year: String,
    },
    /// The due date n working days after DATE, and every day skipped on the way.
    Explain {
        date: String,
        #[arg(allow_hyphen_values = true)]
        n: String,
    },
}

fn date(text: &str) -> Result<NaiveDate, UsageError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| UsageError(format!("{text:?} is not a date (YYYY-MM-DD)")))
}

fn count(text: &str) -> Result<u32, UsageError> {
    text.parse::<u32>().map_err(|_| UsageError(format!("{text:?} is not a number of working days (0 or more)")))
}

fn usage(error: impl std::fmt::Display) -> UsageError {
    UsageError(error.to_string())
}

pub fn run(command: CalendarCommand) -> anyhow::Result<()> {
    let calendar = Calendar::builtin();
    let mut out = std::io::stdout().lock();
    match command {
        CalendarCommand::AddWorkingDays { date: anchor, n } => {
            let due = calendar.add_working_days(date(&anchor)?, count(&n)?).map_err(usage)?;
            writeln!(out, "{due}")?;
        }
        CalendarCommand::Lunar { date: day } => {
            let day = date(&day)?;
            let lunar = solar_to_lunar(day)
                .ok_or_else(|| usage(format!("{day} is outside the lunar calendar's range 1900–2100")))?;
            writeln!(out, "{lunar}")?;
        }
        CalendarCommand::Year { year } => {
            let year: i32 = year.parse().map_err(|_| usage(format!("{year:?} is not a year")))?;
            let days = calendar.days_off(year).map_err(usage)?;
            let off = days.iter().filter(|d| !d.kind.is_working()).count();
            let worked = days.len() - off;
            let status = match calendar.year_status(year) {
                Some(YearStatus::Announced { documents }) if !documents.is_empty() => {
                    format!("announced in {}", documents.join("; "))
                }
                Some(YearStatus::Announced { .. }) => "by the Labor Code".to_owned(),
                _ => "provisional: estimated from the Labor Code, not yet announced".to_owned(),
            };
            writeln!(
                out,
                "{year}: {off} days off, {worked} weekend days worked ({status}; calendar revision {})",
                calendar.revision().id
            )?;
            for day in &days {
                writeln!(out, "{}", describe(day))?;
            }
        }
        CalendarCommand::Explain { date: anchor, n } => {
            let explanation = calendar.explain(date(&anchor)?, count(&n)?).map_err(usage)?;
            writeln!(out, "{}", explanation.due)?;
            let provisional = if explanation.provisional { ", provisional: includes estimated days" } else { "" };
            writeln!(
                out,
                "{} working days after {} (calendar revision {}{provisional})",
                explanation.working_days, explanation.anchor, explanation.revision
            )?;
            for skipped in &explanation.skipped {
                writeln!(out, "  skipped {}", describe(&skipped.day))?;
            }
            for day in &explanation.make_up_days {
                writeln!(out, "  counted {}", describe(day))?;
            }
        }
    }
    Ok(())
}

fn describe(day: &Day) -> String {
    let weekday = day.date.weekday().to_string();
    let mut line = format!("{} {weekday} {}", day.date, day.kind.describe());
    if let Some((name, name_en)) = &day.name {
        line.push_str(&format!(": {name} / {name_en} — {}", day.source));
    }
    line
}
