-- Email and self-service accounts (issue 13 items 4 and 5): a durable
-- outbox of messages to send, single-use links (password reset, email
-- verification, invitations), per-site sign-up policy and sender address,
-- and the verification state of users' email addresses.

-- Per site: who may create an account (`closed`, `open` or `invite`) and
-- the "From" of the site's messages (the deployment's default when NULL).
ALTER TABLE sites ADD COLUMN signup_policy TEXT NOT NULL DEFAULT 'closed';
ALTER TABLE sites ADD COLUMN email_from TEXT;

-- When the user proved they read mail at `email`; and whether the account
-- may not sign in until they do (accounts created by sign-up).
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
ALTER TABLE users ADD COLUMN awaiting_verification BOOLEAN NOT NULL DEFAULT FALSE;

-- An address belongs to one local account per site, whatever its case.
-- Accounts of external identities keep what their provider says.
CREATE UNIQUE INDEX users_local_email
    ON users (site_id, lower(email))
    WHERE email IS NOT NULL AND external_issuer IS NULL;

-- Messages to send. The whole message (recipient, subject, bodies) is
-- sealed under the master key: it may carry a one-time link.
CREATE TABLE outbound_emails (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    sealed_message TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbound_emails_due ON outbound_emails (next_attempt_at);

-- Single-use links sent by email; only the token's SHA-256 is stored.
CREATE TABLE account_links (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    -- `password-reset`, `verify-email` or `invite`.
    purpose TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    -- The address the link was sent to.
    email TEXT NOT NULL,
    -- Invitations: the role the new account gets.
    role TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_links_user ON account_links (site_id, user_id);
CREATE INDEX account_links_expires ON account_links (expires_at);
