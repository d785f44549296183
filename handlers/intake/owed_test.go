package intake

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/sqlite/sqlitetest"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/handlers/handlerstest"
)

// TestOwedCardFailingIsLoggedOnce: an owed card whose channel keeps
// refusing it is tried at every flush, but only its first failure is
// logged (with the cause); the others are counted, and its eventual post
// says how many failures it took.
func TestOwedCardFailingIsLoggedOnce(t *testing.T) {
	ctx := context.Background()
	db := sqlitetest.Open(t, time.Now)
	f := handlerstest.TestFinding("owed1", time.Now())
	if err := db.PutFinding(ctx, f); err != nil {
		t.Fatal(err)
	}
	in := bot.PostIntent{Key: bot.CardKey(f.Name), Channel: "C-gke", Finding: f.Name}
	if _, _, err := db.BeginIntent(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := db.OweIntent(ctx, in.Key); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	poster := &handlerstest.FakePoster{Refuse: map[string]error{"C-gke": errors.New("channel_not_found")}}
	metrics := NewMetrics(prometheus.NewRegistry())
	owed := NewOwed(db, poster, handlers.NewCards(db, nil, handlers.CardsOptions{}), OwedOptions{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: metrics})
	for range 5 {
		owed.Flush(ctx)
		owed.Wait()
	}
	if n := strings.Count(logs.String(), "owed card not posted"); n != 1 {
		t.Errorf("five failures logged %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "channel_not_found") {
		t.Errorf("the failure's cause is not logged:\n%s", logs.String())
	}
	if got := testutil.ToFloat64(metrics.owedFailed); got != 5 {
		t.Errorf("sccbot_owed_card_failures_total = %v, want 5", got)
	}
	poster.Refuse = nil
	owed.Flush(ctx)
	owed.Wait()
	if !strings.Contains(logs.String(), "failures=5") {
		t.Errorf("the recovery does not say how many failures it took:\n%s", logs.String())
	}
	if n := len(poster.All()); n != 1 {
		t.Errorf("%d posts, want the card once", n)
	}
}
