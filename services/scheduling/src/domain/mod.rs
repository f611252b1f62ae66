//! The scheduling rules as pure functions: who may host (R2), where and
//! what (R4.2, R5.1), the notice (R7.3), the duration and the secretary
//! (R8.1), the lifecycle, and the yearly periodic dialogue (R6.2, R6.3).
//! Each refusal names its rule.

pub mod conference;
pub mod posts;
pub mod report;

use doithoai_runtime::{Reason, ServiceError};

/// Why a request is refused: a rule of the regulation (FAILED_PRECONDITION),
/// or input that cannot be right (INVALID_ARGUMENT on a field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Rule { rule: &'static str, en: String, vi: String },
    Invalid { field: &'static str, en: String, vi: String },
}

impl Refusal {
    pub fn rule(rule: &'static str, en: impl Into<String>, vi: impl Into<String>) -> Self {
        Refusal::Rule { rule, en: en.into(), vi: vi.into() }
    }

    pub fn invalid(field: &'static str, en: impl Into<String>, vi: impl Into<String>) -> Self {
        Refusal::Invalid { field, en: en.into(), vi: vi.into() }
    }

    /// The rule id or `INVALID:<field>`, for tests.
    pub fn id(&self) -> String {
        match self {
            Refusal::Rule { rule, .. } => (*rule).to_owned(),
            Refusal::Invalid { field, .. } => format!("INVALID:{field}"),
        }
    }
}

impl From<Refusal> for ServiceError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Rule { rule, en, vi } => {
                ServiceError::rule(rule, format!("{rule}: {en}"), format!("{rule}: {vi}"))
            }
            Refusal::Invalid { field, en, vi } => {
                ServiceError::invalid_argument(Reason::InvalidArgument, en.clone(), vi).with_violation(field, en)
            }
        }
    }
}

impl From<Refusal> for tonic::Status {
    fn from(refusal: Refusal) -> Self {
        ServiceError::from(refusal).into()
    }
}

pub type Checked<T = ()> = Result<T, Refusal>;
