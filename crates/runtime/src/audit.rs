//! The audit log: who changed which record through which RPC, with a
//! before/after summary, written in the same transaction as the change. The
//! summaries hold ids and states, never citizens' personal data.

use serde_json::Value;
use sqlx::PgConnection;

use crate::auth::Caller;

/// One audited record of a change (`crate::change::Change`).
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub rpc: &'static str,
    pub record_type: &'static str,
    pub record_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub(crate) async fn record(conn: &mut PgConnection, caller: &Caller, entries: &[AuditEntry]) -> sqlx::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let trace_id = crate::telemetry::current_traceparent().and_then(|t| t.split('-').nth(1).map(str::to_owned));
    let rpcs: Vec<&str> = entries.iter().map(|e| e.rpc).collect();
    let types: Vec<&str> = entries.iter().map(|e| e.record_type).collect();
    let ids: Vec<&str> = entries.iter().map(|e| e.record_id.as_str()).collect();
    let befores: Vec<Option<&Value>> = entries.iter().map(|e| e.before.as_ref()).collect();
    let afters: Vec<Option<&Value>> = entries.iter().map(|e| e.after.as_ref()).collect();
    sqlx::query(
        "INSERT INTO audit_log (actor, rpc, record_type, record_id, before, after, trace_id)
         SELECT $1, a.rpc, a.record_type, a.record_id, a.before, a.after, $7
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])
              AS a(rpc, record_type, record_id, before, after)",
    )
    .bind(&caller.subject)
    .bind(&rpcs)
    .bind(&types)
    .bind(&ids)
    .bind(&befores)
    .bind(&afters)
    .bind(trace_id)
    .execute(conn)
    .await?;
    Ok(())
}
