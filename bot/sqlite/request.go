package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// requestColumns are the columns of requests in the order scanRequest
// reads them.
const requestColumns = `id, finding_name, action, reason, dry_run, requested_by, requested_at, expires_at,
	state, decided_by, decided_at, finished_at, result, error, channel, ts`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanRequest decodes a row selected with requestColumns.
func scanRequest(sc scanner) (bot.ActionRequest, error) {
	var row storerow.Request
	err := sc.Scan(&row.ID, &row.Finding, &row.Action, &row.Reason, &row.DryRun, &row.RequestedBy,
		&row.RequestedAt, &row.ExpiresAt, &row.State, &row.DecidedBy, &row.DecidedAt, &row.FinishedAt,
		&row.Result, &row.Error, &row.Channel, &row.TS)
	if err != nil {
		return bot.ActionRequest{}, err
	}
	return row.Decode()
}

// insertRequest inserts a request row.
const insertRequest = `INSERT INTO requests (` + requestColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// requestArgs are insertRequest's arguments.
func requestArgs(row storerow.Request) []any {
	return []any{row.ID, row.Finding, row.Action, row.Reason, row.DryRun, row.RequestedBy,
		row.RequestedAt, row.ExpiresAt, row.State, row.DecidedBy, row.DecidedAt, row.FinishedAt,
		row.Result, row.Error, row.Channel, row.TS}
}

// CreateRequest stores a new pending request for a stored finding. When the
// finding already has an open (pending or running) request for the same
// action, it stores nothing and returns that request with created false:
// a redelivered or repeated request joins the open one. Otherwise it
// returns r as stored and created true. The finding must be stored
// (ENotFound); r needs an id, a finding and an action, and must be pending
// (EInvalid); an id already in use is EConflict.
func (db *DB) CreateRequest(ctx context.Context, r bot.ActionRequest) (stored bot.ActionRequest, created bool, err error) {
	if r.State != bot.RequestPending {
		return bot.ActionRequest{}, false, bot.Errorf(bot.EInvalid, "new request %q must be pending, not %q", r.ID, r.State)
	}
	row, err := storerow.NewRequest(r)
	if err != nil {
		return bot.ActionRequest{}, false, err
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		stored, created, err = createRequestTx(ctx, tx, row)
		return err
	})
	if err != nil {
		return bot.ActionRequest{}, false, fmt.Errorf("create request %q: %w", r.ID, err)
	}
	return stored, created, nil
}

// createRequestTx is CreateRequest's read-check-write, inside the write
// transaction that makes it atomic.
func createRequestTx(ctx context.Context, tx *sql.Tx, row storerow.Request) (bot.ActionRequest, bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM findings WHERE name = ?`, row.Finding).Scan(&n); err != nil {
		return bot.ActionRequest{}, false, err
	}
	if n == 0 {
		return bot.ActionRequest{}, false, bot.Errorf(bot.ENotFound, "finding %q not found", row.Finding)
	}
	open, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests
WHERE finding_name = ? AND action = ? AND state IN ('pending', 'running')`, row.Finding, row.Action))
	if err == nil {
		return open, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return bot.ActionRequest{}, false, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM requests WHERE id = ?`, row.ID).Scan(&n); err != nil {
		return bot.ActionRequest{}, false, err
	}
	if n > 0 {
		return bot.ActionRequest{}, false, bot.Errorf(bot.EConflict, "request id %q is already in use", row.ID)
	}
	if _, err := tx.ExecContext(ctx, insertRequest, requestArgs(row)...); err != nil {
		return bot.ActionRequest{}, false, err
	}
	stored, err := row.Decode()
	return stored, err == nil, err
}

// Request returns the request with the id, or ENotFound.
func (db *DB) Request(ctx context.Context, id string) (bot.ActionRequest, error) {
	r, err := scanRequest(db.read.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return bot.ActionRequest{}, bot.Errorf(bot.ENotFound, "request %q not found", id)
	}
	if err != nil {
		return bot.ActionRequest{}, fmt.Errorf("get request %q: %w", id, err)
	}
	return r, nil
}

// TransitionRequest moves a request to state to if, and only if, it is in
// one of the states from: an atomic compare-and-set, so of any number of
// concurrent callers exactly one wins a move. The winner gets the request
// as stored after the move and ok true; every other caller gets the current
// request and ok false, with no error. update, if not nil, edits the
// request before it is stored (decision, result, error); it runs inside the
// store's write transaction, so it must be quick and must not call the
// store. The id, finding, action, requester and request time never change,
// whatever update does. A move the domain does not allow (done → pending)
// is EInvalid; an unknown id is ENotFound.
func (db *DB) TransitionRequest(ctx context.Context, id string, from []bot.RequestState, to bot.RequestState,
	update func(*bot.ActionRequest)) (r bot.ActionRequest, ok bool, err error) {
	if err := storerow.CheckTransitions(from, to); err != nil {
		return bot.ActionRequest{}, false, err
	}
	err = db.writeTx(ctx, func(tx *sql.Tx) error {
		r, ok, err = transitionTx(ctx, tx, id, from, to, update)
		return err
	})
	if err != nil {
		return bot.ActionRequest{}, false, fmt.Errorf("move request %q to %s: %w", id, to, err)
	}
	return r, ok, nil
}

// transitionTx is TransitionRequest's read-check-write. The write
// transaction began IMMEDIATE, holding the write lock from the read on, so
// no other writer can move the request in between.
func transitionTx(ctx context.Context, tx *sql.Tx, id string, from []bot.RequestState, to bot.RequestState,
	update func(*bot.ActionRequest)) (bot.ActionRequest, bool, error) {
	cur, err := scanRequest(tx.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
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
	_, err = tx.ExecContext(ctx, `UPDATE requests SET reason = ?, dry_run = ?, expires_at = ?, state = ?,
	decided_by = ?, decided_at = ?, finished_at = ?, result = ?, error = ?, channel = ?, ts = ?
WHERE id = ?`, row.Reason, row.DryRun, row.ExpiresAt, row.State, row.DecidedBy, row.DecidedAt,
		row.FinishedAt, row.Result, row.Error, row.Channel, row.TS, row.ID)
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
	res, err := db.write.ExecContext(ctx, `UPDATE requests SET channel = ?, ts = ? WHERE id = ?`, ref.Channel, ref.TS, id)
	if err != nil {
		return fmt.Errorf("set message of request %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set message of request %q: %w", id, err)
	} else if n == 0 {
		return bot.Errorf(bot.ENotFound, "request %q not found", id)
	}
	return nil
}

// ExpiredRequests returns the pending requests whose expiry is at or
// before now, soonest expiry first.
func (db *DB) ExpiredRequests(ctx context.Context, now time.Time) ([]bot.ActionRequest, error) {
	cutoff, err := encodeTime("expiry cutoff", now)
	if err != nil {
		return nil, err
	}
	rs, err := db.queryRequests(ctx, `WHERE state = 'pending' AND expires_at <= ? ORDER BY expires_at, id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("list expired requests: %w", err)
	}
	return rs, nil
}

// StaleRunning returns the running requests that started (were decided)
// before before, oldest first: after a crash, nothing will finish them.
func (db *DB) StaleRunning(ctx context.Context, before time.Time) ([]bot.ActionRequest, error) {
	cutoff, err := encodeTime("stale cutoff", before)
	if err != nil {
		return nil, err
	}
	rs, err := db.queryRequests(ctx, `WHERE state = 'running' AND decided_at < ? ORDER BY decided_at, id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("list stale running requests: %w", err)
	}
	return rs, nil
}

// RequestsForFinding returns every request for the finding, oldest first.
func (db *DB) RequestsForFinding(ctx context.Context, finding string) ([]bot.ActionRequest, error) {
	rs, err := db.queryRequests(ctx, `WHERE finding_name = ? ORDER BY requested_at, id`, finding)
	if err != nil {
		return nil, fmt.Errorf("list requests of finding %q: %w", finding, err)
	}
	return rs, nil
}

// queryRequests selects requests with a WHERE ... ORDER BY tail.
func (db *DB) queryRequests(ctx context.Context, tail string, args ...any) ([]bot.ActionRequest, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+requestColumns+` FROM requests `+strings.TrimSpace(tail), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bot.ActionRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
