package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// Card returns the card posted for the finding and whether there is one.
func (db *DB) Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error) {
	var ref bot.MessageRef
	err := db.pool.QueryRow(ctx, `SELECT channel, ts FROM cards WHERE finding_name = $1`, text(findingName)).
		Scan(&ref.Channel, &ref.TS)
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.MessageRef{}, false, nil
	}
	if err != nil {
		return bot.MessageRef{}, false, fmt.Errorf("get card of finding %q: %w", findingName, err)
	}
	return ref, true, nil
}

// upsertCard records the card of a stored finding ($1) as the message $2,
// $3 posted at $4; it inserts nothing if the finding is not stored.
// posted_at moves only when the card does.
const upsertCard = `INSERT INTO cards (finding_name, channel, ts, posted_at)
SELECT name, $2, $3, $4 FROM findings WHERE name = $1
ON CONFLICT (finding_name) DO UPDATE SET
	channel = excluded.channel, ts = excluded.ts,
	posted_at = CASE WHEN cards.channel = excluded.channel AND cards.ts = excluded.ts
		THEN cards.posted_at ELSE excluded.posted_at END`

// PutCard records ref as the finding's card, replacing any previous one.
// The finding must be stored (ENotFound), ref must be complete (EInvalid),
// and ref must not be another finding's card (EConflict).
func (db *DB) PutCard(ctx context.Context, findingName string, ref bot.MessageRef) error {
	err := db.putCard(ctx, text(findingName), ref)
	return db.explainCardConflict(ctx, findingName, ref, err)
}

// putPostedCard is upsertCard and the notification's mark in one
// statement: atomic like a transaction, in one round trip instead of four
// (BEGIN, two statements, COMMIT) on the ingest path. The mark is only
// inserted if the card was, and the count says whether it was. $5 and $6
// are the notification's event time and outcome.
const putPostedCard = `WITH card AS (` + upsertCard + `
	RETURNING finding_name
), mark AS (
	INSERT INTO notifications (finding_name, event_time, outcome, handled_at)
	SELECT finding_name, $5, $6, $4 FROM card
	ON CONFLICT DO NOTHING
), ended AS (
	DELETE FROM post_intents WHERE key = $7 AND EXISTS (SELECT 1 FROM card)
), grouped AS (
	UPDATE groups SET channel = $2, ts = $3
	WHERE representative = $1 AND ts = '' AND EXISTS (SELECT 1 FROM card)
)
SELECT count(*) FROM card`

// PutPostedCard records ref as the card of key's finding and marks key
// handled with outcome, all or nothing. A group the finding represents
// that has no card yet gets ref as its card in the same statement, so
// that no moment (and no crash) leaves a posted group card unknown to the
// group, whose members are then listed in its thread.
func (db *DB) PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error {
	name, eventTime, err := notificationArgs(key)
	if err != nil {
		return err
	}
	if outcome == "" {
		return bot.Errorf(bot.EInvalid, "notification outcome is empty")
	}
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "card of finding %q has no channel or ts", key.Name)
	}
	var cards int
	err = db.pool.QueryRow(ctx, putPostedCard, name, text(ref.Channel), text(ref.TS), db.nowText(),
		eventTime, text(outcome), text(bot.CardKey(name))).Scan(&cards)
	if err != nil {
		return db.explainCardConflict(ctx, key.Name, ref, fmt.Errorf("put card of finding %q: %w", key.Name, err))
	}
	if cards == 0 {
		return bot.Errorf(bot.ENotFound, "put card: finding %q not found", key.Name)
	}
	return nil
}

// putCard runs upsertCard.
func (db *DB) putCard(ctx context.Context, findingName string, ref bot.MessageRef) error {
	if ref.Empty() {
		return bot.Errorf(bot.EInvalid, "card of finding %q has no channel or ts", findingName)
	}
	tag, err := db.pool.Exec(ctx, upsertCard, findingName, text(ref.Channel), text(ref.TS), db.nowText())
	if err != nil {
		return fmt.Errorf("put card of finding %q: %w", findingName, err)
	}
	if tag.RowsAffected() == 0 {
		return bot.Errorf(bot.ENotFound, "put card: finding %q not found", findingName)
	}
	return nil
}

// explainCardConflict turns the unique index's refusal of ref into
// EConflict naming the finding that holds it. It runs after the failed
// statement's transaction is over: an aborted transaction answers nothing.
func (db *DB) explainCardConflict(ctx context.Context, findingName string, ref bot.MessageRef, err error) error {
	if code, constraint := pgCode(err); code != uniqueViolation || constraint != "cards_message" {
		return err
	}
	var holder string
	qerr := db.pool.QueryRow(ctx, `SELECT finding_name FROM cards WHERE channel = $1 AND ts = $2`,
		text(ref.Channel), text(ref.TS)).Scan(&holder)
	if qerr != nil || holder == findingName {
		return err
	}
	return bot.Errorf(bot.EConflict, "message %s/%s is already the card of finding %q", ref.Channel, ref.TS, holder)
}

// FindingByCard returns the finding whose card is ref, or ENotFound.
func (db *DB) FindingByCard(ctx context.Context, ref bot.MessageRef) (bot.Finding, error) {
	var data []byte
	err := db.pool.QueryRow(ctx, `SELECT f.data FROM cards c JOIN findings f ON f.name = c.finding_name
WHERE c.channel = $1 AND c.ts = $2`, text(ref.Channel), text(ref.TS)).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "no finding has the card %s/%s", ref.Channel, ref.TS)
	}
	if err != nil {
		return bot.Finding{}, fmt.Errorf("get finding by card %s/%s: %w", ref.Channel, ref.TS, err)
	}
	return storerow.DecodeFinding(data)
}
