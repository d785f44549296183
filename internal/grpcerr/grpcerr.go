// Package grpcerr is the one place where a gRPC status code becomes a bot
// error: which codes are transient, which bot.Error code each status maps
// to. The adapters that call Google's gRPC APIs keep only their wording.
package grpcerr

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
)

// CredentialsRejected is the message for Unauthenticated that every Google
// adapter shares: the fix is the same whichever API said it.
const CredentialsRejected = "Google rejected sccbot's credentials: check the service account it runs as " +
	"(Workload Identity or Application Default Credentials)"

// Code returns err's gRPC code. A context deadline that reached the caller
// without a status (the client gave up before the server answered) counts
// as DeadlineExceeded.
func Code(err error) codes.Code {
	code := status.Code(err)
	if code == codes.Unknown && errors.Is(err, context.DeadlineExceeded) {
		return codes.DeadlineExceeded
	}
	return code
}

// Retryable reports whether a call that failed with err may succeed when
// made again: only transient transport failures the server or the client
// library reported as a status qualify. Whether the call is safe to
// repeat is the caller's to decide.
func Retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}

// Wording is what an adapter tells a responder for each kind of failure.
// A message left empty means the adapter has nothing specific to say: the
// failure is then reported as bot.EInternal with Other.
type Wording struct {
	Permission      string // PermissionDenied
	Unauthenticated string // Unauthenticated
	NotFound        string // NotFound
	Invalid         string // InvalidArgument, OutOfRange
	Conflict        string // FailedPrecondition, Aborted, AlreadyExists
	RateLimited     string // ResourceExhausted
	Unavailable     string // Unavailable
	Deadline        string // DeadlineExceeded
	// Other covers every other code. It should not repeat the server's
	// text, which may quote finding data; that stays in wrapped, for logs.
	Other string
}

// Translate returns the *bot.Error for err, with w's message for its code
// and wrapped (err with what the adapter knows about the call) for logs.
func Translate(err, wrapped error, w Wording) *bot.Error {
	code, msg := reply(Code(err), w)
	if msg == "" {
		code, msg = bot.EInternal, w.Other
	}
	return bot.WrapError(code, msg, wrapped)
}

// reply maps a gRPC code to its bot code and the adapter's message for it.
func reply(c codes.Code, w Wording) (code, msg string) {
	switch c {
	case codes.PermissionDenied:
		return bot.EPermission, w.Permission
	case codes.Unauthenticated:
		return bot.EUnauthorized, w.Unauthenticated
	case codes.NotFound:
		return bot.ENotFound, w.NotFound
	case codes.InvalidArgument, codes.OutOfRange:
		return bot.EInvalid, w.Invalid
	case codes.FailedPrecondition, codes.Aborted, codes.AlreadyExists:
		return bot.EConflict, w.Conflict
	case codes.ResourceExhausted:
		return bot.ERateLimited, w.RateLimited
	case codes.Unavailable:
		return bot.EUnavailable, w.Unavailable
	case codes.DeadlineExceeded:
		return bot.EDeadline, w.Deadline
	}
	return bot.EInternal, w.Other
}
