-- PostgreSQL's words for migrations/0011_unfinished_polls.sql.
ALTER TABLE feeds ADD COLUMN unfinished_saved BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN unfinished_burst BIGINT NOT NULL DEFAULT 0;
