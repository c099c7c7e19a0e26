-- PostgreSQL's words for migrations/0007_feed_labels.sql.
ALTER TABLE feed_owners ADD COLUMN title TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE feed_owners ADD COLUMN site_url TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE feed_owners ADD COLUMN category TEXT COLLATE "C" NOT NULL DEFAULT '';
