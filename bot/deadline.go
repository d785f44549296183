package bot

import "time"

// DeadlineStage is how far an unacknowledged card's clock has run.
type DeadlineStage int

// Stages of an acknowledgement deadline: a reminder when the first
// deadline passes, an escalation when the second does.
const (
	StageReminder   DeadlineStage = 1
	StageEscalation DeadlineStage = 2
)

// DeadlineEvent is one stage claimed for a finding's card.
type DeadlineEvent struct {
	Finding  string
	Stage    DeadlineStage
	At       time.Time
	Severity Severity
}
