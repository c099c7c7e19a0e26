package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRegionsListsEachCanonicalSlugOnce(t *testing.T) {
	env, out, _ := testEnv("")
	if err := runRegions(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		slug, rest, _ := strings.Cut(line, " ")
		if _, dup := seen[slug]; dup {
			t.Errorf("%s listed twice", slug)
		}
		seen[slug] = strings.TrimSpace(rest)
	}
	tests := []struct{ slug, want string }{
		{"baltic-states", "Baltic states: EE LT LV"},
		{"east-asia", "(was eastern-asia)"},
		{"southeast-asia", "(was south-eastern-asia)"},
		{"south-asia", "(was southern-asia)"},
		{"north-america", "(was northern-america)"},
		{"red-sea", "(when named)"},
	}
	for _, tt := range tests {
		if got, ok := seen[tt.slug]; !ok || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want it to contain %q", tt.slug, got, tt.want)
		}
	}
	for _, old := range []string{"eastern-asia", "south-eastern-asia", "southern-asia", "northern-america"} {
		if _, ok := seen[old]; ok {
			t.Errorf("the old slug %s is listed as a region of its own", old)
		}
	}
}

func TestRegionsRefusesArguments(t *testing.T) {
	env, _, _ := testEnv("")
	if err := runRegions(context.Background(), env, []string{"asia"}); !errors.Is(err, errUsage) {
		t.Errorf("err = %v, want a usage error", err)
	}
}
