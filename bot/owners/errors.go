package owners

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// IAM roles that grant sccbot each lookup, named in permission errors so
// that a responder knows what to ask for. ComputeContacts needs
// essentialcontacts.contacts.list, which Essential Contacts Viewer has.
// GetIamPolicy needs resourcemanager.projects.getIamPolicy: Browser is the
// narrowest predefined role with it (it also lets sccbot list folders and
// projects, but no resources in them); Security Reviewer has it too, with
// every other getIamPolicy permission.
const (
	RoleContactsViewer   = "roles/essentialcontacts.viewer"
	RoleBrowser          = "roles/browser"
	RoleSecurityReviewer = "roles/iam.securityReviewer"
)

// operation describes one lookup for error messages and logs.
type operation struct {
	// what is the lookup in a user's words: "read the Essential Contacts".
	what string
	// target is the resource it was about (projects/456), for logs.
	target string
	// project names the project for people: its ID when known.
	project string
	// grant says what to grant on denial: "roles/essentialcontacts.viewer".
	grant string
	// service is the API's name for people: "Essential Contacts".
	service string
}

// retryable reports whether a failed lookup may be tried again. Both
// lookups are reads, so repeating one that reached Google is harmless.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// translate turns a gRPC error into a *bot.Error whose message tells a
// responder what to do; the gRPC error stays wrapped for the log.
func translate(err error, op operation, attempts int, timeout time.Duration) error {
	wrapped := fmt.Errorf("%s (%s): %w", op.what, op.target, err)
	switch code := status.Code(err); code {
	case codes.PermissionDenied:
		return bot.WrapError(bot.EPermission, fmt.Sprintf(
			"sccbot may not %s of project %s: grant its service account %s on the project "+
				"(or on its folder or organization)", op.what, op.project, op.grant), wrapped)
	case codes.Unauthenticated:
		return bot.WrapError(bot.EUnauthorized,
			"Google rejected sccbot's credentials: check the service account it runs as "+
				"(Workload Identity or Application Default Credentials)", wrapped)
	case codes.NotFound:
		return bot.WrapError(bot.ENotFound, fmt.Sprintf(
			"%s does not know project %s", op.service, op.project), wrapped)
	case codes.ResourceExhausted:
		return bot.WrapError(bot.ERateLimited, op.service+" API quota exhausted; try again in a minute", wrapped)
	case codes.Unavailable:
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf("%s API unavailable (%s); try again in a few minutes",
			op.service, plural(attempts, "attempt", "attempts")), wrapped)
	case codes.DeadlineExceeded:
		return bot.WrapError(bot.EDeadline, fmt.Sprintf("%s API did not answer within %s (%s)",
			op.service, timeout, plural(attempts, "attempt", "attempts")), wrapped)
	default:
		// InvalidArgument and the rest: Google's own text may quote the
		// request, so it goes to the log, not to the channel.
		return bot.WrapError(bot.EInternal, fmt.Sprintf(
			"sccbot could not %s of project %s (%s); the details are in sccbot's log", op.what, op.project, code), wrapped)
	}
}

// call runs fn, each attempt under its own timeout, and retries transient
// failures after the configured backoff. The caller's context ending stops
// it at once and is returned as is (wrapped), so that shutdown is not
// reported as a Google fault.
func (f *Finder) call(ctx context.Context, op operation, fn func(ctx context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := f.attempt(ctx, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s (%s): %w", op.what, op.target, ctx.Err())
		}
		if !retryable(err) || attempt >= f.opts.Attempts {
			return translate(err, op, attempt, f.opts.Timeout)
		}
		pause := f.opts.Backoff(attempt)
		f.log.Warn("owner lookup failed; retrying", "op", op.what, "target", op.target, "attempt", attempt,
			"attempts", f.opts.Attempts, "code", status.Code(err).String(), "backoff", pause)
		if err := f.opts.Sleep(ctx, pause); err != nil {
			return fmt.Errorf("%s (%s): %w", op.what, op.target, err)
		}
	}
}

func (f *Finder) attempt(ctx context.Context, fn func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	return fn(actx)
}

// Sleep waits d or until ctx ends. It is the default Options.Sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
