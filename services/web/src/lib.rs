//! The web: pages rendered on the server for citizens (the public portal),
//! for the overseers (the Provincial Internal Affairs Committee, heads,
//! offices, the Front, monitors) and, signed in, for their dashboards. It
//! keeps no data of its own: every page reads, and every form writes,
//! through the four services' gRPC APIs, with the signed-in person's token
//! passed on, or the portal's own SERVICE token for the public pages.

mod backends;
mod charts;
mod directory;
mod i18n;
mod layout;
mod limits;
mod oidc;
mod pages;
mod problem;
mod session;
mod settings;

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::{Router, serve::ListenerExt};
use doithoai_runtime::{Clock, Settings, metrics};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use settings::WebSettings;

pub const SERVICE: &str = "web";
/// The local stack's ports: pages on 7080, metrics on 9180.
pub const PORTS: doithoai_runtime::settings::Ports =
    doithoai_runtime::settings::Ports { grpc: 0, metrics: 9180, public: 7080 };

/// What every handler reads: where the services are, how to sign people in,
/// the limits, the clock.
pub struct Web {
    backends: backends::Backends,
    directory: directory::Directory,
    sessions: session::Sessions,
    limits: limits::Limits,
    /// Signing in with the province's identity provider, when configured.
    oidc: Option<oidc::Oidc>,
    settings: WebSettings,
    clock: Clock,
}

pub type State = Arc<Web>;

/// A serving web.
pub struct RunningWeb {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningWeb {
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await.context("the web task panicked")?
    }
}

/// Starts the web on `public_addr` (and metrics on `metrics_addr`).
pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<RunningWeb> {
    let web = WebSettings::from(&settings)?;
    let state = Arc::new(Web {
        backends: backends::Backends::new(&web, &settings.client_tls)?,
        directory: directory::Directory::default(),
        sessions: session::Sessions::new(&web, &settings)?,
        limits: limits::Limits::new(&web),
        oidc: web.oidc.as_ref().map(|o| oidc::Oidc::new(o, &settings)).transpose()?,
        settings: web,
        clock,
    });
    let router: Router = pages::router(state);
    let listener = tokio::net::TcpListener::bind(settings.public_addr)
        .await
        .with_context(|| format!("cannot listen on public_addr {}", settings.public_addr))?;
    let addr = listener.local_addr()?;
    let listener = listener.tap_io(doithoai_runtime::server::no_delay);
    let stop = CancellationToken::new();
    let (metrics_addr, metrics_task) = metrics::serve(settings.metrics_addr, stop.clone()).await?;
    let shutdown = stop.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        let _ = metrics_task.await;
        served.context("the web's HTTP server failed")
    });
    tracing::info!(%addr, %metrics_addr, "web serving");
    Ok(RunningWeb { addr, metrics_addr, stop, task })
}
