//! The audit log: who changed which record through which RPC, with a
//! before/after summary, written in the same transaction as the change. The
//! summaries hold ids and states, never citizens' personal data.

use serde_json::Value;

/// One audited record of a change (`crate::change::Change`).
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub rpc: &'static str,
    pub record_type: &'static str,
    pub record_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Entries as the columns of one `UNNEST`, for the statement that stores a
/// change (`Outbox::write`).
pub(crate) struct Columns<'a> {
    pub rpcs: Vec<&'a str>,
    pub record_types: Vec<&'a str>,
    pub record_ids: Vec<&'a str>,
    pub befores: Vec<Option<&'a Value>>,
    pub afters: Vec<Option<&'a Value>>,
}

impl<'a> Columns<'a> {
    pub fn of(entries: &'a [AuditEntry]) -> Self {
        Self::of_all(&entries.iter().collect::<Vec<_>>())
    }

    /// Entries of several changes.
    pub fn of_all(entries: &[&'a AuditEntry]) -> Self {
        Self {
            rpcs: entries.iter().map(|e| e.rpc).collect(),
            record_types: entries.iter().map(|e| e.record_type).collect(),
            record_ids: entries.iter().map(|e| e.record_id.as_str()).collect(),
            befores: entries.iter().map(|e| e.before.as_ref()).collect(),
            afters: entries.iter().map(|e| e.after.as_ref()).collect(),
        }
    }
}

/// The trace id of a `traceparent`, as the audit log keeps it.
pub(crate) fn trace_id(traceparent: Option<&str>) -> Option<&str> {
    traceparent.and_then(|t| t.split('-').nth(1))
}
