package intake

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sccbot/sccbot/bot"
	"github.com/sccbot/sccbot/handlers"
)

// ListerStore is what the group lister needs from the store.
type ListerStore interface {
	GroupsWithUnlisted(ctx context.Context) ([]bot.Group, error)
	UnlistedMembers(ctx context.Context, groupID string, limit int) ([]bot.Finding, error)
	MarkListed(ctx context.Context, groupID string, names []string) error
	Finding(ctx context.Context, name string) (bot.Finding, error)
	BeginIntent(ctx context.Context, in bot.PostIntent) (bot.PostIntent, bool, error)
	EndIntent(ctx context.Context, key string) error
	OpenIntents(ctx context.Context, prefix string) ([]bot.PostIntent, error)
	Intent(ctx context.Context, key string) (bot.PostIntent, bool, error)
	StormThread(ctx context.Context, channel string) (bot.MessageRef, time.Time, bool, error)
	PutStormThread(ctx context.Context, ref bot.MessageRef, at time.Time) error
}

// Lister lists the members of each group in its card's thread. Each
// message holds as many members as the platform shows whole (measured on
// the rendered message, never by a line count), so nothing is cut; a
// member is marked listed only once Slack accepted a message naming it;
// and every listing is recorded as an intent before it is posted, so a
// crash between the post and its record neither loses nor repeats it.
// Channels are listed in parallel, groups of one channel in turn: the
// channel's pace is the bound, and a storm is listed in full messages.
type Lister struct {
	store   ListerStore
	poster  handlers.Poster
	fits    func(bot.Message) bool
	every   time.Duration
	batch   int
	wait    time.Duration
	log     *slog.Logger
	now     func() time.Time
	zone    *time.Location
	metrics *Metrics

	mu       sync.Mutex
	waiting  map[string]bool // keys of listings held elsewhere, logged once
	troubles *troubles
}

// ListerOptions are the optional collaborators and settings of a Lister.
type ListerOptions struct {
	// Every is how often the lister looks for unlisted members (1s).
	Every time.Duration
	// Fits says whether a message renders whole on the platform. Without
	// it a conservative estimate is used.
	Fits    func(bot.Message) bool
	Logger  *slog.Logger
	Metrics *Metrics
	Now     func() time.Time
}

// listBatch caps the members read for one message; listWait is how long a
// partial batch waits for the rest of its burst, so that a burst is listed
// in a few full messages rather than a dribble of one-liners; cardWait is
// how long members wait for their group's card while it is being posted
// (not owed), to be listed in its thread rather than the storm thread.
const (
	listBatch = 400
	listWait  = 2 * time.Second
	cardWait  = 10 * time.Second
)

// NewLister returns a Lister posting through poster.
func NewLister(store ListerStore, poster handlers.Poster, opts ListerOptions) *Lister {
	l := &Lister{store: store, poster: poster, fits: opts.Fits, every: opts.Every, batch: listBatch,
		wait: listWait, log: opts.Logger, now: opts.Now, metrics: opts.Metrics, waiting: map[string]bool{}}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.every <= 0 {
		l.every = time.Second
	}
	if l.fits == nil {
		l.fits = roughFits
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.metrics == nil {
		l.metrics = NewMetrics(nil)
	}
	l.troubles = newTroubles(l.log)
	return l
}

// Run lists members until ctx ends.
func (l *Lister) Run(ctx context.Context) error {
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	for {
		l.Flush(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Flush finishes listings a crash left in doubt, then lists members
// waiting to be listed: full messages, and partial ones that have waited
// long enough. Channels are listed in parallel. A member named by a
// listing still open (one that could not be finished, or one another
// replica holds) is left to that listing: naming it in a new one could
// show it twice.
func (l *Lister) Flush(ctx context.Context) {
	doubt, ok := l.resume(ctx)
	if !ok {
		return
	}
	groups, err := l.store.GroupsWithUnlisted(ctx)
	if err != nil {
		l.troubles.fail("groups", "cannot read the groups with members to list; retrying", err)
		return
	}
	l.troubles.ok("groups")
	byChannel := map[string][]bot.Group{}
	for _, g := range groups {
		byChannel[g.Card.Channel] = append(byChannel[g.Card.Channel], g)
	}
	var wg sync.WaitGroup
	for channel, gs := range byChannel {
		wg.Go(func() { l.flushChannel(ctx, channel, gs, doubt) })
	}
	wg.Wait()
}

// flushChannel posts the listings of one channel's groups for at most
// flushSpan. When one group has members waiting they go to its card's
// thread; when several do (a storm across groups), or the group's card is
// still waiting for the channel's pace, one message lists them all in the
// channel's storm thread, so that every member is named within a message
// or two of the channel's pace however many groups there are.
func (l *Lister) flushChannel(ctx context.Context, channel string, groups []bot.Group, doubt inDoubt) {
	what := "channel " + channel
	start := l.now()
	for ctx.Err() == nil && l.now().Sub(start) < flushSpan {
		ready, err := l.ready(ctx, groups, doubt)
		if err != nil {
			l.troubles.fail(what, "group members not listed; retrying", err, "channel", channel)
			return
		}
		switch {
		case len(ready) == 0:
			return
		case len(ready) == 1 && ready[0].group.Card.TS != "":
			err = l.listGroup(ctx, ready[0])
		case doubt.opening[channel]:
			// A listing in doubt opens the channel's storm thread: wait
			// for it, so that the channel gets one thread.
			return
		default:
			err = l.listStorm(ctx, channel, ready)
		}
		if err != nil {
			l.troubles.fail(what, "group members not listed; retrying", err, "channel", channel)
			return
		}
		l.troubles.ok(what)
	}
}

// flushSpan bounds one channel's turn in a flush, so that groups opened
// meanwhile are seen.
const flushSpan = 3 * time.Second

// pending is a group and its members waiting to be listed.
type pending struct {
	group   bot.Group
	members []bot.Finding
}

// ready returns the groups whose waiting members should be listed now: a
// full batch, or members that waited listWait for the rest of their burst.
// Members in doubt are left out.
func (l *Lister) ready(ctx context.Context, groups []bot.Group, doubt inDoubt) ([]pending, error) {
	var out []pending
	for _, g := range groups {
		posting, err := l.cardBeingPosted(ctx, g)
		if err != nil {
			return nil, err
		}
		if posting {
			continue
		}
		members, err := l.store.UnlistedMembers(ctx, g.ID, l.batch)
		if err != nil {
			return nil, err
		}
		members = slices.DeleteFunc(members, func(f bot.Finding) bool { return doubt.members[memberRef(g.ID, f.Name)] })
		if len(members) == 0 || len(members) < l.batch && l.now().Sub(members[0].EventTime) < l.wait {
			continue
		}
		out = append(out, pending{group: g, members: members})
	}
	return out, nil
}

// cardBeingPosted says whether g's card is on its way: not recorded yet,
// its intent open and not owed, for less than cardWait. Its members then
// wait for it, to be listed in its thread; a card owed to the channel's
// pace (or stuck longer) leaves them to the channel's storm thread.
func (l *Lister) cardBeingPosted(ctx context.Context, g bot.Group) (bool, error) {
	if g.Card.TS != "" {
		return false, nil
	}
	in, open, err := l.store.Intent(ctx, bot.CardKey(g.Representative))
	if err != nil {
		return false, fmt.Errorf("group card intent: %w", err)
	}
	return open && !in.Owed && l.now().Sub(in.Created) < cardWait, nil
}

// listGroup lists as many of one group's members as a message holds in
// the group card's thread.
func (l *Lister) listGroup(ctx context.Context, p pending) error {
	members := p.members[:l.fitting(len(p.members), func(n int) bot.Message { return listMessage(p.members[:n], l.zone) })]
	names := make([]string, len(members))
	for i, f := range members {
		names[i] = memberRef(p.group.ID, f.Name)
	}
	in := bot.PostIntent{Key: "list/" + p.group.ID + "/" + members[0].Name, Channel: p.group.Card.Channel, Thread: p.group.Card.TS, Names: names}
	return l.list(ctx, in, func() bot.Message { return listMessage(members, l.zone) })
}

// listStorm lists the waiting members of several groups in one message in
// the channel's storm thread, oldest groups first.
func (l *Lister) listStorm(ctx context.Context, channel string, ps []pending) error {
	var all []member
	for _, p := range ps {
		for _, f := range p.members {
			all = append(all, member{group: p.group.ID, f: f})
		}
	}
	anchor, fresh, err := l.anchor(ctx, channel)
	if err != nil {
		return err
	}
	all = all[:l.fitting(len(all), func(n int) bot.Message { return stormMessage(all[:n], l.zone, fresh) })]
	names := make([]string, len(all))
	for i, m := range all {
		names[i] = memberRef(m.group, m.f.Name)
	}
	in := bot.PostIntent{Key: "list/storm/" + all[0].f.Name, Channel: channel, Thread: anchor.TS, Names: names}
	return l.list(ctx, in, func() bot.Message { return stormMessage(all, l.zone, fresh) })
}

// fitting returns how many of n members (at least one) one message holds
// whole, by a binary search on the rendered message build(k) makes.
func (l *Lister) fitting(n int, build func(k int) bot.Message) int {
	lo, hi := 1, n
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l.fits(build(mid)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// list posts one listing under its intent: an intent already open (from
// a run that crashed) keeps its members and makes the poster look for the
// message before posting it again.
func (l *Lister) list(ctx context.Context, in bot.PostIntent, build func() bot.Message) error {
	open, existed, err := l.store.BeginIntent(ctx, in)
	if err != nil {
		return err
	}
	if existed {
		return l.finish(ctx, open)
	}
	msg := build()
	msg.Key, msg.Priority = in.Key, bot.PriorityListing
	return l.post(ctx, open, msg)
}

// post posts a listing (in its thread, or top-level when it opens the
// channel's storm thread) and marks its members listed once Slack took it.
func (l *Lister) post(ctx context.Context, in bot.PostIntent, msg bot.Message) error {
	var err error
	if in.Thread == "" {
		var ref bot.MessageRef
		if ref, err = l.poster.Post(ctx, in.Channel, msg); err == nil {
			l.setAnchor(ctx, ref)
		}
	} else {
		_, err = l.poster.Reply(ctx, bot.MessageRef{Channel: in.Channel, TS: in.Thread}, msg)
	}
	if err != nil {
		return err
	}
	byGroup := map[string][]string{}
	var order []string
	for _, ref := range in.Names {
		g, name := splitMemberRef(ref)
		if byGroup[g] == nil {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], name)
	}
	for _, g := range order {
		if err := l.store.MarkListed(ctx, g, byGroup[g]); err != nil {
			return err
		}
	}
	return l.store.EndIntent(ctx, in.Key)
}

// member is a finding waiting to be listed, with its group.
type member struct {
	group string
	f     bot.Finding
}

// memberRef and splitMemberRef encode a listed member in an intent: group
// ids are hex, so the separator cannot occur in them.
func memberRef(group, name string) string { return group + "\x1f" + name }

func splitMemberRef(ref string) (group, name string) {
	group, name, _ = strings.Cut(ref, "\x1f")
	return group, name
}

// inDoubt is what listings still open hold: the members they name
// (memberRef), and the channels whose storm thread one of them opens.
type inDoubt struct {
	members map[string]bool
	opening map[string]bool
}

func newInDoubt() inDoubt { return inDoubt{members: map[string]bool{}, opening: map[string]bool{}} }

func (d inDoubt) add(in bot.PostIntent) {
	for _, ref := range in.Names {
		d.members[ref] = true
	}
	if strings.HasPrefix(in.Key, "list/storm/") && in.Thread == "" {
		d.opening[in.Channel] = true
	}
}

// elsewhere is a store shared by replicas, which knows the listings
// another live replica holds: it was the lister until just now, and may
// still be posting them.
type elsewhere interface {
	HeldElsewhere(ctx context.Context, prefix string) ([]bot.PostIntent, error)
}

// resume finishes every listing a crash left between its intent and its
// record, and returns the members of those still open. Without knowing
// them (ok false) nothing new may be listed.
func (l *Lister) resume(ctx context.Context) (doubt inDoubt, ok bool) {
	open, err := l.store.OpenIntents(ctx, "list/")
	if err != nil {
		l.troubles.fail("open listings", "cannot read open listings; listing nothing new until they can be read", err)
		return inDoubt{}, false
	}
	l.troubles.ok("open listings")
	doubt = newInDoubt()
	for _, in := range open {
		// Failures are known by channel: the listings in doubt of a
		// channel Slack refuses fail for the same cause as its new ones.
		if err := l.finish(ctx, in); err != nil {
			l.troubles.fail("channel "+in.Channel, "listing in doubt not finished; retrying", err, "channel", in.Channel, "key", in.Key)
			doubt.add(in)
			continue
		}
		l.troubles.ok("channel " + in.Channel)
	}
	s, shared := l.store.(elsewhere)
	if !shared {
		return doubt, true
	}
	held, err := s.HeldElsewhere(ctx, "list/")
	if err != nil {
		l.troubles.fail("held listings", "cannot tell which listings another replica holds; listing nothing new until it can", err)
		return inDoubt{}, false
	}
	l.troubles.ok("held listings")
	for _, in := range held {
		doubt.add(in)
	}
	l.noteWaiting(held)
	return doubt, true
}

// noteWaiting logs each listing held elsewhere once, when it is first
// met: its members wait for it to be finished or taken over.
func (l *Lister) noteWaiting(held []bot.PostIntent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := map[string]bool{}
	for _, in := range held {
		now[in.Key] = true
		if !l.waiting[in.Key] {
			l.log.Info("another replica holds a listing; its members wait until it is finished or taken over",
				"key", in.Key, "holder", in.Holder, "members", len(in.Names))
		}
	}
	l.waiting = now
}

// finish posts the listing of an intent found open, unless the channel
// shows it landed before the crash. The message is rebuilt from the same
// members, so it reads as the first attempt did.
func (l *Lister) finish(ctx context.Context, in bot.PostIntent) error {
	all := make([]member, 0, len(in.Names))
	for _, ref := range in.Names {
		g, name := splitMemberRef(ref)
		f, err := l.store.Finding(ctx, name)
		if err != nil {
			return fmt.Errorf("load listed finding: %w", err)
		}
		all = append(all, member{group: g, f: f})
	}
	var msg bot.Message
	if strings.HasPrefix(in.Key, "list/storm/") {
		msg = stormMessage(all, l.zone, in.Thread == "")
	} else {
		fs := make([]bot.Finding, len(all))
		for i, m := range all {
			fs[i] = m.f
		}
		msg = listMessage(fs, l.zone)
	}
	msg.Key, msg.Priority, msg.Resume = in.Key, bot.PriorityListing, in.Created
	l.metrics.resumed.Inc()
	return l.post(ctx, in, msg)
}

// listMessage lists findings one a line: short id first (a line is never
// cut, but the id is what names the finding), then time, severity, place
// and binary.
func listMessage(fs []bot.Finding, zone *time.Location) bot.Message {
	m := bot.Message{Text: fmt.Sprintf("%d more %s in this group", len(fs), bot.Plural(len(fs), "finding", "findings"))}
	lines := make([]string, len(fs))
	for i, f := range fs {
		lines[i] = listLine(f, zone)
	}
	m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.T(m.Text + ":"))}, bot.Lines{Lines: lines})
	return m
}

func listLine(f bot.Finding, zone *time.Location) string {
	binary := ""
	if p, ok := f.Process(); ok {
		binary = p.Binary
	}
	if zone == nil {
		zone = handlers.DisplayZone()
	}
	return fmt.Sprintf("%s %s %-8s %s %s", f.ShortID(), f.EventTime.In(zone).Format("15:04:05 MST"), f.Severity.Label(),
		handlers.Clip(handlers.WhereOf(f), 48), handlers.Clip(binary, 32))
}

// stormMessage lists members of several groups, a section for each run
// of one group's members: what the group is, then one line a finding.
func stormMessage(all []member, zone *time.Location, opens bool) bot.Message {
	groups := map[string]bool{}
	for _, m := range all {
		groups[m.group] = true
	}
	m := bot.Message{Text: fmt.Sprintf("%d %s in %d %s", len(all), bot.Plural(len(all), "finding", "findings"), len(groups), bot.Plural(len(groups), "group", "groups"))}
	if opens {
		m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.B("🌩 Storm. "), bot.T("Findings of several groups are arriving at once in this channel. "+
			"Each group's card counts its own; every one of them is listed here and in this thread as they come."))})
	}
	m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.T(m.Text + ":"))})
	for start := 0; start < len(all); {
		end := start
		for end < len(all) && all[end].group == all[start].group {
			end++
		}
		f := all[start].f
		lines := make([]string, 0, end-start)
		for _, x := range all[start:end] {
			lines = append(lines, listLine(x.f, zone))
		}
		m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.B(handlers.Clip(f.Category, 70)), bot.T(" · "+handlers.Clip(handlers.WhereOf(f), 60)+" · "+handlers.Clip(f.Image(), 60)))},
			bot.Lines{Lines: lines})
		start = end
	}
	return m
}

// anchor returns the channel's storm thread, and fresh when there is none
// (or it is older than stormAge): the next storm listing is then posted
// top-level and becomes the thread. The thread is kept in the store, so
// that a lister taking over (another replica, or this one restarted)
// keeps to it.
func (l *Lister) anchor(ctx context.Context, channel string) (bot.MessageRef, bool, error) {
	ref, at, ok, err := l.store.StormThread(ctx, channel)
	if err != nil {
		return bot.MessageRef{}, false, fmt.Errorf("read the storm thread: %w", err)
	}
	if !ok || l.now().Sub(at) >= stormAge {
		return bot.MessageRef{}, true, nil
	}
	return ref, false, nil
}

// setAnchor records ref as its channel's storm thread. The listing that
// opened it is posted by then, so a failure is only logged: the next storm
// listing opens another thread.
func (l *Lister) setAnchor(ctx context.Context, ref bot.MessageRef) {
	if err := l.store.PutStormThread(ctx, ref, l.now()); err != nil {
		l.log.Warn("storm thread not recorded; the next storm listing opens another", "channel", ref.Channel, "err", err)
	}
}

// stormAge is how long a storm thread takes listings before a new one
// starts, so that one storm's thread does not grow forever.
const stormAge = 30 * time.Minute

// roughFits is the measure used when the platform's is not given: it
// assumes every character escapes to five, the worst case.
func roughFits(m bot.Message) bool {
	size, blocks := 0, 0
	for _, b := range m.Blocks {
		blocks++
		if ls, ok := b.(bot.Lines); ok {
			for _, line := range ls.Lines {
				size += 5*len([]rune(line)) + 1
			}
		}
	}
	return blocks+size/2900 < 45
}
