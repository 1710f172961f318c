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

-- The queue's search by name matches the beginnings of the words of the
-- name (case and accents folded), through a full-text index over the name
-- column (FTS4, compiled into the driver). It is an external-content
-- index: it holds no copy of the names, only their tokens, kept in step by
-- triggers, so a purge or a redaction (the name set to '') removes them.
-- Rows are matched by rowid, which SQLite keeps unless the file is
-- VACUUMed (rightsdesk never does).
CREATE VIRTUAL TABLE requests_name_fts USING fts4(content="requests", name, tokenize=unicode61);
-- +goose StatementBegin
CREATE TRIGGER requests_name_fts_bu BEFORE UPDATE OF name ON requests BEGIN
    DELETE FROM requests_name_fts WHERE docid = old.rowid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER requests_name_fts_bd BEFORE DELETE ON requests BEGIN
    DELETE FROM requests_name_fts WHERE docid = old.rowid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER requests_name_fts_au AFTER UPDATE OF name ON requests BEGIN
    INSERT INTO requests_name_fts (docid, name) VALUES (new.rowid, new.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER requests_name_fts_ai AFTER INSERT ON requests BEGIN
    INSERT INTO requests_name_fts (docid, name) VALUES (new.rowid, new.name);
END;
-- +goose StatementEnd
INSERT INTO requests_name_fts (requests_name_fts) VALUES ('rebuild');
-- Statistics for the new indexes: without them the planner guesses that
-- status = ? narrows requests_queue_str to a handful of rows and sorts
-- every completed request instead of reading requests_queue in order.
ANALYZE requests;

-- +goose Down
DROP TRIGGER requests_name_fts_ai;
DROP TRIGGER requests_name_fts_au;
DROP TRIGGER requests_name_fts_bd;
DROP TRIGGER requests_name_fts_bu;
DROP TABLE requests_name_fts;
DROP INDEX requests_queue_str;
DROP INDEX requests_queue_escalation;
DROP INDEX requests_queue_regime;
DROP INDEX requests_queue_type;
