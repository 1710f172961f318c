-- +goose Up
-- The same schema as migrations/sqlite/00004 with PostgreSQL types.
-- A data system is one of the company's systems that holds personal data.
-- It is sent a job (webhook_url) or worked by staff (manual). Its signing
-- secret is derived from RIGHTSDESK_SECRET and secret_version, never stored;
-- its API key is stored only as a keyed hash.
CREATE TABLE data_systems (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    request_types  TEXT NOT NULL,
    webhook_url    TEXT NOT NULL DEFAULT '',
    manual         BOOLEAN NOT NULL DEFAULT FALSE,
    key_prefix     TEXT NOT NULL,
    key_hash       TEXT NOT NULL UNIQUE,
    secret_version INTEGER NOT NULL DEFAULT 1,
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    disabled_at    TIMESTAMPTZ
);

-- A task is one system's share of one request, created when the request is
-- started. result_path names the spooled answer (with its data) on disk.
CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    system_id    TEXT NOT NULL REFERENCES data_systems (id),
    system_name  TEXT NOT NULL,
    manual       BOOLEAN NOT NULL DEFAULT FALSE,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'done', 'failed')),
    note         TEXT NOT NULL DEFAULT '',
    kept         TEXT NOT NULL DEFAULT '',
    changed      TEXT NOT NULL DEFAULT '',
    tables       TEXT NOT NULL DEFAULT '',
    result_path  TEXT NOT NULL DEFAULT '',
    answered_by  TEXT NOT NULL DEFAULT '',
    answered_at  TIMESTAMPTZ,
    escalated_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_request ON tasks (request_id, created_at);
CREATE INDEX tasks_open ON tasks (status, created_at);

-- The job outbox: a webhook system's job, written in the transaction that
-- starts the request, sent signed with retries; the id is the job_id.
CREATE TABLE task_jobs (
    id              TEXT PRIMARY KEY,
    task_id         TEXT NOT NULL REFERENCES tasks (id),
    system_id       TEXT NOT NULL REFERENCES data_systems (id),
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    locked_until    TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    last_status     INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ
);
CREATE INDEX task_jobs_due ON task_jobs (status, next_attempt_at);

-- The ZIP package of an access or export request, on disk until expires_at.
CREATE TABLE packages (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL UNIQUE REFERENCES requests (id),
    path        TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    downloads   INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
);
CREATE INDEX packages_expiry ON packages (deleted_at, expires_at);

-- +goose Down
DROP TABLE packages;
DROP TABLE task_jobs;
DROP TABLE tasks;
DROP TABLE data_systems;
