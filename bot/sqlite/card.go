package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// Card returns the card posted for the finding and whether there is one.
func (db *DB) Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error) {
	var ref bot.MessageRef
	err := db.stmts.card.QueryRowContext(ctx, findingName).Scan(&ref.Channel, &ref.TS)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.MessageRef{}, false, nil
	}
	if err != nil {
		return bot.MessageRef{}, false, fmt.Errorf("get card of finding %q: %w", findingName, err)
	}
	return ref, true, nil
}

const (
	selectCard       = `SELECT channel, ts FROM cards WHERE finding_name = ?`
	selectCardHolder = `SELECT finding_name FROM cards WHERE channel = ? AND ts = ?`
)

// upsertCard records the card of a stored finding; it inserts nothing if
// the finding is not stored. posted_at moves only when the card does, so
// recording the same card twice is a no-op.
const upsertCard = `INSERT INTO cards (finding_name, channel, ts, posted_at)
SELECT name, :channel, :ts, :now FROM findings WHERE name = :name
ON CONFLICT (finding_name) DO UPDATE SET
	channel = excluded.channel, ts = excluded.ts,
	posted_at = CASE WHEN cards.channel = excluded.channel AND cards.ts = excluded.ts
		THEN cards.posted_at ELSE excluded.posted_at END`

// PutCard records ref as the finding's card, replacing any previous one (a
// card can be reposted elsewhere). The finding must be stored (ENotFound
// otherwise), ref must be complete (EInvalid), and ref must not be another
// finding's card (EConflict).
func (db *DB) PutCard(ctx context.Context, findingName string, ref bot.MessageRef) error {
	// One autocommit statement on the ingest path; the unique index on
	// (channel, ts) refuses another finding's card, and only then is the
	// holder looked up to say which finding it is.
	return db.putCard(ctx, db.stmts.upsertCard, db.stmts.cardHolder, findingName, ref)
}

// PutPostedCard records ref as the card of key's finding, as PutCard does,
// and marks key handled with outcome, as MarkNotification does, in one
// transaction. Done apart, a crash between the two would leave a card whose
// notification looks new, and its redelivery would add a needless "notified
// again" reply; together they are also one commit instead of two. A group
// the finding represents that has no card yet gets ref as its card in the
// same transaction: a posted group card is never unknown to its group.
func (db *DB) PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return err
	}
	if outcome == "" {
		return bot.Errorf(bot.EInvalid, "notification outcome is empty")
	}
	return db.writeTx(ctx, func(tx *sql.Tx) error {
		// The writer has one connection, which tx holds: every statement
		// here must go through tx.
		upsert, holder := tx.StmtContext(ctx, db.stmts.upsertCard), tx.StmtContext(ctx, db.stmts.cardHolder)
		if err := db.putCard(ctx, upsert, holder, name, ref); err != nil {
			return err
		}
		_, err := tx.StmtContext(ctx, db.stmts.markNotification).ExecContext(ctx, name, eventTime, validText(outcome), formatTime(db.now()))
		if err != nil {
			return fmt.Errorf("mark notification %q: %w", key.Name, err)
		}
		// The card's intent ends with its record: nothing is owed or
		// in doubt any more.
		if _, err := tx.ExecContext(ctx, `DELETE FROM post_intents WHERE key = ?`, bot.CardKey(name)); err != nil {
			return fmt.Errorf("end intent of card %q: %w", key.Name, err)
		}
		// The card of a group's representative is the group's card.
		if _, err := tx.ExecContext(ctx, `UPDATE groups SET channel = ?, ts = ? WHERE representative = ? AND ts = ''`,
			validText(ref.Channel), validText(ref.TS), name); err != nil {
			return fmt.Errorf("set group card of %q: %w", key.Name, err)
		}
		return nil
	})
}

// putCard runs upsert (upsertCard on the writer or in a transaction) and
// says, through holder (selectCardHolder on the same), what it refused.
func (db *DB) putCard(ctx context.Context, upsert, holder *sql.Stmt, findingName string, ref bot.MessageRef) error {
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "card of finding %q has no channel or ts", findingName)
	}
	res, err := upsert.ExecContext(ctx, sql.Named("name", findingName),
		sql.Named("channel", ref.Channel), sql.Named("ts", ref.TS), sql.Named("now", formatTime(db.now())))
	if err != nil {
		if conflict := checkCardFree(ctx, holder, findingName, ref); conflict != nil {
			err = conflict
		}
		return fmt.Errorf("put card of finding %q: %w", findingName, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("put card of finding %q: %w", findingName, err)
	} else if n == 0 {
		return bot.Errorf(bot.ENotFound, "put card: finding %q not found", findingName)
	}
	return nil
}

// checkCardFree fails with EConflict if ref is the card of another finding.
// The unique index would refuse it too, but with an error that does not
// say which finding holds the card.
func checkCardFree(ctx context.Context, holderOf *sql.Stmt, findingName string, ref bot.MessageRef) error {
	var holder string
	err := holderOf.QueryRowContext(ctx, ref.Channel, ref.TS).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && holder == findingName) {
		return nil
	}
	if err != nil {
		return err
	}
	return bot.Errorf(bot.EConflict, "message %s/%s is already the card of finding %q", ref.Channel, ref.TS, holder)
}

// FindingByCard returns the finding whose card is ref, or ENotFound.
func (db *DB) FindingByCard(ctx context.Context, ref bot.MessageRef) (bot.Finding, error) {
	var data []byte
	err := db.read.QueryRowContext(ctx, `SELECT f.data FROM cards c JOIN findings f ON f.name = c.finding_name
WHERE c.channel = ? AND c.ts = ?`, ref.Channel, ref.TS).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "no finding has the card %s/%s", ref.Channel, ref.TS)
	}
	if err != nil {
		return bot.Finding{}, fmt.Errorf("get finding by card %s/%s: %w", ref.Channel, ref.TS, err)
	}
	return decodeFinding(data)
}
