package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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

// The query of issue 15: "drone NOT Romania" matched a story saying the
// drone was "not … over Romania" and reported the terms drone, not,
// romania. NOT now excludes; the lower-case spelling still looks for the
// word, and says so.
func TestMatchNotExcludesAndLowerCaseNotWarns(t *testing.T) {
	const story = `{"id":"a","feed":"f","title":"Drone debris","text":"The drone was not over Romania, officials said.","countries":["UA"]}` + "\n" +
		`{"id":"b","feed":"f","title":"Drone over Poland","text":"A drone crossed into Poland.","countries":["PL"]}` + "\n"
	tests := []struct {
		name, query string
		ids         []string // stories matched, in order
		terms       string   // of the first match
		stderr      []string
	}{
		{"NOT excludes", "drone NOT Romania", []string{"b"}, "drone", nil},
		{"lower-case not is a word, with a warning", "drone not Romania", []string{"a"}, "drone,not,romania",
			[]string{`vigil match: --query: warning: at column 7: "not" is looked for as a word`, "vigil match: --query: did you mean: drone NOT Romania\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runMatchWith(t, story, "--query", tt.query)
			if err != nil {
				t.Fatalf("runMatch: %v (stderr %q)", err, stderr)
			}
			var ids []string
			var terms string
			for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var got struct {
					ID      string `json:"id"`
					Matched []struct {
						Terms []string `json:"terms"`
					} `json:"matched"`
				}
				if err := json.Unmarshal([]byte(line), &got); err != nil {
					t.Fatalf("output line %q: %v", line, err)
				}
				ids = append(ids, got.ID)
				if i == 0 && len(got.Matched) > 0 {
					terms = strings.Join(got.Matched[0].Terms, ",")
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") || terms != tt.terms {
				t.Errorf("matched %v with terms %s, want %v with %s", ids, terms, tt.ids, tt.terms)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			if tt.stderr == nil && stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestMatchExplainSaysWhyEachQueryMatchedOrNot(t *testing.T) {
	const stories = `{"id":"a","feed":"f","title":"Drone debris","text":"The drone was not over Romania, officials said.","countries":["UA"],"mentions":["UA","RO"]}` + "\n" +
		`{"id":"b","feed":"f","title":"Drone over Poland","text":"A drone crossed into Poland.","countries":["PL"]}` + "\n"
	out, stderr, err := runMatchWith(t, stories, "--query", "drone NOT Romania", "--region", "Romania", "--explain")
	if err != nil {
		t.Fatalf("runMatch: %v (stderr %q)", err, stderr)
	}
	type explained struct {
		ID      string            `json:"id"`
		Matched []json.RawMessage `json:"matched"`
		Explain []explanationJSON `json:"explain"`
	}
	var got []explained
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e explained
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		got = append(got, e)
	}
	if len(got) != 2 {
		t.Fatalf("printed %d stories, want both, matched or not:\n%s", len(got), out)
	}
	tests := []struct {
		name    string
		story   explained
		clauses string
		reasons []string
	}{
		{"a story the exclusion and the region turned away", got[0], "drone:true,-romania:false", []string{
			"the story is not about Romania; it only mentions Romania (scope mentions would match it)",
			`the story has "romania", which the query excludes (-romania)`,
		}},
		{"a story that passed the query but not the region", got[1], "drone:true,-romania:true", []string{
			"the story is not about Romania",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.story.Explain) != 1 {
				t.Fatalf("explain = %+v, want one entry", tt.story.Explain)
			}
			e := tt.story.Explain[0]
			var clauses []string
			for _, c := range e.Clauses {
				clauses = append(clauses, fmt.Sprintf("%s:%v", c.Clause, c.OK))
			}
			if e.Subscription != "--query" || e.Matched || len(tt.story.Matched) != 0 {
				t.Errorf("explain = %+v, matched = %s; want --query, not matched", e, tt.story.Matched)
			}
			if strings.Join(clauses, ",") != tt.clauses {
				t.Errorf("clauses = %s, want %s", strings.Join(clauses, ","), tt.clauses)
			}
			if strings.Join(e.Reasons, "|") != strings.Join(tt.reasons, "|") {
				t.Errorf("reasons = %q, want %q", e.Reasons, tt.reasons)
			}
		})
	}

	// A match is explained too, beside "matched".
	out, _, err = runMatchWith(t, stories, "--query", "drone NOT Romania", "--explain")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var b explained
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &b) != nil || len(b.Matched) != 1 || len(b.Explain) != 1 || !b.Explain[0].Matched || b.Explain[0].Reasons != nil {
		t.Errorf("explained match = %s", out)
	}
}
