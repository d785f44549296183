package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// SilenceStore is what silences need from the store.
type SilenceStore interface {
	CreateSilence(ctx context.Context, s bot.Silence) error
	ActiveSilences(ctx context.Context, now time.Time) ([]bot.Silence, error)
	Silence(ctx context.Context, id string) (bot.Silence, error)
	RemoveSilence(ctx context.Context, id, by string) (bot.Silence, error)
	ExpiredSilences(ctx context.Context, now time.Time) ([]bot.Silence, error)
}

// Silence limits: long enough for a maintenance window, short enough that
// a forgotten silence ends.
const (
	shortestSilence = 5 * time.Minute
	longestSilence  = 30 * 24 * time.Hour
	// silenceCacheTTL bounds how long a change made by another replica
	// takes to apply; this replica's own changes apply at once.
	silenceCacheTTL = 15 * time.Second
)

// Audit events of silences.
const (
	AuditSilenceCreated = "silence_created"
	AuditSilenceRemoved = "silence_removed"
	AuditSilenceExpired = "silence_expired"
)

// Silences creates, removes and applies silences, and writes every change
// to the audit log.
type Silences struct {
	store SilenceStore
	audit handlers.Auditor
	log   *slog.Logger
	now   func() time.Time

	mu     sync.Mutex
	active []bot.Silence
	loaded time.Time
}

// SilencesOptions are the optional collaborators of Silences.
type SilencesOptions struct {
	// Audit records who created and removed silences; nil records nothing.
	Audit  handlers.Auditor
	Logger *slog.Logger
	// Now is the clock silences expire by (default time.Now).
	Now func() time.Time
}

// NewSilences returns Silences kept in store.
func NewSilences(store SilenceStore, opts SilencesOptions) *Silences {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Silences{store: store, audit: opts.Audit, log: opts.Logger, now: opts.Now}
}

// Matching returns the active silence that matches f, if any.
func (s *Silences) Matching(ctx context.Context, f bot.Finding) (bot.Silence, bool, error) {
	active, err := s.Active(ctx)
	if err != nil {
		return bot.Silence{}, false, err
	}
	now := s.now()
	for _, sil := range active {
		if sil.Active(now) && sil.Matches(f) {
			return sil, true, nil
		}
	}
	return bot.Silence{}, false, nil
}

// Active returns the silences in force, from a short-lived cache.
func (s *Silences) Active(ctx context.Context) ([]bot.Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.loaded.IsZero() && now.Sub(s.loaded) < silenceCacheTTL {
		return s.active, nil
	}
	active, err := s.store.ActiveSilences(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("load silences: %w", err)
	}
	s.active, s.loaded = active, now
	return active, nil
}

func (s *Silences) invalidate() {
	s.mu.Lock()
	s.loaded = time.Time{}
	s.mu.Unlock()
}

// Create starts a silence of findings matching every matcher, for d.
func (s *Silences) Create(ctx context.Context, matchers []bot.Matcher, d time.Duration, reason, user string) (bot.Silence, error) {
	if len(matchers) == 0 {
		return bot.Silence{}, bot.Errorf(bot.EInvalid, "a silence needs at least one matcher")
	}
	if d < shortestSilence || d > longestSilence {
		return bot.Silence{}, bot.Errorf(bot.EInvalid, "a silence lasts between %s and %s", shortestSilence, "30 days")
	}
	if strings.TrimSpace(reason) == "" {
		return bot.Silence{}, bot.Errorf(bot.EInvalid, "say why: a silence hides findings from everyone")
	}
	now := s.now()
	sil := bot.Silence{ID: newSilenceID(), Matchers: matchers, Reason: reason, CreatedBy: user, CreatedAt: now, ExpiresAt: now.Add(d)}
	if err := s.store.CreateSilence(ctx, sil); err != nil {
		return bot.Silence{}, fmt.Errorf("create silence: %w", err)
	}
	s.invalidate()
	s.record(ctx, AuditSilenceCreated, sil, user, fmt.Sprintf("%s for %s: %s", DescribeMatchers(matchers), d, reason))
	return sil, nil
}

// Remove ends a silence now.
func (s *Silences) Remove(ctx context.Context, id, user string) (bot.Silence, error) {
	sil, err := s.store.RemoveSilence(ctx, id, user)
	if err != nil {
		return bot.Silence{}, fmt.Errorf("remove silence: %w", err)
	}
	s.invalidate()
	if sil.RemovedBy == user {
		s.record(ctx, AuditSilenceRemoved, sil, user, DescribeMatchers(sil.Matchers))
	}
	return sil, nil
}

// Run writes each silence's expiry to the audit log, once a minute, until
// ctx ends.
func (s *Silences) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Sweep audits silences that expired since the last sweep.
func (s *Silences) Sweep(ctx context.Context) {
	expired, err := s.store.ExpiredSilences(ctx, s.now())
	if err != nil {
		s.log.Warn("cannot check expired silences", "err", err)
		return
	}
	for _, sil := range expired {
		s.record(ctx, AuditSilenceExpired, sil, "sccbot", DescribeMatchers(sil.Matchers))
	}
	if len(expired) > 0 {
		s.invalidate()
	}
}

func (s *Silences) record(ctx context.Context, event string, sil bot.Silence, actor, detail string) {
	e := bot.AuditEvent{At: s.now(), Event: event, Request: sil.ID, Action: "silence", Actor: actor, Detail: detail}
	handlers.WriteAudit(ctx, s.log, s.audit, e)
}

// DescribeMatchers writes matchers for people: "category=Reverse Shell,
// cluster=prod".
func DescribeMatchers(ms []bot.Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Field + "=" + m.Value
	}
	return strings.Join(parts, ", ")
}

func newSilenceID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "sil-" + hex.EncodeToString(b)
}
