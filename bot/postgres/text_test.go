package postgres

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/bot"
)

// TestPostgresNULInQueryColumns checks what PostgreSQL's TEXT, which
// cannot hold a NUL byte, changes: a finding whose category or project
// holds one is still stored and read back exactly (its JSON keeps the
// byte); only the query copies carry U+FFFD. A name with a NUL is refused.
func TestPostgresNULInQueryColumns(t *testing.T) {
	db, _ := openReopenable(t, nil)
	ctx := t.Context()
	f := raceFinding("nul")
	f.Category = "Execution:\x00 X"
	f.State = "ACT\x00IVE"
	f.Target.Project = "p\x001"
	if err := db.PutFinding(ctx, f); err != nil {
		t.Fatalf("PutFinding with NUL bytes: %v", err)
	}
	got, err := db.Finding(ctx, f.Name)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	list, _, err := db.ListFindings(ctx, bot.FindingQuery{Categories: []string{"Execution:\uFFFD X"}, Limit: 5})
	if err != nil || len(list) != 1 {
		t.Errorf("listing by the stored category copy = %d findings, %v; want 1", len(list), err)
	}
	bad := raceFinding("nul\x00name")
	if err := db.PutFinding(ctx, bad); bot.ErrorCode(err) != bot.EInvalid {
		t.Errorf("PutFinding with a NUL in the name: %v, want EInvalid", err)
	}
}
