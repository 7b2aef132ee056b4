//! Group commit. A request hands its write to a [`Batcher`] and waits; its
//! one worker task takes everything queued, stores it with one statement (or one
//! transaction) and then answers every waiting request. A response therefore
//! still goes out only after its write is durable, but under load one commit
//! carries many requests' rows instead of one commit each.
//!
//! Two batchers run: [`GrantWriter`] for new codes and DPoP proof (and
//! client assertion) uses, and [`Redeemer`] for code redemptions (claim
//! the code, create its grant and refresh token).
//!
//! A request waits for its batch at most as long as it would wait for a
//! connection of its own (the store's acquire timeout): while the database
//! is away a batch can take that long to fail, and the requests queued
//! behind it would otherwise wait for two or more such batches. Past it the
//! request is answered as the store being unavailable (503); its item stays
//! queued and may still be stored, which loses nothing a client was given.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::metrics::BatchMetrics;
use crate::store::{
    CodeClaim, Committed, PendingWrite, Redeemed, SharedStore, StoreUnavailable, is_unavailable,
};

/// Items per batch at most.
const MAX_BATCH: usize = 512;
/// One worker task per batcher, on purpose: while its commit is in flight
/// the next requests queue up and go out together in the following batch,
/// so the batch grows with the load. Measured on the code flow (2 cores,
/// wrk -c32): Postgres spent 1.03 ms of CPU per flow with four workers, 0.79
/// with two and 0.48 with one, because concurrent small commits each pay the
/// full statement, trigger and flush overhead.
const QUEUE: usize = 8192;

type Shared<T> = Result<T, Arc<anyhow::Error>>;

struct Job<I, O> {
    item: I,
    reply: oneshot::Sender<Shared<O>>,
}

/// Queues items of type `I` and answers each with its `O` once the batch it
/// went out in has been handled.
pub struct Batcher<I, O> {
    queue: mpsc::Sender<Job<I, O>>,
    /// Items submitted and not yet handled (queued or in the batch being
    /// stored), so that shutdown can wait until every write is stored even
    /// if the request that submitted it went away.
    pending: Arc<AtomicUsize>,
    /// How long a request waits for its answer.
    wait: Duration,
}

impl<I, O> Clone for Batcher<I, O> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            pending: self.pending.clone(),
            wait: self.wait,
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Starts the worker task; must be called inside the runtime. `handle`
    /// gets a batch and returns one output per item, in order; `metrics`
    /// gets each batch's size and time; a request waits `wait` at most.
    pub fn spawn<F, Fut>(metrics: BatchMetrics, wait: Duration, handle: F) -> Self
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Vec<O>>> + Send + 'static,
    {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let pending = Arc::new(AtomicUsize::new(0));
        tokio::spawn(run(receiver, metrics, handle, pending.clone()));
        Self {
            queue,
            pending,
            wait,
        }
    }

    pub async fn submit(&self, item: I) -> anyhow::Result<O> {
        let (reply, answer) = oneshot::channel();
        self.pending.fetch_add(1, Ordering::AcqRel);
        if self.queue.send(Job { item, reply }).await.is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(anyhow::anyhow!("the group-commit writer has stopped"));
        }
        match tokio::time::timeout(self.wait, answer).await {
            Ok(Ok(Ok(out))) => Ok(out),
            Ok(Ok(Err(e))) => Err(shared_error(&e, "cannot store the write")),
            Ok(Err(_)) => Err(anyhow::anyhow!(
                "the group-commit writer dropped the request"
            )),
            Err(_) => Err(anyhow::Error::from(StoreUnavailable).context(format!(
                "the write was not stored within {} ms",
                self.wait.as_millis()
            ))),
        }
    }

    /// Items submitted and not yet stored.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }
}

/// One request's copy of a batch's shared error, still telling an
/// unreachable store apart (endpoints answer 503 for that).
fn shared_error(e: &anyhow::Error, what: &str) -> anyhow::Error {
    let message = format!("{what}: {e:#}");
    if is_unavailable(e) {
        anyhow::Error::from(StoreUnavailable).context(message)
    } else {
        anyhow::anyhow!(message)
    }
}

async fn run<I, O, F, Fut>(
    mut receiver: mpsc::Receiver<Job<I, O>>,
    metrics: BatchMetrics,
    handle: F,
    pending: Arc<AtomicUsize>,
) where
    F: Fn(Vec<I>) -> Fut,
    Fut: Future<Output = anyhow::Result<Vec<O>>>,
{
    loop {
        let mut jobs = Vec::new();
        if receiver.recv_many(&mut jobs, MAX_BATCH).await == 0 {
            return;
        }
        let (items, replies): (Vec<I>, Vec<_>) =
            jobs.into_iter().map(|j| (j.item, j.reply)).unzip();
        let count = replies.len();
        metrics.size.record(count as f64);
        let started = std::time::Instant::now();
        let outcome = handle(items).await;
        metrics.seconds.record(started.elapsed().as_secs_f64());
        match outcome {
            Ok(outputs) if outputs.len() == count => {
                for (reply, out) in replies.into_iter().zip(outputs) {
                    let _ = reply.send(Ok(out));
                }
            }
            Ok(outputs) => {
                let e = Arc::new(anyhow::anyhow!(
                    "a batch of {count} writes returned {} results",
                    outputs.len()
                ));
                fail_all(replies, &e);
            }
            Err(e) => {
                tracing::error!(error = %e, rows = count, "group commit failed");
                fail_all(replies, &Arc::new(e));
            }
        }
        pending.fetch_sub(count, Ordering::AcqRel);
    }
}

fn fail_all<O>(replies: Vec<oneshot::Sender<Shared<O>>>, e: &Arc<anyhow::Error>) {
    for reply in replies {
        let _ = reply.send(Err(e.clone()));
    }
}

/// New codes and single-use JWT ids (DPoP proofs, client assertions): one
/// multi-row INSERT per table per batch, so a proof costs a row, not a
/// commit of its own. Access tokens are not stored at all.
#[derive(Clone)]
pub struct GrantWriter(Batcher<PendingWrite, Committed>);

impl GrantWriter {
    pub fn spawn(store: SharedStore, metrics: BatchMetrics) -> Self {
        let wait = store.acquire_timeout();
        Self(Batcher::spawn(
            metrics,
            wait,
            move |writes: Vec<PendingWrite>| {
                let store = store.clone();
                async move { Ok(store.commit_writes(&writes).await?) }
            },
        ))
    }

    /// Stores one item durably.
    pub async fn write(&self, write: PendingWrite) -> anyhow::Result<Committed> {
        self.0.submit(write).await
    }

    /// Writes queued or being stored.
    pub fn pending(&self) -> usize {
        self.0.pending()
    }
}

/// Code redemptions, claimed together: on Postgres one statement per batch.
#[derive(Clone)]
pub struct Redeemer(Batcher<CodeClaim, Shared<Option<Redeemed>>>);

impl Redeemer {
    pub fn spawn(store: SharedStore, metrics: BatchMetrics) -> Self {
        let wait = store.acquire_timeout();
        Self(Batcher::spawn(
            metrics,
            wait,
            move |claims: Vec<CodeClaim>| {
                let store = store.clone();
                async move { Ok(claim_each(&store, &claims).await) }
            },
        ))
    }

    /// Claims the code and creates its grant and tokens, durably; `None`
    /// when the code was used before or is gone.
    pub async fn claim(&self, claim: CodeClaim) -> anyhow::Result<Option<Redeemed>> {
        self.0
            .submit(claim)
            .await?
            .map_err(|e| shared_error(&e, "cannot redeem the code"))
    }

    /// Redemptions queued or being stored.
    pub fn pending(&self) -> usize {
        self.0.pending()
    }
}

/// Claims a batch; if the batch fails as a whole, retries its claims one by
/// one, so that one failing claim fails alone.
async fn claim_each(store: &SharedStore, claims: &[CodeClaim]) -> Vec<Shared<Option<Redeemed>>> {
    let error = match store.claim_codes(claims).await {
        Ok(redeemed) => return redeemed.into_iter().map(Ok).collect(),
        Err(e) if claims.len() == 1 => return vec![Err(Arc::new(e.into()))],
        Err(e) => e,
    };
    tracing::warn!(error = %error, claims = claims.len(), "batched code redemption failed; claiming one by one");
    let mut outcomes = Vec::with_capacity(claims.len());
    for claim in claims {
        outcomes.push(match store.claim_codes(std::slice::from_ref(claim)).await {
            Ok(mut redeemed) => Ok(redeemed.pop().flatten()),
            Err(e) => Err(Arc::new(e.into())),
        });
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_waits_for_its_batch_no_longer_than_the_store_timeout() {
        let metrics = crate::metrics::Metrics::new(false).unwrap();
        let wait = Duration::from_millis(100);
        // A store that takes far longer than that to answer, as a database
        // going away does.
        let batcher: Batcher<u32, u32> = Batcher::spawn(
            metrics.grant_writer.clone(),
            wait,
            |items: Vec<u32>| async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                Ok(items)
            },
        );
        let started = std::time::Instant::now();
        let e = batcher.submit(1).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(
            is_unavailable(&e),
            "answered as the store being away: {e:#}"
        );
        assert_eq!(batcher.pending(), 1, "the item stays queued");
    }

    #[tokio::test]
    async fn answers_in_time_are_the_batch_outputs() {
        let metrics = crate::metrics::Metrics::new(false).unwrap();
        let batcher: Batcher<u32, u32> = Batcher::spawn(
            metrics.grant_writer.clone(),
            Duration::from_secs(5),
            |items: Vec<u32>| async move { Ok(items.into_iter().map(|i| i * 2).collect()) },
        );
        assert_eq!(batcher.submit(21).await.unwrap(), 42);
        assert_eq!(batcher.pending(), 0);
    }
}
