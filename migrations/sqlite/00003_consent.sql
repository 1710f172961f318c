-- +goose Up
-- A consent subject is a person as host applications name them: by
-- normalised email, by the host's own subject_id, or both once an event
-- names both (then they are linked for good).
CREATE TABLE consent_subjects (
    id         TEXT PRIMARY KEY,
    email_norm TEXT UNIQUE,
    subject_id TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Consent events are the record: append-only, guarded by the triggers below.
-- The event id is also the receipt id.
CREATE TABLE consent_events (
    id             TEXT PRIMARY KEY,
    subject        TEXT NOT NULL REFERENCES consent_subjects (id),
    purpose        TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('grant', 'withdraw')),
    source         TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    evidence       TEXT NOT NULL DEFAULT '',
    actor          TEXT NOT NULL,
    external_id    TEXT UNIQUE,
    at             TIMESTAMP NOT NULL,
    recorded_at    TIMESTAMP NOT NULL
);
CREATE INDEX consent_events_subject ON consent_events (subject, at);

-- +goose StatementBegin
CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is append-only');
END;
-- +goose StatementEnd

-- The current state per subject and purpose: the latest event by time,
-- kept in the same transaction as the event so that the hot-path check
-- reads one row. Derived from consent_events; a purpose without a row here
-- is at the policy's default.
CREATE TABLE consent_states (
    subject  TEXT NOT NULL REFERENCES consent_subjects (id),
    purpose  TEXT NOT NULL,
    granted  BOOLEAN NOT NULL,
    since    TIMESTAMP NOT NULL,
    source   TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (subject, purpose)
);

-- Consent-center links: like link_tokens, stored only as keyed hashes, but
-- they open a subject's consent center rather than a request.
CREATE TABLE consent_links (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    subject    TEXT NOT NULL REFERENCES consent_subjects (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX consent_links_subject ON consent_links (subject);

-- Webhook endpoints of host applications. The signing secret is not
-- stored: it is derived from RIGHTSDESK_SECRET and the endpoint's id.
CREATE TABLE webhook_endpoints (
    id          TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    disabled_at TIMESTAMP
);

-- The webhook outbox: written in the same transaction as the change it
-- announces, delivered with retries; the id is the delivery's idempotency key.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP TABLE consent_links;
DROP TABLE consent_states;
DROP TRIGGER consent_events_no_delete;
DROP TRIGGER consent_events_no_update;
DROP TABLE consent_events;
DROP TABLE consent_subjects;
