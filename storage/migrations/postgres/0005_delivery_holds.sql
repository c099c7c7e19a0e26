-- PostgreSQL's words for migrations/0005_delivery_holds.sql.
CREATE TABLE channel_holds (
    channel_id TEXT COLLATE "C" PRIMARY KEY,
    until      BIGINT NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('forbidden', 'retry', 'rate_limit')),
    reason     TEXT COLLATE "C" NOT NULL DEFAULT '',
    failures   BIGINT NOT NULL DEFAULT 1,
    since      BIGINT NOT NULL
);

ALTER TABLE outbox ADD COLUMN attempted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN refused_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_channel_pending ON outbox (channel_id, id) WHERE state = 'pending';

CREATE TABLE briefing_parts (
    channel_id   TEXT COLLATE "C" NOT NULL,
    period       TEXT COLLATE "C" NOT NULL,
    part         BIGINT NOT NULL,
    parts        BIGINT NOT NULL,
    body         TEXT COLLATE "C" NOT NULL,
    nonce        TEXT COLLATE "C" NOT NULL,
    attempted_at BIGINT NOT NULL DEFAULT 0,
    message_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    sent_at      BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (channel_id, period, part)
);
