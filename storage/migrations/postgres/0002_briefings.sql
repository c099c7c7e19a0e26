-- PostgreSQL's words for migrations/0002_briefings.sql.
CREATE TABLE briefings (
    channel_id   TEXT COLLATE "C" PRIMARY KEY,
    guild_id     TEXT COLLATE "C" NOT NULL,
    at           TEXT COLLATE "C" NOT NULL,
    timezone     TEXT COLLATE "C" NOT NULL,
    regions      TEXT COLLATE "C" NOT NULL DEFAULT '',
    query        TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_period  TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_sent_at BIGINT NOT NULL DEFAULT 0,
    created_by   TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL
);
