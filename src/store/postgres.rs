use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::{CodeClaim, NewToken, Redeemed, Rotation, Store, StoreResult};

pub const CHANGE_CHANNEL: &str = "tessera_changes";

pub struct PgStore {
    pool: PgPool,
    signal: OnceLock<Arc<tokio::sync::Notify>>,
}

impl PgStore {
    pub async fn connect(url: &str, acquire_timeout: Duration) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(24)
            .acquire_timeout(acquire_timeout)
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

    /// Rotates a refresh token in ONE statement: the old token is marked
    /// rotated and its successor inserted from the marked row, so nothing is
    /// inserted when the mark does not take (a concurrent or replayed use).
    /// One round trip instead of a transaction's four, on the path every
    /// refresh takes. Anything but a single successor goes through the
    /// transaction.
    async fn rotate_refresh(
        &self,
        site_id: i64,
        token_id: i64,
        successors: &[NewToken],
        now: i64,
    ) -> StoreResult<Rotation> {
        let [next] = successors else {
            return self
                .rotate_refresh_in_transaction(site_id, token_id, successors, now)
                .await;
        };
        let inserted = sqlx::query_as::<sqlx::Postgres, (String, i64)>(
            "WITH rotated AS ( \
                 UPDATE oauth_tokens SET rotated_at = $1 WHERE site_id = $2 AND id = $3 \
                 AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL \
                 RETURNING id) \
             INSERT INTO oauth_tokens (site_id, token_hash, kind, client_pk, user_id, grant_id, \
                 scopes, created_at, expires_at, jkt, resource) \
             SELECT $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM rotated \
             RETURNING token_hash, id",
        )
        .bind(now)
        .bind(site_id)
        .bind(token_id)
        .bind(next.site_id)
        .bind(next.token_hash.as_str())
        .bind(next.kind.as_str())
        .bind(next.client_pk)
        .bind(next.user_id)
        .bind(next.grant_id)
        .bind(next.scopes.as_str())
        .bind(next.created_at)
        .bind(next.expires_at)
        .bind(next.jkt.as_deref())
        .bind(next.resource.as_deref())
        .fetch_optional(&self.pool)
        .await?;
        Ok(match inserted {
            Some(id) => Rotation::Rotated(vec![id]),
            None => Rotation::AlreadyRotated,
        })
    }

    /// Claims a batch of codes and creates their grants and refresh tokens in ONE
    /// statement (one round trip, one commit, atomic by itself). The claim
    /// (`UPDATE … WHERE consumed_at IS NULL`) draws each grant's id from its
    /// sequence; the grant and token inserts read the claimed rows, so
    /// nothing is written for a code used before. A code listed twice in a
    /// batch is claimed once (an `UPDATE … FROM` changes a row once). These
    /// tables check no foreign keys (migration 0029): the claim itself
    /// requires the code's client and user to exist.
    async fn claim_code_batch(&self, claims: &[CodeClaim]) -> StoreResult<Vec<Option<Redeemed>>> {
        let mut code_hashes = Vec::with_capacity(claims.len());
        let (mut sites, mut clients, mut users) = (Vec::new(), Vec::new(), Vec::new());
        let (mut grant_scopes, mut created, mut expires) = (Vec::new(), Vec::new(), Vec::new());
        let (mut token_claim, mut token_hashes, mut kinds) = (Vec::new(), Vec::new(), Vec::new());
        let (mut token_scopes, mut token_expires, mut jkts) = (Vec::new(), Vec::new(), Vec::new());
        let (mut grant_resources, mut token_resources) = (Vec::new(), Vec::new());
        let mut sessions = Vec::with_capacity(claims.len());
        for (n, claim) in (1_i64..).zip(claims) {
            code_hashes.push(claim.code_hash.as_str());
            sites.push(claim.grant.site_id);
            clients.push(claim.grant.client_pk);
            users.push(claim.grant.user_id);
            grant_scopes.push(claim.grant.scopes.as_str());
            created.push(claim.grant.created_at);
            expires.push(claim.grant.expires_at);
            grant_resources.push(claim.grant.resource.as_deref());
            sessions.push(claim.grant.session_id);
            for token in &claim.tokens {
                token_claim.push(n);
                token_hashes.push(token.token_hash.as_str());
                kinds.push(token.kind.as_str());
                token_scopes.push(token.scopes.as_str());
                token_expires.push(token.expires_at);
                jkts.push(token.jkt.as_deref());
                token_resources.push(token.resource.as_deref());
            }
        }
        // A claimed code without a token to store (no refresh token: access
        // tokens are not stored) still comes back, with NULLs.
        let rows = sqlx::query_as::<sqlx::Postgres, (i64, i64, Option<String>, Option<i64>)>(
            "WITH claim AS ( \
                 SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], \
                                      $5::text[], $6::bigint[], $7::bigint[], $14::text[], \
                                      $16::bigint[]) \
                     WITH ORDINALITY \
                     AS c (code_hash, site_id, client_pk, user_id, scopes, created_at, expires_at, \
                           resource, session_id, n) \
             ), claimed AS ( \
                 UPDATE oauth_codes o \
                 SET consumed_at = c.created_at, \
                     grant_id = nextval(pg_get_serial_sequence('oauth_grants', 'id')) \
                 FROM claim c \
                 WHERE o.site_id = c.site_id AND o.code_hash = c.code_hash AND o.consumed_at IS NULL \
                 AND EXISTS (SELECT 1 FROM oauth_clients k WHERE k.id = o.client_pk) \
                 AND EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id) \
                 RETURNING c.n, o.grant_id \
             ), new_grants AS ( \
                 INSERT INTO oauth_grants (id, site_id, client_pk, user_id, scopes, created_at, expires_at, \
                                           resource, session_id) \
                 SELECT d.grant_id, c.site_id, c.client_pk, c.user_id, c.scopes, c.created_at, c.expires_at, \
                        c.resource, c.session_id \
                 FROM claimed d JOIN claim c ON c.n = d.n \
                 RETURNING id \
             ), new_tokens AS ( \
                 INSERT INTO oauth_tokens (site_id, token_hash, kind, client_pk, user_id, grant_id, \
                                           scopes, created_at, expires_at, jkt, resource) \
                 SELECT c.site_id, t.token_hash, t.kind, c.client_pk, c.user_id, d.grant_id, \
                        t.scopes, c.created_at, t.expires_at, t.jkt, t.resource \
                 FROM UNNEST($8::bigint[], $9::text[], $10::text[], $11::text[], $12::bigint[], \
                             $13::text[], $15::text[]) \
                     AS t (n, token_hash, kind, scopes, expires_at, jkt, resource) \
                 JOIN claimed d ON d.n = t.n \
                 JOIN claim c ON c.n = t.n \
                 RETURNING grant_id, token_hash, id \
             ) \
             SELECT d.n, d.grant_id, t.token_hash, t.id \
             FROM claimed d LEFT JOIN new_tokens t ON t.grant_id = d.grant_id",
        )
        .bind(&code_hashes)
        .bind(&sites)
        .bind(&clients)
        .bind(&users)
        .bind(&grant_scopes)
        .bind(&created)
        .bind(&expires)
        .bind(&token_claim)
        .bind(&token_hashes)
        .bind(&kinds)
        .bind(&token_scopes)
        .bind(&token_expires)
        .bind(&jkts)
        .bind(&grant_resources)
        .bind(&token_resources)
        .bind(&sessions)
        .fetch_all(&self.pool)
        .await?;
        let mut redeemed: Vec<Option<Redeemed>> = vec![None; claims.len()];
        for (n, grant_id, token_hash, token_id) in rows {
            let Some(slot) = usize::try_from(n - 1)
                .ok()
                .and_then(|i| redeemed.get_mut(i))
            else {
                continue;
            };
            let redeemed = slot.get_or_insert_with(|| Redeemed {
                grant_id,
                token_ids: Vec::new(),
            });
            if let (Some(token_hash), Some(token_id)) = (token_hash, token_id) {
                redeemed.token_ids.push((token_hash, token_id));
            }
        }
        Ok(redeemed)
    }
}

impl_store!(
    PgStore,
    sqlx::Postgres,
    notify = "SELECT pg_notify('tessera_changes', '')"
);
impl_oauth_store!(PgStore, sqlx::Postgres);
impl_oauth_flows_store!(PgStore, sqlx::Postgres);
impl_client_power_store!(PgStore, sqlx::Postgres);
impl_page_store!(PgStore, sqlx::Postgres);
impl_identity_store!(PgStore, sqlx::Postgres);
impl_signing_key_store!(PgStore, sqlx::Postgres);
impl_token_kind_store!(PgStore, sqlx::Postgres);
impl_throttle_store!(PgStore, sqlx::Postgres);
impl_rate_limit_store!(PgStore, sqlx::Postgres);
impl_one_time_store!(PgStore, sqlx::Postgres);
impl_dpop_proof_store!(PgStore, sqlx::Postgres);
impl_audit_store!(PgStore, sqlx::Postgres);
impl_resource_store!(PgStore, sqlx::Postgres);
impl_metadata_document_store!(PgStore, sqlx::Postgres);
impl_logout_store!(PgStore, sqlx::Postgres);
impl_account_store!(PgStore, sqlx::Postgres);
impl_look_store!(PgStore, sqlx::Postgres);
impl_email_store!(PgStore, sqlx::Postgres);
impl_second_factor_store!(PgStore, sqlx::Postgres);
impl_passkey_store!(PgStore, sqlx::Postgres);
impl_upstream_store!(PgStore, sqlx::Postgres);

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

    fn pool_usage(&self) -> super::PoolUsage {
        super::PoolUsage::of(&self.pool)
    }

    fn acquire_timeout(&self) -> std::time::Duration {
        self.pool.options().get_acquire_timeout()
    }

    /// Two connections of the writers' own, opened lazily by the first
    /// write. A connection's socket is served by the runtime that opened
    /// it; the writers run on the main runtime, whose threads are otherwise
    /// idle, so their commits do not wait for an HTTP worker's event loop
    /// that is busy checking signatures.
    ///
    /// Their statements all find rows by key. A statement's plan is cached
    /// per connection, and one made while a table was still small (a new
    /// database) would scan the whole table on every batch long after it
    /// has grown, until an ANALYZE: these connections never plan a
    /// sequential scan where an index serves.
    fn group_commit_store(&self) -> Option<super::SharedStore> {
        let options = (*self.pool.connect_options())
            .clone()
            .options([("enable_seqscan", "off")]);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(self.acquire_timeout())
            .connect_lazy_with(options);
        Some(Arc::new(Self {
            pool,
            signal: OnceLock::new(),
        }))
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
