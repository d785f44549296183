-- 0005_replicas: which replicas are alive, who holds each post intent and
-- which replica runs each action, as in SQLite's 0008 (see there).
-- Conventions as in 0001.

CREATE TABLE replicas (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	started_at TEXT COLLATE "C" NOT NULL,
	seen_at    TEXT COLLATE "C" NOT NULL
);

ALTER TABLE post_intents ADD COLUMN holder TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN executor TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX requests_running ON requests (executor) WHERE state = 'running';
