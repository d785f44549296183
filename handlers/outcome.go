package handlers

// Notification outcomes recorded in the store.
const (
	OutcomePosted    = "posted"
	OutcomeThreaded  = "threaded"
	OutcomeSilenced  = "silenced"
	OutcomeLifecycle = "lifecycle"
	OutcomeStale     = "stale"
	OutcomeDeferred  = "deferred"
)
