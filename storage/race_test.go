package storage

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// Write transactions check and then write (is the event queued for the
// channel yet, is the briefing stored yet, how many alerts did the channel
// get this hour). SQLite runs them one at a time; these tests race them, so
// that on PostgreSQL they prove the isolation inTx asks for gives the same
// answers.

// race runs fn n times at once and waits for all of them.
func race(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func TestRacingOutletsQueueAnEventOncePerChannel(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		const outlets = 8
		sub, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c", Query: "quake"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		for i := range outlets {
			if err := d.UpsertFeed(ctx, alerts.Feed{URL: fmt.Sprintf("https://o%d.example/rss", i)}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		deliveries := 0
		race(outlets, func(i int) {
			feed := fmt.Sprintf("https://o%d.example/rss", i)
			s := alerts.Story{ID: "quake", FeedURL: feed, Source: fmt.Sprintf("Outlet %d", i), Title: "Quake", ClusterID: "event-1", Published: t0, FirstSeen: t0}
			res, err := d.SaveStories(ctx, feed, []alerts.Story{s},
				[]alerts.Match{{StoryID: "quake", FeedURL: feed, SubscriptionID: sub.ID, ChannelID: "c"}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			deliveries += res.Deliveries
			mu.Unlock()
		})
		if deliveries != 1 {
			t.Errorf("%d outlets racing queued %d alerts; want 1", outlets, deliveries)
		}
		if n, err := d.PendingCount(ctx); err != nil || n != 1 {
			t.Errorf("pending = %d, %v; want 1", n, err)
		}
	})
}

func TestABriefingComposedTwiceAtOnceIsStoredOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		const composers = 6
		got := make([][]alerts.BriefingPart, composers)
		race(composers, func(i int) {
			var parts []alerts.BriefingPart
			for p := range 3 {
				parts = append(parts, alerts.BriefingPart{ChannelID: "c", Period: "2026-03-23", Part: p, Parts: 3,
					Body: fmt.Appendf(nil, `{"content":"composer %d part %d"}`, i, p), Nonce: fmt.Sprintf("n%d-%d", i, p)})
			}
			var err error
			if got[i], err = d.SaveBriefingParts(ctx, parts); err != nil {
				t.Error(err)
			}
		})
		for i := range got {
			if len(got[i]) != 3 {
				t.Fatalf("composer %d was given %d parts; want the 3 stored", i, len(got[i]))
			}
			for p := range got[i] {
				if string(got[i][p].Body) != string(got[0][p].Body) {
					t.Errorf("composer %d was given part %d %s, composer 0 %s; want one stored briefing for both",
						i, p, got[i][p].Body, got[0][p].Body)
				}
			}
		}
	})
}

func TestChannelPaceHoldsWhenFeedsSaveAtOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		const perHour, feeds, perFeed = 3, 6, 3
		d := eng.open(t, WithLimits(alerts.Limits{ChannelAlertsPerHour: perHour}))
		sub, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c", Query: "drone"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		for i := range feeds {
			if err := d.UpsertFeed(ctx, alerts.Feed{URL: fmt.Sprintf("https://f%d.example/rss", i)}); err != nil {
				t.Fatal(err)
			}
		}
		race(feeds, func(i int) {
			feed := fmt.Sprintf("https://f%d.example/rss", i)
			var stories []alerts.Story
			var ms []alerts.Match
			for k := range perFeed {
				id := fmt.Sprintf("s%d", k)
				stories = append(stories, alerts.Story{ID: id, FeedURL: feed, Title: "Drone", ClusterID: fmt.Sprintf("e%d-%d", i, k), Published: t0, FirstSeen: t0})
				ms = append(ms, alerts.Match{StoryID: id, FeedURL: feed, SubscriptionID: sub.ID, ChannelID: "c"})
			}
			if _, err := d.SaveStories(ctx, feed, stories, ms); err != nil {
				t.Error(err)
			}
		})
		ds, err := d.ChannelQueue(ctx, "c", t0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var own, digests int
		for _, dl := range ds {
			if dl.Digest {
				digests++
			} else {
				own++
			}
		}
		if own != perHour || digests != 1 {
			t.Errorf("channel queue: %d alerts on their own and %d digests; want %d and 1", own, digests, perHour)
		}
		n, _, err := d.DigestContents(ctx, ds[len(ds)-1].ID, 1)
		if err != nil || n != feeds*perFeed-perHour {
			t.Errorf("the digest holds %d alerts, %v; want the other %d", n, err, feeds*perFeed-perHour)
		}
	})
}

func TestProcessesJoiningPeersThatPollAllSaveTheConfigsFeeds(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		where := eng.fresh(t)
		// The first process has saved the config's feeds and polls
		// them, writing each feed's row after each poll, while two more
		// start with the same config: they must get past saving it
		// however busy the feeds' rows are.
		const nFeeds = 1000
		var feeds []alerts.Feed
		for i := range nFeeds {
			feeds = append(feeds, alerts.Feed{URL: fmt.Sprintf("https://wire.example/%d", i), Title: fmt.Sprintf("Wire %d", i), Interval: time.Minute})
		}
		first := eng.reopen(t, where)
		if _, err := first.SyncOperatorFeeds(ctx, feeds); err != nil {
			t.Fatal(err)
		}
		pollCtx, stopPolling := context.WithCancel(ctx)
		polled := make(chan error, 1)
		go func() {
			for i := 0; pollCtx.Err() == nil; i++ {
				if err := first.RecordPoll(pollCtx, feeds[i%nFeeds].URL, alerts.PollResult{At: t0, NotModified: true}); err != nil && pollCtx.Err() == nil {
					polled <- err
					return
				}
			}
			polled <- nil
		}()
		joining := []*DB{eng.reopen(t, where), eng.reopen(t, where)}
		errs := make([]error, len(joining))
		race(len(joining), func(i int) { _, errs[i] = joining[i].SyncOperatorFeeds(ctx, feeds) })
		stopPolling()
		if err := <-polled; err != nil {
			t.Errorf("the first process's polls: %v", err)
		}
		for i, err := range errs {
			if err != nil {
				t.Errorf("process %d joining: %v", i+2, err)
			}
		}
		got, err := joining[0].Feeds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != nFeeds {
			t.Errorf("%d feeds stored, want %d", len(got), nFeeds)
		}
		// A change in the config still reaches the database.
		feeds[7].Interval = 2 * time.Minute
		if _, err := joining[1].SyncOperatorFeeds(ctx, feeds); err != nil {
			t.Fatal(err)
		}
		f, err := first.Feed(ctx, feeds[7].URL)
		if err != nil {
			t.Fatal(err)
		}
		if f.Interval != 2*time.Minute {
			t.Errorf("after the config changed a feed's interval to 2m, it is %v", f.Interval)
		}
	})
}
