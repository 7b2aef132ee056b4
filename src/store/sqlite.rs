use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{CodeClaim, NewToken, Redeemed, Rotation, Store, StoreResult};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// A rotation as one transaction: on an embedded store round trips
    /// cost nothing worth a statement of its own.
    async fn rotate_refresh(
        &self,
        site_id: i64,
        token_id: i64,
        successors: &[NewToken],
        now: i64,
    ) -> StoreResult<Rotation> {
        self.rotate_refresh_in_transaction(site_id, token_id, successors, now)
            .await
    }

    pub async fn connect(url: &str, acquire_timeout: Duration) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| anyhow::anyhow!("TESSERA_DATABASE_URL is not a valid SQLite URL: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(acquire_timeout)
            .connect_with(options)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the SQLite database: {e}"))?;
        Ok(Self { pool })
    }

    /// A transaction that will write takes the database's write lock up
    /// front (`BEGIN IMMEDIATE`), where the busy timeout applies. A deferred
    /// transaction that reads first and writes later fails at once with
    /// "database is locked" when another connection wrote in between, and
    /// no timeout retries that.
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Claims a batch of codes and creates their grants and tokens, in one
    /// transaction (SQLite has no data-modifying `WITH`): per code, the
    /// conditional claim first, then the grant and its tokens only if the
    /// claim took.
    async fn claim_code_batch(&self, claims: &[CodeClaim]) -> StoreResult<Vec<Option<Redeemed>>> {
        let mut tx = self.begin_write().await?;
        let mut redeemed = Vec::with_capacity(claims.len());
        for claim in claims {
            let grant = &claim.grant;
            let claimed = sqlx::query(
                "UPDATE oauth_codes SET consumed_at = $1 \
                 WHERE site_id = $2 AND code_hash = $3 AND consumed_at IS NULL",
            )
            .bind(grant.created_at)
            .bind(grant.site_id)
            .bind(&claim.code_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed != 1 {
                redeemed.push(None);
                continue;
            }
            let grant_id = sqlx::query_scalar::<sqlx::Sqlite, i64>(
                "INSERT INTO oauth_grants (site_id, client_pk, user_id, scopes, created_at, expires_at, \
                 resource, session_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(grant.site_id)
            .bind(grant.client_pk)
            .bind(grant.user_id)
            .bind(&grant.scopes)
            .bind(grant.created_at)
            .bind(grant.expires_at)
            .bind(&grant.resource)
            .bind(grant.session_id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE oauth_codes SET grant_id = $1 WHERE site_id = $2 AND code_hash = $3",
            )
            .bind(grant_id)
            .bind(grant.site_id)
            .bind(&claim.code_hash)
            .execute(&mut *tx)
            .await?;
            let tokens: Vec<&NewToken> = claim.tokens.iter().collect();
            let token_ids = Self::insert_tokens(&mut tx, &tokens, Some(grant_id)).await?;
            redeemed.push(Some(Redeemed {
                grant_id,
                token_ids,
            }));
        }
        tx.commit().await?;
        Ok(redeemed)
    }
}

impl_store!(SqliteStore, sqlx::Sqlite, notify = "SELECT 1");
impl_oauth_store!(SqliteStore, sqlx::Sqlite);
impl_oauth_flows_store!(SqliteStore, sqlx::Sqlite);
impl_client_power_store!(SqliteStore, sqlx::Sqlite);
impl_page_store!(SqliteStore, sqlx::Sqlite);
impl_identity_store!(SqliteStore, sqlx::Sqlite);
impl_signing_key_store!(SqliteStore, sqlx::Sqlite);
impl_token_kind_store!(SqliteStore, sqlx::Sqlite);
impl_throttle_store!(SqliteStore, sqlx::Sqlite);
impl_rate_limit_store!(SqliteStore, sqlx::Sqlite);
impl_one_time_store!(SqliteStore, sqlx::Sqlite);
impl_dpop_proof_store!(SqliteStore, sqlx::Sqlite);
impl_audit_store!(SqliteStore, sqlx::Sqlite);
impl_resource_store!(SqliteStore, sqlx::Sqlite);
impl_metadata_document_store!(SqliteStore, sqlx::Sqlite);
impl_logout_store!(SqliteStore, sqlx::Sqlite);
impl_account_store!(SqliteStore, sqlx::Sqlite);
impl_look_store!(SqliteStore, sqlx::Sqlite);
impl_email_store!(SqliteStore, sqlx::Sqlite);
impl_second_factor_store!(SqliteStore, sqlx::Sqlite);
impl_passkey_store!(SqliteStore, sqlx::Sqlite);
impl_upstream_store!(SqliteStore, sqlx::Sqlite);

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

    fn pool_usage(&self) -> super::PoolUsage {
        super::PoolUsage::of(&self.pool)
    }

    fn acquire_timeout(&self) -> std::time::Duration {
        self.pool.options().get_acquire_timeout()
    }

    fn group_commit_store(&self) -> Option<super::SharedStore> {
        None
    }

    fn change_signal(&self) -> Option<Arc<tokio::sync::Notify>> {
        None
    }
}
