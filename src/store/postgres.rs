use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::{NewGrant, NewToken, Redemption, Store, StoreResult};

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

    /// A transaction that will write: Postgres locks rows as they are
    /// touched, so a plain `BEGIN` is right.
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool.begin().await
    }

    /// Claims an unused code and creates its grant and tokens in ONE
    /// statement (one round trip, atomic by itself): the claim draws the
    /// grant's id from its sequence, the grant and token inserts read the
    /// claimed row, so nothing is written when the code was used before.
    /// `None` then, or when the code is gone. The foreign key from the code
    /// to its grant is checked at the end of the statement, when both exist.
    async fn claim_code(
        &self,
        code_hash: &str,
        grant: &NewGrant,
        tokens: &[NewToken],
        now: i64,
    ) -> StoreResult<Option<Redemption>> {
        let hashes: Vec<&str> = tokens.iter().map(|t| t.token_hash.as_str()).collect();
        let kinds: Vec<&str> = tokens.iter().map(|t| t.kind.as_str()).collect();
        let scopes: Vec<&str> = tokens.iter().map(|t| t.scopes.as_str()).collect();
        let expiries: Vec<i64> = tokens.iter().map(|t| t.expires_at).collect();
        let jkts: Vec<Option<&str>> = tokens.iter().map(|t| t.jkt.as_deref()).collect();
        let rows = sqlx::query_as::<sqlx::Postgres, (i64, String, i64)>(
            "WITH claimed AS ( \
                 UPDATE oauth_codes \
                 SET consumed_at = $1, grant_id = nextval(pg_get_serial_sequence('oauth_grants', 'id')) \
                 WHERE site_id = $2 AND code_hash = $3 AND consumed_at IS NULL \
                 RETURNING grant_id \
             ), new_grant AS ( \
                 INSERT INTO oauth_grants (id, site_id, client_pk, user_id, scopes, created_at, expires_at) \
                 SELECT grant_id, $2, $4, $5, $6, $7, $8 FROM claimed \
                 RETURNING id \
             ), new_tokens AS ( \
                 INSERT INTO oauth_tokens (site_id, token_hash, kind, client_pk, user_id, grant_id, \
                                           scopes, created_at, expires_at, jkt) \
                 SELECT $2, t.token_hash, t.kind, $4, $5, g.id, t.scopes, $7, t.expires_at, t.jkt \
                 FROM new_grant g \
                 CROSS JOIN UNNEST($9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[]) \
                     AS t (token_hash, kind, scopes, expires_at, jkt) \
                 RETURNING grant_id, token_hash, id \
             ) \
             SELECT grant_id, token_hash, id FROM new_tokens",
        )
        .bind(now)
        .bind(grant.site_id)
        .bind(code_hash)
        .bind(grant.client_pk)
        .bind(grant.user_id)
        .bind(&grant.scopes)
        .bind(grant.created_at)
        .bind(grant.expires_at)
        .bind(&hashes)
        .bind(&kinds)
        .bind(&scopes)
        .bind(&expiries)
        .bind(&jkts)
        .fetch_all(&self.pool)
        .await?;
        let Some(grant_id) = rows.first().map(|(grant_id, _, _)| *grant_id) else {
            return Ok(None);
        };
        let token_ids = rows.into_iter().map(|(_, hash, id)| (hash, id)).collect();
        Ok(Some(Redemption::Redeemed {
            grant_id,
            token_ids,
        }))
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
