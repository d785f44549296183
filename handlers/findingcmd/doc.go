// Package findingcmd is the /finding command language: the lexer (Slack's
// markup and entities undone, quotes honoured), the parser of subcommands
// and their filters, the allow-lists every value is checked against, and
// the help text with its "did you mean" hints. It is pure: no I/O, no
// clock, nothing but the standard library, bot's value types and the
// shared edit distance. handlers runs what it parses.
package findingcmd
