package match

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vigilbot/vigil/alerts"
)

func newTestIndex(t *testing.T, subs ...alerts.Subscription) *Index {
	t.Helper()
	ix, err := NewIndex(subs)
	if err != nil {
		t.Fatalf("NewIndex: %v", err)
	}
	return ix
}

func matchedIDs(ms []alerts.Match) []int64 {
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.SubscriptionID)
	}
	return ids
}

func TestIndexMatch(t *testing.T) {
	story := alerts.Story{
		ID:      "s1",
		FeedURL: "https://news.example/rss",
		Title:   "Hezbollah drones hit northern Israel",
		Text: "Drones launched by Hezbollah struck near the border, the IDF said. Damage to a Baltic-Sea cable was reported separately. " +
			"Counterintelligence officers \u0301\u0302 were alerted.",
		Countries:      []string{"IL", "LB"},
		Regions:        []string{"middle-east"},
		Mentions:       []string{"IL", "LB", "IR"},
		MentionRegions: []string{"middle-east", "gulf"},
	}
	mentions := alerts.ScopeMentions
	tests := []struct {
		name string
		sub  alerts.Subscription
		want bool
	}{
		{"matches a word", alerts.Subscription{Query: "Hezbollah"}, true},
		{"matches a plural against a singular query", alerts.Subscription{Query: "Hezbollah drone"}, true},
		{"matches a phrase across punctuation", alerts.Subscription{Query: `"Baltic Sea" cable`}, true},
		{"does not match a missing word", alerts.Subscription{Query: "Hezbollah tanker"}, false},
		{"does not match part of a word", alerts.Subscription{Query: "north"}, false},
		// Longer than Index.table holds in a slot.
		{"matches a long word", alerts.Subscription{Query: "counterintelligences officer"}, true},
		{"does not match a long word that is not there", alerts.Subscription{Query: "counterintelligencer OR counterinsurgency"}, false},
		{"honours an exclusion", alerts.Subscription{Query: "Hezbollah -cable"}, false},
		{"honours an OR", alerts.Subscription{Query: "Wagner OR Hezbollah"}, true},
		{"matches a region code", alerts.Subscription{Query: "drone", Regions: []string{"lb"}}, true},
		{"matches a region slug", alerts.Subscription{Query: "drone", Regions: []string{"Middle-East"}}, true},
		{"rejects another region", alerts.Subscription{Query: "drone", Regions: []string{"UA", "sahel"}}, false},
		{"rejects a country only mentioned", alerts.Subscription{Query: "drone", Regions: []string{"IR"}}, false},
		{"rejects a region only mentioned", alerts.Subscription{Query: "drone", Regions: []string{"gulf"}}, false},
		{"rejects a country only mentioned with an empty query", alerts.Subscription{Regions: []string{"IR"}}, false},
		{"matches a mentioned country with scope mentions", alerts.Subscription{Query: "drone", Regions: []string{"IR"}, Scope: mentions}, true},
		{"matches a mentioned region with scope mentions and an empty query", alerts.Subscription{Regions: []string{"Gulf"}, Scope: mentions}, true},
		{"matches a focus country with scope mentions", alerts.Subscription{Regions: []string{"LB"}, Scope: mentions}, true},
		{"matches a focus region with scope mentions", alerts.Subscription{Query: "drone", Regions: []string{"middle-east"}, Scope: mentions}, true},
		{"rejects an unnamed country with scope mentions", alerts.Subscription{Query: "drone", Regions: []string{"UA"}, Scope: mentions}, false},
		{"matches its feed", alerts.Subscription{Query: "drone", Feeds: []string{"https://other.example/", "https://news.example/rss"}}, true},
		{"rejects another feed", alerts.Subscription{Query: "drone", Feeds: []string{"https://other.example/"}}, false},
		{"never matches when paused", alerts.Subscription{Query: "drone", Paused: true}, false},
		{"matches every story of a region with an empty query", alerts.Subscription{Regions: []string{"IL"}}, true},
		{"rejects other regions with an empty query", alerts.Subscription{Regions: []string{"UA"}}, false},
		{"matches every story of a feed with an empty query", alerts.Subscription{Feeds: []string{"https://news.example/rss"}}, true},
		{"rejects other feeds with an empty query", alerts.Subscription{Feeds: []string{"https://other.example/"}}, false},
		{"matches everything with nothing set", alerts.Subscription{}, true},
		{"never matches a paused firehose", alerts.Subscription{Paused: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sub.ID, tt.sub.ChannelID = 7, "chan"
			got := newTestIndex(t, tt.sub).Match(&story)
			if (len(got) == 1) != tt.want || len(got) > 1 {
				t.Fatalf("Match = %+v, want matched = %v", got, tt.want)
			}
			if tt.want {
				m := got[0]
				if m.SubscriptionID != 7 || m.ChannelID != "chan" || m.StoryID != "s1" || m.FeedURL != story.FeedURL {
					t.Errorf("Match = %+v, want it to name subscription 7, chan, s1 and the feed", m)
				}
			}
		})
	}
}

func TestIndexMatchTerms(t *testing.T) {
	story := alerts.Story{ID: "s", Title: "Wagner in Mali", Text: "Drones and the Africa Corps, not Wagner alone."}
	ix := newTestIndex(t,
		alerts.Subscription{ID: 3, Query: `Mali (drones OR "Africa Corps" OR tanker)`},
		alerts.Subscription{ID: 1, Query: "Wagner -football"},
		alerts.Subscription{ID: 2, Query: "Niger"},
		alerts.Subscription{ID: 10, Regions: []string{"ML"}},
		alerts.Subscription{ID: 4},
	)
	got := ix.Match(&story)
	want := []alerts.Match{
		{StoryID: "s", SubscriptionID: 1, Terms: []string{"wagner"}},
		{StoryID: "s", SubscriptionID: 3, Terms: []string{"mali", "drones", "africa corps"}},
		{StoryID: "s", SubscriptionID: 4},
	}
	if len(got) != len(want) {
		t.Fatalf("Match = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].SubscriptionID != want[i].SubscriptionID || !slices.Equal(got[i].Terms, want[i].Terms) {
			t.Errorf("match %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestIndexMatchTermsShowWhatHit covers the shapes of Terms: every term of
// the query, a run of them, scattered ones, each once, never an exclusion.
func TestIndexMatchTermsShowWhatHit(t *testing.T) {
	story := alerts.Story{ID: "s", Title: "Alpha and gamma", Text: "Delta met alpha beta. Epsilon."}
	tests := []struct {
		query string
		want  []string
	}{
		{"alpha", []string{"alpha"}},
		{"alpha gamma -zeta", []string{"alpha", "gamma"}},
		{"alpha OR beta OR gamma", []string{"alpha", "beta", "gamma"}},
		{"alpha OR zeta OR gamma", []string{"alpha", "gamma"}},
		{"zeta OR beta OR gamma", []string{"beta", "gamma"}},
		{"zeta OR eta OR gamma", []string{"gamma"}},
		{"(alpha OR zeta) (eta OR delta) (theta OR epsilon)", []string{"alpha", "delta", "epsilon"}},
		{"alpha (alpha OR zeta) -(zeta OR iota)", []string{"alpha"}},
		{`"alpha beta" OR "beta alpha" OR delta`, []string{"alpha beta", "delta"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ix := newTestIndex(t, alerts.Subscription{ID: 1, ChannelID: "c", Query: tt.query})
			got := ix.Match(&story)
			if len(got) != 1 {
				t.Fatalf("Match = %+v, want one match", got)
			}
			if !slices.Equal(got[0].Terms, tt.want) {
				t.Fatalf("Terms = %q, want %q", got[0].Terms, tt.want)
			}
			// Terms are shared with the index: a caller that appends to
			// them must not change what the next match shows.
			_ = append(got[0].Terms, "mutated")
			if again := ix.Match(&story); !slices.Equal(again[0].Terms, tt.want) {
				t.Errorf("after appending to Terms, Terms = %q, want %q", again[0].Terms, tt.want)
			}
		})
	}
}

func TestIndexMatchOrdersByID(t *testing.T) {
	story := alerts.Story{ID: "s", Title: "NATO drills"}
	many := func(ids ...int64) []int64 { return ids }
	spread := make([]int64, 0, 300)  // about one per bucket of sortByID
	bunched := make([]int64, 0, 300) // hundreds in a few buckets
	for i := range int64(300) {
		spread = append(spread, (i*7919)%70001+1)
		bunched = append(bunched, 100000+(i*7)%300)
	}
	tests := []struct {
		name string
		ids  []int64
	}{
		{"a few", many(9, 2, 5)},
		{"past 32 bits, and negative", many(1<<40, 7, -2, 1<<33, 3)},
		{"hundreds", spread},
		{"hundreds bunched", append(bunched, 1)},
		{"hundreds and one past 32 bits", append(slices.Clone(spread), 1<<35)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var subs []alerts.Subscription
			for i, id := range tt.ids {
				q := "nato"
				if i%3 == 1 {
					q = "drills OR tanks" // a candidate, not a sure hit
				}
				subs = append(subs, alerts.Subscription{ID: id, ChannelID: "c", Query: q})
			}
			want := slices.Sorted(slices.Values(tt.ids))
			if got := matchedIDs(newTestIndex(t, subs...).Match(&story)); !slices.Equal(got, want) {
				t.Errorf("matched %v, want %v", got, want)
			}
		})
	}
}

func TestIndexMatchesLikeEachQueryAlone(t *testing.T) {
	w := newWorkload(1, popularQuerySkew)
	subs := append(w.subscriptions(3000), keyedEveryWay()...)
	ix := newTestIndex(t, subs...)
	queries := make([]*Query, len(subs))
	for i, s := range subs {
		q, err := Parse(s.Query)
		if err != nil {
			t.Fatal(err)
		}
		queries[i] = q
	}
	total := 0
	for i, st := range w.stories(150) {
		var want []int64
		d := newDoc(st.Title, st.Text) // what Query.Matches does, once per story
		for j, s := range subs {
			c := compiledSub{sub: s, regions: lowerAll(s.Regions)}
			if c.accepts(&st) && (queries[j].MatchAll() || d.eval(queries[j].root)) {
				want = append(want, s.ID)
			}
		}
		slices.Sort(want)
		got := matchedIDs(ix.Match(&st))
		if !slices.Equal(got, want) {
			t.Fatalf("story %d: index matched %v, queries one by one matched %v", i, got, want)
		}
		total += len(got)
	}
	if total < 150 {
		t.Errorf("only %d matches over 150 stories: the workload does not exercise matching", total)
	}
}

func lowerAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.ToLower(s))
	}
	return out
}

func TestNewIndexKeepsGoodSubscriptionsAndReportsBadOnes(t *testing.T) {
	ix, err := NewIndex([]alerts.Subscription{
		{ID: 1, Query: "Wagner"},
		{ID: 2, Query: "Wagner ("},
		{ID: 1, Query: "Mali"},
		{ID: 3, Query: "Mali"},
	})
	var se *SubscriptionError
	if !errors.As(err, &se) || se.ID != 2 {
		t.Fatalf("error = %v, want a *SubscriptionError for 2 first", err)
	}
	var syn *SyntaxError
	if !errors.As(err, &syn) {
		t.Errorf("error = %v, want it to wrap the *SyntaxError", err)
	}
	if !strings.Contains(err.Error(), "subscription 1: duplicate subscription ID") {
		t.Errorf("error = %v, want it to report the duplicate ID 1", err)
	}
	got := matchedIDs(ix.Match(&alerts.Story{Text: "Wagner in Mali"}))
	if !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("matched %v, want [1 3]", got)
	}
}

func TestIndexWith(t *testing.T) {
	base := newTestIndex(t,
		alerts.Subscription{ID: 1, Query: "Wagner"},
		alerts.Subscription{ID: 2, Query: "Mali"},
		alerts.Subscription{ID: 3, Query: "Niger", Paused: true},
	)
	story := &alerts.Story{Text: "Wagner left Mali for Niger and Libya"}

	tests := []struct {
		name   string
		add    []alerts.Subscription
		remove []int64
		want   []int64
	}{
		{"adds a subscription", []alerts.Subscription{{ID: 4, Query: "Libya"}}, nil, []int64{1, 2, 4}},
		{"removes a subscription", nil, []int64{1}, []int64{2}},
		{"replaces a subscription with the same ID", []alerts.Subscription{{ID: 2, Query: "Chad"}}, nil, []int64{1}},
		{"resumes a paused subscription", []alerts.Subscription{{ID: 3, Query: "Niger"}}, nil, []int64{1, 2, 3}},
		{"ignores removing an unknown ID", nil, []int64{99}, []int64{1, 2}},
		{"removes what it is also asked to add", []alerts.Subscription{{ID: 5, Query: "Libya"}}, []int64{5}, []int64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := base.With(tt.add, tt.remove)
			if err != nil {
				t.Fatal(err)
			}
			if got := matchedIDs(next.Match(story)); !slices.Equal(got, tt.want) {
				t.Errorf("new index matched %v, want %v", got, tt.want)
			}
			if got := matchedIDs(base.Match(story)); !slices.Equal(got, []int64{1, 2}) {
				t.Errorf("old index changed: matched %v, want [1 2]", got)
			}
		})
	}

	t.Run("keeps the old subscription when a replacement does not parse", func(t *testing.T) {
		next, err := base.With([]alerts.Subscription{{ID: 2, Query: `"Mali`}}, nil)
		var se *SubscriptionError
		if !errors.As(err, &se) || se.ID != 2 {
			t.Fatalf("error = %v, want a *SubscriptionError for 2", err)
		}
		if got := matchedIDs(next.Match(story)); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("matched %v, want [1 2]", got)
		}
	})
}

func TestIndexDoesNotShareTheCallersSlices(t *testing.T) {
	subs := []alerts.Subscription{{ID: 1, Regions: []string{"UA"}, Feeds: []string{"f"}}}
	ix := newTestIndex(t, subs...)
	subs[0].Regions[0], subs[0].Feeds[0] = "RU", "g"
	if got := ix.Match(&alerts.Story{FeedURL: "f", Countries: []string{"UA"}}); len(got) != 1 {
		t.Errorf("matched %v after the caller changed its slices, want subscription 1", got)
	}
}

func TestIndexIsSafeForConcurrentUse(t *testing.T) {
	w := newWorkload(2, popularQuerySkew)
	ix := newTestIndex(t, w.subscriptions(2000)...)
	stories := w.stories(40)
	want := make([][]int64, len(stories))
	for i := range stories {
		want[i] = matchedIDs(ix.Match(&stories[i]))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range stories {
				k := (i + g) % len(stories)
				if got := matchedIDs(ix.Match(&stories[k])); !slices.Equal(got, want[k]) {
					errs <- fmt.Errorf("goroutine %d, story %d: matched %v, want %v", g, k, got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestKeyWordsPicksTheRarestWordOfEachBranch(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"the Wagner", []string{"wagner"}},
		{`"Baltic Sea" cable`, []string{"baltic"}},
		{"Hezbollah drone OR missile", []string{"hezbollah"}},
		{"(Wagner mercenaries) OR (Africa Corps)", []string{"mercenary", "africa"}},
		{"said -Wagner", []string{"said"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keys %q under %q", tt.query, tt.want), func(t *testing.T) {
			ix := newTestIndex(t, alerts.Subscription{ID: 1, Query: tt.query})
			var got []string
			for w, id := range ix.dict {
				if len(ix.postings[id]) > 0 {
					got = append(got, w)
				}
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if !slices.Equal(got, want) {
				t.Errorf("keyed under %q, want %q", got, want)
			}
		})
	}
}

func TestIndexMatchesOnlyTheSubscriptionsOfServersThatSeeTheFeed(t *testing.T) {
	w := newWorkload(2, popularQuerySkew)
	// Every kind the index keys differently, in more than one server.
	subs := append(w.subscriptions(3000), keyedEveryWay()...)
	subs = append(subs, alerts.Subscription{ID: 90006, Query: "the"})
	guilds := []string{"g-a", "g-b", "g-c", "g-d", ""}
	for i := range subs {
		subs[i].GuildID = guilds[i%len(guilds)]
	}
	ix := newTestIndex(t, subs...)
	guildOf := map[int64]string{}
	for _, s := range subs {
		guildOf[s.ID] = s.GuildID
	}
	tests := []struct {
		name   string
		owners []string
		sees   func(guild string) bool
	}{
		{"owners not known: every server", nil, func(string) bool { return true }},
		{"the operator's feed: every server", []string{alerts.Operator}, func(string) bool { return true }},
		{"the operator's and a server's: every server", []string{"g-b", alerts.Operator}, func(string) bool { return true }},
		{"one server's feed", []string{"g-a"}, func(g string) bool { return g == "g-a" }},
		{"two servers' feed", []string{"g-c", "g-a"}, func(g string) bool { return g == "g-a" || g == "g-c" }},
		{"a server with no subscriptions", []string{"g-zzz"}, func(string) bool { return false }},
		{"a feed no one owns", []string{}, func(string) bool { return false }},
	}
	stories := w.stories(150)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			total := 0
			for i := range stories {
				st := &stories[i]
				var want []int64
				for _, m := range ix.Match(st) {
					if tc.sees(guildOf[m.SubscriptionID]) {
						want = append(want, m.SubscriptionID)
					}
				}
				got := matchedIDs(ix.AppendMatchesSeenBy(nil, st, tc.owners))
				if !slices.Equal(got, want) {
					t.Fatalf("story %d: matched %v; want %v", i, got, want)
				}
				total += len(got)
			}
			if tc.sees("g-a") && total < 50 {
				t.Errorf("only %d matches over 150 stories: the test does not exercise matching", total)
			}
		})
	}
}

// keyedEveryWay is a subscription of each kind the index keys apart from
// the workload's queries: by region, by feed, matching everything, paused,
// and a query with no word every match needs.
func keyedEveryWay() []alerts.Subscription {
	return []alerts.Subscription{
		{ID: 90001, Regions: []string{"sahel"}},
		{ID: 90002, Feeds: []string{"https://feed3.example/rss"}},
		{ID: 90003},
		{ID: 90004, Query: "the said", Paused: true},
		{ID: 90005, Query: "(the OR a) -(of said)"},
	}
}
