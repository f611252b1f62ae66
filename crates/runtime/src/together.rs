//! Group commit: requests of one kind that arrive together are written
//! together, in one transaction. A write's cost is its round trips and its
//! commit, not its rows (`deploy/local/measure-write-shapes`): petitions
//! written eight to a transaction go at twice the rate PostgreSQL takes a
//! one-row insert and its event one to a transaction.
//!
//! No request waits for others to come: a writer takes whatever has queued
//! while the writers were busy, and at once if nothing has. One request
//! alone is written as it always was, and so is each request that cannot go
//! with the others (a refusal, a retry): the service's `write` decides that.

use std::{future::Future, sync::Arc};

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{ServiceError, ServiceResult};

/// A request waiting to be written, with the span of the RPC that sent it
/// (for its events' and audit entries' trace, and its logs).
pub struct Queued<I> {
    pub item: I,
    pub span: tracing::Span,
}

struct Job<I, R> {
    queued: Queued<I>,
    reply: oneshot::Sender<ServiceResult<R>>,
}

/// Where the requests of one kind are queued for their writers.
pub struct Together<I, R> {
    sender: mpsc::Sender<Job<I, R>>,
}

impl<I: Send + 'static, R: Send + 'static> Together<I, R> {
    /// Starts `writers` tasks, each taking up to `most` queued requests at a
    /// time and answering each with what `write` returns for it, in order.
    /// They stop once the `Together` is dropped and the queue is empty.
    pub fn start<W, F>(writers: usize, most: usize, write: W) -> Self
    where
        W: Fn(Vec<Queued<I>>) -> F + Send + Sync + 'static,
        F: Future<Output = Vec<ServiceResult<R>>> + Send,
    {
        // Callers beyond the queue wait for room: the pool bounds the work anyway.
        let (sender, receiver) = mpsc::channel(writers * most);
        let receiver = Arc::new(Mutex::new(receiver));
        let write = Arc::new(write);
        for _ in 0..writers {
            let (receiver, write) = (receiver.clone(), write.clone());
            tokio::spawn(async move {
                while let Some(jobs) = next_group(&receiver, most).await {
                    let (queued, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|j| (j.queued, j.reply)).unzip();
                    let results = write(queued).await;
                    debug_assert_eq!(results.len(), replies.len());
                    for (reply, result) in replies.into_iter().zip(results) {
                        // A caller that went away is answered by its request id, if it retries.
                        let _ = reply.send(result);
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
async fn next_group<I, R>(receiver: &Mutex<mpsc::Receiver<Job<I, R>>>, most: usize) -> Option<Vec<Job<I, R>>> {
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
