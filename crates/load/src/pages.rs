//! The web's pages as people load them. Before the load, the workload finds
//! its pages as a visitor would, by following the links from the root unit's
//! page (units below, conferences), and signs in on the development page for
//! the dashboards; the receipt codes of recorded petitions come from the
//! minutes service (a citizen has one on a slip, no page lists them).

use std::collections::BTreeSet;

use anyhow::Context;
use clap::Args;
use doithoai_proto::minutes::v1::{ConferenceRequest, minutes_service_client::MinutesServiceClient};
use doithoai_runtime::{
    Role,
    auth::{TokenSigner, with_bearer},
};

use crate::drive::Workload;

#[derive(Args)]
pub struct PagesArgs {
    /// The web.
    #[arg(long, default_value = "http://127.0.0.1:7080")]
    pub web: String,
    /// The unit whose pages are loaded (the province).
    #[arg(long, default_value = "33")]
    pub unit: String,
    /// The minutes service, for the receipt codes of recorded petitions.
    #[arg(long, default_value = "http://127.0.0.1:7063")]
    pub minutes: String,
    /// The development signing key: the token that reads the receipt codes,
    /// and the development sign-in the dashboards need.
    #[arg(long, default_value = "deploy/local/dev-keys/signing.pem")]
    pub dev_key: std::path::PathBuf,
    /// At most this many pages of each kind.
    #[arg(long, default_value_t = 200)]
    pub per_kind: usize,
}

const KINDS: [&str; 9] =
    ["unit", "conference", "petition", "open311", "figures", "oversight", "agency", "heads", "report"];

pub struct Pages {
    http: reqwest::Client,
    web: String,
    /// For each kind, its paths.
    paths: Vec<Vec<String>>,
    /// The signed-in session's cookie, for the dashboards.
    session: String,
}

/// The paths of the links in a page that start with `prefix`.
fn links(html: &str, prefix: &str) -> Vec<String> {
    let needle = format!("href=\"{prefix}");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + 6..];
            rest.find('"').map(|end| rest[..end].replace("&amp;", "&"))
        })
        .collect()
}

impl Pages {
    pub async fn discover(args: &PagesArgs) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .build()?;
        let web = args.web.trim_end_matches('/').to_owned();
        let get = |path: String| {
            let http = http.clone();
            let url = format!("{web}{path}");
            async move {
                let response = http.get(&url).send().await.with_context(|| format!("GET {url}"))?;
                anyhow::ensure!(response.status().is_success(), "GET {url}: {}", response.status());
                Ok::<_, anyhow::Error>(response.text().await?)
            }
        };
        let root = format!("/units/{}", args.unit);
        let mut units = BTreeSet::from([root.clone()]);
        let mut conferences = BTreeSet::new();
        let mut frontier = vec![root];
        while let Some(unit) = frontier.pop() {
            let html = get(unit).await?;
            conferences.extend(links(&html, "/conferences/").into_iter().filter(|l| l.matches('/').count() == 2));
            for below in links(&html, "/units/") {
                if units.len() < args.per_kind && units.insert(below.clone()) {
                    frontier.push(below);
                }
            }
        }
        let conferences: Vec<String> = conferences.into_iter().take(args.per_kind).collect();

        let key = std::fs::read_to_string(&args.dev_key)
            .with_context(|| format!("cannot read the development key {}", args.dev_key.display()))?;
        let signer = TokenSigner::from_private_pem(&key, "doithoai")?;
        let token = signer.sign("load", &args.unit, &[Role::Monitor], std::time::Duration::from_secs(3600))?;
        let mut minutes = MinutesServiceClient::connect(args.minutes.clone()).await?;
        let mut codes = Vec::new();
        for conference in &conferences {
            let id = conference.trim_start_matches("/conferences/").to_owned();
            let request = with_bearer(ConferenceRequest { conference_id: id }, &token);
            if let Ok(found) = minutes.get_minutes(request).await {
                codes.extend(found.into_inner().petitions.into_iter().map(|p| p.receipt_code));
            }
            if codes.len() >= args.per_kind {
                break;
            }
        }
        codes.truncate(args.per_kind);

        let session = Self::sign_in(&http, &web, &args.unit).await?;
        let oversight = format!("/oversight/{}", args.unit);
        let board = http.get(format!("{web}{oversight}")).header("cookie", &session).send().await?.text().await?;
        let agencies: BTreeSet<String> = links(&board, &format!("{oversight}/agencies/")).into_iter().collect();
        let drill: BTreeSet<String> =
            links(&board, "/oversight/").into_iter().filter(|l| l.matches('/').count() == 2).collect();
        let year = |y: u32| format!("{oversight}/report?from={y}-01-01&to={y}-12-31");

        let paths = vec![
            units.into_iter().collect(),
            conferences,
            codes.iter().map(|c| format!("/petitions/{c}")).collect(),
            codes.iter().map(|c| format!("/open311/v2/requests/{c}.json")).collect(),
            std::iter::once("/figures".to_owned())
                .chain(drill.iter().map(|d| d.replace("/oversight/", "/figures/")))
                .collect(),
            drill.into_iter().collect(),
            agencies.into_iter().take(args.per_kind).collect(),
            vec![format!("{oversight}/heads")],
            vec![year(2024), year(2025), year(2026)],
        ];
        Ok(Self { http, web, paths, session })
    }

    /// Signs in on the development page as the root unit's monitor.
    async fn sign_in(http: &reqwest::Client, web: &str, unit: &str) -> anyhow::Result<String> {
        let page = http.get(format!("{web}/signin")).send().await?.text().await?;
        let marker = "name=\"form\" value=\"";
        let at = page
            .find(marker)
            .context("the sign-in page has no development form (is the web running with the development key?)")?;
        let token = &page[at + marker.len()..];
        let token = &token[..token.find('"').unwrap_or(0)];
        let form = [("unit", unit), ("role", "MONITOR"), ("subject", "load"), ("organization", ""), ("form", token)];
        let response = http.post(format!("{web}/signin/dev")).form(&form).send().await?;
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("doithoai_session="))
            .context("the development sign-in set no session")?;
        Ok(cookie.split(';').next().unwrap_or_default().to_owned())
    }

    pub fn describe(&self) -> String {
        let counts: Vec<String> = KINDS.iter().zip(&self.paths).map(|(k, p)| format!("{k} {}", p.len())).collect();
        format!("pages of {}: {}", self.web, counts.join(", "))
    }
}

impl Workload for Pages {
    fn operations(&self) -> &[&'static str] {
        &KINDS
    }

    async fn send(&self, n: u64) -> Option<(usize, anyhow::Result<()>)> {
        // Every kind an equal share, each kind's pages in turn.
        let present: Vec<usize> = (0..KINDS.len()).filter(|k| !self.paths[*k].is_empty()).collect();
        let kind = present[(n % present.len() as u64) as usize];
        let paths = &self.paths[kind];
        let path = &paths[((n / present.len() as u64) % paths.len() as u64) as usize];
        let url = format!("{}{path}", self.web);
        let result = async {
            let response = self.http.get(&url).header("cookie", &self.session).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            anyhow::ensure!(status.is_success(), "GET {path}: {status}");
            anyhow::ensure!(!body.is_empty(), "GET {path}: an empty page");
            Ok(())
        };
        Some((kind, result.await))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_s_links_are_read_with_their_entities_decoded() {
        let html = r#"<a href="/units/323">Văn Lâm</a> <a href="/conferences/c1">x</a>
            <a href="/oversight/33/report?from=2026-01-01&amp;to=2026-06-30">r</a> <a href="/units/11950?view=calendar">"#;
        assert_eq!(links(html, "/units/"), ["/units/323", "/units/11950?view=calendar"]);
        assert_eq!(links(html, "/oversight/"), ["/oversight/33/report?from=2026-01-01&to=2026-06-30"]);
    }
}
