package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/bot/postgres"
	slackbot "github.com/sccbot/sccbot/bot/slack"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/handlers"
)

// store is everything the bot asks of its database. The SQLite store (one
// replica) and the PostgreSQL store (several) both provide it, and pass
// the same conformance suite; the use cases each declare the part they
// need.
type store interface {
	Close() error
	Ping(ctx context.Context) error

	PutFinding(ctx context.Context, f bot.Finding) error
	Finding(ctx context.Context, name string) (bot.Finding, error)
	ResolveFinding(ctx context.Context, ref string) (bot.Finding, error)
	FindingSeen(ctx context.Context, name string) (first, last time.Time, err error)
	FindingStatus(ctx context.Context, name string) (bot.FindingStatus, bool, error)
	ListFindings(ctx context.Context, q bot.FindingQuery) ([]bot.Finding, int, error)

	NotificationHandled(ctx context.Context, key bot.NotificationKey) (bool, error)
	Sighting(ctx context.Context, key bot.NotificationKey) (bot.Sighting, error)
	MarkNotification(ctx context.Context, key bot.NotificationKey, outcome string) error
	Notification(ctx context.Context, key bot.NotificationKey) (outcome string, handledAt time.Time, err error)

	Card(ctx context.Context, findingName string) (bot.MessageRef, bool, error)
	PutCard(ctx context.Context, findingName string, ref bot.MessageRef) error
	PutPostedCard(ctx context.Context, key bot.NotificationKey, ref bot.MessageRef, outcome string) error
	BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error)
	Intent(ctx context.Context, key string) (bot.PostIntent, bool, error)
	OweIntent(ctx context.Context, key string) error
	AttemptIntent(ctx context.Context, key string) (time.Time, error)
	EndIntent(ctx context.Context, key string) error
	OwedIntents(ctx context.Context, limit int) ([]bot.PostIntent, error)
	OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error)
	FindingByCard(ctx context.Context, ref bot.MessageRef) (bot.Finding, error)

	Cursor(ctx context.Context, key string) (string, bool, error)
	PutCursor(ctx context.Context, key, value string) error
	RecordRejected(ctx context.Context, r bot.Rejected) error
	Rejected(ctx context.Context, limit int) ([]bot.Rejected, error)
	CountRejected(ctx context.Context) (int, error)

	CreateRequest(ctx context.Context, r bot.ActionRequest) (stored bot.ActionRequest, created bool, err error)
	Request(ctx context.Context, id string) (bot.ActionRequest, error)
	TransitionRequest(ctx context.Context, id string, from []bot.RequestState, to bot.RequestState,
		update func(*bot.ActionRequest)) (bot.ActionRequest, bool, error)
	SetRequestMessage(ctx context.Context, id string, ref bot.MessageRef) error
	ExpiredRequests(ctx context.Context, now time.Time) ([]bot.ActionRequest, error)
	StaleRunning(ctx context.Context, before time.Time) ([]bot.ActionRequest, error)
	RequestsForFinding(ctx context.Context, finding string) ([]bot.ActionRequest, error)
	AppendAudit(ctx context.Context, ev bot.AuditEvent) error
	Audit(ctx context.Context, since time.Time, fn func(bot.AuditEvent) error) error
	AuditForFinding(ctx context.Context, finding string) ([]bot.AuditEvent, error)

	CreateGroup(ctx context.Context, g bot.Group) error
	SetGroupCard(ctx context.Context, groupID string, ref bot.MessageRef) error
	OpenGroup(ctx context.Context, key string) (bot.Group, bool, error)
	GroupOf(ctx context.Context, findingName string) (bot.Group, bool, error)
	JoinGroup(ctx context.Context, groupID string, f bot.Finding, breakout bool) (bot.Group, error)
	CloseGroup(ctx context.Context, groupID string) error
	UnlistedMembers(ctx context.Context, groupID string, limit int) ([]bot.Finding, error)
	MarkListed(ctx context.Context, groupID string, names []string) error
	GroupsWithUnlisted(ctx context.Context) ([]bot.Group, error)
	StormThread(ctx context.Context, channel string) (bot.MessageRef, time.Time, bool, error)
	PutStormThread(ctx context.Context, ref bot.MessageRef, at time.Time) error
	CreateSilence(ctx context.Context, s bot.Silence) error
	ActiveSilences(ctx context.Context, now time.Time) ([]bot.Silence, error)
	Silence(ctx context.Context, id string) (bot.Silence, error)
	RemoveSilence(ctx context.Context, id, by string) (bot.Silence, error)
	ExpiredSilences(ctx context.Context, now time.Time) ([]bot.Silence, error)

	Ack(ctx context.Context, findingName, user string) (by string, at time.Time, first bool, err error)
	AckOf(ctx context.Context, findingName string) (by string, at time.Time, ok bool, err error)
	CountFindings(ctx context.Context, bounds []time.Time) ([]int, error)
	FindingGroups(ctx context.Context, by string, prevFrom, from, to time.Time, limit int) (top []struct {
		Key      string
		Count    int
		Previous int
	}, groups int, err error)
	UnacknowledgedFindings(ctx context.Context, since, before time.Time, limit int) ([]bot.Finding, int, error)
	ActionCounts(ctx context.Context, from, to time.Time) ([]struct {
		Action      string
		RequestedBy string
		DecidedBy   string
		Count       int
	}, error)
	MeanTimeToAck(ctx context.Context, from, to time.Time) (n int, mean time.Duration, err error)
	MeanTimeToContain(ctx context.Context, actions []string, from, to time.Time) (n int, mean time.Duration, err error)
	FindingsWithOutcome(ctx context.Context, outcome string, from, to time.Time) (int, error)
	ClaimDigest(ctx context.Context, schedule string, runAt time.Time, channel string) (bool, error)
	DigestPosted(ctx context.Context, schedule string, runAt time.Time, ref bot.MessageRef) error
	ReleaseDigest(ctx context.Context, schedule string, runAt time.Time) error
	LastDigest(ctx context.Context, schedule string) (time.Time, bool, error)
	AckPercentiles(ctx context.Context, from, to time.Time) ([]struct {
		Severity string
		Acks     int
		P50, P90 time.Duration
	}, error)

	SetVerdict(ctx context.Context, r bot.VerdictRecord) error
	VerdictOf(ctx context.Context, finding string) (bot.VerdictRecord, bool, error)
	VerdictCounts(ctx context.Context, since, until time.Time) ([]bot.VerdictCount, error)
	ClaimDeadline(ctx context.Context, finding string, stage bot.DeadlineStage, at time.Time) (bool, error)
	DeadlineEvents(ctx context.Context, since, until time.Time) ([]bot.DeadlineEvent, error)
	PendingAcks(ctx context.Context, postedAfter time.Time) ([]bot.PendingAck, error)
	DigestRun(ctx context.Context, schedule string, runAt time.Time) (bot.MessageRef, bool, error)
}

var (
	_ store = (*sqlite.DB)(nil)
	_ store = (*postgres.DB)(nil)
)

// openStore opens the store the configuration names. Its errors say which
// store, never the connection URL (it may hold a password).
func openStore(ctx context.Context, s config.Store, e env) (store, error) {
	if s.Driver == config.StorePostgres {
		db, err := openPostgres(ctx, s, e)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := sqlite.Open(ctx, s.Path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", s.Path, err)
	}
	return db, nil
}

// sharedPace is the store the replicas share Slack's pace through: the
// PostgreSQL store, which several replicas use. On SQLite (one replica)
// the outbox keeps its buckets in memory; nil says so.
func sharedPace(st store) slackbot.PaceStore {
	if db, ok := st.(*postgres.DB); ok {
		return db
	}
	return nil
}

// cardLock is the card lock replicas share: the PostgreSQL store's advisory
// locks; nil for SQLite (one replica).
func cardLock(st store) handlers.CardLocker {
	if db, ok := st.(*postgres.DB); ok {
		return db
	}
	return nil
}

// openPostgres opens the PostgreSQL store: the URL in the environment, or
// the Cloud SQL instance of the configuration.
func openPostgres(ctx context.Context, s config.Store, e env) (*postgres.DB, error) {
	opts := postgres.Options{URL: e.databaseURL}
	where := "at " + config.EnvDatabaseURL
	if s.CloudSQLInstance != "" {
		opts = postgres.Options{CloudSQL: &postgres.CloudSQL{Instance: s.CloudSQLInstance, User: s.CloudSQLUser,
			Database: s.CloudSQLDatabase}}
		where = "on Cloud SQL instance " + s.CloudSQLInstance
	}
	db, err := postgres.Open(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL store %s: %w", where, err)
	}
	return db, nil
}
