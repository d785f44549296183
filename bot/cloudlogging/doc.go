// Package cloudlogging adapts Google Cloud Logging (API v2) to the bot's
// domain: it runs the time-bounded log queries of a finding's playbook
// (bot.LogQuery) with one ListLogEntries call, reduces each entry to the few
// lines a responder reads in chat (bot.LogEntry), and builds the Logs
// Explorer deep link that opens the same query in the console.
//
// It uses the low-level cloud.google.com/go/logging/apiv2 client rather
// than logadmin, because logadmin silently adds a 24-hour window to filters
// that do not mention "timestamp" and fails the whole listing on a
// protoPayload whose type is not linked into the binary; apiv2 returns the
// raw Any, which is rendered by type URL.
//
// Everything in a log entry is attacker-controlled text. This package
// carries it (cut to a bounded length) and never logs it; the renderer
// escapes it.
package cloudlogging
