package cloudrun_test

import (
	"context"
	"fmt"
	"log/slog"

	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/playbooks/cloudrun"
	"github.com/sccbot/sccbot/playbooks/cloudrun/runfake"
)

// Wiring: RUN_EMULATOR_HOST points the real clients at an emulator such as
// runfake; without it they reach Google with Application Default
// Credentials.
func ExampleDial() {
	fake := runfake.New()
	if err := fake.Start(); err != nil {
		panic(err)
	}
	defer fake.Close()
	if err := fake.Seed(runfake.SeedCloudRunMaliciousBinary); err != nil {
		panic(err)
	}
	host := fake.Addr() // in sccbot: os.Getenv("RUN_EMULATOR_HOST")

	var copts []option.ClientOption
	if host != "" {
		copts = append(copts, option.WithEndpoint(host), option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	ctx := context.Background()
	r, closeClients, err := cloudrun.Dial(ctx, cloudrun.Options{Logger: slog.New(slog.DiscardHandler)}, copts...)
	if err != nil {
		panic(err)
	}
	defer closeClients()

	f := bot.Finding{Target: bot.Target{Product: bot.ProductCloudRun, Project: "demo-web", Location: "europe-west1",
		Service: "image-resizer", Revision: "image-resizer-00007-kmb"}}
	res, err := r.Execute(ctx, f, bot.ActionCloudRunRollback, false)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Summary)
	// Output: Service image-resizer: 100% of traffic moved to image-resizer-00006-tqd; revision image-resizer-00007-kmb deleted
}
