package bot

import "time"

// DeadlineStage is a step of the acknowledgement clock of a card nobody
// acknowledged: first a reminder in its thread, then an escalation.
type DeadlineStage int

// Deadline stages, in the order they fire. The numbers are stored.
const (
	StageReminder   DeadlineStage = 1
	StageEscalation DeadlineStage = 2
)

// String names the stage for logs and metrics.
func (s DeadlineStage) String() string {
	switch s {
	case StageReminder:
		return "reminder"
	case StageEscalation:
		return "escalation"
	}
	return "unknown"
}

// Valid reports whether s is a known stage.
func (s DeadlineStage) Valid() bool { return s == StageReminder || s == StageEscalation }

// DeadlineEvent is a deadline stage that fired (was claimed) for a
// finding, with the finding's severity, for the digest's breach counts.
type DeadlineEvent struct {
	Finding  string
	Stage    DeadlineStage
	At       time.Time
	Severity Severity
}

// PendingAck is a posted card that nobody acknowledged yet, with the
// deadline stages already claimed for it.
type PendingAck struct {
	Finding  Finding
	Card     MessageRef
	PostedAt time.Time
	Stages   []DeadlineStage
}

// Claimed reports whether stage was already claimed for the card.
func (p PendingAck) Claimed(stage DeadlineStage) bool {
	for _, s := range p.Stages {
		if s == stage {
			return true
		}
	}
	return false
}
