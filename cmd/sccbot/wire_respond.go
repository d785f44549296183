package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	container "cloud.google.com/go/container/apiv1"
	essentialcontacts "cloud.google.com/go/essentialcontacts/apiv1"
	resourcemanager "cloud.google.com/go/resourcemanager/apiv3"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/evidence"
	"github.com/sccbot/sccbot/bot/owners"
	"github.com/sccbot/sccbot/bot/scc"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers/respond"
	"github.com/sccbot/sccbot/playbooks"
	"github.com/sccbot/sccbot/playbooks/cloudrun"
	"github.com/sccbot/sccbot/playbooks/gke"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
	"github.com/sccbot/sccbot/playbooks/pagerduty"
)

// respond builds the response actions: the responders of every product,
// the policy from the configuration, the runner, and the flow behind the
// buttons (which the caller registers).
func (a *app) respond(ctx context.Context, cfg *config.Config, e env, d deps, dir *slackbot.Directory,
	log *slog.Logger) (*respond.Flow, error) {
	// The owner-lookup clients need Google credentials of their own; a bot
	// that cannot page owners does not build them.
	var lookup playbooks.OwnerLookup
	if cfg.Responses.Actions[bot.ActionPageOwner] != nil {
		var err error
		if lookup, err = a.ownerLookup(ctx, e, log); err != nil {
			return nil, err
		}
	}
	var pager playbooks.Pager
	if e.pagerdutyKey != "" {
		pager = pagerduty.New(e.pagerdutyURL, e.pagerdutyKey, pagerduty.Options{Logger: log.With("component", "pagerduty")})
	}
	responders, err := a.responders(ctx, cfg, e, d, lookup, pager, dir, log)
	if err != nil {
		return nil, err
	}
	policy := playbooks.NewPolicy(rules(cfg.Responses), playbooks.NewGroupCache(dir, time.Minute, time.Now))
	a.runner = playbooks.NewRunner(a.store, policy, responders, playbooks.RunnerOptions{Marks: d.scc,
		Logger: log.With("component", "runner"), Now: a.now, ExecTimeout: time.Duration(cfg.Responses.ExecTimeout),
		Zone: cfg.Display.Location(), Replicas: a.replicas.runnerOptions()})
	fits := func(f bot.Finding) []playbooks.Response { return d.playbooks.Lookup(f).ResponsesFor(f) }
	return respond.NewRespondFlow(a.store, a.outbox, a.outbox, a.runner, policy.Rule, fits, a.cards,
		respond.Options{Owners: lookup, Feed: a.runner.Feed(), Verdicts: a.store, Logger: log.With("component", "respond")}), nil
}

// responders are the adapters that carry out actions, one per product.
func (a *app) responders(ctx context.Context, cfg *config.Config, e env, d deps, lookup playbooks.OwnerLookup,
	pager playbooks.Pager, dir *slackbot.Directory, log *slog.Logger) ([]bot.Responder, error) {
	run, closeRun, err := cloudrun.Dial(ctx, cloudrun.Options{Logger: log.With("component", "cloudrun")}, googleOptions(e.runEmulator)...)
	if err != nil {
		return nil, fmt.Errorf("cloud run clients: %w", err)
	}
	a.closers = append(a.closers, closeRun)
	gke, err := a.gkeResponder(ctx, e, cfg.Evidence, log)
	if err != nil {
		return nil, err
	}
	sccResp := playbooks.NewSCCResponder(d.scc, playbooks.SCCOptions{Pager: pager, Stored: a.store,
		Marks: d.scc, Verdicts: a.store, Now: a.now, Logger: log.With("component", "scc-responder")})
	out := []bot.Responder{gke, run, sccResp, playbooks.NewMuteRuleResponder(d.scc, scc.MuteRuleFor)}
	if lookup != nil {
		out = append(out, playbooks.NewPageResponder(lookup, playbooks.PageResponderOptions{Pager: pager, Messenger: dir,
			Logger: log.With("component", "page")}))
	}
	if cfg.Responses.Actions[bot.ActionCollectEvidence] == nil {
		return out, nil
	}
	ev, err := a.evidence(ctx, cfg.Evidence, e, d,
		map[bot.Product]bot.EvidenceCollector{bot.ProductGKE: gke, bot.ProductCloudRun: run}, log)
	if err != nil {
		return nil, err
	}
	return append(out, ev), nil
}

// evidence is the collect_evidence responder on the evidence bucket.
func (a *app) evidence(ctx context.Context, c config.Evidence, e env, d deps,
	collectors map[bot.Product]bot.EvidenceCollector, log *slog.Logger) (*playbooks.Evidence, error) {
	store, closeStore, err := evidence.Dial(ctx, c.Bucket, evidence.Options{Logger: log.With("component", "evidence")},
		storageOptions(e.storageEmulator)...)
	if err != nil {
		return nil, fmt.Errorf("evidence bucket: %w", err)
	}
	a.closers = append(a.closers, closeStore)
	return playbooks.NewEvidence(store, collectors, playbooks.EvidenceOptions{Logger: log.With("component", "evidence"),
		Now: a.now, BinaryLimit: c.MaxBinaryBytes, LogLines: c.LogLines, Logs: d.logs,
		LogQueries: func(f bot.Finding, start, end time.Time, limit int) []bot.LogQuery {
			qs, _ := d.playbooks.Lookup(f).Queries(f, start, end, limit)
			return qs
		}}), nil
}

// storageOptions point the Cloud Storage client at an emulator (plain
// HTTP, no credentials), as STORAGE_EMULATOR_HOST does for the library.
func storageOptions(host string) []option.ClientOption {
	if host == "" {
		return nil
	}
	if !strings.Contains(host, "://") {
		host = "http://" + host
	}
	return []option.ClientOption{option.WithEndpoint(strings.TrimSuffix(host, "/") + "/storage/v1/"),
		option.WithoutAuthentication()}
}

// ownerLookup finds owners through Essential Contacts and Resource Manager.
func (a *app) ownerLookup(ctx context.Context, e env, log *slog.Logger) (playbooks.OwnerLookup, error) {
	contacts, err := essentialcontacts.NewClient(ctx, googleOptions(e.contactsEmulator)...)
	if err != nil {
		return nil, fmt.Errorf("essential contacts client: %w", err)
	}
	a.closers = append(a.closers, contacts.Close)
	projects, err := resourcemanager.NewProjectsClient(ctx, googleOptions(e.resourceManagerEmulator)...)
	if err != nil {
		return nil, fmt.Errorf("resource manager client: %w", err)
	}
	a.closers = append(a.closers, projects.Close)
	finder := owners.New(contacts, projects, owners.Options{Logger: log.With("component", "owners")})
	return func(ctx context.Context, f bot.Finding) ([]bot.Owner, []string, error) {
		res, err := finder.Owners(ctx, f)
		return res.Owners, res.Notes, err
	}, nil
}

// rules turns the configured actions into the policy's rules. mute_rule
// mutes findings wholesale, so without a rule of its own it takes mute's:
// enabled, requested and approved exactly as mute is.
func rules(rs config.Responses) map[string]playbooks.Rule {
	out := map[string]playbooks.Rule{}
	for action, r := range rs.Actions {
		if r == nil {
			continue
		}
		out[action] = playbooks.Rule{Requesters: r.Requesters, Approvers: r.Approvers,
			Approval: r.Approval == config.ApprovalRequired, TwoPerson: r.TwoPerson,
			Expiry: time.Duration(r.Expiry), DryRun: r.DryRun, RequireEvidence: r.RequireEvidence}
	}
	if mute, ok := out[bot.ActionMute]; ok && rs.Actions[bot.ActionMuteRule] == nil {
		out[bot.ActionMuteRule] = mute
	}
	return out
}

// gkeResponder acts on GKE workloads. KUBECONFIG, when set, names the
// clusters' credentials; otherwise the container API gives each cluster's
// endpoint and CA and Application Default Credentials give the token.
func (a *app) gkeResponder(ctx context.Context, e env, ev config.Evidence, log *slog.Logger) (*gke.Responder, error) {
	opts := gke.Options{Logger: log.With("component", "gke"), DebugImage: ev.DebugImage}
	if e.kubeconfig != "" {
		clusters, err := gke.NewKubeconfigClusters(e.kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("KUBECONFIG: %w", err)
		}
		return gke.New(clusters, opts), nil
	}
	cm, err := container.NewClusterManagerClient(ctx, googleOptions(e.containerEmulator)...)
	if err != nil {
		return nil, fmt.Errorf("container API client: %w", err)
	}
	a.closers = append(a.closers, cm.Close)
	tokens, err := kubeTokens(ctx, e)
	if err != nil {
		return nil, err
	}
	return gke.New(gke.NewContainerClusters(cm, tokens, gke.ContainerClustersOptions{UserAgent: "sccbot/" + version}), opts), nil
}

// kubeTokens is the bearer token source for the clusters' API servers.
// Against the emulator there are no Google credentials, so the fake
// cluster's fixed token stands in.
func kubeTokens(ctx context.Context, e env) (oauth2.TokenSource, error) {
	if e.containerEmulator != "" {
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: gkefake.DefaultToken}), nil
	}
	ts, err := gke.DefaultTokenSource(ctx)
	if err != nil {
		return nil, fmt.Errorf("google credentials for the clusters' API servers: %w", err)
	}
	return ts, nil
}
