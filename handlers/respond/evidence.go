package respond

import (
	"context"
	"strings"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/playbooks"
)

// evidenceButton is Collect evidence for f, when the operator enabled it
// and the finding's playbook offers it (a GKE pod, a Cloud Run revision).
func (rf *Flow) evidenceButton(f bot.Finding) []bot.Button {
	if _, ok := rf.rule(bot.ActionCollectEvidence); !ok {
		return nil
	}
	for _, r := range rf.fits(f) {
		if r.Action == bot.ActionCollectEvidence {
			return []bot.Button{{ActionID: handlers.ActionEvidence, Label: "Collect evidence", Value: f.ShortID(), Style: bot.ButtonPrimary}}
		}
	}
	return nil
}

// collect requests collect_evidence from the card's button.
func (rf *Flow) collect(ctx context.Context, r handlers.Request) error {
	f, ok := rf.finding(ctx, r, r.Value)
	if !ok {
		return nil
	}
	return rf.request(ctx, r, f, bot.ActionCollectEvidence, "keep the evidence before containment", nil)
}

// refusedForEvidence answers a request the policy refused until evidence
// exists, with the Collect evidence button next to the reason.
func (rf *Flow) refusedForEvidence(ctx context.Context, r handlers.Request, f bot.Finding, action string) {
	text := playbooks.ActionLabel(action) + ": " + playbooks.MsgNeedsEvidence
	m := bot.Message{Text: text, Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T(text))}}}
	if bs := rf.evidenceButton(f); len(bs) > 0 {
		m.Blocks = append(m.Blocks, bot.Actions{Buttons: bs})
	}
	if err := rf.chat.Ephemeral(ctx, r.ResponseURL, r.Channel, r.UserID, m); err != nil {
		rf.log.Warn("could not answer the person who clicked", "user", r.UserID, "err", err)
	}
}

// resultLinks shows a result's links after its outcome: web links as
// links, gs:// locations as code (chat cannot open them).
func resultLinks(res bot.ActionResult) []bot.Span {
	var out []bot.Span
	for _, l := range res.Links {
		out = append(out, bot.T(" · "))
		if strings.HasPrefix(l.URL, "https://") {
			out = append(out, bot.Link(l.Label, l.URL))
			continue
		}
		out = append(out, bot.T(l.Label+": "), bot.M(l.URL))
	}
	return out
}
