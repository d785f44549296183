package ownersfake

import (
	ec "cloud.google.com/go/essentialcontacts/apiv1/essentialcontactspb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"google.golang.org/genproto/googleapis/type/expr"
)

// The demo hierarchy of sccfake's seed findings: both projects are in the
// "production" folder of one organization.
const (
	DemoOrganization = "organizations/123456789012"
	DemoFolder       = "folders/987654321098"
	// DemoProd is demo-prod (GKE seeds), DemoWeb demo-web (Cloud Run seeds).
	DemoProd = "projects/456789012345"
	DemoWeb  = "projects/567890123456"
)

// AddSeeds loads the demo hierarchy. The projects' own SECURITY contacts
// are the ones in the seed findings' contacts, so that the three sources
// agree; the folder and organization add inherited contacts (one
// subscribed to ALL), some contacts subscribe to other categories only,
// and the IAM policies hold the member kinds the lookup must skip.
//
// ComputeContacts(demo-prod, SECURITY) gives payments-oncall, prod-ops
// (folder, ALL) and security-team (organization). The IAM owners of
// demo-prod are alice and payments-admins; of demo-web, dana and
// web-admins.
func (s *Server) AddSeeds() {
	s.AddResource(DemoOrganization, "")
	s.AddResource(DemoFolder, DemoOrganization)
	s.AddResource(DemoProd, DemoFolder, "projects/demo-prod")
	s.AddResource(DemoWeb, DemoFolder, "projects/demo-web")

	s.AddContact(DemoOrganization, NewContact("security-team@example.com", ec.NotificationCategory_SECURITY))
	s.AddContact(DemoOrganization, NewContact("billing@example.com", ec.NotificationCategory_BILLING))
	s.AddContact(DemoOrganization, NewContact("legal@example.com", ec.NotificationCategory_LEGAL))
	s.AddContact(DemoFolder, NewContact("prod-ops@example.com", ec.NotificationCategory_ALL))
	s.AddContact(DemoProd, NewContact("payments-oncall@example.com",
		ec.NotificationCategory_SECURITY, ec.NotificationCategory_TECHNICAL))
	s.AddContact(DemoProd, NewContact("platform-team@example.com", ec.NotificationCategory_TECHNICAL))
	s.AddContact(DemoWeb, NewContact("web-oncall@example.com", ec.NotificationCategory_SECURITY))

	s.SetPolicy(DemoProd, &iampb.Policy{Version: 3, Etag: []byte("BwYdemoprod="), Bindings: []*iampb.Binding{
		{Role: "roles/owner", Members: []string{
			"user:alice@example.com",
			"group:payments-admins@example.com",
			"serviceAccount:deployer@demo-prod.iam.gserviceaccount.com",
			"deleted:user:bob@example.com?uid=123456789012345678901",
		}},
		{Role: "roles/owner", Members: []string{"user:breakglass@example.com"}, Condition: &expr.Expr{
			Title:      "break-glass",
			Expression: `request.time < timestamp("2026-01-01T00:00:00Z")`,
		}},
		{Role: "roles/viewer", Members: []string{"user:carol@example.com"}},
	}})
	s.SetPolicy(DemoWeb, &iampb.Policy{Version: 1, Etag: []byte("BwYdemoweb="), Bindings: []*iampb.Binding{
		{Role: "roles/owner", Members: []string{
			"user:dana@example.com",
			"group:web-admins@example.com",
			"serviceAccount:123456789-compute@developer.gserviceaccount.com",
		}},
		{Role: "roles/editor", Members: []string{"user:erin@example.com"}},
	}})
}
