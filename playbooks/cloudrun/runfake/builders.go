package runfake

import (
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ConditionReady is the condition type that says whether a revision (or a
// service) is ready to serve.
const ConditionReady = "Ready"

// conditionCompleted is the condition type of a finished execution.
const conditionCompleted = "Completed"

// NewService returns a service with a one-container template running
// image and the given traffic; with none, Cloud Run's default: 100% to the
// latest ready revision.
func NewService(name, image string, traffic ...*runpb.TrafficTarget) *runpb.Service {
	if len(traffic) == 0 {
		traffic = []*runpb.TrafficTarget{ToLatest(100)}
	}
	return &runpb.Service{
		Name:       name,
		Uid:        "uid-" + short(name),
		Generation: 1,
		CreateTime: timestamppb.New(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)),
		Ingress:    runpb.IngressTraffic_INGRESS_TRAFFIC_ALL,
		Template: &runpb.RevisionTemplate{
			ServiceAccount: "run-" + short(name) + "@" + project(name) + ".iam.gserviceaccount.com",
			Containers:     []*runpb.Container{{Name: "app", Image: image}},
		},
		Traffic:    traffic,
		Conditions: []*runpb.Condition{succeeded(ConditionReady)},
	}
}

// ToRevision is a traffic target that sends percent to a revision, named
// by its short name as Cloud Run wants.
func ToRevision(revision string, percent int32) *runpb.TrafficTarget {
	return &runpb.TrafficTarget{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
		Revision: revision, Percent: percent}
}

// ToLatest is a traffic target that sends percent to the latest ready
// revision.
func ToLatest(percent int32) *runpb.TrafficTarget {
	return &runpb.TrafficTarget{Type: runpb.TrafficTargetAllocationType_TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST,
		Percent: percent}
}

// ReadyRevision returns a ready revision id of a service (full name),
// running image, created at created.
func ReadyRevision(service, id, image string, created time.Time) *runpb.Revision {
	rev := revision(service, id, image, created)
	rev.Conditions = []*runpb.Condition{succeeded(ConditionReady)}
	return rev
}

// FailedRevision returns a revision whose deployment failed: it is not
// ready and never served.
func FailedRevision(service, id, image string, created time.Time) *runpb.Revision {
	rev := revision(service, id, image, created)
	rev.Conditions = []*runpb.Condition{{Type: ConditionReady, State: runpb.Condition_CONDITION_FAILED,
		Message: "The user-provided container failed to start and listen on the port defined by PORT=8080",
		Reasons: &runpb.Condition_Reason{Reason: runpb.Condition_REVISION_FAILED}}}
	return rev
}

func revision(service, id, image string, created time.Time) *runpb.Revision {
	return &runpb.Revision{
		Name:       RevisionName(service, id),
		Uid:        "uid-" + id,
		Generation: 1,
		CreateTime: timestamppb.New(created),
		Service:    short(service),
		Containers: []*runpb.Container{{Name: "app", Image: image}},
	}
}

// IsReady reports whether a revision is ready to serve: Cloud Run is done
// reconciling it and its Ready condition succeeded.
func IsReady(rev *runpb.Revision) bool {
	if rev.GetReconciling() || rev.GetDeleteTime() != nil {
		return false
	}
	for _, c := range rev.GetConditions() {
		if c.GetType() == ConditionReady {
			return c.GetState() == runpb.Condition_CONDITION_SUCCEEDED
		}
	}
	return false
}

// RunningExecution returns an execution id of a job (full name) started
// at started with running tasks still running.
func RunningExecution(job, id string, started time.Time, running int32) *runpb.Execution {
	return &runpb.Execution{
		Name:         ExecutionName(job, id),
		Uid:          "uid-" + id,
		Job:          short(job),
		CreateTime:   timestamppb.New(started.Add(-2 * time.Second)),
		StartTime:    timestamppb.New(started),
		TaskCount:    running,
		Parallelism:  running,
		RunningCount: running,
		Reconciling:  true,
		Conditions: []*runpb.Condition{{Type: conditionCompleted, State: runpb.Condition_CONDITION_RECONCILING,
			Message: "Execution is running"}},
	}
}

// CompletedExecution returns an execution of a job that succeeded at done.
func CompletedExecution(job, id string, started, done time.Time) *runpb.Execution {
	e := RunningExecution(job, id, started, 1)
	e.RunningCount, e.SucceededCount = 0, 1
	e.Reconciling = false
	e.CompletionTime = timestamppb.New(done)
	e.Conditions = []*runpb.Condition{succeeded(conditionCompleted)}
	return e
}

func succeeded(kind string) *runpb.Condition {
	return &runpb.Condition{Type: kind, State: runpb.Condition_CONDITION_SUCCEEDED}
}

// project is the P of projects/P/...
func project(name string) string {
	loc := locationOf(name)
	if loc == "" {
		return ""
	}
	return parent(loc)[len("projects/"):]
}
