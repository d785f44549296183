package owners

import (
	"context"
	"fmt"

	"github.com/sccbot/sccbot/bot"
)

// source is one place owners are looked up.
type source struct {
	name string
	// needsProject is set for sources that call an API about the project.
	needsProject bool
	// off, when set, is the note saying why the source is skipped.
	off string
	// list returns the addresses the source names, in order, and notes
	// about entries it skipped before address validation.
	list func(ctx context.Context, f bot.Finding, p project) (emails, notes []string, err error)
	// empty is the note when the source names nobody.
	empty func(p project) string
}

func (f *Finder) sources() []source {
	s := []source{{
		name:  SourceFindingContacts,
		list:  findingContacts,
		empty: func(project) string { return "The finding lists no security contacts." },
	}, {
		name: SourceEssentialContacts, needsProject: true, list: f.essentialContacts,
		empty: func(p project) string {
			return fmt.Sprintf("Essential Contacts lists no SECURITY contacts for project %s, its folders or its organization.", p.label)
		},
	}, {
		name: SourceIAMOwner, needsProject: true, list: f.iamOwners,
		empty: func(p project) string {
			return fmt.Sprintf("Project %s has no IAM owners (roles/owner) who are users or groups.", p.label)
		},
	}}
	if f.contacts == nil {
		s[1].off = "sccbot is not set up to read Essential Contacts, so it skipped them."
	}
	if f.projects == nil {
		s[2].off = "sccbot is not set up to read IAM policies, so it skipped the project's IAM owners."
	}
	return s
}

// Owners returns the owners of the finding's project from the first source
// that names any. A source that fails is skipped with a note carrying its
// user-safe error. The error is non-nil when the caller's context ended,
// or when nobody was found and some source failed: it is then the first
// failure (a *bot.Error), and the Result still holds every note, so that a
// responder sees both what failed and what was empty.
func (f *Finder) Owners(ctx context.Context, finding bot.Finding) (Result, error) {
	var res Result
	var firstErr error
	p, hasProject := projectOf(finding)
	for _, s := range f.sources() {
		switch {
		case s.needsProject && !hasProject:
			res.Notes = append(res.Notes,
				"The finding names no project, so sccbot cannot look up its Essential Contacts or IAM owners.")
			return res, firstErr
		case s.off != "":
			res.Notes = append(res.Notes, s.off)
			continue
		}
		owners, notes, err := f.lookup(ctx, s, finding, p)
		res.Notes = append(res.Notes, notes...)
		if err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			f.log.Warn("owner lookup failed; trying the next source", "source", s.name, "project", p.name, "err", err)
			res.Notes = append(res.Notes, bot.ErrorMessage(err))
			firstErr = cmpOr(firstErr, err)
			continue
		}
		if len(owners) > 0 {
			f.log.Info("found project owners", "source", s.name, "project", p.name, "owners", len(owners))
			res.Owners = owners
			return res, nil
		}
	}
	return res, firstErr
}

// lookup runs one source and keeps its valid, distinct addresses.
func (f *Finder) lookup(ctx context.Context, s source, finding bot.Finding, p project) ([]bot.Owner, []string, error) {
	emails, notes, err := s.list(ctx, finding, p)
	if err != nil {
		return nil, notes, err
	}
	c := newCollector(s.name, f.opts.MaxOwners)
	for _, e := range emails {
		if !c.add(e) {
			f.log.Warn("skipped an owner entry that is not an e-mail address", "source", s.name,
				"project", p.name, "entry", fmt.Sprintf("%.100q", e))
		}
	}
	notes = append(notes, c.notes()...)
	if len(c.owners) == 0 {
		notes = append(notes, s.empty(p))
	}
	return c.owners, notes, nil
}

// findingContacts are the addresses SCC put in the finding; no call.
func findingContacts(_ context.Context, f bot.Finding, _ project) ([]string, []string, error) {
	return f.Contacts, nil, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
