// Command sccbot posts Security Command Center findings to Slack and lets
// responders investigate and respond from there.
//
//	sccbot run --config FILE           run the bot
//	sccbot check-config --config FILE  validate a configuration file
//	sccbot playbooks lint [DIR]        check playbooks (the built-in ones, overlaid by DIR)
//	sccbot doctor --config FILE        check that everything is reachable and permitted
//	sccbot audit --config FILE         export the audit log as JSON lines
//	sccbot store copy --config FILE --from SQLITE_FILE
//	                                   copy a SQLite store into PostgreSQL
//	sccbot demo                        run the whole bot against built-in fakes
//	sccbot version                     print the version
//
// Secrets come from the environment only: SLACK_APP_TOKEN, SLACK_BOT_TOKEN,
// PAGERDUTY_ROUTING_KEY, SCCBOT_DATABASE_URL.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=..."; when
// it is not, the build info names the module version and VCS revision.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors that are the caller's (a bad flag, a bad config
// file) rather than the bot's.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

const usage = `usage: sccbot <command> [flags]

commands:
  run --config FILE           run the bot (Slack tokens from SLACK_APP_TOKEN and SLACK_BOT_TOKEN)
  check-config --config FILE  check a configuration file and print every problem
  doctor --config FILE        check that Slack, the sources and the Google APIs are
                              reachable and permitted; exit 2 on a failure
  playbooks lint [--config FILE] [DIR]
                              check the built-in playbooks and the operator's in DIR
                              (or the configuration's playbooks.dir)
  audit --config FILE [--since 24h|7d|TIME]
                              export the audit log as JSON lines
  store copy --config FILE --from SQLITE_FILE [--force]
                              copy a SQLite store into the configured PostgreSQL store
  demo                        run the whole bot against built-in fakes and print what Slack received
  version                     print the version
`

// run runs one command and returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], getenv, stderr)
	case "check-config":
		err = cmdCheckConfig(args[1:], getenv, stdout)
	case "doctor":
		err = cmdDoctor(ctx, args[1:], getenv, stdout, stderr)
	case "playbooks":
		err = cmdPlaybooks(args[1:], stdout, stderr)
	case "audit":
		err = cmdAudit(ctx, args[1:], time.Now(), getenv, stdout, stderr)
	case "store":
		err = cmdStore(ctx, args[1:], getenv, stdout)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, currentVersion())
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Errorf("unknown command %q\n\n%s", args[0], usage)}
	}
	if err == nil || errors.Is(err, errHelpShown) {
		return exitOK
	}
	fmt.Fprintln(stderr, "sccbot:", err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFailure
}
