package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sccbot/sccbot/config"
)

const (
	botToken = "xoxb-1111-2222-S3cr3tB0tValue"
	appToken = "xapp-1-A111-3333-S3cr3tAppValue"
	password = "hunter2-S3cr3tPassw0rd"
)

// TestSecretsNeverEchoed puts secrets wherever an operator might paste one
// and checks that Load refuses the file without ever printing the secret.
func TestSecretsNeverEchoed(t *testing.T) {
	const base = "sources: {poll: {parent: organizations/1/sources/-}}\n"
	tests := []struct {
		name, yaml, secret string
	}{
		{"bot_token key", "slack: {default_channel: C0123456789, bot_token: " + botToken + "}\n", botToken},
		{"generic token key", "slack: {default_channel: C0123456789, token: " + botToken + "}\n", botToken},
		{"app_token key", "slack: {default_channel: C0123456789, app_token: " + appToken + "}\n", appToken},
		{"token as channel", "slack: {default_channel: " + botToken + "}\n", botToken},
		{"token as route channel", "slack: {default_channel: C0123456789}\nroutes: [{name: a, channel: " + appToken + "}]\n", appToken},
		{"token in a list", "slack: {default_channel: C0123456789}\nroutes: [{name: a, channel: C0123456789, match: {category: [" + botToken + "]}}]\n", botToken},
		{"token as an integer", "slack: {default_channel: C0123456789, workers: " + botToken + "}\n", botToken},
		{"token as a duration", "slack: {default_channel: C0123456789, post_interval: " + botToken + "}\n", botToken},
		{"token as a key", "slack: {default_channel: C0123456789, " + botToken + ": 1}\n", botToken},
		{"token under unknown key", "slack: {default_channel: C0123456789, bot: " + botToken + "}\n", botToken},
		{"password at top level", "slack: {default_channel: C0123456789}\npassword: " + password + "\n", password},
		{"secret in unknown section", "slack: {default_channel: C0123456789}\npagerduty: {routing_key: " + password + "}\n", password},
		{"secret in extension key", "slack: {default_channel: C0123456789}\nx-shared: {api_key: " + password + "}\n", password},
		{"secret in a list in unknown section", "slack: {default_channel: C0123456789}\nwebhooks: [{url: x, secret: " + password + "}]\n", password},
		{"long token value", "slack: {default_channel: C0123456789}\nstore: {path: " + botToken + strings.Repeat("A", 200) + "}\n", botToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load([]byte(base + tt.yaml))
			var ps config.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Load = %v, want Problems", err)
			}
			texts := []string{err.Error()}
			for _, p := range ps {
				texts = append(texts, p.String(), p.Path, p.Message)
			}
			for _, s := range texts {
				if strings.Contains(s, tt.secret) || strings.Contains(s, "S3cr3t") {
					t.Errorf("problem text leaks the secret: %q", s)
				}
			}
			if !strings.Contains(err.Error(), "secrets are not read from the config file") {
				t.Errorf("problems do not say where secrets go:\n%v", err)
			}
		})
	}
}

func TestCheckEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "both set",
			env:  map[string]string{"SLACK_APP_TOKEN": appToken, "SLACK_BOT_TOKEN": botToken},
		},
		{
			name: "both missing",
			want: []string{
				`SLACK_APP_TOKEN: required: set it to an app-level token with the connections:write scope (xapp-...)`,
				`SLACK_BOT_TOKEN: required: set it to the bot user OAuth token (xoxb-...)`,
			},
		},
		{
			name: "swapped",
			env:  map[string]string{"SLACK_APP_TOKEN": botToken, "SLACK_BOT_TOKEN": appToken},
			want: []string{
				`SLACK_APP_TOKEN: must start with "xapp-" (an app-level token with the connections:write scope), but it holds a token of another kind (xoxb-...); are the two variables swapped?`,
				`SLACK_BOT_TOKEN: must start with "xoxb-" (the bot user OAuth token), but it holds a token of another kind (xapp-...); are the two variables swapped?`,
			},
		},
		{
			name: "user token and trailing newline",
			env:  map[string]string{"SLACK_APP_TOKEN": appToken + "\n", "SLACK_BOT_TOKEN": "xoxp-9-S3cr3tUser"},
			want: []string{
				`SLACK_APP_TOKEN: has leading or trailing whitespace`,
				`SLACK_BOT_TOKEN: must start with "xoxb-" (the bot user OAuth token), but it holds a token of another kind (xoxp-...); are the two variables swapped?`,
			},
		},
		{
			name: "not a token",
			env:  map[string]string{"SLACK_APP_TOKEN": "S3cr3t-garbage", "SLACK_BOT_TOKEN": botToken},
			want: []string{
				`SLACK_APP_TOKEN: must start with "xapp-" (an app-level token with the connections:write scope)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := config.CheckEnv(func(k string) string { return tt.env[k] })
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckEnv (-want +got):\n%s", diff)
			}
			if err := ps.Err(); err != nil && strings.Contains(err.Error(), "S3cr3t") {
				t.Errorf("CheckEnv leaks a token value: %v", err)
			}
		})
	}
}
