package owners

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/internal/grpcerr"
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

// translate turns a gRPC error into a *bot.Error whose message tells a
// responder what to do; the gRPC error stays wrapped for the log. Both
// lookups are reads, so grpcerr.Retryable alone decides what is retried.
func translate(err error, op operation, attempts int, timeout time.Duration) error {
	wrapped := fmt.Errorf("%s (%s): %w", op.what, op.target, err)
	return grpcerr.Translate(err, wrapped, grpcerr.Wording{
		Permission: fmt.Sprintf("sccbot may not %s of project %s: grant its service account %s on the project "+
			"(or on its folder or organization)", op.what, op.project, op.grant),
		Unauthenticated: grpcerr.CredentialsRejected,
		NotFound:        fmt.Sprintf("%s does not know project %s", op.service, op.project),
		RateLimited:     op.service + " API quota exhausted; try again in a minute",
		Unavailable: fmt.Sprintf("%s API unavailable (%s); try again in a few minutes",
			op.service, retry.Attempts(attempts)),
		Deadline: fmt.Sprintf("%s API did not answer within %s (%s)", op.service, timeout, retry.Attempts(attempts)),
		// InvalidArgument, a conflict and the rest: Google's own text may
		// quote the request, so it goes to the log, not to the channel.
		Other: fmt.Sprintf("sccbot could not %s of project %s (%s); the details are in sccbot's log",
			op.what, op.project, status.Code(err)),
	})
}

// call runs fn, each attempt under its own timeout, and retries transient
// failures after the configured backoff. The caller's context ending stops
// it at once and is returned as is (wrapped), so that shutdown is not
// reported as a Google fault.
func (f *Finder) call(ctx context.Context, op operation, fn func(ctx context.Context) error) error {
	attempts, err := retry.Do(ctx, f.opts.Policy(grpcerr.Retryable, func(attempt int, err error, pause time.Duration) {
		f.log.Warn("owner lookup failed; retrying", "op", op.what, "target", op.target, "attempt", attempt,
			"attempts", f.opts.Attempts, "code", status.Code(err).String(), "backoff", pause)
	}), fn)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("%s (%s): %w", op.what, op.target, ctx.Err())
	}
	return translate(err, op, attempts, f.opts.Timeout)
}
