package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

// ListerStore is what the group lister needs from the store.
type ListerStore interface {
	GroupsWithUnlisted(ctx context.Context) ([]bot.Group, error)
	UnlistedMembers(ctx context.Context, groupID string, limit int) ([]bot.Finding, error)
	MarkListed(ctx context.Context, groupID string, names []string) error
}

// Lister lists the members of each group in its card's thread, in
// batches: a storm of thousands of findings becomes a few dozen thread
// messages, paced like every other post, and nothing is left out. Members
// are marked listed only once their message is posted, so a restart lists
// what was not.
type Lister struct {
	store  ListerStore
	poster Poster
	every  time.Duration
	batch  int
	wait   time.Duration
	log    *slog.Logger
	now    func() time.Time
}

// Lister batches: a thread message lists at most listBatch findings, in
// code blocks of listLines lines (a block's text must stay under 3000
// characters, the message's under about 13,000). A partial batch waits
// until its oldest finding is listWait old, so a storm is listed in full
// messages rather than a dribble.
const (
	listBatch = 150
	listLines = 30
	listWait  = 30 * time.Second
)

// NewLister returns a Lister that flushes every interval.
func NewLister(store ListerStore, poster Poster, every time.Duration, log *slog.Logger) *Lister {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if every <= 0 {
		every = 10 * time.Second
	}
	return &Lister{store: store, poster: poster, every: every, batch: listBatch, wait: listWait, log: log, now: time.Now}
}

// Run lists members until ctx ends, every interval: a burst is listed in
// full batches rather than one by one.
func (l *Lister) Run(ctx context.Context) error {
	l.Flush(ctx) // what a previous run left
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			l.Flush(ctx)
		}
	}
}

// Flush lists members waiting to be listed: full batches, and partial
// ones that have waited long enough.
func (l *Lister) Flush(ctx context.Context) {
	groups, err := l.store.GroupsWithUnlisted(ctx)
	if err != nil {
		l.log.Warn("cannot list group members", "err", err)
		return
	}
	for _, g := range groups {
		for ctx.Err() == nil {
			n, err := l.flushGroup(ctx, g)
			if err != nil {
				l.log.Warn("group members not listed; will retry", "group", g.ID, "err", err)
				break
			}
			if n < l.batch {
				break
			}
		}
	}
}

func (l *Lister) flushGroup(ctx context.Context, g bot.Group) (int, error) {
	members, err := l.store.UnlistedMembers(ctx, g.ID, l.batch)
	if err != nil || len(members) == 0 {
		return 0, err
	}
	if len(members) < l.batch && l.now().Sub(members[0].EventTime) < l.wait {
		return 0, nil // more of the burst may come: list it in one message
	}
	msg := listMessage(members)
	msg.Key = fmt.Sprintf("list/%s/%s", g.ID, members[0].Name)
	if _, err := l.poster.Reply(ctx, g.Card, msg); err != nil {
		return 0, err
	}
	names := make([]string, len(members))
	for i, f := range members {
		names[i] = f.Name
	}
	return len(members), l.store.MarkListed(ctx, g.ID, names)
}

// listMessage lists findings one a line: time, severity, place, binary,
// short id.
func listMessage(fs []bot.Finding) bot.Message {
	m := bot.Message{Text: fmt.Sprintf("%d more %s in this group", len(fs), plural(len(fs), "finding", "findings"))}
	m.Blocks = append(m.Blocks, bot.Section{Text: bot.R(bot.T(m.Text + ":"))})
	for start := 0; start < len(fs); start += listLines {
		end := min(start+listLines, len(fs))
		lines := make([]string, 0, end-start)
		for _, f := range fs[start:end] {
			lines = append(lines, listLine(f))
		}
		m.Blocks = append(m.Blocks, bot.Code{Text: strings.Join(lines, "\n")})
	}
	return m
}

func listLine(f bot.Finding) string {
	binary := ""
	if p, ok := f.Process(); ok {
		binary = p.Binary
	}
	return fmt.Sprintf("%s %-8s %s %s %s", f.EventTime.UTC().Format("15:04:05"), f.Severity.Label(),
		clip(whereOf(f), 48), clip(binary, 32), f.ShortID())
}

// clip shortens s to n runes for a fixed-width line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}
