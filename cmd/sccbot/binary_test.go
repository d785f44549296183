package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
)

// These tests build the sccbot binary and drive it from outside, the way an
// operator, Slack and Google would: flags, environment variables, exit
// codes and signals.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sccbot-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sccbot")
		// -buildvcs=auto overrides a GOFLAGS=-buildvcs=false, so that the
		// binary names its revision as a release build would.
		out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

func TestBinaryRunsAgainstEmulatorsAndStopsOnSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	h := newHarness(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sccbot.yaml")
	if err := os.WriteFile(cfgPath, configYAML(testSubscription, filepath.Join(dir, "sccbot.db")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = environ(h.fakes.env())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()

	h.fakes.publish(seed(t, sccfake.SeedGKECompiler))
	h.waitCards("#secops-gke", 1)
	// A malformed message is logged (once, with its source) and acked.
	h.waitAcked(h.fakes.publish([]byte(`{"not": "an SCC notification"`)))
	if rss, err := residentMemory(cmd.Process.Pid); err == nil {
		t.Logf("sccbot resident memory after its first card: %s", rss)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("sccbot exited with %v after SIGTERM\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("sccbot did not stop within 30s of SIGTERM\n%s", stderr.String())
	}
	logs := stderr.String()
	checkLog(t, logs)
	for _, want := range []string{`"severity":"INFO"`, `"message":"finding posted"`, `"finding_severity":"LOW"`,
		`"message":"malformed message","component":"sources","source":"pubsub:` + testSubscription + `"`, `"message":"sccbot stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s\n%s", want, logs)
		}
	}
	for _, secret := range []string{h.fakes.slack.AppToken(), h.fakes.slack.BotToken()} {
		if strings.Contains(logs, secret) {
			t.Errorf("a token appeared in the log")
		}
	}
}

// residentMemory reads VmRSS of a process (Linux).
func residentMemory(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), nil
		}
	}
	return "", errors.New("no VmRSS")
}

// configYAML is the e2e configuration as a file.
func configYAML(subscription, store string) []byte {
	return []byte(`
slack:
  default_channel: C0SECOPS00
routes:
  - name: gke
    channel: C0SECOPSGKE
    match: {product: [gke]}
sources:
  pubsub:
    subscription: ` + subscription + `
store:
  path: ` + store + `
ops:
  listen: "127.0.0.1:0"
`)
}

func TestBinaryExitCodes(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("slack:\n  default_chanel: C0SECOPS00\n  bot_token: xoxb-1-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		code int
		out  []string
	}{
		{"version", []string{"version"}, nil, 0, []string{"sccbot"}},
		{"no command", nil, nil, 2, []string{"usage: sccbot"}},
		{"unknown command", []string{"frobnicate"}, nil, 2, []string{`unknown command "frobnicate"`}},
		{"check-config lists every problem", []string{"check-config", "--config", bad}, nil, 2,
			[]string{"slack.default_chanel: unknown key", "slack.bot_token", "SLACK_BOT_TOKEN", "sources: set pubsub or poll"}},
		{"run without tokens", []string{"run", "--config", writeGood(t, dir)}, nil, 2, []string{"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"}},
		{"run needs --config", []string{"run"}, nil, 2, []string{"--config"}},
		{"playbooks lint built-in", []string{"playbooks", "lint"}, nil, 0, []string{"built-in playbooks: ok, 57 in all"}},
		{"playbooks lint broken dir", []string{"playbooks", "lint", "../../playbooks/testdata/broken"}, nil, 2,
			[]string{"wrong-product-action.yaml:19: responses.gke[1].action: cloudrun_rollback does not apply to gke"}},
		{"playbooks lint takes flags", []string{"playbooks", "lint", "--config", writeGood(t, dir)}, nil, 0, []string{"built-in playbooks: ok"}},
		{"audit of a missing store", []string{"audit", "--config", writeGood(t, dir)}, nil, 1, []string{"no store at", "x.db"}},
	}
	for _, sub := range [][]string{{"run"}, {"check-config"}, {"doctor"}, {"audit"}, {"demo"}, {"playbooks"}, {"playbooks", "lint"}, {"version"}} {
		for _, help := range []string{"--help", "-h"} {
			tests = append(tests, struct {
				name string
				args []string
				env  []string
				code int
				out  []string
			}{strings.Join(sub, " ") + " " + help, append(slices.Clone(sub), help), nil, 0, []string{"sccbot"}})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tt.args...)
			cmd.Env = tt.env
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Errorf("exit code %d, want %d\n%s", code, tt.code, out)
			}
			for _, w := range tt.out {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "flag: help requested") {
				t.Errorf("help shown as an error\n%s", out)
			}
			if strings.Contains(string(out), "xoxb-1-secret") {
				t.Errorf("output echoes a secret from the config file\n%s", out)
			}
		})
	}
}

func writeGood(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(p, configYAML(testSubscription, filepath.Join(dir, "x.db")), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDemoCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(testContext(t), []string{"demo"}, func(string) string { return "" }, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("demo exited %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"== #secops-gke", "# 🔵 Low · Defense Evasion: Launch Code Compiler Tool In Container",
		"== #secops-urgent", "# 🔴 Critical · Execution: Built in Malicious Binary Executed",
		"== #secops (", "Service: `checkout-api` (europe-west1)",
		"cards posted         3", "malformed messages   1",
		"asked for *Related findings*", "(same pod)", "*Container logs of the pod* — 9 entries",
		"io.k8s.core.v1.pods.exec.create", "T1106 Native API", "# Playbook: Execution: Built in Malicious Binary Executed", "kubectl cp",
		"✅ Isolate the pod", "kubernetes  POST /apis/networking.k8s.io/v1/namespaces/payments/networkpolicies",
		"Evidence kept: binary 1.0 MiB, SHA-256 ✅ matches the finding", `kubernetes  exec ["cat" "--" "/usr/bin/gcc"]`,
		"storage     gs://sccbot-demo-evidence/evidence/7c2b9d4e1f3a4b6c8d0e2f4a6b8c0d1e/", "/binary (1076928 bytes)",
		"✅ Page the project owner: 1 owner paged", "pagerduty   triggered incident",
		"🏁 Resolved as *false positive* by @U0ALICE: the build step", "marks sccbot_verdict=false_positive sccbot_verdict_by=U0ALICE",
		"*3 findings match*", "# SCC digest: last 24 hours", "🛡️ Contained *1*",
		"⏰ @S0ONCALL nobody has acknowledged this *Critical* finding for 16 min",
		"⏫ Escalated: nobody acknowledged this *Critical* finding in 31 min", "⏱ Unacknowledged for 31 min",
		"[file: sccbot-digest-", "Acknowledgement deadlines breached: 1*",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q\n%s", want, out)
		}
	}
	if n := strings.Count(out, "# 🔵") + strings.Count(out, "# 🔴"); n != 3 {
		t.Errorf("demo shows %d cards, want 3 (one per finding)", n)
	}
}

// environ is the process environment that points the binary at the fakes,
// spelled with the names operators use.
func environ(e env) []string {
	return []string{
		"SLACK_APP_TOKEN=" + e.slackAppToken,
		"SLACK_BOT_TOKEN=" + e.slackBotToken,
		"SLACK_API_URL=" + strings.TrimSuffix(e.slackAPIURL, "/"),
		"PUBSUB_EMULATOR_HOST=" + e.pubsubEmulator,
		"SCC_EMULATOR_HOST=" + e.sccEmulator,
		"LOGGING_EMULATOR_HOST=" + e.loggingEmulator,
		"RUN_EMULATOR_HOST=" + e.runEmulator,
		"CONTAINER_EMULATOR_HOST=" + e.containerEmulator,
		"ESSENTIALCONTACTS_EMULATOR_HOST=" + e.contactsEmulator,
		"RESOURCEMANAGER_EMULATOR_HOST=" + e.resourceManagerEmulator,
		"PAGERDUTY_EVENTS_URL=" + e.pagerdutyURL,
		"PAGERDUTY_ROUTING_KEY=" + e.pagerdutyKey,
	}
}
