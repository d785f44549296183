package handlers

import (
	"context"
	"log/slog"
)

// Mux routes requests to handlers by action id, command or modal callback
// id. Unknown requests are logged and ignored: link buttons, for example,
// send actions the bot has nothing to do for.
type Mux struct {
	actions    map[string]Handler
	commands   map[string]Handler
	callbacks  map[string]Handler
	validators map[string]Validator
	dialogs    map[string]bool
	log        *slog.Logger
}

// Validator checks a modal submission before it is accepted: it returns
// the problems by input id, or nothing. It runs while Slack waits for the
// ack, so it must be quick and must not call anything.
type Validator func(r Request) map[string]string

// NewMux returns an empty Mux.
func NewMux(log *slog.Logger) *Mux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mux{actions: map[string]Handler{}, commands: map[string]Handler{}, callbacks: map[string]Handler{},
		validators: map[string]Validator{}, dialogs: map[string]bool{}, log: log}
}

// HandleAction registers h for a button's action id.
func (m *Mux) HandleAction(actionID string, h Handler) { m.actions[actionID] = h }

// HandleCommand registers h for a slash command such as "/finding".
func (m *Mux) HandleCommand(command string, h Handler) { m.commands[command] = h }

// HandleSubmit registers h for a modal's callback id.
func (m *Mux) HandleSubmit(callbackID string, h Handler) { m.callbacks[callbackID] = h }

// ValidateSubmit registers v for a modal's callback id.
func (m *Mux) ValidateSubmit(callbackID string, v Validator) { m.validators[callbackID] = v }

// MarkDialogs records that the buttons with these action ids open a
// dialog, which must happen within the three seconds Slack's trigger
// lives: the socket serves them ahead of other work.
func (m *Mux) MarkDialogs(actionIDs ...string) {
	for _, id := range actionIDs {
		m.dialogs[id] = true
	}
}

// OpensDialog says whether r is a click on a button marked as opening a
// dialog. It is a map lookup, cheap enough for the socket's event loop.
func (m *Mux) OpensDialog(r Request) bool {
	return r.Kind == RequestAction && m.dialogs[r.ActionID]
}

// Validate checks a modal submission with its callback's validator.
func (m *Mux) Validate(r Request) map[string]string {
	if r.Kind != RequestSubmit {
		return nil
	}
	if v := m.validators[r.CallbackID]; v != nil {
		return v(r)
	}
	return nil
}

// Serve dispatches r.
func (m *Mux) Serve(ctx context.Context, r Request) error {
	var h Handler
	switch r.Kind {
	case RequestAction:
		h = m.actions[r.ActionID]
	case RequestCommand:
		h = m.commands[r.Command]
	case RequestSubmit:
		h = m.callbacks[r.CallbackID]
	}
	if h == nil {
		m.log.Debug("no handler for request", "request", r)
		return nil
	}
	return h.Serve(ctx, r)
}
