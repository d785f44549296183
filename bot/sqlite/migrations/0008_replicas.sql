-- 0008_replicas: which replicas are alive, who holds each post intent and
-- which replica runs each action. Conventions as in 0001.

-- replicas has a row per running process, written by its heartbeat every
-- few seconds (seen_at) and deleted when it stops cleanly. A replica whose
-- seen_at is older than the liveness bound is dead: its claims may be
-- taken over. With SQLite there is one replica; the table is kept so
-- that both stores behave the same.
CREATE TABLE replicas (
	id         TEXT NOT NULL PRIMARY KEY,
	started_at TEXT NOT NULL,
	seen_at    TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- holder is the replica that claimed the intent ('' before 0006).
ALTER TABLE post_intents ADD COLUMN holder TEXT NOT NULL DEFAULT '';
-- executor is the replica that runs a running request ('' before 0006, or
-- for a replica that died between starting the request and naming itself).
ALTER TABLE requests ADD COLUMN executor TEXT NOT NULL DEFAULT '';
