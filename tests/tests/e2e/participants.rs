//! The participants service through its gRPC API, with the registration
//! window driven by the scheduling service's events.
#![allow(clippy::unwrap_used)]

use async_nats::jetstream::{
    self,
    message::{PublishMessage, StreamMessage},
};
use doithoai_proto::common::v1::DocumentFormat;
use doithoai_proto::{
    common::v1::EventEnvelope,
    participants::v1::{
        CheckInRequest, Collective, ConferenceRequest, InvitationStatus, InviteRequest, MergeSpeakerRequest,
        MoveSpeakerRequest, ParticipantStatus, Person, RefusalReason, RefuseParticipantRequest,
        RegisterParticipantRequest, RegisterSpeakerRequest, RegistrantsNotified, RenderInvitationRequest,
        SpeakerNoteRequest, SpeakerQueued, SpeakerRequest, SpeakerStatus, UpdateInvitationRequest, check_in_request,
        participants_client::ParticipantsClient, register_participant_request::Who,
    },
    scheduling::v1::{PostponeConferenceRequest, ReasonRequest},
};
use doithoai_tests::{scheduling::*, *};
use prost::Message;
use tonic::{Code, Status, transport::Channel};
use tonic_types::StatusExt;

struct Fixture {
    stack: Stack,
    district: District,
    conference_id: String,
    secretary: String,
}

impl Fixture {
    async fn new() -> Self {
        let stack = Stack::start().await;
        let district = District::set_up(&stack).await;
        let conference = district.announced(&stack).await;
        let fixture = Fixture {
            stack,
            district,
            conference_id: conference.id,
            secretary: token_for("thuky-323", "323", &[Role::Secretary]),
        };
        fixture.until_state("registration open", |a| a.registration_open).await;
        fixture
    }

    async fn client(&self) -> ParticipantsClient<Channel> {
        ParticipantsClient::new(self.stack.channel("participants").await)
    }

    fn conference(&self) -> ConferenceRequest {
        ConferenceRequest { conference_id: self.conference_id.clone() }
    }

    /// Waits until the participants service sees the conference as `check` wants.
    async fn until_state(&self, what: &str, check: impl Fn(&doithoai_proto::participants::v1::Attendance) -> bool) {
        eventually(WAIT, what, || async {
            let attendance =
                self.client().await.get_attendance(authorized(self.conference(), &self.district.office)).await.ok()?;
            check(attendance.get_ref()).then_some(())
        })
        .await;
    }

    async fn register(&self, name: &str, id: &str) -> Result<String, Status> {
        let person = Person { full_name: name.into(), phone: String::new(), national_id: id.into() };
        let request = RegisterParticipantRequest {
            conference_id: self.conference_id.clone(),
            who: Some(Who::Person(person)),
            unit_code: "11950".into(),
            ..Default::default()
        };
        Ok(self.client().await.register_participant(authorized(request, &self.secretary)).await?.into_inner().id)
    }

    async fn speak(
        &self,
        participant_id: &str,
        topic: &str,
    ) -> Result<doithoai_proto::participants::v1::SpeakerRegistration, Status> {
        let request = RegisterSpeakerRequest {
            conference_id: self.conference_id.clone(),
            participant_id: participant_id.into(),
            topic: topic.into(),
            field: 1,
            ..Default::default()
        };
        Ok(self.client().await.register_speaker(authorized(request, &self.secretary)).await?.into_inner())
    }

    async fn events(&self, stream: &str) -> Vec<(String, Vec<u8>)> {
        let messages = self.stack.stream_messages(stream).await;
        let envelope = |m: &StreamMessage| EventEnvelope::decode(m.payload.clone()).unwrap();
        messages.iter().map(envelope).map(|e| (e.event_type, e.payload)).collect()
    }
}

#[tokio::test]
async fn the_registration_window_follows_the_conference() {
    let f = Fixture::new().await;
    let ann = f.register("Trần Văn Dân", "034123456789").await.unwrap();
    f.speak(&ann, "Bồi thường chưa thỏa đáng").await.unwrap();

    // A late copy of the announcement, redelivered after the start, must not reopen registration.
    let js = jetstream::new(async_nats::connect(f.stack.nats.url()).await.unwrap());
    let mut stream = js.get_stream("DOITHOAI_SCHEDULING").await.unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut announced = None;
    for seq in 1..=last {
        let message = stream.get_raw_message(seq).await.unwrap();
        if message.subject.starts_with("doithoai.scheduling.conference_announced.") {
            announced = Some(message);
        }
    }
    let announced = announced.unwrap();
    f.district.start(&f.stack, &f.conference_id).await;
    f.until_state("registration closed", |a| !a.registration_open).await;
    let copy = PublishMessage::build().payload(announced.payload.clone()).message_id("late-copy");
    js.send_publish(announced.subject.to_string(), copy).await.unwrap().await.unwrap();
    let settled = stream.info().await.unwrap().state.last_sequence;
    eventually(WAIT, "participants to settle the copy", || {
        let stream = stream.clone();
        async move { (stream.consumer_info("participants").await.ok()?.ack_floor.stream_sequence >= settled).then_some(()) }
    })
    .await;
    let closed = f.register("Phạm Thị Muộn", "").await.unwrap_err();
    assert_eq!((closed.code(), rule(&closed)), (Code::FailedPrecondition, "R8.3".into()));
    f.stack.finish().await;
}

#[tokio::test]
async fn cancelled_and_postponed_conferences_close_registration_and_notify_registrants() {
    let f = Fixture::new().await;
    let first = f.register("Trần Văn Dân", "034123456789").await.unwrap();
    let mut scheduling = f.district.conferences(&f.stack).await;
    let postpone = PostponeConferenceRequest {
        id: f.conference_id.clone(),
        reason: "Bão".into(),
        new_starts_at: Some(timestamp(at("2026-03-25T02:00:00Z"))),
    };
    scheduling.postpone_conference(authorized(postpone, &f.district.office)).await.unwrap();
    f.until_state("registration closed", |a| !a.registration_open).await;
    assert_eq!(rule(&f.register("Lê Văn Sau", "").await.unwrap_err()), "R7.3");

    let cancel = ReasonRequest { id: f.conference_id.clone(), reason: "Trùng lịch".into() };
    scheduling.cancel_conference(authorized(cancel, &f.district.office)).await.unwrap();
    let notices = eventually(WAIT, "two notices", || async {
        let notices: Vec<RegistrantsNotified> = f
            .events("DOITHOAI_PARTICIPANTS")
            .await
            .into_iter()
            .filter(|(kind, _)| kind == "doithoai.participants.v1.RegistrantsNotified")
            .map(|(_, payload)| RegistrantsNotified::decode(payload.as_slice()).unwrap())
            .collect();
        (notices.len() == 2).then_some(notices)
    })
    .await;
    assert_eq!((notices[0].why.as_str(), notices[1].why.as_str()), ("POSTPONED", "CANCELLED"));
    assert_eq!(notices[1].participant_ids, [first]);
    let refused = f.register("Lê Văn Sau", "").await.unwrap_err();
    assert!(refused.message().contains("cancelled"), "{refused:?}");
    f.stack.finish().await;
}

#[tokio::test]
async fn r2_3_only_people_of_the_province_and_nobody_twice() {
    let f = Fixture::new().await;
    // Hà Nội's units are in the directory too, but Hà Nội is not Hưng Yên.
    f.stack.import_another_province().await;
    eventually(WAIT, "the replica of Hà Nội", || async {
        (f.stack.count("participants", "SELECT count(*) FROM units WHERE code = '01'").await == 1).then_some(())
    })
    .await;
    let outsider = RegisterParticipantRequest {
        conference_id: f.conference_id.clone(),
        who: Some(Who::Person(Person { full_name: "Người Hà Nội".into(), ..Default::default() })),
        unit_code: "01".into(),
        ..Default::default()
    };
    assert_eq!(
        rule(&f.client().await.register_participant(authorized(outsider.clone(), &f.secretary)).await.unwrap_err()),
        "R2.3"
    );
    // A unit the directory does not know is not a verdict on residence.
    let unknown = RegisterParticipantRequest { unit_code: "99999".into(), ..outsider };
    let refused = f.client().await.register_participant(authorized(unknown, &f.secretary)).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound, "{refused:?}");

    f.register("Trần Văn Dân", "034123456789").await.unwrap();
    let twice = f.register("Tran Van Dan", "034123456789").await.unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    // Without an identity number, the same name, unit and phone is the same person.
    let unnumbered = |phone: &str| RegisterParticipantRequest {
        conference_id: f.conference_id.clone(),
        who: Some(Who::Person(Person {
            full_name: "Lê Thị Hoa".into(),
            phone: phone.into(),
            national_id: String::new(),
        })),
        unit_code: "11950".into(),
        ..Default::default()
    };
    f.client().await.register_participant(authorized(unnumbered("0912 345 678"), &f.secretary)).await.unwrap();
    for phone in ["0912.345.678", "+84 912 345 678"] {
        let again = f.client().await.register_participant(authorized(unnumbered(phone), &f.secretary)).await;
        assert_eq!(again.unwrap_err().code(), Code::AlreadyExists, "{phone}");
    }
    // …and registering with the number after registering without it.
    let numbered = RegisterParticipantRequest {
        who: Some(Who::Person(Person {
            full_name: "Lê Thị Hoa".into(),
            phone: "0912345678".into(),
            national_id: "034199000123".into(),
        })),
        ..unnumbered("")
    };
    let again = f.client().await.register_participant(authorized(numbered, &f.secretary)).await;
    assert_eq!(again.unwrap_err().code(), Code::AlreadyExists);
    let collective = RegisterParticipantRequest {
        conference_id: f.conference_id.clone(),
        who: Some(Who::Collective(Collective {
            organization_name: "HTX Nông nghiệp Lam Sơn".into(),
            representative_name: "Đỗ Văn Đại Diện".into(),
        })),
        unit_code: "11950".into(),
        ..Default::default()
    };
    f.client().await.register_participant(authorized(collective, &f.secretary)).await.unwrap();
    let bad_id = f.register("Ai Đó", "12345").await.unwrap_err();
    assert_eq!(bad_id.get_details_bad_request().unwrap().field_violations[0].field, "national_id");
    assert_eq!(f.stack.count("participants", "SELECT count(*) FROM participants").await, 3, "nothing half-written");
    f.stack.finish().await;
}

#[tokio::test]
async fn r8_3_the_queue_is_the_commit_order_under_concurrent_registrations() {
    let f = Fixture::new().await;
    let mut people = Vec::new();
    for n in 0..24 {
        people.push(f.register(&format!("Công Dân Số {n}"), &format!("0341234560{n:02}")).await.unwrap());
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (n, person) in people.iter().enumerate() {
        let (mut client, token, conference_id, person) =
            (f.client().await, f.secretary.clone(), f.conference_id.clone(), person.clone());
        tasks.spawn(async move {
            let request = RegisterSpeakerRequest {
                conference_id,
                participant_id: person,
                topic: format!("Ý kiến {n}"),
                field: 1,
                ..Default::default()
            };
            client.register_speaker(authorized(request, &token)).await.unwrap().into_inner().position
        });
    }
    let mut positions = tasks.join_all().await;
    positions.sort();
    assert_eq!(positions, (1..=24).collect::<Vec<u32>>(), "no duplicates, no gaps");
    let queued = eventually(WAIT, "every SpeakerQueued event", || async {
        let queued: Vec<u32> = f
            .events("DOITHOAI_PARTICIPANTS")
            .await
            .into_iter()
            .filter(|(kind, _)| kind == "doithoai.participants.v1.SpeakerQueued")
            .map(|(_, payload)| SpeakerQueued::decode(payload.as_slice()).unwrap().position)
            .collect();
        (queued.len() == 24).then_some(queued)
    })
    .await;
    assert_eq!(queued, (1..=24).collect::<Vec<u32>>(), "events follow the commit order");
    let empty = f.speak(&people[0], "   ").await.unwrap_err();
    assert_eq!(rule(&empty), "R8.3");
    let oversized = f.speak(&people[0], &"x".repeat(1001)).await.unwrap_err();
    assert_eq!(rule(&oversized), "R8.3");
    f.stack.finish().await;
}

#[tokio::test]
async fn r2_4_the_host_refuses_on_each_ground_and_the_refused_leave_the_queue() {
    let f = Fixture::new().await;
    let host = token_for("bithu-323", "323", &[Role::Host]);
    let reasons = [
        RefusalReason::NoCivilCapacity,
        RefusalReason::ProsecutedOrDeprived,
        RefusalReason::DisturbingOrder,
        RefusalReason::Intoxicated,
        RefusalReason::Uncooperative,
    ];
    let mut client = f.client().await;
    let staying = f.register("Người Ở Lại", "034000000009").await.unwrap();
    for (n, reason) in reasons.iter().enumerate() {
        let person = f.register(&format!("Người Bị Từ Chối {n}"), &format!("03400000000{n}")).await.unwrap();
        f.speak(&person, "Ý kiến").await.unwrap();
        let refuse =
            RefuseParticipantRequest {
                participant_id: person.clone(), reason: *reason as i32, note: "Ghi chú".into()
            };
        if n == 0 {
            let by_office =
                client.refuse_participant(authorized(refuse.clone(), &f.district.office)).await.unwrap_err();
            assert_eq!((by_office.code(), rule(&by_office)), (Code::PermissionDenied, "R9.2".into()));
        }
        let refused = client.refuse_participant(authorized(refuse, &host)).await.unwrap().into_inner();
        assert_eq!(refused.status, ParticipantStatus::Refused as i32);
    }
    let unknown = RefuseParticipantRequest { participant_id: staying.clone(), reason: 9, note: String::new() };
    assert_eq!(rule(&client.refuse_participant(authorized(unknown, &host)).await.unwrap_err()), "R2.4");
    let queue = client.list_speakers(authorized(f.conference(), &f.secretary)).await.unwrap().into_inner().speakers;
    assert!(queue.iter().all(|s| s.status == SpeakerStatus::Removed as i32));
    let attendance = client.get_attendance(authorized(f.conference(), &f.secretary)).await.unwrap().into_inner();
    assert_eq!((attendance.registered, attendance.refused, attendance.speakers_queued), (6, 5, 0));
    f.stack.finish().await;
}

#[tokio::test]
async fn r8_3_speakers_are_called_in_order_and_the_queue_moves_only_with_a_reason() {
    let f = Fixture::new().await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let person = f.register(&format!("Người Phát Biểu {n}"), &format!("03411111111{n}")).await.unwrap();
        ids.push(f.speak(&person, &format!("Chủ đề {n}")).await.unwrap().id);
    }
    let mut client = f.client().await;
    let reference = |id: &str| SpeakerRequest { registration_id: id.into() };
    client.confirm_speaker(authorized(reference(&ids[0]), &f.secretary)).await.unwrap();
    let merge = MergeSpeakerRequest { registration_id: ids[2].clone(), into_registration_id: ids[1].clone() };
    client.merge_speaker(authorized(merge, &f.secretary)).await.unwrap();
    let no_reason = MoveSpeakerRequest { registration_id: ids[3].clone(), new_position: 1, reason: String::new() };
    assert_eq!(rule(&client.move_speaker(authorized(no_reason, &f.secretary)).await.unwrap_err()), "R8.3");
    let moved = MoveSpeakerRequest {
        registration_id: ids[3].clone(),
        new_position: 1,
        reason: "Người cao tuổi, sức khỏe yếu".into(),
    };
    client.move_speaker(authorized(moved, &f.secretary)).await.unwrap();
    let out = SpeakerNoteRequest {
        registration_id: ids[1].clone(), reason: "Khiếu nại: chuyển tiếp công dân".into()
    };
    client.mark_out_of_scope(authorized(out, &f.secretary)).await.unwrap();
    assert_eq!(
        rule(&client.call_next_speaker(authorized(f.conference(), &f.secretary)).await.unwrap_err()),
        "LIFECYCLE",
        "not started"
    );

    f.district.start(&f.stack, &f.conference_id).await;
    f.until_state("in progress", |a| !a.registration_open).await;
    let first = client.call_next_speaker(authorized(f.conference(), &f.secretary)).await.unwrap().into_inner();
    assert_eq!((first.id.as_str(), first.position), (ids[3].as_str(), 1), "moved to the front");
    assert_eq!(rule(&client.call_next_speaker(authorized(f.conference(), &f.secretary)).await.unwrap_err()), "R8.3");
    client.mark_spoke(authorized(reference(&first.id), &f.secretary)).await.unwrap();
    let second = client.call_next_speaker(authorized(f.conference(), &f.secretary)).await.unwrap().into_inner();
    assert_eq!(second.id, ids[0]);
    client.mark_absent(authorized(reference(&second.id), &f.secretary)).await.unwrap();
    assert_eq!(
        rule(&client.call_next_speaker(authorized(f.conference(), &f.secretary)).await.unwrap_err()),
        "R8.3",
        "merged and out of scope are not called"
    );

    let front = client
        .list_speakers(authorized(f.conference(), &token("33", &[Role::Front])))
        .await
        .unwrap()
        .into_inner()
        .speakers;
    assert!(
        front.iter().all(|s| s.speaker_name.is_empty()) && front.iter().all(|s| !s.topic.is_empty()),
        "the Front sees topics, not names"
    );
    let office =
        client.list_speakers(authorized(f.conference(), &f.district.office)).await.unwrap().into_inner().speakers;
    let positions: Vec<u32> = office.iter().map(|s| s.position).collect();
    assert_eq!(positions, [1, 2, 3, 4]);
    assert!(office.iter().all(|s| s.speaker_name.starts_with("Người Phát Biểu")));
    f.stack.finish().await;
}

#[tokio::test]
async fn r7_4_invitations_are_tracked_and_attendance_counted() {
    let f = Fixture::new().await;
    eventually(WAIT, "the agency replica", || async {
        (f.stack.count("participants", "SELECT count(*) FROM organizations").await == 1).then_some(())
    })
    .await;
    let mut client = f.client().await;
    let invite = InviteRequest {
        conference_id: f.conference_id.clone(),
        organization_id: f.district.agency.id.clone(),
        invitee_name: "Trưởng phòng Tài nguyên".into(),
        invitee_title: "Trưởng phòng".into(),
        answers_agenda_items: vec![0, 1],
        ..Default::default()
    };
    let invitation = client.invite(authorized(invite.clone(), &f.district.office)).await.unwrap().into_inner();
    assert_eq!(invitation.status, InvitationStatus::Sent as i32);
    // The invitation as the document the office sends: the host's body's
    // format, the official and agency by name, the items they answer.
    let render = |format: DocumentFormat| RenderInvitationRequest {
        invitation_id: invitation.id.clone(),
        format: format as i32,
    };
    let pdf = client.render_invitation(authorized(render(DocumentFormat::Pdf), &f.district.office)).await.unwrap();
    let pdf = pdf.into_inner();
    let text = doithoai_documents::read::text_of(&pdf.content).unwrap();
    for expected in [
        "THÀNH ỦY HƯNG YÊN VĂN PHÒNG",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Số -GM/VPTU",
        "GIẤY MỜI",
        "kính mời: đồng chí Trưởng phòng Tài nguyên, Trưởng phòng, Phòng Tài nguyên và Môi trường.",
        "đối thoại của đồng chí Nguyễn Văn Chủ Trì, Bí thư Thành ủy với nhân dân",
        "Đề nghị đồng chí chuẩn bị nội dung trả lời:",
        "- Như trên; - Lưu: VT.",
        "TL. NGƯỜI CHỦ TRÌ",
    ] {
        assert!(text.contains(expected), "{expected:?} not in the invitation: {text}");
    }
    printed_within_margins("party-invitation-e2e.pdf", &pdf.content);
    let docx = client.render_invitation(authorized(render(DocumentFormat::Docx), &f.district.office)).await.unwrap();
    let docx = docx.into_inner();
    assert!(docx.file_name.ends_with(".docx"));
    let printed = doithoai_documents::read::printed_text(&docx.content).unwrap();
    assert!(printed.contains("GIẤY MỜI") && printed.contains("Phòng Tài nguyên và Môi trường"), "{printed}");
    let stranger = token("325", &[Role::Office]);
    let refused = client.render_invitation(authorized(render(DocumentFormat::Pdf), &stranger)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "another district's office sees none of it");
    let unknown = InviteRequest { organization_id: uuid::Uuid::now_v7().to_string(), ..invite.clone() };
    assert_eq!(client.invite(authorized(unknown, &f.district.office)).await.unwrap_err().code(), Code::NotFound);
    let no_item = InviteRequest { answers_agenda_items: vec![5], ..invite };
    assert_eq!(client.invite(authorized(no_item, &f.district.office)).await.unwrap_err().code(), Code::InvalidArgument);
    let update = |status: InvitationStatus| UpdateInvitationRequest {
        invitation_id: invitation.id.clone(),
        status: status as i32,
    };
    assert_eq!(
        rule(
            &client
                .update_invitation(authorized(update(InvitationStatus::Attended), &f.district.office))
                .await
                .unwrap_err()
        ),
        "LIFECYCLE"
    );
    client.update_invitation(authorized(update(InvitationStatus::Accepted), &f.district.office)).await.unwrap();
    let person = f.register("Người Tham Dự", "034222222222").await.unwrap();
    let check_in = |who| CheckInRequest { who: Some(who) };
    client.check_in(authorized(check_in(check_in_request::Who::ParticipantId(person)), &f.secretary)).await.unwrap();
    let attendance = client
        .check_in(authorized(check_in(check_in_request::Who::InvitationId(invitation.id.clone())), &f.secretary))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (attendance.registered, attendance.checked_in, attendance.invited, attendance.invitees_attended),
        (1, 1, 1, 1)
    );
    let monitor =
        client.get_attendance(authorized(f.conference(), &token("33", &[Role::Monitor]))).await.unwrap().into_inner();
    assert_eq!(monitor, attendance, "the Internal Affairs Committee reads the counts");
    let stranger = token("325", &[Role::Office]);
    assert_eq!(
        client.get_attendance(authorized(f.conference(), &stranger)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    f.stack.finish().await;
}

#[tokio::test]
async fn a_registration_retried_with_its_request_id_is_recorded_once() {
    let fixture = Fixture::new().await;
    let f = &fixture;
    let person = |name: &str| Person { full_name: name.into(), phone: "0912000111".into(), national_id: String::new() };
    let request = RegisterParticipantRequest {
        conference_id: f.conference_id.clone(),
        who: Some(Who::Person(person("Vũ Thị Lan"))),
        unit_code: "11950".into(),
        request_id: "0193a1b2-7c00-7000-8000-000000000001".into(),
    };
    let send = |request: RegisterParticipantRequest| async move {
        f.client().await.register_participant(authorized(request, &f.secretary)).await.map(|r| r.into_inner().id)
    };
    // Two retries at once (the first answer was lost), then one more later.
    let (first, second) = tokio::join!(send(request.clone()), send(request.clone()));
    let third = send(request.clone()).await.unwrap();
    assert_eq!((first.unwrap(), second.unwrap()), (third.clone(), third));
    assert_eq!(f.stack.count("participants", "SELECT count(*) FROM participants").await, 1);
    let audited = "SELECT count(*) FROM audit_log WHERE rpc = 'RegisterParticipant'";
    assert_eq!(f.stack.count("participants", audited).await, 1, "changed once");
    // The same id for another request is a caller's mistake.
    let other = RegisterParticipantRequest { who: Some(Who::Person(person("Vũ Văn Nam"))), ..request.clone() };
    let refused = send(other).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(refused.get_details_bad_request().unwrap().field_violations[0].field, "request_id");
    let bad = RegisterParticipantRequest { request_id: "x".repeat(500), ..request };
    assert_eq!(send(bad).await.unwrap_err().code(), Code::InvalidArgument);
    fixture.stack.finish().await;
}
