package cloudrun

import (
	"context"
	"errors"
	"fmt"

	run "cloud.google.com/go/run/apiv2"
	"google.golang.org/api/option"
)

// Dial creates the three run/apiv2 clients with copts and a Responder that
// uses them; closeFn closes the clients. For an emulator (RUN_EMULATOR_HOST)
// copts are option.WithEndpoint(host), option.WithoutAuthentication() and
// plaintext gRPC; with none, the clients use Application Default
// Credentials and Google's endpoint.
func Dial(ctx context.Context, opts Options, copts ...option.ClientOption) (r *Responder, closeFn func() error, err error) {
	svcs, err := run.NewServicesClient(ctx, copts...)
	if err != nil {
		return nil, nil, fmt.Errorf("cloud run services client: %w", err)
	}
	revs, err := run.NewRevisionsClient(ctx, copts...)
	if err != nil {
		_ = svcs.Close()
		return nil, nil, fmt.Errorf("cloud run revisions client: %w", err)
	}
	execs, err := run.NewExecutionsClient(ctx, copts...)
	if err != nil {
		_ = svcs.Close()
		_ = revs.Close()
		return nil, nil, fmt.Errorf("cloud run executions client: %w", err)
	}
	closeFn = func() error { return errors.Join(svcs.Close(), revs.Close(), execs.Close()) }
	return New(svcs, revs, execs, opts), closeFn, nil
}
