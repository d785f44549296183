-- 0001_init: findings, the dedupe record of notifications, cards, poller
-- cursors and rejected messages.
--
-- Conventions every later migration keeps:
--   * Times are TEXT in UTC with exactly nine fractional digits
--     (2006-01-02T15:04:05.000000000Z). The fixed width makes text order
--     equal time order, comparisons are exact to the nanosecond, and the
--     zero time (0001-01-01) is representable, which Unix nanoseconds are not.
--   * A finding is identified everywhere by its full SCC resource name
--     (findings.name). Tables added later (audit log, action requests and
--     approvals, acknowledgements, finding groups) reference it with a
--     foreign key; silences and digests stand alone.
--   * Tables are STRICT so a wrongly typed bind fails loudly instead of
--     being stored as something else.

-- findings holds the latest known state of each finding. data is the whole
-- bot.Finding as JSON (the source of truth when reading); the other columns
-- are copies for queries (resolve by short id, digests, related findings).
CREATE TABLE findings (
	name        TEXT NOT NULL PRIMARY KEY,
	short_id    TEXT NOT NULL,
	category    TEXT NOT NULL,
	severity    TEXT NOT NULL,  -- SCC's name (HIGH, ...), stable across enum changes
	state       TEXT NOT NULL,
	mute        TEXT NOT NULL,
	class       TEXT NOT NULL,
	project     TEXT NOT NULL,
	product     TEXT NOT NULL,
	event_time  TEXT NOT NULL,  -- of the stored data; older notifications never replace it
	create_time TEXT NOT NULL,
	first_seen  TEXT NOT NULL,  -- when the store first saw the finding; never updated
	last_seen   TEXT NOT NULL,  -- when the store last saw any notification of it
	data        TEXT NOT NULL   -- JSON; TEXT, not BLOB, so SQLite's json functions read it
) STRICT;

-- Responders type the short id (the last name segment).
CREATE INDEX findings_short_id ON findings (short_id);

-- notifications records every notification the bot has handled, keyed the
-- way bot.NotificationKey is: SCC re-publishes a finding with a new event
-- time when the activity recurs, and that is a new notification. No foreign
-- key: a notification can be recorded (for example as "failed") for a
-- finding that was never stored.
CREATE TABLE notifications (
	finding_name TEXT NOT NULL,
	event_time   TEXT NOT NULL,
	outcome      TEXT NOT NULL,  -- posted, threaded, duplicate, failed, ...
	handled_at   TEXT NOT NULL,  -- the first time it was marked; never updated
	PRIMARY KEY (finding_name, event_time)
) STRICT, WITHOUT ROWID;

-- cards maps each finding to its one Slack card. A card may move (the bot
-- reposts it elsewhere), so the row is updated in place.
CREATE TABLE cards (
	finding_name TEXT NOT NULL PRIMARY KEY REFERENCES findings (name) ON DELETE CASCADE,
	channel      TEXT NOT NULL,
	ts           TEXT NOT NULL,
	posted_at    TEXT NOT NULL
) STRICT;

-- Buttons arrive with channel and message ts; a message is the card of at
-- most one finding.
CREATE UNIQUE INDEX cards_message ON cards (channel, ts);

-- cursors are the poller's resume points (for example an SCC page token or
-- the last read time), one per key.
CREATE TABLE cursors (
	key        TEXT NOT NULL PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;

-- rejected keeps inbound messages the bot could not use, so nothing is lost
-- silently. payload is a bounded prefix of the raw message.
CREATE TABLE rejected (
	id          INTEGER PRIMARY KEY,  -- insertion order breaks ties in received_at
	source      TEXT NOT NULL,
	reason      TEXT NOT NULL,
	payload     BLOB NOT NULL,
	received_at TEXT NOT NULL
) STRICT;

CREATE INDEX rejected_received_at ON rejected (received_at);
