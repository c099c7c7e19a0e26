package geo

import (
	"strings"
	"testing"
)

func TestNotableKeepsDeskRegionsAndOperatorRegions(t *testing.T) {
	tg, err := New(RegionDef{Slug: "north-sea", Name: "North Sea", Countries: []string{"NO", "GB"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []string
		want string
	}{
		{"continents, UN sub-regions and alliances are dropped", []string{"europe", "northern-europe", "eu", "nato", "baltic-states", "nato-eastern-flank"}, "baltic-states,nato-eastern-flank"},
		{"an operator's region is kept", []string{"europe", "north-sea"}, "north-sea"},
		{"nothing notable is nothing", []string{"asia", "eastern-asia"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(tg.Notable(tt.in), ","); got != tt.want {
				t.Errorf("Notable(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for slug := range notableRegions {
		if _, ok := tg.bySlug[slug]; !ok {
			t.Errorf("notable region %q is not in the gazetteer", slug)
		}
	}
}
