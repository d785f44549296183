package slackfake

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// maxAckBytes is the largest client frame Slack accepts; a larger one
	// closes the socket with 1009 "Max frame length of 20480 has been
	// exceeded".
	maxAckBytes = 20480
	// writeWait bounds every socket write, so a stuck client cannot hold a
	// writer (or Close) forever.
	writeWait = 10 * time.Second
	// outQueue is how many frames may wait for a connection's writer.
	outQueue = 256
	// maxConns is how many Socket Mode connections Slack lets one app hold
	// at once; one more is told "too_many_websockets" and closed.
	maxConns = 10
)

// socketState is the Socket Mode side of the Server, guarded by its mu.
type socketState struct {
	conns     []*wsConn       // live connections, oldest first
	all       []*wsConn       // every connection accepted, by id - 1
	tickets   map[string]bool // issued by apps.connections.open; true once used
	dials     int
	refused   int // connections over maxConns
	pings     int
	pongs     int
	pending   map[string]*envelope // by envelope id: the latest attempt
	acked     map[string]bool      // envelope ids acked at least once
	envelopes []Envelope           // written, in order
	acks      []Ack
	badFrames int
	// foreignAcks counts acks read on another connection than the one
	// that carried the envelope's latest attempt.
	foreignAcks int
	turn        int // round-robin position
}

func newSocketState() socketState {
	return socketState{tickets: map[string]bool{}, pending: map[string]*envelope{}, acked: map[string]bool{}}
}

func (st *socketState) liveConns() []*wsConn { return slices.Clone(st.conns) }

// current is the connection envelopes go to: the newest one that is not
// being retired (after a disconnect envelope or a drop). Slack picks one at
// random; the newest keeps tests deterministic.
func (st *socketState) current() *wsConn {
	for i := len(st.conns) - 1; i >= 0; i-- {
		if !st.conns[i].retired {
			return st.conns[i]
		}
	}
	return nil
}

// open returns the connections envelopes may go to: live and not being
// retired, oldest first.
func (st *socketState) open() []*wsConn {
	var out []*wsConn
	for _, c := range st.conns {
		if !c.retired {
			out = append(out, c)
		}
	}
	return out
}

// pick chooses the connection for an envelope among the open ones, as
// the Server's spread says, avoiding the one that carried the previous
// attempt (avoid, 0 for none) when there is another. Nil if none is open.
func (st *socketState) pick(sp spread, avoid int) *wsConn {
	open := st.open()
	if len(open) > 1 && avoid != 0 {
		open = slices.DeleteFunc(open, func(c *wsConn) bool { return c.id == avoid })
	}
	if len(open) == 0 {
		return nil
	}
	if sp.rand != nil {
		return open[sp.rand.IntN(len(open))]
	}
	c := open[st.turn%len(open)]
	st.turn++
	return c
}

// wsConn is one client connection. Its writer goroutine is the only one that
// writes data frames; pings use WriteControl, which gorilla allows
// concurrently with the writer.
type wsConn struct {
	id         int
	ws         *websocket.Conn
	out        chan frame
	quit       chan struct{} // closed by stop
	writerDone chan struct{} // closed when the writer has returned
	once       sync.Once
	// Guarded by Server.mu:
	retired bool     // no new envelopes go here
	closed  bool     // unregistered
	carried []string // envelope ids written here, one per attempt
	gotAcks []string // envelope ids acked here
}

type frame struct {
	data    []byte
	envID   string     // set for envelopes, to time their acks
	written chan error // buffered; receives the write's outcome
}

// stop closes the TCP connection without a close frame (which is also
// how DropConnection fails a socket) and stops the writer and pinger.
func (c *wsConn) stop() {
	c.once.Do(func() {
		close(c.quit)
		_ = c.ws.Close()
	})
}

// goAway says goodbye with a close frame, for Server.Close.
func (c *wsConn) goAway() {
	msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server closing")
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
	c.stop()
}

func (s *Server) appsConnectionsOpen(*apiRequest) apiResult {
	ticket := s.nextID("")
	s.sock.tickets[ticket] = false
	url := "ws" + strings.TrimPrefix(s.hs.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + AppID
	return okResult(map[string]any{"url": url})
}

// spendTicket accepts a ticket once, as Slack's ticket URLs are single-use.
func (s *Server) spendTicket(ticket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	used, issued := s.sock.tickets[ticket]
	if !issued || used {
		return false
	}
	s.sock.tickets[ticket] = true
	return true
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	// httptest does not wait for hijacked connections, so the Server
	// tracks this handler itself.
	if !s.track(1) {
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	if !s.spendTicket(r.URL.Query().Get("ticket")) {
		http.Error(w, "invalid or used ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	c, full := s.register(ws)
	if full {
		refuse(ws)
	}
	if c == nil {
		_ = ws.Close()
		return
	}
	s.readLoop(c)
}

// refuse tells a connection over the app's limit why it is closed, as
// Slack does.
func refuse(ws *websocket.Conn) {
	data, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": "too_many_websockets", "debug_info": map[string]any{"host": "applink-fake"},
	})
	_ = ws.SetWriteDeadline(time.Now().Add(writeWait))
	_ = ws.WriteMessage(websocket.TextMessage, data)
}

// register adds the connection to the open ones, starts its writer and
// pinger and queues hello as its first frame. full says the app already
// holds maxConns connections (those being retired count until they close,
// as a crashed replica's do at Slack): the connection is refused.
func (s *Server) register(ws *websocket.Conn) (c *wsConn, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	if len(s.sock.conns) >= maxConns {
		s.sock.refused++
		s.bump()
		return nil, true
	}
	s.sock.dials++
	c = &wsConn{
		id: s.sock.dials, ws: ws, out: make(chan frame, outQueue),
		quit: make(chan struct{}), writerDone: make(chan struct{}),
	}
	s.sock.conns = append(s.sock.conns, c)
	s.sock.all = append(s.sock.all, c)
	c.out <- frame{data: helloFrame(len(s.sock.conns))}
	s.wg.Add(2)
	go s.writeLoop(c)
	go s.pingLoop(c)
	s.bump()
	return c, false
}

func helloFrame(conns int) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": conns,
		"debug_info": map[string]any{
			"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": AppID},
	})
	return b
}

func (s *Server) unregister(c *wsConn) {
	c.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sock.conns = slices.DeleteFunc(s.sock.conns, func(x *wsConn) bool { return x == c })
	c.closed = true
	s.bump()
}

// readLoop reads the client's frames (acks) until the socket fails.
func (s *Server) readLoop(c *wsConn) {
	defer s.unregister(c)
	c.ws.SetReadLimit(maxAckBytes)
	c.ws.SetPongHandler(func(string) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.sock.pongs++
		s.bump()
		return nil
	})
	for {
		_, data, err := c.ws.ReadMessage()
		if errors.Is(err, websocket.ErrReadLimit) {
			linger(c)
		}
		if err != nil {
			return
		}
		s.recordAck(c, data, time.Now())
	}
}

// linger lets the client read the 1009 close frame gorilla sent on an
// oversized frame: closing TCP with the rest of that frame unread would
// reset the connection and lose the close frame.
func linger(c *wsConn) {
	nc := c.ws.NetConn()
	_ = nc.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.Copy(io.Discard, nc)
}

// writeLoop reports the outcome of every frame it takes, so a sender that
// sees writerDone closed knows whether its frame went out.
func (s *Server) writeLoop(c *wsConn) {
	defer s.wg.Done()
	defer close(c.writerDone)
	for {
		select {
		case <-c.quit:
			return
		case f := <-c.out:
			if f.envID != "" {
				s.markSent(f.envID, c.id)
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			err := c.ws.WriteMessage(websocket.TextMessage, f.data)
			if f.written != nil {
				f.written <- err
			}
			if err != nil {
				c.stop()
				return
			}
		}
	}
}

// pingLoop sends WebSocket PINGs like Slack; slack-go reconnects when none
// arrives within its ping interval.
func (s *Server) pingLoop(c *wsConn) {
	defer s.wg.Done()
	if s.cfg.pingInterval <= 0 {
		return
	}
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(writeWait)); err != nil {
				c.stop()
				return
			}
			s.mu.Lock()
			s.sock.pings++
			s.bump()
			s.mu.Unlock()
		}
	}
}
