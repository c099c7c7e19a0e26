package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigilbot/vigil/alerts/summary"
)

// runSummarizeWith runs vigil summarize in-process and returns stdout,
// stderr and the error.
func runSummarizeWith(t *testing.T, stdin io.Reader, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdin: stdin, stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	err := runSummarize(context.Background(), env, args)
	return stdout.String(), stderr.String(), err
}

func seedStory(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "alerts", "summary", "testdata", "seed-story.txt"))
	if err != nil {
		t.Fatalf("read seed story: %v", err)
	}
	return string(b)
}

func TestSummarizePrintsTheSummary(t *testing.T) {
	seed := seedStory(t)
	tests := []struct {
		name      string
		stdin     string
		args      []string
		want      []string // substrings the output must have
		maxChars  int
		sentences int
	}{
		{"the seed story in three sentences names NATO, the Baltic states and the envoy", seed, nil,
			[]string{"NATO", "Baltic states", "Julianne Smith"}, 600, 3},
		{"a real description is the summary", seed, []string{"--title", "NATO reinforces the Baltic states",
			"--description", "The U.S. envoy to NATO said extra American troops will reinforce the Baltic states."},
			[]string{"The U.S. envoy to NATO said extra American troops will reinforce the Baltic states."}, 600, 1},
		{"a description cut short is not", seed, []string{"--description", "As tensions simmer on the Eastern European border, the international…"},
			[]string{"Julianne Smith"}, 600, 0},
		{"one sentence on request", seed, []string{"--sentences", "1"}, nil, 600, 1},
		{"a tight budget is respected", seed, []string{"--chars=200"}, nil, 200, 0},
		{"a short feed text comes back cleaned", "KYIV (Reuters) - Drones hit a power plant overnight.  Read more…", nil,
			[]string{"Drones hit a power plant overnight."}, 600, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runSummarizeWith(t, strings.NewReader(tt.stdin), tt.args...)
			if err != nil {
				t.Fatalf("summarize: %v", err)
			}
			if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
				t.Errorf("output is not one line: %q", out)
			}
			out = strings.TrimSuffix(out, "\n")
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if n := utf8.RuneCountInString(out); n == 0 || n > tt.maxChars {
				t.Errorf("output has %d characters, want 1..%d", n, tt.maxChars)
			}
			if tt.sentences > 0 {
				if n := len(summary.Split(out)); n != tt.sentences {
					t.Errorf("output has %d sentences, want %d:\n%s", n, tt.sentences, out)
				}
			}
			if strings.Contains(out, "KYIV") || strings.Contains(out, "date 2024") {
				t.Errorf("dateline or date stamp kept: %s", out)
			}
		})
	}
}

func TestSummarizeRejectsBadInvocations(t *testing.T) {
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantMsg string
	}{
		{"zero sentences", "Text.", []string{"--sentences", "0"}, "--sentences must be at least 1, got 0"},
		{"negative sentences", "Text.", []string{"--sentences=-2"}, "--sentences must be at least 1, got -2"},
		{"a budget below 50", "Text.", []string{"--chars", "49"}, "--chars must be between 50 and 4096, got 49"},
		{"a budget above Discord's limit", "Text.", []string{"--chars", "4097"}, "--chars must be between 50 and 4096, got 4097"},
		{"a budget that is not a number", "Text.", []string{"--chars", "lots"}, "invalid value \"lots\""},
		{"an unknown flag", "Text.", []string{"--paragraphs", "3"}, "flag provided but not defined: -paragraphs"},
		{"a word budget too small", "Text.", []string{"--words", "3"}, "--words must be between 10 and 600, got 3"},
		{"a stray argument", "Text.", []string{"article.txt"}, "takes no arguments, got \"article.txt\""},
		{"empty stdin", " \n ", nil, "no text on stdin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runSummarizeWith(t, strings.NewReader(tt.stdin), tt.args...)
			if !errors.Is(err, errUsage) {
				t.Fatalf("error %v is not a usage error", err)
			}
			if exitCode(err) != 2 {
				t.Errorf("exit code %d, want 2", exitCode(err))
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if out != "" {
				t.Errorf("printed %q on error", out)
			}
		})
	}
}

func TestSummarizeHelp(t *testing.T) {
	stdout, _, err := runSummarizeWith(t, strings.NewReader(""), "-h")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("error = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"Usage: vigil summarize [--sentences N] [--words W] [--chars C]", "-sentences", "-words", "-chars", "-description", "4096"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help on stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestSummarizeRefusesHugeInput(t *testing.T) {
	huge := io.LimitReader(neverEnding('a'), maxSummarizeInput+10)
	_, _, err := runSummarizeWith(t, huge)
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("error = %v, want input too large", err)
	}
}

func TestSummarizeStopsWhenCancelled(t *testing.T) {
	pr, pw := io.Pipe() // a terminal nobody types into
	t.Cleanup(func() { pw.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancel)
	env := &cliEnv{stdin: pr, stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	err := runSummarize(ctx, env, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the context's deadline", err)
	}
}

// neverEnding is an endless reader of one byte.
type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
