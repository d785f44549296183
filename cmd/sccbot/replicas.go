package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/postgres"
	"github.com/sccbot/sccbot/bot/replica"
	"github.com/sccbot/sccbot/bot/scc"
	"github.com/sccbot/sccbot/playbooks"
)

// Singleton roles: each runs on one replica at a time (sccbot_leader{role}).
const (
	rolePoller   = "poller"
	roleDigests  = "digests"
	roleRequests = "requests"
	roleSilences = "silences"
	roleListings = "listings"
	roleOwed     = "owed"
	// roleEscalation sends the acknowledgement deadlines' reminders and
	// escalations; its stages are claimed in the store as well.
	roleEscalation = "escalation"
)

// replicas is what running several replicas on one PostgreSQL store adds:
// this replica's id and heartbeat, post intents as claims, and a lease per
// singleton. It is nil on SQLite, where one replica runs everything.
type replicas struct {
	id        string
	db        *postgres.DB
	heartbeat *replica.Heartbeat
	claims    *replica.Claims
	takeovers *replica.Metrics
	leaders   *postgres.LeaseMetrics
	log       *slog.Logger
}

// newReplicas returns the replicas wiring when s is PostgreSQL, else nil.
func newReplicas(s store, e env, log *slog.Logger, reg prometheus.Registerer) *replicas {
	db, ok := s.(*postgres.DB)
	if !ok {
		return nil
	}
	id := replica.Name(e.replicaID)
	log = log.With("replica", id)
	r := &replicas{id: id, db: db, takeovers: replica.NewMetrics(reg), leaders: postgres.NewLeaseMetrics(reg),
		log: log}
	r.heartbeat = replica.NewHeartbeat(db, replica.HeartbeatOptions{ID: id, Logger: log.With("component", "heartbeat")})
	r.claims = replica.NewClaims(db, replica.ClaimsOptions{ID: id, Metrics: r.takeovers, Logger: log.With("component", "claims")})
	return r
}

// beat runs the heartbeat until the returned stop is called; stop waits
// until the replica has left (and may be called again). The first beat is
// written before beat returns, so that no claim of this replica is ever
// seen before the replica itself.
func (r *replicas) beat(ctx context.Context) (stop func()) {
	if r == nil {
		return func() {}
	}
	if err := r.db.Heartbeat(ctx, r.id); err != nil {
		r.log.Warn("first heartbeat not recorded; retrying", "err", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = r.heartbeat.Run(ctx) }()
	return func() { cancel(); <-done }
}

// posting is the store the use cases that post use: with replicas, its
// post intents are claims.
func (r *replicas) posting(s store) store {
	if r == nil {
		return s
	}
	return claimedStore{store: s, claims: r.claims}
}

// claimedStore is a store whose BeginIntent and AttemptIntent are the
// claims'.
type claimedStore struct {
	store
	claims *replica.Claims
}

func (s claimedStore) BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	return s.claims.BeginIntent(ctx, in)
}

func (s claimedStore) HeldElsewhere(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	return s.claims.HeldElsewhere(ctx, prefix)
}

func (s claimedStore) AttemptIntent(ctx context.Context, key string) (time.Time, error) {
	return s.claims.AttemptIntent(ctx, key)
}

func (s claimedStore) ReleaseIntent(ctx context.Context, key string) error {
	return s.claims.ReleaseIntent(ctx, key)
}

func (s claimedStore) OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error) {
	return s.claims.OwedIntents(ctx, limit)
}

func (s claimedStore) OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error) {
	return s.claims.OpenIntents(ctx, prefix)
}

// releaseTimeout bounds the release of a singleton's intents at its end.
const releaseTimeout = 2 * time.Second

// releasing runs work and then releases this replica's intents with
// prefix and owed mark: the singleton that posts them is moving on.
func (r *replicas) releasing(prefix string, owed bool, work func(ctx context.Context) error) func(ctx context.Context) error {
	if r == nil {
		return work
	}
	return func(ctx context.Context) error {
		err := work(ctx)
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		r.claims.Release(relCtx, prefix, owed)
		return err
	}
}

// runnerOptions are the response runner's replica options (nil: one
// replica).
func (r *replicas) runnerOptions() *playbooks.ReplicaOptions {
	if r == nil {
		return nil
	}
	return &playbooks.ReplicaOptions{Store: r.db, ID: r.id, DeadAfter: replica.DefaultDeadAfter,
		OnInterrupted: func(bot.ActionRequest) { r.takeovers.TakenOver(replica.KindAction) }}
}

// singleton runs work on one replica at a time, under the role's lease;
// without replicas it runs work as it is.
func (r *replicas) singleton(role string, work func(ctx context.Context) error) func(ctx context.Context) error {
	if r == nil {
		return work
	}
	lease := r.lease(role)
	return func(ctx context.Context) error { return lease.Run(ctx, work) }
}

func (r *replicas) lease(role string) *postgres.Lease {
	return r.db.NewLease(postgres.LeaseOptions{Role: role, Metrics: r.leaders, Logger: r.log.With("component", "lease")})
}

// leasedSource is a source that runs on the replica holding its role.
type leasedSource struct {
	source
	lease *postgres.Lease
}

func (s leasedSource) Run(ctx context.Context, h scc.Handler) error {
	return s.lease.Run(ctx, func(ctx context.Context) error { return s.source.Run(ctx, h) })
}

// singletonSource puts src under role's lease.
func (r *replicas) singletonSource(role string, src source) source {
	if r == nil {
		return src
	}
	return leasedSource{source: src, lease: r.lease(role)}
}
