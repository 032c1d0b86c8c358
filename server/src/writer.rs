//! Group commit: one task commits every queued push in one transaction.
//!
//! Request handlers send their push over a channel and wait on a oneshot.
//! The writer takes everything queued (up to a bound), commits it in ONE
//! storage transaction — one fsync for the whole group — then fans the new
//! envelopes out and answers each request. An ack therefore always follows
//! the commit that made it durable.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use attune_proto::{ErrorCode, JournalId, StoredEnvelope};
use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::fanout::Hub;
use crate::storage::{PendingPush, PushOutcome, Storage, StorageError};
use crate::time::now_unix;

/// Most pushes committed in one transaction.
const MAX_GROUP_PUSHES: usize = 512;
/// Most envelopes committed in one transaction (a soft bound: a group stops growing past it).
const MAX_GROUP_ENVELOPES: usize = 4096;
/// Pushes that may wait for the writer before senders are slowed down.
const QUEUE: usize = 1024;

struct Job {
    push: PendingPush,
    reply: oneshot::Sender<Result<PushOutcome, ApiError>>,
}

/// Hands pushes to the writer task.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

/// Owns the writer task: closes its queue and waits until everything queued is committed.
pub struct WriterTask {
    close: CancellationToken,
    task: JoinHandle<()>,
}

fn shutting_down() -> ApiError {
    ApiError::unavailable(
        ErrorCode::ShuttingDown,
        "the relay is shutting down; push again shortly",
    )
}

impl Writer {
    /// Starts the writer task.
    pub fn start(storage: Arc<dyn Storage>, hub: Arc<Hub>) -> (Writer, WriterTask) {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let close = CancellationToken::new();
        let task = tokio::spawn(run(storage, hub, jobs, close.clone()));
        (Writer { queue }, WriterTask { close, task })
    }

    /// Queues a push and waits until it is committed (or refused).
    pub async fn submit(&self, push: PendingPush) -> Result<PushOutcome, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { push, reply })
            .await
            .map_err(|_| shutting_down())?;
        answer.await.map_err(|_| shutting_down())?
    }
}

impl WriterTask {
    /// Stops taking pushes, commits what is queued, and waits for the task to end.
    pub async fn finish(self) {
        self.close.cancel();
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the writer task failed");
        }
    }
}

async fn run(
    storage: Arc<dyn Storage>,
    hub: Arc<Hub>,
    mut jobs: mpsc::Receiver<Job>,
    close: CancellationToken,
) {
    let mut closing = false;
    loop {
        let first = tokio::select! {
            biased;
            job = jobs.recv() => job,
            () = close.cancelled(), if !closing => {
                // Refuse new pushes; the ones already queued are still committed below.
                jobs.close();
                closing = true;
                continue;
            }
        };
        let Some(first) = first else { break };
        let mut group = vec![first];
        let mut envelopes = group[0].push.envelopes.len();
        while group.len() < MAX_GROUP_PUSHES && envelopes < MAX_GROUP_ENVELOPES {
            match jobs.try_recv() {
                Ok(job) => {
                    envelopes += job.push.envelopes.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        commit_group(storage.as_ref(), &hub, group).await;
    }
    tracing::debug!("writer finished");
}

async fn commit_group(storage: &dyn Storage, hub: &Hub, group: Vec<Job>) {
    let (pushes, replies): (Vec<PendingPush>, Vec<_>) =
        group.into_iter().map(|j| (j.push, j.reply)).unzip();
    let received_unix = now_unix();
    let started = std::time::Instant::now();
    // A panic here is a bug; it must cost this group its answer (500), not the relay its writer.
    let committed = AssertUnwindSafe(storage.commit_pushes(&pushes, received_unix))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!("the storage backend panicked while committing a group; nothing of it was acknowledged");
            Err(StorageError::Corrupt("the storage backend panicked".into()))
        });
    crate::metrics::observe(crate::metrics::PUSH_COMMIT_SECONDS, started.elapsed());
    match committed {
        Ok(outcomes) => {
            let mut fresh: Vec<(JournalId, Vec<StoredEnvelope>)> = Vec::new();
            for ((push, outcome), reply) in pushes.into_iter().zip(outcomes).zip(replies) {
                if let Ok(acked) = &outcome {
                    let new: Vec<StoredEnvelope> = push
                        .envelopes
                        .into_iter()
                        .zip(acked)
                        .filter(|(_, a)| a.fresh)
                        .map(|(p, a)| StoredEnvelope {
                            relay_seq: a.ack.relay_seq,
                            received_unix,
                            envelope: p.envelope,
                        })
                        .collect();
                    match fresh.iter_mut().find(|(j, _)| *j == push.journal) {
                        Some((_, list)) => list.extend(new),
                        None => fresh.push((push.journal, new)),
                    }
                }
                // The requester may have gone away; its push is committed regardless.
                let _ = reply.send(Ok(outcome));
            }
            for (journal, envelopes) in fresh {
                let bytes: usize = envelopes.iter().map(|e| e.envelope.ciphertext.len()).sum();
                metrics::counter!(crate::metrics::ENVELOPES_STORED)
                    .increment(envelopes.len() as u64);
                metrics::counter!(crate::metrics::BYTES_STORED).increment(bytes as u64);
                let fan = std::time::Instant::now();
                hub.publish(journal, envelopes);
                crate::metrics::observe(crate::metrics::FANOUT_SECONDS, fan.elapsed());
            }
        }
        Err(e) => {
            let error = ApiError::from(e);
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}
