-- Set when another outlet reports an event a channel was recently alerted
-- about: the alert is edited to say "also reported by" instead of a second
-- message being posted.
ALTER TABLE outbox ADD COLUMN needs_edit INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_edits ON outbox (needs_edit) WHERE needs_edit = 1;
