//! The routes, and what the pages share: the portal's reads of conferences
//! and units, the client's address for the rate limits.

mod conferences;
mod figures;
mod oversight;
mod petitions;
mod register;
mod signin;
mod work;

use std::net::{IpAddr, SocketAddr};

use axum::{
    Router,
    extract::{ConnectInfo, Path, State as Extract},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use chrono::Datelike;
use doithoai_proto::{
    common::v1::Unit,
    scheduling::v1::{Conference, ConferenceState, ListConferencesRequest},
};

use doithoai_runtime::pagination::every_page;

use crate::{
    State,
    backends::ask,
    i18n::Lang,
    layout,
    problem::{Failed, OrProblem, PageResult, Problem},
};

pub fn router(state: State) -> Router {
    Router::new()
        .route("/", get(conferences::home))
        .route("/units/{code}", get(conferences::unit))
        .route("/conferences/{id}", get(conferences::conference))
        .route("/conferences/{id}/calendar.ics", get(conferences::ical))
        .route("/conferences/{id}/minutes.pdf", get(conferences::minutes_pdf))
        .route("/conferences/{id}/notice.pdf", get(conferences::notice_pdf))
        .route("/conferences/{id}/register", get(register::form).post(register::submit))
        .route("/petitions", get(petitions::lookup))
        .route("/petitions/{code}", get(petitions::status))
        .route("/open311/v2/requests/{file}", get(petitions::open311))
        .route("/figures", get(figures::root))
        .route("/figures/{code}", get(figures::unit))
        .route("/signin", get(signin::page))
        .route("/signin/dev", post(signin::dev))
        .route("/signin/provider", get(signin::provider))
        .route("/signin/callback", get(signin::callback))
        .route("/signout", post(signin::sign_out))
        .route("/oversight/{code}", get(oversight::compliance))
        .route("/oversight/{code}/agencies/{organization}", get(oversight::agency))
        .route("/oversight/{code}/heads", get(oversight::heads))
        .route("/oversight/{code}/report", get(oversight::report))
        .route("/oversight/{code}/report.{format}", get(oversight::report_file))
        .route("/lang/{tag}", get(language))
        .route("/assets/style.css", get(style))
        .route("/assets/work.js", get(script))
        .merge(work::routes())
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_found)
        .with_state(state)
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        layout::STYLE,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        layout::SCRIPT,
    )
        .into_response()
}

async fn not_found(lang: Lang) -> Failed {
    Failed(Problem::NotFound, lang)
}

/// The language switch: remembered in a cookie, back to the page it was on.
async fn language(Path(tag): Path<String>, headers: HeaderMap, jar: CookieJar) -> Response {
    let tag = if tag == "en" { "en" } else { "vi" };
    let mut cookie = Cookie::new("lang", tag);
    cookie.set_path("/");
    cookie.make_permanent();
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_owned())))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    (jar.add(cookie), Redirect::to(&back)).into_response()
}

/// The client's address, for the rate limits. Behind the province's Ingress
/// the connection comes from the proxy, which appends the client's address
/// to `X-Forwarded-For`: its last entry is the one the proxy saw.
pub fn client(headers: &HeaderMap, connected: SocketAddr, behind_proxy: bool) -> IpAddr {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse().ok());
    match forwarded {
        Some(ip) if behind_proxy => ip,
        _ => connected.ip(),
    }
}

pub type Connected = ConnectInfo<SocketAddr>;
pub type Web = Extract<State>;

/// What the public may see of a conference: announced, under way, held, or
/// called off after it was announced. Drafts never.
pub fn public(conference: &Conference) -> bool {
    match ConferenceState::try_from(conference.state).unwrap_or_default() {
        ConferenceState::Announced | ConferenceState::InProgress | ConferenceState::Ended => true,
        ConferenceState::Cancelled | ConferenceState::Postponed => conference.notice.is_some(),
        _ => false,
    }
}

/// Every public conference of a unit's subtree (and of the units it
/// succeeded) starting in `year`, by start.
pub async fn conferences_of(web: &State, lang: Lang, unit: &str, year: i32) -> PageResult<Vec<Conference>> {
    let token = web.sessions.portal_token();
    let mut all = every_page(usize::MAX, |page| {
        let request = ListConferencesRequest { unit_code: unit.to_owned(), year, state: 0, page, inherited: true };
        let (web, token) = (web, &token);
        async move {
            let answer = web.backends.conferences().list_conferences(ask(request, token)).await.or_problem(lang)?;
            Ok((answer.conferences.into_iter().filter(public).collect(), answer.page))
        }
    })
    .await?;
    all.sort_by_key(|c| c.starts_at.as_ref().map(|t| (t.seconds, t.nanos)));
    Ok(all)
}

/// A unit of the province by code, or the page's NOT_FOUND.
pub async fn unit_named(web: &State, lang: Lang, code: &str) -> PageResult<Unit> {
    let token = web.sessions.portal_token();
    web.directory
        .unit(&web.backends, &token, &web.settings.root_unit, code)
        .await
        .ok_or(Failed(Problem::NotFound, lang))
}

pub fn this_year(web: &State) -> i32 {
    doithoai_runtime::time::local_date(web.clock.now()).year()
}

/// 404 for ids that cannot be ids, before asking any service.
pub fn plausible_id(id: &str, lang: Lang) -> PageResult<()> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| Failed(Problem::NotFound, lang))
}

pub fn pdf(file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = format!("inline; filename=\"{}\"", file_name.replace('"', ""));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response()
}
