package main

import (
	"runtime/debug"
	"strings"
)

// versionString says which sccbot this is: the version stamped at build
// time (-ldflags "-X main.version=..."), or else the module version and the
// VCS revision Go records in every binary built from a checkout, so that a
// binary built with plain `go build` still names its commit.
func versionString(stamped string, info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "sccbot " + stamped
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	v := stamped
	if v == "" || v == "dev" {
		v = info.Main.Version
	}
	var parts []string
	switch rev := settings["vcs.revision"]; {
	case rev != "":
		r := "revision " + rev
		if settings["vcs.modified"] == "true" {
			r += " (modified)"
		}
		parts = append(parts, r)
	default:
		parts = append(parts, "revision unknown: built without VCS information (-buildvcs=false or no checkout)")
	}
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, "committed "+t)
	}
	parts = append(parts, info.GoVersion)
	return "sccbot " + v + " (" + strings.Join(parts, ", ") + ")"
}

func currentVersion() string {
	info, ok := debug.ReadBuildInfo()
	return versionString(version, info, ok)
}
