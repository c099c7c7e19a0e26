-- PostgreSQL's words for migrations/0010_peer_shard_count.sql.
ALTER TABLE peers ADD COLUMN shard_count BIGINT NOT NULL DEFAULT 0;
