-- DPoP proofs seen (RFC 9449 section 11.1), shared by every process on this
-- database: a proof is refused when its (site, key thumbprint, jti) is here.
-- A row is useless once `expires_at` (the proof's iat plus the accepted age)
-- has passed; the janitor deletes such rows.
CREATE TABLE dpop_proofs (
    site_id INTEGER NOT NULL,
    jkt TEXT NOT NULL,
    jti_hash BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, jkt, jti_hash)
) WITHOUT ROWID;
CREATE INDEX dpop_proofs_expiry ON dpop_proofs (expires_at);
