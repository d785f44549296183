// Package ops serves the endpoints operators and orchestrators use:
// /healthz (the process is alive), /readyz (the bot can do its job) and
// /metrics (Prometheus).
package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one readiness condition. Its error text is shown on /readyz, so
// it must not hold secrets.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Server serves the ops endpoints.
type Server struct {
	addr     string
	gatherer prometheus.Gatherer
	checks   []Check
	log      *slog.Logger
	bound    chan string
}

// New returns a Server for addr (host:port; port 0 picks a free one).
func New(addr string, gatherer prometheus.Gatherer, checks []Check, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{addr: addr, gatherer: gatherer, checks: checks, log: log, bound: make(chan string, 1)}
}

// Handler returns the ops endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))
	return mux
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var failed []string
	for _, c := range s.checks {
		if err := c.Fn(ctx); err != nil {
			failed = append(failed, c.Name+": "+err.Error())
		}
	}
	if len(failed) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(failed, "\n"))
		return
	}
	fmt.Fprintln(w, "ok")
}

// Addr waits for the server to listen and returns its address.
func (s *Server) Addr(ctx context.Context) (string, error) {
	select {
	case a := <-s.bound:
		s.bound <- a
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	lis, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("ops listen on %s: %w", s.addr, err)
	}
	s.bound <- lis.Addr().String()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	s.log.Info("ops server listening", "addr", lis.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("ops server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops server shutdown: %w", err)
	}
	return nil
}
