-- Feeds Vigil polls: from the config file or added with /feeds add.
CREATE TABLE feeds (
    url                  TEXT PRIMARY KEY,
    title                TEXT    NOT NULL DEFAULT '',
    guild_id             TEXT    NOT NULL DEFAULT '',
    interval_ms          INTEGER NOT NULL DEFAULT 0,
    fetch_article        INTEGER NOT NULL DEFAULT 0,
    etag                 TEXT    NOT NULL DEFAULT '',
    last_modified        TEXT    NOT NULL DEFAULT '',
    last_poll_at         INTEGER NOT NULL DEFAULT 0,
    last_success_at      INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT    NOT NULL DEFAULT '',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_item_count      INTEGER NOT NULL DEFAULT 0,
    primed               INTEGER NOT NULL DEFAULT 0,
    added_at             INTEGER NOT NULL
) STRICT;

-- Every story seen, once per feed: the primary key is the de-duplication the
-- code relies on.
CREATE TABLE stories (
    feed_url   TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    source     TEXT    NOT NULL DEFAULT '',
    title      TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL DEFAULT '',
    url        TEXT    NOT NULL DEFAULT '',
    published  INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    countries  TEXT    NOT NULL DEFAULT '',
    regions    TEXT    NOT NULL DEFAULT '',
    summary    TEXT    NOT NULL DEFAULT '',
    cluster_id TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (feed_url, id)
) STRICT;
CREATE INDEX stories_first_seen ON stories (first_seen);
CREATE INDEX stories_cluster ON stories (cluster_id);

-- What each channel watches.
CREATE TABLE subscriptions (
    id              INTEGER PRIMARY KEY,
    guild_id        TEXT    NOT NULL,
    channel_id      TEXT    NOT NULL,
    query           TEXT    NOT NULL DEFAULT '',
    regions         TEXT    NOT NULL DEFAULT '',
    feeds           TEXT    NOT NULL DEFAULT '',
    mention_role_id TEXT    NOT NULL DEFAULT '',
    paused          INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX subscriptions_channel ON subscriptions (channel_id);

-- One row per (event, channel): written in the same transaction as the story,
-- marked sent only after Discord accepted the message. The unique key is what
-- makes "same event, one alert" hold even if two outlets race.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel_id      TEXT    NOT NULL,
    cluster_id      TEXT    NOT NULL,
    subscription_id INTEGER NOT NULL,
    feed_url        TEXT    NOT NULL,
    story_id        TEXT    NOT NULL,
    terms           TEXT    NOT NULL DEFAULT '',
    mention_role_id TEXT    NOT NULL DEFAULT '',
    nonce           TEXT    NOT NULL UNIQUE,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    message_id      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (channel_id, cluster_id)
) STRICT;
CREATE INDEX outbox_pending ON outbox (state, next_attempt_at);
