package slackfake

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
)

// historyQuery is the window and page of conversations.history and
// conversations.replies.
type historyQuery struct {
	oldest, latest int64 // microseconds
	inclusive      bool
	limit          int
	metadata       bool
	before         int64 // from the cursor: only messages older than this
}

func readHistoryQuery(req *apiRequest) (historyQuery, bool) {
	q := historyQuery{latest: math.MaxInt64, before: math.MaxInt64, limit: 100}
	q.inclusive = truthy(req.get("inclusive"))
	q.metadata = truthy(req.get("include_all_metadata"))
	ok := true
	if v := req.get("oldest"); v != "" {
		q.oldest, ok = parseTS(v)
	}
	if v := req.get("latest"); v != "" && ok {
		q.latest, ok = parseTS(v)
	}
	if c := req.get("cursor"); c != "" && ok {
		q.before, ok = parseCursor(c)
	}
	if n, err := strconv.Atoi(req.get("limit")); err == nil && n > 0 {
		q.limit = min(n, 999)
	}
	return q, ok
}

// A cursor is opaque to clients; the fake's says where the page ended.
func makeCursor(ts string) string {
	return base64.StdEncoding.EncodeToString([]byte("before:" + ts))
}

func parseCursor(c string) (int64, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	ts, found := strings.CutPrefix(string(b), "before:")
	if err != nil || !found {
		return 0, false
	}
	return parseTS(ts)
}

func truthy(v string) bool { return v == "1" || v == "true" }

func (q historyQuery) match(ts string) bool {
	t, _ := parseTS(ts)
	if q.inclusive {
		return t >= q.oldest && t <= q.latest && t < q.before
	}
	return t > q.oldest && t < q.latest && t < q.before
}

// page cuts ms (already in answer order) to the limit and returns the cursor
// for the next page.
func (q historyQuery) page(ms []*message) ([]*message, string) {
	var out []*message
	for _, m := range ms {
		if q.match(m.TS) {
			out = append(out, m)
		}
	}
	if len(out) <= q.limit {
		return out, ""
	}
	out = out[:q.limit]
	return out, makeCursor(out[len(out)-1].TS)
}

// conversationsHistory answers with the channel's top-level messages, newest
// first. Thread replies are not part of history, as in Slack.
func (s *Server) conversationsHistory(req *apiRequest) apiResult {
	id, ok := s.dir.byID(req.get("channel"))
	if !ok {
		return failResult("channel_not_found")
	}
	if s.dir.notIn[id] {
		return failResult("not_in_channel")
	}
	q, ok := readHistoryQuery(req)
	if !ok {
		return failResult("invalid_arguments")
	}
	msgs := s.store.topLevel(id)
	slices.Reverse(msgs)
	page, cursor := q.page(msgs)
	return s.historyResult(page, cursor, q.metadata)
}

// conversationsReplies answers with the parent followed by its replies,
// oldest first.
func (s *Server) conversationsReplies(req *apiRequest) apiResult {
	parent, bad := s.targetMessage(req.get("channel"), req.get("ts"))
	if bad != nil {
		if bad.errCode() == "message_not_found" {
			return failResult("thread_not_found")
		}
		return *bad
	}
	q, ok := readHistoryQuery(req)
	if !ok {
		return failResult("invalid_arguments")
	}
	q.inclusive = true
	// Replies are paged oldest first, so the cursor logic of history (which
	// pages backwards) does not apply; the whole thread fits one page.
	q.limit = math.MaxInt
	msgs := append([]*message{parent}, s.store.replies(parent.Channel, parent.TS)...)
	page, _ := q.page(msgs)
	return s.historyResult(page, "", q.metadata)
}

func (s *Server) historyResult(page []*message, cursor string, metadata bool) apiResult {
	out := make([]map[string]any, 0, len(page))
	for _, m := range page {
		out = append(out, s.messageJSON(m, metadata))
	}
	return okResult(map[string]any{
		"messages":          out,
		"has_more":          cursor != "",
		"pin_count":         0,
		"response_metadata": map[string]any{"next_cursor": cursor},
	})
}
