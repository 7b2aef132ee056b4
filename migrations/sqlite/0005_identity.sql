-- Trusted identity providers of a site, for identity-token exchange
-- (RFC 8693, spec 3.5). Keys come from `jwks_uri` (fetched and cached) or
-- from `jwks_json` (pasted in at registration): exactly one of the two.
-- `algorithms` is the comma-separated list of JOSE names a token may use.

CREATE TABLE identity_providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    audience TEXT NOT NULL,
    jwks_uri TEXT,
    jwks_json TEXT,
    algorithms TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, issuer),
    CHECK ((jwks_uri IS NULL) <> (jwks_json IS NULL))
);
