package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/sccbot/sccbot/bot/postgres"
	"github.com/sccbot/sccbot/bot/sqlite"
	"github.com/sccbot/sccbot/config"
)

// sqliteBookkeeping are SQLite tables a copy leaves behind: the migration
// record (the target keeps its own), SQLite's AUTOINCREMENT counters and
// the heartbeats of replicas (liveness is the target's own business) and
// the outbox's pace buckets (transient; the replicas refill them) and
// the storm threads (a copy is made with the bot stopped, so the next
// storm opens its own).
var sqliteBookkeeping = []string{"schema_migrations", "sqlite_sequence", "replicas", "pace", "storm_threads"}

// cmdStore is `sccbot store copy --config FILE --from SQLITE_FILE
// [--force]`: it copies a SQLite store into the PostgreSQL store the
// configuration names, for a team moving from one replica to several.
// Stop the bot on SQLite first; what it handles after the copy is not
// copied.
func cmdStore(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	const usage = "usage: sccbot store copy --config FILE --from SQLITE_FILE [--force]"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	if len(args) == 0 || args[0] != "copy" {
		return usageError{errors.New(usage)}
	}
	fs := flag.NewFlagSet("store copy", flag.ContinueOnError)
	fs.SetOutput(stdout)
	path := fs.String("config", "", "configuration file (YAML) with store.driver postgres")
	from := fs.String("from", "", "the SQLite store file to copy")
	force := fs.Bool("force", false, "copy into a PostgreSQL store that already holds data, keeping the rows it has")
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		return nil // the flag package printed the flags
	} else if err != nil {
		return usageError{err}
	}
	if *path == "" || *from == "" {
		return usageError{errors.New("store copy needs --config FILE and --from SQLITE_FILE")}
	}
	cfg, err := config.LoadFile(*path)
	if err != nil {
		return usageError{err}
	}
	if cfg.Store.Driver != config.StorePostgres {
		return usageError{fmt.Errorf("%s: store.driver is %s; the copy goes into a postgres store", *path, cfg.Store.Driver)}
	}
	if problems := config.CheckStoreEnv(cfg.Store, getenv); len(problems) > 0 {
		return usageError{problems}
	}
	return copyStore(ctx, *from, cfg.Store, readEnv(getenv), *force, stdout)
}

// copyStore copies the SQLite file at from into the PostgreSQL store and
// prints what it did, table by table.
func copyStore(ctx context.Context, from string, s config.Store, e env, force bool, stdout io.Writer) error {
	// sqlite.Open would create a missing file; a typo must not copy nothing.
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("store copy: %w", err)
	}
	src, err := sqlite.Open(ctx, from)
	if err != nil {
		return fmt.Errorf("open SQLite store %s: %w", from, err)
	}
	defer src.Close() //nolint:errcheck // only read
	if err := checkCopyable(ctx, src); err != nil {
		return err
	}
	dst, err := openPostgres(ctx, s, e)
	if err != nil {
		return err
	}
	defer dst.Close() //nolint:errcheck // Import committed each table; closing loses nothing
	counts, err := dst.Import(ctx, src.ExportTable, force)
	if errors.Is(err, postgres.ErrNotEmpty) {
		return fmt.Errorf("store copy: %w; use --force to add to it, keeping what it has", err)
	}
	if err != nil {
		return fmt.Errorf("store copy: %w", err)
	}
	for _, c := range counts {
		fmt.Fprintf(stdout, "%-14s %6d copied %6d already there\n", c.Table, c.Copied, c.Present)
	}
	return nil
}

// checkCopyable refuses a SQLite store with a table the copy would miss:
// a newer SQLite schema's, say.
func checkCopyable(ctx context.Context, src *sqlite.DB) error {
	tables, err := src.Tables(ctx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if !slices.Contains(postgres.CopyTables, t) && !slices.Contains(sqliteBookkeeping, t) {
			return fmt.Errorf("store copy: the SQLite store has a table %q that the copy does not know; nothing was copied", t)
		}
	}
	return nil
}
