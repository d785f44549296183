package slackfake

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxRequestBody bounds what the fake reads from one request. Slack's own
// limits are lower; this only keeps a runaway client from exhausting memory.
const maxRequestBody = 8 << 20

// apiRequest is one Web API call, decoded.
type apiRequest struct {
	method   string
	form     url.Values     // query and form parameters, token removed
	body     map[string]any // JSON body, nil for forms
	raw      []byte         // JSON body as received
	token    string
	parseErr string // Slack error code when the body could not be read
}

// get returns a parameter from the form or, for JSON bodies, a top-level
// value; arrays and objects (blocks, metadata) come back as JSON text, the
// form they have in a form-encoded call.
func (r *apiRequest) get(key string) string {
	if v := r.form.Get(key); v != "" {
		return v
	}
	switch v := r.body[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// has reports whether the parameter was sent at all, even empty.
func (r *apiRequest) has(key string) bool {
	if _, ok := r.form[key]; ok {
		return true
	}
	_, ok := r.body[key]
	return ok
}

// apiResult is the answer to a call: Slack answers 200 with ok true or false,
// except for rate limits (429) and outages (5xx with an HTML page).
type apiResult struct {
	status     int
	retryAfter int // seconds; 0 means no Retry-After header
	html       string
	body       map[string]any
}

func okResult(fields map[string]any) apiResult {
	body := map[string]any{"ok": true}
	maps.Copy(body, fields)
	return apiResult{status: http.StatusOK, body: body}
}

func failResult(code string) apiResult {
	return apiResult{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

// failErrors is an error with Slack's list of human-readable reasons, as
// returned for invalid_blocks.
func failErrors(code string, reasons []string) apiResult {
	res := failResult(code)
	res.body["errors"] = reasons
	return res
}

// errCode is the Slack error the result carries: the body's error, or
// "http_<status>" for answers that have no JSON body.
func (r apiResult) errCode() string {
	if r.html != "" {
		return "http_" + strconv.Itoa(r.status)
	}
	code, _ := r.body["error"].(string)
	return code
}

func (r apiResult) ok() bool { return r.status == http.StatusOK && r.body["ok"] == true }

type handlerFunc func(*Server, *apiRequest) apiResult

// handlerFor maps a Web API method to its handler; nil means unknown_method.
func handlerFor(method string) handlerFunc {
	switch method {
	case "auth.test":
		return (*Server).authTest
	case "apps.connections.open":
		return (*Server).appsConnectionsOpen
	case "chat.postMessage":
		return (*Server).chatPostMessage
	case "chat.update":
		return (*Server).chatUpdate
	case "chat.postEphemeral":
		return (*Server).chatPostEphemeral
	case "chat.delete":
		return (*Server).chatDelete
	case "chat.getPermalink":
		return (*Server).chatGetPermalink
	case "views.open", "views.push":
		return (*Server).viewsOpen
	case "views.update":
		return (*Server).viewsUpdate
	case "files.getUploadURLExternal":
		return (*Server).filesGetUploadURLExternal
	case "files.completeUploadExternal":
		return (*Server).filesCompleteUploadExternal
	case "files.info":
		return (*Server).filesInfo
	}
	return directoryHandlerFor(method)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	req := readRequest(w, r)
	s.delay(req.method)
	s.mu.Lock()
	s.notePost(req)
	res := s.answer(req)
	s.noteRetryAfter(req, res)
	s.recordCall(req, res)
	s.mu.Unlock()
	s.holdAnswer(req.method, res)
	writeResult(w, res)
}

// answer runs the checks in Slack's order: method, request, token, injected
// faults, rate limit, the method itself, then faults that hit after the
// method took effect. The caller holds mu.
func (s *Server) answer(req *apiRequest) apiResult {
	h := handlerFor(req.method)
	if h == nil {
		return failResult("unknown_method")
	}
	if req.parseErr != "" {
		return failResult(req.parseErr)
	}
	if res, denied := s.authorize(req); denied {
		return res
	}
	if res, hit := s.faults.beforeMethod(req.method); hit {
		return res
	}
	if res, limited := s.postRateLimited(req); limited {
		return res
	}
	res := h(s, req)
	if after, hit := s.faults.afterMethod(req.method, res); hit {
		return after
	}
	return res
}

// authorize checks the token: apps.connections.open takes the app-level
// token, everything else the bot token. Like Slack, a missing token is
// not_authed and a known token of the wrong type not_allowed_token_type.
func (s *Server) authorize(req *apiRequest) (apiResult, bool) {
	want := s.cfg.botToken
	if req.method == "apps.connections.open" {
		want = s.cfg.appToken
	}
	switch req.token {
	case want:
		return apiResult{}, false
	case "":
		return failResult("not_authed"), true
	case s.cfg.botToken, s.cfg.appToken:
		return failResult("not_allowed_token_type"), true
	}
	return failResult("invalid_auth"), true
}

// delay applies SetLatency before the call is handled. It deliberately
// ignores the client giving up: Slack, too, finishes work whose caller has
// timed out, which is what makes retries ambiguous.
func (s *Server) delay(method string) {
	s.mu.Lock()
	d := s.faults.latency[method]
	s.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}

// readRequest decodes form, query and JSON parameters and finds the token in
// the Authorization header or, for forms, the token parameter.
func readRequest(w http.ResponseWriter, r *http.Request) *apiRequest {
	req := &apiRequest{method: strings.TrimPrefix(r.URL.Path, "/api/")}
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		req.token = strings.TrimSpace(auth)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		readJSONBody(r, req)
	} else if err := r.ParseForm(); err != nil {
		req.parseErr = "invalid_form_data"
		req.form = url.Values{}
	} else {
		req.form = cloneValues(r.Form)
		if req.token == "" {
			req.token = req.form.Get("token")
		}
	}
	req.form.Del("token")
	return req
}

// readJSONBody reads a JSON request. Slack ignores a token in a JSON body
// (it must come as a bearer header), and so does the fake.
func readJSONBody(r *http.Request, req *apiRequest) {
	req.form = cloneValues(r.URL.Query())
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		req.parseErr = "invalid_json"
		return
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return // apps.connections.open is posted with an empty body
	}
	if err := json.Unmarshal(raw, &req.body); err != nil {
		req.parseErr = "invalid_json"
		return
	}
	req.raw = raw
}

func writeResult(w http.ResponseWriter, res apiResult) {
	if res.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(res.retryAfter))
	}
	if res.html != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(res.status)
		_, _ = io.WriteString(w, res.html)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(res.status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(res.body)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func (s *Server) authTest(*apiRequest) apiResult {
	return okResult(map[string]any{
		"url":                   "https://" + TeamDomain + ".slack.com/",
		"team":                  "Fake Workspace",
		"user":                  BotName,
		"team_id":               TeamID,
		"user_id":               BotUserID,
		"bot_id":                BotID,
		"is_enterprise_install": false,
	})
}
