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
	err := db.read.QueryRowContext(ctx,
		`SELECT channel, ts FROM cards WHERE finding_name = ?`, findingName).Scan(&ref.Channel, &ref.TS)
	if errors.Is(err, sql.ErrNoRows) {
		return bot.MessageRef{}, false, nil
	}
	if err != nil {
		return bot.MessageRef{}, false, fmt.Errorf("get card of finding %q: %w", findingName, err)
	}
	return ref, true, nil
}

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
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "card of finding %q has no channel or ts", findingName)
	}
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		if err := checkCardFree(ctx, tx, findingName, ref); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, upsertCard, sql.Named("name", findingName),
			sql.Named("channel", ref.Channel), sql.Named("ts", ref.TS), sql.Named("now", formatTime(db.now())))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		return bot.Errorf(bot.ENotFound, "finding %q not found", findingName)
	})
	if err != nil {
		return fmt.Errorf("put card of finding %q: %w", findingName, err)
	}
	return nil
}

// checkCardFree fails with EConflict if ref is the card of another finding.
// The unique index would refuse it too, but with an error that does not
// say which finding holds the card.
func checkCardFree(ctx context.Context, tx *sql.Tx, findingName string, ref bot.MessageRef) error {
	var holder string
	err := tx.QueryRowContext(ctx, `SELECT finding_name FROM cards WHERE channel = ? AND ts = ?`,
		ref.Channel, ref.TS).Scan(&holder)
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
