package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM findings`+where, args).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count findings: %w", err)
	}
	args["limit"] = min(max(q.Limit, 1), maxList)
	rows, err := db.pool.Query(ctx, `SELECT data FROM findings`+where+` ORDER BY first_seen DESC, name LIMIT @limit`, args)
	if err != nil {
		return nil, 0, fmt.Errorf("list findings: %w", err)
	}
	out, err := collectFindings(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("list findings: %w", err)
	}
	return out, total, nil
}

// collectFindings decodes every row's one column, a finding's data.
func collectFindings(rows pgx.Rows) ([]bot.Finding, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.Finding, error) {
		var data []byte
		if err := row.Scan(&data); err != nil {
			return bot.Finding{}, err
		}
		return storerow.DecodeFinding(data)
	})
}

// listWhere builds the WHERE clause of q. Every value is a bound
// parameter (an array for a list); only column names, fixed here, are
// written into the SQL.
func listWhere(q bot.FindingQuery) (string, pgx.NamedArgs, error) {
	var conds []string
	args := pgx.NamedArgs{}
	in := func(column string, values []string) {
		if len(values) == 0 {
			return
		}
		conds = append(conds, column+` = ANY(@`+column+`)`)
		texts := make([]string, len(values))
		for i, v := range values {
			texts[i] = text(v)
		}
		args[column] = texts
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
		since, err := storerow.EncodeTime("list since", q.Since)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, `first_seen >= @since`)
		args["since"] = since
	}
	if err := storerow.ListVerdict(q.Verdict); err != nil {
		return "", nil, err
	}
	if q.Verdict != "" {
		conds = append(conds, `name IN (SELECT finding_name FROM verdicts WHERE verdict = @verdict)`)
		args["verdict"] = string(q.Verdict)
	}
	if len(conds) == 0 {
		return "", args, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}
