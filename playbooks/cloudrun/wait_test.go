package cloudrun

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/googleapis/gax-go/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
)

// scriptedOp is a long-running operation whose Wait answers from a
// script: one error per poll (nil once it runs out), and done after the
// poll numbered doneAt, if any.
type scriptedOp struct {
	errs   []error
	doneAt int
	polls  int
}

func (o *scriptedOp) Wait(context.Context, ...gax.CallOption) (string, error) {
	o.polls++
	if o.polls > len(o.errs) || o.errs[o.polls-1] == nil {
		return "result", nil
	}
	return "", o.errs[o.polls-1]
}

func (o *scriptedOp) Done() bool { return o.doneAt > 0 && o.polls >= o.doneAt }

// TestWait: polls that fail in transit are retried; an operation that
// finished with an error, or a wait that ran out of time, is reported at
// once; a shutdown during the pause is the context's error.
func TestWait(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "try later")
	tests := []struct {
		name      string
		op        scriptedOp
		cancel    bool
		wantPolls int
		wantCode  string
		wantCtx   bool
	}{
		{name: "transient then done", op: scriptedOp{errs: []error{unavailable, nil}}, wantPolls: 2},
		{name: "unavailable every time", op: scriptedOp{errs: []error{unavailable, unavailable, unavailable}},
			wantPolls: 3, wantCode: bot.EUnavailable},
		{name: "finished with an error", op: scriptedOp{errs: []error{status.Error(codes.FailedPrecondition, "no")}, doneAt: 1},
			wantPolls: 1, wantCode: bot.EConflict},
		{name: "ran out of time", op: scriptedOp{errs: []error{status.Error(codes.DeadlineExceeded, "slow")}},
			wantPolls: 1, wantCode: bot.EDeadline},
		{name: "shutdown during the pause", op: scriptedOp{errs: []error{unavailable, nil}}, cancel: true,
			wantPolls: 1, wantCtx: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			backoff := func(int) time.Duration { return 0 }
			if tt.cancel {
				backoff = func(int) time.Duration { cancel(); return time.Hour }
			}
			r := New(nil, nil, nil, Options{Limits: retry.Limits{Attempts: 3, Backoff: backoff}})
			op := operation{what: "update Cloud Run service s", target: "projects/p/locations/l/services/s"}
			res, err := wait(ctx, r, op, &tt.op)
			if tt.op.polls != tt.wantPolls {
				t.Errorf("%d polls, want %d", tt.op.polls, tt.wantPolls)
			}
			switch {
			case tt.wantCtx:
				if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "wait to update") {
					t.Errorf("err = %v, want the wait's context.Canceled", err)
				}
			case tt.wantCode != "":
				if got := bot.ErrorCode(err); got != tt.wantCode {
					t.Errorf("code = %v (%v), want %v", got, err, tt.wantCode)
				}
			case err != nil || res != "result":
				t.Errorf("wait = %q, %v; want the result", res, err)
			}
		})
	}
}
