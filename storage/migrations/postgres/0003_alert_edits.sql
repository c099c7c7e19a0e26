-- PostgreSQL's words for migrations/0003_alert_edits.sql.
ALTER TABLE outbox ADD COLUMN needs_edit BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_edits ON outbox (needs_edit) WHERE needs_edit = 1;
