-- The site's other token kinds: browser API tokens (3.2), server API tokens
-- (3.3) and legacy site API keys with their usage report (3.6).

CREATE TABLE browser_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The canonical comma-separated list of trusted origin patterns.
    origins TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX browser_tokens_site ON browser_tokens (site_id);

CREATE TABLE server_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The secret sealed with crypto::aead under the master key, never plain.
    sealed_secret TEXT NOT NULL,
    -- When set, the token may only act as this user.
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    jit BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX server_tokens_site ON server_tokens (site_id);

-- One current key per site (rotated_at IS NULL); rotated keys stay so the
-- usage report can still name them.
CREATE TABLE legacy_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    sealed_key TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT
);
CREATE UNIQUE INDEX legacy_keys_current ON legacy_keys (site_id) WHERE rotated_at IS NULL;

CREATE TABLE legacy_usage (
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    key_id BIGINT NOT NULL REFERENCES legacy_keys (id) ON DELETE CASCADE,
    -- `apikey` or `impersonation`.
    kind TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    count BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (key_id, kind, client_ip)
);
CREATE INDEX legacy_usage_site ON legacy_usage (site_id);
