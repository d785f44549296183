-- 0006_pace: the outbox's token buckets, for replicas that share this
-- store (see internal/pace for the arithmetic). One row per lane key
-- ("post/<channel>", "update"). Unlike the other tables, times here are
-- INTEGER Unix microseconds: the take computes with them, and a pace
-- needs no more precision. The rows are transient pacing state, not
-- records: losing them costs at most one burst.
CREATE TABLE pace (
	key      TEXT NOT NULL PRIMARY KEY,
	tokens   REAL NOT NULL,     -- the level at last_us; negative while slots are reserved
	last_us  INTEGER NOT NULL,  -- may lie in the future, after a pause
	until_us INTEGER NOT NULL   -- end of the latest 429 pause; 0 if none
) STRICT, WITHOUT ROWID;
