package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	container "cloud.google.com/go/container/apiv1"
	logging "cloud.google.com/go/logging/apiv2"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	runapi "cloud.google.com/go/run/apiv2"
	securitycenter "cloud.google.com/go/securitycenter/apiv2"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/cloudlogging"
	"github.com/sccbot/sccbot/bot/owners"
	"github.com/sccbot/sccbot/bot/scc"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/playbooks/cloudrun"
	"github.com/sccbot/sccbot/playbooks/gke"
)

// Deadlines of the self-check: doctor waits for slow answers; run only
// briefly, since an unreachable source is reported by /readyz anyway.
const (
	doctorTimeout  = 30 * time.Second
	startupTimeout = 5 * time.Second
)

// cmdDoctor is `sccbot doctor --config FILE`: it checks that everything
// the configuration uses is reachable and permitted, prints a table, and
// fails (exit 2) when anything failed.
func cmdDoctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	path, err := configFlag("doctor", args, stderr)
	if err != nil {
		return err
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		return usageError{err}
	}
	results := selfCheck(ctx, cfg, getenv, doctorTimeout)
	printChecks(stdout, results)
	if n := count(results, bot.CheckFail); n > 0 {
		return usageError{fmt.Errorf("%d check(s) failed", n)}
	}
	return nil
}

// startupCheck is the self-check of sccbot run: what blocks the bot (a
// refused token, a missing subscription) stops the start, naming the
// variable or resource; everything else is logged as a warning.
func startupCheck(ctx context.Context, cfg *config.Config, getenv func(string) string, log *slog.Logger) error {
	var blocking []string
	for _, r := range selfCheck(ctx, cfg, getenv, startupTimeout) {
		switch {
		case r.Status == bot.CheckFail && r.Blocks:
			blocking = append(blocking, r.Name+": "+r.Detail)
		case r.Status != bot.CheckOK:
			log.Warn("self-check: "+r.Name, "check", r.Name, "status", r.Status, "detail", r.Detail)
		default:
			log.Info("self-check: "+r.Name, "check", r.Name, "detail", r.Detail)
		}
	}
	if len(blocking) > 0 {
		return usageError{fmt.Errorf("cannot start (sccbot doctor --config FILE checks everything):\n  %s", strings.Join(blocking, "\n  "))}
	}
	return nil
}

// selfCheck runs every check the configuration calls for, each within
// timeout.
func selfCheck(ctx context.Context, cfg *config.Config, getenv func(string) string, timeout time.Duration) []bot.CheckResult {
	var out []bot.CheckResult
	for _, p := range config.CheckEnv(getenv) {
		out = append(out, bot.CheckResult{Name: p.Path, Status: bot.CheckFail, Detail: p.Message, Blocks: true})
	}
	e := readEnv(getenv)
	if len(out) == 0 {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		out = append(out, slackbot.SelfCheck(cctx, slackClient(e), channelUses(cfg))...)
		cancel()
	}
	return append(out, googleChecks(ctx, cfg, e, timeout)...)
}

// channelUses lists every channel the configuration posts to.
func channelUses(cfg *config.Config) []slackbot.ChannelUse {
	uses := []slackbot.ChannelUse{{Channel: cfg.Slack.DefaultChannel, Where: "slack.default_channel"}}
	for i, r := range cfg.Routes {
		uses = append(uses, slackbot.ChannelUse{Channel: r.Channel, Where: "routes[" + strconv.Itoa(i) + "].channel"})
	}
	for i, s := range cfg.Digests.Schedules {
		uses = append(uses, slackbot.ChannelUse{Channel: s.Channel, Where: "digests.schedules[" + strconv.Itoa(i) + "].channel"})
	}
	return uses
}

// googleChecks checks the sources and the Logging API.
func googleChecks(ctx context.Context, cfg *config.Config, e env, timeout time.Duration) []bot.CheckResult {
	var out []bot.CheckResult
	check := func(fn func(ctx context.Context) []bot.CheckResult) {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		out = append(out, fn(cctx)...)
	}
	if ps := cfg.Sources.PubSub; ps != nil {
		check(func(ctx context.Context) []bot.CheckResult {
			client, err := pubsubClient(ctx, ps.Subscription, e)
			if err != nil {
				return []bot.CheckResult{clientFailed("Pub/Sub", err)}
			}
			defer client.Close() //nolint:errcheck // a read-only check's client
			return scc.CheckSubscription(ctx, client, ps.Subscription)
		})
	}
	if p := cfg.Sources.Poll; p != nil {
		check(func(ctx context.Context) []bot.CheckResult {
			client, err := securitycenter.NewClient(ctx, googleOptions(e.sccEmulator)...)
			if err != nil {
				return []bot.CheckResult{clientFailed("Security Command Center", err)}
			}
			defer client.Close() //nolint:errcheck // a read-only check's client
			return []bot.CheckResult{scc.CheckParent(ctx, client, p.Parent)}
		})
	}
	project := checkProject(cfg)
	if project == "" {
		out = append(out, bot.CheckResult{Name: "Cloud Run, GKE and action permissions", Status: bot.CheckWarn,
			Detail: "not checked: no project to ask about (the subscription's, or a projects/ poll parent)"})
	} else {
		check(func(ctx context.Context) []bot.CheckResult { return projectChecks(ctx, cfg, e, project) })
	}
	if resource := logResource(cfg); resource != "" {
		check(func(ctx context.Context) []bot.CheckResult {
			client, err := logging.NewClient(ctx, googleOptions(e.loggingEmulator)...)
			if err != nil {
				return []bot.CheckResult{clientFailed("Cloud Logging", err)}
			}
			defer client.Close() //nolint:errcheck // a read-only check's client
			return []bot.CheckResult{cloudlogging.CheckAPI(ctx, client, resource, time.Now())}
		})
	}
	return out
}

// actionPermissions are the IAM permissions each response action needs on
// the workload's project.
var actionPermissions = map[string][]string{
	bot.ActionIsolatePod:              {"container.pods.update", "container.networkPolicies.create"},
	bot.ActionDeletePod:               {"container.pods.delete"},
	bot.ActionCordonNode:              {"container.nodes.update"},
	bot.ActionCloudRunRollback:        {"run.services.update", "run.revisions.delete"},
	bot.ActionCloudRunCancelExecution: {"run.executions.cancel"},
	bot.ActionPageOwner:               {"essentialcontacts.contacts.list", "resourcemanager.projects.getIamPolicy"},
	bot.ActionMute:                    {"securitycenter.findings.setMute"},
	bot.ActionResolve:                 {"securitycenter.findings.setState"},
}

// projectChecks asks Cloud Run, the container API and Resource Manager
// (for the configured actions' permissions) about project.
func projectChecks(ctx context.Context, cfg *config.Config, e env, project string) []bot.CheckResult {
	var out []bot.CheckResult
	if svcs, err := runapi.NewServicesClient(ctx, googleOptions(e.runEmulator)...); err != nil {
		out = append(out, clientFailed("Cloud Run", err))
	} else {
		out = append(out, cloudrun.CheckAPI(ctx, svcs, project))
		_ = svcs.Close()
	}
	if cm, err := container.NewClusterManagerClient(ctx, googleOptions(e.containerEmulator)...); err != nil {
		out = append(out, clientFailed("container API", err))
	} else {
		out = append(out, gke.CheckAPI(ctx, cm, project))
		_ = cm.Close()
	}
	needs := map[string][]string{}
	for action, rule := range cfg.Responses.Actions {
		if rule != nil && actionPermissions[action] != nil {
			needs[action] = actionPermissions[action]
		}
	}
	if len(needs) == 0 {
		return out
	}
	projects, err := resourcemanager.NewProjectsClient(ctx, googleOptions(e.resourceManagerEmulator)...)
	if err != nil {
		return append(out, clientFailed("Resource Manager", err))
	}
	defer projects.Close() //nolint:errcheck // a read-only check's client
	return append(out, owners.CheckPermissions(ctx, projects, project, needs)...)
}

// checkProject is the project the API checks ask about: the
// subscription's, else the poller's parent when it is a project.
func checkProject(cfg *config.Config) string {
	if ps := cfg.Sources.PubSub; ps != nil {
		if project, err := projectOfSubscription(ps.Subscription); err == nil {
			return project
		}
	}
	if p := cfg.Sources.Poll; p != nil {
		if id, ok := strings.CutPrefix(p.Parent, "projects/"); ok {
			return strings.SplitN(id, "/", 2)[0]
		}
	}
	return ""
}

// logResource is where to try a log query: the subscription's project,
// else the poller's organization, folder or project.
func logResource(cfg *config.Config) string {
	if ps := cfg.Sources.PubSub; ps != nil {
		if project, err := projectOfSubscription(ps.Subscription); err == nil {
			return "projects/" + project
		}
	}
	if p := cfg.Sources.Poll; p != nil {
		if parts := strings.SplitN(p.Parent, "/", 3); len(parts) >= 2 {
			return parts[0] + "/" + parts[1]
		}
	}
	return ""
}

// clientFailed is a client that could not even be built, which almost
// always means missing Google credentials.
func clientFailed(api string, err error) bot.CheckResult {
	detail := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		detail = "timed out"
	}
	return bot.CheckResult{Name: api + " client", Status: bot.CheckFail, Blocks: true,
		Detail: detail + " (Application Default Credentials, or the API's *_EMULATOR_HOST)"}
}

// printChecks writes the results as a table, failures and warnings
// easy to spot.
func printChecks(w io.Writer, rs []bot.CheckResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tDETAIL")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Status, r.Name, r.Detail)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%d ok, %d warning(s), %d failure(s)\n", count(rs, bot.CheckOK), count(rs, bot.CheckWarn), count(rs, bot.CheckFail))
}

func count(rs []bot.CheckResult, status string) int {
	n := 0
	for _, r := range rs {
		if r.Status == status {
			n++
		}
	}
	return n
}
