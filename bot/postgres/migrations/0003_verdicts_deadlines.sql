-- 0003_verdicts_deadlines: verdicts, deadline claims and the index of the
-- deadline scan, as in SQLite's 0006 (see there). Conventions as in 0001;
-- the note is BYTEA because it is user text that must come back exactly.

CREATE TABLE verdicts (
	finding_name TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES findings (name) ON DELETE CASCADE,
	verdict      TEXT COLLATE "C" NOT NULL,
	set_by       TEXT COLLATE "C" NOT NULL,
	note         BYTEA NOT NULL,
	set_at       TEXT COLLATE "C" NOT NULL
);
CREATE INDEX verdicts_set_at ON verdicts (set_at);
CREATE INDEX verdicts_verdict ON verdicts (verdict, finding_name);

CREATE TABLE deadline_claims (
	finding_name TEXT COLLATE "C" NOT NULL REFERENCES findings (name) ON DELETE CASCADE,
	stage        INTEGER NOT NULL CHECK (stage IN (1, 2)),
	claimed_at   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (finding_name, stage)
);
CREATE INDEX deadline_claims_at ON deadline_claims (claimed_at);

CREATE INDEX cards_posted ON cards (posted_at);
