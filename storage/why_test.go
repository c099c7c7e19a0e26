package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

func TestStoriesByURLFindsOnlyWhatTheServerMaySee(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		shared, secret := "https://operator.example/rss", secretFeed
		if err := d.UpsertFeed(ctx, alerts.Feed{URL: shared}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.AddGuildFeed(ctx, "A", alerts.Feed{URL: secret}); err != nil {
			t.Fatal(err)
		}
		link := "https://news.example/drone"
		for _, f := range []string{shared, secret} {
			s := alerts.Story{ID: "x", FeedURL: f, Title: "Drone", URL: link, Published: t0, FirstSeen: t0}
			if _, err := d.SaveStories(ctx, f, []alerts.Story{s}, nil); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name, guild, url string
			from             time.Time
			want             []string // feeds
		}{
			{"a server sees its own feed's copy and the operator's", "A", link, t0.Add(-time.Hour), []string{shared, secret}},
			{"another server sees only the operator's", "B", link, t0.Add(-time.Hour), []string{shared}},
			{"a link no story has finds nothing", "A", "https://news.example/other", t0.Add(-time.Hour), nil},
			{"a story older than from is out of reach", "A", link, t0.Add(time.Minute), nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := d.StoriesByURL(ctx, tt.guild, tt.url, tt.from, 10)
				if err != nil {
					t.Fatal(err)
				}
				var feeds []string
				for _, s := range got {
					feeds = append(feeds, s.FeedURL)
				}
				if fmt.Sprint(feeds) != fmt.Sprint(tt.want) {
					t.Errorf("feeds = %v, want %v", feeds, tt.want)
				}
			})
		}
	})
}

func TestChannelAlertSaysWhatAChannelGotForAnEvent(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d, err := eng.openAt(ctx, eng.fresh(t), WithClock(func() time.Time { return t0 }),
			WithLimits(alerts.Limits{ChannelAlertsPerHour: 1}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		feed := "https://a.example/rss"
		if err := d.UpsertFeed(ctx, alerts.Feed{URL: feed}); err != nil {
			t.Fatal(err)
		}
		sub, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "drone"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		var stories []alerts.Story
		var ms []alerts.Match
		for i, cluster := range []string{"e1", "e2"} {
			id := fmt.Sprintf("s%d", i)
			stories = append(stories, alerts.Story{ID: id, FeedURL: feed, Title: "drone", Published: t0, FirstSeen: t0, ClusterID: cluster})
			ms = append(ms, alerts.Match{StoryID: id, FeedURL: feed, SubscriptionID: sub.ID, ChannelID: "c1"})
		}
		if _, err := d.SaveStories(ctx, feed, stories, ms); err != nil {
			t.Fatal(err)
		}
		pending, err := d.PendingDeliveries(ctx, t0.Add(time.Hour), 10)
		if err != nil || len(pending) == 0 {
			t.Fatalf("pending = %v, %v", pending, err)
		}
		if err := d.MarkDelivered(ctx, pending[0].ID, "m1", t0); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, channel, cluster string
			found                  bool
			state                  string
			folded                 bool
		}{
			{"an event posted is sent", "c1", "e1", true, "sent", false},
			{"an event past the channel's pace is folded", "c1", "e2", true, "dropped", true},
			{"an event never queued is not found", "c1", "e3", false, "", false},
			{"another channel's event is not found", "c2", "e1", false, "", false},
			{"an unclustered story is its own event", "c1", "", false, "", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, found, err := d.ChannelAlert(ctx, tt.channel, alerts.Story{FeedURL: feed, ID: "any", ClusterID: tt.cluster})
				if err != nil {
					t.Fatal(err)
				}
				if found != tt.found || a.State != tt.state || a.Folded != tt.folded {
					t.Errorf("ChannelAlert = %+v, %v; want found %v, state %q, folded %v", a, found, tt.found, tt.state, tt.folded)
				}
				if found && (a.SubscriptionID != sub.ID || a.FeedURL != feed) {
					t.Errorf("ChannelAlert = %+v, want subscription %d of %s", a, sub.ID, feed)
				}
			})
		}
	})
}
