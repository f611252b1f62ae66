//! PostgreSQL: one database per service, created when missing, migrated at
//! start-up with the plumbing's migrations and the service's own.

use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::{
    Connection, Executor, PgConnection, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use crate::settings::{Settings, valid_database_name};

/// How a transaction holds a row it reads, until it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowLock {
    /// Not held: a read alone.
    None,
    /// Kept as it is: a step that only needs the row unchanged (a petition
    /// needs the minutes open) shares it with steps like it, so they run side
    /// by side, and a change waits for them all.
    Shared,
    /// Held for a change: every other holder waits.
    Exclusive,
}

impl RowLock {
    /// The locking clause to end a `SELECT` with.
    pub fn sql(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Shared => " FOR SHARE",
            Self::Exclusive => " FOR UPDATE",
        }
    }
}

/// Outbox, inbox, dead letters and audit log: every service has them.
pub fn plumbing_migrations() -> Migrator {
    sqlx::migrate!("migrations/plumbing")
}

/// Connects to the service's database, creating and migrating it. The
/// migrators share one history table, so their versions must not overlap.
pub async fn connect(settings: &Settings, service: &str, migrators: Vec<Migrator>) -> anyhow::Result<PgPool> {
    let name = settings.database_name(service);
    let server: PgConnectOptions =
        settings.database.url.expose_secret().parse().context("invalid setting `database.url`")?;
    ensure_database(&server, &name).await?;
    let pool = PgPoolOptions::new()
        .max_connections(settings.database.max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // No ping before each use: a round trip per transaction, and a dead
        // connection fails its first statement anyway, which the pool then
        // closes (a retried request gets a fresh one).
        .test_before_acquire(false)
        .connect_with(server.database(&name))
        .await
        .with_context(|| format!("cannot connect to database {name}"))?;
    for mut migrator in migrators {
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await.with_context(|| format!("cannot migrate database {name}"))?;
    }
    Ok(pool)
}

/// Creates the database when it does not exist yet (two replicas starting at
/// once may race; the loser finds it created).
pub async fn ensure_database(server: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(valid_database_name(name), "invalid database name {name:?}");
    let mut conn = PgConnection::connect_with(&server.clone().database("postgres"))
        .await
        .context("cannot connect to PostgreSQL (setting `database.url`)")?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        match conn.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await {
            Ok(_) => tracing::info!(database = name, "created database"),
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e).context(format!("cannot create database {name}")),
        }
    }
    Ok(())
}
