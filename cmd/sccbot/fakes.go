package main

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"

	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

// fakes are the stand-ins for Slack and Google that `sccbot demo` and the
// end-to-end tests run the bot against. Each speaks the real protocol, so
// the bot uses its production clients unchanged; only the endpoints differ.
type fakes struct {
	slack   *slackfake.Server
	pubsub  *pstest.Server
	scc     *sccfake.Server
	logging *loggingfake.Server
	topic   string
}

// startFakes starts every fake and creates the topic and the subscription
// that SCC's notification config would publish to.
func startFakes(ctx context.Context, subscription string) (_ *fakes, err error) {
	f := &fakes{slack: slackfake.New(slackfake.WithPingInterval(5 * time.Second)), pubsub: pstest.NewServer(),
		scc: sccfake.New(), logging: loggingfake.New()}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	if err := f.scc.Start(); err != nil {
		return nil, fmt.Errorf("start SCC fake: %w", err)
	}
	if err := f.logging.Start(); err != nil {
		return nil, fmt.Errorf("start Logging fake: %w", err)
	}
	project, err := projectOfSubscription(subscription)
	if err != nil {
		return nil, err
	}
	f.topic = "projects/" + project + "/topics/scc-notifications"
	if err := f.createSubscription(ctx, project, subscription); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fakes) createSubscription(ctx context.Context, project, subscription string) error {
	client, err := pubsub.NewClient(ctx, project, googleOptions(f.pubsub.Addr)...)
	if err != nil {
		return fmt.Errorf("pubsub client: %w", err)
	}
	defer client.Close()
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
		slackAppToken:   f.slack.AppToken(),
		slackBotToken:   f.slack.BotToken(),
		slackAPIURL:     f.slack.URL(),
		pubsubEmulator:  f.pubsub.Addr,
		sccEmulator:     f.scc.Addr(),
		loggingEmulator: f.logging.Addr(),
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
}
