package main

import (
	"context"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

// runCLI runs one vigil invocation in-process as main does and returns its
// exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	env, stdout, stderr := testEnv("")
	code := runMain(context.Background(), env, args)
	return code, stdout.String(), stderr.String()
}

func TestHelpExitsZeroOnStdout(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"vigil -h", []string{"-h"}, "Usage: vigil <command>"},
		{"vigil --help", []string{"--help"}, "Usage: vigil <command>"},
		{"vigil help", []string{"help"}, "Usage: vigil <command>"},
		{"vigil help tag", []string{"help", "tag"}, "Usage: vigil tag"},
		{"vigil tag -h", []string{"tag", "-h"}, "Usage: vigil tag"},
		{"vigil run --help", []string{"run", "--help"}, "Usage: vigil run"},
		{"vigil demo -h", []string{"demo", "-h"}, "Usage: vigil demo"},
		{"vigil version -h", []string{"version", "-h"}, "Usage: vigil version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != 0 {
				t.Errorf("exit status %d, want 0", code)
			}
			if !strings.HasPrefix(stdout, tt.want) {
				t.Errorf("stdout starts %q, want %q", firstLine(stdout), tt.want)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestUsageErrorsComeFirstOnceAndExitTwo(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		first string // the error line
		hint  string // the line after it
	}{
		{"a missing flag value", []string{"tag", "--title"}, "vigil: tag: flag needs an argument: -title", "Run 'vigil tag -h' for usage."},
		{"an unknown flag", []string{"summarize", "--paragraphs", "3"}, "vigil: summarize: flag provided but not defined: -paragraphs", "Run 'vigil summarize -h' for usage."},
		{"a bad flag value", []string{"summarize", "--chars", "lots"}, `vigil: summarize: invalid value "lots" for flag -chars: parse error`, "Run 'vigil summarize -h' for usage."},
		{"run with an argument", []string{"run", "extra"}, `vigil: run takes no arguments, got "extra"; give the config file with --config`, "Run 'vigil run -h' for usage."},
		{"demo with an argument", []string{"demo", "extra"}, `vigil: demo takes no arguments, got "extra"`, "Run 'vigil demo -h' for usage."},
		{"check with an argument", []string{"check", "feed.xml"}, `vigil: check takes no arguments, got "feed.xml"; give the feed with --feed URL or --feed FILE`, "Run 'vigil check -h' for usage."},
		{"regions with an argument", []string{"regions", "europe"}, `vigil: regions takes no arguments, got "europe"`, "Run 'vigil regions -h' for usage."},
		{"match with an argument", []string{"match", "--query", "a", "s.jsonl"}, `vigil: match takes no arguments, got "s.jsonl"; stories are read from stdin`, "Run 'vigil match -h' for usage."},
		{"summarize with an argument", []string{"summarize", "a.txt"}, `vigil: summarize takes no arguments, got "a.txt"; the text is read from stdin`, "Run 'vigil summarize -h' for usage."},
		{"version with an argument", []string{"version", "now"}, `vigil: version takes no arguments, got "now"`, "Run 'vigil version -h' for usage."},
		{"--enrich without --jsonl", []string{"check", "--feed", "x.xml", "--enrich"}, "vigil: check: --enrich adds fields to --jsonl output; without --jsonl the stories are always shown enriched", "Run 'vigil check -h' for usage."},
		{"check without --feed", []string{"check"}, "vigil: check needs --feed URL or --feed FILE", "Run 'vigil check -h' for usage."},
		{"an unknown command", []string{"frobnicate"}, `vigil: unknown command "frobnicate"`, ""},
		{"no command", nil, "vigil: no command given", ""},
		{"help for an unknown command", []string{"help", "frobnicate"}, `vigil: help: unknown command "frobnicate"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			lines := strings.Split(stderr, "\n")
			if lines[0] != tt.first {
				t.Errorf("first line of stderr = %q, want %q", lines[0], tt.first)
			}
			if strings.Count(stderr, strings.TrimPrefix(tt.first, "vigil: ")) != 1 {
				t.Errorf("the error is not printed exactly once:\n%s", stderr)
			}
			switch {
			case tt.hint != "" && (len(lines) != 3 || lines[1] != tt.hint):
				t.Errorf("stderr = %q, want the error then %q", stderr, tt.hint)
			case tt.hint == "" && !strings.Contains(stderr, "Commands:"):
				t.Errorf("stderr lacks the command list after the error:\n%s", stderr)
			}
		})
	}
}

func TestFailuresExitOneWithoutAUsageHint(t *testing.T) {
	code, _, stderr := runCLI(t, "check", "--feed", "testdata/no-such-feed.xml")
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.HasPrefix(stderr, "vigil: read feed file:") || strings.Contains(stderr, "-h' for usage") {
		t.Errorf("stderr = %q, want the failure alone", stderr)
	}
}

func TestVersionNamesModuleCommitAndGo(t *testing.T) {
	tests := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{
			name: "a release built from a clean tree",
			info: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/vigilbot/vigil", Version: "v1.4.0"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"}, {Key: "vcs.revision", Value: "4f0b652aa1"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			want: "vigil v1.4.0\ncommit 4f0b652aa1, committed 2026-12-01T10:00:00Z\nbuilt with go1.26.0 linux/arm64\n",
		},
		{
			name: "a build from a tree with changes",
			info: debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/vigilbot/vigil", Version: "(devel)"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}, {Key: "vcs.revision", Value: "c719738"}, {Key: "vcs.modified", Value: "true"}}},
			want: "vigil (devel)\ncommit c719738 (modified)\nbuilt with go1.26.0 linux/amd64\n",
		},
		{
			name: "go run, which records no version control",
			info: debug.BuildInfo{GoVersion: "go1.26.0", Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}}},
			want: "vigil (devel)\ncommit unknown (built without version control information)\nbuilt with go1.26.0 darwin/arm64\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := writeVersion(&b, &tt.info); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
	t.Run("the command prints this binary's build", func(t *testing.T) {
		code, stdout, _ := runCLI(t, "version")
		if code != 0 || !regexp.MustCompile(`^vigil \S+\ncommit .+\nbuilt with go\S+ \w+/\w+\n$`).MatchString(stdout) {
			t.Errorf("vigil version: exit %d, output\n%s", code, stdout)
		}
	})
}

// TestREADMEDocumentsEveryCommandAndFlag keeps the README's command
// reference from drifting: every command vigil has, and every flag each
// defines (read from its own -h), must appear under its heading.
func TestREADMEDocumentsEveryCommandAndFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := readmeCommandSections(string(readme))
	flagLine := regexp.MustCompile(`(?m)^  -(\S+)`)
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			section, ok := sections[c.name]
			if !ok {
				t.Fatalf("README.md has no \"### vigil %s\" section under \"## Commands\"", c.name)
			}
			code, help, _ := runCLI(t, c.name, "-h")
			if code != 0 {
				t.Fatalf("vigil %s -h exited %d", c.name, code)
			}
			for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
				name := m[1]
				want := "`--" + name
				if len(name) == 1 {
					want = "`-" + name
				}
				if !strings.Contains(section, want) {
					t.Errorf("README's vigil %s section does not document %s`", c.name, want)
				}
			}
		})
	}
}

// readmeCommandSections splits the README's "## Commands" section into its
// "### vigil NAME" subsections.
func readmeCommandSections(readme string) map[string]string {
	_, rest, _ := strings.Cut(readme, "\n## Commands\n")
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	sections := map[string]string{}
	for _, part := range strings.Split(rest, "\n### vigil ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		sections[strings.Fields(name)[0]] = body
	}
	return sections
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
