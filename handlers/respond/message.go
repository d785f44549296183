package respond

import (
	"strings"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/playbooks"
)

// requestMessage shows a request in the card's thread: what was asked, by
// whom and why, what it touches, who must approve, and, once decided, who
// decided and what happened. Approve and Deny stay while it is pending.
func requestMessage(req bot.ActionRequest, f bot.Finding, extra []string,
	previewOf func(bot.Finding, string) ([]string, error), ruleOf RuleOf) bot.Message {
	label := playbooks.ActionLabel(req.Action)
	m := bot.Message{Text: label + " requested for " + bot.CategoryOf(f)}
	head := bot.R(bot.T("🛡️ "), bot.B(label), bot.T(" requested by "), bot.Mention(req.RequestedBy))
	if v, note, ok := bot.ParseVerdictReason(req.Reason); ok && req.Action == bot.ActionResolve {
		head = append(head, bot.T(" as "), bot.B(strings.ToLower(v.Label())))
		if note != "" {
			head = append(head, bot.T(": "+note))
		}
	} else {
		head = append(head, bot.T(": "+req.Reason))
	}
	m.Blocks = append(m.Blocks, bot.Section{Text: head})
	preview, err := previewOf(f, req.Action)
	if err != nil {
		preview = []string{bot.ErrorMessage(err)}
	}
	touch := bot.R(bot.B("Touches: "))
	for _, line := range append(preview, extra...) {
		touch = append(touch, bot.T("\n• "+line))
	}
	m.Blocks = append(m.Blocks, bot.Section{Text: touch})
	m.Blocks = append(m.Blocks, bot.Context{Elements: []bot.Rich{approvalLine(req, ruleOf)}})
	if req.State == bot.RequestPending {
		m.Blocks = append(m.Blocks, bot.Actions{Buttons: []bot.Button{
			{ActionID: handlers.ActionApprove, Label: "Approve", Value: req.ID, Style: bot.ButtonPrimary},
			{ActionID: handlers.ActionDeny, Label: "Deny", Value: req.ID, Style: bot.ButtonDanger},
		}})
		return m
	}
	m.Blocks = append(m.Blocks, bot.Section{Text: requestLine(req)})
	if len(req.Result.Details) > 0 {
		m.Blocks = append(m.Blocks, bot.Code{Text: strings.Join(req.Result.Details, "\n")})
	}
	return m
}

// approvalLine says who must approve and until when.
func approvalLine(req bot.ActionRequest, ruleOf RuleOf) bot.Rich {
	rule, _ := ruleOf(req.Action)
	line := bot.R()
	if !rule.Approval {
		line = append(line, bot.T("No approval required by policy"))
	} else {
		line = append(line, bot.T("Approval by "))
		for i, p := range rule.Approvers {
			if i > 0 {
				line = append(line, bot.T(" or "))
			}
			line = append(line, bot.Mention(p))
		}
		if rule.TwoPerson {
			line = append(line, bot.T(" · two-person rule: the requester cannot approve"))
		}
		line = append(line, bot.T(" · expires "+handlers.FormatTime(req.ExpiresAt)))
	}
	if req.DryRun {
		line = append(line, bot.T(" · dry run: nothing will be changed"))
	}
	return line
}

// requestLine is a request's state in one line, for the card and the
// thread.
func requestLine(req bot.ActionRequest) bot.Rich {
	label := playbooks.ActionLabel(req.Action)
	by := bot.R(bot.T(" (requested by "), bot.Mention(req.RequestedBy))
	if req.DecidedBy != "" && req.DecidedBy != playbooks.System {
		by = append(by, bot.T(", decided by "), bot.Mention(req.DecidedBy))
	}
	by = append(by, bot.T(")"))
	var r bot.Rich
	switch req.State {
	case bot.RequestPending:
		r = bot.R(bot.T("⏳ " + label + ": waiting for approval until " + handlers.FormatTime(req.ExpiresAt)))
	case bot.RequestRunning:
		r = bot.R(bot.T("⚙️ " + label + ": running"))
	case bot.RequestDone:
		r = bot.R(bot.T("✅ " + label + ": " + req.Result.Summary + " at " + handlers.FormatTime(req.FinishedAt)))
		r = append(r, resultLinks(req.Result)...)
	case bot.RequestFailed:
		r = bot.R(bot.T("⚠️ " + label + " failed: " + req.Error))
	case bot.RequestDenied:
		r = bot.R(bot.T("🚫 " + label + ": denied at " + handlers.FormatTime(req.DecidedAt)))
	case bot.RequestExpired:
		r = bot.R(bot.T("⌛ " + label + ": expired unapproved at " + handlers.FormatTime(req.ExpiresAt)))
	}
	return append(r, by...)
}
