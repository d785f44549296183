package slack

import (
	"encoding/json"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/handlers"
)

// decodeInteraction turns an interaction payload into requests: one per
// action of a block_actions payload, one for a view submission. Other
// interaction types yield none.
func decodeInteraction(envelope string, cb goslack.InteractionCallback, now time.Time) []handlers.Request {
	base := handlers.Request{
		EnvelopeID:   envelope,
		ReceivedAt:   now,
		UserID:       cb.User.ID,
		UserName:     cb.User.Name,
		TeamID:       firstNonEmpty(cb.Team.ID, cb.User.TeamID),
		AppID:        cb.APIAppID,
		EnterpriseID: cb.Enterprise.ID,
		ResponseURL:  cb.ResponseURL,
		TriggerID:    cb.TriggerID,
	}
	switch cb.Type {
	case goslack.InteractionTypeBlockActions:
		return decodeActions(base, cb)
	case goslack.InteractionTypeViewSubmission:
		r := base
		r.Kind = handlers.RequestSubmit
		r.CallbackID = cb.View.CallbackID
		r.ViewID = cb.View.ID
		r.PrivateMetadata = cb.View.PrivateMetadata
		r.Values = viewValues(cb.View.State)
		return []handlers.Request{r}
	}
	return nil
}

func decodeActions(base handlers.Request, cb goslack.InteractionCallback) []handlers.Request {
	base.Kind = handlers.RequestAction
	base.Channel = firstNonEmpty(cb.Container.ChannelID, cb.Channel.ID)
	base.MessageTS = firstNonEmpty(cb.Container.MessageTs, cb.Message.Timestamp)
	base.ThreadTS = cb.Message.ThreadTimestamp
	var out []handlers.Request
	for _, a := range cb.ActionCallback.BlockActions {
		r := base
		r.ActionID = a.ActionID
		r.Value = a.Value
		if a.SelectedOption.Value != "" {
			r.Value = a.SelectedOption.Value
		}
		out = append(out, r)
	}
	return out
}

// viewValues flattens a modal's state to action id → value.
func viewValues(state *goslack.ViewState) map[string]string {
	if state == nil {
		return nil
	}
	out := map[string]string{}
	for _, actions := range state.Values {
		for id, a := range actions {
			switch {
			case a.SelectedOption.Value != "":
				out[id] = a.SelectedOption.Value
			case a.SelectedDate != "":
				out[id] = a.SelectedDate
			case a.SelectedUser != "":
				out[id] = a.SelectedUser
			default:
				out[id] = a.Value
			}
		}
	}
	return out
}

func decodeCommand(envelope string, c goslack.SlashCommand, now time.Time) handlers.Request {
	return handlers.Request{
		Kind:         handlers.RequestCommand,
		EnvelopeID:   envelope,
		ReceivedAt:   now,
		UserID:       c.UserID,
		UserName:     c.UserName,
		TeamID:       c.TeamID,
		AppID:        c.APIAppID,
		EnterpriseID: c.EnterpriseID,
		Channel:      c.ChannelID,
		Command:      c.Command,
		Text:         c.Text,
		ResponseURL:  c.ResponseURL,
		TriggerID:    c.TriggerID,
	}
}

// envelopeID digs the envelope id out of a message slack-go could not
// parse, so that it can still be acknowledged.
func envelopeID(raw json.RawMessage) string {
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	if json.Unmarshal(raw, &env) != nil {
		return ""
	}
	return env.EnvelopeID
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
