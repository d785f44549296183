// Package escalate keeps acknowledgement deadlines: a card nobody
// acknowledged in time gets a reminder in its thread that mentions the
// route's on-call group, then an escalation that notes it on the card and
// pages the finding's owner. While a deadline runs, the card shows its
// clock. Each stage of a finding is claimed in the store before it acts,
// so it happens once across restarts and replicas. The Escalator runs as a
// singleton; its card note works on every replica.
package escalate
