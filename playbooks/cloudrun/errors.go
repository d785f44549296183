package cloudrun

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/grpcerr"
	"github.com/sccbot/sccbot/internal/retry"
)

// IAM roles named in permission errors, so that a responder knows what to
// ask for. Cloud Run Developer holds run.services.update,
// run.revisions.delete and run.executions.cancel, and is the role Google's
// pages on managing services and job executions ask for; a narrower custom
// role works too. Cloud Run Viewer holds the get and list permissions.
// Updating a service can also need iam.serviceAccounts.actAs on its
// runtime service account, which Service Account User grants.
const (
	RoleDeveloper          = "roles/run.developer"
	RoleViewer             = "roles/run.viewer"
	RoleServiceAccountUser = "roles/iam.serviceAccountUser"
)

// maxCloudMessage bounds how much of Cloud Run's own error text a user
// sees.
const maxCloudMessage = 300

// operation describes one call for error messages and logs.
type operation struct {
	// what is the step in a user's words: "update Cloud Run service
	// checkout-api".
	what string
	// role grants the step.
	role string
	// project is where the role must be granted.
	project string
	// target is the full resource name, for logs.
	target string
	// notFound is the user's message when Cloud Run answers NotFound.
	notFound string
}

// translate turns a gRPC error into a *bot.Error whose message tells a
// responder what to do; the original stays wrapped for logs. attempts is
// how many calls were made, timeout the limit of each.
func translate(err error, op operation, attempts int, timeout time.Duration) error {
	wrapped := fmt.Errorf("%s (%s): %w", op.what, op.target, err)
	return grpcerr.Translate(err, wrapped, grpcerr.Wording{
		Permission:      permissionMessage(err, op),
		Unauthenticated: grpcerr.CredentialsRejected,
		NotFound:        op.notFound,
		Conflict:        conflictMessage(err, op),
		Invalid:         fmt.Sprintf("Cloud Run rejected the request to %s: %s", op.what, cloudMessage(err)),
		RateLimited:     "Cloud Run API quota exhausted; try again in a minute",
		Unavailable: fmt.Sprintf("Cloud Run API unavailable (%s) when sccbot tried to %s; "+
			"try again in a few minutes", retry.Attempts(attempts), op.what),
		Deadline: fmt.Sprintf("Cloud Run did not answer within %s (%s) when sccbot tried to %s; "+
			"running the action again is safe", timeout, retry.Attempts(attempts), op.what),
		Other: fmt.Sprintf("Cloud Run could not %s (%s); the details are in sccbot's log",
			op.what, status.Code(err)),
	})
}

// permissionMessage names the role to grant. Cloud Run checks actAs on the
// service's runtime service account when the service is updated; its
// message says so, and the fix is a different role on a different
// resource.
func permissionMessage(err error, op operation) string {
	if strings.Contains(strings.ToLower(grpcMessage(err)), "actas") {
		return fmt.Sprintf("sccbot may not %s in project %s: it needs iam.serviceAccounts.actAs on the service's "+
			"runtime service account; grant its service account %s on that account", op.what, op.project,
			RoleServiceAccountUser)
	}
	return fmt.Sprintf("sccbot may not %s in project %s: grant its service account %s there",
		op.what, op.project, op.role)
}

func conflictMessage(err error, op operation) string {
	if status.Code(err) == codes.Aborted {
		return fmt.Sprintf("Cloud Run could not %s: it changed while sccbot was working on it; "+
			"run the action again to start from its new state", op.what)
	}
	return fmt.Sprintf("Cloud Run refused to %s: %s", op.what, cloudMessage(err))
}

// lroFailed reports an operation that Cloud Run accepted and then failed
// to carry out, with Cloud Run's own reason.
func lroFailed(err error, op operation) error {
	wrapped := fmt.Errorf("operation to %s (%s) failed: %w", op.what, op.target, err)
	code := bot.EInternal
	switch status.Code(err) {
	case codes.PermissionDenied:
		return bot.WrapError(bot.EPermission, permissionMessage(err, op), wrapped)
	case codes.FailedPrecondition, codes.Aborted:
		code = bot.EConflict
	case codes.NotFound:
		code = bot.ENotFound
	}
	return bot.WrapError(code, fmt.Sprintf("Cloud Run accepted the request to %s but could not finish it (%s): %s",
		op.what, status.Code(err), cloudMessage(err)), wrapped)
}

// cloudMessage is Cloud Run's own explanation, cut short and flattened to
// one line. It is Google's text about names the bot validated, so it is
// shown; the chat adapter still escapes it for its format.
func cloudMessage(err error) string {
	msg := strings.Join(strings.Fields(grpcMessage(err)), " ")
	if msg == "" {
		return "no reason given"
	}
	if r := []rune(msg); len(r) > maxCloudMessage {
		msg = string(r[:maxCloudMessage]) + "…"
	}
	return msg
}

// grpcMessage is the message of the innermost gRPC status in err's chain.
func grpcMessage(err error) string {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) && se.GRPCStatus() != nil {
		return se.GRPCStatus().Message()
	}
	return ""
}
