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
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, layer::SubscriberExt, util::SubscriberInitExt};

use crate::settings::LogFormat;

pub const TRACEPARENT: &str = "traceparent";

static PROPAGATOR: OnceLock<TraceContextPropagator> = OnceLock::new();

fn propagator() -> &'static TraceContextPropagator {
    PROPAGATOR.get_or_init(TraceContextPropagator::new)
}

/// Installs the process-wide subscriber. Later calls (several services in one
/// test process) keep the first one.
pub fn init(format: LogFormat) {
    let provider = SdkTracerProvider::builder().build();
    let tracer = provider.tracer("doithoai");
    global::set_tracer_provider(provider);
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let _ = match format {
        LogFormat::Json => registry
            .with(tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false))
            .try_init(),
        LogFormat::Pretty => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            registry.with(tracing_subscriber::fmt::layer().with_ansi(ansi)).try_init()
        }
    };
}

/// For tests: trace context without log output, unless `TEST_LOG` is set.
pub fn init_for_tests() {
    init_for_tests_with(None);
}

/// The same, with `logs` receiving the log events (a test that reads what
/// was logged). The first call in a process installs the subscriber.
pub fn init_for_tests_with(logs: Option<Box<dyn Layer<Registry> + Send + Sync>>) {
    if std::env::var_os("TEST_LOG").is_some() {
        init(LogFormat::Pretty);
        return;
    }
    let provider = SdkTracerProvider::builder().build();
    let otel = tracing_opentelemetry::layer().with_tracer(provider.tracer("doithoai-tests"));
    let _ = tracing_subscriber::registry().with(logs).with(otel).try_init();
}

/// The W3C `traceparent` of the current span, if it belongs to a trace.
pub fn current_traceparent() -> Option<String> {
    let mut carrier = HashMap::new();
    propagator().inject_context(&Span::current().context(), &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// Makes `span` a child of the remote span named by `traceparent`, and records
/// the trace id on the span so logs of one request can be found together.
pub fn continue_trace(span: &Span, traceparent: Option<&str>) {
    if let Some(traceparent) = traceparent {
        let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
        let parent = propagator().extract(&carrier);
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
}

#[cfg(test)]
mod tests {
    use super::*;

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
