//! AIP-155 request ids. A caller whose create timed out or saw UNAVAILABLE
//! cannot know whether it was committed; it sends the request again with the
//! same `request_id`, and gets the first result back with nothing changed
//! twice. The same id with a different request is INVALID_ARGUMENT.
//!
//! A handler runs its change inside [`Once::run`] and ends it with
//! `Outbox::commit`, whose one statement takes the id and keeps the result
//! with the change: a request id costs a write no round trip of its own.
//! A retry does the change again until that statement, which waits for a
//! first request still in flight; finding the id kept, the retry rolls back
//! and answers the first result. A retry refused by what the first request
//! did (the minutes it recorded on since signed, the report it filed) is
//! answered the first result too, by `run`.

use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::{
    auth::Caller,
    error::{Refusal, ServiceError, ServiceResult},
};

/// Longer than a UUID in any notation; AIP-155 recommends a UUID.
pub const MAX_REQUEST_ID_LENGTH: usize = 128;

/// One request that must happen at most once; a no-op without a request id.
pub struct Once {
    key: Option<Key>,
}

struct Key {
    subject: String,
    rpc: &'static str,
    request_id: String,
    digest: Vec<u8>,
}

impl Once {
    /// A change that is not a create (an update): nothing to remember.
    pub fn none() -> Self {
        Self { key: None }
    }

    pub fn new<M: Message>(caller: &Caller, rpc: &'static str, request_id: &str, request: &M) -> ServiceResult<Self> {
        if request_id.is_empty() {
            return Ok(Self { key: None });
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if request_id.len() > MAX_REQUEST_ID_LENGTH || !request_id.chars().all(allowed) {
            return Err(Refusal::invalid(
                "request_id",
                format!("request_id is up to {MAX_REQUEST_ID_LENGTH} letters, digits and - _ . : (a UUID, say)"),
                format!("request_id tối đa {MAX_REQUEST_ID_LENGTH} ký tự chữ, số và - _ . :"),
            )
            .into());
        }
        let digest = Sha256::digest(request.encode_to_vec()).to_vec();
        let key = Key { subject: caller.subject.clone(), rpc, request_id: request_id.to_owned(), digest };
        Ok(Self { key: Some(key) })
    }

    /// Runs a change at most once (`Outbox::commit` keeps the id with it). A
    /// retry refused by what its first request did, before it got as far as
    /// that, answers the first request's result.
    pub async fn run<R: Message + Default>(
        &self,
        pool: &PgPool,
        change: impl Future<Output = ServiceResult<R>>,
    ) -> ServiceResult<R> {
        match change.await {
            Err(ServiceError::Refused(refusal)) if self.key.is_some() => {
                // Rolled back when dropped: a refused request keeps no id.
                let mut tx = pool.begin().await?;
                match self.replay(&mut tx).await? {
                    Some(first) => Ok(first),
                    None => Err(ServiceError::Refused(refusal)),
                }
            }
            result => result,
        }
    }

    /// The result of the first request with this id, if there was one;
    /// otherwise the id is taken, without a result, until the transaction
    /// ends (it is rolled back: only `Outbox::commit` keeps an id). Waits
    /// for a first request still in flight to commit or roll back.
    pub(crate) async fn replay<R: Message + Default>(&self, conn: &mut PgConnection) -> ServiceResult<Option<R>> {
        let Some(key) = &self.key else { return Ok(None) };
        let taken = sqlx::query(
            "INSERT INTO request_ids (subject, rpc, request_id, request_digest, response) VALUES ($1, $2, $3, $4, NULL)
             ON CONFLICT DO NOTHING",
        )
        .bind(&key.subject)
        .bind(key.rpc)
        .bind(&key.request_id)
        .bind(&key.digest)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if taken {
            return Ok(None);
        }
        let stored: Option<(Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT request_digest, response FROM request_ids WHERE subject = $1 AND rpc = $2 AND request_id = $3",
        )
        .bind(&key.subject)
        .bind(key.rpc)
        .bind(&key.request_id)
        .fetch_optional(&mut *conn)
        .await?;
        match stored {
            // Pruned between the two statements: a retry weeks late.
            None => Err(ServiceError::Internal(anyhow::anyhow!("request id {} taken and gone", key.request_id))),
            Some((digest, _)) if digest != key.digest => Err(Refusal::invalid(
                "request_id",
                "request_id was already used for a different request",
                "request_id đã được dùng cho một yêu cầu khác",
            )
            .into()),
            Some((_, None)) => Err(ServiceError::Internal(anyhow::anyhow!(
                "request id {} committed without its result",
                key.request_id
            ))),
            Some((_, Some(response))) => R::decode(response.as_slice())
                .map(Some)
                .map_err(|e| ServiceError::Internal(anyhow::anyhow!("stored result of a request undecodable: {e}"))),
        }
    }

    /// The result to keep for a retry, for the statement that stores the
    /// change it reports.
    pub(crate) fn keep<R: Message>(&self, response: &R) -> Option<Kept<'_>> {
        self.key.as_ref().map(|key| Kept {
            subject: &key.subject,
            rpc: key.rpc,
            request_id: &key.request_id,
            digest: &key.digest,
            response: response.encode_to_vec(),
        })
    }
}

/// A request's result, kept under its id.
pub(crate) struct Kept<'a> {
    pub subject: &'a str,
    pub rpc: &'a str,
    pub request_id: &'a str,
    pub digest: &'a [u8],
    pub response: Vec<u8>,
}

/// A new request id for a caller to send with a create (a UUIDv7).
pub fn request_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// How often a client sends a request again while the service is unavailable.
pub const RETRIES: u32 = 5;

/// Whether a request may be sent again with its request id: the service
/// answered UNAVAILABLE, or the connection failed before any answer came.
/// tonic reports the latter with the transport's error as the source and
/// whichever code it guesses (UNKNOWN "transport error" for a broken pipe,
/// CANCELLED for a request the dying connection never sent). The request may
/// have been committed; its request id makes the retry safe.
pub fn worth_retrying(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::Unavailable
        || std::error::Error::source(status).is_some_and(|source| source.is::<tonic::transport::Error>())
}

/// Sends a request, and sends it again (the same request, with its request
/// id) while it is [worth retrying](worth_retrying): the service restarted,
/// or the answer was lost after the commit. Waits 0.2 s, then twice as long
/// each time.
pub async fn retrying<T, F, Fut>(mut send: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    let mut wait = std::time::Duration::from_millis(200);
    for _ in 0..RETRIES {
        match send().await {
            Err(status) if worth_retrying(&status) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            answer => return answer,
        }
    }
    send().await
}

#[cfg(test)]
mod tests {
    use super::worth_retrying;

    #[test]
    fn only_an_unavailable_service_or_a_broken_connection_is_worth_retrying() {
        assert!(worth_retrying(&tonic::Status::unavailable("restarting")));
        // An UNKNOWN the service itself answered is not a lost connection.
        assert!(!worth_retrying(&tonic::Status::unknown("transport error")));
        assert!(!worth_retrying(&tonic::Status::failed_precondition("R7.3")));
        assert!(!worth_retrying(&tonic::Status::internal("a bug")));
    }
}
