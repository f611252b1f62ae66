//! One error type for every service, mapped once to a gRPC status with rich
//! details: google.rpc ErrorInfo (reason = the rule id), LocalizedMessage in
//! `en` and `vi-VN`, and BadRequest field violations. Internal errors are
//! logged and never leak SQL or stack details to the caller.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{BadRequest, ErrorDetail, ErrorInfo, LocalizedMessage, StatusExt};

pub const ERROR_DOMAIN: &str = "doithoai";

pub type ServiceResult<T> = Result<T, ServiceError>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{}", .0.en)]
    Refused(Box<Refusal>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Why a request is refused, as a caller reads it in `ErrorInfo.reason`: a
/// rule of the regulation by its id, or one of a closed set of stable
/// reasons (`docs/access.md` lists who gets which).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A rule of the regulation (`R7.3`), or `LIFECYCLE` for a step its
    /// record's state does not allow.
    Rule(&'static str),
    InvalidArgument,
    InvalidUnitCode,
    InvalidUnits,
    InvalidUnitImport,
    ImportTooLarge,
    InvalidAnnouncement,
    InvalidPageToken,
    DateInTheFuture,
    DateOutOfOrder,
    MessageTooLarge,
    RoleRequired,
    OutOfScope,
    NotYourConference,
    NotYourOrganization,
    /// A head acting for a post they do not hold.
    NotYourPost,
    RootAdminRequired,
    /// A unit that does not exist on the day a step is about (it ended in a
    /// reorganisation, or begins later).
    UnitNotInExistence,
    /// A caller of a unit that ended: it reads its history, changes nothing.
    CallerUnitEnded,
    Unauthenticated,
    NotFound,
    AlreadyExists,
    Constraint,
    Unavailable,
    Internal,
}

/// The reason of steps a record's state does not allow.
pub const LIFECYCLE: &str = "LIFECYCLE";

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Rule(id) => id,
            Reason::InvalidArgument => "INVALID_ARGUMENT",
            Reason::InvalidUnitCode => "INVALID_UNIT_CODE",
            Reason::InvalidUnits => "INVALID_UNITS",
            Reason::InvalidUnitImport => "INVALID_UNIT_IMPORT",
            Reason::ImportTooLarge => "IMPORT_TOO_LARGE",
            Reason::InvalidAnnouncement => "INVALID_ANNOUNCEMENT",
            Reason::InvalidPageToken => "INVALID_PAGE_TOKEN",
            Reason::DateInTheFuture => "DATE_IN_THE_FUTURE",
            Reason::DateOutOfOrder => "DATE_OUT_OF_ORDER",
            Reason::MessageTooLarge => "MESSAGE_TOO_LARGE",
            Reason::RoleRequired => "ROLE_REQUIRED",
            Reason::OutOfScope => "OUT_OF_SCOPE",
            Reason::NotYourConference => "NOT_YOUR_CONFERENCE",
            Reason::NotYourOrganization => "NOT_YOUR_ORGANIZATION",
            Reason::NotYourPost => "NOT_YOUR_POST",
            Reason::RootAdminRequired => "ROOT_ADMIN_REQUIRED",
            Reason::UnitNotInExistence => "UNIT_NOT_IN_EXISTENCE",
            Reason::CallerUnitEnded => "CALLER_UNIT_ENDED",
            Reason::Unauthenticated => "UNAUTHENTICATED",
            Reason::NotFound => "NOT_FOUND",
            Reason::AlreadyExists => "ALREADY_EXISTS",
            Reason::Constraint => "CONSTRAINT",
            Reason::Unavailable => "UNAVAILABLE",
            Reason::Internal => "INTERNAL",
        }
    }
}

/// A refusal the caller can act on: the one type every refusal is, from the
/// pure rules of each service's `domain` up to the status on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub reason: Reason,
    pub en: String,
    pub vi: String,
    pub violations: Vec<(String, String)>,
}

/// What a pure rule answers: the value, or the refusal naming its rule.
pub type Checked<T = ()> = Result<T, Refusal>;

impl Refusal {
    pub fn new(code: Code, reason: Reason, en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self { code, reason, en: en.into(), vi: vi.into(), violations: Vec::new() }
    }

    /// A request that breaks a rule of the regulation; the messages start with its id.
    pub fn rule(rule: &'static str, en: impl AsRef<str>, vi: impl AsRef<str>) -> Self {
        let (en, vi) = (format!("{rule}: {}", en.as_ref()), format!("{rule}: {}", vi.as_ref()));
        Self::new(Code::FailedPrecondition, Reason::Rule(rule), en, vi)
    }

    /// A step that was done already and is done once (`R10.3` receipt, `R2.4` refusal).
    pub fn repeated(rule: &'static str, en: impl AsRef<str>, vi: impl AsRef<str>) -> Self {
        Self { code: Code::AlreadyExists, ..Self::rule(rule, en, vi) }
    }

    /// A step the record's state does not allow.
    pub fn lifecycle(en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self::new(Code::FailedPrecondition, Reason::Rule(LIFECYCLE), en, vi)
    }

    /// Input that cannot be right, naming its field.
    pub fn invalid(field: &str, en: impl Into<String>, vi: impl Into<String>) -> Self {
        let en = en.into();
        Self::new(Code::InvalidArgument, Reason::InvalidArgument, en.clone(), vi).with_violation(field, en)
    }

    /// Somebody who may not: a question of who, never of when.
    pub fn denied(reason: Reason, en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self::new(Code::PermissionDenied, reason, en, vi)
    }

    pub fn not_found(en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self::new(Code::NotFound, Reason::NotFound, en, vi)
    }

    /// Adds a BadRequest field violation.
    pub fn with_violation(mut self, field: impl Into<String>, description: impl Into<String>) -> Self {
        self.violations.push((field.into(), description.into()));
        self
    }

    /// The reason, or `INVALID:<field>` for bad input: what tests compare.
    pub fn id(&self) -> String {
        match (self.reason, self.violations.first()) {
            (Reason::InvalidArgument, Some((field, _))) => format!("INVALID:{field}"),
            (reason, _) => reason.as_str().to_owned(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(Box::new(refusal))
    }
}

impl From<Refusal> for Status {
    fn from(refusal: Refusal) -> Self {
        ServiceError::from(refusal).into()
    }
}

impl ServiceError {
    pub fn new(code: Code, reason: Reason, en: impl Into<String>, vi: impl Into<String>) -> Self {
        Refusal::new(code, reason, en, vi).into()
    }

    pub fn invalid_argument(reason: Reason, en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, reason, en, vi)
    }

    pub fn not_found(en: impl Into<String>, vi: impl Into<String>) -> Self {
        Refusal::not_found(en, vi).into()
    }

    pub fn permission_denied(reason: Reason, en: impl Into<String>, vi: impl Into<String>) -> Self {
        Refusal::denied(reason, en, vi).into()
    }

    pub fn unauthenticated(en: impl Into<String>, vi: impl Into<String>) -> Self {
        Self::new(Code::Unauthenticated, Reason::Unauthenticated, en, vi)
    }

    /// Adds a BadRequest field violation.
    pub fn with_violation(mut self, field: impl Into<String>, description: impl Into<String>) -> Self {
        if let Self::Refused(refusal) = &mut self {
            refusal.violations.push((field.into(), description.into()));
        }
        self
    }

    pub fn code(&self) -> Code {
        match self {
            Self::Refused(refusal) => refusal.code,
            Self::Internal(_) => Code::Internal,
        }
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Status {
        let problem = match error {
            ServiceError::Refused(refusal) => *refusal,
            ServiceError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "internal error");
                Refusal::new(
                    Code::Internal,
                    Reason::Internal,
                    "internal error; it has been logged",
                    "lỗi nội bộ; sự cố đã được ghi lại",
                )
            }
        };
        // A refusal may quote the input; a huge input must not make a status
        // too large for the caller's headers (16 KB by default).
        let (en, vi) = (bounded(problem.en), bounded(problem.vi));
        let mut details = vec![
            ErrorDetail::from(ErrorInfo::new(problem.reason.as_str(), ERROR_DOMAIN, HashMap::<String, String>::new())),
            ErrorDetail::from(LocalizedMessage::new("en", en.clone())),
            ErrorDetail::from(LocalizedMessage::new("vi-VN", vi)),
        ];
        if !problem.violations.is_empty() {
            let mut bad_request = BadRequest::new(Vec::new());
            for (field, description) in problem.violations.into_iter().take(MAX_VIOLATIONS) {
                bad_request.add_violation(bounded(field), bounded(description));
            }
            details.push(ErrorDetail::from(bad_request));
        }
        Status::with_error_details_vec(problem.code, en, details)
    }
}

/// Characters of a message or violation a status carries; more is cut.
const MAX_MESSAGE_CHARS: usize = 300;
/// Violations a status carries (an import names each bad line; a hundred is plenty to act on).
const MAX_VIOLATIONS: usize = 100;

fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    cut.push('…');
    cut
}

/// Constraint violations become statuses the caller understands; anything
/// else is internal.
impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            match db.code().as_deref() {
                Some("23505") => {
                    return Self::new(
                        Code::AlreadyExists,
                        Reason::AlreadyExists,
                        "a record with the same key already exists",
                        "bản ghi với khóa này đã tồn tại",
                    );
                }
                Some("23503") => {
                    return Self::new(
                        Code::NotFound,
                        Reason::NotFound,
                        "a record it refers to does not exist",
                        "bản ghi được tham chiếu không tồn tại",
                    );
                }
                Some("23514" | "23502" | "23P01") => {
                    return Self::new(
                        Code::FailedPrecondition,
                        Reason::Constraint,
                        "the change breaks a consistency rule of the record",
                        "thay đổi vi phạm ràng buộc nhất quán của bản ghi",
                    );
                }
                // The server is shutting down, restarting or not yet accepting
                // connections (classes 57 and 08): a retry will find it back.
                Some(code) if code.starts_with("57P") || code.starts_with("08") => return Self::unavailable(),
                _ => {}
            }
        }
        match error {
            sqlx::Error::RowNotFound => Self::not_found("record not found", "không tìm thấy bản ghi"),
            // The database is away or busy: a caller may retry (with its request id).
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => Self::unavailable(),
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

impl ServiceError {
    fn unavailable() -> Self {
        Self::new(
            Code::Unavailable,
            Reason::Unavailable,
            "the database is busy; try again",
            "cơ sở dữ liệu đang bận; vui lòng thử lại",
        )
    }
}

/// A refusal as a caller reads it: code, message, the rule or reason in
/// brackets, then each field violation on a line of its own.
pub fn describe(status: &Status) -> String {
    let details = status.get_error_details();
    let mut text = format!("{:?}: {}", status.code(), status.message());
    if let Some(info) = details.error_info() {
        text.push_str(&format!(" [{}]", info.reason));
    }
    if let Some(bad_request) = details.bad_request() {
        for violation in &bad_request.field_violations {
            text.push_str(&format!("\n  {}: {}", violation.field, violation.description));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_is_described_with_its_rule_and_fields() {
        let error = Refusal::rule("R7.3", "too late", "quá muộn").with_violation("publication_date", "6 days");
        let status = Status::from(error);
        assert_eq!(describe(&status), "FailedPrecondition: R7.3: too late [R7.3]\n  publication_date: 6 days");
    }

    use super::*;

    #[test]
    fn a_refusal_quoting_a_huge_input_stays_small_enough_for_headers() {
        let huge = "x".repeat(1 << 20);
        let error = ServiceError::invalid_argument(Reason::InvalidUnitCode, format!("bad code {huge}"), huge.clone())
            .with_violation("code", huge);
        let status = Status::from(error);
        assert!(status.message().chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(status.details().len() < 4096, "{} bytes of details", status.details().len());
    }

    #[test]
    fn a_rule_refusal_carries_the_rule_id_and_both_languages() {
        let status =
            Status::from(Refusal::rule("R7.3", "announce at least 7 days ahead", "thông báo trước ít nhất 7 ngày"));
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = status.get_error_details();
        assert_eq!(details.error_info().unwrap().reason, "R7.3");
        let messages: Vec<_> = status
            .get_error_details_vec()
            .into_iter()
            .filter_map(|d| match d {
                ErrorDetail::LocalizedMessage(m) => Some(m.locale),
                _ => None,
            })
            .collect();
        assert_eq!(messages, ["en", "vi-VN"]);
    }

    #[test]
    fn field_violations_become_bad_request_details() {
        let error = ServiceError::invalid_argument(Reason::InvalidUnits, "bad rows", "dòng lỗi")
            .with_violation("rows[line 3].tier", "bad tier");
        let status = Status::from(error);
        let bad_request = status.get_details_bad_request().unwrap();
        assert_eq!(bad_request.field_violations[0].field, "rows[line 3].tier");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let status = Status::from(ServiceError::from(anyhow::anyhow!("relation \"secret_table\" does not exist")));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret_table"));
    }
}
