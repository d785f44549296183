-- 0009_storm_threads: the thread each channel's storm listings go to, so
-- that the replica (or restart) that lists next keeps to it instead of
-- opening a second one. Conventions as in 0001.

-- A channel's row is replaced when a new storm thread opens; opened_at
-- says when, and a thread older than the lister's limit is not reused.
CREATE TABLE storm_threads (
	channel   TEXT NOT NULL PRIMARY KEY,
	ts        TEXT NOT NULL,
	opened_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
