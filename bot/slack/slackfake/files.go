package slackfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

// Slack's external upload flow: files.getUploadURLExternal hands out a
// one-time upload URL and a file id, the client POSTs the bytes there, and
// files.completeUploadExternal shares the file (once) in a channel or
// thread. files.info describes a completed file.

// File is a file shared through the external upload flow.
type File struct {
	ID      string
	Name    string // the filename given to files.getUploadURLExternal
	Title   string
	AltText string
	// Channel and Thread say where completion shared it; Channel is ""
	// for a file completed without a channel (private to the bot).
	Channel string
	Thread  string
	// TS is the message that shows the file in Channel.
	TS             string
	InitialComment string
	Data           []byte
	Permalink      string
	At             time.Time
}

// Limits of the upload flow. maxFileBytes is Slack's documented 1 GB; the
// fake keeps uploads in memory, so it reads at most maxUploadRead of them.
const (
	maxFileBytes   = 1 << 30
	maxUploadRead  = 64 << 20
	maxFileAltText = 1000
	// uploadMethod names posts to upload URLs in Calls and fault injection.
	uploadMethod = "upload_url"
)

// upload is a file id from files.getUploadURLExternal on its way through
// the flow.
type upload struct {
	File
	length    int
	ticket    string
	uploaded  bool
	completed bool
}

// fileStore holds uploads in the order their ids were handed out.
type fileStore struct {
	order    []*upload
	byID     map[string]*upload
	byTicket map[string]*upload
}

func newFileStore() fileStore {
	return fileStore{byID: map[string]*upload{}, byTicket: map[string]*upload{}}
}

func (s *Server) filesGetUploadURLExternal(req *apiRequest) apiResult {
	name := req.get("filename")
	length, err := strconv.Atoi(req.get("length"))
	switch {
	case name == "":
		return failResult("invalid_arguments")
	case err != nil || length <= 0:
		// Slack: missing_argument "typically only occurs when the length
		// provided is 0".
		return failResult("missing_argument")
	case length > maxFileBytes:
		return failResult("file_upload_size_restricted")
	case utf8.RuneCountInString(req.get("alt_txt")) > maxFileAltText:
		return failResult("alt_txt_too_large")
	}
	u := &upload{
		File:   File{ID: s.nextID("F"), Name: name, AltText: req.get("alt_txt")},
		length: length,
		ticket: s.nextID("u"),
	}
	s.files.order = append(s.files.order, u)
	s.files.byID[u.ID] = u
	s.files.byTicket[u.ticket] = u
	s.bump()
	return okResult(map[string]any{"upload_url": s.hs.URL + "/upload/" + u.ticket, "file_id": u.ID})
}

// serveUpload takes the bytes of one file, raw or as a multipart form (the
// file in its first file part), once per upload URL. Like Slack's upload
// service it answers in plain text, not JSON.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	data, readErr := readUploadBody(w, r)
	s.delay(uploadMethod)
	s.mu.Lock()
	id, res := s.acceptUpload(r.PathValue("ticket"), r.Method, data, readErr)
	s.recordCall(&apiRequest{method: uploadMethod, form: url.Values{
		"file": {id}, "length": {strconv.Itoa(len(data))}}}, res)
	s.mu.Unlock()
	if res.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(res.retryAfter))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(res.status)
	text := res.html
	if res.status == http.StatusOK {
		text = "OK - " + strconv.Itoa(len(data))
	}
	_, _ = io.WriteString(w, text)
}

// uploadRefused is a refusal of the upload service: a status and a reason
// in plain text (kept in html, which marks a result without a JSON body).
func uploadRefused(status int, reason string) apiResult {
	return apiResult{status: status, html: reason}
}

// acceptUpload stores data for the ticket's file and returns the file id
// (when the ticket is known) and the answer. Injected faults apply as to
// Web API methods, under the name "upload_url". The caller holds mu.
func (s *Server) acceptUpload(ticket, method string, data []byte, readErr error) (string, apiResult) {
	u := s.files.byTicket[ticket]
	if u == nil {
		return "", uploadRefused(http.StatusNotFound, "unknown upload URL")
	}
	if res, hit := s.faults.beforeMethod(uploadMethod); hit {
		return u.ID, res
	}
	switch {
	case method != http.MethodPost:
		return u.ID, uploadRefused(http.StatusMethodNotAllowed, "POST the file")
	case u.uploaded:
		return u.ID, uploadRefused(http.StatusNotFound, "upload URL already used")
	case readErr != nil:
		return u.ID, uploadRefused(http.StatusBadRequest, "unreadable upload: "+readErr.Error())
	case len(data) != u.length:
		return u.ID, uploadRefused(http.StatusBadRequest, fmt.Sprintf("length %d does not match the %d declared", len(data), u.length))
	}
	u.uploaded, u.Data = true, bytes.Clone(data)
	s.bump()
	res := okResult(nil) // answered as text; the body only marks success
	if after, hit := s.faults.afterMethod(uploadMethod, res); hit {
		return u.ID, after
	}
	return u.ID, res
}

// readUploadBody returns the file bytes of an upload request.
func readUploadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxUploadRead)
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return io.ReadAll(body)
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no file part: %w", err)
		}
		if part.FileName() != "" {
			return io.ReadAll(part)
		}
	}
}

// completeTarget is where files.completeUploadExternal shares its files.
type completeTarget struct {
	channel, thread, comment string
}

func (s *Server) filesCompleteUploadExternal(req *apiRequest) apiResult {
	var entries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(req.get("files")), &entries); err != nil || len(entries) == 0 {
		return failResult("invalid_arguments")
	}
	t, bad := s.shareTarget(req)
	if bad != nil {
		return *bad
	}
	ups := make([]*upload, 0, len(entries))
	for _, e := range entries {
		u, bad := s.completable(e.ID)
		if bad != nil {
			return *bad
		}
		u.Title = e.Title
		ups = append(ups, u)
	}
	return okResult(map[string]any{"files": s.share(ups, t)})
}

// shareTarget checks channel_id like chat.postMessage checks its channel;
// no channel_id leaves the files private.
func (s *Server) shareTarget(req *apiRequest) (completeTarget, *apiResult) {
	t := completeTarget{thread: req.get("thread_ts"), comment: req.get("initial_comment")}
	ch := req.get("channel_id")
	if ch == "" {
		if req.get("channels") != "" {
			res := failResult("invalid_arguments") // sccbot shares in one channel
			return t, &res
		}
		return t, nil
	}
	id, ok := s.dir.byID(ch)
	switch {
	case !ok:
		res := failResult("channel_not_found")
		return t, &res
	case s.dir.notIn[id]:
		res := failResult("not_in_channel")
		return t, &res
	case s.dir.archived[id]:
		res := failResult("is_archived")
		return t, &res
	}
	t.channel = id
	return t, nil
}

// completable finds an upload that may be completed now. Slack documents
// that completion "can only be called once" but names no error for the
// cases below; the codes are the fake's own.
func (s *Server) completable(id string) (*upload, *apiResult) {
	u := s.files.byID[id]
	var code string
	switch {
	case u == nil:
		code = "file_not_found"
	case !u.uploaded:
		code = "file_not_uploaded"
	case u.completed:
		code = "file_already_completed"
	default:
		return u, nil
	}
	res := failResult(code)
	return nil, &res
}

// share completes the uploads and, with a channel, posts the message that
// shows them. The caller holds mu.
func (s *Server) share(ups []*upload, t completeTarget) []map[string]any {
	var ts string
	if t.channel != "" {
		m := s.postMessage(t.channel, t.thread, content{text: t.comment})
		m.Files = make([]string, 0, len(ups))
		for _, u := range ups {
			m.Files = append(m.Files, u.ID)
		}
		ts, t.thread = m.TS, m.ThreadTS
	}
	out := make([]map[string]any, 0, len(ups))
	for _, u := range ups {
		u.completed, u.At = true, s.now()
		u.Channel, u.Thread, u.TS, u.InitialComment = t.channel, t.thread, ts, t.comment
		u.Permalink = fmt.Sprintf("https://%s.slack.com/files/%s/%s/%s", TeamDomain, BotUserID, u.ID, url.PathEscape(u.Name))
		out = append(out, map[string]any{"id": u.ID, "title": u.Title})
	}
	s.bump()
	return out
}

// filesInfo describes a completed file, with where it is shared.
func (s *Server) filesInfo(req *apiRequest) apiResult {
	u := s.files.byID[req.get("file")]
	if u == nil || !u.completed {
		return failResult("file_not_found")
	}
	return okResult(map[string]any{"file": fileJSON(u), "comments": []any{},
		"paging": map[string]any{"count": 100, "total": 0, "page": 1, "pages": 0}})
}

// fileJSON is a file object as files.info and message files show it.
func fileJSON(u *upload) map[string]any {
	out := map[string]any{
		"id": u.ID, "name": u.Name, "title": u.Title, "size": len(u.Data),
		"mimetype": mime.TypeByExtension(extOf(u.Name)), "user": BotUserID,
		"created": u.At.Unix(), "timestamp": u.At.Unix(), "is_external": false,
		"permalink":   u.Permalink,
		"url_private": fmt.Sprintf("https://files.slack.com/files-pri/%s-%s/%s", TeamID, u.ID, url.PathEscape(u.Name)),
		"channels":    []string{}, "groups": []string{}, "ims": []string{},
	}
	if u.AltText != "" {
		out["alt_txt"] = u.AltText
	}
	if u.Channel != "" {
		out["channels"] = []string{u.Channel}
		share := map[string]any{"ts": u.TS, "channel_name": u.Channel, "team_id": TeamID}
		if u.Thread != "" {
			share["thread_ts"] = u.Thread
		}
		out["shares"] = map[string]any{"public": map[string]any{u.Channel: []any{share}}}
	}
	return out
}

func extOf(name string) string {
	for i := len(name) - 1; i >= 0 && name[i] != '/'; i-- {
		if name[i] == '.' {
			return name[i:]
		}
	}
	return ""
}

// Files returns the completed files in the order their uploads began.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, u := range s.files.order {
		if u.completed {
			f := u.File
			f.Data = bytes.Clone(f.Data)
			out = append(out, f)
		}
	}
	return out
}

// filesJSON renders the files a message shares. The caller holds mu.
func (s *Server) filesJSON(ids []string) []map[string]any {
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		if u := s.files.byID[id]; u != nil {
			out = append(out, fileJSON(u))
		}
	}
	return out
}
