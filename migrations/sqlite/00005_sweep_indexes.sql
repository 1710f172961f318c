-- +goose Up
-- The sweep's candidate queries (models/sweep.go), each a range scan of a
-- partial index that holds little more than the rows it could act on, so
-- that a sweep with nothing to do reads a few index pages, not the table.
-- The conditions are repeated literally in the queries: a partial index
-- serves only a query that states its condition.
--
-- Deadline escalation: active requests by level, then deadline, so that
-- each level's range (level 0 due within the warning window, level 1
-- overdue, level 2 past grace) holds only the requests to raise, not those
-- already at the level their deadline demands.
CREATE INDEX requests_sweep_deadline ON requests (escalation_level, deadline_at, id)
    WHERE status IN ('open', 'in_progress', 'awaiting_requester');
-- Acknowledgement escalation: unacknowledged active or unverified requests
-- by acknowledgement due date.
CREATE INDEX requests_sweep_ack ON requests (ack_due_at, escalation_level, id)
    WHERE acknowledged_at IS NULL AND status IN ('pending_verification', 'open', 'in_progress', 'awaiting_requester');
-- Retention: closed requests not yet redacted, by closing time (the
-- redacted ones, which pile up over the years, are not in it).
CREATE INDEX requests_sweep_retention ON requests (closed_at, id)
    WHERE closed_at IS NOT NULL AND redacted_at IS NULL;

-- +goose Down
DROP INDEX requests_sweep_retention;
DROP INDEX requests_sweep_ack;
DROP INDEX requests_sweep_deadline;
