//! Signing in with the province's identity provider: npm's oidc-provider,
//! started by the test on a loopback port, with the accounts' unit and roles
//! under its own claim names (mapped by settings, not code). An inspector
//! signs in through the web (authorization code with PKCE) and sees the
//! province's dashboard, read from the services with the provider's access
//! token. The provider rotates its keys (RS256, then ES256, then EdDSA):
//! new tokens are trusted at once, a session signed with a withdrawn key
//! ends; a session whose token expired ends; an account the mapping gives no
//! unit cannot sign in.
#![allow(clippy::unwrap_used)]

use std::{path::Path, process::Stdio, time::Duration};

use doithoai_tests::{
    scheduling::District,
    web::{artifacts, browser, start_web},
    *,
};
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// The provider's process, restarted with another key set to rotate.
struct IdentityProvider {
    port: u16,
    redirect: String,
    keys: tempfile::TempDir,
    process: Option<Child>,
}

impl IdentityProvider {
    fn new(port: u16, redirect: String) -> Self {
        Self { port, redirect, keys: tempfile::tempdir().unwrap(), process: None }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// (Re)starts it with `keys` (`kid:alg`, the signing key first) and
    /// tokens lasting `seconds`.
    async fn start(&mut self, keys: &str, seconds: u64) {
        self.stop().await;
        let script = repo_root().join("tests/browser/provider.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .args([&self.port.to_string(), &self.redirect, &self.keys.path().display().to_string(), keys])
            .arg(seconds.to_string())
            .current_dir(repo_root().join("tests/browser"))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the provider");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.starts_with("provider ready") {
                    return true;
                }
            }
            false
        });
        assert!(ready.await.unwrap_or(false), "the identity provider did not start");
        self.process = Some(child);
    }

    async fn stop(&mut self) {
        if let Some(mut child) = self.process.take() {
            child.kill().await.unwrap();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The province's provider as `auth.oidc` names it to every service and the web.
fn trusting(settings: &doithoai_runtime::Settings, issuer: &str) -> anyhow::Result<doithoai_runtime::Settings> {
    settings.with(
        "auth.oidc",
        json!({
            "issuer": issuer,
            "claims": {
                "unit": "province_unit",
                "roles": "groups",
                "role_values": { "noi-chinh": "MONITOR", "van-phong": "OFFICE" }
            }
        }),
    )
}

async fn sign_in(base: &str, state: &Path, login: &str, out: &str) -> serde_json::Value {
    browser(&["provider-signin", base, state.to_str().unwrap(), login, out]).await
}

async fn visit(base: &str, state: &Path, path: &str, out: &str) -> serde_json::Value {
    browser(&["visit", base, state.to_str().unwrap(), path, out]).await
}

#[tokio::test]
async fn an_inspector_signs_in_with_the_province_s_provider_through_key_rotations_and_an_expired_session() {
    let (web_port, provider_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{web_port}");
    let mut provider = IdentityProvider::new(provider_port, format!("{base}/signin/callback"));
    let issuer = provider.issuer();
    let stack = Stack::start_with(|settings| trusting(settings, &issuer)).await;
    District::set_up(&stack).await;
    let web = start_web(&stack, |settings| {
        trusting(&settings, &issuer)?.with("public_addr", format!("127.0.0.1:{web_port}"))?.with(
            "web.oidc",
            json!({
                "client_id": "doithoai-web",
                "client_secret": "web-secret-for-tests",
                "redirect_url": format!("{base}/signin/callback"),
                "scopes": ["openid", "doithoai"]
            }),
        )
    })
    .await;
    let out = artifacts().join("signin");
    let out = out.to_str().unwrap();
    let sessions = tempfile::tempdir().unwrap();
    let [first, second, third, guest] = ["first", "second", "third", "guest"].map(|n| sessions.path().join(n));

    // January's key (RS256). The inspector lands on the province's dashboard:
    // read from the deadlines service with the provider's access token.
    provider.start("2026-01:RS256", 600).await;
    let signed_in = sign_in(&base, &first, "kiemtra-33", out).await;
    assert!(signed_in["url"].as_str().unwrap().ends_with("/oversight/33"), "{signed_in}");
    assert!(signed_in["heading"].as_str().unwrap().contains("Giám sát"), "{signed_in}");
    assert!(signed_in["page"].as_str().unwrap().contains("kiemtra-33"), "the page names who signed in: {signed_in}");

    // July: the provider signs with a new key (ES256) and still publishes
    // January's. A new session is trusted at once; the first one still is.
    provider.start("2026-07:ES256,2026-01:RS256", 600).await;
    let again = sign_in(&base, &second, "kiemtra-33", out).await;
    assert!(again["url"].as_str().unwrap().ends_with("/oversight/33"), "{again}");
    let still = visit(&base, &first, "/oversight/33", out).await;
    assert!(still["url"].as_str().unwrap().ends_with("/oversight/33"), "{still}");

    // December: an EdDSA key alone; both earlier keys are withdrawn, and its
    // tokens last 8 seconds.
    provider.start("2026-12:EdDSA", 8).await;
    let third_in = sign_in(&base, &third, "kiemtra-33", out).await;
    assert!(third_in["url"].as_str().unwrap().ends_with("/oversight/33"), "{third_in}");
    let ended = eventually(WAIT, "the services refuse the withdrawn key's session", || {
        let (base, first, out) = (base.clone(), first.clone(), out.to_owned());
        async move {
            let seen = visit(&base, &first, "/oversight/33", &out).await;
            seen["url"].as_str().unwrap().contains("/signin").then_some(seen)
        }
    })
    .await;
    assert!(ended["text"].as_str().unwrap().contains("Phiên đăng nhập của bạn đã kết thúc"), "{ended}");

    // The December session outlives its token: it ends, and says so.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let expired = visit(&base, &third, "/oversight/33", out).await;
    assert!(expired["url"].as_str().unwrap().contains("/signin"), "{expired}");
    assert!(expired["text"].as_str().unwrap().contains("Phiên đăng nhập của bạn đã kết thúc"), "{expired}");

    // An account the mapping gives no unit: refused, with the reason.
    let refused = sign_in(&base, &guest, "khach", out).await;
    assert!(!refused["url"].as_str().unwrap().contains("/oversight"), "{refused}");
    assert!(refused["text"].as_str().unwrap().contains("chưa được gán đơn vị"), "{refused}");

    provider.stop().await;
    web.stop().await.unwrap();
    stack.finish().await;
}
