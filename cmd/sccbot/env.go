package main

import (
	"fmt"
	"strings"

	"google.golang.org/api/option"

	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/playbooks/pagerduty"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// env is what sccbot reads from the environment: the secrets, and the
// endpoints that point its clients at emulators or private deployments.
type env struct {
	slackAppToken string
	slackBotToken string
	// slackAPIURL is the Web API base; empty means Slack's.
	slackAPIURL string
	// Emulator hosts (host:port, plaintext, no credentials).
	pubsubEmulator          string
	sccEmulator             string
	loggingEmulator         string
	runEmulator             string
	containerEmulator       string
	contactsEmulator        string
	resourceManagerEmulator string
	// PagerDuty: the Events v2 enqueue URL and the routing key (a secret;
	// paging through PagerDuty is off without it).
	pagerdutyURL string
	pagerdutyKey string
	// kubeconfig, when set, replaces the container API as the source of
	// GKE clusters' endpoints and credentials.
	kubeconfig string
	// storageEmulator is STORAGE_EMULATOR_HOST: the evidence bucket's
	// Cloud Storage emulator (host:port or URL, plain HTTP).
	storageEmulator string
	// databaseURL is the PostgreSQL store's libpq URL (a secret).
	databaseURL string
	// replicaID is SCCBOT_REPLICA_ID: this replica's id on a PostgreSQL
	// store; empty means the host name and a random suffix.
	replicaID string
}

func readEnv(getenv func(string) string) env {
	return env{
		slackAppToken:           getenv("SLACK_APP_TOKEN"),
		slackBotToken:           getenv("SLACK_BOT_TOKEN"),
		slackAPIURL:             normaliseAPIURL(getenv("SLACK_API_URL")),
		pubsubEmulator:          getenv("PUBSUB_EMULATOR_HOST"),
		sccEmulator:             getenv("SCC_EMULATOR_HOST"),
		loggingEmulator:         getenv("LOGGING_EMULATOR_HOST"),
		runEmulator:             getenv("RUN_EMULATOR_HOST"),
		containerEmulator:       getenv("CONTAINER_EMULATOR_HOST"),
		contactsEmulator:        getenv("ESSENTIALCONTACTS_EMULATOR_HOST"),
		resourceManagerEmulator: getenv("RESOURCEMANAGER_EMULATOR_HOST"),
		pagerdutyURL:            orDefault(getenv("PAGERDUTY_EVENTS_URL"), pagerduty.DefaultURL),
		pagerdutyKey:            getenv("PAGERDUTY_ROUTING_KEY"),
		kubeconfig:              getenv("KUBECONFIG"),
		storageEmulator:         getenv("STORAGE_EMULATOR_HOST"),
		databaseURL:             getenv(config.EnvDatabaseURL),
		replicaID:               getenv("SCCBOT_REPLICA_ID"),
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// normaliseAPIURL adds the trailing slash slack-go needs: it builds method
// URLs by appending the method name.
func normaliseAPIURL(u string) string {
	if u == "" || strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// googleOptions returns the client options for a Google API whose
// emulator host is host: plaintext gRPC and no credentials when set, the
// defaults (Application Default Credentials) otherwise.
func googleOptions(host string) []option.ClientOption {
	if host == "" {
		return nil
	}
	return []option.ClientOption{
		option.WithEndpoint(host),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// projectOfSubscription returns P of projects/P/subscriptions/S.
func projectOfSubscription(name string) (string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "projects" || parts[2] != "subscriptions" || parts[1] == "" || parts[3] == "" {
		return "", fmt.Errorf("subscription %q is not projects/PROJECT/subscriptions/NAME", name)
	}
	return parts[1], nil
}
