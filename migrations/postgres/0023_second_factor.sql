-- Second factors (TOTP with recovery codes) and step-up authentication
-- (issue 13 items 2 and 3).

-- Per-site second-factor policy: `optional`, `admins` (required of
-- administrators) or `everyone`.
ALTER TABLE sites ADD COLUMN second_factor_policy TEXT NOT NULL DEFAULT 'optional';

-- How a session was authenticated: the RFC 8176 methods of its last real
-- authentication (space-separated, empty when unknown) and when that was
-- (NULL: when the session began).
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN auth_time BIGINT;

-- What the ID token of a code says about the authentication behind it.
ALTER TABLE oauth_codes ADD COLUMN amr TEXT;
ALTER TABLE oauth_codes ADD COLUMN acr TEXT;

-- A user's TOTP secret (RFC 6238), sealed under the master key. Unconfirmed
-- (confirmed_at NULL) while the user is enrolling. last_used_step is the
-- last time step a code was accepted for: no code of it or an earlier step
-- is accepted again.
CREATE TABLE user_totp (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    sealed_secret TEXT NOT NULL,
    confirmed_at BIGINT,
    last_used_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes: a keyed hash (HMAC-SHA256 under a key derived
-- from the master key) of each, never the code.
CREATE TABLE recovery_codes (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX recovery_codes_user_hash ON recovery_codes (user_id, code_hash);

-- Half-finished sign-ins: the password was right, the second factor (or
-- its enrolment, under a policy that requires one) is still to come. The
-- browser holds a random token in a cookie; only its hash is stored. Single
-- use, a few minutes long; the janitor deletes old rows.
CREATE TABLE pending_signins (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    amr TEXT NOT NULL,
    session_id BIGINT REFERENCES sessions (id) ON DELETE SET NULL,
    ip TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX pending_signins_expires ON pending_signins (expires_at);
