-- A poll saved in parts that failed part way leaves its first parts saved.
-- The next poll brings the rest again, and must judge it as the same poll:
-- how many of its stories are already saved (for the feed's usual rate),
-- and whether the poll was a burst (so that the rest fold as the first
-- parts did, rather than alert for not being many on their own). Both go
-- back to 0 when a poll's last part is saved.
ALTER TABLE feeds ADD COLUMN unfinished_saved INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN unfinished_burst INTEGER NOT NULL DEFAULT 0;
