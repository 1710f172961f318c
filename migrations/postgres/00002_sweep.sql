-- +goose Up
-- Redaction (expiry, retention) clears an event's note; the hash chain covers
-- the note's SHA-256, kept here, so the chain still verifies afterwards.
ALTER TABLE request_events ADD COLUMN note_digest TEXT NOT NULL DEFAULT '';
-- When the request's personal data was purged or redacted; NULL while kept.
ALTER TABLE requests ADD COLUMN redacted_at TIMESTAMPTZ;
-- The retention sweep finds closed requests by closing time.
CREATE INDEX requests_closed ON requests (closed_at);
-- The expiry sweep finds unverified requests by submission time.
CREATE INDEX requests_created ON requests (status, created_at);
-- The yearly metrics report selects by receipt time.
CREATE INDEX requests_received ON requests (received_at);

-- +goose Down
DROP INDEX requests_received;
DROP INDEX requests_created;
DROP INDEX requests_closed;
ALTER TABLE requests DROP COLUMN redacted_at;
ALTER TABLE request_events DROP COLUMN note_digest;
