package slackfake

import (
	"fmt"
	"slices"
	"strings"
)

// User is a workspace member known to users.info and users.lookupByEmail.
type User struct {
	ID       string
	TeamID   string // default TeamID
	Name     string
	RealName string
	Email    string
	TZ       string
	IsBot    bool
	IsAdmin  bool
	// IsRestricted and IsUltraRestricted are Slack's guest accounts.
	IsRestricted      bool
	IsUltraRestricted bool
	Deleted           bool
}

// directory holds the workspace: channels, users and user groups.
type directory struct {
	restricted bool
	exists     map[string]bool   // channel IDs that exist when restricted
	names      map[string]string // channel name (no #) -> ID
	idNames    map[string]string // channel ID -> name
	notIn      map[string]bool   // channels the bot is not a member of
	archived   map[string]bool   // channels archived (SetArchived)
	dmUsers    map[string]string // DM channel ID -> user ID
	users      map[string]User
	groups     map[string][]string
}

func newDirectory(cfg config) directory {
	d := directory{
		restricted: cfg.restrict,
		exists:     map[string]bool{},
		names:      map[string]string{},
		idNames:    map[string]string{},
		notIn:      map[string]bool{},
		archived:   map[string]bool{},
		dmUsers:    map[string]string{},
		users:      map[string]User{},
		groups:     map[string][]string{},
	}
	for _, id := range cfg.channels {
		d.exists[id] = true
	}
	d.users[BotUserID] = User{ID: BotUserID, TeamID: TeamID, Name: BotName, RealName: BotName, IsBot: true}
	return d
}

// isChannelID reports whether ref looks like a conversation ID (C, G or D
// followed by upper-case letters and digits), as opposed to a name.
func isChannelID(ref string) bool {
	if len(ref) < 2 || !strings.ContainsRune("CDG", rune(ref[0])) {
		return false
	}
	return isUpperAlnum(ref[1:])
}

func isUserID(ref string) bool {
	return len(ref) >= 2 && (ref[0] == 'U' || ref[0] == 'W') && isUpperAlnum(ref[1:])
}

func isUpperAlnum(s string) bool {
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// lookup turns "#name", "name" or an ID into the ID the fake stores
// messages under, without creating anything. Unknown names come back
// unchanged.
func (d *directory) lookup(ref string) string {
	if isChannelID(ref) {
		return ref
	}
	if isUserID(ref) {
		return dmID(ref)
	}
	if id, ok := d.names[strings.TrimPrefix(ref, "#")]; ok {
		return id
	}
	return ref
}

func dmID(user string) string { return "D" + user[1:] }

// byID accepts only an existing conversation ID, as chat.update, chat.delete
// and conversations.history do in Slack.
func (d *directory) byID(ref string) (string, bool) {
	if !isChannelID(ref) {
		return "", false
	}
	return ref, !d.restricted || d.exists[ref] || d.dmUsers[ref] != ""
}

// resolve accepts what chat.postMessage accepts: an ID, a "#name" or a
// user ID (which posts to the DM with that user). When channels are not
// restricted, an unknown name gets a fresh ID. The caller holds mu.
func (s *Server) resolveChannel(ref string) (string, bool) {
	d := &s.dir
	switch {
	case ref == "":
		return "", false
	case isUserID(ref):
		return d.openDM(ref), true
	case isChannelID(ref):
		return d.byID(ref)
	}
	name := strings.TrimPrefix(ref, "#")
	if id, ok := d.names[name]; ok {
		return id, true
	}
	if d.restricted || name == "" {
		return "", false
	}
	id := s.nextID("C")
	d.names[name], d.idNames[id] = id, name
	return id, true
}

func (d *directory) openDM(user string) string {
	id := dmID(user)
	d.dmUsers[id] = user
	return id
}

// channelLabel is "#name (ID)", "@user (ID)" or the ID, for transcripts.
func (d *directory) channelLabel(id string) string {
	if name, ok := d.idNames[id]; ok {
		return fmt.Sprintf("#%s (%s)", name, id)
	}
	if user, ok := d.dmUsers[id]; ok {
		return fmt.Sprintf("@%s (%s)", user, id)
	}
	return id
}

// AddChannel registers a channel with its name, so that "#name" resolves to
// id. With WithChannels it also makes the channel exist.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.TrimPrefix(name, "#")
	s.dir.exists[id] = true
	if name != "" {
		s.dir.names[name], s.dir.idNames[id] = id, name
	}
	s.bump()
}

// ChannelID resolves "#name" or an ID as the fake would, without creating
// a channel; unknown names come back unchanged.
func (s *Server) ChannelID(ref string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir.lookup(ref)
}

// SetNotInChannel makes posting to the channel fail with not_in_channel, as
// when the bot was never invited.
func (s *Server) SetNotInChannel(id string) { s.setMember(id, false) }

// JoinChannel undoes SetNotInChannel, as when the bot is invited.
func (s *Server) JoinChannel(id string) { s.setMember(id, true) }

func (s *Server) setMember(id string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id = s.dir.lookup(id)
	if member {
		delete(s.dir.notIn, id)
	} else {
		s.dir.notIn[id] = true
	}
	s.bump()
}

// AddUser registers a user for users.info and users.lookupByEmail.
func (s *Server) AddUser(id, email, name string) {
	s.PutUser(User{ID: id, Email: email, Name: name, RealName: name})
}

// PutUser registers or replaces a user with every attribute.
func (s *Server) PutUser(u User) {
	if u.TeamID == "" {
		u.TeamID = TeamID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.users[u.ID] = u
	s.bump()
}

// SetUserGroup sets the members of a user group (usergroups.users.list).
// A group set with no users exists and is empty.
func (s *Server) SetUserGroup(id string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.groups[id] = append([]string{}, users...)
	s.bump()
}

// RemoveUserGroup makes the group unknown again (no_such_subteam).
func (s *Server) RemoveUserGroup(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.dir.groups, id)
	s.bump()
}

func (d *directory) groupMembers(id string) ([]string, bool) {
	users, ok := d.groups[id]
	return slices.Clone(users), ok
}
