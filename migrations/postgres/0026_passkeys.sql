-- Passkeys (WebAuthn, issue 13 item 1).

-- A user's passkeys on one site. The credential as webauthn-rs keeps it
-- (public key, counter, flags) is stored as its JSON; the credential id
-- (base64url) is unique per site, and the user handle (a UUID, the same
-- for all of a user's passkeys on the site) is what a discoverable
-- assertion names.
CREATE TABLE passkeys (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_handle TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    name TEXT NOT NULL,
    credential TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    UNIQUE (site_id, credential_id)
);
CREATE INDEX passkeys_user ON passkeys (site_id, user_id);

-- Registration and sign-in ceremonies in progress: the webauthn-rs state
-- (holding the challenge) under the SHA-256 of a random ceremony id kept in
-- a short-lived cookie. Taken (deleted) when the answer comes back, so each
-- challenge is used once by whichever process gets it; a registration is
-- bound to the session that began it. The janitor deletes expired rows.
CREATE TABLE passkey_ceremonies (
    key_hash TEXT PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    session_id BIGINT,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies (expires_at);
