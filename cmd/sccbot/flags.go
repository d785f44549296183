package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// errHelpShown says a subcommand printed its help because it was asked to
// (-h, -help, --help): that is a success, exit 0.
var errHelpShown = errors.New("help shown")

// parseFlags parses a subcommand's flags. A request for help is
// errHelpShown; any other problem is the caller's, a usageError.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return errHelpShown
	}
	return usageError{err}
}

// newFlagSet returns a subcommand's flag set whose help starts with its
// synopsis, e.g. "sccbot audit --config FILE [--since D]".
func newFlagSet(synopsis string, out io.Writer) *flag.FlagSet {
	name, _, _ := strings.Cut(strings.TrimPrefix(synopsis, "sccbot "), " -")
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
