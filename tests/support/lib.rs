//! The whole system under test: all four services in-process, each with its
//! own fresh database, against real PostgreSQL and a private NATS server that
//! a test can stop and restart.
#![allow(clippy::unwrap_used)]

pub mod faults;
pub mod scheduling;
pub mod web;

use std::{
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use doithoai_directory::units::wire_row;
use doithoai_proto::directory::v1::{
    ImportUnitsRequest, ImportUnitsResponse, UnitRow, unit_directory_client::UnitDirectoryClient,
    unit_replica_client::UnitReplicaClient,
};
use doithoai_runtime::{
    Clock, RunningService, Settings,
    testsuite::{self, TestNats},
};
use tonic::transport::Channel;

pub use doithoai_runtime::{
    Role,
    testsuite::{agency_token, authorized, eventually, forged_token, repo_root, token, token_for},
};

pub const SERVICES: [&str; 4] = ["scheduling", "participants", "minutes", "deadlines"];
pub const REPLICAS: [&str; 3] = ["participants", "minutes", "deadlines"];
pub const WAIT: Duration = Duration::from_secs(30);

/// Poppler finds every word of a rendered PDF inside its margins; with
/// `DOITHOAI_DOCUMENTS_OUT` set, the file is kept there as `name`.
pub fn printed_within_margins(name: &str, pdf: &[u8]) {
    doithoai_documents::read::keep(name, pdf);
    let words = doithoai_documents::read::poppler_words(pdf).expect("poppler reads the PDF");
    let outside = doithoai_documents::read::outside_margins(&words);
    assert!(outside.is_empty(), "{name}: words outside the margins: {outside:?}");
}

struct Service {
    name: &'static str,
    settings: Settings,
    running: Option<RunningService>,
}

pub struct Stack {
    pub nats: TestNats,
    /// The time every service reads; tests move it.
    pub clock: Clock,
    services: Vec<Service>,
}

async fn start(name: &str, settings: Settings, clock: Clock) -> RunningService {
    let started = match name {
        "scheduling" => doithoai_scheduling::start(settings, clock).await,
        "participants" => doithoai_participants::start(settings, clock).await,
        "minutes" => doithoai_minutes::start(settings, clock).await,
        "deadlines" => doithoai_deadlines::start(settings, clock).await,
        other => panic!("no service {other}"),
    };
    started.unwrap_or_else(|e| panic!("{name} did not start: {e:#}"))
}

/// Logs of every service in the process, at debug level, kept while a test
/// captures them (the privacy test searches them for personal data).
static CAPTURING: AtomicBool = AtomicBool::new(false);
static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct CapturedLogs;

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURED.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The test binary's one subscriber: trace context for every test, and the
/// captured logs, which cost nothing while nobody captures.
fn init_telemetry() {
    use tracing_subscriber::{Layer, filter};
    let logs = tracing_subscriber::fmt::layer()
        .json()
        .with_writer(|| CapturedLogs)
        .with_filter(filter::LevelFilter::DEBUG)
        .with_filter(filter::filter_fn(|_| CAPTURING.load(Ordering::Relaxed)));
    doithoai_runtime::telemetry::init_for_tests_with(Some(Box::new(logs)));
}

/// Captures every log line of the process (this test's services and any
/// other test's running beside them) until `finish` returns them.
pub struct LogCapture(());

impl LogCapture {
    pub fn start() -> Self {
        init_telemetry();
        CAPTURED.lock().unwrap_or_else(PoisonError::into_inner).clear();
        CAPTURING.store(true, Ordering::Relaxed);
        Self(())
    }

    pub fn finish(self) -> Vec<u8> {
        CAPTURING.store(false, Ordering::Relaxed);
        std::mem::take(&mut *CAPTURED.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Stack {
    pub async fn start() -> Self {
        Self::start_with(|settings| Ok(settings.clone())).await
    }

    /// The stack with every service's settings changed alike (a trusted identity provider, say).
    pub async fn start_with(change: impl Fn(&Settings) -> anyhow::Result<Settings>) -> Self {
        init_telemetry();
        let nats = TestNats::start().await.expect("nats-server starts");
        let clock = Clock::fixed(chrono::Utc::now());
        let mut services = Vec::new();
        for name in SERVICES {
            let mut settings = testsuite::settings(&testsuite::unique_database(name), &nats.url());
            if let Some(participants) = services.iter().find(|s: &&Service| s.name == "participants") {
                // The minutes asks it for the speakers' names (the internal minutes).
                let addr = format!("http://{}", participants.running.as_ref().expect("started").grpc_addr);
                settings = settings.with("minutes.participants_addr", addr).expect("a valid address");
            }
            let settings = change(&settings).expect("the changed settings are valid");
            let running = Some(start(name, settings.clone(), clock.clone()).await);
            services.push(Service { name, settings, running });
        }
        Self { nats, clock, services }
    }

    fn service(&self, name: &str) -> &Service {
        self.services.iter().find(|s| s.name == name).expect("a known service")
    }

    fn service_mut(&mut self, name: &str) -> &mut Service {
        self.services.iter_mut().find(|s| s.name == name).expect("a known service")
    }

    pub fn running(&self, name: &str) -> &RunningService {
        self.service(name).running.as_ref().expect("the service is running")
    }

    pub async fn channel(&self, name: &str) -> Channel {
        let addr = format!("http://{}", self.running(name).grpc_addr);
        Channel::from_shared(addr).unwrap().connect().await.unwrap()
    }

    pub async fn directory(&self) -> UnitDirectoryClient<Channel> {
        UnitDirectoryClient::new(self.channel("scheduling").await)
    }

    pub async fn replica(&self, name: &str) -> UnitReplicaClient<Channel> {
        UnitReplicaClient::new(self.channel(name).await)
    }

    /// Stops one service gracefully; its database stays.
    pub async fn stop_service(&mut self, name: &str) {
        let running = self.service_mut(name).running.take().expect("the service is running");
        running.stop().await.unwrap();
    }

    /// Starts a stopped service again on its own database.
    pub async fn restart_service(&mut self, name: &str) {
        let settings = self.service(name).settings.clone();
        let running = start(name, settings, self.clock.clone()).await;
        self.service_mut(name).running = Some(running);
    }

    /// Restarts a stopped service with changed settings.
    pub async fn restart_service_with(
        &mut self,
        name: &str,
        change: impl FnOnce(&Settings) -> anyhow::Result<Settings>,
    ) {
        let service = self.service_mut(name);
        service.settings = change(&service.settings).expect("the changed settings are valid");
        self.restart_service(name).await;
    }

    /// Another instance of a running service on the same database (a second
    /// replica); the caller stops it.
    pub async fn start_replica(&self, name: &str) -> RunningService {
        start(name, self.service(name).settings.clone(), self.clock.clone()).await
    }

    /// The address of a service's database, for a tool that reads it.
    pub fn database_url(&self, name: &str) -> String {
        format!("{}/{}", testsuite::database_url(), self.service(name).settings.database_name(name))
    }

    /// A direct connection to a service's database, for assertions.
    pub async fn database(&self, name: &str) -> sqlx::PgPool {
        testsuite::connect_database(&self.service(name).settings, name).await.unwrap()
    }

    pub async fn count(&self, name: &str, sql: &str) -> i64 {
        let pool = self.database(name).await;
        let count = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        count
    }

    /// Imports a shipped unit list as the province's administrator.
    pub async fn import_file(&self, file: &str) -> Result<ImportUnitsResponse, tonic::Status> {
        self.import_rows(read_rows(file), &token("33", &[Role::Admin])).await
    }

    pub async fn import_rows(&self, rows: Vec<UnitRow>, token: &str) -> Result<ImportUnitsResponse, tonic::Status> {
        import_units(self.channel("scheduling").await, rows, token).await
    }

    /// Every message a JetStream stream holds, in order; none if the stream
    /// does not exist yet.
    pub async fn stream_messages(&self, stream: &str) -> Vec<async_nats::jetstream::message::StreamMessage> {
        stream_messages(&self.nats.url(), stream).await
    }

    /// Imports Hà Nội (01) as another province of the national directory: a
    /// known unit whose people are not Hưng Yên's.
    pub async fn import_another_province(&self) {
        let hanoi = UnitRow {
            line: 2,
            code: "01".into(),
            name: "Thành phố Hà Nội".into(),
            tier: 1,
            kind: "Thành phố".into(),
            ..Default::default()
        };
        self.import_rows(vec![hanoi], &token("01", &[Role::Admin])).await.expect("Hà Nội imports");
    }

    /// Waits until every replica holds `count` units.
    pub async fn replicas_hold(&self, count: i64) {
        for name in REPLICAS {
            eventually(WAIT, &format!("{name} to hold {count} units"), || async {
                (self.count(name, "SELECT count(*) FROM units").await == count).then_some(())
            })
            .await;
        }
    }

    /// Stops everything and drops the databases.
    pub async fn finish(mut self) {
        for service in &mut self.services {
            if let Some(running) = service.running.take() {
                running.stop().await.unwrap();
            }
            let database = service.settings.database_name(service.name);
            testsuite::drop_database(&database).await.unwrap();
        }
        self.nats.stop().await;
    }
}

/// Every message a JetStream stream on the NATS at `url` holds, in order;
/// none if the stream does not exist yet. A cluster that has just lost or
/// regained a server may answer "JetStream system temporarily unavailable"
/// for a while, so a failed read is tried again for up to `WAIT`.
pub async fn stream_messages(url: &str, stream: &str) -> Vec<async_nats::jetstream::message::StreamMessage> {
    let js = async_nats::jetstream::new(testsuite::nats_client(url).await.unwrap());
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match read_stream(&js, stream).await {
            Ok(messages) => return messages,
            Err(error) if tokio::time::Instant::now() < deadline => {
                tracing::debug!(%error, stream, "stream read failed; trying again");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("reading stream {stream} failed for {WAIT:?}: {error}"),
        }
    }
}

async fn read_stream(
    js: &async_nats::jetstream::Context,
    stream: &str,
) -> Result<Vec<async_nats::jetstream::message::StreamMessage>, async_nats::Error> {
    use async_nats::jetstream::{ErrorCode, context::GetStreamErrorKind};
    let mut stream = match js.get_stream(stream).await {
        Ok(stream) => stream,
        Err(error) => match error.kind() {
            GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND => return Ok(Vec::new()),
            _ => return Err(error.into()),
        },
    };
    let last = stream.info().await?.state.last_sequence;
    let mut messages = Vec::new();
    for seq in 1..=last {
        messages.push(stream.get_raw_message(seq).await?);
    }
    Ok(messages)
}

/// Imports unit rows into the scheduling service at `scheduling`, in batches of 50.
pub async fn import_units(
    scheduling: Channel,
    rows: Vec<UnitRow>,
    token: &str,
) -> Result<ImportUnitsResponse, tonic::Status> {
    let chunks: Vec<ImportUnitsRequest> = rows.chunks(50).map(|c| ImportUnitsRequest { rows: c.to_vec() }).collect();
    let request = authorized(tokio_stream::iter(chunks), token);
    Ok(UnitDirectoryClient::new(scheduling).import_units(request).await?.into_inner())
}

/// The rule id or stable reason a refusal names (google.rpc ErrorInfo).
pub fn rule(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status.get_details_error_info().map(|info| info.reason).unwrap_or_default()
}

/// Rows of a unit list under `deploy/data/units`.
pub fn read_rows(file: &str) -> Vec<UnitRow> {
    let path = repo_root().join("deploy/data/units").join(file);
    let records = doithoai_units::read_units_csv(std::fs::File::open(&path).unwrap()).unwrap();
    records.into_iter().map(wire_row).collect()
}

/// The rows of one province in a unit list (Thái Bình's in the country's).
pub fn province_rows(file: &str, province: &str) -> Vec<UnitRow> {
    let rows = read_rows(file);
    let parents: std::collections::HashMap<String, String> =
        rows.iter().map(|r| (r.code.clone(), r.parent_code.clone())).collect();
    let root = |code: &str| {
        let mut code = code.to_owned();
        while let Some(parent) = parents.get(&code).filter(|p| !p.is_empty()) {
            code = parent.clone();
        }
        code
    };
    rows.iter().filter(|row| root(&row.code) == province).cloned().collect()
}

/// A plain HTTP/1.1 GET: the status line, headers and body.
pub async fn http_get_status(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// A GET that must answer 200.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let response = http_get_status(addr, path).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response
}
