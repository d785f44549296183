-- 0006_storm_threads: each channel's storm thread, as in SQLite's 0009
-- (see there). Conventions as in 0001.

CREATE TABLE storm_threads (
	channel   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	ts        TEXT COLLATE "C" NOT NULL,
	opened_at TEXT COLLATE "C" NOT NULL
);
