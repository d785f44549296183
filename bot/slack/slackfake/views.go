package slackfake

import (
	"encoding/json"
	"fmt"
	"time"
)

// Modal limits (docs.slack.dev/reference/views/modal-views).
const (
	maxModalTitle       = 24
	maxPrivateMetadata  = 3000
	maxCallbackID       = 255
	maxExternalID       = 255
	triggerExpiredError = "expired_trigger_id"
)

// View is one successful views.open, views.push or views.update call.
type View struct {
	Method          string // "views.open", "views.push" or "views.update"
	ID              string // the view's ID (V...)
	TriggerID       string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Hash            string // the view's hash after the call
	View            json.RawMessage
	At              time.Time
}

type viewState struct {
	id, hash, externalID, rootID string
	view                         json.RawMessage
}

type trigger struct {
	issued time.Time
	used   bool
}

// issueTrigger makes a trigger id like Slack's that views.open accepts once
// within the trigger TTL. The caller holds mu.
func (s *Server) issueTrigger() string {
	s.seq++
	id := fmt.Sprintf("%d.%d.%016x", 1000000000+s.seq, s.now().Unix(), uint64(s.seq)*0x9e3779b97f4a7c15)
	s.store.triggers[id] = trigger{issued: s.now()}
	return id
}

// useTrigger spends a trigger. Triggers the fake did not issue (hand-made
// payloads) are accepted once and never expire.
func (s *Server) useTrigger(id string) *apiResult {
	t, known := s.store.triggers[id]
	code := ""
	switch {
	case id == "":
		code = "invalid_arguments"
	case t.used:
		code = "exchanged_trigger_id"
	case known && s.cfg.triggerTTL > 0 && s.now().Sub(t.issued) > s.cfg.triggerTTL:
		code = triggerExpiredError
	}
	if code != "" {
		res := failResult(code)
		return &res
	}
	s.store.triggers[id] = trigger{issued: t.issued, used: true}
	return nil
}

// ExpireTrigger makes a trigger id expired, to test expired_trigger_id
// without waiting three seconds.
func (s *Server) ExpireTrigger(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store.triggers[id] = trigger{issued: time.Time{}}
}

// viewsOpen serves views.open and views.push. Both need a fresh trigger.
func (s *Server) viewsOpen(req *apiRequest) apiResult {
	raw, view, bad := checkView(req)
	if bad != nil {
		return *bad
	}
	ext, _ := view["external_id"].(string)
	if ext != "" && s.viewByExternalID(ext) != nil {
		return failResult("duplicate_external_id")
	}
	if bad := s.useTrigger(req.get("trigger_id")); bad != nil {
		return *bad
	}
	st := &viewState{id: s.nextID("V"), externalID: ext, view: raw}
	st.rootID = st.id
	st.hash = s.newHash()
	s.store.viewsByID[st.id] = st
	s.logView(req, st, view)
	return okResult(map[string]any{"view": s.viewJSON(st)})
}

func (s *Server) viewsUpdate(req *apiRequest) apiResult {
	st := s.store.viewsByID[req.get("view_id")]
	if st == nil && req.get("view_id") == "" {
		st = s.viewByExternalID(req.get("external_id"))
	}
	if st == nil {
		return failResult("not_found")
	}
	if h := req.get("hash"); h != "" && h != st.hash {
		return failResult("hash_conflict")
	}
	raw, view, bad := checkView(req)
	if bad != nil {
		return *bad
	}
	st.view, st.hash = raw, s.newHash()
	s.logView(req, st, view)
	return okResult(map[string]any{"view": s.viewJSON(st)})
}

func (s *Server) viewByExternalID(ext string) *viewState {
	if ext == "" {
		return nil
	}
	for _, id := range sortedKeys(s.store.viewsByID) {
		if st := s.store.viewsByID[id]; st.externalID == ext {
			return st
		}
	}
	return nil
}

func (s *Server) newHash() string {
	return fmt.Sprintf("%d.%s", s.now().Unix(), s.nextID("h"))
}

func (s *Server) logView(req *apiRequest, st *viewState, view map[string]any) {
	str := func(k string) string { v, _ := view[k].(string); return v }
	s.store.views = append(s.store.views, View{
		Method: req.method, ID: st.id, TriggerID: req.get("trigger_id"),
		CallbackID: str("callback_id"), ExternalID: st.externalID,
		PrivateMetadata: str("private_metadata"), Hash: st.hash,
		View: cloneRaw(st.view), At: s.now(),
	})
	s.bump()
}

// viewJSON is the view as Slack returns it: what was sent plus the fields
// Slack adds.
func (s *Server) viewJSON(st *viewState) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(st.view, &out)
	out["id"], out["team_id"], out["app_id"], out["bot_id"] = st.id, TeamID, AppID, BotID
	out["hash"], out["root_view_id"], out["previous_view_id"] = st.hash, st.rootID, nil
	out["app_installed_team_id"] = TeamID
	out["state"] = map[string]any{"values": map[string]any{}}
	return out
}

// checkView validates the "view" argument the way Slack does and answers
// invalid_arguments with response_metadata.messages.
func checkView(req *apiRequest) (json.RawMessage, map[string]any, *apiResult) {
	raw := viewArgument(req)
	var view map[string]any
	if err := json.Unmarshal(raw, &view); err != nil || view == nil {
		res := failResult("invalid_arguments")
		return nil, nil, &res
	}
	v := newValidator()
	if view["type"] != "modal" {
		v.fail("/view/type", "must be modal")
	}
	v.text("/view/title", view["title"], maxModalTitle, true)
	for _, k := range []string{"submit", "close"} {
		if t, ok := view[k]; ok {
			v.text("/view/"+k, t, maxModalTitle, true)
		}
	}
	blocks, _ := view["blocks"].([]any)
	v.blocks("/view/blocks", blocks, surfaceModal)
	v.str("/view/private_metadata", view["private_metadata"], 0, maxPrivateMetadata)
	v.str("/view/callback_id", view["callback_id"], 0, maxCallbackID)
	v.str("/view/external_id", view["external_id"], 0, maxExternalID)
	if _, ok := view["submit"]; v.inputs > 0 && !ok {
		v.fail("/view/submit", "must provide submit when the view has input blocks")
	}
	if len(v.errs) > 0 {
		return nil, nil, invalidArguments(v.errs)
	}
	return raw, view, nil
}

// viewArgument returns the view as JSON whether it came inside a JSON body
// (slack-go) or as a form parameter.
func viewArgument(req *apiRequest) json.RawMessage {
	if v, ok := req.body["view"]; ok {
		b, _ := json.Marshal(v)
		return b
	}
	return json.RawMessage(req.get("view"))
}

func invalidArguments(reasons []string) *apiResult {
	msgs := make([]string, len(reasons))
	for i, r := range reasons {
		msgs[i] = "[ERROR] " + r
	}
	res := failResult("invalid_arguments")
	res.body["response_metadata"] = map[string]any{"messages": msgs}
	return &res
}

// Views returns the successful views.open, views.push and views.update calls
// in order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSlice(s.store.views, func(v View) View {
		v.View = cloneRaw(v.View)
		return v
	})
}
