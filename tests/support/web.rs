//! The web over a test's stack, and the browser that visits it (Debian's
//! chromium driven by `tests/browser/web.mjs`).

use std::path::PathBuf;

use doithoai_runtime::{Settings, testsuite};
use serde_json::Value;

use crate::{Stack, repo_root};

/// The web in front of `stack`'s services, with the development key and
/// whatever `change` adds to its settings.
pub async fn start_web(
    stack: &Stack,
    change: impl FnOnce(Settings) -> anyhow::Result<Settings>,
) -> doithoai_web::RunningWeb {
    let addr = |service: &str| format!("http://{}", stack.running(service).grpc_addr);
    let settings = testsuite::settings("test_web_unused", &stack.nats.url())
        .with("web.scheduling_addr", addr("scheduling"))
        .and_then(|s| s.with("web.participants_addr", addr("participants")))
        .and_then(|s| s.with("web.minutes_addr", addr("minutes")))
        .and_then(|s| s.with("web.deadlines_addr", addr("deadlines")))
        .and_then(|s| s.with("web.dev_signing_key_file", testsuite::dev_key("signing.pem").display().to_string()))
        .and_then(change)
        .unwrap();
    doithoai_web::start(settings, stack.clock.clone()).await.unwrap()
}

/// Where the browser keeps its screenshots and downloads: `target/browser/`.
pub fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from);
    target.join("browser")
}

/// Runs one visit of `tests/browser/web.mjs` and returns what it printed.
pub async fn browser(args: &[&str]) -> Value {
    let script = repo_root().join("tests/browser/web.mjs");
    assert!(
        repo_root().join("tests/browser/node_modules/playwright-core").exists(),
        "the browser tests' packages are missing: deploy/local/test installs them (npm ci in tests/browser)"
    );
    let output = tokio::process::Command::new("node").arg(script).args(args).output().await.expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser's {} visit failed:\n{}\n{stdout}",
        args[0],
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the visit prints JSON")
}
