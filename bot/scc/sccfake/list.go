package sccfake

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/securitycenter/apiv2/securitycenterpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

const (
	defaultPageSize = 10
	maxPageSize     = 1000
)

// ListFindings lists the stored findings under the parent that match the
// filter, ordered and paged like the real API.
func (s *Server) ListFindings(_ context.Context, req *securitycenterpb.ListFindingsRequest) (*securitycenterpb.ListFindingsResponse, error) {
	q, err := parseQuery(req)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	results := s.matching(q)
	slices.SortStableFunc(results, q.compare)
	start, end, next, err := page(q.offset, q.size, len(results), q.fingerprint)
	if err != nil {
		return nil, err
	}
	return &securitycenterpb.ListFindingsResponse{
		ListFindingsResults: results[start:end],
		TotalSize:           int32(len(results)),
		NextPageToken:       next,
	}, nil
}

// pageSize checks a request's page size; zero is the default.
func pageSize(size int32) (int, error) {
	switch {
	case size < 0 || size > maxPageSize:
		return 0, fmt.Errorf("page_size must be between 1 and %d", maxPageSize)
	case size == 0:
		return defaultPageSize, nil
	}
	return int(size), nil
}

// page is the slice [start, end) of total results that a page of size
// from offset holds, and the token of the next page ("" at the end).
func page(offset, size, total int, fingerprint string) (start, end int, next string, err error) {
	if offset > total {
		return 0, 0, "", status.Error(codes.InvalidArgument, "page token is past the end of the results")
	}
	end = min(offset+size, total)
	if end < total {
		next = grpcfake.PageToken(end, fingerprint)
	}
	return offset, end, next, nil
}

// query is a validated ListFindings request.
type query struct {
	parent      sourcePath
	filter      node
	order       []orderKey
	size        int
	offset      int
	fingerprint string
}

func parseQuery(req *securitycenterpb.ListFindingsRequest) (query, error) {
	var q query
	var ok bool
	if q.parent, ok = parseSource(req.GetParent()); !ok {
		return q, fmt.Errorf("invalid parent %q", req.GetParent())
	}
	var err error
	if q.filter, err = parseFilter(req.GetFilter()); err != nil {
		return q, fmt.Errorf("invalid filter: %w", err)
	}
	if q.order, err = parseOrderBy(req.GetOrderBy()); err != nil {
		return q, err
	}
	if q.size, err = pageSize(req.GetPageSize()); err != nil {
		return q, err
	}
	q.fingerprint = grpcfake.Fingerprint(req.GetParent(), req.GetFilter(), req.GetOrderBy())
	if q.offset, err = grpcfake.ParsePageToken(req.GetPageToken(), q.fingerprint); err != nil {
		return q, err
	}
	return q, nil
}

// matching copies the matching findings under the lock, because the
// response is marshalled after the handler returns, when a concurrent
// mutation could otherwise race with it.
func (s *Server) matching(q query) []*securitycenterpb.ListFindingsResponse_ListFindingsResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*securitycenterpb.ListFindingsResponse_ListFindingsResult
	for _, e := range s.findings {
		if q.parent.matches(e) && q.filter.match(e) {
			out = append(out, &securitycenterpb.ListFindingsResponse_ListFindingsResult{
				Finding:  proto.CloneOf(e.f),
				Resource: listResource(e.r),
			})
		}
	}
	return out
}

func listResource(r *securitycenterpb.Resource) *securitycenterpb.ListFindingsResponse_ListFindingsResult_Resource {
	if r == nil {
		return nil
	}
	out := &securitycenterpb.ListFindingsResponse_ListFindingsResult_Resource{
		Name:               r.GetName(),
		DisplayName:        r.GetDisplayName(),
		Type:               r.GetType(),
		CloudProvider:      r.GetCloudProvider(),
		Service:            r.GetService(),
		Location:           r.GetLocation(),
		ResourcePath:       proto.CloneOf(r.GetResourcePath()),
		ResourcePathString: r.GetResourcePathString(),
	}
	if md := r.GetGcpMetadata(); md != nil {
		out.CloudProviderMetadata = &securitycenterpb.ListFindingsResponse_ListFindingsResult_Resource_GcpMetadata{
			GcpMetadata: proto.CloneOf(md),
		}
	}
	return out
}

// orderKey is one "field [desc]" of order_by.
type orderKey struct {
	get  func(f *securitycenterpb.Finding) string
	desc bool
}

func parseOrderBy(s string) ([]orderKey, error) {
	var keys []orderKey
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		fields := strings.Fields(part)
		if len(fields) == 0 || len(fields) > 2 || (len(fields) == 2 && fields[1] != "desc" && fields[1] != "asc") {
			return nil, fmt.Errorf("invalid order_by %q", s)
		}
		get := orderField(fields[0])
		if get == nil {
			return nil, fmt.Errorf("unsupported order_by field %q", fields[0])
		}
		keys = append(keys, orderKey{get: get, desc: len(fields) == 2 && fields[1] == "desc"})
	}
	return keys, nil
}

// orderField returns a sortable string of a field: times as fixed-width
// RFC 3339 so that they sort chronologically.
func orderField(name string) func(f *securitycenterpb.Finding) string {
	switch name {
	case "name":
		return (*securitycenterpb.Finding).GetName
	case "parent":
		return (*securitycenterpb.Finding).GetParent
	case "state":
		return func(f *securitycenterpb.Finding) string { return f.GetState().String() }
	case "category":
		return (*securitycenterpb.Finding).GetCategory
	case "resource_name":
		return (*securitycenterpb.Finding).GetResourceName
	case "event_time":
		return func(f *securitycenterpb.Finding) string { return sortableTime(f.GetEventTime().AsTime().UnixNano()) }
	case "create_time":
		return func(f *securitycenterpb.Finding) string { return sortableTime(f.GetCreateTime().AsTime().UnixNano()) }
	}
	return nil
}

func sortableTime(ns int64) string { return fmt.Sprintf("%020d", ns+1<<62) }

// compare orders by the order_by keys, then by name, so that paging is
// stable.
func (q query) compare(a, b *securitycenterpb.ListFindingsResponse_ListFindingsResult) int {
	for _, k := range q.order {
		c := cmp.Compare(k.get(a.GetFinding()), k.get(b.GetFinding()))
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(a.GetFinding().GetName(), b.GetFinding().GetName())
}
