package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// requestColumns are the columns of requests in the order scanRequest
// reads them.
const requestColumns = `id, finding_name, action, reason, dry_run, requested_by, requested_at, expires_at,
	state, decided_by, decided_at, finished_at, result, error, channel, ts`

// scanRequest decodes a row selected with requestColumns.
func scanRequest(row pgx.Row) (bot.ActionRequest, error) {
	var r storerow.Request
	var reason, errText []byte
	err := row.Scan(&r.ID, &r.Finding, &r.Action, &reason, &r.DryRun, &r.RequestedBy,
		&r.RequestedAt, &r.ExpiresAt, &r.State, &r.DecidedBy, &r.DecidedAt, &r.FinishedAt,
		&r.Result, &errText, &r.Channel, &r.TS)
	if err != nil {
		return bot.ActionRequest{}, err
	}
	r.Reason, r.Error = string(reason), string(errText)
	return r.Decode()
}

// requestArgs are the named arguments of a request row.
func requestArgs(r storerow.Request) pgx.NamedArgs {
	return pgx.NamedArgs{"id": text(r.ID), "finding": text(r.Finding), "action": text(r.Action),
		"reason": bytes(r.Reason), "dry_run": r.DryRun, "requested_by": text(r.RequestedBy),
		"requested_at": r.RequestedAt, "expires_at": r.ExpiresAt, "state": r.State,
		"decided_by": text(r.DecidedBy), "decided_at": r.DecidedAt, "finished_at": r.FinishedAt,
		"result": r.Result, "error": bytes(r.Error), "channel": text(r.Channel), "ts": text(r.TS)}
}

// insertRequest inserts a request unless its id is taken or its finding
// already has an open request for the action: ON CONFLICT without a
// target covers every unique index, the partial requests_open included, so
// of two replicas creating the same request at once exactly one inserts.
const insertRequest = `INSERT INTO requests (` + requestColumns + `)
VALUES (@id, @finding, @action, @reason, @dry_run, @requested_by, @requested_at, @expires_at,
	@state, @decided_by, @decided_at, @finished_at, @result, @error, @channel, @ts)
ON CONFLICT DO NOTHING`

// createAttempts bounds CreateRequest's loop; each turn lost means another
// caller's request opened and closed in between, which takes a while.
const createAttempts = 10

// CreateRequest stores a new pending request for a stored finding. When the
// finding already has an open (pending or running) request for the same
// action, it stores nothing and returns that request with created false.
// The finding must be stored (ENotFound); r needs an id, a finding and an
// action, and must be pending (EInvalid); an id already in use is
// EConflict.
func (db *DB) CreateRequest(ctx context.Context, r bot.ActionRequest) (stored bot.ActionRequest, created bool, err error) {
	if r.State != bot.RequestPending {
		return bot.ActionRequest{}, false, bot.Errorf(bot.EInvalid, "new request %q must be pending, not %q", r.ID, r.State)
	}
	row, err := storerow.NewRequest(r)
	if err != nil {
		return bot.ActionRequest{}, false, err
	}
	for range createAttempts {
		stored, created, err = db.createOnce(ctx, row)
		if err == nil || !errors.Is(err, errClosedMeanwhile) {
			break
		}
	}
	if err != nil {
		return bot.ActionRequest{}, false, fmt.Errorf("create request %q: %w", r.ID, err)
	}
	return stored, created, nil
}

// errClosedMeanwhile says the insert met an open request that was gone
// when looked up: try again.
var errClosedMeanwhile = errors.New("the open request closed meanwhile")

// createOnce inserts the request, or finds what refused it.
func (db *DB) createOnce(ctx context.Context, row storerow.Request) (bot.ActionRequest, bool, error) {
	tag, err := db.pool.Exec(ctx, insertRequest, requestArgs(row))
	if code, _ := pgCode(err); code == foreignKeyViolation {
		return bot.ActionRequest{}, false, bot.Errorf(bot.ENotFound, "finding %q not found", row.Finding)
	}
	if err != nil {
		return bot.ActionRequest{}, false, err
	}
	if tag.RowsAffected() == 1 {
		stored, err := row.Decode()
		return stored, err == nil, err
	}
	open, err := scanRequest(db.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests
WHERE finding_name = $1 AND action = $2 AND state IN ('pending', 'running')`, text(row.Finding), text(row.Action)))
	if err == nil {
		return open, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return bot.ActionRequest{}, false, err
	}
	var taken bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM requests WHERE id = $1)`, text(row.ID)).Scan(&taken); err != nil {
		return bot.ActionRequest{}, false, err
	}
	if taken {
		return bot.ActionRequest{}, false, bot.Errorf(bot.EConflict, "request id %q is already in use", row.ID)
	}
	return bot.ActionRequest{}, false, errClosedMeanwhile
}

// Request returns the request with the id, or ENotFound.
func (db *DB) Request(ctx context.Context, id string) (bot.ActionRequest, error) {
	r, err := scanRequest(db.pool.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1`, text(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.ActionRequest{}, bot.Errorf(bot.ENotFound, "request %q not found", id)
	}
	if err != nil {
		return bot.ActionRequest{}, fmt.Errorf("get request %q: %w", id, err)
	}
	return r, nil
}

// TransitionRequest moves a request to state to if, and only if, it is in
// one of the states from: an atomic compare-and-set, so of any number of
// concurrent callers, in any number of replicas, exactly one wins a move.
// The winner gets the request as stored after the move and ok true; every
// other caller gets the current request and ok false, with no error.
// update, if not nil, edits the request before it is stored; it runs while
// the request's row is locked, so it must be quick and must not call the
// store. A move the domain does not allow is EInvalid; an unknown id is
// ENotFound.
func (db *DB) TransitionRequest(ctx context.Context, id string, from []bot.RequestState, to bot.RequestState,
	update func(*bot.ActionRequest)) (r bot.ActionRequest, ok bool, err error) {
	if err := storerow.CheckTransitions(from, to); err != nil {
		return bot.ActionRequest{}, false, err
	}
	err = db.tx(ctx, func(tx pgx.Tx) error {
		r, ok, err = transitionTx(ctx, tx, id, from, to, update)
		return err
	})
	if err != nil {
		return bot.ActionRequest{}, false, fmt.Errorf("move request %q to %s: %w", id, to, err)
	}
	return r, ok, nil
}

// transitionTx is TransitionRequest's read-check-write. FOR UPDATE locks
// the row: a second caller waits at the SELECT until the first commits,
// and then reads the state the first left (READ COMMITTED re-reads a
// locked row's newest version), so it cannot move the request again.
func transitionTx(ctx context.Context, tx pgx.Tx, id string, from []bot.RequestState, to bot.RequestState,
	update func(*bot.ActionRequest)) (bot.ActionRequest, bool, error) {
	cur, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1 FOR UPDATE`, text(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.ActionRequest{}, false, bot.Errorf(bot.ENotFound, "request %q not found", id)
	}
	if err != nil {
		return bot.ActionRequest{}, false, err
	}
	if !slices.Contains(from, cur.State) {
		return cur, false, nil
	}
	row, err := storerow.NewRequest(storerow.Next(cur, to, update))
	if err != nil {
		return bot.ActionRequest{}, false, err
	}
	_, err = tx.Exec(ctx, `UPDATE requests SET reason = @reason, dry_run = @dry_run, expires_at = @expires_at,
	state = @state, decided_by = @decided_by, decided_at = @decided_at, finished_at = @finished_at,
	result = @result, error = @error, channel = @channel, ts = @ts
WHERE id = @id`, requestArgs(row))
	if err != nil {
		return bot.ActionRequest{}, false, err
	}
	stored, err := row.Decode()
	return stored, err == nil, err
}

// SetRequestMessage records where the request is shown. ref must be
// complete (EInvalid); an unknown id is ENotFound.
func (db *DB) SetRequestMessage(ctx context.Context, id string, ref bot.MessageRef) error {
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "message of request %q has no channel or ts", id)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE requests SET channel = $1, ts = $2 WHERE id = $3`,
		text(ref.Channel), text(ref.TS), text(id))
	if err != nil {
		return fmt.Errorf("set message of request %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return bot.Errorf(bot.ENotFound, "request %q not found", id)
	}
	return nil
}

// ExpiredRequests returns the pending requests whose expiry is at or
// before now, soonest expiry first.
func (db *DB) ExpiredRequests(ctx context.Context, now time.Time) ([]bot.ActionRequest, error) {
	cutoff, err := storerow.EncodeTime("expiry cutoff", now)
	if err != nil {
		return nil, err
	}
	rs, err := db.queryRequests(ctx, `WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at, id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("list expired requests: %w", err)
	}
	return rs, nil
}

// StaleRunning returns the running requests that started (were decided)
// before before, oldest first.
func (db *DB) StaleRunning(ctx context.Context, before time.Time) ([]bot.ActionRequest, error) {
	cutoff, err := storerow.EncodeTime("stale cutoff", before)
	if err != nil {
		return nil, err
	}
	rs, err := db.queryRequests(ctx, `WHERE state = 'running' AND decided_at < $1 ORDER BY decided_at, id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("list stale running requests: %w", err)
	}
	return rs, nil
}

// RequestsForFinding returns every request for the finding, oldest first.
func (db *DB) RequestsForFinding(ctx context.Context, finding string) ([]bot.ActionRequest, error) {
	rs, err := db.queryRequests(ctx, `WHERE finding_name = $1 ORDER BY requested_at, id`, text(finding))
	if err != nil {
		return nil, fmt.Errorf("list requests of finding %q: %w", finding, err)
	}
	return rs, nil
}

// queryRequests selects requests with a WHERE ... ORDER BY tail.
func (db *DB) queryRequests(ctx context.Context, tail string, args ...any) ([]bot.ActionRequest, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+requestColumns+` FROM requests `+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.ActionRequest, error) { return scanRequest(row) })
}
