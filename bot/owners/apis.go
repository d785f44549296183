package owners

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cloud.google.com/go/essentialcontacts/apiv1/essentialcontactspb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"

	"github.com/sccbot/sccbot/bot"
)

const (
	// contactsPageSize is the ComputeContacts page size (the API's default).
	contactsPageSize = 100
	// maxContactsRead bounds how many contacts one lookup reads: a
	// hierarchy with more SECURITY contacts than this is misconfigured, and
	// the cap of owners shown is far lower anyway.
	maxContactsRead = 500
	// policyVersion 3 returns conditional bindings with their conditions;
	// an older version would hide them behind renamed roles.
	policyVersion = 3
	roleOwner     = "roles/owner"
)

// noRetry turns off the client library's own retries (GetIamPolicy retries
// Unavailable by default), so that Finder.call is the one retry loop, with
// its per-attempt timeout and injectable backoff.
func noRetry() gax.CallOption { return gax.WithRetry(func() gax.Retryer { return nil }) }

// essentialContacts asks Essential Contacts for the project's SECURITY
// contacts. ComputeContacts includes contacts inherited from the folders
// and organization above the project and contacts subscribed to ALL.
func (f *Finder) essentialContacts(ctx context.Context, _ bot.Finding, p project) ([]string, []string, error) {
	req := &essentialcontactspb.ComputeContactsRequest{
		Parent:                 p.name,
		NotificationCategories: []essentialcontactspb.NotificationCategory{essentialcontactspb.NotificationCategory_SECURITY},
		PageSize:               contactsPageSize,
	}
	op := operation{what: "read the Essential Contacts", target: p.name, project: p.label,
		grant: RoleContactsViewer, service: "Essential Contacts"}
	var contacts []*essentialcontactspb.Contact
	err := f.call(ctx, op, func(ctx context.Context) (err error) {
		contacts, err = f.readContacts(ctx, req)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var emails []string
	invalid := 0
	for _, c := range contacts {
		// Google marks a contact INVALID when mail to it bounces: paging
		// an address nobody reads would look like a page that went out.
		if c.GetValidationState() == essentialcontactspb.ValidationState_INVALID {
			invalid++
			continue
		}
		emails = append(emails, c.GetEmail())
	}
	var notes []string
	if invalid > 0 {
		notes = append(notes, fmt.Sprintf("Skipped %s that Google marks as invalid (mail to %s bounced).",
			plural(invalid, "essential contact", "essential contacts"), pronoun(invalid)))
	}
	return emails, notes, nil
}

// readContacts reads every page under one attempt's deadline.
func (f *Finder) readContacts(ctx context.Context, req *essentialcontactspb.ComputeContactsRequest) ([]*essentialcontactspb.Contact, error) {
	it := f.contacts.ComputeContacts(ctx, req, noRetry())
	var out []*essentialcontactspb.Contact
	for len(out) < maxContactsRead {
		c, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// iamOwners reads the project's IAM policy and returns the users and
// groups bound to roles/owner.
func (f *Finder) iamOwners(ctx context.Context, _ bot.Finding, p project) ([]string, []string, error) {
	req := &iampb.GetIamPolicyRequest{
		Resource: p.name,
		Options:  &iampb.GetPolicyOptions{RequestedPolicyVersion: policyVersion},
	}
	op := operation{what: "read the IAM policy", target: p.name, project: p.label,
		grant: RoleBrowser + " (or " + RoleSecurityReviewer + ")", service: "Resource Manager"}
	var policy *iampb.Policy
	err := f.call(ctx, op, func(ctx context.Context) (err error) {
		policy, err = f.projects.GetIamPolicy(ctx, req, noRetry())
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	emails, conditional := ownerMembers(policy)
	var notes []string
	if conditional > 0 {
		notes = append(notes, fmt.Sprintf("Skipped %s of project %s: sccbot does not evaluate IAM conditions, "+
			"and an owner whose access has a condition (often an expiry) may no longer own it.",
			plural(conditional, "conditional owner binding", "conditional owner bindings"), p.label))
	}
	return emails, notes, nil
}

// ownerMembers returns the addresses of the users and groups that
// unconditional roles/owner bindings name, and how many conditional owner
// bindings it skipped. Service accounts are not people to page; deleted
// members (deleted:user:...), domains, allUsers and workforce principals
// name nobody who can be paged either.
func ownerMembers(p *iampb.Policy) (emails []string, conditional int) {
	for _, b := range p.GetBindings() {
		role := b.GetRole()
		switch {
		case role == roleOwner && b.GetCondition() == nil:
			emails = append(emails, memberEmails(b.GetMembers())...)
		case role == roleOwner, strings.HasPrefix(role, roleOwner+"_withcond_"):
			// _withcond_ is how a version 1 policy spells a conditional
			// binding; with version 3 requested it should not appear.
			conditional++
		}
	}
	return emails, conditional
}

func memberEmails(members []string) []string {
	var out []string
	for _, m := range members {
		kind, email, ok := strings.Cut(m, ":")
		if ok && (kind == "user" || kind == "group") {
			out = append(out, email)
		}
	}
	return out
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
