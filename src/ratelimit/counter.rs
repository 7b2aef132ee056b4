//! The counter every node shares: a row per key and window in the store
//! (`rate_windows`), or a Redis key when `TESSERA_REDIS_URL` is set. Either
//! way one atomic increment per chunk, never one per request.

use redis::aio::ConnectionManager;

use super::lease::Window;
use crate::store::SharedStore;

/// Redis keys outlive their window by this much, for clocks a little apart.
const REDIS_GRACE_SECS: i64 = 5;

#[derive(Clone)]
pub enum SharedCounter {
    Store(SharedStore),
    Redis {
        connection: ConnectionManager,
        /// Put before every key, so deployments can share one Redis.
        prefix: String,
    },
}

impl SharedCounter {
    /// Connects to Redis (failing start-up when it cannot), or uses the store.
    pub async fn connect(
        store: SharedStore,
        redis_url: Option<&str>,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        let Some(url) = redis_url else {
            return Ok(SharedCounter::Store(store));
        };
        let client =
            redis::Client::open(url).map_err(|e| anyhow::anyhow!("TESSERA_REDIS_URL: {e}"))?;
        let connection = ConnectionManager::new(client)
            .await
            .map_err(|e| anyhow::anyhow!("TESSERA_REDIS_URL: cannot connect: {e}"))?;
        Ok(SharedCounter::Redis {
            connection,
            prefix: prefix.to_string(),
        })
    }

    pub fn backend(&self) -> &'static str {
        match self {
            SharedCounter::Store(_) => "store",
            SharedCounter::Redis { .. } => "redis",
        }
    }

    /// Adds `chunk` to the counter of `key` in `window`; returns its new value.
    pub async fn add(
        &self,
        key: &str,
        window: Window,
        chunk: i64,
        now: i64,
    ) -> anyhow::Result<i64> {
        match self {
            SharedCounter::Store(store) => Ok(store
                .add_to_rate_window(key, window.start, window.end, chunk)
                .await?),
            SharedCounter::Redis { connection, prefix } => {
                let name = format!("{prefix}{key}@{}", window.start);
                let ttl = (window.end - now).max(1) + REDIS_GRACE_SECS;
                let mut connection = connection.clone();
                let (used,): (i64,) = redis::pipe()
                    .atomic()
                    .incr(&name, chunk)
                    .expire(&name, ttl)
                    .ignore()
                    .query_async(&mut connection)
                    .await?;
                Ok(used)
            }
        }
    }
}
