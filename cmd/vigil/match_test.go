package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateMatch = flag.Bool("update-match", false, "rewrite cmd/vigil/testdata/match golden files")

// runMatchWith runs vigil match in-process with stdin and returns stdout,
// stderr and the error.
func runMatchWith(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	env, stdout, stderr := testEnv(stdin)
	err := runMatch(context.Background(), env, args)
	return stdout.String(), stderr.String(), err
}

func readMatchTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "match", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMatchPrintsMatchingStoriesWithTheirSubscriptions(t *testing.T) {
	stories := readMatchTestdata(t, "stories.jsonl")
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"a query from the command line", []string{"--query", "Wagner OR drones"}, "query.golden"},
		{"a query narrowed to a region by name", []string{"--query", "Wagner OR drones", "--region", "Ukraine"}, "query-region.golden"},
		{"a file of queries with regions", []string{"--queries", filepath.Join("testdata", "match", "queries.txt")}, "queries.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runMatchWith(t, stories, tt.args...)
			if err != nil {
				t.Fatalf("runMatch: %v (stderr %q)", err, stderr)
			}
			path := filepath.Join("testdata", "match", tt.golden)
			if *updateMatch {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readMatchTestdata(t, tt.golden); out != want {
				t.Errorf("output differs from %s (run with -update-match to accept):\ngot:\n%s\nwant:\n%s", path, out, want)
			}
		})
	}
}

func TestMatchKeepsFieldsAndTagsUntaggedStories(t *testing.T) {
	in := `{"id":"x","feed":"f","title":"Drones over Kharkiv","text":"","extra":{"kept":true}}` + "\n"
	out, _, err := runMatchWith(t, in, "--query", "drone", "--region", "UA")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Extra     map[string]bool `json:"extra"`
		Countries []string        `json:"countries"`
		Matched   []struct {
			Subscription string   `json:"subscription"`
			Query        string   `json:"query"`
			Terms        []string `json:"terms"`
		} `json:"matched"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if !got.Extra["kept"] {
		t.Errorf("the extra field was lost: %s", out)
	}
	if len(got.Countries) != 1 || got.Countries[0] != "UA" {
		t.Errorf("countries = %v, want the story tagged [UA]", got.Countries)
	}
	if len(got.Matched) != 1 || got.Matched[0].Subscription != "--query" || got.Matched[0].Query != "drone" ||
		len(got.Matched[0].Terms) != 1 || got.Matched[0].Terms[0] != "drone" {
		t.Errorf("matched = %+v, want the --query subscription with term drone", got.Matched)
	}
}

func TestMatchRejectsBadInvocations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badQuery := write("bad.txt", "# fine\nWagner\n\nMali (Niger\n")
	badRegion := write("region.txt", "Wagner\tAtlantis\n")
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"needs a query", nil, true, "give --query or --queries"},
		{"refuses --region without --query", []string{"--queries", badRegion, "--region", "UA"}, true, "--region narrows --query"},
		{"refuses arguments", []string{"--query", "a", "stories.jsonl"}, true, `takes no arguments, got "stories.jsonl"`},
		{"reports a bad --query with its column", []string{"--query", "Mali (Niger"}, true, `query: at column 12: expected a closing ")"`},
		{"reports an unknown --region", []string{"--query", "Mali", "--region", "Atlantis"}, true, `unknown country or region "Atlantis"`},
		{"names the file, line and column of a bad query", []string{"--queries", badQuery}, false, badQuery + `:4: query: at column 12: expected a closing ")" to match the "(" at column 6`},
		{"names the file and line of an unknown region", []string{"--queries", badRegion}, false, badRegion + `:1: unknown country or region "Atlantis"`},
		{"reports a missing file", []string{"--queries", filepath.Join(dir, "missing.txt")}, false, "read queries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runMatchWith(t, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if errors.Is(err, errUsage) != tt.usage {
				t.Errorf("usage error = %v, want %v", errors.Is(err, errUsage), tt.usage)
			}
		})
	}
}

func TestMatchReportsBadLinesAndGoesOn(t *testing.T) {
	in := "not json\n" + `{"id":"ok","title":"Wagner","text":""}` + "\n" + `{"id":3,"title":"x"}` + "\n"
	out, stderr, err := runMatchWith(t, in, "--query", "Wagner")
	if err == nil || !strings.Contains(err.Error(), "2 of 3 lines") {
		t.Errorf("error = %v, want it to count 2 bad lines of 3", err)
	}
	if !strings.Contains(stderr, "line 1: not valid JSON") || !strings.Contains(stderr, `line 3: field "id" is a number, not a string`) {
		t.Errorf("stderr = %q, want lines 1 and 3 reported", stderr)
	}
	if !strings.Contains(out, `"id":"ok"`) {
		t.Errorf("stdout = %q, want the good story printed", out)
	}
}

func TestMatchStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(`{"id":"a","title":"Wagner"}` + "\n"), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	err := runMatch(ctx, env, []string{"--query", "Wagner"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}
