package ownersfake

import (
	"context"
	"errors"
	"strings"
	"testing"

	essentialcontacts "cloud.google.com/go/essentialcontacts/apiv1"
	ec "cloud.google.com/go/essentialcontacts/apiv1/essentialcontactspb"
	"cloud.google.com/go/iam/apiv1/iampb"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"github.com/google/go-cmp/cmp"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type clients struct {
	fake     *Server
	contacts *essentialcontacts.Client
	projects *resourcemanager.ProjectsClient
}

func start(t *testing.T) clients {
	t.Helper()
	s := New()
	s.AddSeeds()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx := context.Background()
	c, err := essentialcontacts.NewClient(ctx, s.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	p, err := resourcemanager.NewProjectsClient(ctx, s.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return clients{fake: s, contacts: c, projects: p}
}

func compute(t *testing.T, c clients, req *ec.ComputeContactsRequest) ([]string, error) {
	t.Helper()
	it := c.contacts.ComputeContacts(context.Background(), req)
	var emails []string
	for {
		contact, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return emails, nil
		}
		if err != nil {
			return emails, err
		}
		emails = append(emails, contact.GetEmail())
	}
}

// TestComputeContacts: inheritance along the parent chain, nearest first,
// filtering by category with ALL on either side, aliases, and paging
// through the real iterator.
func TestComputeContacts(t *testing.T) {
	c := start(t)
	cat := func(cs ...ec.NotificationCategory) []ec.NotificationCategory { return cs }
	tests := []struct {
		parent string
		cats   []ec.NotificationCategory
		want   []string
	}{
		{DemoProd, cat(ec.NotificationCategory_SECURITY),
			[]string{"payments-oncall@example.com", "prod-ops@example.com", "security-team@example.com"}},
		{"projects/demo-prod", cat(ec.NotificationCategory_TECHNICAL),
			[]string{"payments-oncall@example.com", "platform-team@example.com", "prod-ops@example.com"}},
		{DemoWeb, cat(ec.NotificationCategory_BILLING), []string{"prod-ops@example.com", "billing@example.com"}},
		{DemoFolder, cat(ec.NotificationCategory_SECURITY), []string{"prod-ops@example.com", "security-team@example.com"}},
		{DemoOrganization, cat(ec.NotificationCategory_ALL),
			[]string{"security-team@example.com", "billing@example.com", "legal@example.com"}},
		{DemoWeb, cat(ec.NotificationCategory_SUSPENSION), []string{"prod-ops@example.com"}},
	}
	for _, tt := range tests {
		for _, size := range []int32{0, 1} {
			got, err := compute(t, c, &ec.ComputeContactsRequest{Parent: tt.parent, NotificationCategories: tt.cats, PageSize: size})
			if err != nil {
				t.Fatalf("%s %v: %v", tt.parent, tt.cats, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s %v page size %d (-want +got):\n%s", tt.parent, tt.cats, size, diff)
			}
		}
	}
}

func TestComputeContactsErrors(t *testing.T) {
	c := start(t)
	sec := []ec.NotificationCategory{ec.NotificationCategory_SECURITY}
	tests := []struct {
		req  *ec.ComputeContactsRequest
		code codes.Code
	}{
		{&ec.ComputeContactsRequest{Parent: "projects/nope", NotificationCategories: sec}, codes.PermissionDenied},
		{&ec.ComputeContactsRequest{Parent: "billingAccounts/1", NotificationCategories: sec}, codes.InvalidArgument},
		{&ec.ComputeContactsRequest{Parent: "projects/a/b", NotificationCategories: sec}, codes.InvalidArgument},
		{&ec.ComputeContactsRequest{Parent: DemoProd}, codes.InvalidArgument},
		{&ec.ComputeContactsRequest{Parent: DemoProd, NotificationCategories: []ec.NotificationCategory{0}}, codes.InvalidArgument},
		{&ec.ComputeContactsRequest{Parent: DemoProd, NotificationCategories: sec, PageToken: "x"}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		_, err := compute(t, c, tt.req)
		if status.Code(err) != tt.code {
			t.Errorf("%v: err = %v, want %s", tt.req, err, tt.code)
		}
	}
}

// TestGetIamPolicyVersions: version 3 returns conditions; version 1 hides
// them behind renamed roles; unconditional policies are version 1.
func TestGetIamPolicyVersions(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	v3, err := c.projects.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: "projects/demo-prod",
		Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if v3.GetVersion() != 3 || v3.GetBindings()[1].GetCondition() == nil || v3.GetBindings()[1].GetRole() != "roles/owner" {
		t.Errorf("version 3 policy = %v", v3)
	}
	v1, err := c.projects.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: DemoProd})
	if err != nil {
		t.Fatal(err)
	}
	if b := v1.GetBindings()[1]; v1.GetVersion() != 1 || b.GetCondition() != nil || !strings.HasPrefix(b.GetRole(), "roles/owner_withcond_") {
		t.Errorf("version 1 policy = %v", v1)
	}
	web, err := c.projects.GetIamPolicy(ctx, &iampb.GetIamPolicyRequest{Resource: DemoWeb,
		Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 3}})
	if err != nil || web.GetVersion() != 1 || web.GetBindings()[0].GetMembers()[0] != "user:dana@example.com" {
		t.Errorf("demo-web policy = %v, %v", web, err)
	}
}

func TestGetIamPolicyErrors(t *testing.T) {
	c := start(t)
	noRetry := gax.WithRetry(func() gax.Retryer { return nil })
	tests := []struct {
		req  *iampb.GetIamPolicyRequest
		code codes.Code
	}{
		{&iampb.GetIamPolicyRequest{Resource: "projects/unknown"}, codes.PermissionDenied},
		{&iampb.GetIamPolicyRequest{Resource: DemoFolder}, codes.InvalidArgument},
		{&iampb.GetIamPolicyRequest{Resource: DemoProd, Options: &iampb.GetPolicyOptions{RequestedPolicyVersion: 2}}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		_, err := c.projects.GetIamPolicy(context.Background(), tt.req, noRetry)
		if status.Code(err) != tt.code {
			t.Errorf("%v: err = %v, want %s", tt.req, err, tt.code)
		}
	}
}

// TestFaultsAndRecording: injected faults hit the chosen calls, and every
// request is recorded, failed or not.
func TestFaultsAndRecording(t *testing.T) {
	c := start(t)
	c.fake.FailAfter("GetIamPolicy", 1, codes.PermissionDenied, 1)
	noRetry := gax.WithRetry(func() gax.Retryer { return nil })
	var codesSeen []codes.Code
	for range 3 {
		_, err := c.projects.GetIamPolicy(context.Background(), &iampb.GetIamPolicyRequest{Resource: DemoWeb}, noRetry)
		codesSeen = append(codesSeen, status.Code(err))
	}
	if diff := cmp.Diff([]codes.Code{codes.OK, codes.PermissionDenied, codes.OK}, codesSeen); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	reqs := c.fake.Requests("GetIamPolicy")
	if len(reqs) != 3 || reqs[1].(*iampb.GetIamPolicyRequest).GetResource() != DemoWeb {
		t.Errorf("requests = %v", reqs)
	}
	if c.fake.Addr() == "" {
		t.Error("Addr is empty after Start")
	}
}

// TestAddContactNames: contacts get names under their canonical resource.
func TestAddContactNames(t *testing.T) {
	s := New()
	s.AddResource("projects/1", "", "projects/p-one")
	name := s.AddContact("projects/p-one", NewContact("a@example.com", ec.NotificationCategory_SECURITY))
	if name != "projects/1/contacts/1" {
		t.Errorf("name = %q", name)
	}
}
