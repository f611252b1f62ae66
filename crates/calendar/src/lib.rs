//! Vietnam's legal calendar for the civil service: the lunar calendar, public
//! holidays by the Labor Code, the government's yearly announcements of days
//! off and swapped working days, and working-day arithmetic for deadlines
//! (R10.2: 10 working days; R10.3: 30 working days).
//!
//! A year with announcements uses them; a later year is estimated from the
//! Labor Code and marked provisional; a date past the horizon is an error.
//! Every calendar has a revision: new announcements make a new revision, and
//! each answer says which revision it came from.

mod calendar;
mod data;
pub mod lunar;
pub mod naive;
mod rules;

pub use calendar::{Calendar, CalendarError, Day, DayKind, Explanation, Revision, Skipped, Source, YearStatus};
pub use data::{AnnouncedDay, Announcement, DataError};
pub use lunar::{LunarDate, lunar_to_solar, solar_to_lunar};
