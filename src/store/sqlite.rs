use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Store, StoreResult};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| anyhow::anyhow!("TESSERA_DATABASE_URL is not a valid SQLite URL: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the SQLite database: {e}"))?;
        Ok(Self { pool })
    }
}

impl_store!(SqliteStore, sqlx::Sqlite, notify = "SELECT 1");
impl_oauth_store!(SqliteStore, sqlx::Sqlite);
impl_oauth_flows_store!(SqliteStore, sqlx::Sqlite);
impl_page_store!(SqliteStore, sqlx::Sqlite);
impl_identity_store!(SqliteStore, sqlx::Sqlite);
impl_signing_key_store!(SqliteStore, sqlx::Sqlite);
impl_token_kind_store!(SqliteStore, sqlx::Sqlite);

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.pool)
            .await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn change_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
}
