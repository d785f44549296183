package slackfake_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// TestCloseStopsEverything proves Close ends the server's goroutines (with
// a client connected and a wait in progress), makes waits return ErrClosed,
// and leaves the goroutine count where it started.
func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	f := slackfake.New(slackfake.WithPingInterval(10 * time.Millisecond))
	sc := startSocket(t, f, nil)
	api := newClient(t, f)
	ctx := testCtx(t)
	if _, err := f.SendAndWaitAck(ctx, "slash_commands", f.SlashCommandPayload(slackfake.SlashCommand{Channel: "C1"})); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() {
		_, err := f.WaitMessages(context.Background(), "C1", 99)
		waitErr <- err
	}()
	sc.stop()
	f.Close()
	f.Close() // idempotent
	if err := <-waitErr; !errors.Is(err, slackfake.ErrClosed) {
		t.Errorf("wait after Close = %v, want ErrClosed", err)
	}
	if _, err := f.Send(ctx, "interactive", map[string]any{}); !errors.Is(err, slackfake.ErrClosed) {
		t.Errorf("send after Close = %v, want ErrClosed", err)
	}
	if len(f.Messages("C1")) != 1 {
		t.Error("records not readable after Close")
	}
	// The client's transport and reader goroutines end asynchronously when
	// their sockets close, and even the server's own goroutines are still
	// returning when they signal Close, so this check waits, boundedly.
	deadline := time.Now().Add(5 * time.Second)
	for (runtime.NumGoroutine() > before || len(serverStacks()) > 0) && time.Now().Before(deadline) {
		<-time.After(5 * time.Millisecond)
	}
	if stacks := serverStacks(); len(stacks) > 0 {
		t.Errorf("server goroutines left after Close:\n%s", strings.Join(stacks, "\n\n"))
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after Close\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// serverStacks returns the stacks of goroutines running Server code.
func serverStacks() []string {
	buf := make([]byte, 1<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "slackfake.(*Server)") || strings.Contains(g, "slackfake.(*wsConn)") {
			out = append(out, g)
		}
	}
	return out
}
