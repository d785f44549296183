package slackfake

// conversationsInfo answers conversations.info like Slack: it takes a
// conversation ID only (a "#name" is channel_not_found), and says whether
// the channel is archived and whether the bot is a member.
func (s *Server) conversationsInfo(req *apiRequest) apiResult {
	id, ok := s.dir.byID(req.get("channel"))
	if !ok {
		return failResult("channel_not_found")
	}
	if user, dm := s.dir.dmUsers[id]; dm {
		return okResult(map[string]any{"channel": map[string]any{"id": id, "is_im": true, "user": user, "is_open": true}})
	}
	name := s.dir.idNames[id]
	if name == "" {
		name = id
	}
	return okResult(map[string]any{"channel": map[string]any{
		"id": id, "name": name, "is_channel": true, "is_private": false,
		"is_archived": s.dir.archived[id], "is_member": !s.dir.notIn[id], "is_general": false,
	}})
}

// SetArchived archives a channel: conversations.info says so and posting
// there fails with is_archived, as in Slack.
func (s *Server) SetArchived(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir.archived[s.dir.lookup(id)] = true
	s.bump()
}
