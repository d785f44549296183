package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Tables returns the names of the store's tables, bookkeeping included
// (schema_migrations, SQLite's own sqlite_sequence), in name order: what a
// copy to another engine must account for.
func (db *DB) Tables(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// ExportTable calls fn with every row of table, as the driver reads it
// (int64, string, []byte or nil per column), with the column names. It
// reads in one transaction, so the rows are one consistent snapshot.
func (db *DB) ExportTable(ctx context.Context, table string, fn func(columns []string, row []any) error) error {
	tables, err := db.Tables(ctx)
	if err != nil {
		return err
	}
	if !slices.Contains(tables, table) { // the name is written into SQL below
		return fmt.Errorf("export: no table %q", table)
	}
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("export %s: %w", table, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	rows, err := tx.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
	if err != nil {
		return fmt.Errorf("export %s: %w", table, err)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return fmt.Errorf("export %s: %w", table, err)
	}
	for rows.Next() {
		row := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("export %s: %w", table, err)
		}
		if err := fn(columns, row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", table, err)
	}
	return nil
}
