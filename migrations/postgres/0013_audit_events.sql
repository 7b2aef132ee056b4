-- Security-relevant events, append-only: nothing updates a row; the janitor
-- deletes rows older than the retention period (TESSERA_AUDIT_RETENTION_DAYS).
-- `actor_*` says who did it (a user, a client, or a label such as `cli`),
-- `subject_*` whom or what it was done to. `details` is a JSON object that
-- never holds a secret.
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    site_id BIGINT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    occurred_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor_user_id BIGINT,
    actor_client_id TEXT,
    actor_label TEXT,
    subject_user_id BIGINT,
    subject_client_id TEXT,
    ip TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_events_site_time ON audit_events (site_id, occurred_at);
CREATE INDEX audit_events_occurred ON audit_events (occurred_at);
CREATE INDEX audit_events_actor_user ON audit_events (site_id, actor_user_id);
CREATE INDEX audit_events_subject_user ON audit_events (site_id, subject_user_id);

-- How far each delivery sink (the webhook) got: the last event id it
-- delivered, and which process holds the right to deliver until when, so
-- two processes do not post the same batch.
CREATE TABLE audit_delivery (
    sink TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    lease_owner TEXT,
    leased_until BIGINT NOT NULL
);
