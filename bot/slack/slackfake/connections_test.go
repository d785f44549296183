package slackfake_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// dialRaw opens a Socket Mode connection the way slack-go does (a fresh
// ticket URL from apps.connections.open) and returns it with its first
// frame.
func dialRaw(t *testing.T, ctx context.Context, f *slackfake.Server) (*websocket.Conn, map[string]any) {
	t.Helper()
	_, url, err := newClient(t, f).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var first map[string]any
	if err := ws.ReadJSON(&first); err != nil {
		t.Fatalf("first frame: %v", err)
	}
	return ws, first
}

// TestTenConnectionsPerApp proves the app's limit: ten connections get
// hello, the eleventh is told too_many_websockets and closed, and once one
// of the ten closes a new one is accepted.
func TestTenConnectionsPerApp(t *testing.T) {
	f := newFake(t, slackfake.WithPingInterval(0))
	ctx := testCtx(t)
	var conns []*websocket.Conn
	for i := range 10 {
		ws, first := dialRaw(t, ctx, f)
		if first["type"] != "hello" || first["num_connections"] != float64(i+1) {
			t.Fatalf("connection %d got %v, want hello with num_connections %d", i+1, first, i+1)
		}
		conns = append(conns, ws)
	}
	extra, first := dialRaw(t, ctx, f)
	if first["type"] != "disconnect" || first["reason"] != "too_many_websockets" {
		t.Errorf("the eleventh connection got %v, want disconnect too_many_websockets", first)
	}
	if _, _, err := extra.ReadMessage(); err == nil {
		t.Error("the eleventh connection stayed open")
	}
	if st := f.Stats(); st.Refused != 1 || st.Dials != 10 {
		t.Errorf("stats: refused %d, dials %d; want 1 and 10", st.Refused, st.Dials)
	}
	conns[3].Close()
	if err := f.WaitOpenConns(ctx, 9); err != nil {
		t.Fatal(err)
	}
	if _, first := dialRaw(t, ctx, f); first["type"] != "hello" {
		t.Errorf("a connection after one of ten closed got %v, want hello", first)
	}
}

// startClients starts n real socketmode clients one after the other, so
// that client i holds connection i+1, and waits for each one's hello.
func startClients(t *testing.T, ctx context.Context, f *slackfake.Server, n int) []*socketClient {
	t.Helper()
	var out []*socketClient
	for i := range n {
		sc := startSocket(t, f, nil)
		if err := f.WaitDials(ctx, i+1); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.waitEvent(ctx, socketmode.EventTypeHello, 0); err != nil {
			t.Fatalf("client %d: no hello: %v", i, err)
		}
		out = append(out, sc)
	}
	return out
}

// sendCommands sends n slash commands whose text is their number and
// returns their envelope ids in order.
func sendCommands(ctx context.Context, f *slackfake.Server, from, n int) ([]string, error) {
	var ids []string
	for i := from; i < from+n; i++ {
		id, err := f.Send(ctx, "slash_commands", f.SlashCommandPayload(slackfake.SlashCommand{Text: strconv.Itoa(i), UserID: "U1", Channel: "C1"}))
		if err != nil {
			return ids, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// commandsSeen returns the texts of the slash commands a client received,
// one per delivery.
func (sc *socketClient) commandsSeen() []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var out []string
	for _, e := range sc.events {
		if cmd, ok := e.Data.(slack.SlashCommand); ok {
			out = append(out, cmd.Text)
		}
	}
	return out
}

// attempts counts the envelope attempts written per envelope id.
func attempts(f *slackfake.Server) map[string]int {
	out := map[string]int{}
	for _, e := range f.Envelopes() {
		out[e.ID]++
	}
	return out
}

// TestThreeClientsShareTheEnvelopes runs three real clients on one app
// and sends 300 envelopes: they are spread evenly, every one is acked, and
// each payload reaches exactly one client unless its ack came too late and
// Slack's retry took it to another.
func TestThreeClientsShareTheEnvelopes(t *testing.T) {
	f := newFake(t, slackfake.WithRedelivery(3*time.Second, 3))
	ctx := testCtx(t)
	clients := startClients(t, ctx, f, 3)
	ids, err := sendCommands(ctx, f, 0, 300)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := f.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	delivered := map[string]int{}
	for _, sc := range clients {
		for _, text := range sc.commandsSeen() {
			delivered[text]++
		}
	}
	tries := attempts(f)
	for i, id := range ids {
		if n := delivered[strconv.Itoa(i)]; n != tries[id] || n == 0 {
			t.Errorf("command %d reached the clients %d times in %d attempts", i, n, tries[id])
		}
	}
	for _, c := range f.Connections() {
		if len(c.Envelopes) < 100 {
			t.Errorf("connection %d carried %d envelopes, want its turn of at least 100", c.ID, len(c.Envelopes))
		}
		for _, id := range c.Acks {
			if !slices.Contains(c.Envelopes, id) {
				t.Errorf("connection %d acked %s, which another connection carried", c.ID, id)
			}
		}
	}
}

// TestKilledClientsEnvelopesGoToTheOthers kills one of three clients in
// the middle of a stream, with envelopes it read but never acked: Slack's
// retry takes each of them to a live client, which acks it, and nothing
// is lost. What the dead client had acked is not sent again.
func TestKilledClientsEnvelopesGoToTheOthers(t *testing.T) {
	f := newFake(t, slackfake.WithRedelivery(2*time.Second, 3))
	ctx := testCtx(t)
	clients := startClients(t, ctx, f, 3)
	victim := clients[2] // holds connection 3
	ids, err := sendCommands(ctx, f, 0, 30)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := f.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// The victim hangs: it reads its share of the next 30, acks none.
	victim.mute.Store(true)
	more, err := sendCommands(ctx, f, 30, 30)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := victim.waitEvent(ctx, socketmode.EventTypeSlashCommand, 19); err != nil {
		t.Fatal(err)
	}
	// It dies while the stream goes on.
	type sent struct {
		ids []string
		err error
	}
	done := make(chan sent, 1)
	go func() {
		ids, err := sendCommands(ctx, f, 60, 30)
		done <- sent{ids, err}
	}()
	victim.stop()
	_ = f.DropConn(3) // it may have closed already
	last := <-done
	if last.err != nil {
		t.Fatal(last.err)
	}
	for _, id := range append(append(ids, more...), last.ids...) {
		if _, err := f.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	dead := f.Connections()[2]
	var lost []string
	for _, id := range dead.Envelopes {
		if !slices.Contains(dead.Acks, id) {
			lost = append(lost, id)
		}
	}
	if len(lost) < 10 {
		t.Fatalf("the dead client left %d envelopes unacked, want at least the 10 it read after it hung", len(lost))
	}
	retried := map[string]slackfake.Envelope{}
	for _, e := range f.Envelopes() {
		if e.RetryAttempt > 0 {
			retried[e.ID] = e
		}
	}
	for _, id := range lost {
		e, ok := retried[id]
		if !ok || e.Conn == 3 || e.RetryReason != "timeout" {
			t.Errorf("envelope %s the dead client held: retry %+v, want one with reason timeout on a live connection", id, e)
			for _, x := range f.Envelopes() {
				if x.ID == id {
					t.Logf("attempt %+v", x)
				}
			}
			for _, a := range f.Acks() {
				if a.EnvelopeID == id {
					t.Logf("ack %+v", a)
				}
			}
		}
	}
	for _, id := range dead.Acks {
		if _, ok := retried[id]; ok {
			t.Errorf("envelope %s was acked by the client before it died, yet sent again", id)
		}
	}
	if n := len(retried); n != len(lost) {
		t.Errorf("%d envelopes retried, want exactly the %d the dead client held", n, len(lost))
	}
}

// TestRandomSpreadIsSeeded shows WithRandomSpread picking among the open
// connections at random, and the same seed giving the same picks.
func TestRandomSpreadIsSeeded(t *testing.T) {
	run := func() []int {
		f := newFake(t, slackfake.WithRandomSpread(7))
		ctx := testCtx(t)
		startClients(t, ctx, f, 3)
		ids, err := sendCommands(ctx, f, 0, 60)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WaitAck(ctx, ids[len(ids)-1]); err != nil {
			t.Fatal(err)
		}
		var conns []int
		for _, e := range f.Envelopes() {
			conns = append(conns, e.Conn)
		}
		return conns
	}
	first, second := run(), run()
	if !slices.Equal(first, second) {
		t.Errorf("same seed, different picks:\n%v\n%v", first, second)
	}
	counts := map[int]int{}
	for _, c := range first {
		counts[c]++
	}
	if len(counts) != 3 || slices.Equal(first[:3], []int{1, 2, 3}) && slices.Equal(first[3:6], []int{1, 2, 3}) {
		t.Errorf("picks %v: want all three connections, not in turn", first)
	}
}

// TestAckOnAnotherConnection acks an envelope on another connection of
// the app than the one that carried it, as slack-go does with an ack
// queued before a disconnect. By default it counts, marked Foreign; with
// WithStrictAcks it does not, and the envelope is redelivered on the
// other connection, where its ack counts.
func TestAckOnAnotherConnection(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(map[bool]string{false: "lenient", true: "strict"}[strict], func(t *testing.T) {
			opts := []slackfake.Option{slackfake.WithPingInterval(0), slackfake.WithRedelivery(100*time.Millisecond, 1)}
			if strict {
				opts = append(opts, slackfake.WithStrictAcks())
			}
			f := newFake(t, opts...)
			ctx := testCtx(t)
			one, _ := dialRaw(t, ctx, f)
			two, _ := dialRaw(t, ctx, f)
			id, err := f.Send(ctx, "events_api", map[string]any{"type": "event_callback"})
			if err != nil {
				t.Fatal(err)
			}
			var env struct {
				EnvelopeID   string `json:"envelope_id"`
				RetryAttempt int    `json:"retry_attempt"`
			}
			if err := one.ReadJSON(&env); err != nil || env.EnvelopeID != id {
				t.Fatalf("connection 1 read %+v, %v; want envelope %s", env, err, id)
			}
			if err := two.WriteJSON(map[string]string{"envelope_id": id}); err != nil {
				t.Fatal(err)
			}
			ack, err := f.WaitAck(ctx, id)
			if err != nil || !ack.Foreign || ack.Conn != 2 || f.Stats().ForeignAcks != 1 {
				t.Fatalf("ack = %+v, %v; want a foreign ack on connection 2, counted", ack, err)
			}
			if !strict {
				return
			}
			if err := two.ReadJSON(&env); err != nil || env.EnvelopeID != id || env.RetryAttempt != 1 {
				t.Fatalf("connection 2 read %+v, %v; want envelope %s again, retry_attempt 1", env, err, id)
			}
			if err := two.WriteJSON(map[string]string{"envelope_id": id}); err != nil {
				t.Fatal(err)
			}
			// The server reads a connection's frames in order: once it
			// has seen this one close, it has recorded the ack before.
			two.Close()
			if err := f.WaitOpenConns(ctx, 1); err != nil {
				t.Fatal(err)
			}
			acks := f.Acks()
			if len(acks) != 2 || acks[1].Foreign || acks[1].Conn != 2 {
				t.Errorf("acks = %+v; want the redelivery's ack on connection 2, not foreign", acks)
			}
		})
	}
}
