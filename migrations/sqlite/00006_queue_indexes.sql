-- +goose Up
-- The staff queue orders by (deadline_at, id) and stops after a page, at
-- any depth, under any filter: each filter leads an index that is already
-- in that order, so a page is one range of one index, never a scan of the
-- rows that do not match. status and assignee lead requests_queue and
-- requests_assignee (00001); these add type, regime and escalation level,
-- and all three of status, type and regime together: a filter on two of
-- them is answered as one range of requests_queue_str per value of the
-- third (models.ListRequests), a rare combination included.
CREATE INDEX requests_queue_type ON requests (type, deadline_at, id);
CREATE INDEX requests_queue_regime ON requests (regime, deadline_at, id);
CREATE INDEX requests_queue_escalation ON requests (escalation_level, deadline_at, id);
CREATE INDEX requests_queue_str ON requests (status, type, regime, deadline_at, id);

-- Statistics for the new indexes: without them the planner guesses that
-- status = ? narrows requests_queue_str to a handful of rows and sorts
-- every completed request instead of reading requests_queue in order.
ANALYZE requests;

-- +goose Down
DROP INDEX requests_queue_str;
DROP INDEX requests_queue_escalation;
DROP INDEX requests_queue_regime;
DROP INDEX requests_queue_type;
