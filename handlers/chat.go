package handlers

import (
	"context"

	"github.com/sccbot/sccbot/bot"
)

// Poster puts messages in chat. Post and Reply block until the message is
// posted (the poster paces and retries as the platform requires) or ctx
// ends.
type Poster interface {
	Post(ctx context.Context, channel string, m bot.Message) (bot.MessageRef, error)
	Reply(ctx context.Context, parent bot.MessageRef, m bot.Message) (bot.MessageRef, error)
}

// Chat is what interaction handlers answer through.
type Chat interface {
	Poster
	Updater
	// Ephemeral shows a message to one person: through the interaction's
	// response URL when it has one, else in channel to user.
	Ephemeral(ctx context.Context, responseURL, channel, user string, m bot.Message) error
}

// FindingResolver finds the finding a button or command names.
type FindingResolver interface {
	ResolveFinding(ctx context.Context, ref string) (bot.Finding, error)
	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)
}

// PlainOf is the text of spans without formatting, for notifications.
func PlainOf(r bot.Rich) string {
	s := ""
	for _, sp := range r {
		if sp.User != "" {
			s += "@" + sp.User
		}
		s += sp.Text
	}
	return s
}

// Button is a card button backed by a task.
type Button struct {
	Action string
	Label  string
	Task   Task
}

// Task is the work behind a card button: it returns the thread reply.
type Task func(ctx context.Context, f bot.Finding) (bot.Message, error)
