package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// runTagWith runs vigil tag in-process with stdin and returns stdout,
// stderr and the error.
func runTagWith(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	env, stdout, stderr := testEnv(stdin)
	err := runTag(context.Background(), env, args)
	return stdout.String(), stderr.String(), err
}

func TestTagPrintsCountriesAndRegions(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{
			name: "text from arguments",
			args: []string{"Strikes", "on", "Kharkiv."},
			want: "About (most salient first):\n  UA              🇺🇦 Ukraine\n  eastern-europe  Eastern Europe\n  europe          Europe\n",
		},
		{
			name:  "text from stdin with a title",
			stdin: "Protests continued in the capital.",
			args:  []string{"--title", "Tbilisi protests"},
			want:  "About (most salient first):\n  GE            🇬🇪 Georgia\n  caucasus      Caucasus\n  western-asia  Western Asia\n  asia          Asia\n",
		},
		{
			name: "places only mentioned come after the focus",
			args: []string{"Troops", "in", "Mali", "clashed", "near", "Gao", "and", "Timbuktu,", "while", "a", "Russian-speaking", "adviser", "watched."},
			want: "About (most salient first):\n  ML                  🇲🇱 Mali\n  sahel               Sahel\n  western-africa      Western Africa\n  sub-saharan-africa  Sub-Saharan Africa\n  africa              Africa\n" +
				"Also mentions:\n  RU              🇷🇺 Russia\n  eastern-europe  Eastern Europe\n  europe          Europe\n",
		},
		{
			name: "a text about nowhere",
			args: []string{"Let us know."},
			want: "About (most salient first):\n  (none)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runTagWith(t, tt.stdin, tt.args...)
			if err != nil {
				t.Fatalf("runTag: %v", err)
			}
			if out != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", out, tt.want)
			}
		})
	}
}

func TestTagJSONLinesAddsTagsAndKeepsFields(t *testing.T) {
	in := `{"id":"a","title":"Tallinn outage","text":"Estonian officials said.","source":{"name":"ERR"}}

{"id":"b","text":"nothing here"}
`
	out, stderr, err := runTagWith(t, in, "--jsonl")
	if err != nil {
		t.Fatalf("runTag: %v (stderr %q)", err, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), out)
	}
	var first struct {
		ID        string          `json:"id"`
		Title     string          `json:"title"`
		Source    json.RawMessage `json:"source"`
		Countries []string        `json:"countries"`
		Regions   []string        `json:"regions"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.ID != "a" || first.Title != "Tallinn outage" || string(first.Source) != `{"name":"ERR"}` {
		t.Errorf("fields not kept: %s", lines[0])
	}
	if !slices.Equal(first.Countries, []string{"EE"}) || !slices.Contains(first.Regions, "baltic-states") {
		t.Errorf("tags = %v %v, want [EE] and baltic-states", first.Countries, first.Regions)
	}
	for _, key := range []string{"countries", "regions", "mentions", "mention_regions"} {
		if !strings.Contains(lines[1], `"`+key+`":[]`) {
			t.Errorf("an untagged story must get an empty %s list, got %s", key, lines[1])
		}
	}
}

func TestTagJSONLinesReportsBadLinesAndContinues(t *testing.T) {
	in := "{\"text\":\"Kyiv\"}\nnot json\n{\"text\":42}\n[1,2]\n{\"text\":\"Riga\"}\n"
	out, stderr, err := runTagWith(t, in, "--jsonl")
	if err == nil || !strings.Contains(err.Error(), "skipped 3 of 5 lines") {
		t.Errorf("err = %v, want one counting 3 bad lines of 5", err)
	}
	for _, want := range []string{"vigil: tag: line 2: not valid JSON", `vigil: tag: line 3: field "text" is a number, not a string`, "vigil: tag: line 4: not a JSON object but a list"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "json") || strings.Contains(stderr, "Go ") {
		t.Errorf("stderr names Go types:\n%s", stderr)
	}
	if n := strings.Count(out, "\n"); n != 2 || !strings.Contains(out, `"UA"`) || !strings.Contains(out, `"LV"`) {
		t.Errorf("good lines not all written:\n%s", out)
	}
}

func TestTagFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error
		stdout  string
		msg     string
	}{
		{"-h shows help on stdout", []string{"-h"}, flag.ErrHelp, "vigil tag --jsonl", ""},
		{"--jsonl with text is a usage error", []string{"--jsonl", "Kyiv"}, errUsage, "", "takes neither TEXT nor --title"},
		{"an unknown flag is a usage error", []string{"--nope"}, errUsage, "", "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runTagWith(t, "", tt.args...)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout %q lacks %q", stdout, tt.stdout)
			}
			if tt.msg != "" && (err == nil || !strings.Contains(err.Error(), tt.msg)) {
				t.Errorf("err = %v, want it to say %q", err, tt.msg)
			}
			// runMain prints the error once; the command itself prints nothing.
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestTagUsesConfigRegions(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	writeTagConfig(t, good, "[[regions]]\nslug = \"north-sea\"\nname = \"North Sea\"\ncountries = [\"NO\", \"GB\"]\nplaces = [\"Dogger Bank\"]\n")
	out, _, err := runTagWith(t, "", "--config", good, "Cables cut near Dogger Bank.")
	if err != nil {
		t.Fatalf("runTag: %v", err)
	}
	if !regexp.MustCompile(`(?m)^  north-sea +North Sea$`).MatchString(out) {
		t.Errorf("output lacks the configured region:\n%s", out)
	}

	clash := filepath.Join(dir, "clash.toml")
	writeTagConfig(t, clash, "[[regions]]\nslug = \"sahel\"\nname = \"Sahel\"\ncountries = [\"ML\"]\n")
	if _, _, err := runTagWith(t, "", "--config", clash, "x"); err == nil || !strings.Contains(err.Error(), `"sahel"`) {
		t.Errorf("err = %v, want one naming the clashing slug", err)
	}
}

func writeTagConfig(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
