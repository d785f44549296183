package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
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
	At      time.Time
}

// Send writes an envelope of envType (for example "interactive" or
// "slash_commands") with payload (anything that marshals to JSON, such as
// the payload builders' results) to the newest connection, waiting for a
// connection if none is up. It returns the envelope ID once the frame is
// written.
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
	if err := s.sendEnvelope(ctx, env); err != nil {
		return id, fmt.Errorf("slackfake: send %s envelope %s: %w", envType, id, err)
	}
	return id, nil
}

// Resend writes an envelope again with the same ID, retry_attempt one
// higher and the given retry_reason (Slack uses "timeout"), as Slack
// redelivers an Events API envelope that was not acked in time.
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
	if err := s.sendEnvelope(ctx, env); err != nil {
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

func (s *Server) sendEnvelope(ctx context.Context, env Envelope) error {
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
	c, err := await(ctx, s, func() bool { return s.sock.current() != nil }, s.sock.current)
	if err != nil {
		return fmt.Errorf("waiting for a connection: %w", err)
	}
	s.mu.Lock()
	s.sock.pending[env.ID] = &envelope{Envelope: env}
	s.mu.Unlock()
	return s.write(ctx, c, frame{data: data, envID: env.ID, written: make(chan error, 1)})
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

// markSent records the moment an envelope goes out, just before the
// write, so that ack latency covers the client's whole turnaround.
func (s *Server) markSent(id string, conn int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env := s.sock.pending[id]
	if env == nil {
		return
	}
	env.sent, env.Conn, env.SentAt = time.Now(), conn, s.now()
	s.sock.envelopes = append(s.sock.envelopes, env.Envelope)
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
	}
	s.sock.acks = append(s.sock.acks, ack)
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
// no close frame, like a network failure. Later Sends wait for the client
// to reconnect.
func (s *Server) DropConnection() error {
	c := s.retireCurrent()
	if c == nil {
		return ErrNotConnected
	}
	c.stop()
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
