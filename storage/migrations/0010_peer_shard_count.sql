-- The gateway shard count each process uses, 0 until it knows. Processes
-- that share a bot must all use one count (a server's events go to shard
-- (server_id >> 22) % count): one that starts while others run takes
-- theirs, rather than Discord's recommendation of the moment.
ALTER TABLE peers ADD COLUMN shard_count INTEGER NOT NULL DEFAULT 0;
