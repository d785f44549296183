package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// CopyTables are the tables a copy from another store fills, parents
// before the tables whose foreign keys point at them. A table added to the
// schema must be added here, or a copy refuses a source that has it.
var CopyTables = []string{
	"findings", "notifications", "cards", "cursors", "rejected",
	"requests", "audit", "groups", "group_members", "silences", "acks", "digests", "post_intents",
	"verdicts", "deadline_claims",
}

// identityTables have an identity id that a copy sets explicitly; their
// sequences must move past the copied ids.
var identityTables = []string{"rejected", "audit"}

// ImportSource yields the rows of one table of the source store.
type ImportSource func(ctx context.Context, table string, fn func(columns []string, row []any) error) error

// TableCount is what a copy did with one table.
type TableCount struct {
	Table   string
	Copied  int // rows inserted
	Present int // rows whose key the target already had, left as they were
}

// ErrNotEmpty is Import's refusal of a target that holds data.
var ErrNotEmpty = errors.New("the PostgreSQL store already holds data")

// importBatch is how many rows go to the server in one round trip.
const importBatch = 500

// Import copies every table of CopyTables from src, in one transaction:
// all of it or nothing. A target that already holds data is refused with
// ErrNotEmpty unless force is set; then rows whose key is already there
// are kept as they are and counted as present, so running the same copy
// twice changes nothing the second time. Text columns the source stores
// as text and this store as bytes are converted.
func (db *DB) Import(ctx context.Context, src ImportSource, force bool) ([]TableCount, error) {
	var counts []TableCount
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// Nothing else may write while the copy decides and fills.
		if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(CopyTables, ", ")+` IN EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock tables: %w", err)
		}
		if !force {
			if err := checkEmpty(ctx, tx); err != nil {
				return err
			}
		}
		for _, table := range CopyTables {
			c, err := importTable(ctx, tx, src, table)
			if err != nil {
				return err
			}
			counts = append(counts, c)
		}
		return resetIdentities(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

func checkEmpty(ctx context.Context, tx pgx.Tx) error {
	for _, table := range CopyTables {
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&has); err != nil {
			return fmt.Errorf("check %s: %w", table, err)
		}
		if has {
			return fmt.Errorf("%w (table %s has rows)", ErrNotEmpty, table)
		}
	}
	return nil
}

// importTable copies one table in batches of INSERT ... ON CONFLICT DO
// NOTHING.
func importTable(ctx context.Context, tx pgx.Tx, src ImportSource, table string) (TableCount, error) {
	count := TableCount{Table: table}
	binary, err := byteaColumns(ctx, tx, table)
	if err != nil {
		return count, err
	}
	batch := &pgx.Batch{}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		results := tx.SendBatch(ctx, batch)
		for range batch.Len() {
			tag, err := results.Exec()
			if err != nil {
				_ = results.Close() // the Exec error says more
				return fmt.Errorf("copy %s: %w", table, err)
			}
			if tag.RowsAffected() == 1 {
				count.Copied++
			} else {
				count.Present++
			}
		}
		batch = &pgx.Batch{}
		return results.Close()
	}
	err = src(ctx, table, func(columns []string, row []any) error {
		batch.Queue(insertRow(table, columns), convertRow(columns, row, binary)...)
		if batch.Len() >= importBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return count, fmt.Errorf("read %s: %w", table, err)
	}
	return count, flush()
}

// insertRow is the INSERT of one row; column names come from the source's
// schema, which is this binary's own.
func insertRow(table string, columns []string) string {
	marks := make([]string, len(columns))
	quoted := make([]string, len(columns))
	for i, c := range columns {
		marks[i] = fmt.Sprintf("$%d", i+1)
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	return `INSERT INTO ` + pgx.Identifier{table}.Sanitize() + ` (` + strings.Join(quoted, ", ") + `) VALUES (` +
		strings.Join(marks, ", ") + `) ON CONFLICT DO NOTHING`
}

// convertRow gives BYTEA columns bytes and TEXT columns valid text.
func convertRow(columns []string, row []any, binary map[string]bool) []any {
	out := make([]any, len(row))
	for i, v := range row {
		switch s := v.(type) {
		case string:
			if binary[columns[i]] {
				out[i] = bytes(s)
			} else {
				out[i] = text(s)
			}
		default:
			out[i] = v
		}
	}
	return out
}

func byteaColumns(ctx context.Context, tx pgx.Tx, table string) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 AND data_type = 'bytea'`, table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// resetIdentities moves each identity past the largest id, copied or not,
// so that the next append does not collide with a copied row.
func resetIdentities(ctx context.Context, tx pgx.Tx) error {
	for _, table := range identityTables {
		_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), max(id)) FROM `+table+` HAVING max(id) IS NOT NULL`, table)
		if err != nil {
			return fmt.Errorf("move the ids of %s: %w", table, err)
		}
	}
	return nil
}
