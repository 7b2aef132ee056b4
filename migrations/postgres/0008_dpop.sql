-- DPoP (RFC 9449). A bound token stores the SHA-256 JWK thumbprint (`jkt`)
-- of the key its proofs must be signed with; NULL means a Bearer token.
ALTER TABLE oauth_tokens ADD COLUMN jkt TEXT;
-- RFC 9449 section 10: an authorization request's `dpop_jkt` binds the code,
-- and the tokens it is redeemed for, to that key.
ALTER TABLE oauth_codes ADD COLUMN dpop_jkt TEXT;
-- Per client (RFC 9449 section 5.2 `dpop_bound_access_tokens`): every token
-- request must carry a proof.
ALTER TABLE oauth_clients ADD COLUMN dpop_required BOOLEAN NOT NULL DEFAULT FALSE;
-- Per site: proofs must carry a fresh server nonce (section 8).
ALTER TABLE sites ADD COLUMN dpop_nonce_required BOOLEAN NOT NULL DEFAULT FALSE;
