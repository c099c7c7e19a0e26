-- Stories keep two sets of places: the focus (what the story is about, in
-- countries and regions) and every place it mentions. Rows stored before
-- this migration have mention-level tags in countries and regions; they are
-- read as both (see scanStory).
ALTER TABLE stories ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
ALTER TABLE stories ADD COLUMN mention_regions TEXT NOT NULL DEFAULT '';

-- A subscription's regions match a story's focus unless it asks for every
-- mention; existing subscriptions keep matching by focus.
ALTER TABLE subscriptions ADD COLUMN scope TEXT NOT NULL DEFAULT 'focus';

-- Region slugs that duplicated another region are aliases now; stored
-- subscriptions and briefings use the canonical slug. Lists are joined by
-- U+001F, so each slug is matched whole between separators.
UPDATE subscriptions SET regions = trim(
    replace(replace(replace(replace(char(31) || regions || char(31),
        char(31) || 'eastern-asia' || char(31), char(31) || 'east-asia' || char(31)),
        char(31) || 'south-eastern-asia' || char(31), char(31) || 'southeast-asia' || char(31)),
        char(31) || 'southern-asia' || char(31), char(31) || 'south-asia' || char(31)),
        char(31) || 'northern-america' || char(31), char(31) || 'north-america' || char(31)),
    char(31));
UPDATE briefings SET regions = trim(
    replace(replace(replace(replace(char(31) || regions || char(31),
        char(31) || 'eastern-asia' || char(31), char(31) || 'east-asia' || char(31)),
        char(31) || 'south-eastern-asia' || char(31), char(31) || 'southeast-asia' || char(31)),
        char(31) || 'southern-asia' || char(31), char(31) || 'south-asia' || char(31)),
        char(31) || 'northern-america' || char(31), char(31) || 'north-america' || char(31)),
    char(31));
