// Package scc adapts Google Cloud Security Command Center (API v2) to the
// bot's domain: it decodes finding notifications published to Pub/Sub,
// converts ListFindings results, and runs the two finding sources, a Pub/Sub
// subscription (the primary path) and a ListFindings poller (the fallback),
// both feeding a Handler with bot.Findings.
//
// Everything in a finding is attacker-controlled; this package never logs
// finding text, and it quotes every value it puts into an SCC filter.
package scc
