//! Helpers for the tests of every service: a private NATS server that a test
//! can stop and restart, fresh databases, settings and tokens. Tests run
//! against real PostgreSQL and real NATS, never mocks of them.

use std::{
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    process::Stdio,
    time::Duration,
};

use anyhow::Context;
use figment::Figment;
use secrecy::ExposeSecret;
use sqlx::{Connection, Executor, PgConnection, postgres::PgConnectOptions};
use tokio::process::{Child, Command};

use crate::{
    auth::{Role, TokenSigner},
    settings::{Ports, Settings},
};

/// The repository's root.
pub fn repo_root() -> PathBuf {
    // Cargo runs a test in its package's folder: the workspace is the nearest
    // folder above with the lock file. (The path compiled in may be another
    // checkout's when checkouts share one target folder.)
    let here = std::env::current_dir().ok();
    let found = here.as_deref().and_then(|d| d.ancestors().find(|a| a.join("Cargo.lock").is_file()).map(Into::into));
    found.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

pub fn dev_key(name: &str) -> PathBuf {
    repo_root().join("deploy/local/dev-keys").join(name)
}

/// PostgreSQL server URL for tests: `DOITHOAI_TEST_DATABASE_URL` or the local one.
pub fn database_url() -> String {
    std::env::var("DOITHOAI_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A database name no other test uses.
pub fn unique_database(service: &str) -> String {
    format!("test_{}_{service}", &uuid::Uuid::now_v7().simple().to_string()[20..])
}

pub async fn drop_database(name: &str) -> anyhow::Result<()> {
    let options: PgConnectOptions = database_url().parse()?;
    let mut conn = PgConnection::connect_with(&options.database("postgres")).await?;
    conn.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await?;
    Ok(())
}

/// The deployment's root unit in tests: Hưng Yên, whose units the tests import.
pub const ROOT_UNIT: &str = "33";

/// Settings for one service under test: its own database, random ports, the
/// development key, and the given NATS.
pub fn settings(database: &str, nats_url: &str) -> Settings {
    let figment: Figment = Settings::defaults(Ports::ANY)
        .merge(("database.url", database_url()))
        .merge(("database.name", database))
        // The connection budget of the suite on a PostgreSQL of 100: cargo runs
        // one test binary at a time, two tests at a time in it (its threads on
        // 2 cores); at most a stack of four services with 5 pooled connections,
        // a LISTEN and the relay's own each, plus 2 for the test's own reads,
        // per test: 2 × (4 × 7 + 2) = 60, leaving room for other databases. A
        // service's own API tests start one service: 2 × (7 + 2) = 18.
        .merge(("database.max_connections", 5))
        .merge(("nats.url", nats_url))
        .merge(("auth.public_key_file", dev_key("public.pem").display().to_string()))
        .merge(("auth.root_unit", ROOT_UNIT))
        .merge(("consumer.max_deliveries", 3))
        .merge(("consumer.ack_wait_secs", 5))
        .merge(("outbox.poll_interval_ms", 200))
        .merge(("privacy.identity_key", "test-identity-key-not-secret"))
        .merge(("deadlines.sweep_interval_ms", 200));
    Settings::from_figment(figment).expect("test settings are valid")
}

/// Connects to a service's database directly, for assertions on what it stored.
pub async fn connect_database(settings: &Settings, service: &str) -> anyhow::Result<sqlx::PgPool> {
    let options: PgConnectOptions = settings.database.url.expose_secret().parse()?;
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(2);
    Ok(pool.connect_with(options.database(&settings.database_name(service))).await?)
}

/// A token signed with the development key.
pub fn token(unit: &str, roles: &[Role]) -> String {
    token_for("test", unit, roles)
}

/// A token for a named official (the subject posts and conferences refer to).
pub fn token_for(subject: &str, unit: &str, roles: &[Role]) -> String {
    signer(&dev_key("signing.pem")).sign(subject, unit, roles, Duration::from_secs(600)).expect("the dev key signs")
}

/// A token for an agency's official (AGENCY acting for `organization`).
pub fn agency_token(organization: &str, unit: &str) -> String {
    signer(&dev_key("signing.pem"))
        .sign_for(
            &format!("agency-{organization}"),
            unit,
            &[Role::Agency],
            Some(organization),
            Duration::from_secs(600),
        )
        .expect("the dev key signs")
}

/// A token signed with a key no service trusts.
pub fn forged_token(unit: &str, roles: &[Role]) -> String {
    signer(&repo_root().join("tests/fixtures/forger-signing.pem"))
        .sign("mallory", unit, roles, Duration::from_secs(600))
        .expect("the forger's key signs")
}

fn signer(path: &std::path::Path) -> TokenSigner {
    let pem = std::fs::read_to_string(path).expect("the key file is readable");
    TokenSigner::from_private_pem(&pem, "doithoai").expect("a valid key")
}

/// Adds `authorization: Bearer <token>` to a request.
pub fn authorized<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = crate::auth::bearer_value(token).expect("a token is ASCII");
    request.metadata_mut().insert("authorization", value);
    request
}

/// A private `nats-server` with JetStream on a random port, which a test can
/// stop and restart (same port, same store).
pub struct TestNats {
    port: u16,
    store: tempfile::TempDir,
    child: Option<Child>,
}

impl TestNats {
    pub async fn start() -> anyhow::Result<Self> {
        let mut nats = Self { port: free_port(), store: tempfile::tempdir()?, child: None };
        nats.restart().await?;
        Ok(nats)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again (or for the first time) and waits until it listens.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await;
        let child = Command::new(nats_server_binary())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string(), "-js", "-sd"])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start nats-server (install Debian's nats-server, or set NATS_SERVER_BIN)")?;
        self.child = Some(child);
        let addr: SocketAddr = ([127, 0, 0, 1], self.port).into();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("nats-server did not start listening on {addr}")
    }
}

fn nats_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NATS_SERVER_BIN") {
        return path.into();
    }
    let sbin = PathBuf::from("/usr/sbin/nats-server");
    if sbin.exists() { sbin } else { PathBuf::from("nats-server") }
}

/// Plays another service for a test of one service alone: publishes the
/// events that service would, on its stream and subjects, as its relay does.
pub struct Events {
    service: &'static str,
    jetstream: async_nats::jetstream::Context,
}

impl Events {
    /// Events of `service` (`"scheduling"`), on the NATS at `url`.
    pub async fn of(service: &'static str, url: &str) -> anyhow::Result<Self> {
        let jetstream = async_nats::jetstream::new(async_nats::connect(url).await?);
        let nats =
            crate::settings::NatsSettings { url: url.to_owned(), stream_replicas: 1, duplicate_window_secs: 120 };
        crate::events::ensure_stream(&jetstream, service, &nats).await?;
        Ok(Self { service, jetstream })
    }

    /// Publishes one event, stamped now, and waits for the stream's ack.
    pub async fn publish(&self, event: &crate::events::Event) -> anyhow::Result<()> {
        self.publish_at(event, chrono::Utc::now()).await
    }

    /// Publishes one event that happened at `at` (a conference's end, say).
    pub async fn publish_at(
        &self,
        event: &crate::events::Event,
        at: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        use prost::Message;
        let envelope = event.envelope(uuid::Uuid::now_v7(), "test", None, at);
        let subject = crate::events::subject(self.service, event.kind, &event.unit_path);
        let publish = async_nats::jetstream::message::PublishMessage::build()
            .payload(envelope.encode_to_vec().into())
            .message_id(envelope.event_id.as_str());
        self.jetstream.send_publish(subject, publish).await?.await?;
        Ok(())
    }
}

/// Polls `check` until it returns `Some`, or fails after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
