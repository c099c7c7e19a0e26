-- PostgreSQL's words for migrations/0004_focus.sql. A database created on
-- PostgreSQL has no rows yet at this step, but the updates are kept so the
-- two engines' schemas stay one history.
ALTER TABLE stories ADD COLUMN mentions TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE stories ADD COLUMN mention_regions TEXT COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE subscriptions ADD COLUMN scope TEXT COLLATE "C" NOT NULL DEFAULT 'focus';

UPDATE subscriptions SET regions = btrim(
    replace(replace(replace(replace(chr(31) || regions || chr(31),
        chr(31) || 'eastern-asia' || chr(31), chr(31) || 'east-asia' || chr(31)),
        chr(31) || 'south-eastern-asia' || chr(31), chr(31) || 'southeast-asia' || chr(31)),
        chr(31) || 'southern-asia' || chr(31), chr(31) || 'south-asia' || chr(31)),
        chr(31) || 'northern-america' || chr(31), chr(31) || 'north-america' || chr(31)),
    chr(31));
UPDATE briefings SET regions = btrim(
    replace(replace(replace(replace(chr(31) || regions || chr(31),
        chr(31) || 'eastern-asia' || chr(31), chr(31) || 'east-asia' || chr(31)),
        chr(31) || 'south-eastern-asia' || chr(31), chr(31) || 'southeast-asia' || chr(31)),
        chr(31) || 'southern-asia' || chr(31), chr(31) || 'south-asia' || chr(31)),
        chr(31) || 'northern-america' || chr(31), chr(31) || 'north-america' || chr(31)),
    chr(31));
