package handlers

import (
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// DialogMetadata is what a dialog carries to its submission: the finding,
// and the channel and thread of the message whose button opened it. A
// submission has no message of its own, and the store may not have
// recorded a card posted a moment ago, so this is where answers go when
// the card is unknown. Only ids: Slack returns it as it was set.
func DialogMetadata(f bot.Finding, r Request) string {
	thread := r.ThreadTS
	if thread == "" {
		thread = r.MessageTS
	}
	if r.Channel == "" || thread == "" {
		return f.ShortID()
	}
	return f.ShortID() + " " + r.Channel + " " + thread
}

// FromDialog reads dialogMetadata back: the finding reference, and r with
// the opening message as its channel and message.
func FromDialog(r Request) (string, Request) {
	parts := strings.Fields(r.PrivateMetadata)
	if len(parts) == 0 {
		return "", r
	}
	if len(parts) == 3 {
		r.Channel, r.MessageTS = parts[1], parts[2]
	}
	return parts[0], r
}
