-- Credentials that may be used once (sign-in links): the hash of each one
-- used, kept until its validity window ends, so a replay is refused by every
-- process that shares this database. The janitor deletes expired rows.
CREATE TABLE used_once (
    key_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_once_expires ON used_once (expires_at);
