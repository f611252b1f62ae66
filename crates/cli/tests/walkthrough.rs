//! `docs/walkthrough.md`, run: every `sh` block in order, in one bash session,
//! against the real stack. A line `# → text` in a block says what the commands
//! before it print; the run fails if they fail or print something else.
#![allow(clippy::unwrap_used)]

use std::{path::PathBuf, process::Stdio, time::Duration};

use doithoai_tests::{Stack, repo_root};

/// Commands, and what they must print (if the block says).
struct Segment {
    commands: String,
    expect: Option<String>,
}

fn segments(markdown: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut commands = String::new();
    let mut in_sh = false;
    for line in markdown.lines() {
        if !in_sh {
            in_sh = line.trim_end() == "```sh";
            continue;
        }
        if line.trim_end() == "```" {
            in_sh = false;
            if !commands.trim().is_empty() {
                segments.push(Segment { commands: std::mem::take(&mut commands), expect: None });
            }
        } else if let Some(expect) = line.strip_prefix("# → ") {
            segments.push(Segment { commands: std::mem::take(&mut commands), expect: Some(expect.to_owned()) });
        } else {
            commands.push_str(line);
            commands.push('\n');
        }
    }
    segments
}

/// grpcurl: `GRPCURL`, or the one `deploy/local/test` and `deploy/local/run --smoke` install.
fn grpcurl() -> PathBuf {
    let path = std::env::var_os("GRPCURL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("deploy/local/.run/venv/bin/grpcurl"));
    assert!(path.exists(), "no grpcurl at {}: run deploy/local/test, which installs it", path.display());
    path
}

#[test]
fn the_walkthrough_parses_into_commands_and_expectations() {
    let parsed = segments("text\n```sh\na\n# → one\nb\n```\n```text\nnot run\n```\n```sh\nc\n```\n");
    let shape: Vec<(&str, Option<&str>)> = parsed.iter().map(|s| (s.commands.as_str(), s.expect.as_deref())).collect();
    assert_eq!(shape, [("a\n", Some("one")), ("b\n", None), ("c\n", None)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_of_the_walkthrough_works() {
    let stack = Stack::start().await;
    let markdown = std::fs::read_to_string(repo_root().join("docs/walkthrough.md")).unwrap();
    let segments = segments(&markdown);
    assert!(segments.len() > 20, "the walk-through has its commands");
    let dir = tempfile::tempdir().unwrap();
    let mut script = String::from("set -euo pipefail\n");
    for (n, segment) in segments.iter().enumerate() {
        let commands = dir.path().join(format!("{n}.sh"));
        std::fs::write(&commands, &segment.commands).unwrap();
        let out = dir.path().join(format!("{n}.out"));
        script.push_str(&format!("source '{}' > '{}' 2>&1\n", commands.display(), out.display()));
        if let Some(expect) = &segment.expect {
            let wanted = dir.path().join(format!("{n}.expect"));
            std::fs::write(&wanted, expect).unwrap();
            script.push_str(&format!(
                "grep -qF -f '{}' '{}' || {{ echo 'segment {n} did not print what the walk-through says'; exit 3; }}\n",
                wanted.display(),
                out.display()
            ));
        }
    }

    let binary = PathBuf::from(env!("CARGO_BIN_EXE_doithoai"));
    let target = binary.parent().and_then(|debug| debug.parent()).unwrap();
    let grpcurl = grpcurl();
    let path = format!(
        "{}:{}:{}",
        binary.parent().unwrap().display(),
        grpcurl.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let addr = |service: &str| stack.running(service).grpc_addr.to_string();
    let mut bash = tokio::process::Command::new("bash");
    bash.arg("-c")
        .arg(&script)
        .current_dir(repo_root())
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target)
        .env("SCHEDULING", addr("scheduling"))
        .env("PARTICIPANTS", addr("participants"))
        .env("MINUTES", addr("minutes"))
        .env("DEADLINES", addr("deadlines"))
        .env_remove("DOITHOAI_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(300), bash.output())
        .await
        .expect("the walk-through finishes within five minutes")
        .unwrap();
    if !output.status.success() {
        // The last segment that ran is the one that failed.
        let failed = (0..segments.len()).rev().find(|n| dir.path().join(format!("{n}.out")).exists()).unwrap_or(0);
        let printed = std::fs::read_to_string(dir.path().join(format!("{failed}.out"))).unwrap_or_default();
        panic!(
            "the walk-through failed at:\n{}\nexpected: {:?}\nit printed:\n{printed}\n{}{}",
            segments[failed].commands,
            segments[failed].expect,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    stack.finish().await;
}
