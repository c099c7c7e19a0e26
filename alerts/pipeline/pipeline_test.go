package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/storage"
)

var now = time.Date(2026, 3, 23, 12, 0, 0, 0, time.UTC)

func story(id string, age time.Duration, title string) alerts.Story {
	return alerts.Story{ID: id, FeedURL: "https://a.example/rss", Title: title, Text: title + ". More text.", URL: "https://a.example/" + id, Published: now.Add(-age), FirstSeen: now}
}

func openStore(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "v.db"), storage.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sub, err := db.AddSubscription(context.Background(), alerts.Subscription{GuildID: "g", ChannelID: "c1"}, "admin")
	if err != nil || sub.ID != 1 {
		t.Fatalf("add subscription: %+v, %v", sub, err)
	}
	return db
}

// matchEverything sends every story to channel c1 through subscription 1.
func matchEverything(dst []alerts.Match, s *alerts.Story, _ []string) []alerts.Match {
	return append(dst, alerts.Match{StoryID: s.ID, FeedURL: s.FeedURL, SubscriptionID: 1, ChannelID: "c1"})
}

func TestFirstPollRecordsWithoutFloodingThenAlertsOnlyNewStories(t *testing.T) {
	tests := []struct {
		name        string
		window      time.Duration
		wantAlerted []string
	}{
		{"with no window the first poll alerts nothing", 0, nil},
		{"with a window only recent stories alert", 2 * time.Hour, []string{"fresh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openStore(t)
			f := alerts.Feed{URL: "https://a.example/rss"}
			if err := db.UpsertFeed(ctx, f); err != nil {
				t.Fatal(err)
			}
			p := pipeline.New(pipeline.Config{
				Stages:          pipeline.Stages{Match: matchEverything},
				Store:           db,
				FirstPollWindow: tt.window,
				Now:             func() time.Time { return now },
			})
			first := []alerts.Story{story("old", 72*time.Hour, "Old news"), story("fresh", time.Hour, "Fresh news")}
			res, err := p.Process(ctx, f, first)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Matches); strings.Join(got, ",") != strings.Join(tt.wantAlerted, ",") {
				t.Errorf("first poll alerted %v, want %v", got, tt.wantAlerted)
			}
			if res.Saved.Stories != 2 {
				t.Errorf("first poll stored %d stories, want 2", res.Saved.Stories)
			}

			f, _ = db.Feed(ctx, f.URL)
			second := append(first, story("newer", 0, "Newer news"))
			res, err = p.Process(ctx, f, second)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(res.Matches); len(got) != 1 || got[0] != "newer" {
				t.Errorf("second poll alerted %v, want only the new story", got)
			}
			if res.Saved != (alerts.SaveResult{Stories: 1, Deliveries: 1}) {
				t.Errorf("second poll saved %+v", res.Saved)
			}
		})
	}
}

func TestStagesRunInOrderAndArticleFailureFallsBackToFeedText(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	f := alerts.Feed{URL: "https://a.example/rss", FetchArticle: true, Primed: true}
	var summarised []string
	p := pipeline.New(pipeline.Config{
		Store: db,
		Now:   func() time.Time { return now },
		Stages: pipeline.Stages{
			Tag: func(title, text string) alerts.Places {
				if strings.Contains(text, "Tallinn") {
					return alerts.Places{Countries: []string{"EE"}, Regions: []string{"baltic-states"}}
				}
				return alerts.Places{}
			},
			Summarize: func(title, description, text string) string {
				summarised = append(summarised, text)
				return "summary of " + text[:10]
			},
			Cluster: func(s *alerts.Story) { s.ClusterID = "c-" + s.ID },
			Match:   matchEverything,
			Article: func(ctx context.Context, url string) (string, error) {
				if strings.HasSuffix(url, "/broken") {
					return "", errors.New("server answered 500")
				}
				return "The full article from Tallinn, much longer than the feed's teaser text.", nil
			},
		},
	})
	res, err := p.Process(ctx, f, []alerts.Story{story("broken", time.Hour, "Teaser one"), story("fine", 0, "Teaser two")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stories) != 2 {
		t.Fatalf("stories = %d", len(res.Stories))
	}
	broken, fine := res.Stories[0], res.Stories[1]
	if broken.ID != "broken" {
		t.Fatalf("stories not oldest first: %s first", broken.ID)
	}
	if broken.Summary != "summary of Teaser one" || len(broken.Countries) != 0 {
		t.Errorf("failed article: summary %q, countries %v; want the feed text used", broken.Summary, broken.Countries)
	}
	if fine.Summary != "summary of The full a" || fine.Countries[0] != "EE" || fine.ClusterID != "c-fine" {
		t.Errorf("fetched article: %+v", fine)
	}
	stored, err := db.Story(ctx, f.URL, "fine")
	if err != nil || stored.Summary != fine.Summary || stored.ClusterID != "c-fine" || stored.Regions[0] != "baltic-states" {
		t.Errorf("stored story = %+v, %v", stored, err)
	}
}

func ids(ms []alerts.Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.StoryID)
	}
	return out
}

func TestFutureDatesAreNotTrustedOnAFirstPoll(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	f := alerts.Feed{URL: "https://a.example/rss"}
	db.UpsertFeed(ctx, f)
	p := pipeline.New(pipeline.Config{Stages: pipeline.Stages{Match: matchEverything}, Store: db, FirstPollWindow: time.Hour, Now: func() time.Time { return now }})
	res, err := p.Process(ctx, f, []alerts.Story{story("future", -30*24*time.Hour, "Dated next month")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 0 {
		t.Errorf("a future-dated story alerted on the first poll")
	}
	if got := res.Stories[0].Published; !got.Equal(now) {
		t.Errorf("published = %v, want the time it was seen (%v)", got, now)
	}
}

func TestABurstAlertsTheNewestFewAndFoldsTheRest(t *testing.T) {
	tests := []struct {
		name       string
		usual      float64 // the feed's usual new stories per poll
		newStories int
		wantFolded int
	}{
		{"a quiet feed's busy poll is no burst", 0.5, 20, 0},
		{"a quiet feed serving its archive", 0.5, 10_000, 10_000 - 5},
		{"a busy wire's normal poll", 40, 300, 0},
		{"a busy wire at eleven times its rate", 40, 440, 440 - 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openStore(t)
			f := alerts.Feed{URL: "https://a.example/rss", Primed: true, NewItemsAvg: tt.usual}
			db.UpsertFeed(ctx, f)
			var logs strings.Builder
			p := pipeline.New(pipeline.Config{Stages: pipeline.Stages{Match: matchEverything}, Store: db,
				Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			var stories []alerts.Story
			for i := range tt.newStories {
				stories = append(stories, story(fmt.Sprintf("s%05d", i), time.Duration(tt.newStories-i)*time.Second, "Drone"))
			}
			res, err := p.Process(ctx, f, stories)
			if err != nil {
				t.Fatal(err)
			}
			if res.Folded != tt.wantFolded || res.Saved.Folded != tt.wantFolded {
				t.Fatalf("folded %d (stored %d); want %d", res.Folded, res.Saved.Folded, tt.wantFolded)
			}
			if tt.wantFolded == 0 {
				return
			}
			var alerted []string
			for _, m := range res.Matches {
				if !m.Fold {
					alerted = append(alerted, m.StoryID)
				}
			}
			last := tt.newStories - 1
			want := []string{}
			for i := last - 4; i <= last; i++ {
				want = append(want, fmt.Sprintf("s%05d", i))
			}
			if strings.Join(alerted, ",") != strings.Join(want, ",") {
				t.Errorf("alerted %v; want the newest five %v", alerted, want)
			}
			if !strings.Contains(logs.String(), "far more new stories than usual") {
				t.Errorf("the burst was not logged: %s", logs.String())
			}
		})
	}
}

// A poll with new stories recalls once before it clusters them, and ends
// its recall's turn once they are stored; one with none does neither.
func TestRecallRunsOnceBeforeAPollsNewStoriesAreClusteredAndNotForOldOnes(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	f := alerts.Feed{URL: "https://a.example/rss", Primed: true}
	var steps []string
	p := pipeline.New(pipeline.Config{
		Store: db,
		Now:   func() time.Time { return now },
		Stages: pipeline.Stages{
			Recall: func(context.Context) func() {
				steps = append(steps, "recall")
				return func() {
					known, err := db.KnownStoryIDs(ctx, f.URL, []string{"one", "two"})
					if err != nil {
						t.Error(err)
					}
					steps = append(steps, fmt.Sprintf("turn ends with %d stored", len(known)))
				}
			},
			Cluster: func(s *alerts.Story) { steps = append(steps, "cluster "+s.ID); s.ClusterID = "c-" + s.ID },
		},
	})
	poll := []alerts.Story{story("one", time.Hour, "First report"), story("two", 0, "Second report")}
	if _, err := p.Process(ctx, f, poll); err != nil {
		t.Fatal(err)
	}
	if want := "recall, cluster one, cluster two, turn ends with 2 stored"; strings.Join(steps, ", ") != want {
		t.Errorf("a poll with two new stories ran %q; want %q", strings.Join(steps, ", "), want)
	}
	steps = nil
	if _, err := p.Process(ctx, f, poll); err != nil {
		t.Fatal(err)
	}
	if len(steps) != 0 {
		t.Errorf("a poll with nothing new ran %v; want nothing", steps)
	}
}

func TestMatchIsToldWhichServersSeeTheFeed(t *testing.T) {
	tests := []struct {
		name   string
		owners []string
	}{
		{"a server's feed", []string{"g1"}},
		{"two servers' feed", []string{"g1", "g2"}},
		{"the operator's feed", []string{alerts.Operator}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := alerts.Feed{URL: "https://a.example/rss", Primed: true, Owners: tt.owners}
			var told [][]string
			p := pipeline.New(pipeline.Config{Stages: pipeline.Stages{Match: func(dst []alerts.Match, s *alerts.Story, owners []string) []alerts.Match {
				told = append(told, owners)
				return dst
			}}, Now: func() time.Time { return now }})
			if _, err := p.Process(context.Background(), f, []alerts.Story{story("a", time.Minute, "Drone"), story("b", time.Second, "Drone")}); err != nil {
				t.Fatal(err)
			}
			if len(told) != 2 || !slices.Equal(told[0], tt.owners) || !slices.Equal(told[1], tt.owners) {
				t.Errorf("Match was told %q; want %q for each story", told, tt.owners)
			}
		})
	}
}
