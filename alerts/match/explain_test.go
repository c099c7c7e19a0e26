package match

import (
	"slices"
	"testing"

	"github.com/vigilbot/vigil/alerts"
)

func TestExplain(t *testing.T) {
	story := alerts.Story{
		ID: "s1", FeedURL: "https://news.example/rss",
		Title:     "Drone debris found",
		Text:      "The drone was not over Romania, Ukraine's air force said.",
		Countries: []string{"UA"}, Mentions: []string{"UA", "RO"},
	}
	tests := []struct {
		name string
		sub  alerts.Subscription
		want Explanation // SubscriptionID, Scope and Feeds/Regions are filled in
	}{
		{"a match shows every clause held",
			alerts.Subscription{Query: "drone Ukraine"},
			Explanation{Matched: true, FeedOK: true, RegionsOK: true, QueryOK: true, Clauses: []Clause{
				{Text: "drone", OK: true, Found: []string{"drone"}},
				{Text: "ukraine", OK: true, Found: []string{"ukraine"}},
			}}},
		{"an exclusion that occurs names what blocked the story",
			alerts.Subscription{Query: "drone NOT Romania"},
			Explanation{FeedOK: true, RegionsOK: true, Clauses: []Clause{
				{Text: "drone", OK: true, Found: []string{"drone"}},
				{Text: "-romania", Exclude: true, Found: []string{"romania"}},
			}}},
		{"an alternative shows which side occurs",
			alerts.Subscription{Query: `(missile OR drone) "air defence"`},
			Explanation{FeedOK: true, RegionsOK: true, Clauses: []Clause{
				{Text: "missile OR drone", OK: true, Found: []string{"drone"}, Missing: []string{"missile"}},
				{Text: `"air defence"`, Missing: []string{"air defence"}},
			}}},
		{"a region only mentioned is told apart from one absent",
			alerts.Subscription{Query: "drone", Regions: []string{"RO", "PL"}},
			Explanation{FeedOK: true, QueryOK: true, OnlyMentioned: []string{"RO"}, Clauses: []Clause{
				{Text: "drone", OK: true, Found: []string{"drone"}},
			}}},
		{"scope mentions matches a mentioned region",
			alerts.Subscription{Regions: []string{"ro"}, Scope: alerts.ScopeMentions},
			Explanation{Matched: true, FeedOK: true, RegionsOK: true, RegionHit: "RO", QueryOK: true}},
		{"another feed fails the feed filter",
			alerts.Subscription{Query: "drone", Feeds: []string{"https://other.example/rss"}},
			Explanation{RegionsOK: true, QueryOK: true, Clauses: []Clause{{Text: "drone", OK: true, Found: []string{"drone"}}}}},
		{"a paused subscription says so",
			alerts.Subscription{Query: "drone", Paused: true},
			Explanation{Paused: true, FeedOK: true, RegionsOK: true, QueryOK: true, Clauses: []Clause{{Text: "drone", OK: true, Found: []string{"drone"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sub.ID = 7
			ix, err := NewIndex([]alerts.Subscription{{ID: 3, Query: "unrelated"}, tt.sub})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := ix.Explain(&story, 7)
			if !ok {
				t.Fatal("Explain found no subscription 7")
			}
			tt.want.SubscriptionID, tt.want.Feeds, tt.want.Regions = 7, tt.sub.Feeds, tt.sub.Regions
			tt.want.Scope = tt.sub.Scope
			if tt.want.Scope == "" {
				tt.want.Scope = alerts.ScopeFocus
			}
			if !equalExplanations(got, tt.want) {
				t.Errorf("Explain =\n%+v\nwant\n%+v", got, tt.want)
			}
			all := ix.ExplainAll(&story)
			if len(all) != 2 || all[0].SubscriptionID != 3 || !equalExplanations(all[1], got) {
				t.Errorf("ExplainAll = %+v, want subscription 3 then the same as Explain", all)
			}
		})
	}
	ix, _ := NewIndex(nil)
	if _, ok := ix.Explain(&story, 1); ok {
		t.Error("Explain found a subscription in an empty index")
	}
}

func TestExplanationReasons(t *testing.T) {
	story := alerts.Story{
		FeedURL: "https://news.example/rss", Title: "Drone debris found",
		Text:      "The drone was not over Romania, Ukraine's air force said.",
		Countries: []string{"UA"}, Mentions: []string{"UA", "RO"},
	}
	name := func(c string) string { return map[string]string{"RO": "Romania", "PL": "Poland", "UA": "Ukraine"}[c] }
	tests := []struct {
		name string
		sub  alerts.Subscription
		want []string
	}{
		{"says nothing of a match", alerts.Subscription{Query: "drone"}, nil},
		{"names what an exclusion found", alerts.Subscription{Query: "drone NOT Romania"},
			[]string{`the story has "romania", which the query excludes (-romania)`}},
		{"names the missing word", alerts.Subscription{Query: "drone missile"},
			[]string{`the story lacks "missile"`}},
		{"names every missing alternative", alerts.Subscription{Query: "drone (missile OR rocket)"},
			[]string{`the story has none of "missile", "rocket" (missile OR rocket)`}},
		{"tells a mention from the focus", alerts.Subscription{Regions: []string{"RO", "PL"}},
			[]string{"the story is not about Romania, Poland; it only mentions Romania (scope mentions would match it)"}},
		{"names the feeds", alerts.Subscription{Feeds: []string{"https://other.example/rss"}},
			[]string{"the story is from another feed than the subscription's (https://other.example/rss)"}},
		{"lists every failure in order", alerts.Subscription{Query: "missile", Regions: []string{"PL"}, Paused: true},
			[]string{"the subscription is paused", "the story is not about Poland", `the story lacks "missile"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sub.ID = 1
			ix, err := NewIndex([]alerts.Subscription{tt.sub})
			if err != nil {
				t.Fatal(err)
			}
			e, _ := ix.Explain(&story, 1)
			if got := e.Reasons(name); !slices.Equal(got, tt.want) {
				t.Errorf("Reasons =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func equalExplanations(a, b Explanation) bool {
	return a.SubscriptionID == b.SubscriptionID && a.Matched == b.Matched && a.Paused == b.Paused &&
		a.FeedOK == b.FeedOK && slices.Equal(a.Feeds, b.Feeds) && a.RegionsOK == b.RegionsOK &&
		a.RegionHit == b.RegionHit && slices.Equal(a.Regions, b.Regions) && a.Scope == b.Scope &&
		slices.Equal(a.OnlyMentioned, b.OnlyMentioned) && a.QueryOK == b.QueryOK &&
		slices.EqualFunc(a.Clauses, b.Clauses, func(x, y Clause) bool {
			return x.Text == y.Text && x.Exclude == y.Exclude && x.OK == y.OK &&
				slices.Equal(x.Found, y.Found) && slices.Equal(x.Missing, y.Missing)
		})
}
