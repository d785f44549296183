package grpcerr_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/grpcerr"
)

var full = grpcerr.Wording{
	Permission: "perm", Unauthenticated: "unauth", NotFound: "notfound", Invalid: "invalid",
	Conflict: "conflict", RateLimited: "rate", Unavailable: "unavailable", Deadline: "deadline", Other: "other",
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		code     codes.Code
		wantCode string
		wantMsg  string
	}{
		{codes.PermissionDenied, bot.EPermission, "perm"},
		{codes.Unauthenticated, bot.EUnauthorized, "unauth"},
		{codes.NotFound, bot.ENotFound, "notfound"},
		{codes.InvalidArgument, bot.EInvalid, "invalid"},
		{codes.OutOfRange, bot.EInvalid, "invalid"},
		{codes.FailedPrecondition, bot.EConflict, "conflict"},
		{codes.Aborted, bot.EConflict, "conflict"},
		{codes.AlreadyExists, bot.EConflict, "conflict"},
		{codes.ResourceExhausted, bot.ERateLimited, "rate"},
		{codes.Unavailable, bot.EUnavailable, "unavailable"},
		{codes.DeadlineExceeded, bot.EDeadline, "deadline"},
		{codes.Internal, bot.EInternal, "other"},
		{codes.Unknown, bot.EInternal, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			err := status.Error(tt.code, "server text")
			wrapped := fmt.Errorf("get thing: %w", err)
			got := grpcerr.Translate(err, wrapped, full)
			if got.Code != tt.wantCode || got.Message != tt.wantMsg {
				t.Errorf("Translate(%s) = %s %q, want %s %q", tt.code, got.Code, got.Message, tt.wantCode, tt.wantMsg)
			}
			if !errors.Is(got, wrapped) || status.Code(got) != tt.code {
				t.Errorf("Translate(%s) does not wrap the call's error: %v", tt.code, got)
			}
		})
	}
}

// An adapter with nothing to say about a code reports it as internal,
// with its general message.
func TestTranslateUnworded(t *testing.T) {
	err := status.Error(codes.FailedPrecondition, "server text")
	got := grpcerr.Translate(err, err, grpcerr.Wording{Permission: "perm", Other: "other"})
	if got.Code != bot.EInternal || got.Message != "other" {
		t.Errorf("Translate = %s %q, want internal %q", got.Code, got.Message, "other")
	}
}

// A deadline the client hit before any status came back is a deadline.
func TestCodeContextDeadline(t *testing.T) {
	err := fmt.Errorf("get cluster: %w", context.DeadlineExceeded)
	if got := grpcerr.Code(err); got != codes.DeadlineExceeded {
		t.Errorf("Code(context deadline) = %s, want DeadlineExceeded", got)
	}
	if got := grpcerr.Translate(err, err, full); got.Code != bot.EDeadline {
		t.Errorf("Translate(context deadline) = %s, want %s", got.Code, bot.EDeadline)
	}
	if got := grpcerr.Code(errors.New("plain")); got != codes.Unknown {
		t.Errorf("Code(plain error) = %s, want Unknown", got)
	}
}

func TestRetryable(t *testing.T) {
	for code, want := range map[codes.Code]bool{
		codes.Unavailable:       true,
		codes.DeadlineExceeded:  true,
		codes.PermissionDenied:  false,
		codes.ResourceExhausted: false,
		codes.Internal:          false,
		codes.Aborted:           false,
	} {
		err := fmt.Errorf("call: %w", status.Error(code, "x"))
		if got := grpcerr.Retryable(err); got != want {
			t.Errorf("Retryable(%s) = %v, want %v", code, got, want)
		}
	}
}
