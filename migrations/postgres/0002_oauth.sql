-- OAuth 2.0: clients, remembered consent, authorization codes, grants (one
-- per authorization, the family its refresh tokens rotate within) and
-- tokens. Times are Unix seconds; tokens, codes and secrets are stored only
-- as hashes.

ALTER TABLE sites ADD COLUMN access_token_ttl_secs BIGINT NOT NULL DEFAULT 3600;
ALTER TABLE sites ADD COLUMN admin_access_token_ttl_secs BIGINT NOT NULL DEFAULT 900;
ALTER TABLE sites ADD COLUMN refresh_token_ttl_secs BIGINT NOT NULL DEFAULT 1209600;
-- Seconds during which a rotated refresh token may be used again (0: never).
ALTER TABLE sites ADD COLUMN refresh_grace_secs BIGINT NOT NULL DEFAULT 0;

CREATE TABLE oauth_clients (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    homepage_url TEXT,
    -- One URI per line.
    redirect_uris TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    secret_hash TEXT,
    -- Space separated.
    scopes TEXT NOT NULL,
    grant_types TEXT NOT NULL,
    owner_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX oauth_clients_site_owner ON oauth_clients (site_id, owner_user_id);

CREATE TABLE oauth_consents (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_pk BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (site_id, user_id, client_pk)
);
CREATE INDEX oauth_consents_client ON oauth_consents (client_pk);

CREATE TABLE oauth_grants (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    client_pk BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_grants_user_client ON oauth_grants (site_id, user_id, client_pk);
CREATE INDEX oauth_grants_client ON oauth_grants (client_pk);
CREATE INDEX oauth_grants_expires ON oauth_grants (expires_at);

CREATE TABLE oauth_codes (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    client_pk BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT,
    -- The grant the first redemption created; revoked if the code comes back.
    grant_id BIGINT REFERENCES oauth_grants (id) ON DELETE SET NULL
);
CREATE INDEX oauth_codes_client ON oauth_codes (client_pk);
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);

CREATE TABLE oauth_tokens (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_pk BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    grant_id BIGINT REFERENCES oauth_grants (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Refresh tokens: when this one was exchanged for its successor.
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_client ON oauth_tokens (client_pk);
CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at);
