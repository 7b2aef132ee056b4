-- Sites, their host names, users, sign-in sessions and the change feed that
-- keeps every process's caches honest. Times are Unix seconds.

CREATE TABLE sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    session_ttl_secs BIGINT NOT NULL DEFAULT 604800,
    created_at BIGINT NOT NULL
);

CREATE TABLE site_hosts (
    host TEXT PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE
);
CREATE INDEX site_hosts_site ON site_hosts (site_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('community', 'pro', 'admin')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    external_issuer TEXT,
    external_subject TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (site_id, username)
);
CREATE UNIQUE INDEX users_external_identity
    ON users (site_id, external_issuer, external_subject)
    WHERE external_issuer IS NOT NULL;

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    method TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (site_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    subject BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX changes_created ON changes (created_at);
