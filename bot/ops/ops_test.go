package ops

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestServer(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "sccbot_test_total", Help: "t"})
	reg.MustRegister(c)
	c.Inc()
	var slackUp atomic.Bool
	s := New("127.0.0.1:0", reg, []Check{{Name: "slack", Fn: func(context.Context) error {
		if !slackUp.Load() {
			return errors.New("socket not connected")
		}
		return nil
	}}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	addr, err := s.Addr(ctx)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "slack: socket not connected") {
		t.Errorf("/readyz = %d %q, want 503 naming the failed check", code, body)
	}
	slackUp.Store(true)
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d after the check passed", code)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "sccbot_test_total 1") {
		t.Errorf("/metrics lacks the registered counter:\n%s", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v after cancel", err)
	}
}
