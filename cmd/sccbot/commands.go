package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sccbot/sccbot/bot/mitre"
	"github.com/sccbot/sccbot/config"
	"github.com/sccbot/sccbot/playbooks"
)

// cmdRun is `sccbot run --config FILE`.
func cmdRun(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	path, err := configFlag("run", args, stderr)
	if err != nil {
		return err
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		return usageError{err}
	}
	if problems := append(config.CheckEnv(getenv), config.CheckStoreEnv(cfg.Store, getenv)...); len(problems) > 0 {
		return usageError{problems}
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	if err := startupCheck(ctx, cfg, getenv, log); err != nil {
		if ctx.Err() != nil {
			log.Info("sccbot stopped while starting", "err", err)
			return nil
		}
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := newApp(ctx, cfg, readEnv(getenv), log, reg)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped while starting (a rolling update, a scale-down):
			// nothing was taken from a source, so nothing failed.
			log.Info("sccbot stopped while starting", "err", err)
			return nil
		}
		return err
	}
	log.Info("sccbot starting", "version", strings.TrimPrefix(currentVersion(), "sccbot "), "config", path)
	if err := runBounded(ctx, a.Run, stopBound, log); err != nil {
		return err
	}
	log.Info("sccbot stopped")
	return nil
}

// stopBound is how long after SIGTERM the process may take to stop: the
// drain grace plus a few seconds to close the clients. Orchestrators kill
// a process that takes longer, so sccbot gives up first, and says so.
const stopBound = drainGrace + 4*time.Second

// runBounded runs run until it returns, or until bound has passed since
// ctx ended, whatever a source or a backend does. Work abandoned then was
// never acked, so Pub/Sub delivers it again after the restart.
func runBounded(ctx context.Context, run func(context.Context) error, bound time.Duration, log *slog.Logger) error {
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		log.Error("sccbot did not stop in time; exiting with work abandoned (unacked, Pub/Sub redelivers it)",
			"waited", bound.String())
		return fmt.Errorf("did not stop within %s of the signal", bound)
	}
}

// cmdCheckConfig is `sccbot check-config --config FILE`: it prints every
// problem with its path and fails if there is any. Missing Slack tokens
// are reported too, as warnings, because the file is often checked where
// the secrets are not.
func cmdCheckConfig(args []string, getenv func(string) string, stdout io.Writer) error {
	path, err := configFlag("check-config", args, stdout)
	if err != nil {
		return err
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		var problems config.Problems
		if errors.As(err, &problems) {
			fmt.Fprintf(stdout, "%s: %d problem(s):\n%s\n", path, len(problems), problems.Error())
			return usageError{fmt.Errorf("%s is not valid", path)}
		}
		return usageError{err}
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	for _, p := range append(config.CheckEnv(getenv), config.CheckStoreEnv(cfg.Store, getenv)...) {
		fmt.Fprintf(stdout, "warning: %s\n", p.String())
	}
	return nil
}

func configFlag(cmd string, args []string, out io.Writer) (string, error) {
	fs := newFlagSet("sccbot "+cmd+" --config FILE", out)
	path := fs.String("config", "", "configuration file (YAML)")
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if *path == "" {
		return "", usageError{fmt.Errorf("%s needs --config FILE", cmd)}
	}
	return *path, nil
}

// cmdPlaybooks is `sccbot playbooks lint [--config FILE] [DIR]`: it checks
// the built-in playbooks overlaid by DIR (or by the configuration's
// playbooks.dir), technique ids against the ATT&CK catalogue, and prints
// every problem with its file, line and field.
func cmdPlaybooks(args []string, stdout, stderr io.Writer) error {
	const use = "usage: sccbot playbooks lint [--config FILE] [DIR]"
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, use)
		return nil
	}
	if len(args) == 0 || args[0] != "lint" {
		return usageError{errors.New(use)}
	}
	fs := newFlagSet("sccbot playbooks lint [--config FILE] [DIR]", stderr)
	cfgPath := fs.String("config", "", "configuration file whose playbooks.dir is checked")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	dir, err := lintDir(fs.Args(), *cfgPath)
	if err != nil {
		return err
	}
	attack, err := mitre.Load()
	if err != nil {
		return fmt.Errorf("load ATT&CK catalogue: %w", err)
	}
	known := func(id string) bool { _, ok := attack.Technique(id); return ok }
	if playbooks.LintCommand(stdout, dir, known) != 0 {
		return usageError{errors.New("the playbooks have problems")}
	}
	return nil
}

// lintDir is the directory to lint: the argument, or playbooks.dir of the
// configuration, or none (the built-in playbooks alone).
func lintDir(args []string, cfgPath string) (string, error) {
	switch {
	case len(args) > 1:
		return "", usageError{errors.New("playbooks lint takes one directory")}
	case len(args) == 1 && cfgPath != "":
		return "", usageError{errors.New("give a directory or --config, not both")}
	case len(args) == 1:
		return args[0], nil
	case cfgPath != "":
		cfg, err := config.LoadFile(cfgPath)
		if err != nil {
			return "", usageError{err}
		}
		return cfg.Playbooks.Dir, nil
	}
	return "", nil
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }
