-- PostgreSQL's words for migrations/0006_tenancy.sql.
CREATE TABLE feed_owners (
    url      TEXT COLLATE "C" NOT NULL,
    guild_id TEXT COLLATE "C" NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (url, guild_id)
);
CREATE INDEX feed_owners_guild ON feed_owners (guild_id, url);

INSERT INTO feed_owners (url, guild_id, added_at) SELECT url, guild_id, added_at FROM feeds;
INSERT INTO feed_owners (url, guild_id, added_at)
    SELECT f.url, s.guild_id, f.added_at FROM feeds f
    JOIN subscriptions s ON s.feeds != '' AND strpos(chr(31) || s.feeds || chr(31), chr(31) || f.url || chr(31)) > 0
    WHERE f.guild_id != ''
    ON CONFLICT DO NOTHING;

ALTER TABLE feeds ADD COLUMN new_items_avg DOUBLE PRECISION NOT NULL DEFAULT 0;

ALTER TABLE outbox ADD COLUMN is_digest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN digest_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outbox_channel_created ON outbox (channel_id, created_at);
CREATE INDEX outbox_digest ON outbox (digest_id) WHERE digest_id != 0;

CREATE INDEX stories_feed_first_seen ON stories (feed_url, first_seen);

CREATE INDEX subscriptions_guild ON subscriptions (guild_id);
CREATE INDEX briefings_guild ON briefings (guild_id);

ALTER TABLE outbox ADD COLUMN guild_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE outbox SET guild_id = coalesce((SELECT s.guild_id FROM subscriptions s WHERE s.id = outbox.subscription_id), '');
