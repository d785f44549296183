package loggingfake_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	logging "cloud.google.com/go/logging/apiv2"
	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/google/go-cmp/cmp"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sccbot/sccbot/bot/cloudlogging/loggingfake"
)

// noRetry turns off the generated client's own retries, so that each
// injected fault is seen once.
var noRetry = gax.WithRetry(func() gax.Retryer { return nil })

func start(t *testing.T) (*loggingfake.Server, *logging.Client) {
	t.Helper()
	fake := loggingfake.New()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := logging.NewClient(context.Background(), fake.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return fake, client
}

// list returns the insert IDs of all entries the real iterator yields.
func list(t *testing.T, c *logging.Client, req *loggingpb.ListLogEntriesRequest) ([]string, error) {
	t.Helper()
	var ids []string
	it := c.ListLogEntries(context.Background(), req, noRetry)
	for {
		e, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return ids, nil
		}
		if err != nil {
			return ids, err
		}
		ids = append(ids, e.GetInsertId())
	}
}

// entry is a text entry in project's stdout log at t0 plus minutes.
func entry(project, id string, minutes int) *loggingpb.LogEntry {
	return &loggingpb.LogEntry{
		LogName:   "projects/" + project + "/logs/stdout",
		InsertId:  id,
		Timestamp: timestamppb.New(t0.Add(time.Duration(minutes) * time.Minute)),
		Payload:   &loggingpb.LogEntry_TextPayload{TextPayload: "line " + id},
	}
}

func addEntries(fake *loggingfake.Server) {
	fake.AddEntries(entry("p", "e3", 3), entry("p", "e1", 1), entry("p", "e2", 2), entry("p", "e4", 4),
		entry("p", "e2b", 2), entry("other", "x1", 1), entry("pp", "x2", 2))
}

func TestListLogEntries(t *testing.T) {
	fake, client := start(t)
	addEntries(fake)
	cases := []struct {
		name string
		req  *loggingpb.ListLogEntriesRequest
		want []string
	}{
		{"scoped to the project, oldest first by default",
			&loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}},
			[]string{"e1", "e2", "e2b", "e3", "e4"}},
		{"newest first",
			&loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}, OrderBy: "timestamp desc"},
			[]string{"e4", "e3", "e2b", "e2", "e1"}},
		{"filtered, paged by two",
			&loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}, OrderBy: "timestamp asc", PageSize: 2,
				Filter: `timestamp>="2026-11-20T10:02:00Z"` + "\n" + `timestamp<="2026-11-20T10:03:00Z"`},
			[]string{"e2", "e2b", "e3"}},
		{"two projects",
			&loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/other", "projects/pp"}},
			[]string{"x1", "x2"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := list(t, client, c.req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListLogEntriesPageSize(t *testing.T) {
	fake, client := start(t)
	addEntries(fake)
	it := client.ListLogEntries(context.Background(),
		&loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}, PageSize: 3}, noRetry)
	entries, next, err := it.InternalFetch(3, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || next == "" {
		t.Fatalf("first page: %d entries, next page token %q; want 3 and a token", len(entries), next)
	}
	entries, next, err = it.InternalFetch(3, next)
	if err != nil || len(entries) != 2 || next != "" {
		t.Fatalf("second page: %d entries, token %q, %v; want 2, no token", len(entries), next, err)
	}
}

// With a page cap the fake returns short pages with a token, and the real
// iterator follows them to the end.
func TestPageCap(t *testing.T) {
	fake, client := start(t)
	addEntries(fake)
	fake.SetPageCap(2)
	got, err := list(t, client, &loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"e1", "e2", "e2b", "e3", "e4"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if n := len(fake.Requests()); n != 3 {
		t.Errorf("%d calls, want 3 pages", n)
	}
}

func TestListLogEntriesRejects(t *testing.T) {
	fake, client := start(t)
	addEntries(fake)
	ok := &loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}, PageSize: 2}
	cases := map[string]*loggingpb.ListLogEntriesRequest{
		"no resource names":      {},
		"organization":           {ResourceNames: []string{"organizations/123"}},
		"bucket view":            {ResourceNames: []string{"projects/p/locations/global/buckets/b/views/v"}},
		"bad filter":             {ResourceNames: []string{"projects/p"}, Filter: `resource.type="a" OR resource.type="b"`},
		"bad order":              {ResourceNames: []string{"projects/p"}, OrderBy: "severity desc"},
		"negative page size":     {ResourceNames: []string{"projects/p"}, PageSize: -1},
		"huge page size":         {ResourceNames: []string{"projects/p"}, PageSize: 1001},
		"garbage page token":     {ResourceNames: []string{"projects/p"}, PageToken: "garbage"},
		"token of another query": {ResourceNames: []string{"projects/p"}, Filter: `insertId="e1"`, PageToken: firstToken(t, client, ok)},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := list(t, client, req)
			if status.Code(err) != codes.InvalidArgument {
				t.Errorf("error %v, want InvalidArgument", err)
			}
		})
	}
}

func firstToken(t *testing.T, c *logging.Client, req *loggingpb.ListLogEntriesRequest) string {
	t.Helper()
	_, next, err := c.ListLogEntries(context.Background(), req, noRetry).InternalFetch(int(req.GetPageSize()), "")
	if err != nil || next == "" {
		t.Fatalf("no page token: %v", err)
	}
	return next
}

func TestFaultInjectionAndRecording(t *testing.T) {
	fake, client := start(t)
	addEntries(fake)
	fake.FailNext(codes.Unavailable, 2)
	req := &loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}}
	for i, want := range []codes.Code{codes.Unavailable, codes.Unavailable, codes.OK} {
		req.Filter = fmt.Sprintf(`insertId="e%d"`, i+1)
		if _, err := list(t, client, req); status.Code(err) != want {
			t.Fatalf("call %d: %v, want %v", i, err, want)
		}
	}
	want := []string{`insertId="e1"`, `insertId="e2"`, `insertId="e3"`}
	if diff := cmp.Diff(want, fake.Filters()); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	reqs := fake.Requests()
	if len(reqs) != 3 || reqs[2].GetResourceNames()[0] != "projects/p" {
		t.Fatalf("requests: %v", reqs)
	}
	reqs[0].Filter = "changed"
	if fake.Filters()[0] != `insertId="e1"` {
		t.Error("Requests returned the fake's own request, not a copy")
	}
}

func TestLatencyEndsWithTheCaller(t *testing.T) {
	fake, client := start(t)
	fake.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := client.ListLogEntries(ctx, &loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}},
		noRetry).InternalFetch(1, "")
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("error %v, want DeadlineExceeded", err)
	}
}

func TestServeAndClose(t *testing.T) {
	fake := loggingfake.New()
	if fake.Addr() != "" {
		t.Errorf("Addr before Serve = %q", fake.Addr())
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- fake.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client, err := logging.NewClient(context.Background(), option.WithGRPCConn(conn))
	if err != nil {
		t.Fatal(err)
	}
	fake.AddEntries(entry("p", "e1", 1))
	if got, err := list(t, client, &loggingpb.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}}); err != nil || len(got) != 1 {
		t.Fatalf("list = %v, %v", got, err)
	}
	fake.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve after Close = %v, want nil", err)
	}
}
