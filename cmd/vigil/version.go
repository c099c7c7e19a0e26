package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// runVersion prints what a bug report needs to name the build: the module
// version, the commit it was built from and whether the tree had changes,
// and the Go toolchain.
func runVersion(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "version", `version

Prints vigil's module version, the commit it was built from (with
"modified" when the working tree had uncommitted changes) and the Go
version and platform it was built with.`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, ""); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		// Only a binary built without module support lacks build info.
		info = &debug.BuildInfo{GoVersion: runtime.Version()}
	}
	if err := writeVersion(env.stdout, info); err != nil {
		return fmt.Errorf("version: write output: %w", err)
	}
	return nil
}

// writeVersion renders build info as three lines: version, commit, Go.
func writeVersion(w io.Writer, info *debug.BuildInfo) error {
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	commit := settings["vcs.revision"]
	switch {
	case commit == "":
		// go run and go test record no VCS state.
		commit = "unknown (built without version control information)"
	case settings["vcs.modified"] == "true":
		commit += " (modified)"
	}
	if t := settings["vcs.time"]; t != "" && settings["vcs.revision"] != "" {
		commit += ", committed " + t
	}
	goos, goarch := settings["GOOS"], settings["GOARCH"]
	if goos == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	_, err := fmt.Fprintf(w, "vigil %s\ncommit %s\nbuilt with %s %s/%s\n", version, commit, info.GoVersion, goos, goarch)
	return err
}
