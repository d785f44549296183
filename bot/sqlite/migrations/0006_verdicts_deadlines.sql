-- 0006_verdicts_deadlines: the verdict a responder gave each finding, the
-- acknowledgement deadline stages claimed for cards nobody acknowledged,
-- and the index the deadline scan reads. Conventions as in 0001.

-- verdicts holds the latest verdict on each finding; an older one never
-- replaces a newer (set_at decides, not arrival order).
CREATE TABLE verdicts (
	finding_name TEXT NOT NULL PRIMARY KEY REFERENCES findings (name) ON DELETE CASCADE,
	verdict      TEXT NOT NULL,  -- bot.Verdict's value (false_positive, ...)
	set_by       TEXT NOT NULL,  -- chat user id
	note         TEXT NOT NULL,
	set_at       TEXT NOT NULL
) STRICT;

-- The digest's tuning figures read the verdicts of a period; `/finding
-- list verdict=...` reads the findings with one verdict.
CREATE INDEX verdicts_set_at ON verdicts (set_at);
CREATE INDEX verdicts_verdict ON verdicts (verdict, finding_name);

-- deadline_claims records each deadline stage (1 reminder, 2 escalation)
-- that fired for a finding. A sender inserts the row before it sends, and
-- only the sender whose insert succeeded sends, so a restart or a second
-- replica never reminds or escalates twice.
CREATE TABLE deadline_claims (
	finding_name TEXT NOT NULL REFERENCES findings (name) ON DELETE CASCADE,
	stage        INTEGER NOT NULL CHECK (stage IN (1, 2)),
	claimed_at   TEXT NOT NULL,
	PRIMARY KEY (finding_name, stage)
) STRICT, WITHOUT ROWID;

-- The digest's breach counts read the claims of a period.
CREATE INDEX deadline_claims_at ON deadline_claims (claimed_at);

-- The deadline scan reads the cards posted within the longest deadline,
-- a small tail of the table however many findings it holds.
CREATE INDEX cards_posted ON cards (posted_at);
