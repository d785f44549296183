// Package commands answers /finding: it parses the text with findingcmd
// and hands each subcommand to the room that owns the work.
package commands
