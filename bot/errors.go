package bot

import (
	"errors"
	"fmt"
)

// Error codes. Adapters translate their SDK's errors into these so that
// handlers can decide what to tell a user without knowing the SDK.
const (
	EInternal     = "internal"
	EInvalid      = "invalid"
	ENotFound     = "not_found"
	EPermission   = "permission_denied"
	EUnavailable  = "unavailable"
	ERateLimited  = "rate_limited"
	EDeadline     = "deadline_exceeded"
	EConflict     = "conflict"
	EUnauthorized = "unauthorized"
)

// Error is an error whose Message is safe to show to a user. It wraps the
// underlying error for logs.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Error implements error. It includes the wrapped error, so it is for logs,
// not for users; users see ErrorMessage.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Code + ": " + e.Message
	}
	return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a formatted user-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an Error with a user-safe message that wraps err.
func WrapError(code, message string, err error) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first Error in err's chain, or EInternal.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the text a user may see for err. Errors the bot did
// not classify become a generic message so that no internal detail (and no
// secret) reaches a chat channel.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "Internal error. The details are in sccbot's log."
}
