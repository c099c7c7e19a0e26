package brief

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// fakePlaces names a few places as alerts/geo does, without its gazetteer.
type fakePlaces map[string]string

func (p fakePlaces) Name(code string) string { return p[code] }

func (p fakePlaces) Flag(code string) string {
	if len(code) != 2 || p[code] == "" {
		return ""
	}
	const regionalIndicatorA = 0x1F1E6
	return string([]rune{regionalIndicatorA + rune(code[0]-'A'), regionalIndicatorA + rune(code[1]-'A')})
}

var testPlaces = fakePlaces{
	"LT": "Lithuania", "LV": "Latvia", "EE": "Estonia", "FI": "Finland", "UA": "Ukraine",
	"RU": "Russia", "ML": "Mali", "BY": "Belarus", "YE": "Yemen",
	"baltic-states": "Baltic states", "eastern-europe": "Eastern Europe", "europe": "Europe",
	"red-sea": "Red Sea", "levant": "Levant", "sahel": "Sahel", "caucasus": "Caucasus",
	"balkans": "Balkans", "south-china-sea": "South China Sea", "korean-peninsula": "Korean Peninsula",
	"latin-america": "Latin America", "nato-eastern-flank": "NATO eastern flank",
}

var (
	dayFrom = time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)
	dayTo   = time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
)

// loadDay reads testdata/day.json and groups its stories by ClusterID, in
// the order clusters first appear.
func loadDay(t testing.TB) [][]alerts.Story {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "day.json"))
	if err != nil {
		t.Fatal(err)
	}
	var stories []alerts.Story
	if err := json.Unmarshal(raw, &stories); err != nil {
		t.Fatalf("decode day.json: %v", err)
	}
	return byCluster(stories)
}

func byCluster(stories []alerts.Story) [][]alerts.Story {
	var out [][]alerts.Story
	index := map[string]int{}
	for _, s := range stories {
		i, ok := index[s.ClusterID]
		if !ok {
			i = len(out)
			index[s.ClusterID] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}

func headlines(entries []Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Headline
	}
	return out
}

func groupCodes(groups []Group) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.Code
	}
	return out
}

func TestComposeDay(t *testing.T) {
	clusters := loadDay(t)
	b := Compose(clusters, Options{Title: "Daily briefing", From: dayFrom, To: dayTo, Places: testPlaces})

	t.Run("counts every cluster and distinct outlet", func(t *testing.T) {
		if b.Stories != len(clusters) {
			t.Errorf("Stories = %d, want %d", b.Stories, len(clusters))
		}
		outlets := map[string]bool{}
		for _, c := range clusters {
			for _, s := range c {
				outlets[s.Source] = true
			}
		}
		if b.Outlets != len(outlets) {
			t.Errorf("Outlets = %d, want %d", b.Outlets, len(outlets))
		}
	})
	t.Run("leads with the events most outlets reported", func(t *testing.T) {
		want := []string{
			"Missile strike on Kharkiv kills 4, injures 27",
			"Drone debris found near Lithuanian border town after overnight attack",
			"Houthis claim missile attack on tanker in Red Sea",
		}
		if got := headlines(b.Top); !slices.Equal(got, want) {
			t.Errorf("Top = %q, want %q", got, want)
		}
	})
	t.Run("gives top stories the first sentence of their summary", func(t *testing.T) {
		want := "A Russian missile strike on Kharkiv killed four people and injured 27 on Tuesday evening, the regional governor said."
		if b.Top[0].Summary != want {
			t.Errorf("Summary = %q, want %q", b.Top[0].Summary, want)
		}
	})
	t.Run("describes a cluster by its earliest report", func(t *testing.T) {
		e := b.Top[0]
		if e.Source != "Kyiv Independent" || e.Outlets != 4 || !e.Published.Equal(time.Date(2026, 11, 24, 19, 45, 0, 0, time.UTC)) {
			t.Errorf("entry = %s, %d outlets, %v", e.Source, e.Outlets, e.Published)
		}
		if !slices.Equal(e.Countries, []string{"UA", "RU"}) {
			t.Errorf("Countries = %q, want the union of the reports' focus in the first report's order", e.Countries)
		}
	})
	t.Run("lists every other cluster exactly once", func(t *testing.T) {
		seen := map[string]int{}
		for _, e := range b.Top {
			seen[e.URL]++
		}
		for _, g := range b.Groups {
			if len(g.Entries) == 0 {
				t.Errorf("group %q is empty", g.Code)
			}
			for _, e := range g.Entries {
				seen[e.URL]++
			}
		}
		if len(seen) != len(clusters) {
			t.Errorf("%d clusters shown, want %d", len(seen), len(clusters))
		}
		for u, n := range seen {
			if n != 1 {
				t.Errorf("%s shown %d times", u, n)
			}
		}
	})
	t.Run("puts untagged stories last, under Elsewhere", func(t *testing.T) {
		last := b.Groups[len(b.Groups)-1]
		if last.Code != "" || last.Name != ElsewhereName {
			t.Errorf("last group = %q %q, want Elsewhere", last.Code, last.Name)
		}
	})
}

func TestComposeSummaryFallsBackToText(t *testing.T) {
	c := [][]alerts.Story{{{Title: "Protests", Source: "A", Text: "Thousands marched. Police watched."}}}
	b := Compose(c, Options{})
	if len(b.Top) != 1 || b.Top[0].Summary != "Thousands marched." {
		t.Errorf("Top = %+v, want the text's first sentence", b.Top)
	}
}

func TestComposeRanking(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 24, h, 0, 0, 0, time.UTC) }
	story := func(title, source string, h int) alerts.Story {
		return alerts.Story{Title: title, Source: source, URL: "https://x.example/" + source + fmt.Sprint(h), Published: at(h), Regions: []string{"europe"}}
	}
	tests := []struct {
		name     string
		clusters [][]alerts.Story
		want     []string
	}{
		{
			name: "more outlets beat severity",
			clusters: [][]alerts.Story{
				{story("Missile attack kills ten", "A", 9)},
				{story("Parliament passes budget", "A", 8), story("Budget passed", "B", 9)},
			},
			want: []string{"Parliament passes budget", "Missile attack kills ten"},
		},
		{
			name: "severity breaks a tie in outlets",
			clusters: [][]alerts.Story{
				{story("Parliament passes budget", "A", 9)},
				{story("Explosion at depot", "A", 8)},
				{story("Explosion kills two at depot", "A", 7)},
			},
			want: []string{"Explosion kills two at depot", "Explosion at depot", "Parliament passes budget"},
		},
		{
			name: "newer first when outlets and severity tie",
			clusters: [][]alerts.Story{
				{story("Talks resume", "A", 6)},
				{story("Talks stall", "A", 10)},
			},
			want: []string{"Talks stall", "Talks resume"},
		},
		{
			name: "the headline decides a full tie whatever the input order",
			clusters: [][]alerts.Story{
				{story("Beta", "A", 6)},
				{story("Alpha", "B", 6)},
				{story("Gamma", "C", 6)},
			},
			want: []string{"Alpha", "Beta", "Gamma"},
		},
		{
			name: "the same outlet twice counts once",
			clusters: [][]alerts.Story{
				{story("Update one", "A", 6), story("Update two", "a", 7)},
				{story("Other", "B", 5)},
			},
			want: []string{"Update one", "Other"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, order := range [][][]alerts.Story{tt.clusters, reversed(tt.clusters)} {
				b := Compose(order, Options{Top: -1})
				if len(b.Top) != 0 || len(b.Groups) != 1 {
					t.Fatalf("got %d top, %d groups; want 0 and 1", len(b.Top), len(b.Groups))
				}
				if got := headlines(b.Groups[0].Entries); !slices.Equal(got, tt.want) {
					t.Errorf("order = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func reversed[T any](xs []T) []T {
	out := slices.Clone(xs)
	slices.Reverse(out)
	return out
}

func TestComposeGrouping(t *testing.T) {
	clusters := loadDay(t)
	tests := []struct {
		name    string
		regions []string
		want    []string
	}{
		{
			name: "without regions groups by the desk's preference then weight",
			want: []string{"baltic-states", "eastern-europe", "sahel", "red-sea", "korean-peninsula", "south-china-sea", "nato-eastern-flank", "caucasus", "balkans", "levant", "latin-america", "europe", ""},
		},
		{
			name:    "the briefing's regions come first in their order",
			regions: []string{"FI", "sahel", "eastern-europe"},
			// Every Baltic story is also tagged eastern-europe, so it goes there.
			want: []string{"FI", "sahel", "eastern-europe", "red-sea", "korean-peninsula", "south-china-sea", "caucasus", "balkans", "levant", "latin-america", "europe", ""},
		},
		{
			name:    "a lower-case country code still matches",
			regions: []string{"lt"},
			want:    []string{"LT", "eastern-europe", "baltic-states", "sahel", "red-sea", "korean-peninsula", "south-china-sea", "nato-eastern-flank", "caucasus", "balkans", "levant", "latin-america", "europe", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Compose(clusters, Options{Regions: tt.regions, Top: -1, Places: testPlaces})
			if got := groupCodes(b.Groups); !slices.Equal(got, tt.want) {
				t.Errorf("groups = %q,\nwant %q", got, tt.want)
			}
		})
	}
}

func TestComposeNamesGroups(t *testing.T) {
	c := [][]alerts.Story{
		{{Title: "a", Countries: []string{"LT"}}},
		{{Title: "b", Regions: []string{"baltic-states"}}},
		{{Title: "c", Regions: []string{"made-up"}}},
	}
	b := Compose(c, Options{Top: -1, Places: testPlaces, Regions: []string{"LT"}})
	want := []Group{
		{Code: "LT", Name: "Lithuania", Flag: "🇱🇹"},
		{Code: "baltic-states", Name: "Baltic states"},
		{Code: "made-up", Name: "made-up"},
	}
	for i, g := range b.Groups {
		if g.Code != want[i].Code || g.Name != want[i].Name || g.Flag != want[i].Flag {
			t.Errorf("group %d = %q %q %q, want %+v", i, g.Code, g.Name, g.Flag, want[i])
		}
	}
}

func TestComposeEmpty(t *testing.T) {
	b := Compose([][]alerts.Story{nil, {}}, Options{})
	if !b.Empty() || b.Stories != 0 || len(b.Groups) != 0 || len(b.Top) != 0 {
		t.Errorf("Compose of empty clusters = %+v, want an empty briefing", b)
	}
}

func TestComposeKeepsFocusOrderAndMentions(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	cluster := []alerts.Story{
		{Title: "later", Source: "B", Published: at.Add(time.Hour), Countries: []string{"NE", "ML"}, Mentions: []string{"NE", "ML", "FR"}},
		{Title: "first", Source: "A", Published: at, Countries: []string{"ML"}, Regions: []string{"sahel"}, Mentions: []string{"ML", "RU", "NE"}},
	}
	b := Compose([][]alerts.Story{cluster}, Options{Places: testPlaces})
	e := b.Top[0]
	tests := []struct {
		name      string
		got, want []string
	}{
		{"focus, first report's order first", e.Countries, []string{"ML", "NE"}},
		{"regions", e.Regions, []string{"sahel"}},
		{"mentions outside the focus, in order", e.Mentions, []string{"RU", "FR"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if got, want := placesText(e, testPlaces), "🇲🇱 Mali · NE · also mentions Russia, FR"; got != want {
		t.Errorf("placesText = %q, want %q", got, want)
	}
	if got := placesText(e, nil); got != "" {
		t.Errorf("placesText without Places = %q, want none", got)
	}
}
