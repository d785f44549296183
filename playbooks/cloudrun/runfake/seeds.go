package runfake

import (
	"fmt"
	"time"

	"cloud.google.com/go/run/apiv2/runpb"
)

// The Cloud Run side of the seed findings (bot/scc/sccfake/seeds): the
// same project, region, services and compromised revisions, each with an
// earlier revision to roll back to. The names are copied rather than
// imported because adapters do not import each other.
const (
	SeedProject  = "demo-web"
	SeedLocation = "europe-west1"

	// SeedCloudRunCompiler is the Cloud Run side of the "Launch Code
	// Compiler Tool In Container" seed: checkout-api, whose latest
	// revision 00042-xuz serves all traffic through LATEST; 00041-gol
	// failed to deploy, so the last good revision is 00040-bex.
	SeedCloudRunCompiler = "run-compiler"
	CheckoutService      = "checkout-api"
	CheckoutGood         = "checkout-api-00040-bex"
	CheckoutFailed       = "checkout-api-00041-gol"
	CheckoutCompromised  = "checkout-api-00042-xuz"

	// SeedCloudRunMaliciousBinary is the Cloud Run side of the "Built in
	// Malicious Binary Executed" seed: image-resizer, with 100% of its
	// traffic pinned to revision 00007-kmb; 00006-tqd came before it.
	SeedCloudRunMaliciousBinary = "run-malicious-binary"
	ResizerService              = "image-resizer"
	ResizerGood                 = "image-resizer-00006-tqd"
	ResizerCompromised          = "image-resizer-00007-kmb"

	// SeedJobExecutions is a job for the cancel action: nightly-export
	// with two running executions and one that completed.
	SeedJobExecutions = "run-job-executions"
	ExportJob         = "nightly-export"
	ExportRunningOld  = "nightly-export-q9m4d"
	ExportRunningNew  = "nightly-export-7xk2p"
	ExportCompleted   = "nightly-export-b3c8h"
)

const (
	imageRepo        = "europe-west1-docker.pkg.dev/demo-web/services/"
	checkoutBadImage = imageRepo + "checkout-api@sha256:8d2f6a1c0b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c"
	checkoutOldImage = imageRepo + "checkout-api@sha256:1b7c3e9d5f2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e"
	checkoutBroken   = imageRepo + "checkout-api@sha256:5e3a1c9b7d5f3e1a9c7b5d3f1e9a7c5b3d1f9e7a5c3b1d9f7e5a3c1b9d7f5e3a"
	resizerBadImage  = imageRepo + "image-resizer@sha256:c0ffee5a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a"
	resizerOldImage  = imageRepo + "image-resizer@sha256:7a2d4f6b8c0e1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c"
	exportImage      = imageRepo + "nightly-export@sha256:3c5e7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c3a5b7d9f1e3c5a7b9d1f3e5c"
)

// SeedKeys lists the seed scenarios, in a fixed order.
func SeedKeys() []string {
	return []string{SeedCloudRunCompiler, SeedCloudRunMaliciousBinary, SeedJobExecutions}
}

// Seed loads one scenario into the fake, replacing resources of the same
// names.
func (s *Server) Seed(key string) error {
	switch key {
	case SeedCloudRunCompiler:
		return s.seedCheckout()
	case SeedCloudRunMaliciousBinary:
		return s.seedResizer()
	case SeedJobExecutions:
		return s.seedExportJob()
	}
	return fmt.Errorf("runfake: unknown seed %q", key)
}

// SeedAll loads every scenario.
func (s *Server) SeedAll() error {
	for _, k := range SeedKeys() {
		if err := s.Seed(k); err != nil {
			return err
		}
	}
	return nil
}

// at is a UTC time in November 2026, when the seed findings happened.
func at(day, hour, minute, second int) time.Time {
	return time.Date(2026, time.November, day, hour, minute, second, 0, time.UTC)
}

func (s *Server) seedCheckout() error {
	name := ServiceName(SeedProject, SeedLocation, CheckoutService)
	svc := NewService(name, checkoutBadImage)
	svc.Uri = "https://checkout-api-7qk3xg5zla-ew.a.run.app"
	return s.addAll(svc,
		ReadyRevision(name, CheckoutGood, checkoutOldImage, at(10, 14, 22, 31)),
		FailedRevision(name, CheckoutFailed, checkoutBroken, at(13, 16, 5, 10)),
		ReadyRevision(name, CheckoutCompromised, checkoutBadImage, at(20, 8, 30, 41)))
}

func (s *Server) seedResizer() error {
	name := ServiceName(SeedProject, SeedLocation, ResizerService)
	svc := NewService(name, resizerBadImage, ToRevision(ResizerCompromised, 100))
	svc.Uri = "https://image-resizer-3kq5yqhw4a-ew.a.run.app"
	return s.addAll(svc,
		ReadyRevision(name, ResizerGood, resizerOldImage, at(6, 10, 14, 2)),
		ReadyRevision(name, ResizerCompromised, resizerBadImage, at(20, 11, 40, 5)))
}

func (s *Server) addAll(svc *runpb.Service, revs ...*runpb.Revision) error {
	if err := s.AddService(svc); err != nil {
		return err
	}
	for _, r := range revs {
		if err := s.AddRevision(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) seedExportJob() error {
	job := JobName(SeedProject, SeedLocation, ExportJob)
	execs := []*runpb.Execution{
		CompletedExecution(job, ExportCompleted, at(19, 2, 0, 4), at(19, 2, 14, 39)),
		RunningExecution(job, ExportRunningOld, at(20, 2, 0, 7), 4),
		RunningExecution(job, ExportRunningNew, at(20, 11, 30, 2), 2),
	}
	for _, e := range execs {
		e.Template = &runpb.TaskTemplate{Containers: []*runpb.Container{{Name: "export", Image: exportImage}}}
		if err := s.AddExecution(e); err != nil {
			return err
		}
	}
	return nil
}
