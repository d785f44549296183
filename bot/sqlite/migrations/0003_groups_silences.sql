-- 0003_groups_silences: bursts of similar findings shown on one card, and
-- silences that keep matching findings off Slack for a while.

-- groups: one card standing for several findings with the same group key.
-- pods and binaries are JSON arrays of distinct values (at most 20 each);
-- the more_* columns count the distinct values beyond them.
CREATE TABLE groups (
	id             TEXT NOT NULL PRIMARY KEY,
	key            TEXT NOT NULL,
	representative TEXT NOT NULL REFERENCES findings (name),
	channel        TEXT NOT NULL,
	ts             TEXT NOT NULL,
	opened_at      TEXT NOT NULL,
	first_event    TEXT NOT NULL,
	last_event     TEXT NOT NULL,
	count          INTEGER NOT NULL,
	worst          TEXT NOT NULL,
	pods           TEXT NOT NULL,
	more_pods      INTEGER NOT NULL,
	binaries       TEXT NOT NULL,
	more_binaries  INTEGER NOT NULL,
	closed         INTEGER NOT NULL DEFAULT 0
) STRICT;

-- At most one open group per key.
CREATE UNIQUE INDEX groups_open_key ON groups (key) WHERE closed = 0;
CREATE UNIQUE INDEX groups_representative ON groups (representative);

-- group_members are the findings a group stands for, besides its
-- representative. listed_at is when the finding was listed in the group's
-- thread ('' until then), so a restart lists what was not.
CREATE TABLE group_members (
	group_id     TEXT NOT NULL REFERENCES groups (id),
	finding_name TEXT NOT NULL REFERENCES findings (name),
	added_at     TEXT NOT NULL,
	listed_at    TEXT NOT NULL DEFAULT '',
	breakout     INTEGER NOT NULL DEFAULT 0,  -- 1: it has its own card too
	PRIMARY KEY (group_id, finding_name)
) STRICT, WITHOUT ROWID;

CREATE INDEX group_members_unlisted ON group_members (listed_at, group_id, added_at);
CREATE INDEX group_members_finding ON group_members (finding_name);

-- silences keep matching findings off Slack until expires_at or removal.
-- matchers is a JSON array of {Field, Value}.
CREATE TABLE silences (
	id          TEXT NOT NULL PRIMARY KEY,
	matchers    TEXT NOT NULL,
	reason      TEXT NOT NULL,
	created_by  TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	removed_by  TEXT NOT NULL DEFAULT '',
	removed_at  TEXT NOT NULL DEFAULT '',
	-- 1 once the silence's expiry has been written to the audit log
	expiry_noted INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX silences_active ON silences (removed_at, expires_at);
