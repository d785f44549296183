-- 0002_requests: response action requests (bot.ActionRequest) and the
-- audit log (bot.AuditEvent). Conventions as in 0001: STRICT tables, times
-- as fixed-width UTC TEXT, the zero time for "not yet", '' for "none".

-- requests holds each request to run a response action on a finding and
-- what became of it. A request is deleted with its finding; the audit log,
-- which has no foreign key, keeps the record.
CREATE TABLE requests (
	id           TEXT NOT NULL PRIMARY KEY,  -- opaque; approval buttons carry it
	finding_name TEXT NOT NULL REFERENCES findings (name) ON DELETE CASCADE,
	action       TEXT NOT NULL,
	reason       TEXT NOT NULL,
	dry_run      INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
	requested_by TEXT NOT NULL,
	requested_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL,
	state        TEXT NOT NULL
		CHECK (state IN ('pending', 'running', 'done', 'failed', 'denied', 'expired')),
	decided_by   TEXT NOT NULL,  -- who approved, denied or expired it; '' while pending
	decided_at   TEXT NOT NULL,  -- also when it started running; stale checks read it
	finished_at  TEXT NOT NULL,
	result       TEXT NOT NULL,  -- bot.ActionResult as JSON
	error        TEXT NOT NULL,  -- user-safe
	channel      TEXT NOT NULL,  -- the request's message in the card's thread
	ts           TEXT NOT NULL
) STRICT;

-- A finding's requests, and the open request for an action.
CREATE INDEX requests_finding ON requests (finding_name, action, state);

-- The sweeper's queries: pending past expires_at, running for too long.
CREATE INDEX requests_state ON requests (state, expires_at);

-- At most one open request per finding and action, whoever asks and however
-- often Slack redelivers the click: a second request for the same change
-- joins the first instead of queueing a second run.
CREATE UNIQUE INDEX requests_open ON requests (finding_name, action)
	WHERE state IN ('pending', 'running');

-- audit is append-only: every request, refusal, decision, expiry, execution
-- and result. No foreign key, so that no delete elsewhere removes evidence
-- and a refusal about any finding can be recorded. AUTOINCREMENT: an id is
-- never reused, so an exported id stays unique for good.
CREATE TABLE audit (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	at           TEXT NOT NULL,
	event        TEXT NOT NULL,  -- requested, refused, approved, denied, expired, started, succeeded, failed
	request      TEXT NOT NULL,  -- '' for a refusal before any request existed
	finding_name TEXT NOT NULL,
	action       TEXT NOT NULL,
	actor        TEXT NOT NULL,  -- chat user id, or "sccbot"
	detail       TEXT NOT NULL
) STRICT;

-- Export in time order (the index carries the rowid, so (at, id) order is
-- index order) and a finding's trail on its card.
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_finding ON audit (finding_name);
