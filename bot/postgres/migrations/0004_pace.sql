-- 0003_pace: the outbox's token buckets, shared by the replicas, as in
-- SQLite's 0006 (see there and internal/pace). Times are BIGINT Unix
-- microseconds, not the TEXT of the other tables: the take computes with
-- them in SQL.
CREATE TABLE pace (
	key      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	tokens   DOUBLE PRECISION NOT NULL,  -- the level at last_us; negative while slots are reserved
	last_us  BIGINT NOT NULL,            -- may lie in the future, after a pause
	until_us BIGINT NOT NULL             -- end of the latest 429 pause; 0 if none
);
