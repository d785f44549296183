package escalate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// memStore is the store contract in memory: a claim is an insert that
// only the first caller wins, as ON CONFLICT DO NOTHING makes it, and it
// outlives the Escalator that made it, as the database does.
type memStore struct {
	mu       sync.Mutex
	now      func() time.Time
	cards    map[string]bot.PendingAck // finding → its card
	acked    map[string]time.Time
	claims   map[string]time.Time // finding/stage → at
	intents  map[string]bot.PostIntent
	audit    []bot.AuditEvent
	claimErr error
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, cards: map[string]bot.PendingAck{}, acked: map[string]time.Time{},
		claims: map[string]time.Time{}, intents: map[string]bot.PostIntent{}}
}

func (s *memStore) addCard(f bot.Finding, posted time.Time) bot.MessageRef {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := bot.MessageRef{Channel: "C0SEC", TS: fmt.Sprintf("%d.000100", posted.Unix())}
	s.cards[f.Name] = bot.PendingAck{Finding: f, Card: ref, PostedAt: posted}
	return ref
}

func (s *memStore) ack(name string) {
	s.mu.Lock()
	s.acked[name] = s.now()
	s.mu.Unlock()
}

func (s *memStore) setFinding(f bot.Finding) {
	s.mu.Lock()
	p := s.cards[f.Name]
	p.Finding = f
	s.cards[f.Name] = p
	s.mu.Unlock()
}

func claimKey(finding string, stage bot.DeadlineStage) string {
	return fmt.Sprintf("%s/%d", finding, stage)
}

func (s *memStore) PendingAcks(_ context.Context, postedAfter time.Time) ([]bot.PendingAck, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bot.PendingAck
	for name, p := range s.cards {
		_, acked := s.acked[name]
		if acked || !p.PostedAt.After(postedAfter) || p.Finding.State != "ACTIVE" || p.Finding.Mute == "MUTED" {
			continue
		}
		p.Stages = nil
		for _, st := range []bot.DeadlineStage{bot.StageReminder, bot.StageEscalation} {
			if _, ok := s.claims[claimKey(name, st)]; ok {
				p.Stages = append(p.Stages, st)
			}
		}
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PostedAt.Before(out[j].PostedAt) })
	return out, nil
}

func (s *memStore) ClaimDeadline(_ context.Context, finding string, stage bot.DeadlineStage, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimErr != nil {
		return false, s.claimErr
	}
	k := claimKey(finding, stage)
	if _, ok := s.claims[k]; ok {
		return false, nil
	}
	s.claims[k] = at
	return true, nil
}

func (s *memStore) BeginIntent(_ context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.intents[in.Key]; ok {
		return old, true, nil
	}
	in.Created = s.now()
	s.intents[in.Key] = in
	return in, false, nil
}

func (s *memStore) EndIntent(_ context.Context, key string) error {
	s.mu.Lock()
	delete(s.intents, key)
	s.mu.Unlock()
	return nil
}

func (s *memStore) Intent(_ context.Context, key string) (bot.PostIntent, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.intents[key]
	return in, ok, nil
}

func (s *memStore) OpenIntents(_ context.Context, prefix string) ([]bot.PostIntent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bot.PostIntent
	for k, in := range s.intents {
		if strings.HasPrefix(k, prefix) {
			out = append(out, in)
		}
	}
	return out, nil
}

func (s *memStore) openIntents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.intents)
}

func (s *memStore) AckOf(_ context.Context, name string) (string, time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.acked[name]
	return "U0ALICE", at, ok, nil
}

func (s *memStore) AppendAudit(_ context.Context, e bot.AuditEvent) error {
	s.mu.Lock()
	s.audit = append(s.audit, e)
	s.mu.Unlock()
	return nil
}

func (s *memStore) AuditForFinding(_ context.Context, finding string) ([]bot.AuditEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []bot.AuditEvent
	for _, e := range s.audit {
		if e.Finding == finding {
			out = append(out, e)
		}
	}
	return out, nil
}

// memPoster is a thread that behaves as the outbox promises: a message
// with Resume set is looked for by its key first and not posted twice.
// fail makes the next replies fail; landFail makes them land and still
// fail, as a timeout or a crash after the post does.
type memPoster struct {
	mu       sync.Mutex
	replies  []reply
	fail     int
	landFail int
	n        int
}

type reply struct {
	parent bot.MessageRef
	msg    bot.Message
}

var errSlackDown = errors.New("slack: service unavailable")

func (p *memPoster) Post(context.Context, string, bot.Message) (bot.MessageRef, error) {
	return bot.MessageRef{}, errors.New("the escalator posts only in threads")
}

func (p *memPoster) Reply(_ context.Context, parent bot.MessageRef, m bot.Message) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		return bot.MessageRef{}, errSlackDown
	}
	if !m.Resume.IsZero() {
		for _, r := range p.replies {
			if r.parent == parent && r.msg.Key == m.Key {
				return parent, nil
			}
		}
	}
	p.n++
	p.replies = append(p.replies, reply{parent: parent, msg: m})
	if p.landFail > 0 {
		p.landFail--
		return bot.MessageRef{}, errSlackDown
	}
	return bot.MessageRef{Channel: parent.Channel, TS: fmt.Sprintf("%s.%d", parent.TS, p.n)}, nil
}

func (p *memPoster) all() []reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.replies)
}

// memPager records pages.
type memPager struct {
	mu    sync.Mutex
	pages []page
	fail  int
}

type page struct {
	finding  string
	reason   string
	approved bool
}

func (p *memPager) PageOwner(_ context.Context, f bot.Finding, reason string, approved bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		return errors.New("pagerduty: 503")
	}
	p.pages = append(p.pages, page{finding: f.Name, reason: reason, approved: approved})
	return nil
}

func (p *memPager) all() []page {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.pages)
}

// oneRoute routes everything to "payments", except findings of project
// "sandbox", which take "default".
type oneRoute struct{}

func (oneRoute) Route(f bot.Finding) (string, string) {
	if f.Project() == "sandbox" {
		return "C0DEFAULT", "default"
	}
	return "C0PAY", "payments"
}

// silenceAll silences findings whose category is in its set.
type silenceAll map[string]bool

func (s silenceAll) Matching(_ context.Context, f bot.Finding) (bot.Silence, bool, error) {
	if s[f.Category] {
		return bot.Silence{ID: "sil-1"}, true, nil
	}
	return bot.Silence{}, false, nil
}

// touches records card refreshes asked for.
type touches struct {
	mu    sync.Mutex
	names []string
}

func (t *touches) Touch(name string) {
	t.mu.Lock()
	t.names = append(t.names, name)
	t.mu.Unlock()
}

func (t *touches) count(name string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, x := range t.names {
		if x == name {
			n++
		}
	}
	return n
}

// Finding and Card make memStore a handlers.CardStore, for building cards.
func (s *memStore) Finding(_ context.Context, name string) (bot.Finding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.cards[name]
	if !ok {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "no finding %s", name)
	}
	return p.Finding, nil
}

func (s *memStore) Card(_ context.Context, name string) (bot.MessageRef, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.cards[name]
	return p.Card, ok, nil
}
