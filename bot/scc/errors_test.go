package scc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/internal/retry"
)

// clientCall is one Client method as the buttons use it.
type clientCall struct {
	name   string
	method string // the RPC
	verb   string
	role   string
	// notFound is the message when SCC answers NotFound.
	notFound string
	call     func(ctx context.Context, c *Client, f bot.Finding) error
}

func clientCalls() []clientCall {
	gone := "SCC has no finding self: it may have been deleted, or Security Command Center is not active under organizations/123456789012"
	return []clientCall{{
		name: "related", method: "ListFindings", verb: "read findings", role: RoleFindingsViewer,
		notFound: `SCC has no findings under organizations/123456789012: check that Security Command Center is active there and uses location "global"`,
		call: func(ctx context.Context, c *Client, f bot.Finding) error {
			_, err := c.Related(ctx, f, 0)
			return err
		},
	}, {
		name: "reload", method: "ListFindings", verb: "read findings", role: RoleFindingsViewer,
		notFound: gone,
		call: func(ctx context.Context, c *Client, f bot.Finding) error {
			_, err := c.Finding(ctx, f.Name)
			return err
		},
	}, {
		name: "mute", method: "SetMute", verb: "mute findings", role: RoleFindingsMuteSetter,
		notFound: gone,
		call: func(ctx context.Context, c *Client, f bot.Finding) error {
			_, err := c.SetMute(ctx, f.Name, true)
			return err
		},
	}, {
		name: "state", method: "SetFindingState", verb: "change the state of findings", role: RoleFindingsStateSetter,
		notFound: gone,
		call: func(ctx context.Context, c *Client, f bot.Finding) error {
			_, err := c.SetState(ctx, f.Name, false)
			return err
		},
	}, {
		name: "marks", method: "UpdateSecurityMarks", verb: "set security marks on findings", role: RoleSecurityMarksWriter,
		notFound: gone,
		call: func(ctx context.Context, c *Client, f bot.Finding) error {
			return c.SetMarks(ctx, f.Name, map[string]string{"sccbot_triaged_by": "U123"})
		},
	}}
}

// TestErrorTranslation: every call turns each gRPC code into the bot's
// code, keeps the gRPC error wrapped, and retries only transient failures,
// up to Attempts, backing off between attempts.
func TestErrorTranslation(t *testing.T) {
	tests := []struct {
		code      codes.Code
		fails     int
		wantCode  string // "" is success
		wantCalls int
		wantPause []int
		wantMsg   string // for codes whose message does not depend on the call
	}{
		{code: codes.PermissionDenied, fails: 1, wantCode: bot.EPermission, wantCalls: 1},
		{code: codes.NotFound, fails: 1, wantCode: bot.ENotFound, wantCalls: 1},
		{code: codes.InvalidArgument, fails: 1, wantCode: bot.EInvalid, wantCalls: 1},
		{code: codes.ResourceExhausted, fails: 1, wantCode: bot.ERateLimited, wantCalls: 1,
			wantMsg: "SCC API quota exhausted; try again in a minute"},
		{code: codes.Unauthenticated, fails: 1, wantCode: bot.EUnauthorized, wantCalls: 1},
		{code: codes.Internal, fails: 1, wantCode: bot.EInternal, wantCalls: 1},
		{code: codes.Unavailable, fails: 1, wantCalls: 2, wantPause: []int{1}},
		{code: codes.DeadlineExceeded, fails: 2, wantCalls: 3, wantPause: []int{1, 2}},
		{code: codes.Unavailable, fails: 3, wantCode: bot.EUnavailable, wantCalls: 3, wantPause: []int{1, 2},
			wantMsg: "SCC API unavailable (3 attempts); try again in a few minutes"},
		{code: codes.DeadlineExceeded, fails: 3, wantCode: bot.EDeadline, wantCalls: 3, wantPause: []int{1, 2},
			wantMsg: "SCC API did not answer within 20s (3 attempts); try again in a few minutes"},
	}
	for _, cc := range clientCalls() {
		for _, tt := range tests {
			t.Run(cc.name+"/"+tt.code.String(), func(t *testing.T) {
				var pauses []int
				env := newClientEnv(t, ClientOptions{Limits: retry.Limits{Backoff: func(attempt int) time.Duration {
					pauses = append(pauses, attempt)
					return 0
				}}})
				f := env.self(sccfake.SeedGKECompiler)
				env.fake.FailNext(cc.method, tt.code, tt.fails)
				err := cc.call(context.Background(), env.client, f)
				checkError(t, err, tt.wantCode, tt.code, tt.wantMsg)
				switch tt.wantCode {
				case bot.EPermission:
					want := "sccbot may not " + cc.verb + " under organizations/123456789012: grant its service account " +
						cc.role + " there"
					checkError(t, err, tt.wantCode, tt.code, want)
				case bot.ENotFound:
					checkError(t, err, tt.wantCode, tt.code, cc.notFound)
				}
				if n := len(env.fake.Requests(cc.method)); n != tt.wantCalls {
					t.Errorf("%d calls, want %d", n, tt.wantCalls)
				}
				if diff := cmp.Diff(tt.wantPause, pauses); diff != "" {
					t.Errorf("backoff attempts (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// checkError checks the bot code, that the gRPC code survives wrapping,
// and the user's message when msg is set.
func checkError(t *testing.T, err error, code string, grpcCode codes.Code, msg string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("err = %v, want success", err)
		}
		return
	}
	if got := bot.ErrorCode(err); got != code {
		t.Errorf("code = %s, want %s (err %v)", got, code, err)
	}
	if got := status.Code(err); got != grpcCode {
		t.Errorf("wrapped gRPC code = %s, want %s", got, grpcCode)
	}
	if msg != "" && bot.ErrorMessage(err) != msg {
		t.Errorf("message = %q, want %q", bot.ErrorMessage(err), msg)
	}
}

// TestAttemptTimeout: each attempt has its own deadline, and an SCC that
// never answers exhausts the attempts as EDeadline.
func TestAttemptTimeout(t *testing.T) {
	env := newClientEnv(t, ClientOptions{Limits: retry.Limits{Timeout: 20 * time.Millisecond, Attempts: 2}})
	env.self(sccfake.SeedGKECompiler)
	env.fake.SetLatency("SetMute", time.Hour)
	_, err := env.client.SetMute(context.Background(), selfName, true)
	checkError(t, err, bot.EDeadline, codes.DeadlineExceeded,
		"SCC API did not answer within 20ms (2 attempts); try again in a few minutes")
	if n := len(env.fake.Requests("SetMute")); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

// TestCallerContextEnds: the caller's cancellation is returned as the
// context's error, not as an SCC fault, whether it happens before the call
// or while backing off; no further attempt is made.
func TestCallerContextEnds(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		env := newClientEnv(t, ClientOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := env.client.SetState(ctx, selfName, false)
		checkContextError(t, err)
	})
	t.Run("during backoff", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		env := newClientEnv(t, ClientOptions{Limits: retry.Limits{Backoff: func(int) time.Duration {
			cancel()
			return time.Hour
		}}})
		f := env.self(sccfake.SeedGKECompiler)
		env.fake.FailNext("ListFindings", codes.Unavailable, 3)
		_, err := env.client.Related(ctx, f, 0)
		checkContextError(t, err)
		if n := len(env.fake.Requests("ListFindings")); n != 1 {
			t.Errorf("%d calls, want 1", n)
		}
	})
}

func checkContextError(t *testing.T, err error) {
	t.Helper()
	var be *bot.Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &be) {
		t.Errorf("err = %v, want context.Canceled and no *bot.Error", err)
	}
}
