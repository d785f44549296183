package slack

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
)

// metadataType marks the bot's own messages in Slack message metadata, so
// that a retry after an ambiguous failure can find a message that landed.
const metadataType = "sccbot_message"

// send makes one attempt, bounded by the request timeout.
func (o *Outbox) send(ctx context.Context, j job) (bot.MessageRef, error) {
	ctx, cancel := context.WithTimeout(ctx, o.opts.RequestTimeout)
	defer cancel()
	opts := messageOptions(j.msg, j.degraded)
	switch j.kind {
	case jobUpdate:
		_, ts, _, err := o.api.UpdateMessageContext(ctx, j.channel, j.ts, opts...)
		return bot.MessageRef{Channel: j.channel, TS: ts}, err
	case jobReply:
		opts = append(opts, goslack.MsgOptionTS(j.thread))
	}
	channel, ts, err := o.api.PostMessageContext(ctx, j.channel, opts...)
	if channel == "" {
		channel = j.channel
	}
	return bot.MessageRef{Channel: channel, TS: ts}, err
}

// messageOptions renders m. Degraded messages carry the text alone, with a
// note, for when Slack refused the blocks.
func messageOptions(m bot.Message, degraded bool) []goslack.MsgOption {
	blocks, text := Render(m)
	opts := []goslack.MsgOption{
		goslack.MsgOptionDisableLinkUnfurl(),
		goslack.MsgOptionDisableMediaUnfurl(),
	}
	if degraded {
		text += "\n_(sccbot: Slack refused this message's layout; the full details are in sccbot's store and log)_"
		opts = append(opts, goslack.MsgOptionText(text, false), goslack.MsgOptionBlocks())
	} else {
		opts = append(opts, goslack.MsgOptionText(text, false), goslack.MsgOptionBlocks(blocks...))
	}
	if m.Key != "" {
		opts = append(opts, goslack.MsgOptionMetadata(goslack.SlackMetadata{
			EventType:    metadataType,
			EventPayload: map[string]any{"key": m.Key},
		}))
	}
	return opts
}

// landed looks for a message with j's key posted since the first attempt.
// It answers false when the job has no key or Slack cannot be asked; the
// caller then retries, accepting the small risk of a duplicate rather than
// the certainty of a loss.
func (o *Outbox) landed(ctx context.Context, j job, since time.Time) (bot.MessageRef, bool) {
	if j.msg.Key == "" || j.kind == jobUpdate {
		return bot.MessageRef{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, o.opts.RequestTimeout)
	defer cancel()
	msgs, err := o.recent(ctx, j, since.Add(-time.Minute))
	if err != nil {
		o.log.Warn("could not check whether a failed post landed", "channel", j.channel, "err", err)
		return bot.MessageRef{}, false
	}
	for _, m := range msgs {
		if m.Metadata.EventType == metadataType && fmt.Sprint(m.Metadata.EventPayload["key"]) == j.msg.Key {
			o.log.Info("failed post had landed; not posting again", "channel", j.channel, "ts", m.Timestamp)
			o.metrics.retries.WithLabelValues(j.kind.method(), "landed").Inc()
			return bot.MessageRef{Channel: o.channelID(j.channel), TS: m.Timestamp}, true
		}
	}
	return bot.MessageRef{}, false
}

// recent returns the messages of j's channel (or thread) since since,
// following Slack's pages: after a crash in a storm the message looked for
// can be hundreds of messages back.
func (o *Outbox) recent(ctx context.Context, j job, since time.Time) ([]goslack.Message, error) {
	oldest := strconv.FormatFloat(float64(since.UnixMicro())/1e6, 'f', 6, 64)
	channel := o.channelID(j.channel)
	if j.kind == jobReply {
		msgs, _, _, err := o.api.GetConversationRepliesContext(ctx, &goslack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: j.thread, Oldest: oldest, Limit: 200, IncludeAllMetadata: true})
		return msgs, err
	}
	var out []goslack.Message
	cursor := ""
	for range maxHistoryPages {
		resp, err := o.api.GetConversationHistoryContext(ctx, &goslack.GetConversationHistoryParameters{
			ChannelID: channel, Oldest: oldest, Limit: 200, Cursor: cursor, IncludeAllMetadata: true})
		if err != nil {
			return nil, err
		}
		out = append(out, resp.Messages...)
		cursor = resp.ResponseMetaData.NextCursor
		if !resp.HasMore || cursor == "" {
			return out, nil
		}
	}
	return nil, fmt.Errorf("more than %d pages of history since %s", maxHistoryPages, oldest)
}

// maxHistoryPages bounds a search of the channel's history (200 messages
// a page): conversations.history is Tier 3, and a storm's worth is enough.
const maxHistoryPages = 50

// Ephemeral shows m to one person only. It answers through the
// interaction's response URL when there is one (no token, no channel
// membership needed, and it works in DMs), else with chat.postEphemeral.
// Ephemeral answers are not paced: they are one per click, and Slack rate
// limits them per user rather than per channel.
func (o *Outbox) Ephemeral(ctx context.Context, responseURL, channel, user string, m bot.Message) error {
	ctx, cancel := context.WithTimeout(ctx, o.opts.RequestTimeout)
	defer cancel()
	blocks, text := Render(m)
	opts := []goslack.MsgOption{goslack.MsgOptionText(text, false), goslack.MsgOptionBlocks(blocks...)}
	var err error
	if responseURL != "" {
		opts = append(opts, goslack.MsgOptionResponseURL(responseURL, goslack.ResponseTypeEphemeral))
		_, _, err = o.api.PostMessageContext(ctx, channel, opts...)
	} else {
		_, err = o.api.PostEphemeralContext(ctx, channel, user, opts...)
	}
	if err != nil {
		o.metrics.requests.WithLabelValues("ephemeral", "error").Inc()
		return fmt.Errorf("ephemeral message: %w", translate(err))
	}
	o.metrics.requests.WithLabelValues("ephemeral", "ok").Inc()
	return nil
}
