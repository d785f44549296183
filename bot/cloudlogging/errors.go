package cloudlogging

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/grpcerr"
)

// maxServerMessage bounds the part of an InvalidArgument message shown to
// users: the server echoes the filter, which holds finding text.
const maxServerMessage = 200

// codeOf returns the gRPC code of err. The generated client returns an
// *apierror.APIError, which carries the gRPC status.
func codeOf(err error) codes.Code { return status.Code(err) }

// resultOf is the metrics label of a call's outcome: "ok" or the canonical
// gRPC code name in lower case, a small fixed set.
func resultOf(err error) string {
	if err == nil {
		return "ok"
	}
	return strings.ToLower(code.Code(codeOf(err)).String())
}

// contextError is the error of a Search whose own context ended: a
// cancellation as is (the caller gave up and knows why), a deadline as a
// bot.Error the responder can read, still matching context.DeadlineExceeded.
func contextError(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.Canceled) {
		return err
	}
	return bot.WrapError(bot.EDeadline, "Cloud Logging did not answer in time; try again.",
		fmt.Errorf("list log entries: %w", err))
}

// translate turns a failed call into a *bot.Error whose message tells the
// responder what to do; the wrapped error keeps the gRPC error for logs.
func translate(err error, project string, attempts int) *bot.Error {
	wrapped := fmt.Errorf("list log entries in projects/%s, attempt %d: %w", project, attempts, err)
	return grpcerr.Translate(err, wrapped, grpcerr.Wording{
		Permission: fmt.Sprintf("sccbot cannot read logs in project %s: "+
			"grant its service account roles/logging.viewer there "+
			"(roles/logging.privateLogViewer for data-access audit logs).", project),
		Unauthenticated: "Cloud Logging rejected sccbot's Google credentials: " +
			"check its service account or Workload Identity binding.",
		NotFound: fmt.Sprintf("Cloud Logging does not know project %s, "+
			"or sccbot may not see it: check the project ID.", project),
		Invalid: rejected(status.Convert(err).Message()),
		RateLimited: "Cloud Logging's read quota is exhausted " +
			"(entries.list allows about 60 requests a minute per project); try again in a minute.",
		Deadline:    "Cloud Logging did not answer in time; try again.",
		Unavailable: "Cloud Logging is not answering; try again in a minute.",
		Other: fmt.Sprintf("Cloud Logging failed to read logs in project %s (%s).",
			project, code.Code(codeOf(err)).String()),
	})
}

func rejected(serverMsg string) string {
	const msg = "Cloud Logging rejected the query"
	serverMsg = strings.TrimSpace(serverMsg)
	if serverMsg == "" {
		return msg + "."
	}
	return msg + ": " + cutRunes(serverMsg, maxServerMessage)
}
