// Package replica lets several sccbot processes share one PostgreSQL
// store: each has an id (Name), proves it is alive with a Heartbeat, and
// posts a message only while it holds the message's post intent (Claims).
// A replica that stops beating for DeadAfter is dead, and whoever meets
// one of its intents next takes it over with a single-winner
// compare-and-set, then does what a restart does: looks for the message in
// the channel before posting it again.
//
// The numbers: a heartbeat every 2 s and death after 10 s of silence
// leave four missed beats (a slow write, a GC pause, a failover of a few
// seconds) before a live replica is mistaken for dead, and a dead one is
// known 10 s after its last beat, when the next replica to meet its
// claims (on Pub/Sub's redelivery, or in a singleton's next pass) takes
// them over. The singletons themselves move sooner, on their leases
// (bot/postgres.Lease): a dead holder's lock is released by the server.
package replica
