package slackfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxTextRunes is Slack's hard limit on a message's top-level text.
const maxTextRunes = 40000

// content is the validated text, blocks and metadata of a chat.* call.
type content struct {
	text      string
	hasText   bool
	blocks    json.RawMessage // nil when sent as [] or not sent
	hasBlocks bool
	metadata  json.RawMessage
	hasMeta   bool
}

// readContent validates the message content of a chat.* call the way Slack
// does; a non-nil result is the error to answer.
func readContent(req *apiRequest) (content, *apiResult) {
	c := content{
		text:      req.get("text"),
		hasText:   req.has("text"),
		hasBlocks: req.get("blocks") != "",
		hasMeta:   req.get("metadata") != "",
	}
	if utf8.RuneCountInString(c.text) > maxTextRunes {
		res := failResult("msg_too_long")
		return c, &res
	}
	if c.hasBlocks {
		blocks, res := checkBlocks([]byte(req.get("blocks")), surfaceMessage)
		if res != nil {
			return c, res
		}
		c.blocks = blocks
	}
	if c.hasMeta {
		meta, res := checkMetadata(req.get("metadata"))
		if res != nil {
			return c, res
		}
		c.metadata = meta
	}
	if c.text == "" && len(c.blocks) == 0 && req.get("attachments") == "" {
		res := failResult("no_text")
		return c, &res
	}
	return c, nil
}

// checkMetadata accepts Slack's message metadata object.
func checkMetadata(raw string) (json.RawMessage, *apiResult) {
	var m struct {
		EventType    string `json:"event_type"`
		EventPayload any    `json:"event_payload"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		res := failResult("invalid_metadata_format")
		return nil, &res
	}
	if _, isObject := m.EventPayload.(map[string]any); m.EventType == "" || (m.EventPayload != nil && !isObject) {
		res := failResult("invalid_metadata_schema")
		return nil, &res
	}
	return json.RawMessage(raw), nil
}

// postTarget resolves the channel of chat.postMessage and
// chat.postEphemeral.
func (s *Server) postTarget(req *apiRequest) (string, *apiResult) {
	id, ok := s.resolveChannel(req.get("channel"))
	if !ok {
		res := failResult("channel_not_found")
		return "", &res
	}
	if s.dir.notIn[id] {
		res := failResult("not_in_channel")
		return "", &res
	}
	if s.dir.archived[id] {
		res := failResult("is_archived")
		return "", &res
	}
	return id, nil
}

func (s *Server) chatPostMessage(req *apiRequest) apiResult {
	id, bad := s.postTarget(req)
	if bad != nil {
		return *bad
	}
	c, bad := readContent(req)
	if bad != nil {
		return *bad
	}
	m := s.postMessage(id, req.get("thread_ts"), c)
	m.Username, m.IconEmoji, m.IconURL = req.get("username"), req.get("icon_emoji"), req.get("icon_url")
	m.Params = cloneValues(req.form)
	return okResult(map[string]any{"channel": id, "ts": m.TS, "message": s.messageJSON(m, true)})
}

// postMessage stores a new message. A reply to a reply joins the parent's
// thread, as in Slack. The caller holds mu.
func (s *Server) postMessage(channel, threadTS string, c content) *message {
	if parent := s.store.find(channel, threadTS); parent != nil && parent.IsReply() {
		threadTS = parent.ThreadTS
	}
	m := &message{Message: Message{
		Channel:  channel,
		TS:       s.nextTS(),
		ThreadTS: threadTS,
		Text:     c.text,
		Blocks:   c.blocks,
		Metadata: c.metadata,
		PostedAt: s.now(),
	}}
	s.store.add(m)
	s.bump()
	return m
}

// targetMessage finds the message a call refers to by channel ID and ts.
func (s *Server) targetMessage(channel, ts string) (*message, *apiResult) {
	id, ok := s.dir.byID(channel)
	if !ok {
		res := failResult("channel_not_found")
		return nil, &res
	}
	m := s.store.find(id, ts)
	if m == nil {
		res := failResult("message_not_found")
		return nil, &res
	}
	return m, nil
}

func (s *Server) chatUpdate(req *apiRequest) apiResult {
	m, bad := s.targetMessage(req.get("channel"), req.get("ts"))
	if bad != nil {
		return *bad
	}
	c, bad := readContent(req)
	if bad != nil {
		return *bad
	}
	s.editMessage(m, c)
	return okResult(map[string]any{
		"channel": m.Channel, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m, true),
	})
}

// editMessage replaces what the update sent and keeps the old version. As in
// Slack, blocks or metadata that the update omits are kept. The caller holds
// mu.
func (s *Server) editMessage(m *message, c content) {
	at := m.PostedAt
	if m.Edits > 0 {
		at = m.EditedAt
	}
	m.History = append(m.History, Revision{Text: m.Text, Blocks: m.Blocks, Metadata: m.Metadata, At: at})
	if c.hasText || c.hasBlocks {
		m.Text = c.text
	}
	if c.hasBlocks {
		m.Blocks = c.blocks
	}
	if c.hasMeta {
		m.Metadata = c.metadata
	}
	m.Edits++
	m.EditedAt = s.now()
	m.editedTS = s.nextTS()
	s.bump()
}

func (s *Server) chatPostEphemeral(req *apiRequest) apiResult {
	id, bad := s.postTarget(req)
	if bad != nil {
		return *bad
	}
	user := req.get("user")
	if !isUserID(user) {
		return failResult("user_not_found")
	}
	c, bad := readContent(req)
	if bad != nil {
		return *bad
	}
	e := s.addEphemeral(id, user, req.get("thread_ts"), c, cloneValues(req.form))
	return okResult(map[string]any{"message_ts": e.TS})
}

// addEphemeral stores an ephemeral message. The caller holds mu.
func (s *Server) addEphemeral(channel, user, threadTS string, c content, params url.Values) Ephemeral {
	e := Ephemeral{
		Channel: channel, User: user, TS: s.nextTS(), ThreadTS: threadTS,
		Text: c.text, Blocks: c.blocks, Params: params, At: s.now(),
	}
	s.store.ephemerals = append(s.store.ephemerals, e)
	s.bump()
	return e
}

func (s *Server) chatDelete(req *apiRequest) apiResult {
	m, bad := s.targetMessage(req.get("channel"), req.get("ts"))
	if bad != nil {
		return *bad
	}
	m.deleted = true
	s.bump()
	return okResult(map[string]any{"channel": m.Channel, "ts": m.TS})
}

func (s *Server) chatGetPermalink(req *apiRequest) apiResult {
	m, bad := s.targetMessage(req.get("channel"), req.get("message_ts"))
	if bad != nil {
		return *bad
	}
	link := fmt.Sprintf("https://%s.slack.com/archives/%s/p%s",
		TeamDomain, m.Channel, strings.Replace(m.TS, ".", "", 1))
	if m.IsReply() {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.ThreadTS, m.Channel)
	}
	return okResult(map[string]any{"channel": m.Channel, "permalink": link})
}

// messageJSON renders a message the way Slack's API returns it. The caller
// holds mu.
func (s *Server) messageJSON(m *message, withMetadata bool) map[string]any {
	out := map[string]any{
		"type": "message", "user": BotUserID, "bot_id": BotID, "app_id": AppID,
		"team": TeamID, "text": m.Text, "ts": m.TS,
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if withMetadata && len(m.Metadata) > 0 {
		out["metadata"] = m.Metadata
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Username != "" {
		out["username"] = m.Username
	}
	if m.Edits > 0 {
		out["edited"] = map[string]any{"user": BotUserID, "ts": m.editedTS}
	}
	if replies := s.store.replies(m.Channel, m.TS); len(replies) > 0 && !m.IsReply() {
		out["thread_ts"], out["reply_count"] = m.TS, len(replies)
		out["latest_reply"] = replies[len(replies)-1].TS
	}
	if len(m.Reactions) > 0 {
		out["reactions"] = reactionsJSON(m.Reactions)
	}
	if len(m.Files) > 0 {
		out["files"], out["upload"] = s.filesJSON(m.Files), true
	}
	return out
}

func reactionsJSON(names []string) []map[string]any {
	out := make([]map[string]any, 0, len(names))
	for _, n := range names {
		out = append(out, map[string]any{"name": n, "count": 1, "users": []string{BotUserID}})
	}
	return out
}
