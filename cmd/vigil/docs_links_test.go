package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A reader of a clone has only the repository: a link or a path the docs
// name outside it (the old "../shared/DESIGN.md") is a dead end for them.
var (
	markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	codeSpanPath = regexp.MustCompile("`(\\.\\./[^`\\s]+)`")
)

func TestDocsLinkOnlyInsideTheRepository(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{filepath.Join(root, "README.md")}, docs...)
	if len(docs) == 0 {
		t.Fatal("docs/ has no markdown files; the README's architecture link needs docs/architecture.md")
	}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for _, m := range codeSpanPath.FindAllStringSubmatch(string(text), -1) {
			t.Errorf("%s names %s, a path outside the repository", rel, m[1])
		}
		for _, m := range markdownLink.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			abs := filepath.Clean(filepath.Join(filepath.Dir(file), target))
			if inside, _ := filepath.Rel(root, abs); strings.HasPrefix(inside, "..") {
				t.Errorf("%s links %s, outside the repository", rel, m[1])
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s links %s, which does not exist", rel, m[1])
			}
		}
	}
}

// The README's test command uses -race, which needs cgo and a C compiler even
// though the binary does not; a fresh machine without gcc must still pass CI.
func TestFirstRunNeedsAreStated(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	quickStart, _, _ := strings.Cut(string(readme), "## Commands")
	for _, want := range []string{"C compiler", "-race", "module proxy", "MB", "minutes"} {
		if !strings.Contains(quickStart, want) {
			t.Errorf("the README's quick start does not mention %q", want)
		}
	}
	if strings.Contains(quickStart, "No cgo,") {
		t.Error(`the README still says "No cgo" without saying the race detector needs it`)
	}
	for _, want := range []string{"command -v gcc", "apt-get install", "CGO_ENABLED=1"} {
		if !strings.Contains(string(ci), want) {
			t.Errorf(".ci/run does not contain %q: it must install a C compiler when one is missing", want)
		}
	}
}
