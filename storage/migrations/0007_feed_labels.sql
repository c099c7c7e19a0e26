-- What a server calls a feed, where its site is and which folder it sits in,
-- as given by an OPML import (or `vigil feeds add --title/--category`), so
-- that exporting gives back the list a feed reader exported. Per owner:
-- two servers may file one URL differently.
ALTER TABLE feed_owners ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE feed_owners ADD COLUMN site_url TEXT NOT NULL DEFAULT '';
ALTER TABLE feed_owners ADD COLUMN category TEXT NOT NULL DEFAULT '';
