//! A change a caller made, as one value: the audit log's entries for it and
//! the events that tell the other services. `Outbox::write` stores both in
//! the business transaction, so neither exists without the other.

use serde_json::Value;

use crate::{audit::AuditEntry, events::Event};

#[derive(Debug, Default)]
pub struct Change {
    pub(crate) audit: Vec<AuditEntry>,
    pub(crate) events: Vec<Event>,
}

impl Change {
    /// A change to one record through one RPC; `before` and `after`
    /// summarise it with ids and states, never personal data.
    pub fn of(rpc: &'static str, record_type: &'static str, record_id: impl ToString) -> Self {
        let entry = AuditEntry { rpc, record_type, record_id: record_id.to_string(), before: None, after: None };
        Self { audit: vec![entry], events: Vec::new() }
    }

    /// The summary of the record before the change (none for a new record).
    pub fn before(mut self, summary: Value) -> Self {
        if let Some(entry) = self.audit.last_mut() {
            entry.before = Some(summary);
        }
        self
    }

    pub fn after(mut self, summary: Value) -> Self {
        if let Some(entry) = self.audit.last_mut() {
            entry.after = Some(summary);
        }
        self
    }

    /// Another audited record of the same change (an import's units).
    pub fn and(mut self, entry: AuditEntry) -> Self {
        self.audit.push(entry);
        self
    }

    pub fn event(mut self, event: Event) -> Self {
        self.events.push(event);
        self
    }

    pub fn events(mut self, events: impl IntoIterator<Item = Event>) -> Self {
        self.events.extend(events);
        self
    }
}
