-- Back-off and refusals belong to the channel, not to each alert: while a
-- channel is held nothing is sent to it, so a channel that forbids the bot
-- costs one request an hour instead of one per queued alert, and its alerts
-- keep their order.
CREATE TABLE channel_holds (
    channel_id TEXT PRIMARY KEY,
    until      INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('forbidden', 'retry', 'rate_limit')),
    reason     TEXT    NOT NULL DEFAULT '',
    failures   INTEGER NOT NULL DEFAULT 1,
    since      INTEGER NOT NULL
) STRICT;

-- When the first send whose outcome Vigil never learned left (a timeout, a
-- dropped connection, a crash). Past Discord's nonce window such an alert
-- is looked for in the channel before it is sent again.
ALTER TABLE outbox ADD COLUMN attempted_at INTEGER NOT NULL DEFAULT 0;
-- Set when Discord refused the message itself (400): it is not retried,
-- and /watch list says why.
ALTER TABLE outbox ADD COLUMN refused_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_channel_pending ON outbox (channel_id, id) WHERE state = 'pending';

-- A briefing's composition is stored before its first part is sent, so that
-- it is resumed part by part, whatever happens in between, instead of being
-- composed again with newer stories.
CREATE TABLE briefing_parts (
    channel_id   TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    part         INTEGER NOT NULL,
    parts        INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    nonce        TEXT    NOT NULL,
    attempted_at INTEGER NOT NULL DEFAULT 0,
    message_id   TEXT    NOT NULL DEFAULT '',
    sent_at      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (channel_id, period, part)
) STRICT;
