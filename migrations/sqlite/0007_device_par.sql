-- Device authorization grant (RFC 8628), pushed authorization requests
-- (RFC 9126) and dynamic client registration (RFC 7591/7592). Device codes,
-- user codes, request URIs and registration tokens are stored only as
-- SHA-256 hashes.

-- Per site: whether every authorization request must be pushed first, and
-- who may register clients (closed, open, token).
ALTER TABLE sites ADD COLUMN par_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE sites ADD COLUMN registration_policy TEXT NOT NULL DEFAULT 'closed';
ALTER TABLE oauth_clients ADD COLUMN par_required BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE oauth_device_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code_hash TEXT NOT NULL,
    client_pk BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    -- pending, approved, denied, redeemed
    status TEXT NOT NULL DEFAULT 'pending',
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    interval_secs BIGINT NOT NULL,
    last_polled_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    UNIQUE (site_id, user_code_hash)
);
CREATE INDEX oauth_device_codes_client ON oauth_device_codes (client_pk);
CREATE INDEX oauth_device_codes_expires ON oauth_device_codes (expires_at);

CREATE TABLE oauth_pushed_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    request_uri_hash TEXT NOT NULL UNIQUE,
    client_pk BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    -- The validated authorization request, as JSON.
    parameters TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX oauth_pushed_requests_client ON oauth_pushed_requests (client_pk);
CREATE INDEX oauth_pushed_requests_expires ON oauth_pushed_requests (expires_at);

-- RFC 7592: the registration access token of a dynamically registered client.
CREATE TABLE oauth_client_registrations (
    client_pk BIGINT PRIMARY KEY REFERENCES oauth_clients (id) ON DELETE CASCADE,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    token_endpoint_auth_method TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- RFC 7591 initial access tokens minted by an admin, optionally for a user
-- (who then owns the clients registered with it).
CREATE TABLE oauth_initial_access_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
