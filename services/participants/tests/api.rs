//! The participants service alone, through its gRPC API. Nothing else runs:
//! the test plays the scheduling service by publishing the events the
//! participants service consumes (units, the host's post, an agency and the
//! conference's lifecycle), on the scheduling stream, as its relay does.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use async_nats::jetstream::message::StreamMessage;
use chrono::{DateTime, Utc};
use doithoai_proto::{
    common::v1::{EventEnvelope, Field, Tier, Unit},
    directory::v1::UnitUpserted,
    participants::v1::{
        Attendance, CheckInRequest, Collective, ConferenceRequest, InvitationStatus, InviteRequest,
        MergeSpeakerRequest, MoveSpeakerRequest, ParticipantStatus, Person, RefusalReason, RefuseParticipantRequest,
        RegisterParticipantRequest, RegisterSpeakerRequest, RegistrantsNotified, SpeakerNoteRequest,
        SpeakerRegistration, SpeakerRequest, SpeakerStatus, UpdateInvitationRequest, check_in_request, participant,
        participants_client::ParticipantsClient, register_participant_request::Who,
    },
    scheduling::v1::{
        AgendaItem, Conference, ConferenceAnnounced, ConferenceCancelled, ConferenceStarted, ConferenceState,
        Organization, OrganizationUpserted, Position, PositionUpserted,
    },
};
use doithoai_runtime::{
    Clock, Role, RunningService,
    events::Event,
    testsuite::{
        Events, TestNats, authorized, connect_database, drop_database, eventually, settings, token_for,
        unique_database, waiting_for_a_lock,
    },
    time::timestamp,
};
use prost::Message;
use tonic::{Code, Response, Status, transport::Channel};
use tonic_types::StatusExt;

const WAIT: Duration = Duration::from_secs(20);
/// Monday 2 March 2026, 08:00 in Hà Nội: the service's clock.
const MONDAY: &str = "2026-03-02T01:00:00Z";
/// The conference: Tuesday 10 March 2026, 09:00 in Hà Nội.
const CONFERENCE_DAY: &str = "2026-03-10T02:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The code and the ErrorInfo reason of a refused call.
fn refusal<T: std::fmt::Debug>(result: Result<Response<T>, Status>) -> (Code, String) {
    let status = result.expect_err("the call is refused");
    (status.code(), status.get_details_error_info().map(|i| i.reason).unwrap_or_default())
}

fn why(code: Code, reason: &str) -> (Code, String) {
    (code, reason.to_owned())
}

fn path(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

fn unit_upserted(codes: &[&str], tier: Tier, kind: &str, name: &str) -> Event {
    let code = codes.last().unwrap();
    let parent = if codes.len() > 1 { codes[codes.len() - 2] } else { "" };
    let unit = Unit {
        code: code.to_string(),
        name: name.into(),
        tier: tier as i32,
        parent_code: parent.into(),
        kind: kind.into(),
        path: path(codes),
        ..Unit::default()
    };
    Event::new("unit_upserted", *code, path(codes), &UnitUpserted { unit: Some(unit) })
}

/// What the scheduling service has published before a conference is
/// announced: Hưng Yên with district 323 and commune 11950, another province
/// (Thái Bình, 34, with 336), the Bí thư's post and an agency of 323.
fn directory(host_post: &str, agency: &str) -> Vec<Event> {
    let position = Position {
        id: host_post.into(),
        unit_code: "323".into(),
        title: "Bí thư Thành ủy".into(),
        person_name: "Nguyễn Văn Chủ Trì".into(),
        subject: "bithu-323".into(),
        term_start: "2020-10-01".into(),
        ..Default::default()
    };
    let organization = Organization {
        id: agency.into(),
        unit_code: "323".into(),
        name: "Phòng Tài nguyên và Môi trường".into(),
        active: true,
        ..Default::default()
    };
    vec![
        unit_upserted(&["33"], Tier::Province, "Tỉnh", "Tỉnh Hưng Yên"),
        unit_upserted(&["33", "323"], Tier::District, "Thành phố", "Thành phố Hưng Yên"),
        unit_upserted(&["33", "323", "11950"], Tier::Commune, "Phường", "Phường Lam Sơn"),
        unit_upserted(&["34"], Tier::Province, "Tỉnh", "Tỉnh Thái Bình"),
        unit_upserted(&["34", "336"], Tier::District, "Thành phố", "Thành phố Thái Bình"),
        Event::new(
            "position_upserted",
            host_post,
            path(&["33", "323"]),
            &PositionUpserted { position: Some(position), unit_path: path(&["33", "323"]) },
        ),
        Event::new(
            "organization_upserted",
            agency,
            path(&["33", "323"]),
            &OrganizationUpserted { organization: Some(organization), unit_path: path(&["33", "323"]) },
        ),
    ]
}

/// A person of commune 11950.
fn person(conference_id: &str, name: &str, phone: &str, national_id: &str) -> RegisterParticipantRequest {
    RegisterParticipantRequest {
        conference_id: conference_id.into(),
        who: Some(Who::Person(Person { full_name: name.into(), phone: phone.into(), national_id: national_id.into() })),
        unit_code: "11950".into(),
        request_id: String::new(),
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// One participants service on its own NATS and database, with a conference
/// of district 323 announced (two agenda items, host `bithu-323`, secretary
/// `thuky-323`).
struct Fixture {
    nats: TestNats,
    database: String,
    service: RunningService,
    scheduling: Events,
    client: ParticipantsClient<Channel>,
    conference: Conference,
    agency_id: String,
    secretary: String,
    host: String,
}

impl Fixture {
    async fn new() -> Self {
        doithoai_runtime::telemetry::init_for_tests();
        let nats = TestNats::start().await.unwrap();
        let scheduling = Events::of("scheduling", &nats.url()).await.unwrap();
        let database = unique_database("participants");
        let clock = Clock::fixed(at(MONDAY));
        let service = doithoai_participants::start(settings(&database, &nats.url()), clock).await.unwrap();
        let channel = Channel::from_shared(format!("http://{}", service.grpc_addr)).unwrap().connect().await.unwrap();
        let (host_post, agency_id) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
        for event in directory(&host_post, &agency_id) {
            scheduling.publish(&event).await.unwrap();
        }
        let conference = Conference {
            id: uuid::Uuid::now_v7().to_string(),
            unit_code: "323".into(),
            unit_path: path(&["33", "323"]),
            host_position_id: host_post.clone(),
            venue_unit_code: "11950".into(),
            theme: "Giải phóng mặt bằng".into(),
            agenda: vec![
                AgendaItem {
                    title: "Bồi thường".into(), field: Field::EconomyAndSociety as i32, ..Default::default()
                },
                AgendaItem {
                    title: "Tái định cư".into(),
                    field: Field::EconomyAndSociety as i32,
                    ..Default::default()
                },
            ],
            starts_at: Some(timestamp(at(CONFERENCE_DAY))),
            planned_minutes: 180,
            secretary_subject: "thuky-323".into(),
            secretary_name: "Lê Thị Thư Ký".into(),
            state: ConferenceState::Announced as i32,
            accountable_position_id: host_post,
            version: 1,
            ..Default::default()
        };
        let announced = ConferenceAnnounced { conference: Some(conference.clone()) };
        scheduling
            .publish(&Event::new("conference_announced", &conference.id, conference.unit_path.clone(), &announced))
            .await
            .unwrap();
        let fixture = Fixture {
            nats,
            database,
            service,
            scheduling,
            client: ParticipantsClient::new(channel),
            conference,
            agency_id,
            secretary: token_for("thuky-323", "323", &[Role::Secretary]),
            host: token_for("bithu-323", "323", &[Role::Host]),
        };
        fixture.until("registration open", |a| a.registration_open).await;
        fixture
    }

    fn client(&self) -> ParticipantsClient<Channel> {
        self.client.clone()
    }

    fn conference(&self) -> ConferenceRequest {
        ConferenceRequest { conference_id: self.conference.id.clone() }
    }

    /// Publishes the conference's next step, as the scheduling service does.
    async fn step<M: Message + prost::Name>(
        &mut self,
        kind: &'static str,
        state: ConferenceState,
        message: impl FnOnce(Conference) -> M,
    ) {
        self.conference.state = state as i32;
        self.conference.version += 1;
        let event =
            Event::new(kind, &self.conference.id, self.conference.unit_path.clone(), &message(self.conference.clone()));
        self.scheduling.publish(&event).await.unwrap();
    }

    async fn start_conference(&mut self) {
        self.step("conference_started", ConferenceState::InProgress, |c| ConferenceStarted { conference: Some(c) })
            .await;
        self.until("registration closed", |a| !a.registration_open).await;
    }

    async fn attendance(&self) -> Attendance {
        self.client().get_attendance(authorized(self.conference(), &self.secretary)).await.unwrap().into_inner()
    }

    /// Waits until the service's attendance of the conference is as `check` wants.
    async fn until(&self, what: &str, check: impl Fn(&Attendance) -> bool) {
        eventually(WAIT, what, || async {
            let attendance = self.client().get_attendance(authorized(self.conference(), &self.secretary)).await.ok()?;
            check(attendance.get_ref()).then_some(())
        })
        .await;
    }

    fn person(&self, name: &str, phone: &str, national_id: &str) -> RegisterParticipantRequest {
        person(&self.conference.id, name, phone, national_id)
    }

    /// The secretary registers a person; their participant id.
    async fn register(&self, name: &str, national_id: &str) -> String {
        let request = self.person(name, "", national_id);
        self.client().register_participant(authorized(request, &self.secretary)).await.unwrap().into_inner().id
    }

    fn speaker(&self, participant_id: &str, topic: &str, field: Field) -> RegisterSpeakerRequest {
        RegisterSpeakerRequest {
            conference_id: self.conference.id.clone(),
            participant_id: participant_id.into(),
            topic: topic.into(),
            field: field as i32,
            request_id: String::new(),
        }
    }

    async fn speak(&self, participant_id: &str, topic: &str) -> SpeakerRegistration {
        let request = self.speaker(participant_id, topic, Field::EconomyAndSociety);
        self.client().register_speaker(authorized(request, &self.secretary)).await.unwrap().into_inner()
    }

    async fn speakers(&self, token: &str) -> Vec<SpeakerRegistration> {
        self.client().list_speakers(authorized(self.conference(), token)).await.unwrap().into_inner().speakers
    }

    /// Every message on the participants service's own stream.
    async fn published(&self) -> Vec<StreamMessage> {
        let js = async_nats::jetstream::new(async_nats::connect(self.nats.url()).await.unwrap());
        let Ok(mut stream) = js.get_stream("DOITHOAI_PARTICIPANTS").await else { return Vec::new() };
        let last = stream.info().await.unwrap().state.last_sequence;
        let mut messages = Vec::new();
        for seq in 1..=last {
            messages.push(stream.get_raw_message(seq).await.unwrap());
        }
        messages
    }

    async fn finish(mut self) {
        self.service.stop().await.unwrap();
        self.nats.stop().await;
        drop_database(&self.database).await.unwrap();
    }
}

#[tokio::test]
async fn registration_opens_from_the_scheduling_events_and_registers_each_person_once() {
    // Fixture::new waits until GetAttendance says registration_open, from the events alone.
    let f = Fixture::new().await;
    let mut client = f.client();
    let register = |request: RegisterParticipantRequest, token: &str| {
        let (mut client, request) = (f.client(), authorized(request, token));
        async move { client.register_participant(request).await }
    };

    let dan = f.person("Trần Văn Dân", "0912 345 678", "034123456789");
    let registered = register(dan, &f.secretary).await.unwrap().into_inner();
    assert_eq!(registered.status, ParticipantStatus::Registered as i32);
    let Some(participant::Who::Person(shown)) = registered.who else { panic!("a person: {registered:?}") };
    assert_eq!((shown.phone.as_str(), shown.national_id.as_str()), ("0912345678", ""), "the number is never returned");
    let collective = RegisterParticipantRequest {
        who: Some(Who::Collective(Collective {
            organization_name: "HTX Nông nghiệp Lam Sơn".into(),
            representative_name: "Đỗ Văn Đại Diện".into(),
        })),
        ..f.person("", "", "")
    };
    register(collective, &f.secretary).await.unwrap();

    // R8.3: nobody twice — by the identity number, whatever the name…
    let renamed = f.person("Tran Van Dan", "", "034123456789");
    assert_eq!(refusal(register(renamed, &f.secretary).await), why(Code::AlreadyExists, "R8.3"));
    // …and by name, unit and phone, once without the number and once with it, in either order.
    register(f.person("Lê Thị Hoa", "0912000111", ""), &f.secretary).await.unwrap();
    let numbered = f.person("Lê Thị Hoa", "0912 000 111", "034199000123");
    assert_eq!(refusal(register(numbered, &f.secretary).await), why(Code::AlreadyExists, "R8.3"));
    register(f.person("Phạm Văn Số", "0913000222", "034199000456"), &f.secretary).await.unwrap();
    let unnumbered = f.person("Phạm Văn Số", "+84 913 000 222", "");
    assert_eq!(refusal(register(unnumbered, &f.secretary).await), why(Code::AlreadyExists, "R8.3"));

    // R2.3: people of another province do not take part.
    let outsider = RegisterParticipantRequest { unit_code: "336".into(), ..f.person("Người Thái Bình", "", "") };
    assert_eq!(refusal(register(outsider, &f.secretary).await), why(Code::FailedPrecondition, "R2.3"));

    // A portal registers; the Front only reads.
    let portal = token_for("portal", "33", &[Role::Service]);
    register(f.person("Vũ Văn Cổng", "0914000333", ""), &portal).await.unwrap();
    let front = token_for("mttq-33", "33", &[Role::Front]);
    let by_front = register(f.person("Ngô Thị Mặt Trận", "", ""), &front).await;
    assert_eq!(refusal(by_front), why(Code::PermissionDenied, "NOT_YOUR_CONFERENCE"));

    // A retry with its request_id returns the first answer and registers nobody twice.
    let retried = RegisterParticipantRequest {
        request_id: uuid::Uuid::now_v7().to_string(),
        ..f.person("Vũ Thị Lan", "0915000444", "")
    };
    let first = register(retried.clone(), &f.secretary).await.unwrap().into_inner();
    let again = register(retried, &f.secretary).await.unwrap().into_inner();
    assert_eq!(again.id, first.id);

    let attendance = client.get_attendance(authorized(f.conference(), &front)).await.unwrap().into_inner();
    assert_eq!((attendance.registered, attendance.registration_open), (6, true));
    f.finish().await;
}

#[tokio::test]
async fn r8_3_the_queue_keeps_its_order_and_only_those_who_manage_it_see_names() {
    let mut f = Fixture::new().await;
    let mut client = f.client();
    let mut queue = Vec::new();
    for n in 0..5 {
        let person = f.register(&format!("Người Phát Biểu {n}"), &format!("03411111111{n}")).await;
        if n == 0 {
            let fieldless = f.speaker(&person, "Đền bù đất", Field::Unspecified);
            let refused = client.register_speaker(authorized(fieldless, &f.secretary)).await;
            assert_eq!(refusal(refused), why(Code::FailedPrecondition, "R5.1"), "a topic has a field");
        }
        queue.push(f.speak(&person, &format!("Chủ đề {n}")).await);
    }
    let positions: Vec<u32> = queue.iter().map(|s| s.position).collect();
    assert_eq!(positions, [1, 2, 3, 4, 5], "gapless, in registration order");
    let ids: Vec<String> = queue.iter().map(|s| s.id.clone()).collect();

    // Names: the secretary and the host see them; the Front, a monitor and another HOST do not.
    for token in [&f.secretary, &f.host] {
        assert!(f.speakers(token).await.iter().all(|s| s.speaker_name.starts_with("Người Phát Biểu")));
    }
    let readers = [
        token_for("mttq-33", "33", &[Role::Front]),
        token_for("ban-noi-chinh", "33", &[Role::Monitor]),
        token_for("chutich-323", "323", &[Role::Host]),
    ];
    for token in &readers {
        let seen = f.speakers(token).await;
        assert_eq!(seen.len(), 5);
        assert!(seen.iter().all(|s| s.speaker_name.is_empty() && !s.topic.is_empty()), "topics, not names");
    }

    let turn = |id: &str| SpeakerRequest { registration_id: id.into() };
    let confirmed = client.confirm_speaker(authorized(turn(&ids[0]), &f.secretary)).await.unwrap().into_inner();
    assert_eq!(confirmed.status, SpeakerStatus::Confirmed as i32);

    let silent = MoveSpeakerRequest { registration_id: ids[3].clone(), new_position: 1, reason: " ".into() };
    let refused = client.move_speaker(authorized(silent, &f.secretary)).await;
    assert_eq!(refusal(refused), why(Code::FailedPrecondition, "R8.3"), "a move needs a reason");
    let moved =
        MoveSpeakerRequest { registration_id: ids[3].clone(), new_position: 1, reason: "Người cao tuổi".into() };
    assert_eq!(client.move_speaker(authorized(moved, &f.secretary)).await.unwrap().into_inner().position, 1);
    let order: Vec<(String, u32)> = f.speakers(&f.secretary).await.into_iter().map(|s| (s.id, s.position)).collect();
    let expected = [(&ids[3], 1), (&ids[0], 2), (&ids[1], 3), (&ids[2], 4), (&ids[4], 5)];
    assert_eq!(order, expected.map(|(id, p)| (id.clone(), p)), "the others shift, still gapless");

    let merge = MergeSpeakerRequest { registration_id: ids[2].clone(), into_registration_id: ids[1].clone() };
    let merged = client.merge_speaker(authorized(merge, &f.secretary)).await.unwrap().into_inner();
    assert_eq!((merged.status, merged.merged_into.as_str()), (SpeakerStatus::Merged as i32, ids[1].as_str()));

    let unexplained = SpeakerNoteRequest { registration_id: ids[4].clone(), reason: String::new() };
    let refused = client.mark_out_of_scope(authorized(unexplained, &f.secretary)).await;
    assert_eq!(refusal(refused), why(Code::FailedPrecondition, "R5.1"), "out of scope needs a reason");
    let explained = SpeakerNoteRequest { registration_id: ids[4].clone(), reason: "Khiếu nại cá nhân".into() };
    let out = client.mark_out_of_scope(authorized(explained, &f.secretary)).await.unwrap().into_inner();
    assert_eq!((out.status, out.note.as_str()), (SpeakerStatus::OutOfScope as i32, "Khiếu nại cá nhân"));

    let (calls, conference, secretary) = (f.client(), f.conference(), f.secretary.clone());
    let call = || {
        let (mut client, request) = (calls.clone(), authorized(conference.clone(), &secretary));
        async move { client.call_next_speaker(request).await }
    };
    assert_eq!(refusal(call().await), why(Code::FailedPrecondition, "LIFECYCLE"), "not started yet");

    f.start_conference().await;
    let late = f.speaker(&queue[0].participant_id, "Muộn", Field::EconomyAndSociety);
    let late = client.register_speaker(authorized(late, &f.secretary)).await;
    assert_eq!(refusal(late), why(Code::FailedPrecondition, "R8.3"), "registration closes at the start");
    let first = call().await.unwrap().into_inner();
    assert_eq!((first.id.as_str(), first.status), (ids[3].as_str(), SpeakerStatus::Called as i32), "moved first");
    assert_eq!(refusal(call().await), why(Code::FailedPrecondition, "R8.3"), "one speaker at a time");
    let spoke = client.mark_spoke(authorized(turn(&first.id), &f.secretary)).await.unwrap().into_inner();
    assert_eq!(spoke.status, SpeakerStatus::Spoke as i32);
    let second = call().await.unwrap().into_inner();
    assert_eq!(second.id, ids[0]);
    let absent = client.mark_absent(authorized(turn(&second.id), &f.secretary)).await.unwrap().into_inner();
    assert_eq!(absent.status, SpeakerStatus::Absent as i32);
    let third = call().await.unwrap().into_inner();
    assert_eq!(third.id, ids[1]);
    client.mark_spoke(authorized(turn(&third.id), &f.secretary)).await.unwrap();
    assert_eq!(
        refusal(call().await),
        why(Code::FailedPrecondition, "R8.3"),
        "merged and out-of-scope registrations are not called"
    );
    let attendance = f.attendance().await;
    assert_eq!((attendance.speakers_queued, attendance.speakers_spoke), (0, 2));
    f.finish().await;
}

#[tokio::test]
async fn r2_4_only_the_host_refuses_on_its_grounds_and_the_refused_take_no_further_part() {
    let f = Fixture::new().await;
    let mut client = f.client();
    let refused_one = f.register("Người Bị Từ Chối", "034000000001").await;
    let staying = f.register("Người Ở Lại", "034000000002").await;
    let removed = f.speak(&refused_one, "Ý kiến thứ nhất").await;
    let kept = f.speak(&staying, "Ý kiến thứ hai").await;
    let refuse = |reason: RefusalReason| RefuseParticipantRequest {
        participant_id: refused_one.clone(),
        reason: reason as i32,
        note: "Có mùi rượu bia".into(),
    };

    // R9.2: the secretary, or a HOST who does not hold the host's post, does not refuse.
    let by_secretary = client.refuse_participant(authorized(refuse(RefusalReason::Intoxicated), &f.secretary)).await;
    assert_eq!(refusal(by_secretary), why(Code::PermissionDenied, "R9.2"));
    let other_host = token_for("chutich-323", "323", &[Role::Host]);
    let by_other = client.refuse_participant(authorized(refuse(RefusalReason::Intoxicated), &other_host)).await;
    assert_eq!(refusal(by_other), why(Code::PermissionDenied, "R9.2"));
    // R2.4: only on one of its grounds.
    let groundless = client.refuse_participant(authorized(refuse(RefusalReason::Unspecified), &f.host)).await;
    assert_eq!(refusal(groundless), why(Code::FailedPrecondition, "R2.4"));
    let refused = client.refuse_participant(authorized(refuse(RefusalReason::Intoxicated), &f.host)).await.unwrap();
    assert_eq!(refused.into_inner().status, ParticipantStatus::Refused as i32);
    let twice = client.refuse_participant(authorized(refuse(RefusalReason::DisturbingOrder), &f.host)).await;
    assert_eq!(refusal(twice), why(Code::AlreadyExists, "R2.4"));

    // Refused: no turn to speak, no check-in, and the queued turn is gone.
    let speak = f.speaker(&refused_one, "Ý kiến khác", Field::EconomyAndSociety);
    let refused_speaker = client.register_speaker(authorized(speak, &f.secretary)).await;
    assert_eq!(refusal(refused_speaker), why(Code::FailedPrecondition, "R2.4"));
    let check_in = CheckInRequest { who: Some(check_in_request::Who::ParticipantId(refused_one.clone())) };
    let refused_check_in = client.check_in(authorized(check_in, &f.secretary)).await;
    assert_eq!(refusal(refused_check_in), why(Code::FailedPrecondition, "R2.4"));
    let statuses: Vec<(String, i32)> = f.speakers(&f.secretary).await.into_iter().map(|s| (s.id, s.status)).collect();
    assert_eq!(statuses, [(removed.id, SpeakerStatus::Removed as i32), (kept.id, SpeakerStatus::Queued as i32)]);
    let attendance = f.attendance().await;
    assert_eq!((attendance.registered, attendance.refused, attendance.speakers_queued), (2, 1, 1));
    f.finish().await;
}

#[tokio::test]
async fn r7_4_invitations_step_through_their_states_and_check_in_is_counted() {
    let f = Fixture::new().await;
    let mut client = f.client();
    let invite = InviteRequest {
        conference_id: f.conference.id.clone(),
        organization_id: f.agency_id.clone(),
        invitee_name: "Trưởng phòng Tài nguyên".into(),
        invitee_title: "Trưởng phòng".into(),
        answers_agenda_items: vec![0, 1],
        request_id: String::new(),
    };
    // The conference has two agenda items: 0 and 1.
    let no_item = InviteRequest { answers_agenda_items: vec![1, 2], ..invite.clone() };
    let status = client.invite(authorized(no_item, &f.secretary)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "answers_agenda_items");
    let invitation = client.invite(authorized(invite, &f.secretary)).await.unwrap().into_inner();
    assert_eq!(
        (invitation.status, invitation.answers_agenda_items.as_slice()),
        (InvitationStatus::Sent as i32, &[0, 1][..])
    );

    let update = |status: InvitationStatus| UpdateInvitationRequest {
        invitation_id: invitation.id.clone(),
        status: status as i32,
    };
    let skipped = client.update_invitation(authorized(update(InvitationStatus::Attended), &f.secretary)).await;
    assert_eq!(refusal(skipped), why(Code::FailedPrecondition, "LIFECYCLE"), "SENT does not jump to ATTENDED");
    let accepted = client.update_invitation(authorized(update(InvitationStatus::Accepted), &f.secretary)).await;
    assert_eq!(accepted.unwrap().into_inner().status, InvitationStatus::Accepted as i32);

    let participant = f.register("Người Tham Dự", "034222222222").await;
    f.register("Người Vắng Mặt", "034222222223").await;
    let check_in = |who| CheckInRequest { who: Some(who) };
    let after_participant = client
        .check_in(authorized(check_in(check_in_request::Who::ParticipantId(participant)), &f.secretary))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((after_participant.registered, after_participant.checked_in), (2, 1));
    let after_invitee = client
        .check_in(authorized(check_in(check_in_request::Who::InvitationId(invitation.id.clone())), &f.secretary))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (after_invitee.registered, after_invitee.checked_in, after_invitee.invited, after_invitee.invitees_attended),
        (2, 1, 1, 1)
    );
    let monitor = token_for("ban-noi-chinh", "33", &[Role::Monitor]);
    let read = client.get_attendance(authorized(f.conference(), &monitor)).await.unwrap().into_inner();
    assert_eq!(read, after_invitee, "anyone in scope reads the counts");
    let listed = client.list_invitations(authorized(f.conference(), &f.secretary)).await.unwrap().into_inner();
    assert_eq!(listed.invitations.iter().map(|i| i.status).collect::<Vec<_>>(), [InvitationStatus::Attended as i32]);
    f.finish().await;
}

#[tokio::test]
async fn r7_3_a_cancelled_conference_closes_registration_and_notifies_its_registrants_by_id() {
    let mut f = Fixture::new().await;
    let mut client = f.client();
    let (name, phone) = ("Nguyễn Thị Riêng Tư", "0987654321");
    let private = f.person(name, phone, "034555666777");
    let first = client.register_participant(authorized(private, &f.secretary)).await.unwrap().into_inner().id;
    let second = f.register("Hoàng Văn Hai", "").await;
    let refused = f.register("Đinh Văn Gây Rối", "").await;
    let refuse = RefuseParticipantRequest {
        participant_id: refused.clone(),
        reason: RefusalReason::DisturbingOrder as i32,
        note: String::new(),
    };
    client.refuse_participant(authorized(refuse, &f.host)).await.unwrap();

    f.step("conference_cancelled", ConferenceState::Cancelled, |c| ConferenceCancelled { conference: Some(c) }).await;
    f.until("registration closed", |a| !a.registration_open).await;
    let late = client.register_participant(authorized(f.person("Lê Văn Sau", "", ""), &f.secretary)).await;
    assert_eq!(refusal(late), why(Code::FailedPrecondition, "R7.3"));

    let notice = eventually(WAIT, "the registrants to be notified", || async {
        let messages = f.published().await;
        let message = messages.iter().find(|m| m.subject.starts_with("doithoai.participants.registrants_notified."))?;
        Some((message.subject.to_string(), message.payload.to_vec()))
    })
    .await;
    assert_eq!(notice.0, "doithoai.participants.registrants_notified.33.323");
    let envelope = EventEnvelope::decode(notice.1.as_slice()).unwrap();
    assert_eq!(envelope.event_type, "doithoai.participants.v1.RegistrantsNotified");
    let notified = RegistrantsNotified::decode(envelope.payload.as_slice()).unwrap();
    let mut expected = vec![first, second];
    expected.sort();
    let mut ids = notified.participant_ids.clone();
    ids.sort();
    assert_eq!((ids, notified.why.as_str()), (expected, "CANCELLED"), "the registrants, not the refused");
    // No name or phone of a citizen leaves in any event.
    for message in f.published().await {
        for secret in [name, phone, "Hoàng Văn Hai", "Đinh Văn Gây Rối", "034555666777"] {
            assert!(!contains(&message.payload, secret), "{secret:?} in {}", message.subject);
        }
    }
    f.finish().await;
}

#[tokio::test]
async fn registrations_that_arrive_together_are_written_together_each_answered_as_if_alone() {
    let f = Fixture::new().await;
    let pool = connect_database(&settings(&f.database, &f.nats.url()), "participants").await.unwrap();
    let first = f.register("Nguyễn Văn Đã Đăng Ký", "").await;
    // A change of the conference in flight holds the registrations back
    // while the rest of them arrive and queue: they are written in groups.
    let mut change = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM conferences WHERE id = $1 FOR NO KEY UPDATE")
        .bind(uuid::Uuid::parse_str(&f.conference.id).unwrap())
        .execute(&mut *change)
        .await
        .unwrap();

    let requests: Vec<RegisterParticipantRequest> = (0..20)
        .map(|n| RegisterParticipantRequest {
            request_id: uuid::Uuid::now_v7().to_string(),
            ..f.person(&format!("Người dân số {n}"), &format!("09120000{n:02}"), "")
        })
        .collect();
    let send = |request: RegisterParticipantRequest, token: &str| {
        let (mut client, request) = (f.client(), authorized(request, token));
        tokio::spawn(async move { client.register_participant(request).await })
    };
    let sent: Vec<_> = requests.iter().map(|r| send(r.clone(), &f.secretary)).collect();
    // The same requests again, as a client retries: the first's answers.
    let retried: Vec<_> = requests[..3].iter().map(|r| send(r.clone(), &f.secretary)).collect();
    // Refused among them: someone registered already, another conference's secretary.
    let again = send(f.person("Nguyễn Văn Đã Đăng Ký", "", ""), &f.secretary);
    let stranger = send(f.person("Trần Thị Lạ", "", ""), &token_for("thuky-khac", "323", &[Role::Secretary]));
    waiting_for_a_lock(&pool, "the writers waiting for the conference").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    change.commit().await.unwrap();

    let mut registered = Vec::new();
    for (n, answer) in sent.into_iter().enumerate() {
        let participant = answer.await.unwrap().unwrap().into_inner();
        let Some(participant::Who::Person(shown)) = &participant.who else { panic!("a person: {participant:?}") };
        assert_eq!(shown.full_name, format!("Người dân số {n}"), "each answered its own registration");
        assert_eq!(participant.status(), ParticipantStatus::Registered);
        registered.push(participant);
    }
    for (first, answer) in registered.iter().zip(retried) {
        assert_eq!(&answer.await.unwrap().unwrap().into_inner(), first, "a retry is answered the first registration");
    }
    assert_eq!(refusal(again.await.unwrap()), why(Code::AlreadyExists, "R8.3"));
    assert_eq!(refusal(stranger.await.unwrap()), why(Code::PermissionDenied, "NOT_YOUR_CONFERENCE"));

    // Each written once, with its audit entry and its event; and some together.
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(count("SELECT count(*) FROM participants").await, 21);
    assert_eq!(count("SELECT count(*) FROM audit_log WHERE rpc = 'RegisterParticipant'").await, 21);
    let transactions = count("SELECT count(DISTINCT xmin::text) FROM participants").await;
    assert!(transactions < 21, "registrations that queued were written together: {transactions} transactions");
    let mut expected: Vec<String> = registered.iter().map(|p| p.id.clone()).chain([first]).collect();
    expected.sort();
    let registered_events = || async {
        let mut ids: Vec<String> = f
            .published()
            .await
            .into_iter()
            .filter(|m| m.subject.as_str().starts_with("doithoai.participants.participant_registered."))
            .map(|m| EventEnvelope::decode(m.payload).unwrap().aggregate_id)
            .collect();
        ids.sort();
        ids
    };
    eventually(WAIT, "one event for each registration", || async {
        (registered_events().await == expected).then_some(())
    })
    .await;
    pool.close().await;
    f.finish().await;
}

/// Registrations hold their conference shared while they are made: they run
/// side by side, and a cancellation waits for every registration in flight,
/// so that it notifies each of them and none lands after it (R7.3).
#[tokio::test]
async fn r7_3_registrations_run_side_by_side_and_a_cancellation_waits_for_them() {
    let mut f = Fixture::new().await;
    let pool = connect_database(&settings(&f.database, &f.nats.url()), "participants").await.unwrap();
    let hold = |lock: &'static str| {
        let (pool, id) = (pool.clone(), uuid::Uuid::parse_str(&f.conference.id).unwrap());
        async move {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(&format!("SELECT 1 FROM conferences WHERE id = $1 {lock}"))
                .bind(id)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx
        }
    };

    // A change of the conference in flight (the replica updating its state, which
    // takes no key lock): a registration waits for it.
    let change = hold("FOR NO KEY UPDATE").await;
    let (mut client, request) = (f.client(), authorized(f.person("Trần Văn Chờ", "", ""), &f.secretary));
    let mut registering = tokio::spawn(async move { client.register_participant(request).await });
    let early = tokio::time::timeout(Duration::from_millis(500), &mut registering).await;
    assert!(early.is_err(), "a registration waits for a change of its conference in flight: {early:?}");
    change.commit().await.unwrap();
    registering.await.unwrap().unwrap();

    // A registration in flight: a transaction holding the conference as RegisterParticipant does.
    let in_flight = hold("FOR SHARE").await;

    let beside = tokio::time::timeout(WAIT, f.register("Hoàng Văn Hai", "")).await;
    assert!(beside.is_ok(), "a registration waits for no other registration");

    f.step("conference_cancelled", ConferenceState::Cancelled, |c| ConferenceCancelled { conference: Some(c) }).await;
    waiting_for_a_lock(&pool, "the cancellation to wait for the registration in flight").await;
    assert!(f.attendance().await.registration_open, "open until the registration in flight ends");
    in_flight.commit().await.unwrap();
    f.until("registration closed", |a| !a.registration_open).await;
    let late = f.client().register_participant(authorized(f.person("Lê Văn Sau", "", ""), &f.secretary)).await;
    assert_eq!(refusal(late), why(Code::FailedPrecondition, "R7.3"));
    pool.close().await;
    f.finish().await;
}
