//! The calendar the service computes with: the shipped one plus every
//! announcement loaded since (stored, so a restart or another replica builds
//! the same revision).

use std::sync::{Arc, RwLock};

use doithoai_calendar::Calendar;
use sqlx::{PgConnection, PgPool};

#[derive(Clone)]
pub struct Calendars {
    current: Arc<RwLock<(i64, Arc<Calendar>)>>,
}

impl Calendars {
    pub fn new() -> Self {
        Self { current: Arc::new(RwLock::new((0, Arc::new(Calendar::builtin().clone())))) }
    }

    pub fn current(&self) -> Arc<Calendar> {
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).1.clone()
    }

    /// Rebuilds from the stored announcements when there are more than this
    /// replica has seen.
    pub async fn refresh(&self, pool: &PgPool) -> anyhow::Result<()> {
        let stored: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, toml FROM calendar_announcements ORDER BY id").fetch_all(pool).await?;
        let seen = self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).0;
        let Some(&(last, _)) = stored.last() else { return Ok(()) };
        // What was read may be older than a load this replica made meanwhile.
        if last <= seen {
            return Ok(());
        }
        let mut calendar = Calendar::builtin().clone();
        for (_, toml) in &stored {
            calendar = calendar.with_announcements(toml)?;
        }
        self.replace(last, calendar);
        Ok(())
    }

    /// Takes the calendar of the announcements up to `announcement_id`,
    /// unless a newer one is already current (a refresh that read the stored
    /// announcements before a load committed must not undo it).
    pub fn replace(&self, announcement_id: i64, calendar: Calendar) {
        let mut current = self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if announcement_id >= current.0 {
            *current = (announcement_id, Arc::new(calendar));
        }
    }
}

/// Stores a loaded announcement; one loader at a time, so revisions stack
/// in order. Returns its id.
pub async fn store(conn: &mut PgConnection, toml: &str, revision: &str, loaded_by: &str) -> sqlx::Result<i64> {
    sqlx::query("LOCK TABLE calendar_announcements IN EXCLUSIVE MODE").execute(&mut *conn).await?;
    sqlx::query_scalar(
        "INSERT INTO calendar_announcements (toml, revision, loaded_by) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(toml)
    .bind(revision)
    .bind(loaded_by)
    .fetch_one(conn)
    .await
}

impl Default for Calendars {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_that_read_before_a_load_does_not_undo_it() {
        let calendars = Calendars::new();
        let loaded = Calendar::builtin().clone();
        let revision = |c: &Calendars| c.current().revision().id.clone();
        calendars.replace(2, loaded);
        let after_load = revision(&calendars);
        calendars.replace(1, Calendar::builtin().clone());
        assert_eq!(revision(&calendars), after_load);
        assert_eq!(calendars.current.read().unwrap().0, 2);
    }
}
