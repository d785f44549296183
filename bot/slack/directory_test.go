package slack

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goslack "github.com/slack-go/slack"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
)

const approvers = "S0APPROVERS"

type dirHarness struct {
	*outboxHarness
	dir *Directory
	api *goslack.Client
}

// newDirHarness wires a Directory to the real slack-go client and the
// fake, on the outbox harness's fake clock (sleeping advances it).
func newDirHarness(t *testing.T, wrap func(DirectoryAPI) DirectoryAPI) *dirHarness {
	t.Helper()
	h := newOutboxHarness(t)
	api := goslack.New(h.fake.BotToken(), goslack.OptionAPIURL(h.fake.URL()))
	var dapi DirectoryAPI = api
	if wrap != nil {
		dapi = wrap(api)
	}
	dir := NewDirectory(dapi, h.outbox, DirectoryOptions{Clock: h.clock, RequestTimeout: 5 * time.Second})
	h.fake.SetUserGroup(approvers, "U0ALICE", "U0BOB")
	return &dirHarness{outboxHarness: h, dir: dir, api: api}
}

func (h *dirHarness) calls(method string) int { return len(h.fake.Calls(method)) }

func (h *dirHarness) advance(d time.Duration) { _ = h.clock.Sleep(context.Background(), d) }

// TestMembersCachedForTTL proves two lookups within the TTL make one
// usergroups.users.list call (without disabled users), and a lookup after
// it asks again and sees the change.
func TestMembersCachedForTTL(t *testing.T) {
	h := newDirHarness(t, nil)
	ctx := context.Background()
	first, err := h.dir.Members(ctx, approvers)
	if err != nil {
		t.Fatal(err)
	}
	h.fake.SetUserGroup(approvers, "U0CAROL")
	h.advance(59 * time.Second)
	second, _ := h.dir.Members(ctx, approvers)
	if diff := cmp.Diff([]string{"U0ALICE", "U0BOB"}, second); diff != "" || h.calls("usergroups.users.list") != 1 {
		t.Errorf("within the TTL: %d calls, members (-want +got):\n%s", h.calls("usergroups.users.list"), diff)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("cached answer differs:\n%s", diff)
	}
	call := h.fake.Calls("usergroups.users.list")[0]
	if call.Params.Get("usergroup") != approvers || call.Params.Get("include_disabled") == "true" {
		t.Errorf("params = %v", call.Params)
	}
	h.advance(2 * time.Second)
	third, err := h.dir.Members(ctx, approvers)
	if err != nil || h.calls("usergroups.users.list") != 2 || !cmp.Equal(third, []string{"U0CAROL"}) {
		t.Errorf("after the TTL: %v, %v, %d calls; want a fresh answer", third, err, h.calls("usergroups.users.list"))
	}
}

// gatedAPI holds user-group lookups until the gate opens.
type gatedAPI struct {
	DirectoryAPI
	gate chan struct{}
}

func (g gatedAPI) GetUserGroupMembersContext(ctx context.Context, group string, opts ...goslack.GetUserGroupMembersOption) ([]string, error) {
	<-g.gate
	return g.DirectoryAPI.GetUserGroupMembersContext(ctx, group, opts...)
}

// TestMembersSingleFlight proves concurrent misses share one call.
func TestMembersSingleFlight(t *testing.T) {
	gate := make(chan struct{})
	h := newDirHarness(t, func(api DirectoryAPI) DirectoryAPI { return gatedAPI{api, gate} })
	const n = 8
	var wg sync.WaitGroup
	results := make([][]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = h.dir.Members(context.Background(), approvers)
		}()
	}
	// Every caller has joined the one flight before it is let through.
	deadline := time.Now().Add(10 * time.Second)
	for h.dir.groups.waiting(approvers) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callers joined the flight", h.dir.groups.waiting(approvers), n)
		}
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !cmp.Equal(results[i], []string{"U0ALICE", "U0BOB"}) {
			t.Errorf("caller %d: %v, %v", i, results[i], errs[i])
		}
	}
	if c := h.calls("usergroups.users.list"); c != 1 {
		t.Errorf("%d concurrent misses made %d calls, want 1", n, c)
	}
}

// TestMembersErrorsAreNotCached proves a failed lookup returns a clear
// error and is not remembered: the next lookup asks again.
func TestMembersErrorsAreNotCached(t *testing.T) {
	h := newDirHarness(t, nil)
	ctx := context.Background()
	cases := []struct {
		slackErr, code, says string
	}{
		{"plan_upgrade_required", bot.EPermission, "paid Slack plan"},
		{"missing_scope", bot.EUnauthorized, "usergroups:read"},
		{"no_such_subteam", bot.ENotFound, approvers + " does not exist"},
		{"internal_error", bot.EUnavailable, "Slack refused"},
	}
	for _, c := range cases {
		h.fake.ErrorNext("usergroups.users.list", 1, c.slackErr)
		members, err := h.dir.Members(ctx, approvers)
		if members != nil || bot.ErrorCode(err) != c.code || !strings.Contains(bot.ErrorMessage(err), c.says) {
			t.Errorf("%s: Members = %v, %v (%s); want %s saying %q", c.slackErr, members, err, bot.ErrorMessage(err), c.code, c.says)
		}
	}
	if _, err := h.dir.Members(ctx, approvers); err != nil {
		t.Fatalf("lookup after failures: %v", err)
	}
	if c := h.calls("usergroups.users.list"); c != len(cases)+1 {
		t.Errorf("%d calls, want %d: failures must not be cached", c, len(cases)+1)
	}
	h.fake.RateLimitNext("usergroups.users.list", 1, time.Second)
	h.dir.ForgetGroup(approvers)
	if _, err := h.dir.Members(ctx, approvers); bot.ErrorCode(err) != bot.ERateLimited {
		t.Errorf("rate limited: %v", err)
	}
}

func TestIsMember(t *testing.T) {
	h := newDirHarness(t, nil)
	ctx := context.Background()
	cases := []struct {
		user, principal string
		want            bool
		code            string
	}{
		{"U0ALICE", "U0ALICE", true, ""},
		{"U0ALICE", "W0ALICE", false, ""},
		{"U0ALICE", approvers, true, ""},
		{"U0MALLORY", approvers, false, ""},
		{"U0ALICE", "S0NOSUCH", false, bot.ENotFound},
		{"U0ALICE", "<!subteam^S0APPROVERS>", false, bot.EInvalid},
		{"u0alice", approvers, false, bot.EInvalid},
	}
	for _, c := range cases {
		got, err := h.dir.IsMember(ctx, c.user, c.principal)
		if got != c.want || (c.code == "") != (err == nil) || (err != nil && bot.ErrorCode(err) != c.code) {
			t.Errorf("IsMember(%s, %s) = %v, %v; want %v, %q", c.user, c.principal, got, err, c.want, c.code)
		}
	}
	if c := h.calls("usergroups.users.list"); c != 2 {
		t.Errorf("%d group lookups, want 2 (the group once, the missing group once)", c)
	}
}

func TestUserByEmail(t *testing.T) {
	h := newDirHarness(t, nil)
	ctx := context.Background()
	h.fake.AddUser("U0OWNER", "owner@example.com", "Olive Owner")
	id, ok, err := h.dir.UserByEmail(ctx, "Owner@Example.com")
	if id != "U0OWNER" || !ok || err != nil {
		t.Errorf("found: %q, %v, %v", id, ok, err)
	}
	id, ok, err = h.dir.UserByEmail(ctx, "nobody@example.com")
	if id != "" || ok || err != nil {
		t.Errorf("not found: %q, %v, %v; want no user and no error", id, ok, err)
	}
	_, _, _ = h.dir.UserByEmail(ctx, "owner@example.com")
	_, _, _ = h.dir.UserByEmail(ctx, "nobody@example.com")
	if c := h.calls("users.lookupByEmail"); c != 2 {
		t.Errorf("%d lookups, want 2: both answers are cached", c)
	}
	h.fake.ErrorNext("users.lookupByEmail", 1, "missing_scope")
	if _, _, err := h.dir.UserByEmail(ctx, "new@example.com"); !strings.Contains(bot.ErrorMessage(err), "users:read.email") {
		t.Errorf("missing scope: %v", err)
	}
}

func TestUser(t *testing.T) {
	h := newDirHarness(t, nil)
	ctx := context.Background()
	h.fake.PutUser(slackfake.User{ID: "U0GUEST", Name: "gus", RealName: "Gus Guest", IsRestricted: true})
	got, err := h.dir.User(ctx, "U0GUEST")
	want := UserInfo{ID: "U0GUEST", Name: "Gus Guest", Guest: true, TeamID: slackfake.TeamID}
	if err != nil || got != want {
		t.Errorf("User = %+v, %v; want %+v", got, err, want)
	}
	_, _ = h.dir.User(ctx, "U0GUEST")
	if c := h.calls("users.info"); c != 1 {
		t.Errorf("%d users.info calls, want 1 (cached)", c)
	}
	if _, err := h.dir.User(ctx, "U0NOBODY"); bot.ErrorCode(err) != bot.ENotFound {
		t.Errorf("unknown user: %v", err)
	}
}

// TestDirectMessage proves a DM opens the conversation with
// conversations.open and posts to the D… channel through the outbox.
func TestDirectMessage(t *testing.T) {
	h := newDirHarness(t, nil)
	ctx := context.Background()
	h.fake.AddUser("U0OWNER", "owner@example.com", "Olive Owner")
	ref, err := h.dir.DirectMessage(ctx, "U0OWNER", bot.Message{Text: "Finding on your project <!channel>"})
	if err != nil {
		t.Fatal(err)
	}
	open := h.fake.Calls("conversations.open")
	if len(open) != 1 || open[0].Params.Get("users") != "U0OWNER" {
		t.Fatalf("conversations.open calls = %+v", open)
	}
	posts := h.fake.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Params.Get("channel") != "D0OWNER" {
		t.Fatalf("chat.postMessage calls = %+v", posts)
	}
	msgs := h.fake.Messages("D0OWNER")
	if ref.Channel != "D0OWNER" || len(msgs) != 1 || msgs[0].TS != ref.TS || msgs[0].Text != "Finding on your project &lt;!channel&gt;" {
		t.Errorf("ref %+v, messages %+v", ref, msgs)
	}
}

// TestDirectoryRefusesHostileIDs proves malformed ids are refused before
// any call reaches Slack.
func TestDirectoryRefusesHostileIDs(t *testing.T) {
	h := newDirHarness(t, nil)
	ctx := context.Background()
	hostile := []string{"", "U0ALICE&usergroup=S1", "<@U0ALICE>", "S0APPROVERS\n", "C0SECOPS01", "u0alice", strings.Repeat("U", 40)}
	for _, id := range hostile {
		_, err1 := h.dir.Members(ctx, id)
		_, err2 := h.dir.User(ctx, id)
		_, err3 := h.dir.DirectMessage(ctx, id, bot.Message{Text: "x"})
		_, err4 := h.dir.IsMember(ctx, id, approvers)
		for i, err := range []error{err1, err2, err3, err4} {
			if bot.ErrorCode(err) != bot.EInvalid {
				t.Errorf("id %q, method %d: %v, want invalid", id, i, err)
			}
		}
	}
	for _, email := range []string{"", "Alice <a@example.com>", "a@example.com, b@example.com", "<!channel>@x", "a@\u202eexample.com", "plain"} {
		if _, _, err := h.dir.UserByEmail(ctx, email); bot.ErrorCode(err) != bot.EInvalid {
			t.Errorf("email %q: %v, want invalid", email, err)
		}
	}
	if calls := h.fake.Calls(""); len(calls) != 0 {
		t.Errorf("%d calls reached Slack, first %s", len(calls), calls[0].Method)
	}
}
