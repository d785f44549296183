package handlerstest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// FakeAttack is an ATT&CK catalogue that knows one technique (T1027.004) and its tactic.
type FakeAttack struct{}

// Technique looks up a technique by id.
func (FakeAttack) Technique(id string) (bot.Technique, bool) {
	if id == "T1027.004" {
		return bot.Technique{ID: id, Name: "Compile After Delivery", ParentName: "Obfuscated Files or Information"}, true
	}
	return bot.Technique{}, false
}

// Tactic looks up a tactic by id.
func (FakeAttack) Tactic(id string) (bot.Tactic, bool) {
	if id == "TA0005" {
		return bot.Tactic{ID: id, Name: "Defense Evasion"}, true
	}
	return bot.Tactic{}, false
}

// MemStore is an in-memory IntakeStore for unit tests; the real store is
// tested by bot/storetest.
type MemStore struct {
	mu       sync.Mutex
	Findings map[string]bot.Finding
	Handled  map[bot.NotificationKey]string
	Cards    map[string]bot.MessageRef
	intents  map[string]bot.PostIntent
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{Findings: map[string]bot.Finding{}, Handled: map[bot.NotificationKey]string{}, Cards: map[string]bot.MessageRef{}, intents: map[string]bot.PostIntent{}}
}

// PutFinding stores f, replacing an earlier version.
func (s *MemStore) PutFinding(_ context.Context, f bot.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Findings[f.Name] = f
	return nil
}

// NotificationHandled reports whether key was marked.
func (s *MemStore) NotificationHandled(_ context.Context, k bot.NotificationKey) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.Handled[k]
	return ok, nil
}

// Sighting is NotificationHandled, FindingStatus and Card at once.
func (s *MemStore) Sighting(_ context.Context, k bot.NotificationKey) (bot.Sighting, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, handled := s.Handled[k]
	f, known := s.Findings[k.Name]
	out := bot.Sighting{Handled: handled, Known: known, Card: s.Cards[k.Name]}
	if known {
		out.Status = f.Status()
	}
	return out, nil
}

// MarkNotification records key's outcome.
func (s *MemStore) MarkNotification(_ context.Context, k bot.NotificationKey, outcome string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Handled[k] = outcome
	return nil
}

// Card returns the card of a finding.
func (s *MemStore) Card(_ context.Context, name string) (bot.MessageRef, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.Cards[name]
	return r, ok, nil
}

// PutPostedCard records a posted card and ends its intent.
func (s *MemStore) PutPostedCard(_ context.Context, k bot.NotificationKey, ref bot.MessageRef, outcome string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Cards[k.Name] = ref
	delete(s.intents, bot.CardKey(k.Name))
	if _, ok := s.Handled[k]; !ok {
		s.Handled[k] = outcome
	}
	return nil
}

// BeginIntent records a post intent unless one exists.
func (s *MemStore) BeginIntent(_ context.Context, in bot.PostIntent) (bot.PostIntent, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.intents[in.Key]; ok {
		return old, true, nil
	}
	in.Created = time.Now()
	s.intents[in.Key] = in
	return in, false, nil
}

// Intent returns the intent under key.
func (s *MemStore) Intent(_ context.Context, key string) (bot.PostIntent, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.intents[key]
	return in, ok, nil
}

// OweIntent marks an intent owed.
func (s *MemStore) OweIntent(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.intents[key]
	if !ok {
		return bot.Errorf(bot.ENotFound, "no intent %q", key)
	}
	in.Owed = true
	s.intents[key] = in
	return nil
}

// Posted is one message a FakePoster was given.
type Posted struct {
	Channel string
	Thread  string
	Msg     bot.Message
}

// FakePoster records posts; refuse makes posts to a channel fail.
type FakePoster struct {
	mu     sync.Mutex
	posts  []Posted
	Refuse map[string]error
	n      int
}

// Post records a top-level message.
func (p *FakePoster) Post(_ context.Context, channel string, m bot.Message) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.Refuse[channel]; err != nil {
		return bot.MessageRef{}, err
	}
	p.n++
	p.posts = append(p.posts, Posted{Channel: channel, Msg: m})
	return bot.MessageRef{Channel: channel, TS: fmt.Sprintf("1700000000.%06d", p.n)}, nil
}

// Reply records a thread reply.
func (p *FakePoster) Reply(_ context.Context, parent bot.MessageRef, m bot.Message) (bot.MessageRef, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.Refuse[parent.Channel]; err != nil {
		return bot.MessageRef{}, err
	}
	p.n++
	p.posts = append(p.posts, Posted{Channel: parent.Channel, Thread: parent.TS, Msg: m})
	return bot.MessageRef{Channel: parent.Channel, TS: fmt.Sprintf("1700000000.%06d", p.n)}, nil
}

// SetRefuse makes posts and replies to channel fail with err from now on
// (a nil err lets them through again).
func (p *FakePoster) SetRefuse(channel string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Refuse == nil {
		p.Refuse = map[string]error{}
	}
	if err == nil {
		delete(p.Refuse, channel)
		return
	}
	p.Refuse[channel] = err
}

// All returns what was posted, in order.
func (p *FakePoster) All() []Posted {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Posted(nil), p.posts...)
}

// TestFinding is a HIGH GKE finding with the given id and event time.
func TestFinding(id string, at time.Time) bot.Finding {
	return bot.Finding{
		Name:      "organizations/1/sources/2/locations/global/findings/" + id,
		Category:  "Defense Evasion: Launch Code Compiler Tool In Container",
		Severity:  bot.SeverityHigh,
		State:     "ACTIVE",
		Class:     "THREAT",
		EventTime: at,
		Target:    bot.Target{Product: bot.ProductGKE, Project: "demo-prod", Cluster: "prod", Location: "us-central1"},
	}
}

// Finding returns a stored finding by name.
func (s *MemStore) Finding(_ context.Context, name string) (bot.Finding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.Findings[name]
	if !ok {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "finding %q not found", name)
	}
	return f, nil
}

// FindingStatus returns the state and mute of a stored finding.
func (s *MemStore) FindingStatus(_ context.Context, name string) (bot.FindingStatus, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.Findings[name]
	return f.Status(), ok, nil
}

// ResolveFinding finds a finding by name or short id.
func (s *MemStore) ResolveFinding(ctx context.Context, ref string) (bot.Finding, error) {
	s.mu.Lock()
	var found []bot.Finding
	for _, f := range s.Findings {
		if f.Name == ref || f.ShortID() == ref {
			found = append(found, f)
		}
	}
	s.mu.Unlock()
	if len(found) != 1 {
		return bot.Finding{}, bot.Errorf(bot.ENotFound, "no finding %q", ref)
	}
	return found[0], nil
}

// FakeChat records what handlers say.
type FakeChat struct {
	FakePoster
	Mu         sync.Mutex
	Updates    []bot.Message
	Ephemerals []bot.Message
	Updated    chan bot.Message
}

// Update records a card update.
func (c *FakeChat) Update(_ context.Context, _ bot.MessageRef, m bot.Message) error {
	c.Mu.Lock()
	c.Updates = append(c.Updates, m)
	c.Mu.Unlock()
	c.Updated <- m
	return nil
}

// WaitUpdate returns the next card update, failing the test after 10 s.
func (c *FakeChat) WaitUpdate(t *testing.T) bot.Message {
	t.Helper()
	select {
	case m := <-c.Updated:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("the card was not updated")
		return bot.Message{}
	}
}

// Ephemeral records a private answer.
func (c *FakeChat) Ephemeral(_ context.Context, _, _, _ string, m bot.Message) error {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.Ephemerals = append(c.Ephemerals, m)
	return nil
}

// PodFinding is finding i on pod, of severity sev, at time at.
func PodFinding(i int, pod string, sev bot.Severity, at time.Time) bot.Finding {
	f := TestFinding(fmt.Sprintf("g%04d", i), at)
	f.Category, f.Severity = "Execution: Added Binary Executed", sev
	f.Target.Namespace, f.Target.Pod = "payments", pod
	f.Containers = []bot.Container{{Name: "app", ImageURI: "us-docker.pkg.dev/p/app:1"}}
	f.Processes = []bot.Process{{Binary: "/tmp/x" + pod}}
	return f
}
