-- 0005_post_intents: messages about to be posted, or owed. Conventions as
-- in 0001.

-- post_intents holds one row per message key between "about to post" and
-- "post recorded". A row left behind by a crash tells the next attempt to
-- look for the message in the channel's history (by its metadata key)
-- before posting again, so a kill between a post and its record never
-- posts twice. owed = 1 marks a card whose finding a burst message already
-- named: the card is still due and is posted at the pace that remains.
-- Stands alone (no foreign key): a listing names several findings.
CREATE TABLE post_intents (
	key        TEXT NOT NULL PRIMARY KEY,
	channel    TEXT NOT NULL,
	thread     TEXT NOT NULL,  -- '' for a top-level message
	finding    TEXT NOT NULL,  -- '' for a listing
	names      TEXT NOT NULL,  -- JSON array of the finding names a listing names
	owed       INTEGER NOT NULL CHECK (owed IN (0, 1)),
	created_at TEXT NOT NULL,
	-- when an owed card's post was last attempted ('' never): a later
	-- attempt looks for the card in the channel since then
	attempted_at TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

-- The owed-card drainer reads owed intents oldest first.
CREATE INDEX post_intents_owed ON post_intents (owed, created_at);
