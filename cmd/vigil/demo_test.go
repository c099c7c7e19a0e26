package main

import (
	"context"
	"slices"
	"strings"
	"testing"
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
