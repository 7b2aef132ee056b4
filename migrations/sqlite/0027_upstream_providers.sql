-- Signing in with another OpenID provider (brokering, issue 13 item 6).

-- The upstream OpenID providers a site offers on its sign-in page, found by
-- discovery from their issuer. The client secret Tessera holds at the
-- provider is sealed under the master key (crypto::aead), never stored in
-- plain text. `link_by_email`: a first sign-in whose email the provider
-- says is verified is linked to the local account with that email.
-- `create_accounts`: a first sign-in that links to nothing creates an
-- account just in time (the identity-token exchange's rules).
CREATE TABLE upstream_providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    sealed_client_secret TEXT NOT NULL,
    link_by_email BOOLEAN NOT NULL DEFAULT FALSE,
    create_accounts BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, name)
);

-- Which local account an upstream identity (provider, subject) signs in
-- to: one account per identity, any number of identities per account.
CREATE TABLE upstream_identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    provider_id BIGINT NOT NULL REFERENCES upstream_providers (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    email TEXT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    UNIQUE (provider_id, subject)
);
CREATE INDEX upstream_identities_user ON upstream_identities (site_id, user_id);

-- Sign-ins in progress at an upstream provider (`state`, `nonce`, PKCE
-- verifier, where to go next) and identities waiting for a password to be
-- linked: sealed JSON under the SHA-256 of a random id that the browser
-- holds in a short-lived cookie. Taken (deleted) on use, so each is used
-- once by whichever process gets it. The janitor deletes expired rows.
CREATE TABLE upstream_flows (
    key_hash TEXT PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    sealed_state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX upstream_flows_expires ON upstream_flows (expires_at);
