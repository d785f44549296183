package config

import (
	"regexp"
	"strings"
)

// Environment variables that hold sccbot's secrets.
const (
	EnvSlackAppToken       = "SLACK_APP_TOKEN"
	EnvSlackBotToken       = "SLACK_BOT_TOKEN"
	EnvPagerDutyRoutingKey = "PAGERDUTY_ROUTING_KEY"
	// EnvDatabaseURL is the PostgreSQL store's libpq URL; it may hold a
	// password.
	EnvDatabaseURL = "SCCBOT_DATABASE_URL"
)

// secretWords are parts of key names that hold secrets. A schema key never
// contains one (a test walks the schema to keep it so), which is why the
// check applies only to keys the schema does not know.
var secretWords = [...]string{
	"token", "secret", "password", "passwd", "apikey", "api_key",
	"routing_key", "integration_key", "private_key", "credential",
}

// secretKey returns the message for a key that looks like it holds a
// secret, or is one (a token pasted as a key).
func secretKey(parent, key string) (string, bool) {
	switch {
	case looksLikeToken(key):
		return secretValueMessage(key), true
	case looksLikeSecretKey(key):
		return secretKeyMessage(parent, key), true
	}
	return "", false
}

func looksLikeSecretKey(key string) bool {
	k := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// secretKeyMessage tells the operator where a secret goes instead. It never
// includes the value, which is not even read.
func secretKeyMessage(parent, key string) string {
	const prefix = "secrets are not read from the config file; "
	k := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	inSlack := parent == "slack" || strings.HasPrefix(parent, "slack.")
	switch {
	case strings.Contains(k, "app_token") || k == "apptoken":
		return prefix + "set " + EnvSlackAppToken + " in the environment"
	case strings.Contains(k, "signing_secret"):
		return prefix + "socket mode needs no signing secret, only " + EnvSlackAppToken + " and " + EnvSlackBotToken + " in the environment"
	case strings.Contains(k, "bot_token") || inSlack && strings.Contains(k, "token"):
		return prefix + "set " + EnvSlackBotToken + " in the environment"
	case strings.Contains(k, "routing_key") || strings.Contains(k, "integration_key") || strings.HasPrefix(parent, "pagerduty"):
		return prefix + "set " + EnvPagerDutyRoutingKey + " in the environment"
	case strings.Contains(k, "credential") || strings.Contains(k, "private_key"):
		return prefix + "Google credentials come from Application Default Credentials (the service account, or GOOGLE_APPLICATION_CREDENTIALS)"
	}
	return prefix + "pass it in the environment"
}

// slackToken matches Slack's token formats: xoxb- (bot), xoxp- (user),
// xapp- (app-level) and the other xox?- kinds.
var slackToken = regexp.MustCompile(`^\s*(xox[a-z]|xapp)-`)

func looksLikeToken(s string) bool { return slackToken.MatchString(s) }

// secretValueMessage is the message for a Slack token pasted as the value
// of an ordinary key.
func secretValueMessage(v string) string {
	env := EnvSlackBotToken
	if strings.HasPrefix(strings.TrimSpace(v), "xapp-") {
		env = EnvSlackAppToken
	}
	return "this is a Slack token; secrets are not read from the config file: set " + env + " in the environment (and rotate the token if this file was shared)"
}

// CheckEnv checks the secrets sccbot reads from the environment: the
// app-level token for socket mode and the bot token for the Web API. The
// problems name the variable and never contain its value.
func CheckEnv(getenv func(string) string) Problems {
	var ps Problems
	for _, want := range []struct{ env, prefix, kind string }{
		{EnvSlackAppToken, "xapp-", "an app-level token with the connections:write scope"},
		{EnvSlackBotToken, "xoxb-", "the bot user OAuth token"},
	} {
		if msg := checkToken(getenv(want.env), want.prefix, want.kind); msg != "" {
			ps = append(ps, Problem{Path: want.env, Message: msg})
		}
	}
	return ps
}

func checkToken(v, prefix, kind string) string {
	switch {
	case v == "":
		return "required: set it to " + kind + " (" + prefix + "...)"
	case strings.TrimSpace(v) != v:
		return "has leading or trailing whitespace"
	case strings.HasPrefix(v, prefix):
		return ""
	}
	if got := slackToken.FindString(v); got != "" {
		return "must start with \"" + prefix + "\" (" + kind + "), but it holds a token of another kind (" + got + "...); are the two variables swapped?"
	}
	return "must start with \"" + prefix + "\" (" + kind + ")"
}

// CheckStoreEnv reports what the store needs from the environment: with
// driver postgres and no Cloud SQL instance, a libpq URL in EnvDatabaseURL.
// The value is never echoed, as it may hold a password.
func CheckStoreEnv(s Store, getenv func(string) string) Problems {
	url := getenv(EnvDatabaseURL)
	var msg string
	switch {
	case s.Driver != StorePostgres:
		return nil
	case s.CloudSQLInstance != "" && url != "":
		msg = "set with store.cloudsql_instance too: use one or the other"
	case s.CloudSQLInstance != "":
		return nil
	case url == "":
		msg = "required with store.driver postgres (or set store.cloudsql_instance): a libpq URL such as postgres://USER@HOST:5432/DB?sslmode=verify-full"
	case strings.TrimSpace(url) != url:
		msg = "has leading or trailing whitespace"
	case !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") && !strings.Contains(url, "="):
		msg = "is not a libpq connection string: write postgres://USER@HOST:5432/DB or host=HOST dbname=DB ..."
	default:
		return nil
	}
	return Problems{{Path: EnvDatabaseURL, Message: msg}}
}
