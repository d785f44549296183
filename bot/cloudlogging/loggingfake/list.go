package loggingfake

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/sccbot/sccbot/internal/grpcfake"
)

// The real API's page size default and limit.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// ListLogEntries lists the stored entries under the resource names that
// match the filter, ordered and paged like the real API.
func (s *Server) ListLogEntries(_ context.Context, req *loggingpb.ListLogEntriesRequest) (*loggingpb.ListLogEntriesResponse, error) {
	q, err := parseQuery(req)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	results := s.matching(q)
	slices.SortStableFunc(results, q.compare)
	if q.offset > len(results) {
		return nil, status.Error(codes.InvalidArgument, "page token is past the end of the results")
	}
	end := min(q.offset+s.cappedPageSize(q.size), len(results))
	resp := &loggingpb.ListLogEntriesResponse{Entries: results[q.offset:end]}
	if end < len(results) {
		resp.NextPageToken = grpcfake.PageToken(end, q.fingerprint)
	}
	return resp, nil
}

// query is a validated ListLogEntries request.
type query struct {
	prefixes    []string // "projects/P/logs/" of each resource name
	filter      *Filter
	desc        bool
	size        int
	offset      int
	fingerprint string
}

func parseQuery(req *loggingpb.ListLogEntriesRequest) (query, error) {
	var q query
	var err error
	if q.prefixes, err = parseResourceNames(req.GetResourceNames()); err != nil {
		return q, err
	}
	if q.filter, err = ParseFilter(req.GetFilter()); err != nil {
		return q, fmt.Errorf("invalid filter: %w", err)
	}
	if q.desc, err = parseOrderBy(req.GetOrderBy()); err != nil {
		return q, err
	}
	switch size := req.GetPageSize(); {
	case size < 0 || size > maxPageSize:
		return q, fmt.Errorf("page_size must be between 0 and %d", maxPageSize)
	case size == 0:
		q.size = defaultPageSize
	default:
		q.size = int(size)
	}
	q.fingerprint = grpcfake.Fingerprint(strings.Join(req.GetResourceNames(), ","), req.GetFilter(), req.GetOrderBy())
	q.offset, err = grpcfake.ParsePageToken(req.GetPageToken(), q.fingerprint)
	return q, err
}

// parseResourceNames accepts projects/P only; the real API also takes
// organizations, folders, billing accounts and log views.
func parseResourceNames(names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("resource_names is required")
	}
	prefixes := make([]string, len(names))
	for i, n := range names {
		p, ok := strings.CutPrefix(n, "projects/")
		if !ok || p == "" || strings.ContainsAny(p, "/ \n") {
			return nil, fmt.Errorf("unsupported resource name %q (loggingfake takes projects/PROJECT_ID)", n)
		}
		prefixes[i] = n + "/logs/"
	}
	return prefixes, nil
}

func parseOrderBy(s string) (desc bool, err error) {
	switch strings.Join(strings.Fields(s), " ") {
	case "", "timestamp", "timestamp asc":
		return false, nil
	case "timestamp desc":
		return true, nil
	}
	return false, fmt.Errorf("invalid order_by %q: only timestamp asc and timestamp desc are allowed", s)
}

// matching copies the matching entries under the lock, because the
// response is marshalled after the handler returns, when a concurrent
// AddEntries could otherwise race with it.
func (s *Server) matching(q query) []*loggingpb.LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*loggingpb.LogEntry
	for _, e := range s.entries {
		if q.inScope(e) && q.filter.Match(e) {
			out = append(out, proto.CloneOf(e))
		}
	}
	return out
}

func (q query) inScope(e *loggingpb.LogEntry) bool {
	for _, p := range q.prefixes {
		if strings.HasPrefix(e.GetLogName(), p) {
			return true
		}
	}
	return false
}

// compare orders by timestamp, then by insert ID as Cloud Logging does for
// equal timestamps, so that paging is stable; desc reverses both.
func (q query) compare(a, b *loggingpb.LogEntry) int {
	c := a.GetTimestamp().AsTime().Compare(b.GetTimestamp().AsTime())
	if c == 0 {
		c = cmp.Compare(a.GetInsertId(), b.GetInsertId())
	}
	if q.desc {
		return -c
	}
	return c
}
