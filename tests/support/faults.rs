//! The fault suite's stack: a private PostgreSQL cluster (initdb into a
//! temporary folder) and a private NATS that a test may stop and restart, the
//! four services as processes that it may kill with SIGKILL, secretaries
//! recording petitions throughout, and the checks that nothing was lost or
//! done twice.
#![allow(clippy::unwrap_used)]

use std::{
    collections::{HashMap, HashSet},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use doithoai_load::conferences::{self, StackArgs};
use doithoai_proto::common::v1::EventEnvelope;
use doithoai_proto::directory::v1::UnitRow;
use doithoai_proto::minutes::v1::{
    Classification, PetitionRecorded, RecordPetitionRequest, minutes_service_client::MinutesServiceClient,
};
use doithoai_proto::{
    clock::v1::{GetTimeRequest, SetTimeRequest, simulated_clock_client::SimulatedClockClient},
    scheduling::v1::{ConferenceRef, conferences_client::ConferencesClient},
};
use doithoai_runtime::{
    events::decode_payload,
    idempotency,
    testsuite::{self, TestNats, free_port},
    time::{instant, timestamp},
};
use prost::Message;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    process::{Child, Command},
    task::JoinHandle,
    time::Instant,
};
use tonic::transport::Channel;

use crate::{Role, SERVICES, WAIT, eventually, import_units, read_rows, stream_messages, token};

/// A PostgreSQL cluster of the test's own, on a free port, which it may
/// restart or crash. Run as the `postgres` user when the test runs as root
/// (initdb refuses root).
pub struct TestPostgres {
    port: u16,
    folder: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

impl TestPostgres {
    pub async fn start() -> anyhow::Result<Self> {
        let folder = tempfile::tempdir()?;
        let as_postgres = running_as_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres").arg(folder.path())).await?;
        }
        let postgres = Self { port: free_port(), folder, bin: postgres_bin()?, as_postgres };
        let data = postgres.data();
        postgres
            .run_tool("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
            .await?;
        postgres.start_server().await?;
        Ok(postgres)
    }

    /// The server's URL, without a database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    fn data(&self) -> String {
        self.folder.path().join("data").display().to_string()
    }

    pub async fn start_server(&self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.folder.path().display()
        );
        let log = self.folder.path().join("postgres.log").display().to_string();
        self.run_tool("pg_ctl", &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "start"]).await
    }

    /// Stops the server: `fast` ends every session and shuts down cleanly,
    /// `immediate` is a crash (recovery at the next start).
    pub async fn stop_server(&self, mode: &str) -> anyhow::Result<()> {
        self.run_tool("pg_ctl", &["-D", &self.data(), "-m", mode, "-w", "stop"]).await
    }

    fn tool(&self, tool: &str) -> std::process::Command {
        let program = self.bin.join(tool);
        if self.as_postgres {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            std::process::Command::new(program)
        }
    }

    async fn run_tool(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let mut command = Command::from(self.tool(tool));
        run(command.args(args)).await.with_context(|| format!("{tool} {}", args.join(" ")))
    }
}

impl Drop for TestPostgres {
    /// A test that fails leaves no server behind.
    fn drop(&mut self) {
        let _ = self.tool("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
    }
}

fn running_as_root() -> bool {
    let id = std::process::Command::new("id").arg("-u").output();
    id.is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// PostgreSQL's programs: `PG_BIN`, or the newest under /usr/lib/postgresql.
fn postgres_bin() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("PG_BIN") {
        return Ok(path.into());
    }
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .context(
            "PostgreSQL's programs are not under /usr/lib/postgresql (install Debian's postgresql, or set PG_BIN)",
        )?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let newest = versions.last().context("no PostgreSQL version under /usr/lib/postgresql")?;
    Ok(PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin")))
}

async fn run(command: &mut Command) -> anyhow::Result<()> {
    let out = command.stdin(Stdio::null()).output().await?;
    anyhow::ensure!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// One service as a process of its own, on ports fixed for its life so that
/// it comes back where its callers look for it.
pub struct ServiceProcess {
    pub name: &'static str,
    /// Which of the service's instances, from 0.
    pub instance: usize,
    binary: PathBuf,
    pub grpc: SocketAddr,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl ServiceProcess {
    fn new(
        binary: &Path,
        (name, instance): (&'static str, usize),
        folder: &Path,
        (postgres, root): (&str, &str),
        (nats, replicas): (&str, usize),
    ) -> anyhow::Result<Self> {
        let grpc: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let label = format!("{name}-{instance}");
        let config = folder.join(format!("{label}.toml"));
        // The test suite's settings (`testsuite::settings`), on this stack's
        // PostgreSQL and NATS, with a clock the load tool moves.
        let settings = format!(
            r#"grpc_addr = "{grpc}"
metrics_addr = "127.0.0.1:{metrics}"
public_addr = "127.0.0.1:{public}"
[database]
url = "{postgres}"
max_connections = 5
[nats]
url = "{nats}"
stream_replicas = {replicas}
[auth]
public_key_file = "{key}"
root_unit = "{root}"
[consumer]
max_deliveries = 3
ack_wait_secs = 5
[outbox]
poll_interval_ms = 200
[clock]
adjustable = true
[privacy]
identity_key = "test-identity-key-not-secret"
[deadlines]
sweep_interval_ms = 200
"#,
            metrics = free_port(),
            public = free_port(),
            key = testsuite::dev_key("public.pem").display(),
        );
        std::fs::write(&config, settings)?;
        let log = folder.join(format!("{label}.log"));
        Ok(Self { name, instance, binary: binary.to_owned(), grpc, config, log, child: None })
    }

    /// Starts the process and waits until it answers on its gRPC port.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log)?;
        let child = Command::new(&self.binary)
            .arg(self.name)
            .env("DOITHOAI_CONFIG", &self.config)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(self.grpc).await.is_err() {
            let child = self.child.as_mut().context("the process")?;
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("{} exited with {status}: {}", self.name, self.log_text());
            }
            anyhow::ensure!(started.elapsed() < WAIT, "{} did not listen within {WAIT:?}", self.name);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// SIGKILL: no graceful stop, no flush, no last reply.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The whole system as processes, on PostgreSQL and NATS of its own.
pub struct ProcessStack {
    pub postgres: TestPostgres,
    pub nats: TestNats,
    /// The unit the stack serves: Hưng Yên, or another province.
    pub root: String,
    services: Vec<ServiceProcess>,
    _folder: tempfile::TempDir,
}

impl ProcessStack {
    /// Every service from `binary` (the tests' `doithoai-test-service`,
    /// whose path cargo gives the tests as `CARGO_BIN_EXE_doithoai-test-service`).
    pub async fn start(binary: &str) -> Self {
        Self::start_instances(binary, 1).await
    }

    /// `instances` of every service on the same databases and NATS, as a
    /// province's Deployments run them.
    pub async fn start_instances(binary: &str, instances: usize) -> Self {
        let nats = TestNats::start().await.expect("nats-server starts");
        Self::launch(binary, (instances, testsuite::ROOT_UNIT), nats, 1).await
    }

    /// One instance of every service serving the province `root`, on `nats`
    /// (a province's own, linked to the national hub).
    pub async fn province(binary: &str, root: &str, nats: TestNats) -> Self {
        Self::launch(binary, (1, root), nats, 1).await
    }

    /// Every service on a JetStream cluster of `nodes` servers, its streams
    /// replicated on each.
    pub async fn start_on_cluster(binary: &str, nodes: usize) -> Self {
        let nats = TestNats::cluster(nodes).await.expect("the NATS cluster starts");
        Self::launch(binary, (1, testsuite::ROOT_UNIT), nats, nodes).await
    }

    async fn launch(binary: &str, (instances, root): (usize, &str), nats: TestNats, replicas: usize) -> Self {
        let postgres = TestPostgres::start().await.expect("a private PostgreSQL starts");
        let folder = tempfile::tempdir().unwrap();
        let mut services = Vec::new();
        for name in SERVICES {
            for instance in 0..instances {
                let which = (name, instance);
                let mut service = ServiceProcess::new(
                    Path::new(binary),
                    which,
                    folder.path(),
                    (&postgres.url(), root),
                    (&nats.url(), replicas),
                )
                .unwrap();
                service.start().await.unwrap();
                services.push(service);
            }
        }
        Self { postgres, nats, root: root.to_owned(), services, _folder: folder }
    }

    fn service_mut(&mut self, name: &str) -> &mut ServiceProcess {
        self.instance_mut(name, 0)
    }

    fn instance_mut(&mut self, name: &str, instance: usize) -> &mut ServiceProcess {
        let found = self.services.iter_mut().find(|s| s.name == name && s.instance == instance);
        found.expect("a known service")
    }

    /// The first instance's address.
    pub fn addr(&self, name: &str) -> String {
        self.addrs(name).swap_remove(0)
    }

    /// Every instance's address.
    pub fn addrs(&self, name: &str) -> Vec<String> {
        self.services.iter().filter(|s| s.name == name).map(|s| format!("http://{}", s.grpc)).collect()
    }

    pub async fn kill(&mut self, name: &str) {
        self.service_mut(name).kill().await;
    }

    /// SIGKILL of one instance; the others go on.
    pub async fn kill_instance(&mut self, name: &str, instance: usize) {
        self.instance_mut(name, instance).kill().await;
    }

    pub async fn restart(&mut self, name: &str) {
        let service = self.service_mut(name);
        service.start().await.unwrap_or_else(|e| panic!("{name} restarts: {e:#}"));
    }

    /// SIGKILL, then the service started again after `pause`.
    pub async fn kill_for(&mut self, name: &str, pause: Duration) {
        self.kill(name).await;
        tokio::time::sleep(pause).await;
        self.restart(name).await;
    }

    /// Every service's log, for a failed test's message.
    pub fn logs(&self) -> String {
        self.services.iter().map(|s| format!("--- {} {}\n{}", s.name, s.instance, s.log_text())).collect()
    }

    /// The last lines of each service's log and each NATS server's.
    pub fn log_tails(&self) -> String {
        let services: String = self
            .services
            .iter()
            .map(|s| format!("--- {} {}\n{}\n", s.name, s.instance, testsuite::tail(&s.log_text(), 15)))
            .collect();
        format!("{services}{}", self.nats.logs())
    }

    pub async fn database(&self, name: &str) -> sqlx::PgPool {
        let url = format!("{}/doithoai_{name}", self.postgres.url());
        sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.unwrap()
    }

    /// Hưng Yên's communes of July 2025, in every replica; then `conferences`
    /// of them started by the load tool, as an office and its secretaries
    /// would. Returns each conference's id and its secretary's token.
    pub async fn conferences(&self, conferences: usize) -> Vec<(String, String)> {
        let started = self.conferences_of(read_rows("hung-yen-2025-07.csv"), conferences).await;
        started.into_iter().map(|conference| (conference.id, conference.secretary)).collect()
    }

    /// The stack's province from `rows`, in every replica; then `conferences`
    /// of its communes started by the load tool, each with a head's post.
    pub async fn conferences_of(&self, rows: Vec<UnitRow>, conferences: usize) -> Vec<conferences::Conference> {
        let admin = token(&self.root, &[Role::Admin]);
        let scheduling = Channel::from_shared(self.addr("scheduling")).unwrap().connect().await.unwrap();
        let units = i64::try_from(rows.len()).unwrap();
        import_units(scheduling, rows, &admin).await.expect("the units import");
        for name in ["participants", "minutes", "deadlines"] {
            let pool = self.database(name).await;
            eventually(WAIT, &format!("{name} to hold the units"), || async {
                let held: i64 = sqlx::query_scalar("SELECT count(*) FROM units").fetch_one(&pool).await.ok()?;
                (held >= units).then_some(())
            })
            .await;
        }
        let args = StackArgs {
            scheduling: self.addr("scheduling"),
            participants: self.addr("participants"),
            minutes: self.addr("minutes"),
            deadlines: self.addr("deadlines"),
            root: self.root.clone(),
            conferences,
            dev_key: testsuite::dev_key("signing.pem"),
        };
        let announced = conferences::announce(&args).await.expect("the load tool announces its conferences");
        announced.start().await.expect("the load tool starts its conferences")
    }

    /// The office ends the conference.
    pub async fn end_conference(&self, conference: &conferences::Conference) {
        let channel = Channel::from_shared(self.addr("scheduling")).unwrap().connect().await.unwrap();
        let end = crate::authorized(ConferenceRef { id: conference.id.clone() }, &conference.office);
        ConferencesClient::new(channel).end_conference(end).await.unwrap();
    }

    /// Waits until the deadlines service holds `wanted` R10.2 clocks.
    pub async fn conclusion_notices(&self, wanted: i64) {
        let pool = self.database("deadlines").await;
        eventually(WAIT, "the conclusion notices to open", || async {
            let opened: i64 =
                sqlx::query_scalar("SELECT count(*) FROM obligations WHERE kind = 'OBLIGATION_KIND_CONCLUSION_NOTICE'")
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            (opened == wanted).then_some(())
        })
        .await;
    }

    /// Every service's clock moved on by `days`, then the sweeper seen to
    /// find a conclusion notice overdue.
    pub async fn move_clocks(&self, days: chrono::Days) {
        let admin = token(&self.root, &[Role::Admin]);
        for name in SERVICES {
            let channel = Channel::from_shared(self.addr(name)).unwrap().connect().await.unwrap();
            let mut clock = SimulatedClockClient::new(channel);
            let now = clock.get_time(crate::authorized(GetTimeRequest {}, &admin)).await.unwrap().into_inner();
            let now = now.time.as_ref().and_then(instant).unwrap();
            let set = SetTimeRequest { time: Some(timestamp(now + days)) };
            clock.set_time(crate::authorized(set, &admin)).await.unwrap();
        }
        let pool = self.database("deadlines").await;
        eventually(WAIT, "the sweeper to find the notices overdue", || async {
            let overdue: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM obligations
                 WHERE kind = 'OBLIGATION_KIND_CONCLUSION_NOTICE' AND state = 'OBLIGATION_STATE_OVERDUE'",
            )
            .fetch_one(&pool)
            .await
            .ok()?;
            (overdue > 0).then_some(())
        })
        .await;
    }

    /// Waits until every event `service` has written is on NATS.
    pub async fn outbox_published(&self, service: &str) {
        let pool = self.database(service).await;
        eventually(WAIT, &format!("the {service} outbox to be published"), || async {
            let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(&pool)
                .await
                .ok()?;
            (waiting == 0).then_some(())
        })
        .await;
    }

    /// What a fault must never cause, checked once the stack is whole again:
    /// every request answered OK in the end, each by a petition of its own;
    /// the minutes hold exactly those; each one's event is in the stream once
    /// and was taken in by the deadlines service once; each conference's
    /// events are in the stream in the order they were written.
    pub async fn assert_nothing_lost_or_twice(&self, calls: &Calls) {
        let answered = calls.answered();
        let ids: HashSet<&str> = answered.values().map(String::as_str).collect();
        assert_eq!(ids.len(), answered.len(), "two requests answered with one petition");

        let minutes = self.database("minutes").await;
        let stored: Vec<String> =
            sqlx::query_scalar("SELECT id::text FROM petitions").fetch_all(&minutes).await.unwrap();
        assert_eq!(
            stored.len(),
            answered.len(),
            "the minutes hold {} petitions for {} requests",
            stored.len(),
            answered.len()
        );
        assert_eq!(stored.iter().map(String::as_str).collect::<HashSet<_>>(), ids, "the minutes hold other petitions");
        self.outbox_published("minutes").await;

        // Each conference's events in the stream in the order they were written.
        let written: HashMap<String, i64> = sqlx::query_as("SELECT event_id::text, seq FROM outbox")
            .fetch_all(&minutes)
            .await
            .unwrap()
            .into_iter()
            .collect();
        let mut last: HashMap<String, i64> = HashMap::new();
        let mut on_nats: HashMap<String, usize> = HashMap::new();
        for message in stream_messages(&self.nats.url(), "DOITHOAI_MINUTES").await {
            if !message.subject.starts_with("doithoai.minutes.petition_recorded.") {
                continue;
            }
            let id = message.headers.get("Nats-Msg-Id").map(|v| v.as_str().to_owned()).unwrap_or_default();
            let seq = *written.get(&id).unwrap_or_else(|| panic!("event {id:?} was never written"));
            let envelope = EventEnvelope::decode(message.payload).unwrap();
            let recorded = decode_payload::<PetitionRecorded>(&envelope).unwrap().unwrap();
            let before = last.insert(recorded.conference_id.clone(), seq).unwrap_or(0);
            assert!(before < seq, "conference {}: event {seq} published after {before}", recorded.conference_id);
            *on_nats.entry(recorded.petition_id).or_default() += 1;
        }
        let twice: Vec<_> = on_nats.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "events on NATS more than once: {twice:?}");
        assert_eq!(on_nats.keys().map(String::as_str).collect::<HashSet<_>>(), ids, "events missing on NATS");

        let deadlines = self.database("deadlines").await;
        let recorded = "SELECT count(*) FROM inbox WHERE subject LIKE 'doithoai.minutes.petition_recorded.%'";
        eventually(WAIT, "the deadlines service to take in every petition", || async {
            let taken: i64 = sqlx::query_scalar(recorded).fetch_one(&deadlines).await.ok()?;
            (usize::try_from(taken).ok()? == ids.len()).then_some(())
        })
        .await;
        let facts: Vec<String> =
            sqlx::query_scalar("SELECT id::text FROM petitions").fetch_all(&deadlines).await.unwrap();
        assert_eq!(facts.len(), ids.len());
        assert_eq!(facts.iter().map(String::as_str).collect::<HashSet<_>>(), ids);
        let parked: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters").fetch_one(&deadlines).await.unwrap();
        assert_eq!(parked, 0, "events parked as dead letters");
    }

    /// Waits until the events' backlog is no more than `in_flight`: the
    /// minutes' outbox published and the deadlines service's inbox level
    /// with the petitions recorded. Returns how long that took.
    pub async fn backlog_cleared(&self, in_flight: i64) -> Duration {
        let waiting = Instant::now();
        let (minutes, deadlines) = (self.database("minutes").await, self.database("deadlines").await);
        let count = |pool: &sqlx::PgPool, sql: &'static str| {
            let pool = pool.clone();
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap_or(i64::MAX) }
        };
        loop {
            let unpublished = count(&minutes, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await;
            let recorded = count(&minutes, "SELECT count(*) FROM petitions").await;
            let taken = count(&deadlines, "SELECT count(*) FROM petitions").await;
            if unpublished <= in_flight && recorded.saturating_sub(taken) <= in_flight {
                return waiting.elapsed();
            }
            assert!(
                waiting.elapsed() < WAIT,
                "the backlog stayed: {unpublished} unpublished, {recorded} recorded, {taken} taken in\n{}",
                self.log_tails()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// How long a caller waits for one answer before it calls the service hung.
pub const HUNG: Duration = Duration::from_secs(10);

/// One try of a request: when it started, how long it took, and the petition
/// or the status code (DEADLINE_EXCEEDED when it hung) with whether a client
/// may send it again.
pub struct Attempt {
    pub at: Instant,
    pub took: Duration,
    pub outcome: Result<String, Failed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub code: tonic::Code,
    pub worth_retrying: bool,
    /// The status as the client saw it, with its source.
    pub detail: String,
}

/// One petition's request and every try of it, with the same request id.
pub struct Call {
    pub request_id: String,
    pub attempts: Vec<Attempt>,
}

/// Secretaries recording petitions until told to stop, as a tablet would:
/// a request that fails [worth retrying](idempotency::worth_retrying) is
/// tried again with its request id until it is answered.
pub struct Secretaries {
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<Vec<Call>>>,
}

impl Secretaries {
    /// One secretary per conference, each sending a petition every 10 ms to
    /// one of the minutes service's instances (`minutes`), in turn; a
    /// retry goes to the next, as a connection through a Service would.
    pub fn start(minutes: &[String], conferences: &[(String, String)]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicU64::new(0));
        let clients: Vec<MinutesServiceClient<Channel>> = minutes
            .iter()
            .map(|addr| MinutesServiceClient::new(Channel::from_shared(addr.clone()).unwrap().connect_lazy()))
            .collect();
        let tasks = conferences
            .iter()
            .cloned()
            .map(|(conference, secretary)| {
                let (stop, next, clients) = (stop.clone(), next.clone(), clients.clone());
                tokio::spawn(async move {
                    let mut calls = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        calls.push(record_until_answered(&clients, &conference, &secretary, n).await);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    calls
                })
            })
            .collect();
        Self { stop, tasks }
    }

    pub async fn finish(self) -> Calls {
        self.stop.store(true, Ordering::Relaxed);
        let mut calls = Vec::new();
        for task in self.tasks {
            calls.extend(task.await.unwrap());
        }
        Calls(calls)
    }
}

/// Tries for a minute at most, then gives up (and the test fails).
async fn record_until_answered(
    clients: &[MinutesServiceClient<Channel>],
    conference: &str,
    secretary: &str,
    n: u64,
) -> Call {
    let request_id = format!("fault-{n}");
    let mut attempts = Vec::new();
    let first = Instant::now();
    for attempt in 0.. {
        if first.elapsed() >= Duration::from_secs(60) {
            break;
        }
        let mut client = clients[(n as usize + attempt) % clients.len()].clone();
        let record = RecordPetitionRequest {
            conference_id: conference.to_owned(),
            text: format!("Kiến nghị số {n}"),
            field: 1,
            classification: Classification::Petition as i32,
            request_id: request_id.clone(),
            ..Default::default()
        };
        let at = Instant::now();
        let answer = tokio::time::timeout(HUNG, client.record_petition(crate::authorized(record, secretary))).await;
        let outcome = match answer {
            Ok(Ok(recorded)) => Ok(recorded.into_inner().id),
            Ok(Err(status)) => {
                let worth_retrying = idempotency::worth_retrying(&status);
                Err(Failed { code: status.code(), worth_retrying, detail: format!("{status:?}") })
            }
            Err(_) => Err(Failed { code: tonic::Code::DeadlineExceeded, worth_retrying: false, detail: "hung".into() }),
        };
        let done = outcome.as_ref().map_or_else(|failed| !failed.worth_retrying, |_| true);
        attempts.push(Attempt { at, took: at.elapsed(), outcome });
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Call { request_id, attempts }
}

/// What the secretaries saw.
pub struct Calls(pub Vec<Call>);

impl Calls {
    /// One request answered with `petition` at its first try.
    pub fn single(request_id: &str, petition: &str) -> Self {
        let attempt = Attempt { at: Instant::now(), took: Duration::ZERO, outcome: Ok(petition.to_owned()) };
        Self(vec![Call { request_id: request_id.to_owned(), attempts: vec![attempt] }])
    }

    /// Each request's petition; panics naming a request never answered.
    pub fn answered(&self) -> HashMap<String, String> {
        let mut answered = HashMap::new();
        for call in &self.0 {
            let petition = call.attempts.iter().find_map(|a| a.outcome.clone().ok());
            let petition = petition.unwrap_or_else(|| panic!("{} was never answered", call.request_id));
            answered.insert(call.request_id.clone(), petition);
        }
        answered
    }

    /// Every failed try.
    pub fn errors(&self) -> Vec<Failed> {
        self.attempts().filter_map(|a| a.outcome.as_ref().err().cloned()).collect()
    }

    /// The failures a client may not retry: anything but an unavailable
    /// service or a broken connection (a hang shows as DEADLINE_EXCEEDED).
    pub fn unexpected(&self) -> Vec<Failed> {
        self.errors().into_iter().filter(|failed| !failed.worth_retrying).collect()
    }

    /// From `since` to the first answer of a try started after it.
    pub fn recovered(&self, since: Instant) -> Duration {
        self.attempts()
            .filter(|a| a.outcome.is_ok() && a.at >= since)
            .map(|a| (a.at + a.took).duration_since(since))
            .min()
            .expect("an answer after the fault")
    }

    /// The failed tries by code, for the report: "12 Unavailable, 1 Unknown".
    pub fn describe_errors(&self) -> String {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for failed in self.errors() {
            let code = format!("{:?}", failed.code);
            match counts.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => counts.push((code, 1)),
            }
        }
        let counts: Vec<String> = counts.into_iter().map(|(code, n)| format!("{n} {code}")).collect();
        if counts.is_empty() { "no failed tries".into() } else { counts.join(", ") }
    }

    fn attempts(&self) -> impl Iterator<Item = &Attempt> {
        self.0.iter().flat_map(|call| &call.attempts)
    }
}

/// A TCP relay in front of a server, for two faults: it can stop passing the
/// server's replies on, so a test can have a request committed whose answer
/// never arrives; and it can be cut, dropping every connection it carries
/// and refusing new ones until restored (a province's link to the hub).
pub struct Relay {
    pub addr: SocketAddr,
    swallow: Arc<AtomicBool>,
    open: tokio::sync::watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Relay {
    pub async fn start(to: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let swallow = Arc::new(AtomicBool::new(false));
        let swallowing = swallow.clone();
        let (open, _) = tokio::sync::watch::channel(true);
        let watching = open.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (swallowing, mut open) = (swallowing.clone(), watching.subscribe());
                if !*open.borrow_and_update() {
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(service) = TcpStream::connect(to).await else { return };
                    tokio::select! {
                        _ = relay(client, service, &swallowing) => {}
                        _ = open.wait_for(|open| !open) => {}
                    }
                });
            }
        });
        Self { addr, swallow, open, task }
    }

    /// From now on the service's bytes go nowhere…
    pub fn swallow_replies(&self) {
        self.swallow.store(true, Ordering::SeqCst);
    }

    /// …until they are passed on again.
    pub fn pass_replies(&self) {
        self.swallow.store(false, Ordering::SeqCst);
    }

    /// Every connection dropped, and new ones refused…
    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    /// …until it is restored.
    pub fn restore(&self) {
        self.open.send_replace(true);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Both ways until either side closes; then both are closed.
async fn relay(client: TcpStream, service: TcpStream, swallow: &AtomicBool) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_service, mut to_service) = service.into_split();
    let upstream = tokio::io::copy(&mut from_client, &mut to_service);
    let downstream = async {
        let mut buffer = vec![0; 16 * 1024];
        loop {
            let n = from_service.read(&mut buffer).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            if !swallow.load(Ordering::SeqCst) {
                to_client.write_all(&buffer[..n]).await?;
            }
        }
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}
