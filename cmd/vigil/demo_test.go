package main

import (
	"context"
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
