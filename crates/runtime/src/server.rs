//! The shape of every service: connect (database, NATS), add the service's
//! gRPC APIs and consumers, serve with health, reflection and metrics, and
//! shut down gracefully: finish in-flight requests, stop consumers, flush the
//! outbox.

use std::{convert::Infallible, net::SocketAddr, process::ExitCode, time::Duration};

use anyhow::Context;
use async_nats::jetstream;
use axum::serve::ListenerExt;
use doithoai_proto::clock::v1::simulated_clock_server::SimulatedClockServer;
use futures::future::BoxFuture;
use sqlx::{PgPool, migrate::Migrator};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::{
    body::Body,
    server::NamedService,
    service::{Routes, RoutesBuilder},
    transport::server::TcpIncoming,
};
use tonic_health::ServingStatus;

use crate::{
    auth::{Authenticated, Authenticator},
    clock_service::SimulatedClockService,
    consumer::{Consumer, EventHandler},
    db, metrics,
    outbox::{Outbox, Relay},
    settings::{Ports, Settings},
    telemetry,
    time::Clock,
    tls::ServerTls,
};

/// How long a JetStream request (a publish's ack) may take before it is retried.
const ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// A service's connections and background work, before it serves.
pub struct Platform {
    pub service: &'static str,
    pub settings: Settings,
    pub pool: PgPool,
    pub jetstream: jetstream::Context,
    pub outbox: Outbox,
    pub clock: Clock,
    authenticator: Authenticator,
    stop_consumers: CancellationToken,
    consumers: Vec<JoinHandle<()>>,
}

impl Platform {
    /// Connects to PostgreSQL (creating and migrating the service's database)
    /// and to NATS. NATS may be down: the connection keeps retrying, and events
    /// wait in the outbox meanwhile.
    pub async fn connect(
        service: &'static str,
        settings: Settings,
        clock: Clock,
        migrators: Vec<Migrator>,
    ) -> anyhow::Result<Self> {
        metrics::handle();
        let authenticator = Authenticator::from_settings(&settings)?;
        let pool = db::connect(&settings, service, migrators).await?;
        crate::clock_service::resume(&clock, &pool).await?;
        let client = async_nats::ConnectOptions::new()
            .name(format!("doithoai-{service}"))
            .retry_on_initial_connect()
            .connect(settings.nats.servers())
            .await
            .context("invalid setting `nats.url`")?;
        Ok(Self {
            service,
            settings,
            pool,
            jetstream: {
                // An ack that does not come within 2 s means the node went away or the
                // stream is electing a leader: the relay retries sooner than after the
                // client's 5 s (an ack takes milliseconds under the heaviest load measured).
                let mut context = jetstream::new(client);
                context.set_timeout(ACK_TIMEOUT);
                context
            },
            outbox: Outbox::new(service, clock.clone()),
            clock,
            authenticator,
            stop_consumers: CancellationToken::new(),
            consumers: Vec::new(),
        })
    }

    /// What authenticates every RPC of a service it wraps ([`Authenticated`]).
    pub fn authenticator(&self) -> Authenticator {
        self.authenticator.clone()
    }

    /// Consumes the events of the `source` service with `handler`.
    pub fn consume<H: EventHandler>(&mut self, source: &'static str, handler: H) {
        let consumer = Consumer {
            service: self.service,
            source,
            pool: self.pool.clone(),
            jetstream: self.jetstream.clone(),
            settings: self.settings.clone(),
            handler,
        };
        self.consumers.push(tokio::spawn(consumer.run(self.stop_consumers.clone())));
    }

    /// Runs a background task (a sweeper, say) until the service stops; it is
    /// stopped with the consumers, after the last requests.
    pub fn run_in_background<F, Fut>(&mut self, task: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.consumers.push(tokio::spawn(task(self.stop_consumers.clone())));
    }

    /// Binds the gRPC and metrics listeners and starts serving `api`.
    pub async fn serve(self, api: Api) -> anyhow::Result<RunningService> {
        let listener = tokio::net::TcpListener::bind(self.settings.grpc_addr)
            .await
            .with_context(|| format!("cannot listen on grpc_addr {}", self.settings.grpc_addr))?;
        let grpc_addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let (metrics_addr, metrics_task) = metrics::serve(self.settings.metrics_addr, stop.clone()).await?;
        let public = match api.http {
            Some(router) => Some(serve_http(self.settings.public_addr, router, stop.clone()).await?),
            None => None,
        };
        let public_addr = public.as_ref().map(|(addr, _)| *addr);

        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_service_status("", ServingStatus::Serving).await;
        for name in &api.names {
            health.set_service_status(*name, ServingStatus::Serving).await;
        }
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(doithoai_proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let mut routes = api.routes;
        if self.clock.is_adjustable() {
            let clock = SimulatedClockServer::new(SimulatedClockService::new(
                self.clock.clone(),
                self.pool.clone(),
                self.outbox.clone(),
            ));
            routes.add_service(Authenticated::new(clock, self.authenticator.clone()));
        }
        let health_task = match self.settings.health_addr {
            Some(addr) => Some(serve_health(addr, health_service.clone(), stop.clone()).await?),
            None => None,
        };
        routes
            .add_service(health_service)
            .add_service(reflection().build_v1()?)
            .add_service(reflection().build_v1alpha()?);

        let router = tonic::transport::Server::builder()
            .layer(metrics::ObserveLayer::new(self.service))
            .add_routes(routes.routes());
        let shutdown = stop.clone().cancelled_owned();
        let server: BoxFuture<'static, Result<(), tonic::transport::Error>> = match &self.settings.tls {
            Some(tls) => {
                let incoming = ServerTls::load(tls, stop.clone())?.incoming(listener, stop.clone());
                Box::pin(router.serve_with_incoming_shutdown(incoming, shutdown))
            }
            // Without TCP_NODELAY a response's frames wait on the caller's delayed
            // ACK: some 40 ms an RPC.
            None => Box::pin(
                router.serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), shutdown),
            ),
        };

        let relay = Relay {
            service: self.service,
            pool: self.pool.clone(),
            jetstream: self.jetstream.clone(),
            settings: self.settings.clone(),
        };
        let stop_relay = CancellationToken::new();
        let relay_task = tokio::spawn(relay.run(stop_relay.clone()));
        let (service, stop_consumers, consumers, pool) = (self.service, self.stop_consumers, self.consumers, self.pool);
        let task = tokio::spawn(async move {
            let served = server.await;
            health.set_service_status("", ServingStatus::NotServing).await;
            // Requests are finished; stop taking events, then publish what the
            // last requests wrote.
            stop_consumers.cancel();
            for consumer in consumers {
                let _ = consumer.await;
            }
            stop_relay.cancel();
            let _ = relay_task.await;
            let _ = metrics_task.await;
            if let Some((_, task)) = public {
                let _ = task.await;
            }
            if let Some(task) = health_task {
                let _ = task.await;
            }
            pool.close().await;
            tracing::info!(service, "stopped");
            served.context("gRPC server failed")
        });
        tracing::info!(service = self.service, %grpc_addr, %metrics_addr, "serving");
        Ok(RunningService { grpc_addr, metrics_addr, public_addr, stop, task })
    }
}

/// The health service alone, in plaintext on `addr`, until `stop`.
async fn serve_health<S>(addr: SocketAddr, health: S, stop: CancellationToken) -> anyhow::Result<JoinHandle<()>>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on health_addr {addr}"))?;
    let server = tonic::transport::Server::builder()
        .add_service(health)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), stop.cancelled_owned());
    Ok(tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(%error, "health server failed");
        }
    }))
}

/// A generated gRPC server for `api`, with the service's message limits
/// (`limits.*`), behind the platform's authenticator.
#[macro_export]
macro_rules! guarded {
    ($platform:expr, $server:ident, $api:expr) => {{
        let limits = &$platform.settings.limits;
        let server = $server::new($api)
            .max_decoding_message_size(limits.max_request_bytes)
            .max_encoding_message_size(limits.max_response_bytes);
        $crate::auth::Authenticated::new(server, $platform.authenticator())
    }};
}

/// The gRPC APIs of a service; health and reflection are added by [`Platform::serve`].
pub struct Api {
    routes: RoutesBuilder,
    names: Vec<&'static str>,
    http: Option<axum::Router>,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new() -> Self {
        Self { routes: Routes::builder(), names: Vec::new(), http: None }
    }

    /// Public HTTP routes, served on `public_addr` without authentication.
    pub fn with_http(mut self, router: axum::Router) -> Self {
        self.http = Some(router);
        self
    }

    pub fn with<S>(mut self, service: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Error = Infallible> + NamedService + Clone + Send + Sync + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes.add_service(service);
        self
    }
}

/// A serving service.
pub struct RunningService {
    pub grpc_addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub public_addr: Option<SocketAddr>,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningService {
    /// Stops gracefully and waits until everything has stopped.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await.context("the service task panicked")?
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

async fn serve_http(
    addr: SocketAddr,
    router: axum::Router,
    stop: CancellationToken,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on public_addr {addr}"))?;
    let bound = listener.local_addr()?;
    let listener = listener.tap_io(no_delay);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned()).await {
            tracing::error!(error = %error, "public HTTP failed");
        }
    });
    Ok((bound, task))
}

/// Sends each write at once: a response's last bytes must not wait for the
/// caller's delayed ACK (Nagle's algorithm), some 40 ms.
pub fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// The `main` of every service binary: settings, telemetry, start, serve
/// until a signal. A bad setting exits with code 2 and names the setting.
pub async fn main<F, Fut>(service: &'static str, ports: Ports, start: F) -> ExitCode
where
    F: FnOnce(Settings, Clock) -> Fut,
    Fut: Future<Output = anyhow::Result<RunningService>>,
{
    let settings = match Settings::load(ports) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("doithoai-{service}: {error:#}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = telemetry::init(&settings.telemetry, service) {
        eprintln!("doithoai-{service}: {error:#}");
        return ExitCode::from(2);
    }
    let clock = if settings.clock.adjustable {
        tracing::warn!("the clock is adjustable: administrators can move this service's time");
        Clock::adjustable()
    } else {
        Clock::system()
    };
    let running = match tokio::time::timeout(Duration::from_secs(60), start(settings, clock)).await {
        Ok(Ok(running)) => running,
        Ok(Err(error)) => {
            tracing::error!(error = format!("{error:#}"), "cannot start");
            return ExitCode::FAILURE;
        }
        Err(_) => {
            tracing::error!("start-up took more than 60 s (database unreachable?)");
            return ExitCode::FAILURE;
        }
    };
    let ran = running.run_until_signal().await;
    // The spans of the last seconds, before the process ends.
    let _ = tokio::task::spawn_blocking(telemetry::flush).await;
    match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "stopped with an error");
            ExitCode::FAILURE
        }
    }
}
