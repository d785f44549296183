package bot

import "time"

// MuteRule is an SCC mute rule (a v2 MuteConfig): findings under Parent
// that match Filter are muted. The bot proposes one from a finding and
// shows it before creating it.
type MuteRule struct {
	// ID is the mute config id: lowercase letters, digits and hyphens,
	// starting with a letter, at most 63 characters.
	ID string
	// Parent is where the rule applies: organizations/O/locations/L, or
	// the folders/ or projects/ equivalent.
	Parent string
	// Filter is in SCC's filter language; every value in it is quoted.
	Filter      string
	Description string
	// Type is "STATIC" or "DYNAMIC". Only a dynamic rule can expire.
	Type string
	// Expiry ends a dynamic rule; zero means never.
	Expiry time.Time
}

// Mute rule types.
const (
	MuteRuleStatic  = "STATIC"
	MuteRuleDynamic = "DYNAMIC"
)
