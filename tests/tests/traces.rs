//! Traces, exported over OTLP/gRPC to a collector this test runs (its own
//! process, since the tracer is installed once per process): one trace follows
//! a petition from the office's gRPC call that assigns it, through the outbox,
//! the relay's publish and the deadlines service's handling, to the R10.3
//! clock it starts, with the messaging spans of OpenTelemetry's conventions;
//! and no span carries a citizen's name, phone or identity number.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use doithoai_proto::{
    minutes::v1::{IssueConclusionNoticeRequest, NoticeAssignment, minutes_service_client::MinutesServiceClient},
    participants::v1::{
        ConferenceRequest as ParticipantsConference, Person, RegisterParticipantRequest,
        participants_client::ParticipantsClient, register_participant_request::Who,
    },
};
use doithoai_runtime::telemetry;
use doithoai_tests::{
    scheduling::{District, at},
    *,
};
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

/// The spans of the trace of the server span named `call`: the call, the
/// relay's producer span for an event of `event`, the deadlines service's
/// consumer span under it, and an obligation other than a conclusion notice
/// opened under that.
fn chain(spans: &[Span], call: &str, event: &str) -> Option<[Span; 4]> {
    let call = spans.iter().find(|s| s.name == call && s.kind() == SpanKind::Server)?;
    let in_trace: Vec<&Span> = spans.iter().filter(|s| s.trace_id == call.trace_id).collect();
    let producer = in_trace.iter().find(|s| s.kind() == SpanKind::Producer && s.name.contains(event))?;
    let consumer = in_trace.iter().find(|s| {
        s.kind() == SpanKind::Consumer
            && s.parent_span_id == producer.span_id
            && attribute(s, "messaging.consumer.group.name") == Some("deadlines")
    })?;
    // Under the consumer's span, perhaps through the handler's own spans.
    let under_consumer = |span: &Span| {
        let mut parent = span.parent_span_id.clone();
        while let Some(above) = in_trace.iter().find(|s| s.span_id == parent) {
            if above.span_id == consumer.span_id {
                return true;
            }
            parent = above.parent_span_id.clone();
        }
        false
    };
    let opened = in_trace.iter().find(|s| {
        s.name == "obligation.open"
            && under_consumer(s)
            && attribute(s, "kind").is_some_and(|kind| kind != "OBLIGATION_KIND_CONCLUSION_NOTICE")
    })?;
    Some([call.clone(), (*producer).clone(), (*consumer).clone(), (*opened).clone()])
}

#[tokio::test(flavor = "multi_thread")]
async fn one_trace_follows_a_petition_from_the_grpc_call_to_the_clock_it_starts() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(collector.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    telemetry::init_for_tests_exporting_to(&endpoint).unwrap();

    // A citizen registers; the conference is held and its petitions raised.
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    let citizen = "Nguyễn Thị Riêng Tư";
    let conference = district.announced(&stack).await;
    let mut participants = ParticipantsClient::new(stack.channel("participants").await);
    let attendance = ParticipantsConference { conference_id: conference.id.clone() };
    eventually(WAIT, "registration open", || {
        let (mut participants, request) = (participants.clone(), authorized(attendance.clone(), &district.office));
        async move { participants.get_attendance(request).await.ok()?.into_inner().registration_open.then_some(()) }
    })
    .await;
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
    participants.register_participant(authorized(request, &district.office)).await.unwrap();
    let (held, petitions) = district.held(&stack).await;

    // The office's notice assigns the petitions to the agency: their R10.3 clocks start.
    stack.clock.set(at("2026-03-20T02:00:00Z"));
    let assign = |petition: &String| NoticeAssignment {
        petition_id: petition.clone(),
        organization_id: district.agency.id.clone(),
        received_on: String::new(),
    };
    let issue = IssueConclusionNoticeRequest {
        conference_id: held,
        number: "15/TB-TU".into(),
        sent_on: "2026-03-20".into(),
        signer: "Chánh Văn phòng".into(),
        assignments: petitions.iter().map(assign).collect(),
        ..Default::default()
    };
    let mut minutes = MinutesServiceClient::new(stack.channel("minutes").await);
    minutes.issue_conclusion_notice(authorized(issue, &district.office)).await.unwrap();

    let notice = "doithoai.minutes.v1.MinutesService/IssueConclusionNotice";
    let [call, producer, consumer, opened] = eventually(WAIT, "the notice's trace, to the clock it starts", || {
        telemetry::flush();
        let spans = collector.spans();
        async move { chain(&spans, notice, "conclusion_notice_issued") }
    })
    .await;
    // The producer's parent is the request that wrote the event, and the messaging attributes say what moved.
    assert_eq!(producer.parent_span_id, call.span_id);
    assert_eq!(attribute(&producer, "messaging.system"), Some("nats"));
    let subject = attribute(&producer, "messaging.destination.name").unwrap();
    assert!(subject.starts_with("doithoai.minutes.conclusion_notice_issued."), "{subject}");
    assert_eq!(attribute(&consumer, "messaging.operation.type"), Some("process"));
    assert!(consumer.links.iter().any(|l| l.span_id == call.span_id), "the consumer links the request that wrote it");
    assert_eq!(attribute(&opened, "rule"), Some("R10.3"));
    // The same plumbing carries a head's post to the reports it owes.
    let post = chain(&collector.spans(), "doithoai.scheduling.v1.Directory/CreatePosition", "position_upserted");
    assert_eq!(post.map(|[.., opened]| attribute(&opened, "rule").map(str::to_owned)), Some(Some("R13.1".into())));

    // No span says who the citizen is.
    let spans = collector.spans();
    assert!(spans.iter().any(|s| s.name.contains("RegisterParticipant")), "the registration was traced");
    for span in &spans {
        let personal = |t: &String| t.contains(citizen) || t.contains("0912345678") || t.contains("033095001234");
        assert!(!texts(span).iter().any(personal), "{span:?}");
    }
    stack.finish().await;
}
