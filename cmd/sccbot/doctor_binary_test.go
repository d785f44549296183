package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// doctorConfig routes to two channels and reads both sources.
func doctorConfig(t *testing.T, subscription string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "sccbot.yaml")
	cfg := `
slack:
  default_channel: C0SECOPS00
routes:
  - name: gke
    channel: C0SECOPSGKE
    match: {product: [gke]}
sources:
  pubsub:
    subscription: ` + subscription + `
  poll:
    parent: organizations/123/sources/-/locations/global
store:
  path: ` + filepath.Join(dir, "sccbot.db") + `
ops:
  listen: "127.0.0.1:0"
responses:
  actions:
    delete_pod: {approval: none}
    cloudrun_rollback: {approval: none}
    page_owner: {approval: none}
    mute: {approval: none}
`
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runBinary(t *testing.T, bin string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, _ := cmd.CombinedOutput()
	return string(out), cmd.ProcessState.ExitCode()
}

func withEnv(env []string, key, value string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// TestBinaryDoctor runs sccbot doctor against the fakes: all green, then
// with one thing broken at a time, each named, exit 2.
func TestBinaryDoctor(t *testing.T) {
	bin := buildBinary(t)
	h := newHarness(t)
	env := environ(h.fakes.env())
	good := doctorConfig(t, testSubscription)

	out, code := runBinary(t, bin, env, "doctor", "--config", good)
	t.Logf("doctor, all good:\n%s", out)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	for _, want := range []string{"STATUS", "Slack bot token", "in workspace Fake Workspace", "Slack app token",
		"channel C0SECOPS00 (slack.default_channel)", "channel C0SECOPSGKE (routes[0].channel)",
		"Pub/Sub subscription (sources.pubsub.subscription)", "Pub/Sub pull permission", "pubsub.subscriptions.consume granted",
		"SCC findings (sources.poll.parent)", "Cloud Logging API", "Cloud Run Admin API", "GKE (container API)",
		"action delete_pod (responses.actions.delete_pod)", "container.pods.delete granted", "action mute", "action page_owner",
		"action cloudrun_rollback", "0 warning(s), 0 failure(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q", want)
		}
	}
	if strings.Contains(out, h.fakes.slack.BotToken()) || strings.Contains(out, h.fakes.slack.AppToken()) {
		t.Error("doctor printed a token")
	}

	h.fakes.slack.SetNotInChannel("C0SECOPSGKE")
	h.fakes.owners.DenyPermissions("projects/demo-sec", "securitycenter.findings.setMute")
	tests := []struct {
		name   string
		env    []string
		config string
		want   string
	}{
		{"revoked bot token", withEnv(env, "SLACK_BOT_TOKEN", "xoxb-1-revoked"), good, "SLACK_BOT_TOKEN refused by auth.test: invalid_auth"},
		{"revoked app token", withEnv(env, "SLACK_APP_TOKEN", "xapp-1-revoked"), good, "SLACK_APP_TOKEN refused by apps.connections.open: invalid_auth"},
		{"missing subscription", env, doctorConfig(t, "projects/demo-sec/subscriptions/nope"), "projects/demo-sec/subscriptions/nope does not exist"},
		{"channel without the bot", env, good, "the bot is not a member of #secops-gke"},
		{"action without its permission", env, good, "missing on projects/demo-sec: securitycenter.findings.setMute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runBinary(t, bin, tt.env, "doctor", "--config", tt.config)
			if code != 2 || !strings.Contains(out, tt.want) || !strings.Contains(out, "FAIL") {
				t.Errorf("exit %d, want 2 and %q\n%s", code, tt.want, out)
			}
			if strings.Contains(out, "xoxb-1-revoked") || strings.Contains(out, "xapp-1-revoked") {
				t.Error("doctor printed a token")
			}
		})
	}
}

// TestBinaryRunRefusesWhatCannotWork: run stops at once, exit 2, naming
// the variable or resource, for a refused token or a missing subscription;
// a channel it cannot post to is only a warning.
func TestBinaryRunRefusesWhatCannotWork(t *testing.T) {
	bin := buildBinary(t)
	h := newHarness(t)
	env := environ(h.fakes.env())
	for _, tt := range []struct {
		name   string
		env    []string
		config string
		want   string
	}{
		{"bad bot token", withEnv(env, "SLACK_BOT_TOKEN", "xoxb-1-revoked"), doctorConfig(t, testSubscription), "SLACK_BOT_TOKEN refused by auth.test"},
		{"missing subscription", env, doctorConfig(t, "projects/demo-sec/subscriptions/nope"), "projects/demo-sec/subscriptions/nope does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runBinary(t, bin, tt.env, "run", "--config", tt.config)
			if code != 2 || !strings.Contains(out, "cannot start") || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want 2 naming %q\n%s", code, tt.want, out)
			}
		})
	}
}
