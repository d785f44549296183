package ownersfake

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cloud.google.com/go/essentialcontacts/apiv1/essentialcontactspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// contactsService serves google.cloud.essentialcontacts.v1.EssentialContactsService.
type contactsService struct {
	essentialcontactspb.UnimplementedEssentialContactsServiceServer
	s *Server
}

// NewContact returns a valid contact with the address and categories, in
// English, for AddContact.
func NewContact(email string, categories ...essentialcontactspb.NotificationCategory) *essentialcontactspb.Contact {
	return &essentialcontactspb.Contact{
		Email:                             email,
		NotificationCategorySubscriptions: categories,
		LanguageTag:                       "en",
		ValidationState:                   essentialcontactspb.ValidationState_VALID,
	}
}

// AddContact stores a copy of c on the resource (a name or alias; an
// unknown name becomes a root resource) and returns the contact's name,
// {resource}/contacts/{n}, which it assigns when c has none.
func (s *Server) AddContact(resource string, c *essentialcontactspb.Contact) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c = proto.CloneOf(c)
	if c.GetName() == "" {
		s.nextID++
		name, _, _ := s.lookupLocked(resource)
		c.Name = fmt.Sprintf("%s/contacts/%d", name, s.nextID)
	}
	r := s.resourceLocked(resource)
	r.contacts = append(r.contacts, c)
	return c.GetName()
}

// ComputeContacts returns the contacts of the resource and of every
// ancestor, nearest first, that subscribe to one of the requested
// categories or to ALL; ALL among the requested categories matches every
// subscription. The parent must have the documented form; an unknown
// resource is PermissionDenied, as Google answers for resources a caller
// cannot see. Pages are page_size long (default 100).
func (c contactsService) ComputeContacts(_ context.Context, req *essentialcontactspb.ComputeContactsRequest) (*essentialcontactspb.ComputeContactsResponse, error) {
	if err := checkComputeRequest(req); err != nil {
		return nil, err
	}
	offset, err := pageOffset(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	all, err := c.s.computeContacts(req.GetParent(), req.GetNotificationCategories())
	if err != nil {
		return nil, err
	}
	return page(all, offset, int(req.GetPageSize())), nil
}

func checkComputeRequest(req *essentialcontactspb.ComputeContactsRequest) error {
	kind, id, ok := strings.Cut(req.GetParent(), "/")
	if !ok || id == "" || strings.Contains(id, "/") ||
		(kind != "projects" && kind != "folders" && kind != "organizations") {
		return status.Errorf(codes.InvalidArgument,
			"parent must be organizations/{id}, folders/{id} or projects/{id}, got %q", req.GetParent())
	}
	cats := req.GetNotificationCategories()
	if len(cats) == 0 {
		return status.Error(codes.InvalidArgument, "notification_categories must not be empty")
	}
	if slices.Contains(cats, essentialcontactspb.NotificationCategory_NOTIFICATION_CATEGORY_UNSPECIFIED) {
		return status.Error(codes.InvalidArgument, "notification_categories must not contain NOTIFICATION_CATEGORY_UNSPECIFIED")
	}
	return nil
}

func (s *Server) computeContacts(parent string, cats []essentialcontactspb.NotificationCategory) ([]*essentialcontactspb.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, r, ok := s.lookupLocked(parent)
	if !ok {
		return nil, status.Errorf(codes.PermissionDenied,
			"Permission 'essentialcontacts.contacts.list' denied on resource '%s' (or it may not exist)", parent)
	}
	var out []*essentialcontactspb.Contact
	for seen := map[string]bool{}; ok && !seen[name]; name, r, ok = s.lookupLocked(r.parent) {
		seen[name] = true // a cycle in a badly configured fake must not hang it
		for _, c := range r.contacts {
			if subscribed(c, cats) {
				out = append(out, proto.CloneOf(c))
			}
		}
	}
	return out, nil
}

func subscribed(c *essentialcontactspb.Contact, cats []essentialcontactspb.NotificationCategory) bool {
	subs := c.GetNotificationCategorySubscriptions()
	if slices.Contains(cats, essentialcontactspb.NotificationCategory_ALL) {
		return len(subs) > 0
	}
	if slices.Contains(subs, essentialcontactspb.NotificationCategory_ALL) {
		return true
	}
	return slices.ContainsFunc(subs, func(s essentialcontactspb.NotificationCategory) bool {
		return slices.Contains(cats, s)
	})
}

// pageOffset decodes a page token: the decimal offset of the next item.
func pageOffset(token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 0 {
		return 0, status.Errorf(codes.InvalidArgument, "invalid page_token %q", token)
	}
	return n, nil
}

func page(all []*essentialcontactspb.Contact, offset, size int) *essentialcontactspb.ComputeContactsResponse {
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	offset = min(offset, len(all))
	end := min(offset+size, len(all))
	resp := &essentialcontactspb.ComputeContactsResponse{Contacts: all[offset:end]}
	if end < len(all) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp
}
