//! `doithoai demo seed` against the real stack: a year of a district's
//! dialogues played through the public APIs, the deadlines service's annual
//! report agreeing, figure by figure, with what the plan says, and the
//! participants service holding the plan's registrations, speakers and
//! invitations.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chrono::NaiveDate;
use doithoai_demo::plan::{Fate, Turn};
use doithoai_demo::{history, plan, seed};
use doithoai_proto::{
    common::v1::PageRequest,
    deadlines::v1::{
        ListObligationsRequest, Obligation, ObligationKind, ObligationState, Report, ReportRequest,
        deadlines_client::DeadlinesClient,
    },
    participants::v1::{ConferenceRequest, participants_client::ParticipantsClient},
    scheduling::v1::{ListConferencesRequest, conferences_client::ConferencesClient},
};
use doithoai_runtime::{auth::TokenSigner, time::local_date};
use doithoai_tests::{Role, Stack, WAIT, authorized, repo_root, token};

/// Where the stack's services listen.
fn endpoints(stack: &Stack) -> seed::Endpoints {
    let addr = |service: &str| format!("http://{}", stack.running(service).grpc_addr);
    seed::Endpoints {
        scheduling: addr("scheduling"),
        participants: addr("participants"),
        minutes: addr("minutes"),
        deadlines: addr("deadlines"),
    }
}

/// `doithoai demo seed` against the stack at `endpoints`.
fn demo(endpoints: &seed::Endpoints) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_doithoai"));
    command
        .args(["demo", "seed"])
        .current_dir(repo_root())
        .env("DOITHOAI_SCHEDULING_ADDR", &endpoints.scheduling)
        .env("DOITHOAI_PARTICIPANTS_ADDR", &endpoints.participants)
        .env("DOITHOAI_MINUTES_ADDR", &endpoints.minutes)
        .env("DOITHOAI_DEADLINES_ADDR", &endpoints.deadlines);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn a_seeded_year_is_reported_as_planned() {
    let stack = Stack::start().await;
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let endpoints = endpoints(&stack);
    let env = endpoints.clone();
    let run = move || {
        let mut command = demo(&env);
        command.args(["--root", "323", "--year", "2025", "--seed", "7"]);
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
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has conferences in 2025"));
    let report = deadlines.get_report(authorized(request, &monitor)).await.unwrap().into_inner();
    assert_eq!(Report { parts: Vec::new(), ..report }, agreed);
    stack.finish().await;
}

/// The July 2025 merger in small: a province with one city of four wards
/// that, from 1 July, are two communes of the province.
const JULY_LIST: &str = "code,name,tier,parent_code,type,legacy_sources
33,Tỉnh Hưng Yên,province,,Tỉnh,33
11953,Phường Phố Hiến,commune,33,Phường,11950;11953
11977,Xã Tân Hưng,commune,33,Xã,11956;11959
";

fn listed_obligations(
    deadlines: &DeadlinesClient<tonic::transport::Channel>,
    kind: ObligationKind,
) -> impl Future<Output = Vec<Obligation>> {
    let mut deadlines = deadlines.clone();
    async move {
        let monitor = token("33", &[Role::Monitor]);
        let (mut all, mut page_token) = (Vec::new(), String::new());
        loop {
            let request = ListObligationsRequest {
                unit_code: "33".into(),
                kind: kind as i32,
                page: Some(PageRequest { page_size: 1000, page_token }),
                ..Default::default()
            };
            let listed = deadlines.list_obligations(authorized(request, &monitor)).await.unwrap().into_inner();
            all.extend(listed.obligations);
            page_token = listed.page.map(|p| p.next_page_token).unwrap_or_default();
            if page_token.is_empty() {
                return all;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_history_across_the_july_2025_merger_is_finished_by_the_successors() {
    let stack = Stack::start().await;
    let kept = ["33", "323", "11950", "11953", "11956", "11959"];
    let rows = doithoai_tests::read_rows("hung-yen-2020.csv").into_iter().filter(|r| kept.contains(&r.code.as_str()));
    stack.import_rows(rows.collect(), &token("33", &[Role::Admin])).await.unwrap();
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), JULY_LIST).unwrap();
    let endpoints = endpoints(&stack);
    let pem = std::fs::read_to_string(repo_root().join("deploy/local/dev-keys/signing.pem")).unwrap();
    let signer = TokenSigner::from_private_pem(&pem, "doithoai").unwrap();
    let before = seed::units(&endpoints, &signer, "33").await.unwrap();

    let mut command = demo(&endpoints);
    command
        .args(["--root", "33", "--from", "2025", "--seed", "11", "--decision", "1666/NQ-UBTVQH15"])
        .args(["--effective", "2025-07-01", "--reorganise"])
        .arg(list.path());
    let output = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1666/NQ-UBTVQH15 applied on 2025-07-01, 4 units end"), "{stdout}");
    assert_eq!(stdout.matches("seeded in").count(), 2, "2025 and 2026: {stdout}");

    // What the plan says the successors finished.
    let today = local_date(chrono::Utc::now());
    let rows = doithoai_units::read_units_csv(JULY_LIST.as_bytes()).unwrap();
    let change = history::Change {
        decision: "1666/NQ-UBTVQH15".into(),
        effective: NaiveDate::from_ymd_opt(2025, 7, 1).unwrap(),
        rows: rows.into_iter().map(doithoai_directory::units::wire_row).collect(),
    };
    let plans = history::history(&before, std::slice::from_ref(&change), 2025, 11, today.pred_opt().unwrap()).unwrap();
    let year = &plans[0];
    let ended = &year.reorganisations[0].ended;
    let (mut notices, mut responses) = (0, 0);
    for conference in year.conferences.iter().filter(|c| ended.contains_key(&c.unit)) {
        let Some(notice_on) = conference.notice_on else { continue };
        if notice_on >= change.effective {
            notices += 1;
            continue;
        }
        responses += conference
            .petitions
            .iter()
            .filter(|p| matches!(p.fate, Fate::Assigned { response: Some(on), escalation: None, .. } if on >= change.effective))
            .count();
    }
    assert!(responses > 0, "the seed answers some petitions of the ended units after the change");

    // The deadlines service moved that open work to the successors, and the successors met it.
    let deadlines = DeadlinesClient::new(stack.channel("deadlines").await);
    let moved_and_met = |obligations: &[Obligation]| {
        obligations
            .iter()
            .filter(|o| o.explanation.iter().any(|line| line.starts_with("moved to")))
            .filter(|o| [ObligationState::MetOnTime, ObligationState::MetLate].contains(&o.state()))
            .count()
    };
    let agency_responses = listed_obligations(&deadlines, ObligationKind::AgencyResponse).await;
    assert_eq!(moved_and_met(&agency_responses), responses);
    let conclusion_notices = listed_obligations(&deadlines, ObligationKind::ConclusionNotice).await;
    assert_eq!(moved_and_met(&conclusion_notices), notices);
    // Nothing is left with a unit that ended: every open obligation lies with a unit that exists.
    for obligation in agency_responses.iter().chain(&conclusion_notices) {
        if [ObligationState::Open, ObligationState::DueSoon, ObligationState::Overdue].contains(&obligation.state()) {
            let unit = obligation.unit_path.last().unwrap();
            assert!(!ended.contains_key(unit), "{obligation:?}");
        }
    }

    // 2026 runs on the two new communes.
    let office = token("33", &[Role::Office]);
    let mut conferences = ConferencesClient::new(stack.channel("scheduling").await);
    for unit in ["11953", "11977"] {
        let listing = ListConferencesRequest {
            unit_code: unit.into(),
            year: 2026,
            page: Some(PageRequest { page_size: 1000, ..Default::default() }),
            ..Default::default()
        };
        let listed = conferences.list_conferences(authorized(listing, &office)).await.unwrap().into_inner();
        let own = listed.conferences.iter().filter(|c| c.unit_code == unit).count();
        assert_eq!(own, plans[1].conferences.iter().filter(|c| c.unit == unit).count(), "{unit}");
    }
    stack.finish().await;
}
