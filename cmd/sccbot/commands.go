package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

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
	if problems := config.CheckEnv(getenv); len(problems) > 0 {
		return usageError{problems}
	}
	log := newLogger(stderr, cfg.Log.Level, cfg.Log.Format)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := newApp(ctx, cfg, readEnv(getenv), log, reg)
	if err != nil {
		return err
	}
	log.Info("sccbot starting", "version", version, "config", path)
	if err := a.Run(ctx); err != nil {
		return err
	}
	log.Info("sccbot stopped")
	return nil
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
	if _, err := config.LoadFile(path); err != nil {
		var problems config.Problems
		if errors.As(err, &problems) {
			fmt.Fprintf(stdout, "%s: %d problem(s):\n%s\n", path, len(problems), problems.Error())
			return usageError{fmt.Errorf("%s is not valid", path)}
		}
		return usageError{err}
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	for _, p := range config.CheckEnv(getenv) {
		fmt.Fprintf(stdout, "warning: %s\n", p.String())
	}
	return nil
}

func configFlag(cmd string, args []string, out io.Writer) (string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(out)
	path := fs.String("config", "", "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return "", usageError{err}
	}
	if *path == "" {
		return "", usageError{fmt.Errorf("%s needs --config FILE", cmd)}
	}
	return *path, nil
}

// cmdPlaybooks is `sccbot playbooks lint [DIR]`: it checks the built-in
// playbooks overlaid by DIR, technique ids against the ATT&CK catalogue,
// and prints every problem with its file, line and field.
func cmdPlaybooks(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "lint" || len(args) > 2 {
		return usageError{errors.New("usage: sccbot playbooks lint [DIR]")}
	}
	dir := ""
	if len(args) == 2 {
		dir = args[1]
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
