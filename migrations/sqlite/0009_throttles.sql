-- Throttle counters shared by every process (sign-in per account and per
-- client IP, user codes on /device, dynamic registration, failed client
-- authentication). One row per key, e.g. `signin:acct:{site}:{username}`;
-- the decision is made on the row locked by `INSERT … ON CONFLICT`, inside
-- one write transaction, so every node counts the same attempts.
CREATE TABLE throttle_counters (
    key TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    -- The last counted attempt; a quiet spell forgets the hits.
    last_hit_at INTEGER NOT NULL,
    -- Attempts before this instant are refused (the back-off).
    next_at INTEGER NOT NULL
);
-- The janitor deletes counters nobody has touched for a while.
CREATE INDEX throttle_counters_last_hit ON throttle_counters (last_hit_at);
