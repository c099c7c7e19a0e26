package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/summary"
)

func TestDemoRunsThePipelineAndEndsWithABriefing(t *testing.T) {
	env, out, _ := testEnv("")
	if err := runDemo(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	alerts, briefing, ok := strings.Cut(text, "── The daily briefing #baltic-watch would get")
	if !ok {
		t.Fatalf("the demo does not end with a briefing:\n%s", text)
	}
	for _, w := range []string{"polled", "── What each channel would be sent ──", "#sahel-desk", "#cyber"} {
		if !strings.Contains(alerts, w) {
			t.Errorf("demo output lacks %q", w)
		}
	}
	for _, w := range []string{"Daily briefing · ", "Top stories", "NATO moves troops to the Baltic states", "(+1 outlet)"} {
		if !strings.Contains(briefing, w) {
			t.Errorf("demo briefing lacks %q:\n%s", w, briefing)
		}
	}
	if strings.Contains(briefing, "<t:") {
		t.Errorf("demo briefing shows Discord timestamp markup:\n%s", briefing)
	}
}

// demoRouting reads the demo's output into the headlines each channel would
// be sent.
func demoRouting(t *testing.T, out string) map[string][]string {
	t.Helper()
	alerts, _, _ := strings.Cut(out, "── The daily briefing")
	_, alerts, _ = strings.Cut(alerts, "── What each channel would be sent ──")
	got := map[string][]string{}
	channel := ""
	for _, line := range strings.Split(alerts, "\n") {
		if name, _, ok := strings.Cut(line, " (watching "); ok && strings.HasPrefix(name, "#") {
			channel = name
			got[channel] = nil
			continue
		}
		if headline, ok := strings.CutPrefix(line, "  ┌ "); ok {
			got[channel] = append(got[channel], headline)
		}
	}
	return got
}

func TestDemoRoutesRegionStoriesByWhatTheyAreAbout(t *testing.T) {
	env, out, _ := testEnv("")
	if err := runDemo(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	routed := demoRouting(t, out.String())
	const (
		baltic   = "NATO moves troops to the Baltic states as Russia masses 100,000 near Ukraine"
		balticUS = "U.S. to send extra troops and artillery to Baltic states, NATO envoy says"
		niger    = "Niger junta seizes uranium stock as French firm exits Arlit mine"
		mali     = "Militants attack army convoy near Timbuktu as Mali's junta leans on Russian fighters"
		ransom   = "Ransomware attack forces German hospital group to divert ambulances"
		redSea   = "Houthi missile strikes tanker in the Red Sea off Hodeidah"
		poland   = "Cyberattack on Polish railway signalling halts trains near Gdansk"
	)
	// Each event reaches a channel once, as whichever report came first, so
	// the Baltic event may arrive as either outlet's headline.
	tests := []struct {
		channel     string
		wantOneOf   [][]string
		mustNotHave []string
	}{
		{"#baltic-watch", [][]string{{baltic, balticUS}}, []string{niger, mali, ransom, redSea, poland}},
		{"#sahel-desk", [][]string{{niger}, {mali}}, []string{baltic, balticUS, ransom, redSea, poland}},
		{"#eastern-europe", [][]string{{poland}, {baltic, balticUS}}, []string{niger, mali, ransom, redSea}},
		{"#russia-mentions", [][]string{{niger}, {mali}, {ransom}, {poland}, {baltic, balticUS}}, []string{redSea}},
	}
	for _, tt := range tests {
		got, ok := routed[tt.channel]
		if !ok {
			t.Errorf("the demo has no channel %s", tt.channel)
			continue
		}
		for _, alts := range tt.wantOneOf {
			n := 0
			for _, h := range alts {
				n += strings.Count(strings.Join(got, "\n")+"\n", h+"\n")
			}
			if n != 1 {
				t.Errorf("%s got %q %d times, want once; it got %q", tt.channel, alts[0], n, got)
			}
		}
		for _, h := range tt.mustNotHave {
			if slices.Contains(got, h) {
				t.Errorf("%s got %q, a story its regions are not about", tt.channel, h)
			}
		}
	}
}

// TestDemoSummariesStandAlone summarises every embedded demo story as the
// pipeline does and counts the summary sentences that lean on one left
// out; a feed's real description is used as it is.
func TestDemoSummariesStandAlone(t *testing.T) {
	entries, err := fs.ReadDir(demoFeeds, "demodata")
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	opt := summary.Options{Sentences: cfg.Summary.Sentences, MaxWords: cfg.Summary.MaxWords, MaxChars: cfg.Summary.MaxChars}
	stories := 0
	for _, e := range entries {
		body, err := renderDemoFeed(demoFeeds, "demodata/"+e.Name(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		f, err := feed.Parse("https://demo.example/"+e.Name(), body, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		for _, s := range f.Stories {
			stories++
			got := summary.ForStory(summary.Story{Title: s.Title, Description: s.Description, Text: s.Text}, opt)
			if got == "" {
				t.Errorf("%q: empty summary", s.Title)
			}
			if bad := summary.Unresolved(got, s.Title, s.Text); len(bad) > 0 && got != summary.Clean(s.Description) {
				t.Errorf("%q: unresolved sentences %q in summary:\n%s", s.Title, bad, got)
			}
			if n := len(strings.Fields(got)); n > opt.MaxWords {
				t.Errorf("%q: summary has %d words, budget %d", s.Title, n, opt.MaxWords)
			}
			if strings.HasPrefix(s.Title, "NATO moves troops") {
				if want := "The U.S. envoy to NATO said extra American troops and artillery will reinforce the alliance's eastern flank."; got != want {
					t.Errorf("NATO story's summary = %q, want the feed's own description %q", got, want)
				}
			}
		}
	}
	if stories < 5 {
		t.Fatalf("only %d demo stories summarised", stories)
	}
}

var update = flag.Bool("update", false, "rewrite cmd/vigil/testdata golden files")

// TestDemoGolden compares the whole demo output, at a fixed clock, with
// testdata/demo.golden: the same clock must give the same output on every
// run, whatever the port the feeds are served on (go test -run Golden
// -update rewrites it).
func TestDemoGolden(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC),
		// The same instant seen from another zone: the output is in UTC.
		time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC).In(time.FixedZone("UTC+9", 9*3600)),
	} {
		env, out, _ := testEnv("")
		env.now = func() time.Time { return now }
		if err := runDemo(context.Background(), env, nil); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "demo.golden")
		if *update {
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run Golden -update to create it)", err)
		}
		if got := out.String(); got != string(want) {
			t.Errorf("demo output at %v differs from %s (run go test -run Golden -update to accept it):\n%s", now, path, firstDiff(string(want), got))
		}
	}
}

// firstDiff shows the first line where got departs from want.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

// TestDemoShowsOnlyTimesInsideTheBriefingPeriod runs the demo at several
// clocks and checks that every story it prints was published in the
// briefing's period, the day before now, and that each channel's alerts
// are in the order they happened.
func TestDemoShowsOnlyTimesInsideTheBriefingPeriod(t *testing.T) {
	storyTime := regexp.MustCompile(`^  .+ · (\d{4}-\d\d-\d\d \d\d:\d\d) UTC$`)
	alertTime := regexp.MustCompile(`^  │ .+ · (\d+ [A-Z][a-z]{2} \d\d:\d\d) UTC$`)
	tests := []struct {
		name string
		now  time.Time
	}{
		{"at the start of a year", time.Date(2027, 1, 1, 0, 3, 0, 0, time.UTC)},
		{"on a leap day", time.Date(2028, 2, 29, 12, 0, 0, 0, time.UTC)},
		{"at the wall clock's time", time.Now().Truncate(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, _ := testEnv("")
			env.now = func() time.Time { return tt.now }
			if err := runDemo(context.Background(), env, nil); err != nil {
				t.Fatal(err)
			}
			from, to := tt.now.Add(-24*time.Hour), tt.now
			var stories int
			var last time.Time
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(line, "#") {
					last = time.Time{}
				}
				if m := storyTime.FindStringSubmatch(line); m != nil {
					stories++
					at, err := time.Parse("2006-01-02 15:04", m[1])
					if err != nil {
						t.Fatal(err)
					}
					if at.Before(from) || at.After(to) {
						t.Errorf("story dated %v, outside the briefing period %v – %v", at, from, to)
					}
				}
				if m := alertTime.FindStringSubmatch(line); m != nil {
					at, err := time.Parse("2006 2 Jan 15:04", fmt.Sprint(tt.now.Year())+" "+m[1])
					if err != nil {
						t.Fatal(err)
					}
					if at.After(tt.now) {
						at = at.AddDate(-1, 0, 0) // the day before 1 January
					}
					if at.Before(last) {
						t.Errorf("alert of %v comes after one of %v in its channel", at, last)
					}
					last = at
				}
			}
			if stories < 10 {
				t.Errorf("found %d dated stories in the demo's output, want the dozen samples", stories)
			}
		})
	}
}
