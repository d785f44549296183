-- 0002_post_intents: messages about to be posted, or owed, as in SQLite's
-- 0005 (see there). Conventions as in 0001.

CREATE TABLE post_intents (
	key          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	channel      TEXT COLLATE "C" NOT NULL,
	thread       TEXT COLLATE "C" NOT NULL,
	finding      TEXT COLLATE "C" NOT NULL,
	names        TEXT COLLATE "C" NOT NULL,  -- JSON array of the names a listing names
	owed         INTEGER NOT NULL CHECK (owed IN (0, 1)),
	created_at   TEXT COLLATE "C" NOT NULL,
	attempted_at TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE INDEX post_intents_owed ON post_intents (owed, created_at);
