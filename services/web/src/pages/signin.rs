//! Signing in and out. Locally (with the development key, never in
//! production) a page to pick a unit and a role; the session is an
//! encrypted cookie holding the token the services verify. Signing out
//! takes the session's anti-forgery token.

use axum::{
    Form,
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
    session::{COOKIE, MaybeViewer},
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

/// `GET /signin`.
pub async fn page(web: Web, lang: Lang, MaybeViewer(viewer, _): MaybeViewer) -> PageResult {
    let development = web.sessions.development();
    let form = web.sessions.form_token(crate::session::wall_now());
    let body = html! {
        h1 { (lang.t("Đăng nhập", "Sign in")) }
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
        } @else {
            p { (lang.t("Đăng nhập bằng tài khoản do tỉnh cấp.", "Sign in with the account the province gave you.")) }
        }
    };
    Ok(layout::page(lang, lang.t("Đăng nhập", "Sign in"), viewer.as_ref(), body).into_response())
}

/// `POST /signin/dev`.
pub async fn dev(web: Web, lang: Lang, MaybeViewer(_, jar): MaybeViewer, Form(typed): Form<DevSignIn>) -> PageResult {
    if !web.sessions.development() {
        return Err(Failed(Problem::NotFound, lang));
    }
    let now = crate::session::wall_now();
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
        .map_err(|_| invalid(lang.t("Mã đơn vị không hợp lệ.", "Not a unit code.")))?;
    let home = if viewer.may_oversee() { format!("/oversight/{}", viewer.unit) } else { "/".to_owned() };
    let cookie = web.sessions.cookie(&viewer);
    Ok((jar.add(cookie), Redirect::to(&home)).into_response())
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
