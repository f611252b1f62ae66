//! Traces, exported over OTLP/gRPC to a collector this test runs (its own
//! process, since the tracer is installed once per process): one trace follows
//! a post from the office's gRPC call through the outbox, the relay's publish
//! and the deadlines service's handling to the obligations it opens, with the
//! messaging spans of OpenTelemetry's conventions; and no span carries a
//! citizen's name.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use doithoai_proto::participants::v1::{
    ConferenceRequest as ParticipantsConference, Person, RegisterParticipantRequest,
    participants_client::ParticipantsClient, register_participant_request::Who,
};
use doithoai_runtime::telemetry;
use doithoai_tests::{scheduling::District, *};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
    trace::v1::{Span, span::SpanKind},
};

/// An OTLP trace collector that keeps every span it receives.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request.into_inner().resource_spans.into_iter().flat_map(|r| r.scope_spans).flat_map(|s| s.spans);
        self.0.lock().unwrap().extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Collector {
    fn spans(&self) -> Vec<Span> {
        self.0.lock().unwrap().clone()
    }
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| match a.value.as_ref()?.value.as_ref()? {
        Value::StringValue(text) => Some(text.as_str()),
        _ => None,
    })
}

/// Every text a span carries: its name, attribute values and event attributes.
fn texts(span: &Span) -> Vec<String> {
    let values = span.attributes.iter().chain(span.events.iter().flat_map(|e| &e.attributes));
    let mut texts: Vec<String> = values.filter_map(|a| a.value.as_ref().map(|v| format!("{:?}", v.value))).collect();
    texts.push(span.name.clone());
    texts
}

#[tokio::test(flavor = "multi_thread")]
async fn one_trace_follows_a_post_from_the_grpc_call_to_the_obligations_it_opens() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(collector.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    telemetry::init_for_tests_exporting_to(&endpoint).unwrap();

    // The district's office records its head: the deadlines service opens the
    // head's R13.1 reports for the year.
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    let citizen = "Nguyễn Thị Riêng Tư";
    let conference = district.announced(&stack).await;
    let mut participants = ParticipantsClient::new(stack.channel("participants").await);
    let request = RegisterParticipantRequest {
        conference_id: conference.id.clone(),
        who: Some(Who::Person(Person {
            full_name: citizen.into(),
            phone: "0912345678".into(),
            national_id: "033095001234".into(),
        })),
        unit_code: "11950".into(),
        ..Default::default()
    };
    let attendance = ParticipantsConference { conference_id: conference.id.clone() };
    eventually(WAIT, "registration open", || {
        let (mut participants, request) = (participants.clone(), authorized(attendance.clone(), &district.office));
        async move { participants.get_attendance(request).await.ok()?.into_inner().registration_open.then_some(()) }
    })
    .await;
    participants.register_participant(authorized(request, &district.office)).await.unwrap();

    let chain = eventually(WAIT, "the post's trace, to the obligations it opens", || {
        telemetry::flush();
        let spans = collector.spans();
        async move {
            let call = spans
                .iter()
                .find(|s| s.name == "doithoai.scheduling.v1.Directory/CreatePosition" && s.kind() == SpanKind::Server)?
                .clone();
            let in_trace: Vec<Span> = spans.iter().filter(|s| s.trace_id == call.trace_id).cloned().collect();
            let producer = in_trace
                .iter()
                .find(|s| s.kind() == SpanKind::Producer && s.name.contains("position_upserted"))?
                .clone();
            let consumer = in_trace
                .iter()
                .find(|s| {
                    s.kind() == SpanKind::Consumer
                        && s.parent_span_id == producer.span_id
                        && attribute(s, "messaging.consumer.group.name") == Some("deadlines")
                })?
                .clone();
            let opened =
                in_trace.iter().find(|s| s.name == "obligation.open" && s.parent_span_id == consumer.span_id)?;
            Some((call, producer, consumer, opened.clone()))
        }
    })
    .await;
    let (call, producer, consumer, opened) = chain;
    // The producer's parent is the request that wrote the event.
    assert_eq!(producer.parent_span_id, call.span_id);
    assert_eq!(attribute(&producer, "messaging.system"), Some("nats"));
    assert!(
        attribute(&producer, "messaging.destination.name")
            .unwrap()
            .starts_with("doithoai.scheduling.position_upserted.")
    );
    assert_eq!(attribute(&consumer, "messaging.operation.type"), Some("process"));
    assert_eq!(attribute(&opened, "rule"), Some("R13.1"));

    // No span says who the citizen is.
    let spans = collector.spans();
    assert!(spans.iter().any(|s| s.name.contains("RegisterParticipant")), "the registration was traced");
    for span in &spans {
        let personal = |t: &String| t.contains(citizen) || t.contains("0912345678") || t.contains("033095001234");
        assert!(!texts(span).iter().any(personal), "{span:?}");
    }
    stack.finish().await;
}
