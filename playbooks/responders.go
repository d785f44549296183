package playbooks

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// OwnerLookup finds the people responsible for a finding's project, with
// notes about sources that could not be used.
type OwnerLookup func(ctx context.Context, f bot.Finding) ([]bot.Owner, []string, error)

// Pager pages people about a finding, and resolves the page.
type Pager interface {
	Page(ctx context.Context, f bot.Finding, owners []bot.Owner, dryRun bool) (bot.ActionResult, error)
	ResolveFinding(ctx context.Context, f bot.Finding) error
}

// Messenger reaches a person directly in chat.
type Messenger interface {
	UserByEmail(ctx context.Context, email string) (userID string, ok bool, err error)
	DirectMessage(ctx context.Context, userID string, m bot.Message) (bot.MessageRef, error)
}

// PageResponder carries out page_owner: it looks the owners up, pages them
// (when a pager is configured) and sends each owner who is a chat user a
// direct message with the card's details.
type PageResponder struct {
	owners OwnerLookup
	pager  Pager
	dm     Messenger
	log    *slog.Logger
}

// PageResponderOptions are the optional collaborators of a PageResponder.
type PageResponderOptions struct {
	// Pager raises the page (PagerDuty); nil pages through direct
	// messages only.
	Pager Pager
	// Messenger sends each owner a direct message; nil sends none.
	Messenger Messenger
	Logger    *slog.Logger
}

// NewPageResponder returns a PageResponder finding owners with owners.
func NewPageResponder(owners OwnerLookup, opts PageResponderOptions) *PageResponder {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &PageResponder{owners: owners, pager: opts.Pager, dm: opts.Messenger, log: opts.Logger}
}

// Actions implements bot.Responder.
func (p *PageResponder) Actions() []string { return []string{bot.ActionPageOwner} }

// Preview implements bot.Responder.
func (p *PageResponder) Preview(f bot.Finding, _ string) ([]string, error) {
	lines := []string{"the owners of project " + bot.OrUnset(f.Project()) + ": the finding's contacts, else Essential Contacts (security), else the project's IAM owners"}
	if p.pager != nil {
		lines = append(lines, "a PagerDuty alert keyed by the finding, so pages are not repeated")
	}
	if p.dm != nil {
		lines = append(lines, "a direct message to each owner who has a Slack account")
	}
	return lines, nil
}

// Execute implements bot.Responder.
func (p *PageResponder) Execute(ctx context.Context, f bot.Finding, _ string, dryRun bool) (bot.ActionResult, error) {
	owners, notes, err := p.owners(ctx, f)
	if err != nil {
		return bot.ActionResult{}, fmt.Errorf("look up owners: %w", err)
	}
	res := bot.ActionResult{DryRun: dryRun, Details: append([]string{"owners: " + bot.OrUnset(DescribeOwners(owners))}, notes...)}
	if p.pager != nil {
		paged, err := p.pager.Page(ctx, f, owners, dryRun)
		if err != nil {
			return bot.ActionResult{}, fmt.Errorf("page: %w", err)
		}
		res.Details = append(res.Details, paged.Details...)
	}
	res.Details = append(res.Details, p.directMessages(ctx, f, owners, dryRun)...)
	res.Summary = fmt.Sprintf("%d %s paged", len(owners), bot.Plural(len(owners), "owner", "owners"))
	if dryRun {
		res.Summary = "Dry run: " + res.Summary + " would have been; nothing was sent"
	}
	return res, nil
}

// directMessages tells each owner who is a chat user; failures are noted,
// not fatal: the page went out.
func (p *PageResponder) directMessages(ctx context.Context, f bot.Finding, owners []bot.Owner, dryRun bool) []string {
	if p.dm == nil {
		return nil
	}
	var out []string
	for _, o := range owners {
		id, ok, err := p.dm.UserByEmail(ctx, o.Email)
		switch {
		case err != nil:
			out = append(out, "no direct message to "+o.Email+": "+bot.ErrorMessage(err))
		case !ok:
			out = append(out, o.Email+" has no Slack account; paged only")
		case dryRun:
			out = append(out, "would message "+o.Email+" in Slack")
		default:
			if _, err := p.dm.DirectMessage(ctx, id, ownerMessage(f)); err != nil {
				out = append(out, "direct message to "+o.Email+" failed: "+bot.ErrorMessage(err))
				continue
			}
			out = append(out, "messaged "+o.Email+" in Slack")
		}
	}
	return out
}

func ownerMessage(f bot.Finding) bot.Message {
	text := bot.R(bot.T("You are listed as an owner of project "), bot.M(f.Project()), bot.T(". Security Command Center reported "),
		bot.B(f.Severity.Label()+" · "+bot.CategoryOf(f)), bot.T(" there; the security team asks you to look."))
	if u := bot.FindingURL(f); u != "" {
		text = append(text, bot.T(" "), bot.Link("Open the finding", u))
	}
	return bot.Message{Text: "Security finding in " + f.Project(), Blocks: []bot.Block{bot.Section{Text: text}}}
}

// FindingUpdater changes a finding in Security Command Center.
type FindingUpdater interface {
	SetMute(ctx context.Context, name string, muted bool) (bot.Finding, error)
	SetState(ctx context.Context, name string, active bool) (bot.Finding, error)
}

// FindingWriter stores a finding's latest state.
type FindingWriter interface {
	PutFinding(ctx context.Context, f bot.Finding) error
}

// VerdictRecorder keeps a finding's verdict and writes the audit log; the
// store does both.
type VerdictRecorder interface {
	SetVerdict(ctx context.Context, r bot.VerdictRecord) error
	AppendAudit(ctx context.Context, ev bot.AuditEvent) error
}

// SCCOptions are an SCCResponder's optional collaborators.
type SCCOptions struct {
	// Pager resolves the finding's page when it is resolved.
	Pager Pager
	// Stored keeps the card current: it gets the new state as soon as SCC
	// confirms it, before SCC's own notification of the change arrives.
	Stored FindingWriter
	// Marks and Verdicts record a resolve's verdict: as SCC security
	// marks, and in the store and its audit log. Without them a verdict
	// is not recorded (and the result says so).
	Marks    Marker
	Verdicts VerdictRecorder
	// Now is the clock of the verdict's time (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// SCCResponder carries out mute and resolve in Security Command Center,
// resolves the finding's page when it is resolved, and records the verdict
// a resolve carries.
type SCCResponder struct {
	scc  FindingUpdater
	opts SCCOptions
}

var _ RequestResponder = (*SCCResponder)(nil)

// NewSCCResponder returns an SCCResponder.
func NewSCCResponder(scc FindingUpdater, opts SCCOptions) *SCCResponder {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &SCCResponder{scc: scc, opts: opts}
}

// StoreChange records what SCC answered on the stored finding. Only state
// and mute are taken: SCC's answer to an update lacks the resource details
// the card shows.
func StoreChange(ctx context.Context, w FindingWriter, f, updated bot.Finding) error {
	if w == nil {
		return nil
	}
	if updated.State != "" {
		f.State = updated.State
	}
	if updated.Mute != "" {
		f.Mute = updated.Mute
	}
	return w.PutFinding(ctx, f)
}

// Actions implements bot.Responder.
func (s *SCCResponder) Actions() []string { return []string{bot.ActionMute, bot.ActionResolve} }

// Preview implements bot.Responder.
func (s *SCCResponder) Preview(f bot.Finding, action string) ([]string, error) {
	if action == bot.ActionMute {
		return []string{"finding " + f.ShortID() + " in Security Command Center: mute it (it stays, hidden from default views)"}, nil
	}
	return []string{"finding " + f.ShortID() + " in Security Command Center: set its state to INACTIVE"}, nil
}

// Execute implements bot.Responder. SCC has no dry run for these, so a dry
// run only says what it would do.
func (s *SCCResponder) Execute(ctx context.Context, f bot.Finding, action string, dryRun bool) (bot.ActionResult, error) {
	lines, _ := s.Preview(f, action)
	if dryRun {
		return bot.ActionResult{DryRun: true, Summary: "Dry run: nothing was changed in Security Command Center", Details: lines}, nil
	}
	var updated bot.Finding
	var err error
	if action == bot.ActionMute {
		updated, err = s.scc.SetMute(ctx, f.Name, true)
	} else {
		updated, err = s.scc.SetState(ctx, f.Name, false)
	}
	if err != nil {
		return bot.ActionResult{}, err
	}
	res := bot.ActionResult{Summary: "finding muted in Security Command Center", Details: lines}
	if err := StoreChange(ctx, s.opts.Stored, f, updated); err != nil {
		res.Details = append(res.Details, "the card may show the old state until SCC's notification: "+bot.ErrorMessage(err))
	}
	if action == bot.ActionResolve {
		res.Summary = "finding set INACTIVE in Security Command Center"
		if s.opts.Pager != nil {
			if err := s.opts.Pager.ResolveFinding(ctx, f); err != nil {
				res.Details = append(res.Details, "the PagerDuty alert was not resolved: "+bot.ErrorMessage(err))
			} else {
				res.Details = append(res.Details, "the PagerDuty alert for the finding was resolved")
			}
		}
	}
	return res, nil
}

// ExecuteRequest implements RequestResponder: a resolve whose reason
// carries a verdict (bot.VerdictReason) resolves, then records the
// verdict; anything else is Execute.
func (s *SCCResponder) ExecuteRequest(ctx context.Context, f bot.Finding, req bot.ActionRequest) (bot.ActionResult, error) {
	v, note, ok := bot.ParseVerdictReason(req.Reason)
	if req.Action != bot.ActionResolve || !ok {
		return s.Execute(ctx, f, req.Action, req.DryRun)
	}
	res, err := s.Execute(ctx, f, req.Action, req.DryRun)
	if err != nil {
		return res, err
	}
	if req.DryRun {
		res.Details = append(res.Details, "the verdict "+v.Label()+" would be recorded")
		return res, nil
	}
	rec := bot.VerdictRecord{Finding: f.Name, Verdict: v, By: req.RequestedBy, Note: note, At: s.opts.Now()}
	res.Summary += "; verdict: " + v.Label()
	res.Details = append(res.Details, s.recordVerdict(ctx, req, rec)...)
	return res, nil
}

// recordVerdict writes the verdict as security marks, to the store and to
// the audit log. The finding is resolved whatever happens here, so a
// failure is logged and noted in the result, not returned.
func (s *SCCResponder) recordVerdict(ctx context.Context, req bot.ActionRequest, rec bot.VerdictRecord) []string {
	var notes []string
	fail := func(what string, err error) {
		s.opts.Logger.Warn("verdict not recorded "+what, "request", req.ID, "finding", rec.Finding, "err", err)
		notes = append(notes, "the verdict was not recorded "+what+": "+bot.ErrorMessage(err))
	}
	if s.opts.Marks == nil {
		notes = append(notes, "no security marks are written: the verdict is not on the finding in SCC")
	} else if err := s.opts.Marks.SetMarks(ctx, rec.Finding, rec.Marks()); err != nil {
		fail("as security marks", err)
	} else {
		notes = append(notes, "security marks "+bot.MarkVerdict+"="+string(rec.Verdict)+" and "+bot.MarkVerdictBy+" set")
	}
	if s.opts.Verdicts == nil {
		return append(notes, "no store records verdicts: the card and the digest will not show it")
	}
	if err := s.opts.Verdicts.SetVerdict(ctx, rec); err != nil {
		fail("in the store", err)
	}
	ev := bot.AuditEvent{At: rec.At, Event: bot.AuditVerdict, Request: req.ID, Finding: rec.Finding, Action: req.Action,
		Actor: rec.By, Detail: joinDetail(string(rec.Verdict), rec.Note)}
	if err := s.opts.Verdicts.AppendAudit(ctx, ev); err != nil {
		fail("in the audit log", err)
	}
	return notes
}

// DescribeOwners names the owners a page would reach, with where each was found.
func DescribeOwners(owners []bot.Owner) string {
	parts := make([]string, len(owners))
	for i, o := range owners {
		parts[i] = o.Email + " (" + o.Source + ")"
	}
	return strings.Join(parts, ", ")
}
