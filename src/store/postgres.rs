use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::{Store, StoreResult};

pub const CHANGE_CHANNEL: &str = "tessera_changes";

pub struct PgStore {
    pool: PgPool,
    signal: OnceLock<Arc<tokio::sync::Notify>>,
}

impl PgStore {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(24)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to Postgres: {e}"))?;
        Ok(Self {
            pool,
            signal: OnceLock::new(),
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl_store!(
    PgStore,
    sqlx::Postgres,
    notify = "SELECT pg_notify('tessera_changes', '')"
);
impl_oauth_store!(PgStore, sqlx::Postgres);
impl_oauth_flows_store!(PgStore, sqlx::Postgres);
impl_page_store!(PgStore, sqlx::Postgres);
impl_identity_store!(PgStore, sqlx::Postgres);
impl_signing_key_store!(PgStore, sqlx::Postgres);
impl_token_kind_store!(PgStore, sqlx::Postgres);

#[async_trait]
impl Store for PgStore {
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn change_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        let signal = self.signal.get_or_init(|| {
            let notify = Arc::new(tokio::sync::Notify::new());
            tokio::spawn(listen_for_changes(self.pool.clone(), notify.clone()));
            notify
        });
        Some(signal.clone())
    }
}

/// Wakes the change poller whenever any process commits a change. Lost
/// notifications only delay invalidation until the next poll.
async fn listen_for_changes(pool: PgPool, notify: Arc<tokio::sync::Notify>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the change listener; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANGE_CHANNEL).await {
            tracing::warn!(error = %e, "cannot LISTEN for changes; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(_) => notify.notify_one(),
                Err(e) => {
                    tracing::warn!(error = %e, "change listener lost its connection");
                    notify.notify_one();
                    break;
                }
            }
        }
    }
}
