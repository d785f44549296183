package slackfake_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// TestSlashCommandAck proves the real socketmode client connects (hello),
// decodes a slash_commands envelope into slack.SlashCommand, and that its
// ack and ack payload are recorded with a latency and the connection.
func TestSlashCommandAck(t *testing.T) {
	f := newFake(t)
	sc := startSocket(t, f, func(socketmode.Event) any { return map[string]string{"text": "working on it"} })
	ctx := testCtx(t)
	if _, err := sc.waitEvent(ctx, socketmode.EventTypeHello, 0); err != nil {
		t.Fatalf("no hello: %v", err)
	}
	payload := f.SlashCommandPayload(slackfake.SlashCommand{Text: "SCC-1 <!channel>", UserID: "U1", Channel: "#secops"})
	ack, err := f.SendAndWaitAck(ctx, "slash_commands", payload)
	if err != nil {
		t.Fatal(err)
	}
	if string(ack.Payload) != `{"text":"working on it"}` || ack.Conn != 1 || ack.Latency <= 0 {
		t.Errorf("ack = %+v", ack)
	}
	evt, err := sc.waitEvent(ctx, socketmode.EventTypeSlashCommand, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd := evt.Data.(slack.SlashCommand)
	want := slack.SlashCommand{
		Token: cmd.Token, TeamID: "T0FAKE", TeamDomain: "fake", ChannelID: f.ChannelID("#secops"), ChannelName: "secops",
		UserID: "U1", UserName: "user", Command: "/finding", Text: "SCC-1 <!channel>",
		ResponseURL: payload["response_url"].(string), TriggerID: payload["trigger_id"].(string), APIAppID: "A0FAKE",
	}
	if diff := cmp.Diff(want, cmd); diff != "" {
		t.Errorf("slash command (-want +got):\n%s", diff)
	}
	if got := len(f.AckLatencies()); got != 1 {
		t.Errorf("AckLatencies has %d entries, want 1", got)
	}
}

// TestBlockActionFromPostedMessage proves a click on a posted card decodes
// into slack.InteractionCallback with the button's block_id and value and
// the message's blocks, and that its trigger opens a view exactly once.
func TestBlockActionFromPostedMessage(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	sc := startSocket(t, f, nil)
	ctx := testCtx(t)
	card := slack.NewActionBlock("finding-actions", button("finding.related", "Related", "opaque-42"))
	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("card", false), slack.MsgOptionBlocks(card))
	if err != nil {
		t.Fatal(err)
	}
	payload := f.BlockActionPayload(slackfake.BlockAction{UserID: "U1", Channel: ch, MessageTS: ts, ActionID: "finding.related"})
	if _, err := f.SendAndWaitAck(ctx, "interactive", payload); err != nil {
		t.Fatal(err)
	}
	evt, err := sc.waitEvent(ctx, socketmode.EventTypeInteractive, 0)
	if err != nil {
		t.Fatal(err)
	}
	cb := evt.Data.(slack.InteractionCallback)
	act := cb.ActionCallback.BlockActions[0]
	got := []string{string(cb.Type), cb.APIAppID, cb.Team.ID, cb.User.ID, cb.Container.ChannelID, cb.Container.MessageTs,
		act.ActionID, act.BlockID, act.Value, act.Text.Text, cb.Message.Text}
	want := []string{"block_actions", "A0FAKE", "T0FAKE", "U1", "C1", ts,
		"finding.related", "finding-actions", "opaque-42", "Related", "card"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("callback (-want +got):\n%s", diff)
	}
	if n := len(cb.Message.Blocks.BlockSet); n != 1 {
		t.Errorf("message blocks = %d, want 1", n)
	}
	modal := slack.ModalViewRequest{Type: slack.VTModal, Title: plain("Related"), Blocks: slack.Blocks{BlockSet: []slack.Block{section("x")}}}
	if _, err := api.OpenViewContext(ctx, cb.TriggerID, modal); err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if _, err := api.OpenViewContext(ctx, cb.TriggerID, modal); err == nil || err.Error() != "exchanged_trigger_id" {
		t.Errorf("second views.open = %v, want exchanged_trigger_id", err)
	}
}

// TestViewSubmission proves a submission of a view the bot opened decodes
// with its callback_id, private_metadata, hash and typed input values.
func TestViewSubmission(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	sc := startSocket(t, f, nil)
	ctx := testCtx(t)
	choice := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "decision",
		slack.NewOptionBlockObject("approve", plain("Approve"), nil))
	modal := slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Contain"), Submit: plain("Send"), CallbackID: "finding.contain",
		PrivateMetadata: "C1|1700000000.000001",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reason", plain("Reason"), nil, slack.NewPlainTextInputBlockElement(nil, "text")),
			slack.NewInputBlock("choice", plain("Decision"), nil, choice),
		}},
	}
	opened, err := api.OpenViewContext(ctx, "trigger-1", modal)
	if err != nil {
		t.Fatal(err)
	}
	payload := f.ViewSubmissionPayload(slackfake.ViewSubmission{UserID: "U1", ViewID: opened.View.ID,
		Values: map[string]map[string]string{"reason": {"text": "crypto miner"}, "choice": {"decision": "approve"}}})
	if _, err := f.SendAndWaitAck(ctx, "interactive", payload); err != nil {
		t.Fatal(err)
	}
	evt, err := sc.waitEvent(ctx, socketmode.EventTypeInteractive, 0)
	if err != nil {
		t.Fatal(err)
	}
	cb := evt.Data.(slack.InteractionCallback)
	got := []string{string(cb.Type), cb.View.ID, cb.View.CallbackID, cb.View.PrivateMetadata, cb.View.Hash,
		cb.View.State.Values["reason"]["text"].Value, cb.View.State.Values["choice"]["decision"].SelectedOption.Value}
	want := []string{"view_submission", opened.View.ID, "finding.contain", "C1|1700000000.000001", opened.View.Hash,
		"crypto miner", "approve"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("submission (-want +got):\n%s", diff)
	}
}

// TestReconnects proves both a disconnect envelope and an abrupt drop make
// the client call apps.connections.open again and dial a second socket,
// on which the next envelope is acked.
func TestReconnects(t *testing.T) {
	cases := []struct {
		name  string
		cause func(*slackfake.Server) error
	}{
		{"disconnect refresh_requested", func(f *slackfake.Server) error { return f.SendDisconnect("refresh_requested") }},
		{"drop connection", (*slackfake.Server).DropConnection},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			sc := startSocket(t, f, nil)
			ctx := testCtx(t)
			// Dropping before hello went out would lose that hello.
			if _, err := sc.waitEvent(ctx, socketmode.EventTypeHello, 0); err != nil {
				t.Fatal(err)
			}
			if err := tc.cause(f); err != nil {
				t.Fatal(err)
			}
			// No wait for the redial: Send must not use the old socket.
			ack, err := f.SendAndWaitAck(ctx, "slash_commands", f.SlashCommandPayload(slackfake.SlashCommand{Channel: "C1"}))
			if err != nil {
				t.Fatal(err)
			}
			if ack.Conn != 2 || f.Dials() != 2 || len(f.Calls("apps.connections.open")) != 2 {
				t.Errorf("ack on conn %d after %d dials, %d opens; want conn 2 after 2 and 2",
					ack.Conn, f.Dials(), len(f.Calls("apps.connections.open")))
			}
			if _, err := sc.waitEvent(ctx, socketmode.EventTypeHello, 1); err != nil {
				t.Errorf("no second hello: %v (events %v)", err, sc.eventTypes())
			}
		})
	}
}

// TestPings proves the server pings and counts pongs, and that without
// pings the client's deadman reconnects.
func TestPings(t *testing.T) {
	t.Run("pongs", func(t *testing.T) {
		f := newFake(t, slackfake.WithPingInterval(10*time.Millisecond))
		startSocket(t, f, nil)
		if err := f.WaitPongs(testCtx(t), 3); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no pings", func(t *testing.T) {
		f := newFake(t, slackfake.WithPingInterval(0))
		startSocket(t, f, nil, socketmode.OptionPingInterval(50*time.Millisecond))
		if err := f.WaitDials(testCtx(t), 2); err != nil {
			t.Fatal(err)
		}
	})
}

// TestResend proves a redelivery carries the same envelope id and a retry
// attempt, as slack-go reports in the request.
func TestResend(t *testing.T) {
	f := newFake(t)
	sc := startSocket(t, f, nil)
	ctx := testCtx(t)
	id, err := f.Send(ctx, "events_api", f.EventPayload(map[string]any{"type": "subteam_members_changed", "subteam_id": "S1"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Resend(ctx, id, "timeout"); err != nil {
		t.Fatal(err)
	}
	evt, err := sc.waitEvent(ctx, socketmode.EventTypeEventsAPI, 1)
	if err != nil {
		t.Fatal(err)
	}
	if evt.Request.EnvelopeID != id || evt.Request.RetryAttempt != 1 || evt.Request.RetryReason != "timeout" {
		t.Errorf("request = %+v", evt.Request)
	}
}

// TestSocketProtocol checks the raw protocol with gorilla: the ticket is
// single-use, hello comes first, and an ack over Slack's 20 KB frame limit
// closes the socket with 1009.
func TestSocketProtocol(t *testing.T) {
	f := newFake(t)
	api := newClient(t, f)
	ctx := testCtx(t)
	_, wsURL, err := api.StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var hello struct {
		Type           string `json:"type"`
		NumConnections int    `json:"num_connections"`
	}
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.NumConnections != 1 {
		t.Fatalf("first frame = %+v, %v; want hello", hello, err)
	}
	if _, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("second dial with the same ticket: err %v; want 401", err)
	}
	big, _ := json.Marshal(map[string]string{"envelope_id": "x", "payload": string(make([]byte, 30000))})
	if err := conn.WriteMessage(websocket.TextMessage, big); err != nil {
		t.Fatal(err)
	}
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("read after oversized ack = %v, want close 1009", err)
	}
}
