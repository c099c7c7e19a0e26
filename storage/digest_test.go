package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

func TestAChannelPastItsPaceGetsOneDigestNotABacklog(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		clock := t0
		d, err := eng.openAt(ctx, eng.fresh(t), WithClock(func() time.Time { return clock }),
			WithLimits(alerts.Limits{ChannelAlertsPerHour: 3}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		feed := "https://a.example/rss"
		d.UpsertFeed(ctx, alerts.Feed{URL: feed})
		sub, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "drone"}, "admin")
		other, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c2", Query: "drone"}, "admin")
		n := 0
		poll := func(k int, fold bool) alerts.SaveResult {
			t.Helper()
			var stories []alerts.Story
			var ms []alerts.Match
			for range k {
				n++
				id := fmt.Sprintf("s%03d", n)
				stories = append(stories, alerts.Story{ID: id, FeedURL: feed, Title: "Drone " + id, Published: clock, FirstSeen: clock})
				ms = append(ms, alerts.Match{StoryID: id, FeedURL: feed, SubscriptionID: sub.ID, ChannelID: "c1", Fold: fold})
			}
			// One story for c2 each poll: its pace is its own.
			ms = append(ms, alerts.Match{StoryID: stories[0].ID, FeedURL: feed, SubscriptionID: other.ID, ChannelID: "c2"})
			res, err := d.SaveStories(ctx, feed, stories, ms)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		due := func(ch string) (alerts, digests int) { t.Helper(); return dueInChannel(t, d, ch, clock) }

		if res := poll(10, false); res.Folded != 7 {
			t.Errorf("folded = %d; want 7 past the pace of 3", res.Folded)
		}
		if a, g := due("c1"); a != 3 || g != 1 {
			t.Errorf("c1 queue: %d alerts, %d digests; want 3 and 1", a, g)
		}
		if a, g := due("c2"); a != 1 || g != 0 {
			t.Errorf("c2 queue: %d alerts, %d digests; want its one alert", a, g)
		}
		// A later poll folds into the same digest while it is unsent.
		clock = clock.Add(time.Minute)
		poll(5, false)
		ds, _ := d.ChannelQueue(ctx, "c1", clock, 100)
		var digest alerts.Delivery
		for _, dl := range ds {
			if dl.Digest {
				digest = dl
			}
		}
		count, sample, err := d.DigestContents(ctx, digest.ID, 5)
		if err != nil || count != 12 || len(sample) != 5 {
			t.Fatalf("digest holds %d (%d shown), %v; want 12 and 5", count, len(sample), err)
		}
		// Once its send starts, folds open the next digest, which waits its
		// spacing so a channel over its pace gets a digest every ten minutes
		// at most, and alerts are not held behind it.
		if err := d.MarkAttempted(ctx, digest.ID, clock); err != nil {
			t.Fatal(err)
		}
		d.MarkDelivered(ctx, digest.ID, "m1", clock)
		clock = clock.Add(time.Minute)
		poll(2, false)
		if _, g := due("c1"); g != 0 {
			t.Errorf("a second digest is due a minute after the first")
		}
		clock = clock.Add(digestSpacing)
		if _, g := due("c1"); g != 1 {
			t.Errorf("the second digest is not due after the spacing")
		}
		if count, _, _ := d.DigestContents(ctx, digest.ID, 5); count != 12 {
			t.Errorf("the sent digest grew to %d", count)
		}
		// An hour later the pace is fresh, and a burst's folds still fold.
		clock = clock.Add(time.Hour)
		if res := poll(3, false); res.Folded != 0 {
			t.Errorf("folded %d after the hour", res.Folded)
		}
		if res := poll(2, true); res.Folded != 2 {
			t.Errorf("a burst's matches folded %d; want 2", res.Folded)
		}
	})
}

func TestANewItemsAverageFollowsThePolls(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		feed := "https://a.example/rss"
		d.UpsertFeed(ctx, alerts.Feed{URL: feed})
		save := func(k int) float64 {
			var stories []alerts.Story
			for i := range k {
				stories = append(stories, alerts.Story{ID: fmt.Sprintf("%d-%d", time.Now().UnixNano(), i), FeedURL: feed, Published: t0, FirstSeen: t0})
			}
			if _, err := d.SaveStories(ctx, feed, stories, nil); err != nil {
				t.Fatal(err)
			}
			f, _ := d.Feed(ctx, feed)
			return f.NewItemsAvg
		}
		if got := save(50); got != 0 {
			t.Errorf("after the first poll avg = %v; want 0 (the whole feed is not a rate)", got)
		}
		if got := save(10); got < 0.99 || got > 1.01 {
			t.Errorf("after a poll of 10 avg = %v; want 1", got)
		}
	})
}
