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
)

// socketState is the Socket Mode side of the Server, guarded by its mu.
type socketState struct {
	conns     []*wsConn       // live connections, oldest first
	tickets   map[string]bool // issued by apps.connections.open; true once used
	dials     int
	pings     int
	pongs     int
	pending   map[string]*envelope // by envelope id: the latest attempt
	envelopes []Envelope           // written, in order
	acks      []Ack
	badFrames int
}

func newSocketState() socketState {
	return socketState{tickets: map[string]bool{}, pending: map[string]*envelope{}}
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
	retired    bool // guarded by Server.mu: no new envelopes go here
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
	c := s.register(ws)
	if c == nil {
		_ = ws.Close()
		return
	}
	s.readLoop(c)
}

// register makes the connection current, starts its writer and pinger and
// queues hello as its first frame.
func (s *Server) register(ws *websocket.Conn) *wsConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.sock.dials++
	c := &wsConn{
		id: s.sock.dials, ws: ws, out: make(chan frame, outQueue),
		quit: make(chan struct{}), writerDone: make(chan struct{}),
	}
	s.sock.conns = append(s.sock.conns, c)
	c.out <- frame{data: helloFrame(len(s.sock.conns))}
	s.wg.Add(2)
	go s.writeLoop(c)
	go s.pingLoop(c)
	s.bump()
	return c
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
