package slackfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"
)

// Response is one accepted post to a response_url.
type Response struct {
	ID string
	// ResponseType is "ephemeral" (Slack's default when empty) or
	// "in_channel".
	ResponseType    string
	ReplaceOriginal bool
	DeleteOriginal  bool
	Text            string
	Blocks          json.RawMessage
	ThreadTS        string
	At              time.Time
}

// respTarget is where a response_url made by a payload builder points:
// the message (if any) whose button was clicked, its channel and the user.
type respTarget struct {
	channel, ts, user string
}

type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	req := &apiRequest{method: "response_url", form: url.Values{"id": {id}}}
	if err == nil && json.Valid(raw) {
		req.raw = raw
	}
	s.delay(req.method)
	s.mu.Lock()
	res := s.answerResponseURL(id, req)
	s.recordCall(req, res)
	s.mu.Unlock()
	writeResult(w, res)
}

// answerResponseURL validates and applies a response_url post. The caller
// holds mu.
func (s *Server) answerResponseURL(id string, req *apiRequest) apiResult {
	if res, hit := s.faults.beforeMethod(req.method); hit {
		return res
	}
	var body responseBody
	if req.raw == nil || json.Unmarshal(req.raw, &body) != nil {
		return failResult("invalid_payload")
	}
	if limit := s.cfg.responseURLLimit; limit > 0 && s.store.respUses[id] >= limit {
		return failResult("used_url")
	}
	c, bad := responseContent(body)
	if bad != nil {
		return *bad
	}
	s.store.respUses[id]++
	s.store.responses[id] = append(s.store.responses[id], Response{
		ID: id, ResponseType: body.ResponseType, ReplaceOriginal: body.ReplaceOriginal,
		DeleteOriginal: body.DeleteOriginal, Text: body.Text, Blocks: c.blocks,
		ThreadTS: body.ThreadTS, At: s.now(),
	})
	s.applyResponse(id, body, c)
	s.bump()
	res := okResult(nil)
	if after, hit := s.faults.afterMethod(req.method, res); hit {
		return after
	}
	return res
}

// responseContent checks a response_url body like a chat.* call; slack-go
// sends "blocks":null when there are none.
func responseContent(body responseBody) (content, *apiResult) {
	c := content{text: body.Text, hasText: true, hasBlocks: true}
	if utf8.RuneCountInString(c.text) > maxTextRunes {
		res := failResult("msg_too_long")
		return c, &res
	}
	if len(body.Blocks) > 0 && !bytes.Equal(body.Blocks, []byte("null")) {
		blocks, bad := checkBlocks(body.Blocks, surfaceMessage)
		if bad != nil {
			return c, bad
		}
		c.blocks = blocks
	}
	if c.text == "" && c.blocks == nil && !body.DeleteOriginal {
		res := failResult("no_text")
		return c, &res
	}
	return c, nil
}

// applyResponse does what Slack does with a response_url post whose
// origin the fake knows (see the payload builders): replace or delete the
// clicked message, post in the channel, or show an ephemeral message to the
// user. The caller holds mu.
func (s *Server) applyResponse(id string, body responseBody, c content) {
	t, ok := s.store.respTargets[id]
	if !ok {
		return
	}
	original := s.store.find(t.channel, t.ts)
	switch {
	case body.DeleteOriginal && original != nil:
		original.deleted = true
	case body.ReplaceOriginal && original != nil:
		s.editMessage(original, c)
	case body.ResponseType == "in_channel" && t.channel != "":
		s.postMessage(t.channel, body.ThreadTS, c)
	case t.channel != "" && t.user != "":
		s.addEphemeral(t.channel, t.user, body.ThreadTS, c, nil)
	}
}

// Responses returns the accepted posts to the response_url with this id.
func (s *Server) Responses(id string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSlice(s.store.responses[id], func(r Response) Response {
		r.Blocks = cloneRaw(r.Blocks)
		return r
	})
}
