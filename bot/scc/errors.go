package scc

import (
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
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
}

// retryable reports whether a failed call may be tried again. Only
// transient transport failures qualify; every Client call is idempotent,
// so repeating one that did reach SCC is harmless.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// translate turns a gRPC error into a *bot.Error whose message tells a
// responder what to do. The gRPC error stays wrapped for logs. attempts is
// how many calls were made, timeout the limit of each.
func translate(err error, op operation, attempts int, timeout time.Duration) error {
	code := status.Code(err)
	wrapped := fmt.Errorf("%s (%s): %w", op.what, op.target, err)
	switch code {
	case codes.PermissionDenied:
		return bot.WrapError(bot.EPermission, fmt.Sprintf(
			"sccbot may not %s under %s: grant its service account %s there", op.verb, op.scope, op.role), wrapped)
	case codes.Unauthenticated:
		return bot.WrapError(bot.EUnauthorized,
			"Google rejected sccbot's credentials: check the service account it runs as "+
				"(Workload Identity or Application Default Credentials)", wrapped)
	case codes.NotFound:
		return bot.WrapError(bot.ENotFound, op.notFound, wrapped)
	case codes.InvalidArgument:
		// SCC's own message may quote the filter, which holds finding text:
		// it goes to the log, not to the channel.
		return bot.WrapError(bot.EInvalid, fmt.Sprintf(
			"SCC rejected the request to %s as invalid; the details are in sccbot's log", op.what), wrapped)
	case codes.ResourceExhausted:
		return bot.WrapError(bot.ERateLimited, "SCC API quota exhausted; try again in a minute", wrapped)
	case codes.Unavailable:
		return bot.WrapError(bot.EUnavailable, fmt.Sprintf(
			"SCC API unavailable (%s); try again in a few minutes", plural(attempts, "attempt")), wrapped)
	case codes.DeadlineExceeded:
		return bot.WrapError(bot.EDeadline, fmt.Sprintf(
			"SCC API did not answer within %s (%s); try again in a few minutes",
			timeout, plural(attempts, "attempt")), wrapped)
	}
	return bot.WrapError(bot.EInternal, fmt.Sprintf(
		"SCC could not %s (%s); the details are in sccbot's log", op.what, code), wrapped)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
