//! The workspace in a real browser: the district's conference of the gRPC
//! scenario played entirely in the web by four signed-in people, each in
//! their own browser, with the clock moved between them. The office puts
//! the head's dialogue in the plan, drafts the conference, is refused a
//! notice six days ahead (and keeps what it typed), announces it and
//! registers two people; the secretary runs it on a tablet while a second
//! screen follows the queue; the host extends, concludes and signs; the
//! office composes the conclusion notice (refused while a petition has no
//! agency) and issues it; the agencies acknowledge and answer, one with its
//! signed PDF. The deadlines come out as the scenario's, and so do the
//! report's figures. Screenshots go to `target/browser/workspace/`, where the
//! role guides take theirs from.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use doithoai_proto::{
    deadlines::v1::{ListObligationsRequest, ObligationKind, ReportRequest, deadlines_client::DeadlinesClient},
    participants::v1::{ConferenceRequest as ParticipantsRef, participants_client::ParticipantsClient},
};
use doithoai_tests::{
    repo_root,
    web::{artifacts, start_web},
    *,
};
use serde_json::Value;

use crate::scenario::{Scenario, expected, rows};

/// The district's Bí thư, as the workspace names the post.
const HOST: &str = "Bí thư Thành ủy — Người giữ chức Bí thư Thành ủy";

/// One person's visit with `tests/browser/workspace.mjs`, in the browser whose cookies `who` keeps.
async fn visit(base: &str, who: &str, command: &str, args: &[&str]) -> Value {
    let out = artifacts().join("workspace");
    let state = out.join(format!("{who}.json"));
    let script = repo_root().join("tests/browser/workspace.mjs");
    let output = tokio::process::Command::new("node")
        .arg(script)
        .args([command, base, state.to_str().unwrap(), out.to_str().unwrap()])
        .args(args)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{who}'s {command} failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the visit prints JSON")
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// A signed response, as an agency scans it: a PDF the minutes service keeps.
fn signed_response(dir: &Path) -> String {
    let file = dir.join("56-CV.pdf");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&file, b"%PDF-1.4\n% van ban tra loi so 56/CV\n%%EOF\n").unwrap();
    file.display().to_string()
}

#[tokio::test]
async fn one_conference_from_the_plan_to_the_agencys_answer_played_in_the_browser_by_four_people() {
    let mut s = Scenario::new().await;
    s.set_up_the_province().await;
    let out = artifacts().join("workspace");
    let _ = std::fs::remove_dir_all(&out);
    let web = start_web(&s.stack, Ok).await;
    let base = format!("http://{}", web.addr);
    let tnmt = s.agencies["tnmt-323"].id.clone();
    let qldt = s.agencies["qldt-323"].id.clone();

    // Monday 26 January: everyone signs in; each lands in their workspace.
    for (who, role, organization) in [
        ("vanphong-323", "OFFICE", ""),
        ("thuky-323", "SECRETARY", ""),
        ("thuky-323-second-screen", "SECRETARY", ""),
        ("bithu-323", "HOST", ""),
        ("tnmt-323", "AGENCY", tnmt.as_str()),
        ("qldt-323", "AGENCY", qldt.as_str()),
    ] {
        let subject = who.trim_end_matches("-second-screen");
        let signed_in = visit(&base, who, "signin", &["323", role, subject, organization]).await;
        assert!(text(&signed_in, "url").ends_with("/work"), "{who}: {signed_in}");
    }
    let planned = visit(&base, "vanphong-323", "plan", &[HOST]).await;
    assert!(text(&planned, "plan").contains("Tháng 2/2026"), "{planned}");
    let theme = "Giải phóng mặt bằng và trật tự đô thị";
    let prepared = visit(&base, "vanphong-323", "prepare", &[theme, HOST, "2026-02-12"]).await;
    let id = text(&prepared, "id");
    assert!(text(&prepared, "text").contains("Bồi thường, tái định cư"), "{prepared}");

    // Wednesday 4 February: six days ahead is refused (R7.3), eight are not.
    s.at("2026-02-04T08:00:00");
    let announced = visit(&base, "vanphong-323", "announce", &[&id, "2026-02-06", "2026-02-04"]).await;
    assert!(text(&announced, "latest").contains("05/02/2026"), "the last day the notice may run: {announced}");
    assert_eq!(announced["kept"]["media"], "Báo Hưng Yên số ra ngày thứ Tư", "the refused form keeps what was typed");
    assert_eq!(announced["kept"]["date"], "2026-02-06");
    let participants = ParticipantsClient::new(s.stack.channel("participants").await);
    eventually(WAIT, "the participants service hears of the notice", || {
        let (mut participants, id) = (participants.clone(), id.clone());
        async move {
            let request = authorized(ParticipantsRef { conference_id: id }, &token("323", &[Role::Office]));
            participants.get_attendance(request).await.ok()?.get_ref().registration_open.then_some(())
        }
    })
    .await;
    let invited = visit(&base, "vanphong-323", "invite", &[&id]).await;
    assert!(text(&invited, "text").contains("Trần Văn Tài"), "{invited}");

    // Thursday 12 February: the secretary's tablet and a second screen.
    s.at("2026-02-12T08:30:00");
    let second_screen = artifacts().join("workspace/thuky-323-second-screen.json");
    let held = visit(&base, "thuky-323", "run", &[&id, second_screen.to_str().unwrap()]).await;
    let receipts: Vec<String> =
        held["receipts"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().into()).collect();
    assert_eq!(receipts.len(), 2);
    assert!(receipts.iter().all(|r| r.len() == 11 && r.as_bytes()[5] == b'-'), "receipt codes: {receipts:?}");
    assert_eq!(held["watched"], held["queue"], "both screens show the same queue");
    let concluded = visit(&base, "bithu-323", "conclude", &[&id]).await;
    assert!(text(&concluded, "text").contains("Giao các phòng chuyên môn"), "{concluded}");
    visit(&base, "thuky-323", "sign", &[&id]).await;
    s.at("2026-02-12T12:45:00");
    visit(&base, "bithu-323", "end", &[&id]).await;

    // Thursday 5 March, the notice's tenth working day (Tết in between).
    s.at("2026-03-05T09:00:00");
    let noticed = visit(&base, "vanphong-323", "notice", &[&id]).await;
    assert!(text(&noticed, "refusal").contains("R10.2"), "{noticed}");
    assert_eq!(noticed["kept"]["number"], "25-TB/TU");
    assert_eq!(noticed["kept"]["first"], tnmt.as_str(), "the refused notice keeps its assignments");
    s.until("the notice met", |o| o.iter().any(|o| o.kind == ObligationKind::AgencyResponse as i32)).await;

    // The land office acknowledges the next day and answers in April; the
    // urban-order office never acknowledges and answers late.
    s.at("2026-03-06T10:00:00");
    let compensation = "Đề nghị chi trả tiền bồi thường đất nông nghiệp";
    let acknowledged = visit(&base, "tnmt-323", "acknowledge", &[compensation]).await;
    assert!(text(&acknowledged, "inbox").contains(compensation), "{acknowledged}");
    s.until("the receipt heard", |o| o.iter().any(|o| o.anchor == "RECEIVED")).await;
    s.at("2026-04-10T09:00:00");
    let pdf = signed_response(&out);
    let answered = visit(&base, "tnmt-323", "respond", &[compensation, "2026-04-10", &pdf]).await;
    assert_eq!(answered["same"], true, "the signed PDF is kept as it was sent");
    s.at("2026-04-20T09:00:00");
    let pavement = "Đề nghị xử lý lấn chiếm vỉa hè phố Lam Sơn";
    s.until("the urban-order office overdue", |o| {
        o.iter().any(|o| {
            o.organization_id == qldt && o.state == doithoai_proto::deadlines::v1::ObligationState::Overdue as i32
        })
    })
    .await;
    s.at("2026-04-24T09:00:00");
    let late = visit(&base, "qldt-323", "respond", &[pavement, "2026-04-24", &pdf]).await;
    assert!(text(&late, "inbox").contains("Quá hạn"), "overdue first in the inbox: {late}");
    // Friday 3 July: the head files the six-month report (R13.1).
    s.at("2026-07-03T09:00:00");
    let reports = visit(&base, "bithu-323", "reports", &[]).await;
    assert!(text(&reports, "text").contains("Báo cáo 6 tháng"), "{reports}");

    // The deadlines are the scenario's for the district's conference.
    s.until("both responses heard", |o| {
        o.iter().filter(|o| o.kind == ObligationKind::AgencyResponse as i32 && !o.met_on.is_empty()).count() == 2
    })
    .await;
    let district_rows = |rows: Vec<[String; 7]>| -> Vec<[String; 7]> {
        let kinds =
            [ObligationKind::ConclusionNotice, ObligationKind::AgencyResponse, ObligationKind::PeriodicDialogue]
                .map(|k| k.as_str_name().to_owned());
        rows.into_iter()
            .filter(|r| r[1] == "323" && kinds.contains(&r[0]) && r[5] != "OBLIGATION_STATE_CANCELLED")
            .collect()
    };
    assert_eq!(district_rows(rows(&s.obligations().await)), district_rows(expected().obligations));

    // And so are the district's report's figures for them.
    let monitor = token("323", &[Role::Monitor]);
    let request = ReportRequest { unit_code: "323".into(), from: "2026-01-01".into(), to: "2026-06-30".into() };
    let deadlines = DeadlinesClient::new(s.stack.channel("deadlines").await);
    let report = deadlines.clone().get_report(authorized(request, &monitor)).await.unwrap().into_inner();
    assert_eq!(
        (report.notices_on_time, report.responses_on_time, report.responses_late, report.heads_held),
        (1, 1, 1, 1),
        "{report:?}"
    );
    let listed = ListObligationsRequest { unit_code: "323".into(), organization_id: tnmt, ..Default::default() };
    let tnmt_owes = deadlines.clone().list_obligations(authorized(listed, &monitor)).await.unwrap().into_inner();
    assert_eq!(tnmt_owes.obligations.len(), 1, "one response owed by the land office, once");
    web.stop().await.unwrap();
    s.stack.finish().await;
}
