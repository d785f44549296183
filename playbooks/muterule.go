package playbooks

import (
	"context"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// MuteRuleCreator creates SCC mute rules and returns the created rule's
// name; bot/scc's Client does.
type MuteRuleCreator interface {
	CreateMuteRule(ctx context.Context, r bot.MuteRule) (string, error)
}

// MuteRuleProposer proposes the mute rule for findings like f (bot/scc's
// MuteRuleFor). An empty filter means no safe rule can be written.
type MuteRuleProposer func(f bot.Finding) bot.MuteRule

// MuteRuleResponder carries out mute_rule: it creates, in SCC, the mute
// rule proposed from the finding. The proposal is a pure function of the
// finding, so the rule created on approval is the one the request showed.
type MuteRuleResponder struct {
	creator MuteRuleCreator
	propose MuteRuleProposer
}

// NewMuteRuleResponder returns a MuteRuleResponder.
func NewMuteRuleResponder(creator MuteRuleCreator, propose MuteRuleProposer) *MuteRuleResponder {
	return &MuteRuleResponder{creator: creator, propose: propose}
}

// Actions implements bot.Responder.
func (m *MuteRuleResponder) Actions() []string { return []string{bot.ActionMuteRule} }

// Preview implements bot.Responder: the rule as it would be created.
func (m *MuteRuleResponder) Preview(f bot.Finding, _ string) ([]string, error) {
	r := m.propose(f)
	if r.Filter == "" || r.Parent == "" {
		return nil, bot.Errorf(bot.EInvalid, "no mute rule can be proposed from this finding: "+
			"its category, project or resource cannot be written into a filter that matches it alone")
	}
	return DescribeMuteRule(r), nil
}

// DescribeMuteRule says, in plain text lines, what a mute rule is and
// what it matches.
func DescribeMuteRule(r bot.MuteRule) []string {
	kind := "a dynamic SCC mute rule: it mutes every finding that matches the filter, present and future, " +
		"for as long as the rule exists"
	if r.Type == bot.MuteRuleStatic {
		kind = "a static SCC mute rule: it mutes the findings that match the filter when it is created"
	}
	lines := []string{kind, "id: " + r.ID, "applies under: " + r.Parent, "filter: " + r.Filter}
	if !r.Expiry.IsZero() {
		lines = append(lines, "expires: "+r.Expiry.UTC().Format("2006-01-02 15:04 MST"))
	}
	return append(lines, "description: "+r.Description)
}

// Execute implements bot.Responder. SCC has no dry run for this, so a dry
// run only says what it would create.
func (m *MuteRuleResponder) Execute(ctx context.Context, f bot.Finding, action string, dryRun bool) (bot.ActionResult, error) {
	lines, err := m.Preview(f, action)
	if err != nil {
		return bot.ActionResult{}, err
	}
	if dryRun {
		return bot.ActionResult{DryRun: true, Summary: "Dry run: no mute rule was created", Details: lines}, nil
	}
	name, err := m.creator.CreateMuteRule(ctx, m.propose(f))
	if err != nil {
		return bot.ActionResult{}, fmt.Errorf("create the mute rule: %w", err)
	}
	return bot.ActionResult{Summary: "mute rule " + name + " created in Security Command Center", Details: lines}, nil
}
