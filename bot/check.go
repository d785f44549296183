package bot

// CheckResult is one line of a self-check (sccbot doctor, and the checks
// run at start): what was checked, whether it works, and what to do.
type CheckResult struct {
	// Name says what was checked, e.g. "Slack bot token" or
	// "channel C0123 (routes[0].channel)".
	Name string
	// Status is CheckOK, CheckWarn or CheckFail.
	Status string
	// Detail is what was found: the bot and workspace, or the error with
	// the variable or setting to fix. It never holds a secret.
	Detail string
	// Blocks says the bot cannot run at all while this fails (a refused
	// token, a missing subscription): sccbot run refuses to start. Other
	// failures leave one feature broken and are warnings at start.
	Blocks bool
}

// Check statuses. A failure is something the bot cannot work without (a
// refused token, a missing subscription); a warning is something one
// feature will lack.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "FAIL"
)

// Failed reports whether any result is a failure.
func Failed(rs []CheckResult) bool {
	for _, r := range rs {
		if r.Status == CheckFail {
			return true
		}
	}
	return false
}
