package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/storerow"
)

// maxList bounds what one query returns, whatever the caller asks.
const maxList = 500

// ListFindings returns the findings q selects, most recently first seen
// first, and how many it selects in all.
func (db *DB) ListFindings(ctx context.Context, q bot.FindingQuery) ([]bot.Finding, int, error) {
	where, args, err := listWhere(q)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM findings`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count findings: %w", err)
	}
	limit := min(max(q.Limit, 1), maxList)
	rows, err := db.read.QueryContext(ctx, `SELECT data FROM findings`+where+
		` ORDER BY first_seen DESC, name LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list findings: %w", err)
	}
	defer rows.Close()
	var out []bot.Finding
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, 0, fmt.Errorf("list findings: %w", err)
		}
		f, err := decodeFinding(data)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list findings: %w", err)
	}
	return out, total, nil
}

// listWhere builds the WHERE clause of q. Every value is a bound
// parameter; only column names, fixed here, are written into the SQL.
func listWhere(q bot.FindingQuery) (string, []any, error) {
	var conds []string
	var args []any
	in := func(column string, values []string) {
		if len(values) == 0 {
			return
		}
		conds = append(conds, column+` IN (`+strings.TrimSuffix(strings.Repeat("?,", len(values)), ",")+`)`)
		for _, v := range values {
			args = append(args, v)
		}
	}
	in("severity", q.SeverityNames())
	in("category", q.Categories)
	in("project", q.Projects)
	var products []string
	for _, p := range q.Products {
		products = append(products, string(p))
	}
	in("product", products)
	in("state", q.States)
	if !q.Since.IsZero() {
		since, err := encodeTime("list since", q.Since)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, `first_seen >= ?`)
		args = append(args, since)
	}
	if err := storerow.ListVerdict(q.Verdict); err != nil {
		return "", nil, err
	}
	if q.Verdict != "" {
		conds = append(conds, `name IN (SELECT finding_name FROM verdicts WHERE verdict = ?)`)
		args = append(args, string(q.Verdict))
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}
