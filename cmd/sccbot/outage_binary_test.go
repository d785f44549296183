package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBinarySourceOutage drives the built binary with one source pointed at
// an endpoint that refuses connections: the source is named by /readyz
// (503) within sources.unhealthy_after, its failures are logged with the
// cause and counted, and SIGTERM still ends the process within the drain
// grace plus 5 seconds.
func TestBinarySourceOutage(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name    string
		sources string
		source  string
		envVar  string
	}{
		{"pubsub", "  pubsub:\n    subscription: " + testSubscription + "\n", "pubsub:" + testSubscription, "PUBSUB_EMULATOR_HOST"},
		{"poll", "  poll:\n    parent: organizations/123/sources/-/locations/global\n    interval: 10s\n",
			"poll:organizations/123/sources/-/locations/global", "SCC_EMULATOR_HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "sccbot.yaml")
			cfg := "slack:\n  default_channel: C0SECOPS00\nsources:\n" + tt.sources + "  unhealthy_after: 2s\n" +
				"store:\n  path: " + filepath.Join(dir, "sccbot.db") + "\nops:\n  listen: \"127.0.0.1:0\"\n"
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			env := environ(h.fakes.env())
			for i, kv := range env {
				if strings.HasPrefix(kv, tt.envVar+"=") {
					env[i] = tt.envVar + "=" + refusingAddr(t)
				}
			}
			p := startBinary(t, bin, env, "run", "--config", cfgPath)
			ops := p.waitLine(t, regexp.MustCompile(`"message":"ops server listening".*"addr":"([^"]+)"`))

			start := time.Now()
			body := waitReadyz(t, "http://"+ops+"/readyz", tt.source, 20*time.Second)
			t.Logf("/readyz named the source %s after start (unhealthy_after 2s):\n%s", time.Since(start).Round(100*time.Millisecond), body)
			line := p.waitLine(t, regexp.MustCompile(`.*"message":"source failing".*`))
			if !strings.Contains(line, `"severity":"ERROR"`) || !strings.Contains(line, tt.source) || !strings.Contains(line, "Unavailable") {
				t.Errorf("failure line lacks severity, source or cause: %s", line)
			}
			metrics := get(t, "http://"+ops+"/metrics")
			if !regexp.MustCompile(`sccbot_source_errors_total\{source="` + regexp.QuoteMeta(tt.source) + `"\} [1-9]`).MatchString(metrics) {
				t.Errorf("no error counted for %s:\n%s", tt.source, grepLines(metrics, "sccbot_source"))
			}
			if !strings.Contains(metrics, `sccbot_source_up{source="`+tt.source+`"} 0`) {
				t.Errorf("source not down in metrics:\n%s", grepLines(metrics, "sccbot_source"))
			}

			bound := drainGrace + 5*time.Second
			signalled := time.Now()
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.exited:
				checkLog(t, p.output())
				t.Logf("exited %s after SIGTERM (bound %s), code %d", time.Since(signalled).Round(10*time.Millisecond), bound, p.cmd.ProcessState.ExitCode())
			case <-time.After(bound):
				t.Fatalf("still running %s after SIGTERM\n%s", bound, p.output())
			}
		})
	}
}

// refusingAddr is a local address nothing listens on: connections to it
// are refused at once.
func refusingAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}

// process is the running binary with its stderr collected line by line.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	lines  chan string
	mu     sync.Mutex
	all    strings.Builder
}

func startBinary(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{}), lines: make(chan string, 10000)}
	go p.read(stderr)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// read collects the output and then waits for the process, which must
// happen after the pipe is drained.
func (p *process) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.all.WriteString(sc.Text() + "\n")
		p.mu.Unlock()
		select {
		case p.lines <- sc.Text():
		default:
		}
	}
	_ = p.cmd.Wait()
	close(p.lines)
	close(p.exited)
}

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.all.String()
}

// waitLine returns the first group of re (or the whole match) in the
// first line of the output, so far or to come, that matches it.
func (p *process) waitLine(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		for _, line := range strings.Split(p.output(), "\n") {
			if m := re.FindStringSubmatch(line); m != nil {
				return m[len(m)-1]
			}
		}
		select {
		case _, ok := <-p.lines:
			if !ok {
				t.Fatalf("sccbot exited before a line matched %s\n%s", re, p.output())
			}
		case <-deadline:
			t.Fatalf("no line matched %s within 30s\n%s", re, p.output())
		}
	}
}

// waitReadyz asks /readyz until it answers 503 naming want, and returns
// the body. Polling an outside process is the only way to watch it.
func waitReadyz(t *testing.T, url, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(b), want) {
				return string(b)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/readyz did not answer 503 naming %s within %s", want, within)
	return ""
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
