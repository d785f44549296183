package respond

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
	"github.com/sccbot/sccbot/playbooks"
)

// openContain opens the containment dialog: the actions that fit the
// finding (the playbook's suggestion first), what each would touch, and a
// required reason.
func (rf *Flow) openContain(ctx context.Context, r handlers.Request) error {
	f, ok := rf.finding(ctx, r, r.Value)
	if !ok {
		return nil
	}
	actions := rf.containActions(f)
	if len(actions) == 0 {
		rf.tell(ctx, r, "No containment action fits this finding, or none is enabled.")
		return nil
	}
	if err := rf.dialogs.OpenModal(ctx, r.TriggerID, rf.containModal(f, actions, handlers.DialogMetadata(f, r))); err != nil {
		rf.tell(ctx, r, "Contain: "+bot.ErrorMessage(err))
	}
	return nil
}

func (rf *Flow) containModal(f bot.Finding, actions []playbooks.Response, meta string) bot.Modal {
	var options []bot.Option
	preview := []bot.Block{bot.Section{Text: bot.R(bot.T("What each action would touch:"))}}
	initial := actions[0].Action
	for _, a := range actions {
		label := a.Label
		if a.Suggested {
			label += " (suggested)"
			initial = a.Action
		}
		options = append(options, bot.Option{Value: a.Action, Label: label})
		lines, err := rf.runner.Preview(f, a.Action)
		if err != nil {
			lines = []string{bot.ErrorMessage(err)}
		}
		preview = append(preview, bot.Section{Text: bot.R(bot.B(a.Label+": "), bot.T(strings.Join(lines, "; ")))})
	}
	return bot.Modal{CallbackID: handlers.CallbackContain, Title: "Contain", Submit: "Request", Close: "Cancel",
		Metadata: meta, Blocks: preview, Inputs: []bot.Input{
			{ID: "action", Kind: bot.InputRadio, Label: "Action", Options: options, Initial: initial},
			{ID: "reason", Kind: bot.InputMultiline, Label: "Why", MaxLength: 500,
				Hint: "What you found; approvers read this before they approve."},
		}}
}

func validateContain(r handlers.Request) map[string]string {
	problems := validateReason(r)
	if !IsContainment(r.Values["action"]) {
		problems["action"] = "Choose an action."
	}
	return problems
}

func validateReason(r handlers.Request) map[string]string {
	problems := map[string]string{}
	if strings.TrimSpace(r.Values["reason"]) == "" {
		problems["reason"] = "Say why: the approvers and the audit log need it."
	}
	return problems
}

func (rf *Flow) submitContain(ctx context.Context, r handlers.Request) error {
	if len(validateContain(r)) > 0 {
		return nil // the dialog refused it; a forged submission gets nothing
	}
	ref, r := handlers.FromDialog(r)
	f, ok := rf.finding(ctx, r, ref)
	if !ok {
		return nil
	}
	if !rf.fitsAction(f, r.Values["action"]) {
		rf.tell(ctx, r, "That action does not fit this finding.")
		return nil
	}
	return rf.request(ctx, r, f, r.Values["action"], joinReasons(r.Values["reason"]), nil)
}

// fitsAction checks again, at submission, that the chosen action is one the
// dialog offered.
func (rf *Flow) fitsAction(f bot.Finding, action string) bool {
	for _, a := range rf.containActions(f) {
		if a.Action == action {
			return true
		}
	}
	return false
}

func (rf *Flow) openMute(ctx context.Context, r handlers.Request) error {
	f, ok := rf.finding(ctx, r, r.Value)
	if !ok {
		return nil
	}
	m := bot.Modal{CallbackID: handlers.CallbackMute, Title: "Mute finding", Submit: "Request", Close: "Cancel",
		Metadata: handlers.DialogMetadata(f, r),
		Blocks:   []bot.Block{bot.Section{Text: bot.R(bot.T("Muting hides the finding in Security Command Center's default views; it stays recorded and can be unmuted."))}},
		Inputs: []bot.Input{{ID: "reason", Kind: bot.InputMultiline, Label: "Why", MaxLength: 500,
			Hint: "For example: a known test workload."}}}
	if err := rf.dialogs.OpenModal(ctx, r.TriggerID, m); err != nil {
		rf.tell(ctx, r, "Mute: "+bot.ErrorMessage(err))
	}
	return nil
}

func (rf *Flow) submitMute(ctx context.Context, r handlers.Request) error {
	if len(validateReason(r)) > 0 {
		return nil
	}
	ref, r := handlers.FromDialog(r)
	f, ok := rf.finding(ctx, r, ref)
	if !ok {
		return nil
	}
	return rf.request(ctx, r, f, bot.ActionMute, joinReasons(r.Values["reason"]), nil)
}

// openResolve opens the resolve dialog: a verdict (required, no default:
// the responder must choose) and an optional note.
func (rf *Flow) openResolve(ctx context.Context, r handlers.Request) error {
	f, ok := rf.finding(ctx, r, r.Value)
	if !ok {
		return nil
	}
	if err := rf.dialogs.OpenModal(ctx, r.TriggerID, resolveModal(handlers.DialogMetadata(f, r))); err != nil {
		rf.tell(ctx, r, "Resolve: "+bot.ErrorMessage(err))
	}
	return nil
}

func resolveModal(meta string) bot.Modal {
	options := make([]bot.Option, 0, len(bot.Verdicts()))
	for _, v := range bot.Verdicts() {
		options = append(options, bot.Option{Value: string(v), Label: v.Label()})
	}
	return bot.Modal{CallbackID: handlers.CallbackResolve, Title: "Resolve finding", Submit: "Resolve", Close: "Cancel",
		Metadata: meta,
		Blocks: []bot.Block{bot.Section{Text: bot.R(bot.T("Resolving sets the finding INACTIVE in Security Command Center. " +
			"The verdict is written to the finding as security marks, to the audit log and to the card."))}},
		Inputs: []bot.Input{
			{ID: "verdict", Kind: bot.InputSelect, Label: "Verdict", Options: options},
			{ID: "note", Kind: bot.InputMultiline, Label: "Note", Optional: true, MaxLength: bot.MaxVerdictNote,
				Hint: "What you found, for whoever reads the finding next."},
		}}
}

func validateResolve(r handlers.Request) map[string]string {
	problems := map[string]string{}
	if _, err := bot.ParseVerdict(r.Values["verdict"]); err != nil || r.Values["verdict"] == "" {
		problems["verdict"] = "Choose a verdict."
	}
	if utf8.RuneCountInString(r.Values["note"]) > bot.MaxVerdictNote {
		problems["note"] = fmt.Sprintf("Keep the note to %d characters.", bot.MaxVerdictNote)
	}
	return problems
}

func (rf *Flow) submitResolve(ctx context.Context, r handlers.Request) error {
	if len(validateResolve(r)) > 0 {
		return nil // the dialog refused it; a forged submission gets nothing
	}
	v, _ := bot.ParseVerdict(r.Values["verdict"])
	ref, r := handlers.FromDialog(r)
	return rf.RequestResolve(ctx, r, ref, v, r.Values["note"])
}

// RequestResolve is `/finding resolve ID verdict=V note` and the resolve
// dialog's submission: a resolve request carrying the verdict and note.
func (rf *Flow) RequestResolve(ctx context.Context, r handlers.Request, ref string, v bot.Verdict, note string) error {
	f, ok := rf.finding(ctx, r, ref)
	if !ok {
		return nil
	}
	return rf.request(ctx, r, f, bot.ActionResolve, bot.VerdictReason(v, note), nil)
}

// page looks the owners up first, so that the request shows who will be
// paged.
func (rf *Flow) page(ctx context.Context, r handlers.Request) error {
	f, ok := rf.finding(ctx, r, r.Value)
	if !ok {
		return nil
	}
	var extra []string
	if rf.owners != nil {
		owners, notes, err := rf.owners(ctx, f)
		switch {
		case err != nil:
			extra = append(extra, "Owners could not be looked up: "+bot.ErrorMessage(err))
		case len(owners) == 0:
			extra = append(extra, "No owner was found; the paging service's on-call will be paged.")
		default:
			extra = append(extra, "Will page: "+playbooks.DescribeOwners(owners))
		}
		extra = append(extra, notes...)
	}
	return rf.request(ctx, r, f, bot.ActionPageOwner, "page the project's owners", extra)
}
