//! Signing in and out: with the province's identity provider (OpenID
//! Connect, `crate::oidc`) and, locally (with the development key, never in
//! production), on a page to pick a unit and a role. The session is an
//! encrypted cookie holding the token the services verify. Signing out
//! takes the session's anti-forgery token.

use axum::{
    Form,
    extract::Query,
    http::StatusCode,
    response::{IntoResponse, Redirect},
};
use axum_extra::extract::cookie::Cookie;
use doithoai_runtime::Role;
use maud::html;
use serde::Deserialize;

use super::Web;
use crate::{
    i18n::Lang,
    layout,
    problem::{Failed, PageResult, Problem, Refused},
    session::{COOKIE, MaybeViewer, PENDING_COOKIE, Viewer, wall_now},
};

/// The roles a person signs in with (SERVICE is the portal's, not a person's).
const ROLES: [(Role, &str, &str); 7] = [
    (Role::Monitor, "Ban Nội chính, cơ quan kiểm tra, giám sát", "Internal Affairs Committee, inspectors"),
    (Role::Host, "Người đứng đầu (chủ trì)", "Head (host)"),
    (Role::Office, "Văn phòng", "Office"),
    (Role::Front, "Mặt trận Tổ quốc", "Fatherland Front"),
    (Role::Secretary, "Thư ký hội nghị", "Conference secretary"),
    (Role::Agency, "Cơ quan giải quyết", "Answering agency"),
    (Role::Admin, "Quản trị", "Administrator"),
];

#[derive(Deserialize, Default)]
pub struct DevSignIn {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    form: String,
}

#[derive(Deserialize, Default)]
pub struct Ended {
    /// Set when a service refused the session's token (revoked, a key rotated away).
    #[serde(default)]
    ended: Option<String>,
}

/// `GET /signin`.
pub async fn page(
    web: Web,
    lang: Lang,
    MaybeViewer(viewer, jar): MaybeViewer,
    Query(asked): Query<Ended>,
) -> PageResult {
    let development = web.sessions.development();
    let now = wall_now();
    let form = web.sessions.form_token(now);
    // A session cookie that gives no viewer is one that has expired.
    let ended = asked.ended.is_some() || (jar.get(COOKIE).is_some() && viewer.is_none());
    let body = html! {
        h1 { (lang.t("Đăng nhập", "Sign in")) }
        @if ended {
            p.notice role="status" { (lang.t(
                "Phiên đăng nhập của bạn đã kết thúc. Xin đăng nhập lại.",
                "Your session has ended. Please sign in again.",
            )) }
        }
        @if web.oidc.is_some() {
            p { (lang.t("Đăng nhập bằng tài khoản do tỉnh cấp.", "Sign in with the account the province gave you.")) }
            p { a.button.primary href="/signin/provider" { (lang.t("Đăng nhập bằng tài khoản của tỉnh", "Sign in with the province's account")) } }
        }
        @if development {
            p.notice { (lang.t(
                "Môi trường phát triển: chọn đơn vị và vai trò để đăng nhập. Trang này không có trong môi trường chính thức.",
                "Development: choose a unit and a role to sign in. This page does not exist in production.",
            )) }
            form.stack method="post" action="/signin/dev" {
                input type="hidden" name="form" value=(form);
                label for="unit" { (lang.t("Mã đơn vị", "Unit code")) }
                p.hint id="unit-hint" { (lang.t("Ví dụ 33 (tỉnh Hưng Yên), 11953.", "For example 33 (Hưng Yên province), 11953.")) }
                input #unit name="unit" value=(web.settings.root_unit) required aria-describedby="unit-hint";
                label for="role" { (lang.t("Vai trò", "Role")) }
                select #role name="role" {
                    @for (role, vi, en) in ROLES { option value=(role.as_str()) { (lang.t(vi, en)) } }
                }
                label for="subject" { (lang.t("Tên đăng nhập", "Login subject")) }
                input #subject name="subject" value="" placeholder="kiemtra-33" autocomplete="username";
                label for="organization" { (lang.t("Mã cơ quan (vai trò cơ quan)", "Agency id (for the agency role)")) }
                input #organization name="organization" value="";
                button.primary type="submit" { (lang.t("Đăng nhập", "Sign in")) }
            }
        } @else if web.oidc.is_none() {
            p { (lang.t(
                "Chưa cấu hình đăng nhập. Xin liên hệ quản trị hệ thống.",
                "Signing in is not configured. Please contact the administrators.",
            )) }
        }
    };
    let page = layout::page(lang, lang.t("Đăng nhập", "Sign in"), viewer.as_ref(), body);
    if ended {
        return Ok((jar.remove(Cookie::build(COOKIE).path("/")), page).into_response());
    }
    Ok(page.into_response())
}

/// `GET /signin/provider`: off to the identity provider.
pub async fn provider(web: Web, lang: Lang, MaybeViewer(_, jar): MaybeViewer) -> PageResult {
    let oidc = web.oidc.as_ref().ok_or(Failed(Problem::NotFound, lang))?;
    let (url, pending) = oidc.start(wall_now()).await.map_err(|error| {
        tracing::warn!(error = format!("{error:#}"), "cannot start a sign-in");
        Failed(Problem::Unavailable, lang)
    })?;
    Ok((jar.add(web.sessions.pending_cookie(&pending)), Redirect::to(&url)).into_response())
}

#[derive(Deserialize, Default)]
pub struct Callback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: String,
    /// The provider's refusal (`access_denied` when the person declined).
    #[serde(default)]
    error: Option<String>,
}

/// `GET /signin/callback`: back from the identity provider.
pub async fn callback(
    web: Web,
    lang: Lang,
    MaybeViewer(_, jar): MaybeViewer,
    Query(back): Query<Callback>,
) -> PageResult {
    let oidc = web.oidc.as_ref().ok_or(Failed(Problem::NotFound, lang))?;
    let now = wall_now();
    let refused = |message: &str| {
        Failed(
            Problem::Refused(Refused { reason: "SIGN_IN".into(), message: message.into(), fields: Vec::new() }),
            lang,
        )
    };
    // The state ties this answer to the sign-in this browser started: no
    // one else's code can sign it in (login CSRF).
    let pending = web.sessions.pending(&jar, now).filter(|pending| pending.state == back.state).ok_or_else(|| {
        refused(lang.t(
            "Phiên đăng nhập không hợp lệ hoặc đã quá 10 phút. Xin đăng nhập lại.",
            "This sign-in is not valid or took more than 10 minutes. Please sign in again.",
        ))
    })?;
    let jar = jar.remove(Cookie::build(PENDING_COOKIE).path("/signin"));
    let code =
        match (back.code, back.error) {
            (Some(code), None) => code,
            (_, error) => {
                tracing::info!(error = error.as_deref().unwrap_or("no code"), "the provider did not sign in");
                return Err(refused(lang.t(
                    "Nhà cung cấp định danh không xác nhận đăng nhập.",
                    "The identity provider did not sign you in.",
                )));
            }
        };
    let signed_in = oidc.finish(pending, code).await;
    let viewer = match signed_in {
        Ok(signed_in) => web.sessions.provider_sign_in(signed_in, now).await,
        Err(error) => Err(error),
    };
    let viewer = viewer.map_err(|error| {
        tracing::warn!(error = format!("{error:#}"), "a sign-in failed");
        refused(lang.t(
            "Không đăng nhập được: tài khoản chưa được gán đơn vị và vai trò trong hệ thống, hoặc mã xác thực không hợp lệ.",
            "Cannot sign you in: the account has no unit and role here, or its token is not valid.",
        ))
    })?;
    Ok((jar.add(web.sessions.cookie(&viewer)), Redirect::to(&home(&viewer))).into_response())
}

/// Where a person lands once signed in: those who do the work in their
/// workspace, overseers on their unit's dashboard.
fn home(viewer: &Viewer) -> String {
    match viewer {
        v if v.works() => "/work".to_owned(),
        v if v.may_oversee() => format!("/oversight/{}", v.unit),
        _ => "/".to_owned(),
    }
}

/// `POST /signin/dev`.
pub async fn dev(web: Web, lang: Lang, MaybeViewer(_, jar): MaybeViewer, Form(typed): Form<DevSignIn>) -> PageResult {
    if !web.sessions.development() {
        return Err(Failed(Problem::NotFound, lang));
    }
    let now = wall_now();
    let invalid = |message: &str| {
        Failed(
            Problem::Refused(Refused { reason: "SIGN_IN".into(), message: message.into(), fields: Vec::new() }),
            lang,
        )
    };
    // Signed by this web (no sign-in forged from elsewhere); a person signs in as fast as they like.
    if web.sessions.check_form_signature(&typed.form, now).is_err() {
        return Err(invalid(
            lang.t("Biểu mẫu không hợp lệ. Xin tải lại trang.", "The form is not valid. Please reload the page."),
        ));
    }
    let role = Role::parse(&typed.role)
        .filter(|r| *r != Role::Service)
        .ok_or_else(|| invalid(lang.t("Vai trò không hợp lệ.", "Unknown role.")))?;
    let unit = typed.unit.trim();
    let subject = if typed.subject.trim().is_empty() {
        format!("{}-{unit}", role.as_str().to_lowercase())
    } else {
        typed.subject.trim().to_owned()
    };
    let organization = Some(typed.organization.trim()).filter(|o| !o.is_empty());
    let viewer = web
        .sessions
        .dev_sign_in(&subject, unit, role, organization, now)
        .await
        .map_err(|_| invalid(lang.t("Mã đơn vị không hợp lệ.", "Not a unit code.")))?;
    let cookie = web.sessions.cookie(&viewer);
    Ok((jar.add(cookie), Redirect::to(&home(&viewer))).into_response())
}

#[derive(Deserialize, Default)]
pub struct SignOut {
    #[serde(default)]
    csrf: String,
}

/// `POST /signout`.
pub async fn sign_out(lang: Lang, MaybeViewer(viewer, jar): MaybeViewer, Form(form): Form<SignOut>) -> PageResult {
    match viewer {
        Some(viewer) if viewer.csrf == form.csrf => {
            Ok((jar.remove(Cookie::build(COOKIE).path("/")), Redirect::to("/")).into_response())
        }
        Some(_) => Ok((StatusCode::FORBIDDEN, lang.t("Yêu cầu không hợp lệ.", "Invalid request.")).into_response()),
        None => Ok(Redirect::to("/").into_response()),
    }
}
