-- PostgreSQL's words for migrations/0008_peers.sql.
CREATE TABLE peers (
    id         TEXT COLLATE "C" PRIMARY KEY,
    host       TEXT COLLATE "C" NOT NULL,
    pid        BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE leases (
    name       TEXT COLLATE "C" PRIMARY KEY,
    holder     TEXT COLLATE "C" NOT NULL,
    taken_at   BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX leases_holder ON leases (holder);
