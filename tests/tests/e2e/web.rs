//! The web in a real browser (Debian's chromium, playwright-core, axe-core)
//! over the whole stack: a citizen finds a conference, registers to speak
//! (a refusal keeps what was typed), gets a code; the conference is held
//! through the gRPC APIs; the citizen follows the petition by its receipt
//! code, as a page and as Open311 JSON; once the agency is overdue, an
//! inspector signs in, finds the agency, its petition, and downloads the
//! report. Every page is checked for accessibility and kept as screenshots
//! (`target/browser/`).
#![allow(clippy::unwrap_used)]

use doithoai_proto::{
    deadlines::v1::{ListObligationsRequest, ObligationState, deadlines_client::DeadlinesClient},
    minutes::v1::{
        Classification, ConferenceRequest as MinutesRef, IssueConclusionNoticeRequest, NoticeAssignment,
        PetitionRequest, RecordConclusionRequest, RecordPetitionRequest, minutes_service_client::MinutesServiceClient,
    },
    participants::v1::{ConferenceRequest as ParticipantsRef, participants_client::ParticipantsClient},
    scheduling::v1::ConferenceRef,
};
use doithoai_tests::{
    scheduling::{District, at},
    web::{artifacts, browser, start_web},
    *,
};

#[tokio::test]
async fn a_citizen_registers_and_follows_the_petition_and_an_inspector_finds_it_overdue() {
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    let conference = district.announced_inviting(&stack, vec![district.agency.id.clone()]).await;
    let web = start_web(&stack, Ok).await;
    let base = format!("http://{}", web.addr);
    let out = artifacts();
    let out = out.to_str().unwrap();

    // Monday 2 March: the citizen finds the conference from the province's
    // page and registers to speak.
    let registered = browser(&["register", &base, &conference.theme, "11950", out]).await;
    assert_eq!(registered["position"], 1, "{registered}");
    let participants = ParticipantsClient::new(stack.channel("participants").await);
    let secretary = token_for("thuky-323", "323", &[Role::Secretary]);
    let speakers = participants
        .clone()
        .list_speakers(authorized(ParticipantsRef { conference_id: conference.id.clone() }, &secretary))
        .await
        .unwrap()
        .into_inner()
        .speakers;
    assert_eq!(speakers.len(), 1);
    let speaker = &speakers[0];
    assert_eq!(speaker.topic, "Đền bù đất nông nghiệp chưa thỏa đáng");
    let receipt = registered["code"].as_str().unwrap();
    assert_eq!(receipt, speaker.participant_id.replace('-', "")[..12].to_uppercase());

    // The conference is held: the secretary records the speaker's petition,
    // the host concludes, both sign, the office sends the conclusion notice.
    district.start(&stack, &conference.id).await;
    let host = token_for("bithu-323", "323", &[Role::Host]);
    let minutes = MinutesServiceClient::new(stack.channel("minutes").await);
    let record = MinutesRef { conference_id: conference.id.clone() };
    eventually(WAIT, "the minutes open", || {
        let (mut minutes, request) = (minutes.clone(), authorized(record.clone(), &secretary));
        async move { minutes.get_minutes(request).await.ok() }
    })
    .await;
    let petition = RecordPetitionRequest {
        conference_id: conference.id.clone(),
        speaker_registration_id: speaker.id.clone(),
        participant_id: speaker.participant_id.clone(),
        text: speaker.topic.clone(),
        field: speaker.field,
        classification: Classification::Petition as i32,
        ..Default::default()
    };
    let petition = minutes.clone().record_petition(authorized(petition, &secretary)).await.unwrap().into_inner();
    let conclude =
        RecordConclusionRequest { conference_id: conference.id.clone(), conclusion: "Giao Phòng TNMT".into() };
    minutes.clone().record_conclusion(authorized(conclude, &host)).await.unwrap();
    minutes.clone().sign_minutes(authorized(record.clone(), &secretary)).await.unwrap();
    minutes.clone().sign_minutes(authorized(record, &host)).await.unwrap();
    stack.clock.set(at("2026-03-10T05:00:00Z"));
    district
        .conferences(&stack)
        .await
        .end_conference(authorized(ConferenceRef { id: conference.id.clone() }, &district.office))
        .await
        .unwrap();
    stack.clock.set(at("2026-03-12T02:00:00Z"));
    let notice = IssueConclusionNoticeRequest {
        conference_id: conference.id.clone(),
        number: "15/TB-TU".into(),
        sent_on: "2026-03-12".into(),
        signer: "Chánh Văn phòng Thành ủy".into(),
        assignments: vec![NoticeAssignment {
            petition_id: petition.id.clone(),
            organization_id: district.agency.id.clone(),
            received_on: String::new(),
        }],
        ..Default::default()
    };
    minutes.clone().issue_conclusion_notice(authorized(notice, &district.office)).await.unwrap();
    let code = minutes
        .clone()
        .get_petition(authorized(PetitionRequest { petition_id: petition.id.clone() }, &district.office))
        .await
        .unwrap()
        .into_inner()
        .receipt_code;
    let deadlines = DeadlinesClient::new(stack.channel("deadlines").await);
    let by_petition =
        ListObligationsRequest { unit_code: "33".into(), petition_id: petition.id.clone(), ..Default::default() };
    let monitor = token("33", &[Role::Monitor]);
    let clock = eventually(WAIT, "the agency's R10.3 clock opens", || {
        let (mut deadlines, request) = (deadlines.clone(), authorized(by_petition.clone(), &monitor));
        async move { deadlines.list_obligations(request).await.ok()?.into_inner().obligations.into_iter().next() }
    })
    .await;

    // The citizen looks the petition up by the code on the slip.
    let agency = district.agency.name.as_str();
    let status = browser(&["lookup", &base, &code, agency, out]).await;
    let open311 = &status["open311"];
    assert_eq!(open311["service_request_id"], code.as_str());
    assert_eq!(open311["agency_responsible"], agency);
    assert_eq!(open311["status"], "open");
    assert!(
        open311["expected_datetime"].as_str().unwrap().starts_with(&clock.due_date),
        "{open311} {}",
        clock.due_date
    );
    assert!(open311.get("participant_id").is_none() && !open311.to_string().contains("Công Dân"));

    // Mid-June the answer is overdue; the inspector of the province finds it.
    stack.clock.set(at("2026-06-15T02:00:00Z"));
    eventually(WAIT, "the response falls overdue", || {
        let (mut deadlines, request) = (deadlines.clone(), authorized(by_petition.clone(), &monitor));
        async move {
            let obligations = deadlines.list_obligations(request).await.ok()?.into_inner().obligations;
            obligations.iter().any(|o| o.state == ObligationState::Overdue as i32).then_some(())
        }
    })
    .await;
    let inspected = browser(&["inspect", &base, "33", agency, &speaker.topic, out]).await;
    assert!(inspected["board"].as_str().unwrap().contains(agency));
    assert!(inspected["pdfBytes"].as_u64().unwrap() > 1000, "{inspected}");

    web.stop().await.unwrap();
    stack.finish().await;
}
