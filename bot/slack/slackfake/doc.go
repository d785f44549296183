// Package slackfake is a protocol-faithful fake of Slack for tests,
// benchmarks and `sccbot demo`: the Web API methods sccbot calls and the
// Socket Mode WebSocket, served on 127.0.0.1 by one in-process HTTP server.
//
// It is meant to be driven by the real slack-go client, so that what passes
// against the fake also passes against Slack:
//
//	fake := slackfake.New()
//	defer fake.Close()
//	api := slack.New(fake.BotToken(),
//		slack.OptionAPIURL(fake.URL()), // already ends in "/"
//		slack.OptionAppLevelToken(fake.AppToken()))
//	sm := socketmode.New(api)
//	go sm.RunContext(ctx)
//	id, _ := fake.Send(ctx, "interactive", fake.BlockActionPayload(slackfake.BlockAction{...}))
//	ack, _ := fake.WaitAck(ctx, id)
//
// What the fake enforces, because Slack does and a bot must cope with it:
// token types per method, Block Kit limits (invalid_blocks with the reason),
// message length, per-channel posting rate (HTTP 429 with Retry-After),
// single-use socket tickets, single-use and expiring trigger ids, view hashes,
// and the 20 KB limit on Socket Mode acks. Faults that Slack produces only
// occasionally (429, 5xx, a 5xx after the message was stored, latency, a
// dropped socket, a disconnect envelope) can be injected deterministically.
//
// Files go through Slack's external upload flow: files.getUploadURLExternal
// hands out a one-time upload URL on this server (posts to it are recorded
// as "upload_url" and take injected faults under that name),
// files.completeUploadExternal shares the file once in a channel or thread,
// and files.info describes it.
//
// Socket Mode is served as Slack serves one app: up to ten connections at
// once (the eleventh is told too_many_websockets), each envelope written to
// one of them (in turn, or at random from a seed), an ack accepted on any
// of them, and, with WithRedelivery, an envelope left unacked sent again on
// another connection with retry_attempt one higher. Several replicas of a
// bot can therefore share one fake; DropConn kills one replica's socket.
//
// Everything the bot did is recorded (calls, messages with their edits and
// thread replies, ephemerals, response_url posts, shared files, views,
// envelopes and acks)
// and can be awaited without sleeping: every Wait method blocks until the
// condition holds or its context ends. All accessors return copies, so tests
// may keep and modify what they get.
//
// The Server has no package-level state; any number of them may run at once.
// Close stops every goroutine the Server started.
package slackfake
