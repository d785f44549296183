package owners

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
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
	attempts, err := retry.Do(ctx, retry.Policy{
		Attempts:  f.opts.Attempts,
		Timeout:   f.opts.Timeout,
		Backoff:   f.opts.Backoff,
		Sleep:     f.opts.Sleep,
		Retryable: retryable,
		OnRetry: func(attempt int, err error, pause time.Duration) {
			f.log.Warn("owner lookup failed; retrying", "op", op.what, "target", op.target, "attempt", attempt,
				"attempts", f.opts.Attempts, "code", status.Code(err).String(), "backoff", pause)
		},
	}, fn)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s (%s): %w", op.what, op.target, ctx.Err())
	}
	return translate(err, op, attempts, f.opts.Timeout)
}

// Sleep waits d or until ctx ends. It is the default Options.Sleep.
func Sleep(ctx context.Context, d time.Duration) error { return retry.Sleep(ctx, d) }
