-- OpenID Connect: per-site signing keys (ID tokens, JWT access tokens), the
-- site's signing settings, the nonce and sign-in time an authorization code
-- carries into its ID token, and clients that opt into JWT access tokens.

CREATE TABLE signing_settings (
    site_id BIGINT PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    -- ES256, RS256 or EdDSA: the algorithm of keys generated from now on.
    alg TEXT NOT NULL DEFAULT 'ES256' CHECK (alg IN ('ES256', 'RS256', 'EdDSA')),
    -- The current key is replaced by the next one after this long.
    rotation_secs BIGINT NOT NULL DEFAULT 7776000
);

-- A key's life: next (published, not signing) -> current (signs) -> retired
-- (published until publish_until, then deleted).
CREATE TABLE signing_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    kid TEXT NOT NULL UNIQUE,
    alg TEXT NOT NULL CHECK (alg IN ('ES256', 'RS256', 'EdDSA')),
    state TEXT NOT NULL CHECK (state IN ('next', 'current', 'retired')),
    -- The private key (PKCS#8, or PKCS#1 for RSA) sealed with crypto::aead.
    sealed_private_key TEXT NOT NULL,
    -- The public JWK, as published.
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    publish_until BIGINT
);
-- At most one current and one next key per site: two processes rotating at
-- once cannot both win.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (site_id) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (site_id) WHERE state = 'next';
CREATE INDEX signing_keys_site ON signing_keys (site_id, state);

ALTER TABLE oauth_codes ADD COLUMN nonce TEXT;
ALTER TABLE oauth_codes ADD COLUMN auth_time BIGINT;

ALTER TABLE oauth_clients ADD COLUMN jwt_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
