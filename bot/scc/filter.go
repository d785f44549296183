package scc

import "github.com/sccbot/sccbot/bot"

// QuoteFilterValue returns s as a double-quoted SCC filter literal; see
// bot.QuoteFilter.
func QuoteFilterValue(s string) string { return bot.QuoteFilter(s) }
