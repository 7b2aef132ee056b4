//! Group commit for new codes and tokens. A request hands its row to the
//! writer and waits; a writer task takes everything queued, inserts it in
//! one transaction (one multi-row INSERT per table, one commit) and then
//! answers every waiting request. A response therefore still goes out only
//! after its row is durable, but under load a few commits carry hundreds of
//! rows instead of one commit per request.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::store::{PendingWrite, SharedStore};

/// Rows per transaction at most.
const MAX_BATCH: usize = 512;
/// Writer tasks: while some wait for their commit, others gather the next
/// batch; the database merges the flushes of commits that overlap.
const WRITERS: usize = 4;
const QUEUE: usize = 8192;

type Reply = oneshot::Sender<Result<Option<i64>, Arc<anyhow::Error>>>;

struct Job {
    write: PendingWrite,
    reply: Reply,
}

#[derive(Clone)]
pub struct GrantWriter {
    queue: mpsc::Sender<Job>,
}

impl GrantWriter {
    /// Starts the writer tasks; must be called inside the runtime.
    pub fn spawn(store: SharedStore) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..WRITERS {
            tokio::spawn(run(store.clone(), receiver.clone()));
        }
        Self { queue }
    }

    /// Stores one row durably. For a token, returns its row id.
    pub async fn write(&self, write: PendingWrite) -> anyhow::Result<Option<i64>> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { write, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the grant writer has stopped"))?;
        match answer.await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(e)) => Err(anyhow::anyhow!("cannot store the grant: {e:#}")),
            Err(_) => Err(anyhow::anyhow!("the grant writer dropped the request")),
        }
    }
}

async fn run(store: SharedStore, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut jobs = Vec::new();
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut jobs, MAX_BATCH).await == 0 {
                return;
            }
        }
        let writes: Vec<PendingWrite> = jobs.iter().map(|j| j.write.clone()).collect();
        match store.commit_writes(&writes).await {
            Ok(ids) => {
                let ids: HashMap<String, i64> = ids.into_iter().collect();
                for job in jobs {
                    let id = match &job.write {
                        PendingWrite::Token(token) => ids.get(&token.token_hash).copied(),
                        PendingWrite::Code(_) => None,
                    };
                    let _ = job.reply.send(Ok(id));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, rows = jobs.len(), "group commit failed");
                let e = Arc::new(anyhow::Error::from(e));
                for job in jobs {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}
