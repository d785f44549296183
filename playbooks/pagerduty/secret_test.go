package pagerduty

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/internal/retry"
	"github.com/sccbot/sccbot/playbooks/pagerduty/pagerdutyfake"
)

// TestRoutingKeyNeverLeaks drives every failure path with a recognisable
// routing key and checks that neither the error (for logs), nor its
// user-safe message, nor the client's log holds it.
func TestRoutingKeyNeverLeaks(t *testing.T) {
	echo := `{"status":"invalid event","message":"bad key ` + secretKey + `","errors":["` + secretKey + `"]}`
	tests := []struct {
		name  string
		setup func(e *env) *Client
		send  func(ctx context.Context, c *Client) error
	}{
		{name: "400 echoing the key", setup: func(e *env) *Client {
			e.fake.FailNext(1, pagerdutyfake.Response{Status: 400, Body: echo})
			return e.client
		}},
		{name: "unknown key", setup: func(e *env) *Client {
			f := pagerdutyfake.New(pagerdutyfake.WithRoutingKeys(pagerdutyfake.DemoRoutingKey))
			e.t.Cleanup(f.Close)
			return New(f.URL(), secretKey, e.client.opts)
		}},
		{name: "429 exhausted echoing the key", setup: func(e *env) *Client {
			e.fake.FailNext(9, pagerdutyfake.Response{Status: 429, Body: echo})
			return e.client
		}},
		{name: "503 exhausted echoing the key", setup: func(e *env) *Client {
			e.fake.FailNext(9, pagerdutyfake.Response{Status: 503, Body: echo})
			return e.client
		}},
		{name: "403", setup: func(e *env) *Client {
			e.fake.FailNext(1, pagerdutyfake.Response{Status: 403, Body: echo})
			return e.client
		}},
		{name: "418", setup: func(e *env) *Client {
			e.fake.FailNext(1, pagerdutyfake.Response{Status: 418, Body: echo})
			return e.client
		}},
		{name: "wrong path", setup: func(e *env) *Client {
			return New(strings.TrimSuffix(e.fake.URL(), pagerdutyfake.Path)+"/v1/nothing", secretKey, e.client.opts)
		}},
		{name: "unreachable", setup: func(e *env) *Client {
			return New(closedURL(e.t), secretKey, e.client.opts)
		}},
		{name: "timeout", setup: func(e *env) *Client {
			e.fake.SetLatency(time.Minute)
			o := e.client.opts
			o.Timeout = 20 * time.Millisecond
			return New(e.fake.URL(), secretKey, o)
		}},
		{name: "invalid event", setup: func(e *env) *Client { return e.client },
			send: func(ctx context.Context, c *Client) error {
				_, err := c.Trigger(ctx, Event{DedupKey: secretKey, Payload: &Payload{Summary: "s", Source: "x", Severity: "loud"}})
				return err
			}},
		{name: "resolve without key", setup: func(e *env) *Client { return e.client },
			send: func(ctx context.Context, c *Client) error { return c.Resolve(ctx, "") }},
		{name: "key in the URL", setup: func(e *env) *Client {
			return New(closedURL(e.t)+"?k="+secretKey, secretKey, e.client.opts)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{Limits: retry.Limits{Attempts: 2}})
			c := tt.setup(e)
			send := tt.send
			if send == nil {
				send = func(ctx context.Context, c *Client) error {
					_, err := c.Page(ctx, gkeFinding(), testOwners, false)
					return err
				}
			}
			err := send(context.Background(), c)
			if err == nil {
				t.Fatal("no error")
			}
			for what, text := range map[string]string{"error": err.Error(), "message": bot.ErrorMessage(err), "log": e.logs.String()} {
				if strings.Contains(text, secretKey) {
					t.Errorf("%s holds the routing key: %s", what, text)
				}
			}
		})
	}
}

// closedURL is the URL of a port nobody listens on any more.
func closedURL(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return "http://" + addr + pagerdutyfake.Path
}

// TestRoutingKeyChecked: a missing or malformed key fails before anything
// is sent, with a message that names the variable and not the key.
func TestRoutingKeyChecked(t *testing.T) {
	fake := pagerdutyfake.New()
	defer fake.Close()
	for key, want := range map[string]string{
		"":                 "PagerDuty is not set up: PAGERDUTY_ROUTING_KEY is empty",
		"abc-secret-12345": "the PagerDuty routing key (PAGERDUTY_ROUTING_KEY) has 16 characters; an Events API v2 integration key has 32",
	} {
		_, err := New(fake.URL(), key, Options{}).Page(context.Background(), gkeFinding(), nil, false)
		if bot.ErrorCode(err) != bot.EInvalid || bot.ErrorMessage(err) != want {
			t.Errorf("key %q: err = %v, want %q", key, err, want)
		}
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("%d calls, want 0", n)
	}
}

// TestEventStringHidesKey: formatting the wire event (as a careless log
// line would) shows the Event's String, which has no routing key.
func TestEventStringHidesKey(t *testing.T) {
	w := wireEvent{RoutingKey: secretKey, Event: Event{Action: ActionResolve, DedupKey: "k"}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, w); strings.Contains(s, secretKey) {
			t.Errorf("%s of the wire event holds the key: %s", verb, s)
		}
	}
}
