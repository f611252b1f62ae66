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
    nodes: Vec<NatsNode>,
}

/// One nats-server of a test, with its own store.
struct NatsNode {
    name: String,
    port: u16,
    /// Its route port, in a cluster.
    route: Option<u16>,
    store: tempfile::TempDir,
    /// Its configuration file's text, for what has no flag (domains, leaf nodes).
    config: Option<String>,
    child: Option<Child>,
}

/// How a server with a JetStream domain joins the national hub.
pub enum Leaf {
    /// The hub: it takes leaf nodes on this port.
    Listen(u16),
    /// A province: a leaf node of the hub at this address.
    Remote(std::net::SocketAddr),
}

impl TestNats {
    /// One server with JetStream.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_nodes(1).await
    }

    /// A JetStream cluster of `size` servers on loopback ports, routed to
    /// each other, as a province runs three.
    pub async fn cluster(size: usize) -> anyhow::Result<Self> {
        Self::start_nodes(size).await
    }

    async fn start_nodes(size: usize) -> anyhow::Result<Self> {
        // Once in CI a cluster's servers all listened but placed no stream for
        // 30 s. Such a cluster is started once more on other ports; should
        // that fail too, the error carries each server's log.
        let mut attempt = 1;
        loop {
            let mut nodes = Vec::with_capacity(size);
            for n in 0..size {
                let route = (size > 1).then(free_port);
                let store = tempfile::tempdir()?;
                let node =
                    NatsNode { name: format!("n{n}"), port: free_port(), route, store, config: None, child: None };
                nodes.push(node);
            }
            let mut nats = Self { nodes };
            for n in 0..size {
                nats.restart_node(n).await?;
            }
            if size == 1 {
                return Ok(nats);
            }
            match nats.wait_for_a_leader().await {
                Ok(()) => return Ok(nats),
                Err(error) if attempt < 2 => {
                    tracing::warn!("the NATS cluster is started again: {error}");
                    nats.stop().await;
                    attempt += 1;
                }
                Err(error) => return Err(error.context(nats.logs())),
            }
        }
    }

    /// The end of each server's log.
    pub fn logs(&self) -> String {
        let log = |node: &NatsNode| {
            let text = std::fs::read_to_string(node.store.path().join("nats.log")).unwrap_or_default();
            format!("{}:\n{}", node.name, tail(&text, 20))
        };
        self.nodes.iter().map(log).collect::<Vec<_>>().join("\n")
    }

    /// One server with a JetStream domain of its own, as the national hub or
    /// as a province linked to it.
    pub async fn with_domain(domain: &str, leaf: Leaf) -> anyhow::Result<Self> {
        let leafnodes = match leaf {
            // A leaf learns the address the hub advertises and reconnects
            // there (2.9 ignores `no_advertise` for leaf nodes), so the hub
            // advertises a port nothing listens on: a province reconnects
            // only through where it was told, the test's cuttable link.
            Leaf::Listen(port) => {
                format!("leafnodes {{ listen: \"127.0.0.1:{port}\", advertise: \"127.0.0.1:{}\" }}", free_port())
            }
            // A province's own events stay at home: without the denials its
            // streams would capture the other provinces' events through the
            // hub. Only the hub's sources (the JetStream API of the domain
            // and its deliveries) cross.
            Leaf::Remote(hub) => format!(
                "leafnodes {{ reconnect: 1, remotes: [ {{ url: \"nats-leaf://{hub}\", \
                 deny_imports: [\"doithoai.>\"], deny_exports: [\"doithoai.>\"] }} ] }}"
            ),
        };
        let store = tempfile::tempdir()?;
        let config = Some(format!("jetstream {{ domain: {domain} }}\n{leafnodes}\n"));
        let node = NatsNode { name: domain.to_owned(), port: free_port(), route: None, store, config, child: None };
        let mut nats = Self { nodes: vec![node] };
        nats.restart_node(0).await?;
        Ok(nats)
    }

    /// Waits until the cluster has elected its JetStream leader, without
    /// which no stream can be made.
    async fn wait_for_a_leader(&self) -> anyhow::Result<()> {
        let jetstream = async_nats::jetstream::new(nats_client(&self.url()).await?);
        let started = std::time::Instant::now();
        // A replicated stream made and removed: the servers' 2.9 answers
        // the account query in a shape this client no longer reads.
        let probe = async_nats::jetstream::stream::Config {
            name: "DOITHOAI_CLUSTER_READY".into(),
            subjects: vec!["doithoai_cluster_ready".into()],
            num_replicas: self.nodes.len(),
            ..Default::default()
        };
        loop {
            let made = jetstream.create_stream(probe.clone()).await;
            let Err(error) = made else {
                jetstream.delete_stream(&probe.name).await?;
                return Ok(());
            };
            anyhow::ensure!(started.elapsed() < Duration::from_secs(30), "the NATS cluster elected no leader: {error}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until every stream has a leader and each of its replicas is
    /// current: a server started again has caught up, as an operator waits
    /// before restarting the next one. Until then a second server lost would
    /// leave the streams without a quorum.
    pub async fn until_streams_current(&self) -> anyhow::Result<()> {
        use futures::TryStreamExt;
        let jetstream = async_nats::jetstream::new(nats_client(&self.url()).await?);
        let current = async || -> anyhow::Result<bool> {
            let streams: Vec<_> = jetstream.streams().try_collect().await?;
            Ok(streams.iter().all(|stream| {
                stream.cluster.as_ref().is_some_and(|cluster| {
                    cluster.leader.is_some() && cluster.replicas.iter().all(|peer| peer.current && !peer.offline)
                })
            }))
        };
        let started = std::time::Instant::now();
        loop {
            // A cluster catching up may answer "temporarily unavailable": asked again.
            if let Ok(true) = current().await {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(60) {
                anyhow::bail!("the streams' replicas did not catch up in 60 s\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every server's URL, separated by commas (`nats.url`).
    pub fn url(&self) -> String {
        self.nodes.iter().map(|n| format!("nats://127.0.0.1:{}", n.port)).collect::<Vec<_>>().join(",")
    }

    /// Stops every server.
    pub async fn stop(&mut self) {
        for n in 0..self.nodes.len() {
            self.stop_node(n).await;
        }
    }

    /// Starts every server again.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        for n in 0..self.nodes.len() {
            self.restart_node(n).await?;
        }
        Ok(())
    }

    /// SIGKILL of one server of the cluster.
    pub async fn stop_node(&mut self, n: usize) {
        if let Some(mut child) = self.nodes[n].child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts one server again (or for the first time) and waits until it listens.
    pub async fn restart_node(&mut self, n: usize) -> anyhow::Result<()> {
        self.stop_node(n).await;
        let routes: Vec<String> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(other, _)| *other != n)
            .filter_map(|(_, o)| o.route.map(|r| format!("nats://127.0.0.1:{r}")))
            .collect();
        let node = &mut self.nodes[n];
        let mut command = Command::new(nats_server_binary());
        command.args(["-a", "127.0.0.1", "-p", &node.port.to_string(), "-n", &node.name, "-js", "-sd"]);
        command.arg(node.store.path()).arg("-l").arg(node.store.path().join("nats.log"));
        if let Some(config) = &node.config {
            let file = node.store.path().join("nats.conf");
            std::fs::write(&file, config)?;
            command.arg("-c").arg(file);
        }
        if let Some(route) = node.route {
            command.args(["--cluster_name", "doithoai", "--cluster", &format!("nats://127.0.0.1:{route}")]);
            command.args(["--routes", &routes.join(",")]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start nats-server (install Debian's nats-server, or set NATS_SERVER_BIN)")?;
        node.child = Some(child);
        let addr: SocketAddr = ([127, 0, 0, 1], node.port).into();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("nats-server did not start listening on {addr}")
    }
}

/// The last `lines` lines of a log, for a failure's message.
pub fn tail(text: &str, lines: usize) -> String {
    let last: Vec<&str> = text.lines().rev().take(lines).collect();
    last.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// A client of the test's NATS, one server or a cluster.
pub async fn nats_client(url: &str) -> anyhow::Result<async_nats::Client> {
    let servers = crate::settings::nats_servers(url);
    Ok(async_nats::ConnectOptions::new().retry_on_initial_connect().connect(servers).await?)
}

/// The machine's nats-server: `NATS_SERVER_BIN`, else Debian's.
pub fn nats_server_binary() -> PathBuf {
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
        let jetstream = async_nats::jetstream::new(nats_client(url).await?);
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

/// Waits until some session of the pool's database waits for a lock (a
/// request held back by a transaction the test holds open).
pub async fn waiting_for_a_lock(pool: &sqlx::PgPool, what: &str) {
    eventually(Duration::from_secs(30), what, || async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .unwrap_or(0);
        (waiting > 0).then_some(())
    })
    .await;
}
