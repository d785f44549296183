package handlers

import (
	"context"
	"log/slog"
)

// Mux routes requests to handlers by action id, command or modal callback
// id. Unknown requests are logged and ignored: link buttons, for example,
// send actions the bot has nothing to do for.
type Mux struct {
	actions   map[string]Handler
	commands  map[string]Handler
	callbacks map[string]Handler
	log       *slog.Logger
}

// NewMux returns an empty Mux.
func NewMux(log *slog.Logger) *Mux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mux{actions: map[string]Handler{}, commands: map[string]Handler{}, callbacks: map[string]Handler{}, log: log}
}

// HandleAction registers h for a button's action id.
func (m *Mux) HandleAction(actionID string, h Handler) { m.actions[actionID] = h }

// HandleCommand registers h for a slash command such as "/finding".
func (m *Mux) HandleCommand(command string, h Handler) { m.commands[command] = h }

// HandleSubmit registers h for a modal's callback id.
func (m *Mux) HandleSubmit(callbackID string, h Handler) { m.callbacks[callbackID] = h }

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
