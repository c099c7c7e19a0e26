-- A channel's daily briefing: when, in which timezone, and about what.
CREATE TABLE briefings (
    channel_id   TEXT PRIMARY KEY,
    guild_id     TEXT    NOT NULL,
    at           TEXT    NOT NULL, -- "HH:MM", local to timezone
    timezone     TEXT    NOT NULL, -- IANA name
    regions      TEXT    NOT NULL DEFAULT '',
    query        TEXT    NOT NULL DEFAULT '',
    -- The local date ("2006-01-02") of the last period handled, sent or
    -- skipped: the guard that makes a briefing go out once per day.
    last_period  TEXT    NOT NULL DEFAULT '',
    last_sent_at INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
) STRICT;
