-- 0004_acks_digests: who acknowledged each finding, the record of digest
-- runs that makes each scheduled digest post once, and the indexes the
-- digest's figures read. Conventions as in 0001.

-- acks holds the first acknowledgement of each finding: later clicks find
-- the row and change nothing. Time to acknowledge is acked_at minus the
-- finding's first_seen, both written by the store's clock.
CREATE TABLE acks (
	finding_name TEXT NOT NULL PRIMARY KEY REFERENCES findings (name) ON DELETE CASCADE,
	acked_by     TEXT NOT NULL,  -- chat user id
	acked_at     TEXT NOT NULL
) STRICT;

-- The digest's mean time to acknowledge reads the acks of a period.
CREATE INDEX acks_at ON acks (acked_at);

-- digests records each scheduled digest run. A runner inserts the row (the
-- claim) before it posts, and only the runner whose insert succeeded posts,
-- so a restart or a second replica never posts a run twice. ts is '' until
-- the post is recorded: a row with ts '' is a run that was claimed but whose
-- post failed or was cut short by a crash. Stands alone (no foreign key).
CREATE TABLE digests (
	schedule   TEXT NOT NULL,  -- the schedule's name in the configuration
	run_at     TEXT NOT NULL,  -- the scheduled instant, not when it ran
	channel    TEXT NOT NULL,
	ts         TEXT NOT NULL,
	claimed_at TEXT NOT NULL,
	posted_at  TEXT NOT NULL,  -- '' until posted
	PRIMARY KEY (schedule, run_at)
) STRICT, WITHOUT ROWID;

-- Covering index of the digest's counts: findings first seen in a period,
-- by severity, category or project, are read from the index alone, never
-- from the table rows, whose JSON makes each one about a page.
CREATE INDEX findings_digest ON findings (first_seen, severity, category, project);

-- Open findings for the digest's "nobody acknowledged" list: only active,
-- unmuted findings are in it, with the name to look up cards and acks.
-- state and mute are repeated as columns so that the index covers the
-- query (SQLite does not count a partial index's condition as covered).
CREATE INDEX findings_open ON findings (first_seen, severity, name, state, mute)
	WHERE state = 'ACTIVE' AND mute <> 'MUTED';

-- Silenced (and other) outcomes of a period, without scanning every
-- notification ever handled. The primary key columns ride along, so
-- counting distinct findings reads the index alone.
CREATE INDEX notifications_outcome ON notifications (outcome, handled_at);

-- Requests finished in a period.
CREATE INDEX requests_finished ON requests (state, finished_at);
