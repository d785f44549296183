package slackfake

import (
	"encoding/json"
	"net/url"
	"time"
)

// Message is a message as the channel currently shows it.
type Message struct {
	Channel  string // channel ID, also when it was posted to "#name"
	TS       string
	ThreadTS string // parent's ts for a thread reply, else ""
	Text     string
	// Blocks and Metadata are the JSON as last received; Metadata is the
	// {"event_type":..., "event_payload":...} object.
	Blocks    json.RawMessage
	Metadata  json.RawMessage
	Username  string
	IconEmoji string
	IconURL   string
	// Edits counts chat.update and replace_original calls; History holds
	// the versions they replaced, oldest first.
	Edits     int
	History   []Revision
	Reactions []string
	// Files are the ids of the files the message shares
	// (files.completeUploadExternal).
	Files []string
	// Params are the parameters of the call that created the message, token
	// removed.
	Params   url.Values
	PostedAt time.Time
	EditedAt time.Time
}

// IsReply reports whether the message is a thread reply.
func (m Message) IsReply() bool { return m.ThreadTS != "" && m.ThreadTS != m.TS }

// Revision is a replaced version of a message.
type Revision struct {
	Text     string
	Blocks   json.RawMessage
	Metadata json.RawMessage
	At       time.Time
}

// Ephemeral is a message only one user saw (chat.postEphemeral or an
// ephemeral response_url post).
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Params   url.Values
	At       time.Time
}

type msgKey struct{ channel, ts string }

type message struct {
	Message
	deleted  bool
	editedTS string
}

// store holds what channels show. Messages are kept in post order, deleted
// ones included, so that order never depends on map iteration.
type store struct {
	msgs        []*message
	byKey       map[msgKey]*message
	ephemerals  []Ephemeral
	responses   map[string][]Response
	respUses    map[string]int
	respTargets map[string]respTarget
	views       []View
	viewsByID   map[string]*viewState
	triggers    map[string]trigger
}

func newStore() store {
	return store{
		byKey:       map[msgKey]*message{},
		responses:   map[string][]Response{},
		respUses:    map[string]int{},
		respTargets: map[string]respTarget{},
		viewsByID:   map[string]*viewState{},
		triggers:    map[string]trigger{},
	}
}

func (st *store) add(m *message) {
	st.msgs = append(st.msgs, m)
	st.byKey[msgKey{m.Channel, m.TS}] = m
}

// find returns a live message by channel and ts.
func (st *store) find(channel, ts string) *message {
	m := st.byKey[msgKey{channel, ts}]
	if m == nil || m.deleted {
		return nil
	}
	return m
}

func (st *store) replies(channel, ts string) []*message {
	var out []*message
	for _, m := range st.msgs {
		if !m.deleted && m.Channel == channel && m.ThreadTS == ts && m.TS != ts {
			out = append(out, m)
		}
	}
	return out
}

func (st *store) topLevel(channel string) []*message {
	var out []*message
	for _, m := range st.msgs {
		if !m.deleted && m.Channel == channel && !m.IsReply() {
			out = append(out, m)
		}
	}
	return out
}

func (m Message) clone() Message {
	m.Blocks = cloneRaw(m.Blocks)
	m.Metadata = cloneRaw(m.Metadata)
	m.Params = cloneValues(m.Params)
	m.Reactions = cloneSlice(m.Reactions, func(s string) string { return s })
	m.Files = cloneSlice(m.Files, func(s string) string { return s })
	m.History = cloneSlice(m.History, func(r Revision) Revision {
		r.Blocks, r.Metadata = cloneRaw(r.Blocks), cloneRaw(r.Metadata)
		return r
	})
	return m
}

func (e Ephemeral) clone() Ephemeral {
	e.Blocks = cloneRaw(e.Blocks)
	e.Params = cloneValues(e.Params)
	return e
}

func exportMessages(ms []*message) []Message {
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.clone())
	}
	return out
}

// Messages returns the channel's top-level messages in post order. channel
// is an ID or a "#name".
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return exportMessages(s.store.topLevel(s.dir.lookup(channel)))
}

// Thread returns the replies to the message ts, in post order.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return exportMessages(s.store.replies(s.dir.lookup(channel), ts))
}

// MessageAt returns one live message (top-level or reply).
func (s *Server) MessageAt(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.store.find(s.dir.lookup(channel), ts)
	if m == nil {
		return Message{}, false
	}
	return m.clone(), true
}

// AllMessages returns every live message of every channel, replies
// included, in post order.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var live []*message
	for _, m := range s.store.msgs {
		if !m.deleted {
			live = append(live, m)
		}
	}
	return exportMessages(live)
}

// Ephemerals returns the ephemeral messages of a channel ("" for all
// channels) shown to user ("" for all users), in order.
func (s *Server) Ephemerals(channel, user string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.dir.lookup(channel)
	var out []Ephemeral
	for _, e := range s.store.ephemerals {
		if (channel == "" || e.Channel == id) && (user == "" || e.User == user) {
			out = append(out, e.clone())
		}
	}
	return out
}

// Channels returns the IDs of the channels that have received messages, in
// the order of their first message.
func (s *Server) Channels() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, m := range s.store.msgs {
		if !seen[m.Channel] {
			seen[m.Channel] = true
			out = append(out, m.Channel)
		}
	}
	return out
}
