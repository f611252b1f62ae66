//! The operator's commands, run as the real binary against the real stack.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use doithoai_runtime::auth::Authenticator;
use doithoai_tests::{Role, Stack, province_rows, repo_root, token};

fn doithoai(args: &[&str], addr: Option<&str>, token: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_doithoai"));
    command.args(args).current_dir(repo_root()).env_remove("DOITHOAI_TOKEN");
    if let Some(addr) = addr {
        command.env("DOITHOAI_SCHEDULING_ADDR", addr);
    }
    if let Some(token) = token {
        command.env("DOITHOAI_TOKEN", token);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn dev_token_prints_a_token_the_services_trust() {
    let output = doithoai(&["dev", "token", "--unit", "323", "--role", "OFFICE", "--role", "host"], None, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let public = std::fs::read_to_string(repo_root().join("deploy/local/dev-keys/public.pem")).unwrap();
    let authenticator = Authenticator::from_public_pem(&public, "doithoai").unwrap();
    let caller = authenticator.verify(text(&output.stdout).trim()).await.unwrap();
    assert_eq!(caller.unit.as_str(), "323");
    assert_eq!(caller.roles, [Role::Office, Role::Host]);

    let refused = doithoai(&["dev", "token", "--unit", "33", "--role", "KING"], None, None);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("unknown role"), "{}", text(&refused.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn units_import_and_tree_through_the_cli() {
    let stack = Stack::start().await;
    let addr = format!("http://{}", stack.running("scheduling").grpc_addr);
    let admin = token("33", &[Role::Admin]);

    let file = repo_root().join("deploy/data/units/hung-yen-2020.csv");
    let output = doithoai(&["units", "import", file.to_str().unwrap()], Some(&addr), Some(&admin));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("172 received, 172 created, 0 updated, 0 unchanged"),
        "{}",
        text(&output.stdout)
    );

    let output = doithoai(&["units", "tree", "323"], Some(&addr), Some(&admin));
    let tree = text(&output.stdout);
    let mut lines = tree.lines();
    assert_eq!(lines.next(), Some("323 Thành phố Hưng Yên (Thành phố, district)"));
    assert_eq!(lines.next(), Some("  11950 Phường Lam Sơn (Phường, commune)"));

    let output = doithoai(&["units", "tree", "323"], Some(&addr), None);
    assert!(text(&output.stderr).contains("no token"), "{}", text(&output.stderr));
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_july_2025_reorganisation_through_the_cli() {
    let stack = Stack::start().await;
    let addr = format!("http://{}", stack.running("scheduling").grpc_addr);
    stack.import_file("hung-yen-2025-01.csv").await.unwrap();
    stack.import_rows(province_rows("vietnam-2025-01.csv", "34"), &token("34", &[Role::Admin])).await.unwrap();
    let root = token("33", &[Role::Admin]);
    // An agency of the district and one of the province, before the change.
    let dir = tempfile::tempdir().unwrap();
    let agencies = dir.path().join("agencies.csv");
    std::fs::write(
        &agencies,
        "unit_code,kind,name\n323,DEPARTMENT,Phòng Tài nguyên và Môi trường\n\
         33,DEPARTMENT,Sở Nông nghiệp và Môi trường\n",
    )
    .unwrap();
    let created =
        doithoai(&["directory", "import-organizations", agencies.to_str().unwrap()], Some(&addr), Some(&root));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let ids: Vec<String> =
        text(&created.stdout).lines().map(|line| line.split(' ').next().unwrap().to_owned()).collect();
    let file = repo_root().join("deploy/data/units/hung-yen-2025-07.csv");
    let reorganise = |extra: &[&str]| {
        let mut args = vec!["units", "reorganise", file.to_str().unwrap()];
        args.extend(["--decision", "202/2025/QH15", "--effective", "2025-07-01"]);
        args.extend(extra);
        doithoai(&args, Some(&addr), Some(&root))
    };

    let planned = reorganise(&["--dry-run"]);
    assert!(planned.status.success(), "{}", text(&planned.stderr));
    let out = text(&planned.stdout);
    assert!(out.contains("ends 323: succeeded by 33\n") && out.contains("ends 11974: succeeded by 11953\n"), "{out}");
    assert!(out.contains("105 received, 0 begin, 105 go on, 296 end, 0 unchanged; planned only (--dry-run)"), "{out}");

    let applied = reorganise(&[]);
    assert!(text(&applied.stdout).contains("; applied"), "{}", text(&applied.stdout));
    let tree = text(&doithoai(&["units", "tree", "323"], Some(&addr), Some(&root)).stdout);
    assert_eq!(
        tree.lines().next(),
        Some("323 Thành phố Hưng Yên (Thành phố, district) — ended 2025-06-30, succeeded by 33")
    );
    let again = reorganise(&[]);
    assert!(!text(&again.stdout).contains("296 end"), "{}", text(&again.stdout));
    assert!(text(&again.stdout).contains("already applied: nothing changes"), "{}", text(&again.stdout));

    // The province's office names the agency that takes over the district agency's work.
    let args = ["directory", "succeed-organization", &ids[0], "--successor", &ids[1], "--effective", "2025-07-01"];
    let succeeded = doithoai(&[&args[..], &["--decision", "45/QĐ-UBND"]].concat(), Some(&addr), Some(&root));
    assert!(succeeded.status.success(), "{}", text(&succeeded.stderr));
    let expected = format!(
        "{} Phòng Tài nguyên và Môi trường ended on 2025-06-30, succeeded by {} (45/QĐ-UBND)\n",
        ids[0], ids[1]
    );
    assert_eq!(text(&succeeded.stdout), expected);

    let refused = doithoai(
        &["units", "reorganise", file.to_str().unwrap(), "--decision", "x", "--effective", "2025-07-01"],
        Some(&addr),
        Some(&token("323", &[Role::Admin])),
    );
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("ROOT_ADMIN_REQUIRED"), "{}", text(&refused.stderr));
    stack.finish().await;
}

#[test]
fn a_bad_file_names_its_lines_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "code,name,tier,parent_code,type\n33,Tỉnh Hưng Yên,province,,Tỉnh\n323,TP,city,33,Thành phố\n",
    )
    .unwrap();
    // No service listens at this address: the file is refused before any call.
    let output = doithoai(&["units", "import", file.to_str().unwrap()], Some("http://127.0.0.1:9"), Some("t"));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("bad.csv:line 3: tier"), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
}

#[test]
fn calendar_commands_print_their_result_first() {
    let first_line = |args: &[&str]| {
        let output = doithoai(args, None, None);
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        text(&output.stdout).lines().next().unwrap().to_owned()
    };
    assert_eq!(first_line(&["calendar", "add-working-days", "2025-04-28", "3"]), "2025-05-06");
    assert_eq!(first_line(&["calendar", "lunar", "2030-02-02"]), "1/1/2030");
    assert_eq!(first_line(&["calendar", "lunar", "2023-04-01"]), "11/2+/2023");
    assert_eq!(first_line(&["calendar", "explain", "2025-12-23", "10"]), "2026-01-08");
    assert!(first_line(&["calendar", "year", "2026"]).starts_with("2026: 14 days off, 2 weekend days worked"));

    let explained = text(&doithoai(&["calendar", "explain", "2025-12-23", "10"], None, None).stdout);
    assert!(
        explained.contains("skipped 2026-01-02 Fri swapped day off: Nghỉ hoán đổi dịp Tết Dương lịch"),
        "{explained}"
    );
}

#[test]
fn calendar_bad_input_is_one_line_on_stderr_and_exit_code_2() {
    for args in [
        ["calendar", "add-working-days", "2025-02-30", "3"],
        ["calendar", "add-working-days", "2025-04-28", "-3"],
        ["calendar", "add-working-days", "2045-01-02", "3"],
        ["calendar", "explain", "yesterday", "10"],
    ] {
        let output = doithoai(&args, None, None);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert_eq!(text(&output.stderr).lines().count(), 1, "{args:?}: {}", text(&output.stderr));
    }
}

#[test]
fn a_bad_plan_item_is_refused_before_anything_is_sent() {
    // No service listens at this address: the item is refused first.
    let unreachable = Some("http://127.0.0.1:9");
    for (item, says) in [
        ("post|weekly|3|Chủ đề", "not a known regime"),
        ("post|periodic|March|Chủ đề", "is not HOST_POST|REGIME|MONTH|THEME"),
        ("post|periodic|3", "is not HOST_POST|REGIME|MONTH|THEME"),
    ] {
        let args = ["plan", "set", "--unit", "323", "--year", "2026", "--item", item];
        let output = doithoai(&args, unreachable, Some("token"));
        assert_eq!(output.status.code(), Some(2), "{item}: {}", text(&output.stderr));
        assert!(text(&output.stderr).contains(says), "{item}: {}", text(&output.stderr));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conference_lifecycle_through_the_cli() {
    let stack = Stack::start().await;
    // Monday 2 March 2026, 08:00 in Hà Nội.
    stack.clock.set("2026-03-02T01:00:00Z".parse().unwrap());
    stack.import_file("hung-yen-2020.csv").await.unwrap();
    let addr = format!("http://{}", stack.running("scheduling").grpc_addr);
    let office = token("33", &[Role::Office]);
    let run = |args: &[&str], token: &str| {
        let output = doithoai(args, Some(&addr), Some(token));
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        text(&output.stdout)
    };

    let dir = tempfile::tempdir().unwrap();
    let posts = dir.path().join("posts.csv");
    std::fs::write(
        &posts,
        "unit_code,body,rank,title,person_name,subject,term_start,term_end\n\
         323,party-committee,head,Bí thư Thành ủy,Nguyễn Văn A,bithu-323,2020-10-01,\n\
         323,party-committee,deputy,Phó Bí thư Thành ủy,Trần Văn B,phobithu-323,2020-10-01,\n",
    )
    .unwrap();
    let created = run(&["directory", "import-posts", posts.to_str().unwrap()], &office);
    let head = created.lines().next().unwrap().split(' ').next().unwrap().to_owned();

    let create = |starts_at: &str| {
        let line = run(
            &[
                "conference",
                "create",
                "--unit",
                "323",
                "--body",
                "party-committee",
                "--host",
                &head,
                "--venue-unit",
                "11950",
                "--address",
                "Hội trường phường Lam Sơn",
                "--theme",
                "Giải phóng mặt bằng",
                "--starts-at",
                starts_at,
                "--agenda",
                "Bồi thường đất|economy-and-society",
            ],
            &office,
        );
        assert!(line.contains(" DRAFT 2026-03-"), "{line}");
        line.split(' ').next().unwrap().to_owned()
    };
    let id = create("2026-03-10T09:00");
    run(&["conference", "secretary", &id, "--subject", "thuky-323", "--name", "Lê Thị C"], &office);
    let announced =
        run(&["conference", "announce", &id, "--channel", "Báo Hưng Yên", "--published", "2026-03-02"], &office);
    assert!(announced.contains(" ANNOUNCED 2026-03-10 09:00 "), "{announced}");

    let too_soon = create("2026-03-08T09:00");
    let refused = doithoai(
        &["conference", "announce", &too_soon, "--channel", "Báo Hưng Yên", "--published", "2026-03-02"],
        Some(&addr),
        Some(&office),
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("[R7.3]"), "{}", text(&refused.stderr));

    stack.clock.set("2026-03-10T02:00:00Z".parse().unwrap());
    run(&["conference", "start", &id], &office);
    let host = doithoai_tests::token_for("bithu-323", "323", &[Role::Host]);
    assert!(run(&["conference", "extend", &id, "30"], &host).contains(" IN_PROGRESS "));
    assert!(run(&["conference", "end", &id], &office).contains(" ENDED "));
    let report = run(&["plan", "report", "--unit", "323", "--year", "2026"], &office);
    assert!(report.starts_with("1 of 1 heads held their periodic dialogue in 2026"), "{report}");
    let listed = run(&["conference", "list", "--unit", "33", "--year", "2026"], &office);
    assert_eq!(listed.lines().count(), 2);
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn participants_through_the_cli() {
    use doithoai_tests::scheduling::District;
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    let conference = district.announced(&stack).await;
    let addr = format!("http://{}", stack.running("participants").grpc_addr);
    let secretary = doithoai_tests::token_for("thuky-323", "323", &[Role::Secretary]);
    let run = |args: &[&str], token: &str| {
        let mut args = args.to_vec();
        args.extend(["--addr", addr.as_str()]);
        let output = doithoai(&args, None, Some(token));
        (output.status.success(), text(&output.stdout), text(&output.stderr))
    };
    let attendance = doithoai_tests::eventually(doithoai_tests::WAIT, "registration open", || async {
        let (ok, out, _) = run(&["participant", "attendance", &conference.id], &secretary);
        (ok && out.starts_with("registration open")).then_some(out)
    })
    .await;
    assert!(attendance.contains("0 registered"), "{attendance}");

    let register = |name: &str, id: &str| {
        let (ok, out, err) = run(
            &["participant", "register", &conference.id, "--name", name, "--unit", "11950", "--national-id", id],
            &secretary,
        );
        assert!(ok, "{err}");
        out.trim().to_owned()
    };
    let first = register("Trần Văn Một", "034100000001");
    let second = register("Trần Văn Hai", "034100000002");
    let (ok, _, err) = run(
        &[
            "participant",
            "register",
            &conference.id,
            "--name",
            "Trần Văn Một",
            "--unit",
            "11950",
            "--national-id",
            "034100000001",
        ],
        &secretary,
    );
    assert!(!ok && err.contains("[R8.3]"), "{err}");
    for person in [&first, &second] {
        let (ok, out, err) =
            run(&["participant", "speak", &conference.id, person, "--topic", "Đền bù giải phóng mặt bằng"], &secretary);
        assert!(ok && out.contains("QUEUED"), "{err}");
    }
    let (_, queue, _) = run(&["participant", "queue", &conference.id], &secretary);
    assert!(queue.lines().next().unwrap().contains("(Trần Văn Một)"), "{queue}");
    let host = doithoai_tests::token_for("bithu-323", "323", &[Role::Host]);
    let (ok, out, err) =
        run(&["participant", "refuse", &second, "--reason", "intoxicated", "--note", "Say rượu"], &host);
    assert!(ok && out.contains("REFUSED"), "{err}");
    let (ok, _, err) = run(&["participant", "refuse", &first, "--reason", "rude"], &host);
    assert!(!ok && err.contains("not a known refusal_reason"), "{err}");
    // The agency reaches the participants service's replica through an event.
    let invited = doithoai_tests::eventually(doithoai_tests::WAIT, "the invitation", || async {
        let args = [
            "participant",
            "invite",
            &conference.id,
            "--organization",
            &district.agency.id,
            "--name",
            "Trưởng phòng",
            "--answers",
            "0",
        ];
        let (ok, out, _) = run(&args, &district.office);
        ok.then_some(out)
    })
    .await;
    let invitation = invited.split_whitespace().next().unwrap().to_owned();
    let (ok, out, err) = run(&["participant", "invitation", &invitation, "--status", "accepted"], &district.office);
    assert!(ok && out.contains("ACCEPTED"), "{err}");

    district.start(&stack, &conference.id).await;
    let called = doithoai_tests::eventually(doithoai_tests::WAIT, "the first speaker called", || async {
        let (ok, out, _) = run(&["participant", "call-next", &conference.id], &secretary);
        ok.then_some(out)
    })
    .await;
    assert!(called.trim_start().starts_with("1 ") && called.contains("CALLED"), "{called}");
    let registration = called.split_whitespace().nth(1).unwrap().to_owned();
    let (ok, out, _) = run(&["participant", "spoke", &registration], &secretary);
    assert!(ok && out.contains("SPOKE"));
    let (ok, out, _) = run(&["participant", "attendance", &conference.id], &token("33", &[Role::Monitor]));
    assert!(ok && out.contains("2 registered") && out.contains("1 refused") && out.contains("1 spoke"), "{out}");
    let (ok, out, _) = run(&["participant", "check-in", &invitation, "--invitation"], &secretary);
    assert!(ok && out.contains("1 of 1 invitees"), "{out}");
    stack.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn minutes_through_the_cli() {
    use doithoai_tests::scheduling::District;
    let stack = Stack::start().await;
    let district = District::set_up(&stack).await;
    let conference = district.announced_inviting(&stack, vec![district.agency.id.clone()]).await;
    district.start(&stack, &conference.id).await;
    let addr = format!("http://{}", stack.running("minutes").grpc_addr);
    let run = |args: &[&str], token: &str| {
        let mut args = args.to_vec();
        args.extend(["--addr", addr.as_str()]);
        let output = doithoai(&args, None, Some(token));
        assert!(output.status.success(), "{args:?}: {}", text(&output.stderr));
        text(&output.stdout)
    };
    let secretary = doithoai_tests::token_for("thuky-323", "323", &[Role::Secretary]);
    let host = doithoai_tests::token_for("bithu-323", "323", &[Role::Host]);
    doithoai_tests::eventually(doithoai_tests::WAIT, "the minutes open", || async {
        let output = doithoai(&["minutes", "show", &conference.id, "--addr", &addr], None, Some(&secretary));
        output.status.success().then_some(())
    })
    .await;
    run(
        &[
            "minutes",
            "opening",
            &conference.id,
            "--purpose",
            "Lắng nghe",
            "--requirements",
            "Dân chủ",
            "--content",
            "Đất đai",
        ],
        &secretary,
    );
    let id = |line: String| line.split_whitespace().next().unwrap().to_owned();
    let open = id(run(&["minutes", "petition", &conference.id, "--text", "Cấp sổ đỏ chậm"], &secretary));
    let complaint = id(run(
        &["minutes", "petition", &conference.id, "--text", "Khiếu nại thu hồi đất", "--classification", "complaint"],
        &secretary,
    ));
    let answered = id(run(
        &["minutes", "petition", &conference.id, "--text", "Đường hỏng", "--classification", "feedback"],
        &secretary,
    ));
    assert!(
        run(&["minutes", "refer", &complaint, "--to", "Ban Tiếp công dân", "--on", "2026-03-10"], &secretary)
            .contains(" REFERRED ")
    );
    assert!(run(&["minutes", "answer", &answered, "--text", "Sửa trong tháng 4"], &host).contains(" ANSWERED "));
    run(&["minutes", "conclude", &conference.id, "--text", "Giao Phòng TNMT giải quyết"], &host);
    run(&["minutes", "sign", &conference.id], &secretary);
    assert!(run(&["minutes", "sign", &conference.id], &host).contains(" SIGNED "));
    let assignment = format!("{open}={}", district.agency.id);
    // Each date records what happened: the clock stands on it.
    let on = |day: &str| stack.clock.set(format!("{day}T02:00:00Z").parse().unwrap());
    on("2026-03-20");
    let notice = run(
        &[
            "minutes",
            "notice",
            &conference.id,
            "--number",
            "15/TB-TU",
            "--sent-on",
            "2026-03-20",
            "--signer",
            "Chánh Văn phòng",
            "--assign",
            &assignment,
        ],
        &district.office,
    );
    assert!(notice.contains("15/TB-TU sent 2026-03-20: 1 petition(s)"), "{notice}");
    let agency = doithoai_tests::agency_token(&district.agency.id, "323");
    on("2026-03-23");
    run(
        &["minutes", "acknowledge", &id(notice), "--organization", &district.agency.id, "--received-on", "2026-03-23"],
        &agency,
    );
    on("2026-04-20");
    let responded = run(
        &[
            "minutes",
            "respond",
            &open,
            "--on",
            "2026-04-20",
            "--document",
            "112/TNMT",
            "--outcome",
            "resolved",
            "--summary",
            "Đã cấp",
            "--reported-to-heads",
        ],
        &agency,
    );
    assert!(responded.contains(" RESPONDED "), "{responded}");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("thong-bao.pdf");
    let written =
        run(&["minutes", "render", &conference.id, "--notice", "--out", pdf.to_str().unwrap()], &district.office);
    assert!(written.contains("thong-bao-ket-luan-15-TB-TU.pdf"), "{written}");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    let shown = run(&["minutes", "show", &conference.id], &district.office);
    assert!(shown.starts_with(&format!("{} SIGNED 3 petitions", conference.id)), "{shown}");

    // The deadlines service followed: the response was due 30 working days after receipt.
    let deadlines = format!("http://{}", stack.running("deadlines").grpc_addr);
    let monitor = token("33", &[Role::Monitor]);
    let listed = doithoai_tests::eventually(doithoai_tests::WAIT, "the met obligation", || async {
        let args = ["deadlines", "list", "--unit", "33", "--kind", "agency-response", "--addr", &deadlines];
        let output = doithoai(&args, None, Some(&monitor));
        let out = text(&output.stdout);
        out.contains("MET_ON_TIME").then_some(out)
    })
    .await;
    assert!(listed.contains("AGENCY_RESPONSE MET_ON_TIME due 2026-05-07 (R10.3)"), "{listed}");
    // The notice came before the conference's end was recorded: R10.2 is opened from the notice and met.
    let notices = doithoai(
        &["deadlines", "list", "--unit", "33", "--kind", "conclusion-notice", "--addr", &deadlines],
        None,
        Some(&monitor),
    );
    assert!(text(&notices.stdout).contains("CONCLUSION_NOTICE MET_ON_TIME"), "{}", text(&notices.stdout));
    let summary = doithoai(
        &["deadlines", "summary", "--unit", "33", "--kind", "agency-response", "--addr", &deadlines],
        None,
        Some(&monitor),
    );
    assert!(text(&summary.stdout).starts_with("on time 100%"), "{}", text(&summary.stdout));
    let report = doithoai(
        &["deadlines", "report", "--unit", "323", "--from", "2026-01-01", "--to", "2026-12-31", "--addr", &deadlines],
        None,
        Some(&monitor),
    );
    let report = text(&report.stdout);
    assert!(report.contains("petitions: 3 (answered at the conference 1, referred 1, escalated 0)"), "{report}");
    let csv = dir.path().join("bao-cao.csv");
    let written = doithoai(
        &[
            "deadlines",
            "report",
            "--unit",
            "323",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--out",
            csv.to_str().unwrap(),
            "--addr",
            &deadlines,
        ],
        None,
        Some(&monitor),
    );
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert!(std::fs::read_to_string(&csv).unwrap().contains("petitions,referred,1"));
    stack.finish().await;
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    // As with `doithoai … | head -n 1` once head has exited.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_doithoai"))
        .args(["dev", "token", "--unit", "33", "--role", "ADMIN"])
        .current_dir(repo_root())
        .stdout(writer)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "");
}

/// `doithoai clock` against all four services of the stack.
fn clock(stack: &Stack, args: &[&str], token: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_doithoai"));
    command.arg("clock").args(args).current_dir(repo_root()).env("DOITHOAI_TOKEN", token);
    for service in ["scheduling", "participants", "minutes", "deadlines"] {
        let variable = format!("DOITHOAI_{}_ADDR", service.to_uppercase());
        command.env(variable, format!("http://{}", stack.running(service).grpc_addr));
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rehearsal_clock_through_the_cli() {
    let stack = Stack::start().await;
    let admin = token("33", &[Role::Admin]);

    let moved = tokio::task::block_in_place(|| clock(&stack, &["set", "2026-03-02T08:00"], &admin));
    assert!(moved.status.success(), "{}", text(&moved.stderr));
    let lines: Vec<String> = text(&moved.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with("scheduling    2026-03-02 08:00:00 +07:00"), "{lines:?}");
    assert!(lines[3].starts_with("deadlines     2026-03-02 08:00:00 +07:00"), "{lines:?}");
    assert_eq!(stack.clock.now().to_rfc3339(), "2026-03-02T01:00:00+00:00");
    let shown = tokio::task::block_in_place(|| clock(&stack, &["show"], &admin));
    assert!(text(&shown.stdout).contains("minutes       2026-03-02 08:00:00 +07:00"), "{}", text(&shown.stdout));

    // Only an administrator moves the clock; bad input is a usage error.
    let office = token("323", &[Role::Office]);
    let refused = tokio::task::block_in_place(|| clock(&stack, &["set", "2026-04-01T08:00"], &office));
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("PermissionDenied"), "{}", text(&refused.stderr));
    let bad = tokio::task::block_in_place(|| clock(&stack, &["set", "tomorrow"], &admin));
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("not a local time"), "{}", text(&bad.stderr));
    assert_eq!(stack.clock.now().to_rfc3339(), "2026-03-02T01:00:00+00:00");

    let back = tokio::task::block_in_place(|| clock(&stack, &["set", "now"], &admin));
    assert!(back.status.success(), "{}", text(&back.stderr));
    assert!((chrono::Utc::now() - stack.clock.now()).num_seconds().abs() < 60);
    stack.finish().await;
}
