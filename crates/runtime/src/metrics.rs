//! Prometheus metrics: a `/metrics` endpoint on every service, and a tower
//! layer that counts and times every RPC by method and gRPC code, under the
//! names operators' gRPC dashboards already use (`grpc_server_started_total`,
//! `grpc_server_handled_total`, `grpc_server_handling_seconds`, labelled
//! `grpc_service`, `grpc_method`, `grpc_code`, and `service`, the doithoai
//! service). The same layer opens the request's span and continues the
//! caller's W3C trace.

use std::{
    net::SocketAddr,
    pin::Pin,
    sync::OnceLock,
    task::{Context, Poll, ready},
    time::Instant,
};

use anyhow::Context as _;
use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::telemetry;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder; installed once even when several services share
/// a process (tests), whose series are told apart by their `service` label.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
            .expect("the bucket list is not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// Serves `GET /metrics` until `stop`.
pub async fn serve(
    addr: SocketAddr,
    stop: CancellationToken,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on metrics_addr {addr}"))?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route("/metrics", axum::routing::get(|| async { handle().render() }));
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned()).await;
        if let Err(error) = served {
            tracing::error!(error = %error, "metrics endpoint failed");
        }
    });
    Ok((bound, task))
}

/// Counts, times and traces every gRPC request.
#[derive(Debug, Clone, Copy)]
pub struct ObserveLayer {
    service: &'static str,
}

impl ObserveLayer {
    pub fn new(service: &'static str) -> Self {
        Self { service }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner, service: self.service }
    }
}

#[derive(Debug, Clone)]
pub struct Observe<S> {
    inner: S,
    service: &'static str,
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for Observe<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Send,
    S::Future: Send + 'static,
    ResBody: Default,
{
    type Response = http::Response<ObservedBody<ResBody>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let method = request.uri().path().to_owned();
        let span = tracing::info_span!(
            "grpc",
            otel.name = %method.trim_start_matches('/'),
            otel.kind = "server",
            rpc.system = "grpc",
            service = self.service,
            method = %method,
            caller = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            span_id = tracing::field::Empty,
        );
        let traceparent = request.headers().get(telemetry::TRACEPARENT).and_then(|v| v.to_str().ok());
        telemetry::continue_trace(&span, traceparent);
        let (grpc_service, grpc_method) = split_path(&method);
        metrics::counter!("grpc_server_started_total", "service" => self.service, "grpc_service" => grpc_service.clone(), "grpc_method" => grpc_method.clone())
            .increment(1);
        let call = Call { service: self.service, grpc_service, grpc_method, start: Instant::now() };
        let future = span.in_scope(|| self.inner.call(request));
        Box::pin(
            async move {
                let response = too_large_is_resource_exhausted(future.await?);
                let (parts, body) = response.into_parts();
                let mut pending = PendingCall(Some(call));
                // A trailers-only response (an error) has its status in the headers.
                if let Some(status) = parts.headers.get("grpc-status") {
                    pending.finish(status.as_bytes());
                }
                Ok(http::Response::from_parts(parts, ObservedBody { inner: body, pending }))
            }
            .instrument(span),
        )
    }
}

/// tonic refuses a message over `limits.max_request_bytes` as OUT_OF_RANGE
/// before the service sees it; gRPC says RESOURCE_EXHAUSTED, with the
/// service's usual reason and messages.
fn too_large_is_resource_exhausted<B: Default>(response: http::Response<B>) -> http::Response<B> {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let out_of_range = header("grpc-status") == (tonic::Code::OutOfRange as i32).to_string();
    // grpc-message is percent-encoded.
    if !(out_of_range && header("grpc-message").replace("%20", " ").contains("length too large")) {
        return response;
    }
    let refusal = crate::ServiceError::new(
        tonic::Code::ResourceExhausted,
        crate::error::Reason::MessageTooLarge,
        "the request is larger than this service accepts (limits.max_request_bytes)",
        "yêu cầu lớn hơn mức dịch vụ chấp nhận (limits.max_request_bytes)",
    );
    tonic::Status::from(refusal).into_http()
}

struct Call {
    service: &'static str,
    grpc_service: String,
    grpc_method: String,
    start: Instant,
}

/// `/doithoai.scheduling.v1.Conferences/CreateConference` → the service and
/// the method (a path that is not gRPC's is all service).
fn split_path(path: &str) -> (String, String) {
    let path = path.trim_start_matches('/');
    match path.rsplit_once('/') {
        Some((service, method)) => (service.to_owned(), method.to_owned()),
        None => (path.to_owned(), String::new()),
    }
}

/// Records the call once: at its trailers, or as cancelled if the body is
/// dropped before them.
struct PendingCall(Option<Call>);

impl PendingCall {
    fn finish(&mut self, status: &[u8]) {
        if let Some(call) = self.0.take() {
            let code = std::str::from_utf8(status).ok().and_then(|s| s.parse::<i32>().ok()).unwrap_or(2);
            let code = code_name(tonic::Code::from_i32(code));
            let labels = [
                ("service", call.service.to_owned()),
                ("grpc_service", call.grpc_service),
                ("grpc_method", call.grpc_method),
            ];
            metrics::histogram!("grpc_server_handling_seconds", &labels).record(call.start.elapsed().as_secs_f64());
            let mut labels = labels.to_vec();
            labels.push(("grpc_code", code.to_owned()));
            metrics::counter!("grpc_server_handled_total", &labels).increment(1);
        }
    }
}

impl Drop for PendingCall {
    fn drop(&mut self) {
        self.finish(b"1");
    }
}

fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

pin_project_lite::pin_project! {
    /// A response body that records the call when its trailers pass.
    pub struct ObservedBody<B> {
        #[pin]
        inner: B,
        pending: PendingCall,
    }
}

impl<B: Body> Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(status) = frame.trailers_ref().and_then(|t| t.get("grpc-status"))
        {
            this.pending.finish(status.as_bytes());
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
