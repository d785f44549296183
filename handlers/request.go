package handlers

import (
	"context"
	"log/slog"
	"time"
)

// RequestKind says what a person did in chat.
type RequestKind int

// Request kinds.
const (
	RequestAction  RequestKind = iota + 1 // a button click
	RequestCommand                        // a slash command
	RequestSubmit                         // a modal submission
)

// Request is one interaction from chat, decoded from the platform's payload.
// Identity fields come from the platform and are what authorisation uses;
// everything else is input to be validated.
type Request struct {
	Kind       RequestKind
	EnvelopeID string
	ReceivedAt time.Time

	UserID       string
	UserName     string
	TeamID       string
	AppID        string
	EnterpriseID string

	// Button clicks.
	ActionID  string
	Value     string
	Channel   string
	MessageTS string
	ThreadTS  string

	// Slash commands.
	Command string
	Text    string

	// Modal submissions.
	CallbackID      string
	ViewID          string
	PrivateMetadata string
	Values          map[string]string

	// ResponseURL lets the handler answer the person; it is a bearer
	// credential and must never be logged. TriggerID opens a modal for
	// three seconds.
	ResponseURL string
	TriggerID   string
}

// LogValue keeps secrets (the response URL) and free text out of logs.
func (r Request) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("kind", int(r.Kind)),
		slog.String("envelope", r.EnvelopeID),
		slog.String("user", r.UserID),
		slog.String("team", r.TeamID),
		slog.String("action_id", r.ActionID),
		slog.String("command", r.Command),
		slog.String("callback_id", r.CallbackID),
		slog.String("channel", r.Channel),
	)
}

// Handler serves requests of one kind of interaction.
type Handler interface {
	Serve(ctx context.Context, r Request) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, r Request) error

// Serve calls f.
func (f HandlerFunc) Serve(ctx context.Context, r Request) error { return f(ctx, r) }
