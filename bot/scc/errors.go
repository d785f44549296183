package scc

import (
	"fmt"
	"time"

	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/internal/grpcerr"
	"github.com/sccbot/sccbot/internal/retry"
)

// IAM roles that grant the bot each call, named in permission errors so
// that a responder knows what to ask for. Each is the narrowest predefined
// role with the permission the call needs: securitycenter.findings.list,
// .setMute, .setState and securitycenter.findingsecuritymarks.update.
const (
	RoleFindingsViewer      = "roles/securitycenter.findingsViewer"
	RoleFindingsMuteSetter  = "roles/securitycenter.findingsMuteSetter"
	RoleFindingsStateSetter = "roles/securitycenter.findingsStateSetter"
	RoleSecurityMarksWriter = "roles/securitycenter.findingSecurityMarksWriter"
)

// operation describes one Client call for error messages and logs.
type operation struct {
	// what is the action, for users and logs: "list related findings",
	// "set the finding's mute state".
	what string
	// verb is what sccbot was not allowed to do, in a user's words:
	// "read findings", "mute findings".
	verb string
	// role grants verb.
	role string
	// scope is the organization, folder or project that holds the
	// finding (organizations/123): where the role must be granted.
	scope string
	// target is the full name of the finding or parent the call was
	// about, for logs.
	target string
	// notFound is the user's message when SCC answers NotFound.
	notFound string
	// conflict is the user's message when SCC answers AlreadyExists or
	// FailedPrecondition; calls that cannot meet them leave it empty.
	conflict string
}

// translate turns a gRPC error into a *bot.Error whose message tells a
// responder what to do. The gRPC error stays wrapped for logs. attempts is
// how many calls were made, timeout the limit of each. Every Client call
// is idempotent, so grpcerr.Retryable alone decides what is retried.
func translate(err error, op operation, attempts int, timeout time.Duration) error {
	wrapped := fmt.Errorf("%s (%s): %w", op.what, op.target, err)
	return grpcerr.Translate(err, wrapped, grpcerr.Wording{
		Permission: fmt.Sprintf("sccbot may not %s under %s: grant its service account %s there",
			op.verb, op.scope, op.role),
		Unauthenticated: grpcerr.CredentialsRejected,
		NotFound:        op.notFound,
		Conflict:        op.conflict,
		// SCC's own message may quote the filter, which holds finding
		// text: it goes to the log, not to the channel.
		Invalid:     fmt.Sprintf("SCC rejected the request to %s as invalid; the details are in sccbot's log", op.what),
		RateLimited: "SCC API quota exhausted; try again in a minute",
		Unavailable: fmt.Sprintf("SCC API unavailable (%s); try again in a few minutes", retry.Attempts(attempts)),
		Deadline: fmt.Sprintf("SCC API did not answer within %s (%s); try again in a few minutes",
			timeout, retry.Attempts(attempts)),
		Other: fmt.Sprintf("SCC could not %s (%s); the details are in sccbot's log", op.what, status.Code(err)),
	})
}
