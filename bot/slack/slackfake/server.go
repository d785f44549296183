package slackfake

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Identity of the fake workspace and app. Payload builders and Web API
// answers use them, so a bot configured with these values accepts what the
// fake sends.
const (
	DefaultBotToken = "xoxb-fake-bot-token"
	DefaultAppToken = "xapp-fake-app-token"
	TeamID          = "T0FAKE"
	TeamDomain      = "fake"
	AppID           = "A0FAKE"
	BotUserID       = "U0BOT"
	BotID           = "B0FAKE"
	BotName         = "sccbot"
)

// ErrClosed is returned by waits and sends that were cut short because the
// Server was closed.
var ErrClosed = errors.New("slackfake: server closed")

// ErrNotConnected is returned by socket operations that need a live Socket
// Mode connection when there is none.
var ErrNotConnected = errors.New("slackfake: no socket mode connection")

// Server is a fake Slack: Web API under URL(), Socket Mode under /link/ and
// response URLs under /response/. Create it with New and stop it with Close.
// All methods are safe for concurrent use.
type Server struct {
	cfg      config
	hs       *httptest.Server
	upgrader websocket.Upgrader
	done     chan struct{} // closed by Close: wakes every waiter
	once     sync.Once
	wg       sync.WaitGroup // goroutines the Server started (sockets)

	// mu guards everything below. One lock keeps the fake obviously
	// race-free; no critical section blocks or does I/O.
	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced on every state change
	seq     int64         // source of generated ids
	lastTS  int64         // last message ts issued, in microseconds
	calls   []callRecord
	dir     directory
	store   store
	files   fileStore
	faults  faults
	early   earlyPosts
	sock    socketState
	spread  spread
}

// spread is how envelopes are shared among connections: in turn, or at
// random from a seeded source (WithRandomSpread). Guarded by mu.
type spread struct {
	rand *rand.Rand
}

// New starts a fake Slack on a random port of 127.0.0.1.
func New(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		cfg:     cfg,
		done:    make(chan struct{}),
		changed: make(chan struct{}),
		dir:     newDirectory(cfg),
		store:   newStore(),
		files:   newFileStore(),
		faults:  newFaults(),
		sock:    newSocketState(),
	}
	if cfg.randomSpread {
		s.spread.rand = rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x5ccb07))
	}
	// The real client sends Origin https://api.slack.com, which gorilla's
	// default same-origin check rejects.
	s.upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.hs = httptest.NewServer(s.routes())
	return s
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveSocket)
	mux.HandleFunc("/response/{id}", s.serveResponseURL)
	mux.HandleFunc("/upload/{ticket}", s.serveUpload)
	return mux
}

// URL is the Web API base to pass to slack.OptionAPIURL. It ends in a slash
// because slack-go appends the method name to it.
func (s *Server) URL() string { return s.hs.URL + "/api/" }

// BaseURL is the server's root, http://127.0.0.1:PORT, without a slash.
func (s *Server) BaseURL() string { return s.hs.URL }

// ResponseURL returns a response_url of this server with the given id. Posts
// to it are recorded under that id (see Responses).
func (s *Server) ResponseURL(id string) string { return s.hs.URL + "/response/" + id }

// BotToken is the xoxb token every Web API method but apps.connections.open
// accepts.
func (s *Server) BotToken() string { return s.cfg.botToken }

// AppToken is the xapp token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.cfg.appToken }

// Close closes every socket, stops the server and waits for the goroutines
// the Server started. Waits in progress return ErrClosed. Close is
// idempotent; the recorded state stays readable afterwards.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		conns := s.sock.liveConns()
		s.bump()
		s.mu.Unlock()
		close(s.done)
		for _, c := range conns {
			c.goAway()
		}
		s.hs.Close()
		s.wg.Wait()
	})
}

// track registers a goroutine with the Server's WaitGroup unless Close has
// started. Add happens under mu and Close sets closed under mu before it
// waits, so Add never races with Wait.
func (s *Server) track(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(n)
	return true
}

// bump wakes every waiter. The caller holds mu.
func (s *Server) bump() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// now is the server clock (WithClock).
func (s *Server) now() time.Time { return s.cfg.clock() }

// nextID returns a fresh id with the given prefix. The caller holds mu.
func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%06d", prefix, s.seq)
}

// nextTS returns a Slack message timestamp ("1700000000.000100") that is
// unique and strictly increasing for this server, derived from the clock
// so that it looks real. The caller holds mu.
func (s *Server) nextTS() string {
	us := s.now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return formatTS(us)
}

func formatTS(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// parseTS turns "1700000000.000100" into microseconds. Slack accepts fewer
// fraction digits in oldest/latest, so they are padded.
func parseTS(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	if sec == "" || len(frac) > 6 {
		return 0, false
	}
	frac += strings.Repeat("0", 6-len(frac))
	s, err1 := strconv.ParseInt(sec, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || s < 0 || f < 0 {
		return 0, false
	}
	return s*1e6 + f, true
}
