-- DPoP proofs seen (RFC 9449 section 11.1), shared by every process of the
-- deployment: a proof is refused when its (site, key thumbprint, jti) is
-- here. A row is useless once `expires_at` (the proof's iat plus the
-- accepted age) has passed; the janitor deletes such rows.
--
-- UNLOGGED: no write-ahead log, so recording a proof costs no WAL flush
-- (a transaction that touched only unlogged tables commits without waiting
-- for the disk). The price: after a crash of Postgres, or on a standby
-- promoted by failover, the table starts empty, and a proof captured in
-- the minute before could be replayed once more within its iat window
-- (TESSERA_DPOP_PROOF_MAX_AGE_SECS, 60 s by default). A replayed proof still
-- only works for its method and URL, with its access token, for the key it
-- was signed by. Sites that cannot accept that turn on server nonces, or
-- the operator runs `ALTER TABLE dpop_proofs SET LOGGED`.
-- No foreign key to sites: one check less per row, and rows outlive no
-- site by more than a minute.
CREATE UNLOGGED TABLE dpop_proofs (
    site_id BIGINT NOT NULL,
    jkt TEXT NOT NULL,
    jti_hash BYTEA NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, jkt, jti_hash)
);
CREATE INDEX dpop_proofs_expiry ON dpop_proofs (expires_at);
