//! Citizens' personal data never reaches logs, events or audit entries: a run
//! registers people with distinctive names, phones and identity numbers, then
//! every log line, every event on every stream, every outbox row and every
//! audit entry is searched for them.
#![allow(clippy::unwrap_used)]

use async_nats::jetstream;
use doithoai_proto::participants::v1::{
    ConferenceRequest, Person, RefusalReason, RefuseParticipantRequest, RegisterParticipantRequest,
    RegisterSpeakerRequest, participants_client::ParticipantsClient, register_participant_request::Who,
};
use doithoai_tests::{scheduling::*, *};
use futures::StreamExt;

const NAME: &str = "Hoàng Thị Riêng Tư";
const PHONE: &str = "0987654321";
const NATIONAL_ID: &str = "034199912345";

fn contains_personal_data(haystack: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(haystack);
    [NAME, PHONE, NATIONAL_ID, "Riêng Tư"].into_iter().find(|needle| text.contains(needle))
}

#[tokio::test]
async fn personal_data_never_reaches_logs_events_or_audit() {
    // Every log line of every service in this process, at debug level.
    let logs = LogCapture::start();

    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    let conference = district.announced(&stack).await;
    let secretary = token_for("thuky-323", "323", &[Role::Secretary]);
    let mut client = ParticipantsClient::new(stack.channel("participants").await);
    let conference_request = ConferenceRequest { conference_id: conference.id.clone() };
    eventually(WAIT, "registration open", || {
        let mut client = client.clone();
        let request = authorized(conference_request.clone(), &secretary);
        async move { client.get_attendance(request).await.ok().filter(|a| a.get_ref().registration_open) }
    })
    .await;

    let person = Person { full_name: NAME.into(), phone: PHONE.into(), national_id: NATIONAL_ID.into() };
    let register = RegisterParticipantRequest {
        conference_id: conference.id.clone(),
        who: Some(Who::Person(person)),
        unit_code: "11950".into(),
        ..Default::default()
    };
    let participant = client.register_participant(authorized(register.clone(), &secretary)).await.unwrap().into_inner();
    // A failed second registration logs and errs too.
    assert!(client.register_participant(authorized(register, &secretary)).await.is_err());
    let speak = RegisterSpeakerRequest {
        conference_id: conference.id.clone(),
        participant_id: participant.id.clone(),
        topic: "Đất ở bị lấn chiếm".into(),
        field: 1,
        ..Default::default()
    };
    client.register_speaker(authorized(speak, &secretary)).await.unwrap();
    let host = token_for("bithu-323", "323", &[Role::Host]);
    let refuse = RefuseParticipantRequest {
        participant_id: participant.id.clone(),
        reason: RefusalReason::DisturbingOrder as i32,
        note: "Gây rối".into(),
    };
    client.refuse_participant(authorized(refuse, &host)).await.unwrap();
    let _ = client.list_speakers(authorized(conference_request.clone(), &secretary)).await.unwrap();

    // The office does see the data: the search below would find it if it leaked.
    let queue = client.list_speakers(authorized(conference_request, &secretary)).await.unwrap().into_inner();
    assert_eq!(queue.speakers[0].speaker_name, NAME);
    eventually(WAIT, "the outbox published", || async {
        (stack.count("participants", "SELECT count(*) FROM outbox WHERE published_at IS NULL").await == 0
            && stack.count("participants", "SELECT count(*) FROM outbox").await >= 3)
            .then_some(())
    })
    .await;

    let js = jetstream::new(async_nats::connect(stack.nats.url()).await.unwrap());
    let mut streams = js.stream_names();
    let mut messages = 0;
    while let Some(name) = streams.next().await {
        let mut stream = js.get_stream(name.unwrap()).await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        for seq in 1..=last {
            let message = stream.get_raw_message(seq).await.unwrap();
            assert_eq!(contains_personal_data(&message.payload), None, "event {}", message.subject);
            messages += 1;
        }
    }
    assert!(messages > 10, "the search saw the events");
    for service in SERVICES {
        let pool = stack.database(service).await;
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT coalesce(before::text, '') || coalesce(after::text, '') || actor || rpc FROM audit_log
             UNION ALL SELECT encode(envelope, 'escape') FROM outbox",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        for row in rows {
            assert_eq!(contains_personal_data(row.as_bytes()), None, "{service}: {row}");
        }
    }
    let stored_id: i64 = sqlx::query_scalar("SELECT count(*) FROM participants WHERE position($1 in full_name || coalesce(phone, '') || encode(identity_key, 'escape')) > 0")
        .bind(NATIONAL_ID)
        .fetch_one(&stack.database("participants").await)
        .await
        .unwrap();
    assert_eq!(stored_id, 0, "the identity number itself is never stored");
    stack.finish().await;

    let logs = logs.finish();
    assert!(logs.len() > 1000, "the search saw the logs");
    assert_eq!(contains_personal_data(&logs), None);
}
