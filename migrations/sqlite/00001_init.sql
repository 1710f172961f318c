-- +goose Up
-- Timestamps are declared TIMESTAMP so that mattn/go-sqlite3 parses them back
-- into time.Time; every value is written in UTC.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE staff_users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP,
    disabled_at   TIMESTAMP
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);

CREATE TABLE requests (
    id                TEXT PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    type              TEXT NOT NULL,
    status            TEXT NOT NULL,
    regime            TEXT NOT NULL,
    relationship      TEXT NOT NULL,
    source            TEXT NOT NULL,
    email             TEXT NOT NULL,
    email_norm        TEXT NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    country           TEXT NOT NULL DEFAULT '',
    region            TEXT NOT NULL DEFAULT '',
    details           TEXT NOT NULL DEFAULT '',
    scope             TEXT NOT NULL DEFAULT '[]',
    purposes          TEXT NOT NULL DEFAULT '[]',
    corrections       TEXT NOT NULL DEFAULT '[]',
    nominee           TEXT,
    related_reference TEXT NOT NULL DEFAULT '',
    concerns_child    BOOLEAN NOT NULL DEFAULT FALSE,
    received_at       TIMESTAMP NOT NULL,
    verified_at       TIMESTAMP,
    due_at            TIMESTAMP NOT NULL,
    extended_due_at   TIMESTAMP,
    deadline_at       TIMESTAMP NOT NULL,
    ack_due_at        TIMESTAMP,
    acknowledged_at   TIMESTAMP,
    awaiting_since    TIMESTAMP,
    assignee          TEXT NOT NULL DEFAULT '',
    escalation_level  INTEGER NOT NULL DEFAULT 0,
    closed_at         TIMESTAMP,
    outcome           TEXT NOT NULL DEFAULT '',
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
-- The staff queue: filter by status, order by the effective deadline, then id
-- (the keyset cursor).
CREATE INDEX requests_queue ON requests (status, deadline_at, id);
CREATE INDEX requests_deadline ON requests (deadline_at, id);
CREATE INDEX requests_email ON requests (email_norm);
CREATE INDEX requests_assignee ON requests (assignee, deadline_at, id);

CREATE TABLE request_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT NOT NULL REFERENCES requests (id),
    seq         INTEGER NOT NULL,
    at          TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    internal    BOOLEAN NOT NULL DEFAULT FALSE,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
-- One event per position in a request's chain: two writers racing on one
-- request cannot fork its chain.
CREATE UNIQUE INDEX request_events_chain ON request_events (request_id, seq);

CREATE TABLE link_tokens (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    purpose    TEXT NOT NULL,
    request_id TEXT NOT NULL REFERENCES requests (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX link_tokens_request ON link_tokens (request_id);

CREATE TABLE outbox_messages (
    id              TEXT PRIMARY KEY,
    template        TEXT NOT NULL,
    request_id      TEXT REFERENCES requests (id),
    to_addr         TEXT NOT NULL,
    from_addr       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    provider_id     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_due ON outbox_messages (status, next_attempt_at);
CREATE INDEX outbox_request ON outbox_messages (request_id);

-- +goose Down
DROP TABLE outbox_messages;
DROP TABLE link_tokens;
DROP TABLE request_events;
DROP TABLE requests;
DROP TABLE api_keys;
DROP TABLE staff_users;
DROP TABLE settings;
