package intake

import (
	"log/slog"
	"sync"
)

// troubles logs the failures of work retried every few seconds (the
// lister's flushes) once while each lasts, with its cause, and its end
// once: an outage of the store or of Slack must not write a line a second.
// A failure is known by what failed (the groups read, a channel); a new
// cause for the same thing is logged again.
type troubles struct {
	log *slog.Logger

	mu sync.Mutex
	on map[string]string // what failed → its error's text
}

func newTroubles(log *slog.Logger) *troubles {
	return &troubles{log: log, on: map[string]string{}}
}

// fail records that what failed with err, and logs msg (with args and the
// error) unless it is failing already for the same cause.
func (t *troubles) fail(what, msg string, err error, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.on[what] == err.Error() {
		return
	}
	t.on[what] = err.Error()
	t.log.Warn(msg, append(args, "err", err)...)
}

// ok records that what worked, and logs the end of its failure if it was
// failing.
func (t *troubles) ok(what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, failing := t.on[what]; !failing {
		return
	}
	delete(t.on, what)
	t.log.Info("listing works again", "what", what)
}
