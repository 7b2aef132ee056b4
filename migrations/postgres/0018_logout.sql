-- OpenID Connect RP-Initiated Logout 1.0 and Back-Channel Logout 1.0
-- (issue 12, item 4).

-- Where a client may send the browser after logout (one URI per line,
-- matched exactly), where it takes logout tokens (https), and whether its
-- logout tokens must name the session (`sid`).
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE oauth_clients ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;

-- The sign-in session a code was issued in, and the grant its redemption
-- created: ending the session revokes the grants of clients that take
-- back-channel logout and tells those clients. The session's `sid` is
-- derived from its id (`oauth::logout::sid`), never from its secret.
ALTER TABLE oauth_codes ADD COLUMN session_id BIGINT;
ALTER TABLE oauth_grants ADD COLUMN session_id BIGINT;
CREATE INDEX oauth_grants_session ON oauth_grants (session_id);

-- Logout tokens still to deliver, shared by every node and kept across
-- restarts. Written in the transaction that ends the session; a delivered
-- row is deleted, a failed one waits until `next_attempt_at` (exponential
-- back-off) and is dropped after a bounded number of attempts.
CREATE TABLE backchannel_logouts (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    client_pk BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    session_id BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX backchannel_logouts_due ON backchannel_logouts (next_attempt_at);
