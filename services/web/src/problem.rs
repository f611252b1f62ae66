//! What a page shows when it cannot show what was asked: the services'
//! refusals, in the page's language, with their rule; a service that is
//! down; a client over its rate.

use std::time::Duration;

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::html;
use tonic::{Code, Status};
use tonic_types::{ErrorDetail, StatusExt};

use crate::{i18n::Lang, layout};

/// A refusal of the services, as a form shows it next to its fields.
#[derive(Debug, Clone, Default)]
pub struct Refused {
    /// The rule id or stable reason (`R7.3`, `OUT_OF_SCOPE`).
    pub reason: String,
    pub message: String,
    /// (field, why), for the fields the request named.
    pub fields: Vec<(String, String)>,
}

impl Refused {
    pub fn of(status: &Status, lang: Lang) -> Self {
        let mut refused = Refused { message: status.message().to_owned(), ..Default::default() };
        let wanted = lang.t("vi-VN", "en");
        for detail in status.get_error_details_vec() {
            match detail {
                ErrorDetail::ErrorInfo(info) => refused.reason = info.reason,
                ErrorDetail::LocalizedMessage(m) if m.locale == wanted => refused.message = m.message,
                ErrorDetail::BadRequest(bad) => {
                    refused.fields = bad.field_violations.into_iter().map(|v| (v.field, v.description)).collect();
                }
                _ => {}
            }
        }
        refused
    }

    /// The message for a field of the form, if the refusal names it.
    /// The services name nested fields by their path (`person.full_name`).
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == field || f.rsplit('.').next() == Some(field)).map(|(_, why)| why.as_str())
    }
}

/// A page that could not be shown.
#[derive(Debug)]
pub enum Problem {
    NotFound,
    /// The signed-in person may not see this.
    Denied(Refused),
    SignInNeeded,
    /// A service refused the session's token (it expired, or the provider's
    /// key rotated away): sign in again.
    SessionEnded,
    Unavailable,
    /// Over the client's rate; try again after this long.
    TooMany(Duration),
    Refused(Refused),
}

/// A page that failed, and the language to say so in.
#[derive(Debug)]
pub struct Failed(pub Problem, pub Lang);

pub type PageResult<T = Response> = Result<T, Failed>;

impl IntoResponse for Failed {
    fn into_response(self) -> Response {
        render(self)
    }
}

pub trait OrProblem<T> {
    /// A service's answer, or the page that says why there is none.
    fn or_problem(self, lang: Lang) -> PageResult<T>;
}

impl<T> OrProblem<T> for Result<tonic::Response<T>, Status> {
    fn or_problem(self, lang: Lang) -> PageResult<T> {
        self.map(tonic::Response::into_inner).map_err(|status| Failed(Problem::from_status(&status, lang), lang))
    }
}

impl Problem {
    pub fn from_status(status: &Status, lang: Lang) -> Self {
        match status.code() {
            Code::NotFound => Problem::NotFound,
            Code::PermissionDenied => Problem::Denied(Refused::of(status, lang)),
            Code::Unauthenticated => Problem::SessionEnded,
            Code::InvalidArgument | Code::FailedPrecondition | Code::AlreadyExists | Code::OutOfRange => {
                Problem::Refused(Refused::of(status, lang))
            }
            _ => {
                tracing::warn!(code = ?status.code(), message = status.message(), "a service failed a page");
                Problem::Unavailable
            }
        }
    }
}

fn render(Failed(problem, lang): Failed) -> Response {
    let (status, title, text) = match &problem {
        Problem::SignInNeeded => return Redirect::to("/signin").into_response(),
        Problem::SessionEnded => return Redirect::to("/signin?ended=1").into_response(),
        Problem::NotFound => (
            StatusCode::NOT_FOUND,
            lang.t("Không tìm thấy", "Not found"),
            lang.t("Trang hoặc mục bạn tìm không có.", "The page or record you asked for does not exist.").to_owned(),
        ),
        Problem::Denied(refused) => (
            StatusCode::FORBIDDEN,
            lang.t("Không có quyền", "Not allowed"),
            format!("{} ({})", refused.message, refused.reason),
        ),
        Problem::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            lang.t("Tạm thời không phục vụ được", "Temporarily unavailable"),
            lang.t(
                "Hệ thống đang bận hoặc đang bảo trì. Xin vui lòng thử lại sau ít phút.",
                "The system is busy or being maintained. Please try again in a few minutes.",
            )
            .to_owned(),
        ),
        Problem::TooMany(_) => (
            StatusCode::TOO_MANY_REQUESTS,
            lang.t("Quá nhiều yêu cầu", "Too many requests"),
            lang.t(
                "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Xin vui lòng thử lại sau ít phút.",
                "You sent too many requests in a short time. Please try again in a few minutes.",
            )
            .to_owned(),
        ),
        Problem::Refused(refused) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("Không thực hiện được", "Refused"),
            format!("{} ({})", refused.message, refused.reason),
        ),
    };
    let page = layout::page(
        lang,
        title,
        None,
        html! {
            h1 { (title) }
            p role="alert" { (text) }
            p { a href="/" { (lang.t("Về trang chủ", "Back to the home page")) } }
        },
    );
    let mut response = (status, page).into_response();
    if let Problem::TooMany(wait) = problem {
        let seconds = wait.as_secs().max(1).to_string();
        if let Ok(value) = seconds.parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}
