package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestPostgresURLNeverInErrors checks that a password in the URL appears in
// no error Open returns: a malformed URL, an unreachable server, a
// cancelled context.
func TestPostgresURLNeverInErrors(t *testing.T) {
	const secret = "Sup3r-s3cret"
	cases := []struct{ name, url string }{
		{"malformed port", "postgres://sccbot:" + secret + "@127.0.0.1:notaport/db"},
		{"unreachable", "postgres://sccbot:" + secret + "@127.0.0.1:1/db?connect_timeout=2&sslmode=disable"},
		{"key value", "host=127.0.0.1 port=1 user=sccbot password=" + secret + " connect_timeout=2 sslmode=disable"},
		{"bad option", "postgres://sccbot:" + secret + "@127.0.0.1:1/db?sslmode=bogus"},
		{"password parameter", "postgres://sccbot@127.0.0.1:notaport/db?password=" + secret},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			db, err := Open(ctx, Options{URL: c.url})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestPostgresRedactKeepsCause checks that redaction keeps what callers
// test for: a cancelled context is still context.Canceled.
func TestPostgresRedactKeepsCause(t *testing.T) {
	err := redact(wrapped{"dial postgres://u:pw@h/db: context canceled", context.Canceled}, "postgres://u:pw@h/db")
	if strings.Contains(err.Error(), "pw") || !errors.Is(err, context.Canceled) {
		t.Errorf("redact = %q (is Canceled: %v)", err, errors.Is(err, context.Canceled))
	}
}

type wrapped struct {
	msg   string
	cause error
}

func (w wrapped) Error() string { return w.msg }
func (w wrapped) Unwrap() error { return w.cause }

func TestPostgresEmptyURL(t *testing.T) {
	if _, err := Open(t.Context(), Options{}); err == nil {
		t.Error("Open with no URL succeeded")
	}
}

// TestPostgresConnectTimeout checks that a connection attempt is bounded
// unless the URL bounds it itself.
func TestPostgresConnectTimeout(t *testing.T) {
	for _, c := range []struct {
		url  string
		want time.Duration
	}{
		{"postgres://u@db/x", defaultConnectTimeout},
		{"postgres://u@db/x?connect_timeout=3", 3 * time.Second},
	} {
		cfg, err := poolConfig(Options{URL: c.url})
		if err != nil {
			t.Fatalf("poolConfig(%s): %v", c.url, err)
		}
		if got := cfg.ConnConfig.ConnectTimeout; got != c.want {
			t.Errorf("poolConfig(%s) connect timeout = %v, want %v", c.url, got, c.want)
		}
	}
}
