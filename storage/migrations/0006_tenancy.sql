-- Feeds belong to the servers that added them; guild_id '' is the
-- operator's config, shared by every server. A URL is still one row in
-- feeds (fetched once), with one owner row per server that added it.
CREATE TABLE feed_owners (
    url      TEXT    NOT NULL,
    guild_id TEXT    NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (url, guild_id)
) STRICT;
CREATE INDEX feed_owners_guild ON feed_owners (guild_id, url);

-- Every feed keeps the owner it was stored with ('' for config feeds).
INSERT INTO feed_owners (url, guild_id, added_at) SELECT url, guild_id, added_at FROM feeds;
-- A server whose subscriptions name a server's feed keeps it: before this
-- migration a second server could subscribe to a URL another had added,
-- and its subscriptions must go on working. (Config feeds are everyone's
-- already.) Lists are joined by U+001F, matched whole-item.
INSERT OR IGNORE INTO feed_owners (url, guild_id, added_at)
    SELECT f.url, s.guild_id, f.added_at FROM feeds f
    JOIN subscriptions s ON s.feeds != '' AND instr(char(31) || s.feeds || char(31), char(31) || f.url || char(31)) > 0
    WHERE f.guild_id != '';

-- How many new items a poll of the feed usually brings (a moving average),
-- so a poll bringing far more is seen as a burst and folded.
ALTER TABLE feeds ADD COLUMN new_items_avg REAL NOT NULL DEFAULT 0;

-- An alert past its channel's hourly pace, or from a burst, is not sent on
-- its own: it is folded into one digest message (a row with is_digest = 1),
-- and digest_id says which.
ALTER TABLE outbox ADD COLUMN is_digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN digest_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_channel_created ON outbox (channel_id, created_at);
CREATE INDEX outbox_digest ON outbox (digest_id) WHERE digest_id != 0;

-- /recent and /watch test read a server's newest stories feed by feed.
CREATE INDEX stories_feed_first_seen ON stories (feed_url, first_seen);

-- Per-server caps count a server's subscriptions and briefings.
CREATE INDEX subscriptions_guild ON subscriptions (guild_id);
CREATE INDEX briefings_guild ON briefings (guild_id);

-- Which server an alert is for, so that what it shows beside its story
-- (other outlets of the event) comes only from feeds that server may see.
ALTER TABLE outbox ADD COLUMN guild_id TEXT NOT NULL DEFAULT '';
UPDATE outbox SET guild_id = coalesce((SELECT s.guild_id FROM subscriptions s WHERE s.id = outbox.subscription_id), '');
