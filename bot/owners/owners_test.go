package owners

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	essentialcontacts "cloud.google.com/go/essentialcontacts/apiv1"
	ec "cloud.google.com/go/essentialcontacts/apiv1/essentialcontactspb"
	"cloud.google.com/go/iam/apiv1/iampb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/owners/ownersfake"
	"github.com/sccbot/sccbot/internal/retry"
)

// Lone is a project outside the demo organization, so that nothing is
// inherited: tests give it the contacts and policy they need.
const (
	loneProject = "projects/222222222222"
	loneID      = "lone-project"
)

type env struct {
	fake   *ownersfake.Server
	finder *Finder
	sleeps []time.Duration
}

// newEnv starts the seeded fake and points the real clients at it.
func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	fake := ownersfake.New()
	fake.AddSeeds()
	fake.AddResource(loneProject, "", "projects/"+loneID)
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	ctx := context.Background()
	contacts, err := essentialcontacts.NewClient(ctx, fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = contacts.Close() })
	projects, err := resourcemanager.NewProjectsClient(ctx, fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = projects.Close() })
	e := &env{fake: fake}
	// Lookups run on the test goroutine, so the sleeps need no lock.
	opts.Sleep = func(ctx context.Context, d time.Duration) error {
		e.sleeps = append(e.sleeps, d)
		return ctx.Err()
	}
	e.finder = New(contacts, projects, opts)
	return e
}

func finding(projectID, number string, contacts ...string) bot.Finding {
	return bot.Finding{
		Name:     "organizations/123456789012/sources/1/locations/global/findings/f1",
		Category: "Defense Evasion: Launch Code Compiler Tool In Container",
		Resource: bot.Resource{Project: projectID, ProjectNumber: number},
		Target:   bot.Target{Product: bot.ProductGKE, Project: projectID},
		Contacts: contacts,
	}
}

func owners(source string, emails ...string) []bot.Owner {
	out := make([]bot.Owner, len(emails))
	for i, e := range emails {
		out[i] = bot.Owner{Email: e, Source: source}
	}
	return out
}

const (
	noFindingContacts = "The finding lists no security contacts."
	noLoneContacts    = "Essential Contacts lists no SECURITY contacts for project lone-project, its folders or its organization."
	noLoneOwners      = "Project lone-project has no IAM owners (roles/owner) who are users or groups."
)

// TestFindingContactsWin: the finding's own contacts are used as they are
// (validated, de-duplicated without case) and no API is called.
func TestFindingContactsWin(t *testing.T) {
	e := newEnv(t, Options{})
	f := finding("demo-prod", "456789012345",
		"payments-oncall@example.com", "PAYMENTS-ONCALL@example.com", "<script>@x", "sec@example.com")
	got, err := e.finder.Owners(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Owners: owners(SourceFindingContacts, "payments-oncall@example.com", "sec@example.com"),
		Notes:  []string{"Skipped 1 entry from finding contacts that does not look like an e-mail address."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if n := len(e.fake.Requests("ComputeContacts")) + len(e.fake.Requests("GetIamPolicy")); n != 0 {
		t.Errorf("%d API calls, want none", n)
	}
}

// TestEssentialContactsInherited: without finding contacts, ComputeContacts
// on the project number for SECURITY returns the project's contact, the
// folder's ALL subscriber and the organization's SECURITY contact, nearest
// first; BILLING, LEGAL and TECHNICAL-only contacts are not returned, and
// IAM is not asked.
func TestEssentialContactsInherited(t *testing.T) {
	e := newEnv(t, Options{})
	got, err := e.finder.Owners(context.Background(), finding("demo-prod", "456789012345"))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Owners: owners(SourceEssentialContacts,
			"payments-oncall@example.com", "prod-ops@example.com", "security-team@example.com"),
		Notes: []string{noFindingContacts},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	wantReq := &ec.ComputeContactsRequest{Parent: ownersfake.DemoProd,
		NotificationCategories: []ec.NotificationCategory{ec.NotificationCategory_SECURITY}, PageSize: contactsPageSize}
	assertRequests(t, e.fake.Requests("ComputeContacts"), wantReq)
	assertRequests(t, e.fake.Requests("GetIamPolicy"))
}

// TestProjectIDWithoutNumber: a finding without the project number calls
// the APIs with projects/ID.
func TestProjectIDWithoutNumber(t *testing.T) {
	e := newEnv(t, Options{})
	got, err := e.finder.Owners(context.Background(), finding("demo-web", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := owners(SourceEssentialContacts, "web-oncall@example.com", "prod-ops@example.com", "security-team@example.com")
	if diff := cmp.Diff(want, got.Owners); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	reqs := e.fake.Requests("ComputeContacts")
	if len(reqs) != 1 || reqs[0].(*ec.ComputeContactsRequest).GetParent() != "projects/demo-web" {
		t.Errorf("requests = %v, want one for projects/demo-web", reqs)
	}
}

// TestIAMOwners: with no contacts anywhere, the IAM policy (version 3) is
// read; users and groups with roles/owner are kept, service accounts,
// deleted members, domains, other roles and conditional bindings are not.
func TestIAMOwners(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.AddContact(loneProject, ownersfake.NewContact("tech@example.com", ec.NotificationCategory_TECHNICAL))
	e.fake.SetPolicy(loneProject, &iampb.Policy{Bindings: []*iampb.Binding{
		{Role: "roles/owner", Members: []string{
			"serviceAccount:ci@lone-project.iam.gserviceaccount.com",
			"user:alice@example.com",
			"deleted:user:bob@example.com?uid=1234",
			"domain:example.com",
			"group:admins@example.com",
			"user:Alice@Example.com",
		}},
		{Role: "roles/owner", Members: []string{"user:temp@example.com"},
			Condition: &expr.Expr{Expression: `request.time < timestamp("2020-01-01T00:00:00Z")`}},
		{Role: "roles/editor", Members: []string{"user:editor@example.com"}},
	}})
	got, err := e.finder.Owners(context.Background(), finding(loneID, "222222222222"))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Owners: owners(SourceIAMOwner, "alice@example.com", "admins@example.com"),
		Notes: []string{noFindingContacts, noLoneContacts,
			"Skipped 1 conditional owner binding of project lone-project: sccbot does not evaluate IAM conditions, " +
				"and an owner whose access has a condition (often an expiry) may no longer own it."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	assertRequests(t, e.fake.Requests("GetIamPolicy"),
		&iampb.GetIamPolicyRequest{Resource: loneProject, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}})
}

// TestSeededIAMOwners: the demo-prod policy yields its two people.
func TestSeededIAMOwners(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.FailNext("ComputeContacts", codes.PermissionDenied, 1)
	got, err := e.finder.Owners(context.Background(), finding("demo-prod", "456789012345"))
	if err != nil {
		t.Fatal(err)
	}
	want := owners(SourceIAMOwner, "alice@example.com", "payments-admins@example.com")
	if diff := cmp.Diff(want, got.Owners); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
}

// TestNothingFound: every source is empty: no owners, no error, and a note
// for each source.
func TestNothingFound(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.SetPolicy(loneProject, &iampb.Policy{Bindings: []*iampb.Binding{
		{Role: "roles/owner", Members: []string{"serviceAccount:ci@lone-project.iam.gserviceaccount.com"}},
	}})
	got, err := e.finder.Owners(context.Background(), finding(loneID, "222222222222"))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Notes: []string{noFindingContacts, noLoneContacts, noLoneOwners}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func assertRequests(t *testing.T, got []proto.Message, want ...proto.Message) {
	t.Helper()
	if diff := cmp.Diff(want, got, protocmp.Transform(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestPermissionDeniedFallsThrough: a denied step is a note naming the role
// to grant, and the next source is used.
func TestPermissionDeniedFallsThrough(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.FailNext("ComputeContacts", codes.PermissionDenied, 1)
	got, err := e.finder.Owners(context.Background(), finding("demo-web", "567890123456"))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Owners: owners(SourceIAMOwner, "dana@example.com", "web-admins@example.com"),
		Notes: []string{noFindingContacts, "sccbot may not read the Essential Contacts of project demo-web: " +
			"grant its service account roles/essentialcontacts.viewer on the project (or on its folder or organization)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if n := len(e.fake.Requests("ComputeContacts")); n != 1 {
		t.Errorf("%d ComputeContacts calls, want 1: permission errors are not retried", n)
	}
}

// TestAllDenied: when every API step is denied and nobody is found, the
// first failure is returned with all notes.
func TestAllDenied(t *testing.T) {
	e := newEnv(t, Options{})
	e.fake.FailNext("ComputeContacts", codes.PermissionDenied, 1)
	e.fake.FailNext("GetIamPolicy", codes.PermissionDenied, 1)
	got, err := e.finder.Owners(context.Background(), finding("demo-web", "567890123456"))
	if bot.ErrorCode(err) != bot.EPermission {
		t.Fatalf("err = %v, want %s", err, bot.EPermission)
	}
	want := Result{Notes: []string{noFindingContacts,
		"sccbot may not read the Essential Contacts of project demo-web: grant its service account " +
			"roles/essentialcontacts.viewer on the project (or on its folder or organization)",
		"sccbot may not read the IAM policy of project demo-web: grant its service account roles/browser " +
			"(or roles/iam.securityReviewer) on the project (or on its folder or organization)"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if bot.ErrorMessage(err) != want.Notes[1] {
		t.Errorf("error message = %q, want the first failure", bot.ErrorMessage(err))
	}
}

// TestUnavailableRetried: Unavailable is retried after the backoff, and
// the client library's own retries are off (one request per attempt).
func TestUnavailableRetried(t *testing.T) {
	for _, method := range []string{"ComputeContacts", "GetIamPolicy"} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t, Options{Limits: retry.Limits{Backoff: func(n int) time.Duration { return time.Duration(n) * time.Second }}})
			if method == "GetIamPolicy" {
				e.fake.FailNext("ComputeContacts", codes.PermissionDenied, 1)
			}
			e.fake.FailNext(method, codes.Unavailable, 2)
			got, err := e.finder.Owners(context.Background(), finding("demo-web", "567890123456"))
			if err != nil || len(got.Owners) == 0 {
				t.Fatalf("Owners = %v, %v; want owners", got, err)
			}
			if n := len(e.fake.Requests(method)); n != 3 {
				t.Errorf("%d %s calls, want 3", n, method)
			}
			if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, e.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnavailableExhausted: after the last attempt the step falls through
// with a note that says how often it tried.
func TestUnavailableExhausted(t *testing.T) {
	e := newEnv(t, Options{Limits: retry.Limits{Attempts: 2}})
	e.fake.FailNext("ComputeContacts", codes.Unavailable, 5)
	got, err := e.finder.Owners(context.Background(), finding("demo-web", "567890123456"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Owners[0].Source != SourceIAMOwner {
		t.Errorf("owners = %v, want IAM owners", got.Owners)
	}
	note := "Essential Contacts API unavailable (2 attempts); try again in a few minutes"
	if got.Notes[len(got.Notes)-1] != note {
		t.Errorf("notes = %q, want last %q", got.Notes, note)
	}
}

// TestPerCallTimeout: a lookup slower than Options.Timeout is abandoned
// and reported as such, without waiting for the server.
func TestPerCallTimeout(t *testing.T) {
	e := newEnv(t, Options{Limits: retry.Limits{Timeout: 50 * time.Millisecond, Attempts: 1}})
	e.fake.SetLatency("GetIamPolicy", time.Minute)
	e.fake.FailNext("ComputeContacts", codes.PermissionDenied, 1)
	_, err := e.finder.Owners(context.Background(), finding("demo-web", "567890123456"))
	if bot.ErrorCode(err) != bot.EPermission {
		t.Fatalf("err = %v, want the first failure (permission)", err)
	}
	e2 := newEnv(t, Options{Limits: retry.Limits{Timeout: 50 * time.Millisecond, Attempts: 1}})
	e2.fake.SetLatency("ComputeContacts", time.Minute)
	got, err := e2.finder.Owners(context.Background(), finding("demo-web", "567890123456"))
	if err != nil {
		t.Fatal(err)
	}
	want := "Essential Contacts API did not answer within 50ms (1 attempt)"
	if got.Notes[1] != want || got.Owners[0].Source != SourceIAMOwner {
		t.Errorf("Owners = %+v, want IAM owners and note %q", got, want)
	}
}

// TestCallerCancel: the caller's context ending is returned as such, not
// as a Google fault, and no further source is tried.
func TestCallerCancel(t *testing.T) {
	e := newEnv(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.finder.Owners(ctx, finding("demo-web", "567890123456"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(e.fake.Requests("GetIamPolicy")); n != 0 {
		t.Errorf("%d GetIamPolicy calls after cancel, want 0", n)
	}
}

// TestCap: more than MaxOwners distinct addresses are cut, with a note.
func TestCap(t *testing.T) {
	e := newEnv(t, Options{MaxOwners: 3})
	var contacts []string
	for i := range 5 {
		contacts = append(contacts, fmt.Sprintf("p%d@example.com", i))
	}
	got, err := e.finder.Owners(context.Background(), finding("demo-web", "", contacts...))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Owners: owners(SourceFindingContacts, "p0@example.com", "p1@example.com", "p2@example.com"),
		Notes:  []string{"Listed the first 3 owners from finding contacts; 2 more are not shown."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if DefaultMaxOwners != 10 {
		t.Errorf("DefaultMaxOwners = %d, want 10", DefaultMaxOwners)
	}
}

// TestInvalidContacts: contacts Google marks INVALID and contacts whose
// address is not an address are skipped with notes; when nothing is left,
// the lookup falls through to IAM.
func TestInvalidContacts(t *testing.T) {
	e := newEnv(t, Options{})
	bounced := ownersfake.NewContact("gone@example.com", ec.NotificationCategory_SECURITY)
	bounced.ValidationState = ec.ValidationState_INVALID
	e.fake.AddContact(loneProject, bounced)
	e.fake.AddContact(loneProject, ownersfake.NewContact("a@b.c\n@evil", ec.NotificationCategory_SECURITY))
	e.fake.SetPolicy(loneProject, &iampb.Policy{Bindings: []*iampb.Binding{
		{Role: "roles/owner", Members: []string{"user:owner@example.com"}}}})
	got, err := e.finder.Owners(context.Background(), finding(loneID, "222222222222"))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{
		Owners: owners(SourceIAMOwner, "owner@example.com"),
		Notes: []string{noFindingContacts,
			"Skipped 1 essential contact that Google marks as invalid (mail to it bounced).",
			"Skipped 1 entry from essential contacts that does not look like an e-mail address.",
			noLoneContacts},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// TestNoProject: a finding without a usable project uses its contacts
// only and says why.
func TestNoProject(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"", "Not A Project!", "projects/../x"} {
		got, err := e.finder.Owners(context.Background(), finding(p, ""))
		if err != nil {
			t.Fatal(err)
		}
		want := Result{Notes: []string{noFindingContacts,
			"The finding names no project, so sccbot cannot look up its Essential Contacts or IAM owners."}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("project %q: result (-want +got):\n%s", p, diff)
		}
	}
	if n := len(e.fake.Requests("ComputeContacts")) + len(e.fake.Requests("GetIamPolicy")); n != 0 {
		t.Errorf("%d API calls, want none", n)
	}
}

// TestNilClients: a Finder without API clients uses the finding's contacts
// and notes what it skipped.
func TestNilClients(t *testing.T) {
	got, err := New(nil, nil, Options{}).Owners(context.Background(), finding("demo-web", "567890123456"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Owners) != 0 || len(got.Notes) != 3 || !strings.Contains(got.Notes[1], "not set up") {
		t.Errorf("result = %+v", got)
	}
}
