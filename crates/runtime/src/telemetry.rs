//! Logs and traces. One subscriber for every service: pretty locally, JSON in
//! production, filtered by `RUST_LOG`. Spans carry OpenTelemetry context so the
//! W3C `traceparent` of a request travels on through gRPC metadata, the outbox
//! and NATS headers, and one trace follows a request across services.

use std::{collections::HashMap, sync::OnceLock};

use opentelemetry::{
    global,
    propagation::TextMapPropagator,
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{
    Resource,
    error::OTelSdkResult,
    propagation::TraceContextPropagator,
    trace::{Sampler, SdkTracerProvider, SpanData, SpanExporter},
};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, layer::SubscriberExt, util::SubscriberInitExt};

use crate::settings::{LogFormat, TelemetrySettings};

pub const TRACEPARENT: &str = "traceparent";

static PROPAGATOR: OnceLock<TraceContextPropagator> = OnceLock::new();

fn propagator() -> &'static TraceContextPropagator {
    PROPAGATOR.get_or_init(TraceContextPropagator::new)
}

/// Installs the process-wide subscriber and, when `otlp_endpoint` is set, the
/// export of the sampled traces to it. Later calls (several services in one
/// test process) keep the first one.
pub fn init(settings: &TelemetrySettings, service: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&settings.sampling_ratio),
        "invalid setting `telemetry.sampling_ratio`: {} is not between 0 and 1",
        settings.sampling_ratio
    );
    let provider = provider(settings, service)?;
    let tracer = provider.tracer("doithoai");
    if PROVIDER.set(provider.clone()).is_err() {
        return Ok(());
    }
    global::set_tracer_provider(provider);
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let _ = match settings.format {
        LogFormat::Json => registry.with(json_logs(std::io::stdout)).try_init(),
        LogFormat::Pretty => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            registry.with(tracing_subscriber::fmt::layer().with_ansi(ansi)).try_init()
        }
    };
    Ok(())
}

/// The tracer provider: sampled as the settings say, exporting over OTLP when an endpoint is set.
fn provider(settings: &TelemetrySettings, service: &str) -> anyhow::Result<SdkTracerProvider> {
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(settings.sampling_ratio)));
    let resource = Resource::builder().with_service_name(format!("doithoai-{service}")).build();
    let mut provider = SdkTracerProvider::builder().with_sampler(sampler).with_resource(resource);
    if !settings.otlp_endpoint.is_empty() {
        provider = provider.with_batch_exporter(OnItsRuntime::new(&settings.otlp_endpoint)?);
    }
    Ok(provider.build())
}

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Production's log lines: JSON, each with the current span's fields, among
/// them its trace and span ids.
fn json_logs<S, W>(writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false).with_writer(writer)
}

/// Exports the spans ended so far (before a process exits, or for a test).
pub fn flush() {
    if let Some(provider) = PROVIDER.get()
        && let Err(error) = provider.force_flush()
    {
        tracing::warn!(error = %error, "cannot export the traces");
    }
}

/// The OTLP exporter with a Tokio runtime of its own: the SDK's batch
/// processor exports from a plain thread, and tonic needs a reactor there.
#[derive(Debug)]
struct OnItsRuntime {
    exporter: opentelemetry_otlp::SpanExporter,
    runtime: tokio::runtime::Runtime,
}

impl OnItsRuntime {
    fn new(endpoint: &str) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("otlp-export")
            .enable_all()
            .build()?;
        let exporter = {
            let _inside = runtime.enter();
            opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()
                .map_err(|e| anyhow::anyhow!("invalid setting `telemetry.otlp_endpoint` {endpoint:?}: {e}"))?
        };
        Ok(Self { exporter, runtime })
    }
}

impl SpanExporter for OnItsRuntime {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let exported = self.runtime.block_on(self.exporter.export(batch));
        std::future::ready(exported)
    }

    fn shutdown_with_timeout(&mut self, timeout: std::time::Duration) -> OTelSdkResult {
        self.exporter.shutdown_with_timeout(timeout)
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.exporter.set_resource(resource);
    }
}

/// For tests: trace context without log output, unless `TEST_LOG` is set.
pub fn init_for_tests() {
    init_for_tests_with(None);
}

/// The same, with `logs` receiving the log events (a test that reads what
/// was logged). The first call in a process installs the subscriber.
pub fn init_for_tests_with(logs: Option<Box<dyn Layer<Registry> + Send + Sync>>) {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings =
            TelemetrySettings { format: LogFormat::Pretty, otlp_endpoint: String::new(), sampling_ratio: 1.0 };
        let _ = init(&settings, "tests");
        return;
    }
    let provider = SdkTracerProvider::builder().build();
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("doithoai-tests"));
    let _ = tracing_subscriber::registry().with(logs).with(otel).try_init();
}

/// For a test that receives the traces: every span exported to `endpoint`
/// (OTLP/gRPC), without log output. Must come before the first service starts.
pub fn init_for_tests_exporting_to(endpoint: &str) -> anyhow::Result<()> {
    let settings =
        TelemetrySettings { format: LogFormat::Pretty, otlp_endpoint: endpoint.to_owned(), sampling_ratio: 1.0 };
    let provider = provider(&settings, "tests")?;
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("doithoai-tests"));
    anyhow::ensure!(PROVIDER.set(provider).is_ok(), "the tracer provider is already installed");
    // The services' spans, not those of the libraries under them (the
    // exporter's own HTTP/2 spans would feed back into the export).
    tracing_subscriber::registry().with(EnvFilter::new("info")).with(otel).try_init()?;
    Ok(())
}

/// The W3C `traceparent` of the current span, if it belongs to a trace.
pub fn current_traceparent() -> Option<String> {
    let mut carrier = HashMap::new();
    propagator().inject_context(&Span::current().context(), &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Makes `span` a child of the remote span named by `traceparent`, and records
/// the trace and span ids on it (fields `trace_id`, `span_id`), so that the
/// logs of one request can be found together and beside its trace.
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    if let Some(parent) = remote(traceparent) {
        let _ = span.set_parent(parent);
    }
    let context = span.context();
    let ids = context.span().span_context().clone();
    span.record("trace_id", tracing::field::display(ids.trace_id()));
    span.record("span_id", tracing::field::display(ids.span_id()));
}

/// Links `span` to the remote span named by `traceparent` (a consumer's span
/// to the request that wrote the event, as the messaging conventions say).
pub fn link(span: &Span, traceparent: Option<&str>) {
    if let Some(remote) = remote(traceparent) {
        span.add_link(remote.span().span_context().clone());
    }
}

/// The context a `traceparent` names, if it is a valid one.
fn remote(traceparent: Option<&str>) -> Option<opentelemetry::Context> {
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent?.to_owned())]);
    let context = propagator().extract(&carrier);
    context.span().span_context().is_valid().then_some(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines a JSON log layer wrote.
    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_json_log_line_carries_the_trace_and_span_ids_of_its_request() {
        let lines = Lines::default();
        let writer = lines.clone();
        let provider = SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
            .with(json_logs(move || writer.clone()));
        let remote = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("grpc", trace_id = tracing::field::Empty, span_id = tracing::field::Empty);
            continue_trace(&span, Some(remote));
            span.in_scope(|| tracing::info!("answered"));
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(line["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736", "{line}");
        let span_id = line["span"]["span_id"].as_str().unwrap();
        assert!(span_id.len() == 16 && span_id != "00f067aa0ba902b7", "its own span: {line}");
    }

    #[test]
    fn a_sampling_ratio_outside_0_to_1_is_refused_by_its_name() {
        let settings = TelemetrySettings { format: LogFormat::Json, otlp_endpoint: String::new(), sampling_ratio: 1.5 };
        let refused = init(&settings, "scheduling").unwrap_err().to_string();
        assert!(refused.contains("telemetry.sampling_ratio"), "{refused}");
    }

    #[test]
    fn a_remote_trace_is_continued_in_the_current_span() {
        init_for_tests();
        let remote = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let span = tracing::info_span!("request", trace_id = tracing::field::Empty);
        continue_trace(&span, Some(remote));
        let inner = span.in_scope(current_traceparent).unwrap();
        assert!(inner.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{inner}");
        assert!(!inner.contains("00f067aa0ba902b7"), "a child span has its own id");
    }
}
