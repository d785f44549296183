package slackfake

import (
	"slices"
	"strings"
)

func directoryHandlerFor(method string) handlerFunc {
	switch method {
	case "users.info":
		return (*Server).usersInfo
	case "users.lookupByEmail":
		return (*Server).usersLookupByEmail
	case "usergroups.users.list":
		return (*Server).usergroupsUsersList
	case "conversations.open":
		return (*Server).conversationsOpen
	case "conversations.history":
		return (*Server).conversationsHistory
	case "conversations.replies":
		return (*Server).conversationsReplies
	case "reactions.add":
		return (*Server).reactionsAdd
	case "conversations.info":
		return (*Server).conversationsInfo
	}
	return nil
}

func userJSON(u User) map[string]any {
	return map[string]any{
		"id":                  u.ID,
		"team_id":             u.TeamID,
		"name":                u.Name,
		"real_name":           u.RealName,
		"deleted":             u.Deleted,
		"tz":                  u.TZ,
		"is_bot":              u.IsBot,
		"is_admin":            u.IsAdmin,
		"is_restricted":       u.IsRestricted,
		"is_ultra_restricted": u.IsUltraRestricted,
		"profile": map[string]any{
			"email":        u.Email,
			"real_name":    u.RealName,
			"display_name": u.Name,
			"team":         u.TeamID,
		},
	}
}

func (s *Server) usersInfo(req *apiRequest) apiResult {
	u, ok := s.dir.users[req.get("user")]
	if !ok {
		return failResult("user_not_found")
	}
	return okResult(map[string]any{"user": userJSON(u)})
}

func (s *Server) usersLookupByEmail(req *apiRequest) apiResult {
	email := req.get("email")
	for _, id := range sortedKeys(s.dir.users) {
		if u := s.dir.users[id]; email != "" && strings.EqualFold(u.Email, email) {
			return okResult(map[string]any{"user": userJSON(u)})
		}
	}
	return failResult("users_not_found")
}

func (s *Server) usergroupsUsersList(req *apiRequest) apiResult {
	users, ok := s.dir.groupMembers(req.get("usergroup"))
	if !ok {
		return failResult("no_such_subteam")
	}
	return okResult(map[string]any{"users": users})
}

// conversationsOpen opens the DM with one user. Group DMs are not modelled.
func (s *Server) conversationsOpen(req *apiRequest) apiResult {
	if ch := req.get("channel"); ch != "" {
		id, ok := s.dir.byID(ch)
		if !ok {
			return failResult("channel_not_found")
		}
		return okResult(map[string]any{"channel": map[string]any{"id": id}, "already_open": true})
	}
	users := strings.Split(req.get("users"), ",")
	if len(users) != 1 || !isUserID(users[0]) {
		return failResult("user_not_found")
	}
	id := dmID(users[0])
	_, already := s.dir.dmUsers[id]
	s.dir.openDM(users[0])
	return okResult(map[string]any{
		"no_op":        already,
		"already_open": already,
		"channel":      map[string]any{"id": id, "is_im": true, "user": users[0]},
	})
}

func (s *Server) reactionsAdd(req *apiRequest) apiResult {
	id, ok := s.dir.byID(req.get("channel"))
	if !ok {
		return failResult("channel_not_found")
	}
	name := strings.Trim(req.get("name"), ":")
	if name == "" {
		return failResult("invalid_name")
	}
	m := s.store.find(id, req.get("timestamp"))
	if m == nil {
		return failResult("message_not_found")
	}
	if slices.Contains(m.Reactions, name) {
		return failResult("already_reacted")
	}
	m.Reactions = append(m.Reactions, name)
	s.bump()
	return okResult(nil)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
