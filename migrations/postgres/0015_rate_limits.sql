-- Rate limits shared by every node (issue 11, item 5).

-- A site's own limits, overriding the deployment's TESSERA_RATE_LIMITS:
-- entries such as `token.per_client=100/s,register.per_ip=off`; empty
-- means the deployment's limits apply.
ALTER TABLE sites ADD COLUMN rate_limits TEXT NOT NULL DEFAULT '';

-- One counter per key (site, endpoint, per-client or per-IP, subject) and
-- fixed window. Nodes raise it a chunk at a time and spend the chunk
-- locally; the janitor deletes windows that are over.
CREATE TABLE rate_windows (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_windows_end ON rate_windows (window_end);
