package intake

import (
	"context"
	"fmt"
	"strings"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// describeChange says what changed between two notifications of a finding
// that people should see: its state, mute or severity. It is "" when none
// did.
func describeChange(old, f bot.FindingStatus) string {
	var changes []string
	if old.State != f.State && f.State != "" {
		changes = append(changes, "state "+bot.OrUnset(old.State)+" → "+f.State)
	}
	if handlers.Muted(old) != handlers.Muted(f) {
		if handlers.Muted(f) {
			changes = append(changes, "muted")
		} else {
			changes = append(changes, "unmuted")
		}
	}
	if old.Severity != f.Severity && f.Severity != bot.SeverityUnspecified {
		changes = append(changes, "severity "+old.Severity.Label()+" → "+f.Severity.Label())
	}
	return strings.Join(changes, ", ")
}

// lifecycle shows a change of a finding (resolved, muted, unmuted, a new
// severity) where the finding is shown: a note in the thread of its card or
// of its group's card, and the card itself rebuilt. A change never posts a
// new card.
func (in *Intake) lifecycle(ctx context.Context, old bot.FindingStatus, f bot.Finding, card bot.MessageRef) error {
	change := describeChange(old, f.Status())
	at, err := in.shownAt(ctx, f.Name, card)
	if err != nil {
		return err
	}
	ref, ok := at.ref, at.shown
	if ok {
		msg := bot.Message{Text: "Finding changed: " + change, Blocks: []bot.Block{bot.Section{Text: bot.R(
			bot.T("SCC reports a change to "), bot.M(f.ShortID()), bot.T(": "), bot.B(change), bot.T("."))}}}
		msg.Key = fmt.Sprintf("change/%s/%d/%s/%s/%d", f.Name, f.EventTime.UnixNano(), f.State, f.Mute, f.Severity)
		if _, err := in.poster.Reply(ctx, ref, msg); err != nil {
			in.metrics.failures.Inc()
			return fmt.Errorf("note change of %s: %w", f.Name, err)
		}
		in.cards.Touch(in.cardOwner(ctx, f.Name))
	}
	in.metrics.lifecycle.Inc()
	in.log.Info("finding changed", "finding", f.Name, "change", change, "shown", ok)
	return in.mark(ctx, f, handlers.OutcomeLifecycle)
}

// cardOwner is the finding whose card shows name: itself, or its group's
// representative.
func (in *Intake) cardOwner(ctx context.Context, name string) string {
	if _, ok, err := in.store.Card(ctx, name); err == nil && ok {
		return name
	}
	if in.groups != nil {
		if g, ok, err := in.groups.GroupOf(ctx, name); err == nil && ok {
			return g.Representative
		}
	}
	return name
}
