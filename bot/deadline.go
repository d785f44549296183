package bot

import "time"

// DeadlineStage is a step of a finding's acknowledgement deadline: first a
// reminder, then an escalation. Each stage of a finding happens at most
// once, whoever (which replica, before or after a restart) gets to it.
type DeadlineStage int

// Deadline stages, in the order they come due.
const (
	StageReminder   DeadlineStage = 1
	StageEscalation DeadlineStage = 2
)

// DeadlineEvent is a stage that came due for a finding: the deadline it
// breached, when, and the finding's severity then.
type DeadlineEvent struct {
	Finding  string
	Stage    DeadlineStage
	At       time.Time
	Severity Severity
}

// PendingAck is a finding whose card waits for someone to acknowledge it:
// the card, when it was posted, and the stages already claimed.
type PendingAck struct {
	Finding  Finding
	Card     MessageRef
	PostedAt time.Time
	Stages   []DeadlineStage
}
