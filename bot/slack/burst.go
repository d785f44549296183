package slack

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/sccbot/sccbot/bot"
)

// burst names several findings waiting for their cards in one top-level
// message, severe ones first, so that each is seen within a second or two
// however fast they come; their senders get bot.ErrDeferred with the
// burst's ref and post the cards later, at the pace that remains. The
// jobs the message cannot hold go back to the front of the queue.
func (o *Outbox) burst(l *lane, js []job) {
	lo, hi := 1, len(js) // the most briefs one message shows whole
	for lo < hi {
		if mid := (lo + hi + 1) / 2; Fits(burstMessage(js[:mid])) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	n := lo
	l.putBack(js[n:])
	js = js[:n]
	if n == 1 {
		js[0].prepaid = true // the lane waited for this slot
		ref, err := o.deliver(l, js[0])
		js[0].result <- jobResult{ref: ref, err: err}
		return
	}
	for range js[1:] {
		o.metrics.outboxDepth.Dec()
	}
	ctx, stop := o.jobContext(context.Background())
	defer stop()
	msg := burstMessage(js)
	ref, err := o.deliver(l, job{ctx: ctx, kind: jobPost, channel: js[0].channel, msg: msg, prepaid: true})
	if err == nil {
		err = bot.ErrDeferred
		o.metrics.bursts.Inc()
	}
	for _, j := range js {
		j.result <- jobResult{ref: ref, err: err}
	}
}

// burstMessage lists the briefs of js, most urgent first as they came.
func burstMessage(js []job) bot.Message {
	severe := 0
	for _, j := range js {
		if j.msg.Priority == bot.PrioritySevere {
			severe++
		}
	}
	head := fmt.Sprintf("%d new findings arrived faster than Slack lets sccbot post cards; each card follows in this channel", len(js))
	if severe > 0 {
		head = fmt.Sprintf("🚨 %d new findings (%d HIGH or CRITICAL) arrived faster than Slack lets sccbot post cards; each card follows in this channel", len(js), severe)
	}
	m := bot.Message{Text: head, Key: "burst/" + js[0].msg.Key, Priority: bot.PrioritySevere}
	m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.B(head))})
	// Pack the briefs into sections by their rendered size, so that one
	// burst names as many findings as the message's blocks hold.
	var cur bot.Rich
	size := 0
	for _, j := range js {
		n := utf8.RuneCountInString(renderRich(j.msg.Brief, true)) + 1
		if len(cur) > 0 && size+n > maxSectionText {
			m.Blocks = append(m.Blocks, bot.Section{Text: cur})
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			cur = append(cur, bot.T("\n"))
		}
		cur, size = append(cur, j.msg.Brief...), size+n
	}
	m.Blocks = append(m.Blocks, bot.Section{Text: cur})
	return m
}
