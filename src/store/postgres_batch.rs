//! The group commit's batches that carry single-use JWT ids (DPoP proofs,
//! client assertions), on Postgres: ONE statement that records the ids and
//! stores only the tokens whose id was new. The generic path
//! (`oauth_sql.rs`) needs a statement per table and the answers of the
//! first before the second; every round trip is time the writer cannot
//! spend on the next batch. The statement's text is the same for every
//! batch (the rows travel as arrays), so it is prepared once per connection.

use std::collections::{HashMap, HashSet};

use super::postgres::PgStore;
use super::{Committed, NewCode, PendingWrite, ProofUse, StoreResult};

/// Where a write's proof went: the index of its row among the distinct
/// ids sent, or none for a second use of an id within the batch (a replay
/// by definition: at most one of them is new).
enum Slot {
    None,
    Sent(i64),
    Repeated,
}

impl PgStore {
    /// Stores a batch that carries proof uses and answers it; `None` for a
    /// batch without any (the generic path is as good there).
    pub(super) async fn write_proved_batch(
        &self,
        writes: &[PendingWrite],
    ) -> StoreResult<Option<Vec<Committed>>> {
        let has_proofs = writes
            .iter()
            .any(|w| matches!(w, PendingWrite::ProvedToken(..) | PendingWrite::Proof(_)));
        if !has_proofs {
            return Ok(None);
        }
        let mut proofs = ProofArrays::default();
        let mut tokens = TokenArrays::default();
        let mut codes: Vec<&NewCode> = Vec::new();
        let mut first_at: HashMap<(i64, &str, &[u8]), i64> = HashMap::new();
        let mut slots = Vec::with_capacity(writes.len());
        for write in writes {
            let proof = match write {
                PendingWrite::Code(code) => {
                    codes.push(code);
                    None
                }
                PendingWrite::Token(token) => {
                    tokens.push(token, None);
                    None
                }
                PendingWrite::ProvedToken(_, proof) | PendingWrite::Proof(proof) => Some(proof),
            };
            let slot = match proof {
                None => Slot::None,
                Some(proof) => {
                    let key = (proof.site_id, proof.jkt.as_str(), proof.jti_hash.as_slice());
                    match first_at.entry(key) {
                        std::collections::hash_map::Entry::Occupied(_) => Slot::Repeated,
                        std::collections::hash_map::Entry::Vacant(slot) => {
                            let index = proofs.push(proof);
                            slot.insert(index);
                            if let PendingWrite::ProvedToken(token, _) = write {
                                tokens.push(token, Some(index));
                            }
                            Slot::Sent(index)
                        }
                    }
                }
            };
            slots.push(slot);
        }
        if !codes.is_empty() {
            let mut conn = self.pool().acquire().await?;
            Self::insert_codes(&mut conn, &codes).await?;
        }
        let rows = sqlx::query_as::<sqlx::Postgres, (Option<i64>, Option<String>, Option<i64>)>(
            "WITH used AS ( \
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bytea[], $4::bigint[]) \
                     WITH ORDINALITY AS u (site_id, jkt, jti_hash, expires_at, n) \
             ), fresh AS ( \
                 INSERT INTO dpop_proofs (site_id, jkt, jti_hash, expires_at) \
                 SELECT site_id, jkt, jti_hash, expires_at FROM used \
                 ON CONFLICT (site_id, jkt, jti_hash) DO NOTHING \
                 RETURNING site_id, jkt, jti_hash \
             ), accepted AS ( \
                 SELECT u.n FROM used u JOIN fresh f \
                     ON f.site_id = u.site_id AND f.jkt = u.jkt AND f.jti_hash = u.jti_hash \
             ), stored AS ( \
                 INSERT INTO oauth_tokens (site_id, token_hash, kind, client_pk, user_id, grant_id, \
                                           scopes, created_at, expires_at, jkt, resource) \
                 SELECT t.site_id, t.token_hash, t.kind, t.client_pk, t.user_id, t.grant_id, \
                        t.scopes, t.created_at, t.expires_at, t.jkt, t.resource \
                 FROM UNNEST($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], \
                             $10::bigint[], $11::text[], $12::bigint[], $13::bigint[], $14::text[], \
                             $15::text[], $16::bigint[]) \
                     AS t (site_id, token_hash, kind, client_pk, user_id, grant_id, scopes, \
                           created_at, expires_at, jkt, resource, proof) \
                 WHERE t.proof IS NULL OR t.proof IN (SELECT n FROM accepted) \
                 RETURNING token_hash, id \
             ) \
             SELECT n, NULL, NULL FROM accepted \
             UNION ALL SELECT NULL, token_hash, id FROM stored",
        )
        .bind(&proofs.site_ids)
        .bind(&proofs.jkts)
        .bind(&proofs.jti_hashes)
        .bind(&proofs.expires)
        .bind(&tokens.site_ids)
        .bind(&tokens.hashes)
        .bind(&tokens.kinds)
        .bind(&tokens.client_pks)
        .bind(&tokens.user_ids)
        .bind(&tokens.grant_ids)
        .bind(&tokens.scopes)
        .bind(&tokens.created)
        .bind(&tokens.expires)
        .bind(&tokens.jkts)
        .bind(&tokens.resources)
        .bind(&tokens.proofs)
        .fetch_all(self.pool())
        .await?;
        let mut accepted = HashSet::new();
        let mut ids = HashMap::new();
        for row in rows {
            match row {
                (Some(n), _, _) => {
                    accepted.insert(n);
                }
                (None, Some(hash), Some(id)) => {
                    ids.insert(hash, id);
                }
                _ => {}
            }
        }
        writes
            .iter()
            .zip(slots)
            .map(|(write, slot)| {
                let new = matches!(slot, Slot::Sent(n) if accepted.contains(&n));
                let token_id = |hash: &str| {
                    ids.get(hash)
                        .map(|id| Committed::Token(*id))
                        .ok_or_else(|| {
                            sqlx::Error::Protocol("a stored token got no row id".into()).into()
                        })
                };
                match write {
                    PendingWrite::Code(_) => Ok(Committed::Code),
                    PendingWrite::Token(token) => token_id(&token.token_hash),
                    PendingWrite::ProvedToken(token, _) if new => token_id(&token.token_hash),
                    PendingWrite::Proof(_) if new => Ok(Committed::Proof),
                    PendingWrite::ProvedToken(..) | PendingWrite::Proof(_) => {
                        Ok(Committed::ProofReplayed)
                    }
                }
            })
            .collect::<StoreResult<Vec<_>>>()
            .map(Some)
    }
}

/// The distinct proof uses of a batch, as the statement's arrays.
#[derive(Default)]
struct ProofArrays<'a> {
    site_ids: Vec<i64>,
    jkts: Vec<&'a str>,
    jti_hashes: Vec<&'a [u8]>,
    expires: Vec<i64>,
}

impl<'a> ProofArrays<'a> {
    /// Adds a use; its 1-based index (`WITH ORDINALITY`).
    fn push(&mut self, proof: &'a ProofUse) -> i64 {
        self.site_ids.push(proof.site_id);
        self.jkts.push(&proof.jkt);
        self.jti_hashes.push(&proof.jti_hash);
        self.expires.push(proof.expires_at);
        i64::try_from(self.site_ids.len()).unwrap_or(i64::MAX)
    }
}

/// A batch's tokens, as the statement's arrays; `proofs` names the proof
/// use each one depends on.
#[derive(Default)]
struct TokenArrays<'a> {
    site_ids: Vec<i64>,
    hashes: Vec<&'a str>,
    kinds: Vec<&'static str>,
    client_pks: Vec<i64>,
    user_ids: Vec<Option<i64>>,
    grant_ids: Vec<Option<i64>>,
    scopes: Vec<&'a str>,
    created: Vec<i64>,
    expires: Vec<i64>,
    jkts: Vec<Option<&'a str>>,
    resources: Vec<Option<&'a str>>,
    proofs: Vec<Option<i64>>,
}

impl<'a> TokenArrays<'a> {
    fn push(&mut self, token: &'a super::NewToken, proof: Option<i64>) {
        self.site_ids.push(token.site_id);
        self.hashes.push(&token.token_hash);
        self.kinds.push(token.kind.as_str());
        self.client_pks.push(token.client_pk);
        self.user_ids.push(token.user_id);
        self.grant_ids.push(token.grant_id);
        self.scopes.push(&token.scopes);
        self.created.push(token.created_at);
        self.expires.push(token.expires_at);
        self.jkts.push(token.jkt.as_deref());
        self.resources.push(token.resource.as_deref());
        self.proofs.push(proof);
    }
}
