package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
	"github.com/sccbot/sccbot/bot/owners/ownersfake"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/internal/pubsubiam"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
	"github.com/sccbot/sccbot/playbooks/pagerduty/pagerdutyfake"
)

// fakes are the stand-ins for Slack and Google that `sccbot demo` and the
// end-to-end tests run the bot against. Each speaks the real protocol, so
// the bot uses its production clients unchanged; only the endpoints differ.
type fakes struct {
	slack     *slackfake.Server
	pubsub    *pstest.Server
	pubsubIAM *pubsubiam.IAM // Pub/Sub's IAMPolicy service, next to pstest
	scc       *sccfake.Server
	logging   *loggingfake.Server
	run       *runfake.Server
	kube      *gkefake.KubeAPI
	container *gkefake.ClusterManager
	owners    *ownersfake.Server
	pagerduty *pagerdutyfake.Server
	// gcs is fake-gcs-server's Cloud Storage JSON API: the evidence bucket.
	gcs   *fakestorage.Server
	topic string
}

// demoEvidenceBucket is the evidence bucket of the demo and the tests.
const demoEvidenceBucket = "sccbot-demo-evidence"

// demoPeople are the Slack users behind the seeded project owners and
// contacts, so that paging an owner reaches someone in the fake workspace.
var demoPeople = []struct{ id, email, name string }{
	{"U0PAYONCALL", "payments-oncall@example.com", "payments-oncall"},
	{"U0WEBONCALL", "web-oncall@example.com", "web-oncall"},
	{"U0ALICE", "alice@example.com", "alice"},
	{"U0DANA", "dana@example.com", "dana"},
	{"U0CAROL", "carol@example.com", "carol"},
}

// startFakes starts every fake and creates the topic and the subscription
// that SCC's notification config would publish to.
func startFakes(ctx context.Context, subscription string) (_ *fakes, err error) {
	f := &fakes{slack: slackfake.New(slackfake.WithPingInterval(5 * time.Second)),
		scc: sccfake.New(), logging: loggingfake.New(), run: runfake.New(), kube: gkefake.NewKubeAPI(gkefake.DefaultToken),
		owners: ownersfake.New(), pagerduty: pagerdutyfake.New(pagerdutyfake.WithRoutingKeys(pagerdutyfake.DemoRoutingKey))}
	f.container = gkefake.NewClusterManager(f.kube)
	f.pubsub, f.pubsubIAM = pubsubiam.NewServer()
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	if err := f.startGoogle(); err != nil {
		return nil, err
	}
	if f.gcs, err = fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1",
		Writer: io.Discard}); err != nil {
		return nil, fmt.Errorf("start Cloud Storage fake: %w", err)
	}
	f.gcs.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: demoEvidenceBucket})
	gkefake.Seed(f.kube, f.container)
	gkefake.SeedV1(f.kube)
	f.owners.AddSeeds()
	if err := f.run.SeedAll(); err != nil {
		return nil, fmt.Errorf("seed Cloud Run fake: %w", err)
	}
	for _, p := range demoPeople {
		f.slack.AddUser(p.id, p.email, p.name)
	}
	project, err := projectOfSubscription(subscription)
	if err != nil {
		return nil, err
	}
	f.topic = "projects/" + project + "/topics/scc-notifications"
	// The bot's own project, which sccbot doctor asks about.
	f.owners.AddResource("projects/100000000001", ownersfake.DemoFolder, "projects/"+project)
	if err := f.createSubscription(ctx, project, subscription); err != nil {
		return nil, err
	}
	return f, nil
}

// startGoogle starts the gRPC fakes of Google's APIs.
func (f *fakes) startGoogle() error {
	for _, s := range []struct {
		name  string
		start func() error
	}{{"SCC", f.scc.Start}, {"Logging", f.logging.Start}, {"Cloud Run", f.run.Start},
		{"container API", f.container.Start}, {"Essential Contacts", f.owners.Start}} {
		if err := s.start(); err != nil {
			return fmt.Errorf("start %s fake: %w", s.name, err)
		}
	}
	return nil
}

func (f *fakes) createSubscription(ctx context.Context, project, subscription string) error {
	client, err := pubsub.NewClient(ctx, project, googleOptions(f.pubsub.Addr)...)
	if err != nil {
		return fmt.Errorf("pubsub client: %w", err)
	}
	defer client.Close() //nolint:errcheck // the demo's own fake; the calls report what matters
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: f.topic}); err != nil {
		return fmt.Errorf("create topic: %w", err)
	}
	_, err = client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: subscription, Topic: f.topic, AckDeadlineSeconds: 60})
	if err != nil {
		return fmt.Errorf("create subscription: %w", err)
	}
	return nil
}

// env is what the bot's environment would hold to use the fakes.
func (f *fakes) env() env {
	return env{
		slackAppToken:           f.slack.AppToken(),
		slackBotToken:           f.slack.BotToken(),
		slackAPIURL:             f.slack.URL(),
		pubsubEmulator:          f.pubsub.Addr,
		sccEmulator:             f.scc.Addr(),
		loggingEmulator:         f.logging.Addr(),
		runEmulator:             f.run.Addr(),
		containerEmulator:       f.container.Addr(),
		contactsEmulator:        f.owners.Addr(),
		resourceManagerEmulator: f.owners.Addr(),
		pagerdutyURL:            f.pagerduty.URL(),
		pagerdutyKey:            pagerdutyfake.DemoRoutingKey,
		storageEmulator:         f.gcs.URL(),
	}
}

// publish puts a notification on the topic, as SCC would.
func (f *fakes) publish(data []byte) string {
	return f.pubsub.Publish(f.topic, data, nil)
}

func (f *fakes) close() {
	f.slack.Close()
	_ = f.pubsub.Close()
	f.scc.Close()
	f.logging.Close()
	f.run.Close()
	f.container.Close()
	f.kube.Close()
	f.owners.Close()
	f.pagerduty.Close()
	if f.gcs != nil {
		f.gcs.Stop()
	}
}
