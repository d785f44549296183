package cloudrun

import (
	"testing"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestDefaultBackoff(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := DefaultBackoff(i + 1); got != w {
			t.Errorf("DefaultBackoff(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := DefaultBackoff(0); got != 500*time.Millisecond {
		t.Errorf("DefaultBackoff(0) = %s", got)
	}
}

func rev(id string, created time.Time, isReady bool) *runpb.Revision {
	r := &runpb.Revision{Name: "projects/p/locations/r/services/s/revisions/" + id}
	if !created.IsZero() {
		r.CreateTime = timestamppb.New(created)
	}
	state := runpb.Condition_CONDITION_FAILED
	if isReady {
		state = runpb.Condition_CONDITION_SUCCEEDED
	}
	r.Conditions = []*runpb.Condition{{Type: conditionReady, State: state}}
	return r
}

func TestLastGoodBefore(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	bad := rev("s-5", day(5), true)
	reconciling := rev("s-4", day(4), true)
	reconciling.Reconciling = true
	revs := []*runpb.Revision{rev("s-1", day(1), true), rev("s-3", day(3), true), reconciling,
		rev("s-2", day(2), false), bad, rev("s-6", day(6), true), rev("s-0", time.Time{}, true)}
	if got := lastGoodBefore(revs, bad); idOf(got.GetName()) != "s-3" {
		t.Errorf("lastGoodBefore = %v, want s-3 (s-4 is reconciling, s-6 is newer)", got.GetName())
	}
	if got := lastGoodBefore(revs, rev("x", time.Time{}, true)); got != nil {
		t.Errorf("a revision without a creation time has no predecessor, got %v", got.GetName())
	}
}

func TestShare(t *testing.T) {
	svc := &runpb.Service{LatestReadyRevision: "projects/p/locations/r/services/s/revisions/s-2"}
	if p, tagged := share(svc, "s-2"); p != 100 || tagged {
		t.Errorf("no traffic means 100%% to latest: got %d %v", p, tagged)
	}
	svc.Traffic = []*runpb.TrafficTarget{{Type: typeRevision, Revision: "s-1", Percent: 60},
		{Type: typeLatest, Percent: 40}, {Type: typeRevision, Revision: "s-2", Tag: "canary"}}
	if p, tagged := share(svc, "s-2"); p != 40 || !tagged {
		t.Errorf("share(s-2) = %d %v, want 40 true", p, tagged)
	}
	if got := soleRevision(svc); got != "" {
		t.Errorf("soleRevision of split traffic = %q", got)
	}
	if got := describeTraffic(svc); got != "60% to s-1, 40% to s-2 (latest), a tag URL to s-2" {
		t.Errorf("describeTraffic = %q", got)
	}
}
