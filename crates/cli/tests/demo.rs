//! `doithoai demo seed` against the real stack: a year of a district's
//! dialogues played through the public APIs, the deadlines service's annual
//! report agreeing, figure by figure, with what the plan says, and the
//! participants service holding the plan's registrations, speakers and
//! invitations.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chrono::NaiveDate;
use doithoai_demo::plan::Turn;
use doithoai_demo::{plan, seed};
use doithoai_proto::{
    common::v1::PageRequest,
    deadlines::v1::{Report, ReportRequest, deadlines_client::DeadlinesClient},
    participants::v1::{ConferenceRequest, participants_client::ParticipantsClient},
    scheduling::v1::{ListConferencesRequest, conferences_client::ConferencesClient},
};
use doithoai_runtime::{auth::TokenSigner, time::local_date};
use doithoai_tests::{Role, Stack, WAIT, authorized, repo_root, token};

#[tokio::test(flavor = "multi_thread")]
async fn a_seeded_year_is_reported_as_planned() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let addr = |service: &str| format!("http://{}", stack.running(service).grpc_addr);
    let endpoints = seed::Endpoints {
        scheduling: addr("scheduling"),
        participants: addr("participants"),
        minutes: addr("minutes"),
        deadlines: addr("deadlines"),
    };
    let env = endpoints.clone();
    let run = move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_doithoai"));
        command
            .args(["demo", "seed", "--root", "323", "--year", "2025", "--seed", "7"])
            .current_dir(repo_root())
            .env("DOITHOAI_SCHEDULING_ADDR", &env.scheduling)
            .env("DOITHOAI_PARTICIPANTS_ADDR", &env.participants)
            .env("DOITHOAI_MINUTES_ADDR", &env.minutes)
            .env("DOITHOAI_DEADLINES_ADDR", &env.deadlines);
        command.output().unwrap()
    };
    let output = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("seeded in"), "{stdout}");
    let today = local_date(chrono::Utc::now());
    assert_eq!(local_date(stack.clock.now()), today, "the clocks are back in the present");

    let pem = std::fs::read_to_string(repo_root().join("deploy/local/dev-keys/signing.pem")).unwrap();
    let signer = TokenSigner::from_private_pem(&pem, "doithoai").unwrap();
    let units = seed::units(&endpoints, &signer, "323").await.unwrap();
    let plan = plan::plan(&units, 2025, 7, today.pred_opt().unwrap()).unwrap();
    let (from, to) = (NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    let expected = plan.expected_report(from, to, today).unwrap();
    assert!(expected.notices_late > 0 && expected.responses_late > 0 && expected.petitions_escalated > 0);
    let request = ReportRequest { unit_code: "323".into(), from: from.to_string(), to: to.to_string() };
    let monitor = token("323", &[Role::Monitor]);
    let mut deadlines = DeadlinesClient::new(stack.channel("deadlines").await);
    // The deadlines service hears the last events and sweeps; then its figures are the plan's.
    let give_up = std::time::Instant::now() + WAIT;
    let agreed = loop {
        let report = deadlines.get_report(authorized(request.clone(), &monitor)).await.unwrap().into_inner();
        // The plan works out the whole; the parts are the reorganisation tests' concern.
        let report = Report { parts: Vec::new(), ..report };
        if report == expected || std::time::Instant::now() > give_up {
            break report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(agreed, expected);
    assert_eq!(agreed.heads_held + agreed.heads_not_held, 2 * units.len() as u32);

    // Everyone the plan registers is registered; those who came are checked in; every petition had its speaker.
    let citizens = || plan.conferences.iter().flat_map(|c| &c.citizens);
    let (registered, came, spoke) = (
        citizens().count() as u32,
        citizens().filter(|c| c.role != Turn::Absent).count() as u32,
        citizens().filter(|c| matches!(c.role, Turn::Raises(_))).count() as u32,
    );
    assert_eq!(spoke as usize, plan.petitions());
    let office = token("323", &[Role::Office]);
    let listing = ListConferencesRequest {
        unit_code: "323".into(),
        year: 2025,
        page: Some(PageRequest { page_size: 1000, ..Default::default() }),
        ..Default::default()
    };
    let mut conferences = ConferencesClient::new(stack.channel("scheduling").await);
    let listed = conferences.list_conferences(authorized(listing, &office)).await.unwrap().into_inner().conferences;
    assert_eq!(listed.len(), plan.conferences.len());
    let mut participants = ParticipantsClient::new(stack.channel("participants").await);
    let invitees = || plan.conferences.iter().flat_map(|c| &c.invitees);
    let (invited, attended) = (invitees().count() as u32, invitees().filter(|i| i.attends).count() as u32);
    let (mut held, mut invitations) = ((0, 0, 0), (0, 0));
    for conference in listed {
        let request = ConferenceRequest { conference_id: conference.id };
        let attendance = participants.get_attendance(authorized(request, &office)).await.unwrap().into_inner();
        assert_eq!(attendance.speakers_queued, 0, "every speaker was called");
        held = (held.0 + attendance.registered, held.1 + attendance.checked_in, held.2 + attendance.speakers_spoke);
        invitations = (invitations.0 + attendance.invited, invitations.1 + attendance.invitees_attended);
    }
    assert_eq!(held, (registered, came, spoke));
    assert_eq!(invitations, (invited, attended));

    // A second run would duplicate the directory: refused, and nothing changes.
    let again = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has posts"));
    let report = deadlines.get_report(authorized(request, &monitor)).await.unwrap().into_inner();
    assert_eq!(Report { parts: Vec::new(), ..report }, agreed);
    stack.finish().await;
}
