package bot

import "time"

// LogQuery is a Cloud Logging query the bot runs for a finding: a filter
// in the Logging query language whose values taken from the finding are
// already quoted and escaped, and the window and size to run it with.
type LogQuery struct {
	// Title says what the query finds, e.g. "Container logs of the pod".
	Title string
	// Project is the project whose logs are read (resource_names).
	Project string
	// Filter holds the restrictions, one per line (an implicit AND); it has
	// no timestamp restriction: Start and End bound it.
	Filter string
	Start  time.Time
	End    time.Time
	// Limit bounds the entries returned.
	Limit int
}

// LogEntry is one log entry, reduced to what a responder reads in chat.
type LogEntry struct {
	Time     time.Time
	Severity string
	// Summary is the text of the entry or the useful part of its payload.
	Summary  string
	LogName  string
	InsertID string
}

// LogResult is the answer to a LogQuery.
type LogResult struct {
	Query   LogQuery
	Entries []LogEntry
	// More is set when the query matched more entries than Limit.
	More bool
	// ExplorerURL opens the same query and window in the Logs Explorer.
	ExplorerURL string
}
