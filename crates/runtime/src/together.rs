//! Group commit: requests of one kind that arrive together are written
//! together, in one transaction. A write's cost is its round trips and its
//! commit, not its rows (`deploy/local/measure-write-shapes`): petitions
//! written eight to a transaction go at twice the rate PostgreSQL takes a
//! one-row insert and its event one to a transaction.
//!
//! No request waits for others to come: a writer takes whatever has queued
//! while the writers were busy, and at once if nothing has. A request alone
//! is written as it always was ([`Group::alone`]), and so is each request
//! that cannot go with the others (a refusal, a retry), and every request of
//! a group whose transaction failed before its commit.

use std::{future::Future, sync::Arc};

use futures::future::join_all;
use prost::Message;
use tokio::sync::{Mutex, mpsc, oneshot};
use tracing::Instrument;

use crate::{
    error::{ServiceError, ServiceResult},
    outbox::{Entry, Outbox},
    telemetry,
};

/// A kind of request written together.
pub trait Group: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Reply: Send + 'static;

    /// One request in a transaction of its own.
    fn alone(&self, item: &Self::Item) -> impl Future<Output = ServiceResult<Self::Reply>> + Send;

    /// Several in one transaction, each checked as if alone. An error is
    /// one before the commit: nothing was written, and each is done alone.
    fn together(&self, group: &[Queued<Self::Item>]) -> impl Future<Output = ServiceResult<Ended<Self::Reply>>> + Send;
}

/// A request waiting to be written, with the span of the RPC that sent it
/// (for its events' and audit entries' trace, and its logs).
pub struct Queued<I> {
    pub item: I,
    pub span: tracing::Span,
}

impl<I> Queued<I> {
    /// The trace of the RPC that sent it, for its change's events and audit entries.
    pub fn traceparent(&self) -> Option<String> {
        self.span.in_scope(telemetry::current_traceparent)
    }
}

/// How a group's transaction ended.
pub enum Ended<R> {
    /// Committed: the answers of those written (by their place in the
    /// group), and the places of those to be done alone.
    Written { answers: Vec<(usize, R)>, alone: Vec<usize> },
    /// The commit itself failed: the group may have been written, so each is
    /// answered the failure, and a retry with its request id finds out.
    CommitFailed(sqlx::Error),
}

impl<R: Message> Ended<R> {
    /// Ends a group's transaction: writes the changes of those that may go
    /// together, each by its place in the group, in one statement
    /// (`Outbox::write_all`), and commits. Should one of them not go with
    /// the others, rolls back, and leaves every one to be done alone.
    pub async fn write(
        outbox: &Outbox,
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
        written: Vec<(usize, Entry<'_, R>)>,
        mut alone: Vec<usize>,
    ) -> ServiceResult<Self> {
        let (places, entries): (Vec<usize>, Vec<Entry<'_, R>>) = written.into_iter().unzip();
        if !outbox.write_all(&mut tx, &entries).await? {
            alone.extend(places);
            return Ok(Self::Written { answers: Vec::new(), alone });
        }
        let answers = places.into_iter().zip(entries.into_iter().map(|entry| entry.result)).collect();
        Ok(match tx.commit().await {
            Ok(()) => Self::Written { answers, alone },
            Err(error) => Self::CommitFailed(error),
        })
    }
}

struct Job<I, R> {
    queued: Queued<I>,
    reply: oneshot::Sender<ServiceResult<R>>,
}

/// Where the requests of one kind are queued for their writers.
pub struct Together<I, R> {
    sender: mpsc::Sender<Job<I, R>>,
}

impl<I: Send + Sync + 'static, R: Send + 'static> Together<I, R> {
    /// Starts `writers` tasks, each taking up to `most` queued requests at a
    /// time. They stop once the `Together` is dropped and the queue is empty.
    pub fn start<G: Group<Item = I, Reply = R>>(writers: usize, most: usize, group: G) -> Self {
        // Callers beyond the queue wait for room: the pool bounds the work anyway.
        let (sender, receiver) = mpsc::channel(writers * most);
        let receiver = Arc::new(Mutex::new(receiver));
        let group = Arc::new(group);
        for _ in 0..writers {
            let (receiver, group) = (receiver.clone(), group.clone());
            tokio::spawn(async move {
                while let Some(jobs) = next_jobs(&receiver, most).await {
                    let (queued, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.queued, j.reply)).unzip();
                    for (reply, answer) in replies.into_iter().zip(answer(&*group, queued).await) {
                        // A caller that went away is answered by its request id, if it retries.
                        let _ = reply.send(answer);
                    }
                }
            });
        }
        Self { sender }
    }

    /// Queues a request and waits for its answer.
    pub async fn submit(&self, item: I) -> ServiceResult<R> {
        let (reply, answer) = oneshot::channel();
        let job = Job { queued: Queued { item, span: tracing::Span::current() }, reply };
        let gone = || ServiceError::Internal(anyhow::anyhow!("the writers have stopped"));
        self.sender.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// The next requests for a writer: the first to come, and those queued
/// behind it, up to `most`. None once the queue is closed and empty.
async fn next_jobs<I, R>(receiver: &Mutex<mpsc::Receiver<Job<I, R>>>, most: usize) -> Option<Vec<Job<I, R>>> {
    let mut receiver = receiver.lock().await;
    let first = receiver.recv().await?;
    let mut jobs = vec![first];
    while jobs.len() < most {
        match receiver.try_recv() {
            Ok(job) => jobs.push(job),
            Err(_) => break,
        }
    }
    Some(jobs)
}

/// Each request's answer, in order: written together where it can be,
/// alone where it cannot.
async fn answer<G: Group>(group: &G, queued: Vec<Queued<G::Item>>) -> Vec<ServiceResult<G::Reply>> {
    let mut answers: Vec<Option<ServiceResult<G::Reply>>> = queued.iter().map(|_| None).collect();
    let alone: Vec<usize> = if queued.len() == 1 {
        vec![0]
    } else {
        match group.together(&queued).await {
            Ok(Ended::Written { answers: written, alone }) => {
                for (place, reply) in written {
                    answers[place] = Some(Ok(reply));
                }
                alone
            }
            Ok(Ended::CommitFailed(error)) => {
                let error = format!("{error:#}");
                let failed = || ServiceError::Internal(anyhow::anyhow!("the group's commit failed: {error}"));
                return queued.iter().map(|_| Err(failed())).collect();
            }
            Err(error) => {
                tracing::debug!(error = format!("{error:?}"), requests = queued.len(), "group not written; one by one");
                (0..queued.len()).collect()
            }
        }
    };
    // Each in its own RPC's span, as if it had come alone.
    let done =
        join_all(alone.iter().map(|&place| group.alone(&queued[place].item).instrument(queued[place].span.clone())))
            .await;
    for (place, answer) in alone.into_iter().zip(done) {
        answers[place] = Some(answer);
    }
    answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(ServiceError::Internal(anyhow::anyhow!("a request left unanswered")))))
        .collect()
}
