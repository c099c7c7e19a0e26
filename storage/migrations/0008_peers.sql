-- Several `vigil run` processes may share one database, each a full peer.
-- A peer says it is alive here every few seconds; one that stops saying so
-- (killed, its machine gone) is dead once expires_at passes, and the others
-- take over its work.
CREATE TABLE peers (
    id         TEXT    PRIMARY KEY,
    host       TEXT    NOT NULL,
    pid        INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- A lease is one peer's claim on a piece of work for a while: a feed to
-- poll ("feed:<url>"), a channel to send to ("channel:<id>"), a channel's
-- briefing ("briefing:<id>"). It is taken only when free or expired, so a
-- dead peer's work passes to another once its leases run out.
CREATE TABLE leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    taken_at   INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX leases_holder ON leases (holder);
