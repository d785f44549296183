package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Envelope is a Socket Mode envelope the server wrote to a connection.
type Envelope struct {
	ID           string
	Type         string // "interactive", "slash_commands", "events_api"
	Payload      json.RawMessage
	RetryAttempt int
	RetryReason  string
	Conn         int       // connection number (1 for the first dial)
	SentAt       time.Time // server clock
}

type envelope struct {
	Envelope
	sent time.Time // real monotonic time, for ack latency
}

// Ack is a frame the client sent back: {"envelope_id":..., "payload":...}.
type Ack struct {
	EnvelopeID string
	// Payload is the ack's payload (a slash command's immediate reply, a
	// view_submission's response_action), nil when the ack had none.
	Payload json.RawMessage
	// Latency runs from writing the envelope to reading the ack (real
	// time); zero for an envelope the server never sent.
	Latency time.Duration
	Conn    int // connection the ack arrived on
	// Foreign says the ack arrived on another connection than the one that
	// carried the envelope's latest attempt (see WithStrictAcks).
	Foreign bool
	At      time.Time
}

// Send writes an envelope of envType (for example "interactive" or
// "slash_commands") with payload (anything that marshals to JSON, such as
// the payload builders' results) to one of the open connections (in turn,
// or at random with WithRandomSpread), waiting for a connection if none is
// up. A connection that fails before the frame is written is retired and
// another one takes the envelope. It returns the envelope ID once the
// frame is written.
func (s *Server) Send(ctx context.Context, envType string, payload any) (string, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("slackfake: marshal %s payload: %w", envType, err)
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("%08x-fake-4e0b-8e0b-%012x", s.seq, s.seq*7919)
	s.mu.Unlock()
	env := Envelope{ID: id, Type: envType, Payload: raw}
	if err := s.sendEnvelope(ctx, env, 0); err != nil {
		return id, fmt.Errorf("slackfake: send %s envelope %s: %w", envType, id, err)
	}
	return id, nil
}

// Resend writes an envelope again with the same ID, retry_attempt one
// higher and the given retry_reason (Slack uses "timeout"), as Slack
// redelivers an Events API envelope that was not acked in time: on another
// open connection than the last attempt's when there is one.
func (s *Server) Resend(ctx context.Context, envelopeID, reason string) error {
	s.mu.Lock()
	prev := s.sock.pending[envelopeID]
	s.mu.Unlock()
	if prev == nil {
		return fmt.Errorf("slackfake: resend %s: unknown envelope", envelopeID)
	}
	env := prev.Envelope
	env.RetryAttempt++
	env.RetryReason = reason
	if err := s.sendEnvelope(ctx, env, prev.Conn); err != nil {
		return fmt.Errorf("slackfake: resend %s: %w", envelopeID, err)
	}
	return nil
}

// SendAndWaitAck sends an envelope and waits for its ack.
func (s *Server) SendAndWaitAck(ctx context.Context, envType string, payload any) (Ack, error) {
	id, err := s.Send(ctx, envType, payload)
	if err != nil {
		return Ack{}, err
	}
	return s.WaitAck(ctx, id)
}

// sendEnvelope writes env to a connection picked among the open ones,
// avoiding the connection avoid (0 for none) when another is open.
func (s *Server) sendEnvelope(ctx context.Context, env Envelope, avoid int) error {
	data, err := json.Marshal(map[string]any{
		"envelope_id":              env.ID,
		"type":                     env.Type,
		"payload":                  env.Payload,
		"accepts_response_payload": env.Type != "events_api",
		"retry_attempt":            env.RetryAttempt,
		"retry_reason":             env.RetryReason,
	})
	if err != nil {
		return err
	}
	for {
		if _, err := await(ctx, s, func() bool { return s.sock.current() != nil }, func() int { return 0 }); err != nil {
			return fmt.Errorf("waiting for a connection: %w", err)
		}
		s.mu.Lock()
		c := s.sock.pick(s.spread, avoid)
		if c != nil {
			s.sock.pending[env.ID] = &envelope{Envelope: env}
		}
		s.mu.Unlock()
		if c == nil {
			continue // the connection went between the wait and the pick
		}
		err := s.write(ctx, c, frame{data: data, envID: env.ID, written: make(chan error, 1)})
		if err == nil {
			s.redeliverLater(env, c.id)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if !errors.Is(err, ErrNotConnected) {
			s.unrecord(env.ID, c) // the writer took it, and the write failed
		}
		// The connection failed under the frame: like Slack, give the
		// envelope to another one.
		s.retire(c)
	}
}

// retire stops sending envelopes to c.
func (s *Server) retire(c *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.retired = true
	s.bump()
}

// redeliverLater arranges WithRedelivery's retry of env, just written on
// connection conn.
func (s *Server) redeliverLater(env Envelope, conn int) {
	if s.cfg.redeliverAfter <= 0 || env.RetryAttempt >= s.cfg.redeliveries {
		return
	}
	time.AfterFunc(s.cfg.redeliverAfter, func() {
		if !s.track(1) {
			return // closing
		}
		defer s.wg.Done()
		s.mu.Lock()
		acked := s.sock.acked[env.ID]
		s.mu.Unlock()
		if acked {
			return
		}
		next := env
		next.RetryAttempt++
		next.RetryReason = "timeout"
		// Fails only when the server closes; nothing is left to deliver to.
		_ = s.sendEnvelope(context.Background(), next, conn)
	})
}

// write queues a frame for the connection's writer and waits until it is
// written.
func (s *Server) write(ctx context.Context, c *wsConn, f frame) error {
	select {
	case c.out <- f:
	case <-c.quit:
		return ErrNotConnected
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-f.written:
		return err
	case <-c.writerDone:
		// The writer reports every frame it took before it returns.
		select {
		case err := <-f.written:
			return err
		default:
			return fmt.Errorf("connection %d closed before the frame was written: %w", c.id, ErrNotConnected)
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// markSent records an envelope attempt as it goes out, just before the
// write, so that ack latency covers the client's whole turnaround and a
// test that saw the ack also sees the attempt.
func (s *Server) markSent(id string, conn int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := s.sock.pending[id]
	if env == nil {
		return
	}
	env.sent, env.Conn, env.SentAt = time.Now(), conn, s.now()
	s.sock.envelopes = append(s.sock.envelopes, env.Envelope)
	c := s.sock.all[conn-1]
	c.carried = append(c.carried, id)
	s.bump()
}

// unrecord takes back the record of the latest attempt of id on c, whose
// write failed: the envelope goes to another connection instead.
func (s *Server) unrecord(id string, c *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.sock.envelopes) - 1; i >= 0; i-- {
		if e := s.sock.envelopes[i]; e.ID == id && e.Conn == c.id {
			s.sock.envelopes = slices.Delete(s.sock.envelopes, i, i+1)
			break
		}
	}
	for i := len(c.carried) - 1; i >= 0; i-- {
		if c.carried[i] == id {
			c.carried = slices.Delete(c.carried, i, i+1)
			break
		}
	}
	s.bump()
}

func (s *Server) recordAck(c *wsConn, data []byte, at time.Time) {
	var frame struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.bump()
	if json.Unmarshal(data, &frame) != nil || frame.EnvelopeID == "" {
		s.sock.badFrames++
		return
	}
	ack := Ack{EnvelopeID: frame.EnvelopeID, Payload: cloneRaw(frame.Payload), Conn: c.id, At: s.now()}
	if env := s.sock.pending[frame.EnvelopeID]; env != nil && !env.sent.IsZero() {
		ack.Latency = at.Sub(env.sent)
		ack.Foreign = env.Conn != c.id
	}
	s.sock.acks = append(s.sock.acks, ack)
	if ack.Foreign {
		s.sock.foreignAcks++
	}
	if !ack.Foreign || !s.cfg.strictAcks {
		s.sock.acked[ack.EnvelopeID] = true
	}
	c.gotAcks = append(c.gotAcks, ack.EnvelopeID)
}

// SendDisconnect writes a disconnect envelope ("warning",
// "refresh_requested", "link_disabled", "too_many_websockets") to the
// newest connection and, like Slack, sends no more envelopes there: later
// Sends wait for the next connection. slack-go closes that socket and
// reconnects at once: it calls apps.connections.open again and dials the
// new URL.
func (s *Server) SendDisconnect(reason string) error {
	data, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": "applink-fake"},
	})
	c := s.retireCurrent()
	if c == nil {
		return ErrNotConnected
	}
	// Every write has a deadline, so Background cannot block forever.
	if err := s.write(context.Background(), c, frame{data: data, written: make(chan error, 1)}); err != nil {
		return fmt.Errorf("slackfake: send disconnect: %w", err)
	}
	return nil
}

// DropConnection closes the newest connection's TCP stream abruptly, with
// no close frame, like a network failure. Later Sends go to the other
// open connections, or wait for the client to reconnect.
func (s *Server) DropConnection() error {
	c := s.retireCurrent()
	if c == nil {
		return ErrNotConnected
	}
	c.stop()
	return nil
}

// DropConn closes connection id (the Conn of its envelopes and acks)
// abruptly, as when the replica that held it dies, and leaves the others
// alone: later envelopes go to them. Its envelopes that were not acked are
// redelivered elsewhere when WithRedelivery is on, as at Slack.
func (s *Server) DropConn(id int) error {
	s.mu.Lock()
	var c *wsConn
	if id >= 1 && id <= len(s.sock.all) && !s.sock.all[id-1].closed {
		c = s.sock.all[id-1]
		c.retired = true
		s.bump()
	}
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("slackfake: drop connection %d: %w", id, ErrNotConnected)
	}
	c.stop()
	return nil
}

// Connection is what one Socket Mode connection carried.
type Connection struct {
	ID int
	// Open is false once the connection closed; Retired once it was
	// sent a disconnect or dropped (no envelopes go there any more).
	Open, Retired bool
	// Envelopes are the ids of the envelope attempts written on it, in
	// order (a redelivered envelope appears on each connection that
	// carried an attempt); Acks the ids of the acks read from it.
	Envelopes, Acks []string
}

// Connections returns every connection accepted so far, in dial order.
func (s *Server) Connections() []Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Connection, 0, len(s.sock.all))
	for _, c := range s.sock.all {
		out = append(out, Connection{ID: c.id, Open: !c.closed, Retired: c.retired,
			Envelopes: slices.Clone(c.carried), Acks: slices.Clone(c.gotAcks)})
	}
	return out
}

// WaitOpenConns waits until exactly n connections are open (not closed,
// not retired).
func (s *Server) WaitOpenConns(ctx context.Context, n int) error {
	_, err := await(ctx, s, func() bool { return len(s.sock.open()) == n }, func() int { return len(s.sock.open()) })
	if err != nil {
		return fmt.Errorf("slackfake: waiting for %d open connections: %w", n, err)
	}
	return nil
}

func (s *Server) retireCurrent() *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.sock.current()
	if c != nil {
		c.retired = true
		s.bump()
	}
	return c
}

// Connected reports whether a Socket Mode connection is up and not being
// retired.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sock.current() != nil
}

// Dials is how many WebSocket connections the client has opened.
func (s *Server) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sock.dials
}

// WaitDials waits until the client has opened at least n connections.
func (s *Server) WaitDials(ctx context.Context, n int) error {
	_, err := await(ctx, s, func() bool { return s.sock.dials >= n }, func() int { return s.sock.dials })
	if err != nil {
		return fmt.Errorf("slackfake: waiting for %d dials, have %d: %w", n, s.Dials(), err)
	}
	return nil
}

// WaitConnected waits until a connection is up.
func (s *Server) WaitConnected(ctx context.Context) error {
	_, err := await(ctx, s, func() bool { return s.sock.current() != nil }, func() int { return 0 })
	if err != nil {
		return fmt.Errorf("slackfake: waiting for a socket mode connection: %w", err)
	}
	return nil
}

// WaitPongs waits until the client has answered at least n PINGs.
func (s *Server) WaitPongs(ctx context.Context, n int) error {
	_, err := await(ctx, s, func() bool { return s.sock.pongs >= n }, func() int { return 0 })
	if err != nil {
		return fmt.Errorf("slackfake: waiting for %d pongs: %w", n, err)
	}
	return nil
}

// WaitAck waits for the first ack of the envelope.
func (s *Server) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	find := func() (Ack, bool) {
		for _, a := range s.sock.acks {
			if a.EnvelopeID == envelopeID {
				return a, true
			}
		}
		return Ack{}, false
	}
	done := func() bool { _, ok := find(); return ok }
	ack, err := await(ctx, s, done, func() Ack { a, _ := find(); return a })
	if err != nil {
		return Ack{}, fmt.Errorf("slackfake: waiting for the ack of %s: %w", envelopeID, err)
	}
	ack.Payload = cloneRaw(ack.Payload)
	return ack, nil
}

// Acks returns every ack received, in order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSlice(s.sock.acks, func(a Ack) Ack { a.Payload = cloneRaw(a.Payload); return a })
}

// AckLatencies returns the latency of the first ack of every envelope that
// was acked, in ack order.
func (s *Server) AckLatencies() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []time.Duration
	for _, a := range s.sock.acks {
		if !seen[a.EnvelopeID] && a.Latency > 0 {
			seen[a.EnvelopeID] = true
			out = append(out, a.Latency)
		}
	}
	return out
}

// Envelopes returns the envelopes written so far, retries included.
func (s *Server) Envelopes() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSlice(s.sock.envelopes, func(e Envelope) Envelope { e.Payload = cloneRaw(e.Payload); return e })
}
