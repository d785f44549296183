package cloudlogging

import (
	"net/url"
	"strings"
	"time"

	"github.com/sccbot/sccbot/bot"
)

const explorerBase = "https://console.cloud.google.com/logs/query"

// ExplorerURL opens q in the Logs Explorer, in the format of the console's
// "Copy link":
//
//	https://console.cloud.google.com/logs/query;query=Q;timeRange=START%2FEND;cursorTimestamp=T?project=P
//
// The window goes into timeRange (whole seconds, widened outwards so that
// it still holds every entry Search returns), so timestamp restrictions are
// left out of the query; cursorTimestamp is the middle of the window, which
// is the finding's event time for the playbooks' windows centred on it.
// Every value is encoded like JavaScript's encodeURIComponent, and more
// strictly (quotes, parentheses and ; too), so that no value from a
// finding can end its segment or the URL.
func ExplorerURL(q bot.LogQuery) string {
	var b strings.Builder
	b.WriteString(explorerBase)
	b.WriteString(";query=")
	b.WriteString(encodeComponent(explorerQuery(q.Filter)))
	if !q.Start.IsZero() && !q.End.IsZero() {
		start := q.Start.UTC().Truncate(time.Second)
		end := q.End.UTC().Add(time.Second - 1).Truncate(time.Second)
		mid := q.Start.Add(q.End.Sub(q.Start) / 2).UTC()
		b.WriteString(";timeRange=")
		b.WriteString(encodeComponent(start.Format(time.RFC3339) + "/" + end.Format(time.RFC3339)))
		b.WriteString(";cursorTimestamp=")
		b.WriteString(encodeComponent(mid.Format(time.RFC3339Nano)))
	}
	b.WriteString("?project=")
	b.WriteString(encodeComponent(q.Project))
	return b.String()
}

// explorerQuery drops timestamp restrictions, which timeRange replaces
// (the console would otherwise show both and the narrower one wins).
func explorerQuery(filter string) string {
	lines := strings.Split(filter, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !isTimestampLine(l) {
			kept = append(kept, l)
		}
	}
	return strings.Trim(strings.Join(kept, "\n"), "\n")
}

func isTimestampLine(l string) bool {
	rest, ok := strings.CutPrefix(strings.TrimSpace(l), "timestamp")
	rest = strings.TrimSpace(rest)
	return ok && rest != "" && strings.ContainsRune("<>=!", rune(rest[0]))
}

// encodeComponent escapes every byte but A-Z a-z 0-9 - _ . ~; spaces become
// %20, not +, which the console does not decode in ;key=value segments.
func encodeComponent(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
