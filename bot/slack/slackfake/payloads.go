package slackfake

import (
	"encoding/json"
	"strings"
)

// verificationToken fills the deprecated "token" field of payloads; bots
// must not rely on it.
const verificationToken = "fake-verification-token"

// BlockAction describes a button click for BlockActionPayload. Only
// ActionID is required; empty fields get realistic defaults.
type BlockAction struct {
	UserID   string // default "U0USER"
	UserName string // default: the registered user's name, else "user"
	TeamID   string // default TeamID
	// Channel (ID or "#name") and MessageTS name the message whose button
	// was clicked. When the fake has that message, the payload carries it
	// (blocks included, as Slack sends it) and BlockID and Value default to
	// the clicked button's.
	Channel   string
	MessageTS string
	ActionID  string
	Value     string
	BlockID   string
	// TriggerID defaults to a fresh trigger that views.open accepts once
	// within the trigger TTL.
	TriggerID string
	// ResponseURL defaults to a fresh response_url of this server bound to
	// the message: replace_original and delete_original act on it, an
	// in_channel response posts to its channel and an ephemeral one is
	// shown to the user.
	ResponseURL string
}

// BlockActionPayload builds the payload of an "interactive" envelope of
// type block_actions, shaped as Slack sends it and as slack-go decodes it
// into slack.InteractionCallback.
func (s *Server) BlockActionPayload(a BlockAction) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.UserID, a.TeamID = or(a.UserID, "U0USER"), or(a.TeamID, TeamID)
	a.UserName = or(a.UserName, s.userName(a.UserID))
	channel := s.dir.lookup(a.Channel)
	message := map[string]any{"type": "message", "ts": a.MessageTS}
	action := map[string]any{"type": "button", "text": plainText("Button")}
	if m := s.store.find(channel, a.MessageTS); m != nil {
		message = s.messageJSON(m, false)
		if el, blockID := findElement(m.Blocks, a.ActionID); el != nil {
			action = el
			a.BlockID = or(a.BlockID, blockID)
			a.Value = or(a.Value, str(el["value"]))
		}
	}
	action["action_id"], action["block_id"], action["value"] = a.ActionID, a.BlockID, a.Value
	action["action_ts"] = formatTS(s.now().UnixMicro())
	a.TriggerID = or(a.TriggerID, s.issueTrigger())
	a.ResponseURL = s.responseURLFor(a.ResponseURL, respTarget{channel: channel, ts: a.MessageTS, user: a.UserID})
	return map[string]any{
		"type": "block_actions", "token": verificationToken, "api_app_id": AppID,
		"team": map[string]any{"id": a.TeamID, "domain": TeamDomain},
		"user": map[string]any{"id": a.UserID, "username": a.UserName, "name": a.UserName, "team_id": a.TeamID},
		"container": map[string]any{
			"type": "message", "message_ts": a.MessageTS, "channel_id": channel, "is_ephemeral": false,
		},
		"channel":    map[string]any{"id": channel, "name": s.dir.idNames[channel]},
		"trigger_id": a.TriggerID, "response_url": a.ResponseURL,
		"message": message, "state": map[string]any{"values": map[string]any{}},
		"actions":               []any{action},
		"is_enterprise_install": false, "enterprise": nil,
	}
}

// SlashCommand describes a slash command for SlashCommandPayload. Empty
// fields get defaults.
type SlashCommand struct {
	Command     string // default "/finding"
	Text        string
	UserID      string // default "U0USER"
	UserName    string
	Channel     string // ID or "#name"
	TeamID      string // default TeamID
	ResponseURL string // default: a fresh response_url bound to Channel and UserID
	TriggerID   string // default: a fresh trigger
}

// SlashCommandPayload builds the payload of a "slash_commands" envelope as
// Slack sends it (is_enterprise_install is a string there).
func (s *Server) SlashCommandPayload(c SlashCommand) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Command, c.UserID, c.TeamID = or(c.Command, "/finding"), or(c.UserID, "U0USER"), or(c.TeamID, TeamID)
	c.UserName = or(c.UserName, s.userName(c.UserID))
	channel, ok := s.resolveChannel(c.Channel)
	if !ok {
		channel = c.Channel
	}
	c.TriggerID = or(c.TriggerID, s.issueTrigger())
	c.ResponseURL = s.responseURLFor(c.ResponseURL, respTarget{channel: channel, user: c.UserID})
	return map[string]any{
		"token": verificationToken, "team_id": c.TeamID, "team_domain": TeamDomain,
		"channel_id": channel, "channel_name": s.dir.idNames[channel],
		"user_id": c.UserID, "user_name": c.UserName, "command": c.Command, "text": c.Text,
		"api_app_id": AppID, "is_enterprise_install": "false",
		"response_url": c.ResponseURL, "trigger_id": c.TriggerID,
	}
}

// ViewSubmission describes a modal submission for ViewSubmissionPayload.
type ViewSubmission struct {
	UserID   string // default "U0USER"
	UserName string
	TeamID   string // default TeamID
	// ViewID names a view opened with views.open or views.push; its
	// callback_id, private_metadata, hash and blocks fill the payload, and
	// the type of each input element shapes its value.
	ViewID          string
	CallbackID      string // overrides the view's
	PrivateMetadata string // overrides the view's
	// Values are the submitted values: block_id -> action_id -> value.
	// Multi-selects and checkboxes take comma-separated values.
	Values    map[string]map[string]string
	TriggerID string // default: a fresh trigger
}

// ViewSubmissionPayload builds the payload of an "interactive" envelope of
// type view_submission.
func (s *Server) ViewSubmissionPayload(v ViewSubmission) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	v.UserID, v.TeamID = or(v.UserID, "U0USER"), or(v.TeamID, TeamID)
	v.UserName = or(v.UserName, s.userName(v.UserID))
	view := map[string]any{"id": or(v.ViewID, "V0SUBMIT"), "type": "modal", "team_id": TeamID, "app_id": AppID}
	if st := s.store.viewsByID[v.ViewID]; st != nil {
		view = s.viewJSON(st)
	}
	if v.CallbackID != "" {
		view["callback_id"] = v.CallbackID
	}
	if v.PrivateMetadata != "" {
		view["private_metadata"] = v.PrivateMetadata
	}
	view["state"] = map[string]any{"values": stateValues(v.Values, inputTypes(view))}
	return map[string]any{
		"type": "view_submission", "token": verificationToken, "api_app_id": AppID,
		"team":       map[string]any{"id": v.TeamID, "domain": TeamDomain},
		"user":       map[string]any{"id": v.UserID, "username": v.UserName, "name": v.UserName, "team_id": v.TeamID},
		"trigger_id": or(v.TriggerID, s.issueTrigger()),
		"view":       view, "response_urls": []any{},
		"is_enterprise_install": false, "enterprise": nil,
	}
}

// EventPayload wraps an Events API event (for example
// {"type":"subteam_members_changed",...}) as the payload of an
// "events_api" envelope.
func (s *Server) EventPayload(event map[string]any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return map[string]any{
		"token": verificationToken, "team_id": TeamID, "api_app_id": AppID,
		"event": event, "type": "event_callback", "event_id": s.nextID("Ev0FAKE"),
		"event_time": now.Unix(), "authorizations": []any{map[string]any{
			"team_id": TeamID, "user_id": BotUserID, "is_bot": true, "is_enterprise_install": false,
		}},
	}
}

// responseURLFor returns url, or a fresh response_url when it is empty, and
// binds this server's response URLs to their origin. The caller holds mu.
func (s *Server) responseURLFor(url string, t respTarget) string {
	if url == "" {
		url = s.ResponseURL(s.nextID("r"))
	}
	if id, ok := strings.CutPrefix(url, s.ResponseURL("")); ok {
		s.store.respTargets[id] = t
	}
	return url
}

func (s *Server) userName(id string) string {
	if u, ok := s.dir.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return "user"
}

// findElement finds the interactive element with actionID in a message's
// blocks (actions elements and section accessories).
func findElement(blocks json.RawMessage, actionID string) (map[string]any, string) {
	var list []map[string]any
	_ = json.Unmarshal(blocks, &list)
	for _, b := range list {
		candidates, _ := b["elements"].([]any)
		candidates = append(candidates, b["accessory"])
		for _, c := range candidates {
			if el, ok := c.(map[string]any); ok && el["action_id"] == actionID {
				return el, str(b["block_id"])
			}
		}
	}
	return nil, ""
}

func plainText(s string) map[string]any {
	return map[string]any{"type": "plain_text", "text": s, "emoji": true}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
