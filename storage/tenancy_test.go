package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// secretFeed is a feed URL with a token in it, as a server adds a paid
// wire's feed: nothing about it may reach another server.
const secretFeed = "https://wire.example/rss?token=s3cret"

func queued(t *testing.T, d *DB) []string {
	t.Helper()
	ds, err := d.PendingDeliveries(context.Background(), t0.Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, dl := range ds {
		out = append(out, dl.ChannelID+":"+dl.Story.ID)
	}
	return out
}

func TestAServersFeedIsItsOwn(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		if err := d.UpsertFeed(ctx, alerts.Feed{URL: "https://operator.example/rss"}); err != nil {
			t.Fatal(err)
		}
		if added, err := d.AddGuildFeed(ctx, "A", alerts.Feed{URL: secretFeed}); err != nil || !added {
			t.Fatalf("A adds its feed: %v, %v", added, err)
		}
		subA, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "A", ChannelID: "a1", Query: "drone"}, "admin")
		subB, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "B", ChannelID: "b1", Query: "drone"}, "admin")

		// B cannot see A's feed.
		feedsB, err := d.GuildFeeds(ctx, "B")
		if err != nil {
			t.Fatal(err)
		}
		if len(feedsB) != 1 || feedsB[0].URL != "https://operator.example/rss" {
			t.Errorf("B's feeds = %+v; want only the operator's", feedsB)
		}
		feedsA, _ := d.GuildFeeds(ctx, "A")
		if len(feedsA) != 2 {
			t.Errorf("A's feeds = %+v; want its own and the operator's", feedsA)
		}

		// The index matched both query-only subscriptions to a story of A's
		// feed; only A's channel is queued it.
		s := alerts.Story{ID: "s1", FeedURL: secretFeed, Title: "Drone strike", Published: t0, FirstSeen: t0}
		ms := []alerts.Match{
			{StoryID: "s1", FeedURL: secretFeed, SubscriptionID: subA.ID, ChannelID: "a1"},
			{StoryID: "s1", FeedURL: secretFeed, SubscriptionID: subB.ID, ChannelID: "b1"},
		}
		if _, err := d.SaveStories(ctx, secretFeed, []alerts.Story{s}, ms); err != nil {
			t.Fatal(err)
		}
		if got := queued(t, d); !slices.Equal(got, []string{"a1:s1"}) {
			t.Errorf("queued = %v; want only A's channel", got)
		}
		// A story of the operator's feed reaches both.
		op := alerts.Story{ID: "s2", FeedURL: "https://operator.example/rss", Title: "Drone", Published: t0, FirstSeen: t0}
		if _, err := d.SaveStories(ctx, op.FeedURL, []alerts.Story{op}, []alerts.Match{
			{StoryID: "s2", FeedURL: op.FeedURL, SubscriptionID: subA.ID, ChannelID: "a1"},
			{StoryID: "s2", FeedURL: op.FeedURL, SubscriptionID: subB.ID, ChannelID: "b1"},
		}); err != nil {
			t.Fatal(err)
		}
		if got := queued(t, d); len(got) != 3 {
			t.Errorf("queued = %v; want the operator's story in both channels", got)
		}
		// B's searches never see A's stories.
		stories, err := d.GuildStories(ctx, "B", t0.Add(-time.Hour), time.Time{}, 0, 100)
		if err != nil || len(stories) != 1 || stories[0].ID != "s2" {
			t.Errorf("B's stories = %+v, %v; want only the operator's", stories, err)
		}

		// B adding the same URL is told nothing about A, and polling stays
		// one fetch: one feed row, two owners.
		if added, err := d.AddGuildFeed(ctx, "B", alerts.Feed{URL: secretFeed}); err != nil || !added {
			t.Errorf("B adds the URL: added %v, %v; want added, as for any new URL", added, err)
		}
		feedsB, _ = d.GuildFeeds(ctx, "B")
		for _, f := range feedsB {
			if f.URL == secretFeed && (f.OwnedBy("A") || !f.LastPollAt.IsZero()) {
				t.Errorf("B sees A's ownership or poll state: %+v", f)
			}
		}
		all, _ := d.Feeds(ctx)
		if len(all) != 2 {
			t.Errorf("feeds to poll = %d; want 2 (one fetch per URL)", len(all))
		}
	})
}

func TestRemovingAServersLastReferenceEndsItsSubscriptions(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		other := "https://other.example/rss"
		for _, g := range []string{"A", "B"} {
			if _, err := d.AddGuildFeed(ctx, g, alerts.Feed{URL: secretFeed}); err != nil {
				t.Fatal(err)
			}
		}
		d.AddGuildFeed(ctx, "A", alerts.Feed{URL: other})
		only, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "A", ChannelID: "a1", Feeds: []string{secretFeed}}, "admin")
		both, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "A", ChannelID: "a2", Query: "drone", Feeds: []string{secretFeed, other}}, "admin")
		keptB, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "B", ChannelID: "b1", Feeds: []string{secretFeed}}, "admin")

		ended, err := d.RemoveGuildFeed(ctx, "A", secretFeed)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, s := range ended {
			ids = append(ids, s.ID)
		}
		if !slices.Equal(ids, []int64{only.ID, both.ID}) {
			t.Errorf("ended = %v; want A's two subscriptions %d and %d", ids, only.ID, both.ID)
		}
		subs, _ := d.Subscriptions(ctx, "")
		var left []string
		for _, s := range subs {
			left = append(left, fmt.Sprintf("%d:%s", s.ID, strings.Join(s.Feeds, ",")))
		}
		want := []string{fmt.Sprintf("%d:%s", both.ID, other), fmt.Sprintf("%d:%s", keptB.ID, secretFeed)}
		if !slices.Equal(left, want) {
			t.Errorf("subscriptions left = %v; want %v (B's untouched, A's narrowed or gone)", left, want)
		}
		if _, err := d.RemoveGuildFeed(ctx, "A", secretFeed); !errors.Is(err, ErrNotFound) {
			t.Errorf("removing it twice: %v; want not found", err)
		}
		if _, err := d.RemoveGuildFeed(ctx, "C", other); !errors.Is(err, ErrNotFound) {
			t.Errorf("a server removing another's feed: %v; want not found", err)
		}
		// The feed is still polled, once, for B.
		all, _ := d.Feeds(ctx)
		if len(all) != 2 {
			t.Errorf("feeds to poll = %+v", all)
		}
		d.RemoveGuildFeed(ctx, "B", secretFeed)
		all, _ = d.Feeds(ctx)
		if len(all) != 1 || all[0].URL != other {
			t.Errorf("after its last owner left, feeds to poll = %+v; want only %s", all, other)
		}
	})
}

func TestAFeedLeavingTheConfigStopsBeingShared(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		shared, kept := "https://shared.example/rss", "https://kept.example/rss"
		if _, err := d.SyncOperatorFeeds(ctx, []alerts.Feed{{URL: shared}, {URL: kept}}); err != nil {
			t.Fatal(err)
		}
		d.AddGuildFeed(ctx, "A", alerts.Feed{URL: shared})
		subA, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "A", ChannelID: "a1", Feeds: []string{shared}}, "admin")
		subB, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "B", ChannelID: "b1", Feeds: []string{shared}}, "admin")
		ended, err := d.SyncOperatorFeeds(ctx, []alerts.Feed{{URL: kept}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ended) != 1 || ended[0].ID != subB.ID {
			t.Errorf("ended = %+v; want B's subscription %d only (A added the feed itself)", ended, subB.ID)
		}
		subs, _ := d.Subscriptions(ctx, "")
		if len(subs) != 1 || subs[0].ID != subA.ID {
			t.Errorf("subscriptions = %+v", subs)
		}
		feedsB, _ := d.GuildFeeds(ctx, "B")
		if len(feedsB) != 1 || feedsB[0].URL != kept {
			t.Errorf("B's feeds = %+v; want only %s", feedsB, kept)
		}
	})
}

func TestUpgradeGivesFeedsToTheServersThatUseThem(t *testing.T) {
	ctx := context.Background()
	old, path := openAtVersion(t, 5)
	sep := "\x1f"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO feeds (url, guild_id, added_at) VALUES ('https://config.example/rss', '', 1)`, nil},
		{`INSERT INTO feeds (url, guild_id, added_at) VALUES ('https://a.example/rss', 'A', 1)`, nil},
		// Added before feeds had owners: B subscribed to A's feed.
		{`INSERT INTO subscriptions (guild_id, channel_id, feeds, created_at) VALUES ('B', 'b1', ?, 1)`,
			[]any{"https://a.example/rss" + sep + "https://config.example/rss"}},
		{`INSERT INTO subscriptions (guild_id, channel_id, feeds, created_at) VALUES ('C', 'c1', 'https://a.example/rss/x', 1)`, nil},
		{`INSERT INTO outbox (channel_id, cluster_id, subscription_id, feed_url, story_id, nonce, created_at) VALUES ('b1', 'e', 1, 'https://a.example/rss', 's', 'n', 1)`, nil},
	} {
		if _, err := old.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	old.Close()

	d := openTemp(t, path)
	owners := map[string][]string{}
	feeds, err := d.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range feeds {
		owners[f.URL] = f.Owners
	}
	if got := owners["https://config.example/rss"]; !slices.Equal(got, []string{""}) {
		t.Errorf("config feed owners = %q; want the operator", got)
	}
	got := slices.Sorted(slices.Values(owners["https://a.example/rss"]))
	if !slices.Equal(got, []string{"A", "B"}) {
		t.Errorf("a server's feed owners = %q; want A, which added it, and B, whose subscription names it (not C: a longer URL)", got)
	}
	subs, _ := d.Subscriptions(ctx, "")
	if len(subs) != 2 || len(subs[0].Feeds) != 2 {
		t.Errorf("subscriptions after upgrade = %+v; want both kept whole", subs)
	}
	ds, _ := d.PendingDeliveries(ctx, time.UnixMilli(10), 10)
	if len(ds) != 0 {
		// The story row is missing in this fixture; what matters is the
		// outbox row's server.
		t.Logf("pending = %+v", ds)
	}
	var guild string
	if err := d.db.QueryRowContext(ctx, `SELECT guild_id FROM outbox`).Scan(&guild); err != nil || guild != "B" {
		t.Errorf("outbox row's server = %q, %v; want B, from its subscription", guild, err)
	}
}

func TestServerCapsHoldUnderRacingCommands(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		limits := alerts.Limits{FeedsPerServer: 3, SubscriptionsPerServer: 10, SubscriptionsPerChannel: 4, BriefingsPerServer: 2}
		d, err := eng.openAt(ctx, eng.fresh(t), WithClock(func() time.Time { return t0 }), WithLimits(limits))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })

		// 40 commands at once over 8 channels of one server, as a script
		// would send them.
		var wg sync.WaitGroup
		var mu sync.Mutex
		refused := map[string]int{}
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "A", ChannelID: fmt.Sprintf("c%d", i%8), Query: "drone"}, "admin")
				var le *alerts.LimitError
				if errors.As(err, &le) {
					mu.Lock()
					refused[le.Key]++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n, _ := d.GuildSubscriptionCount(ctx, "A"); n != 10 {
			t.Errorf("server A has %d subscriptions; want exactly its cap of 10", n)
		}
		if refused["limits.subscriptions_per_server"] == 0 {
			t.Errorf("refusals = %v; want the server cap named", refused)
		}
		// Another server is not affected by A's cap.
		if _, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "B", ChannelID: "b1", Query: "drone"}, "admin"); err != nil {
			t.Errorf("server B refused: %v", err)
		}
		for i := range 5 {
			_, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "C", ChannelID: "c", Query: "x"}, "admin")
			var le *alerts.LimitError
			if i < 4 && err != nil || i == 4 && (!errors.As(err, &le) || le.Key != "limits.subscriptions_per_channel") {
				t.Errorf("channel subscription %d: %v", i+1, err)
			}
		}

		for i := range 4 {
			_, err := d.AddGuildFeed(ctx, "A", alerts.Feed{URL: fmt.Sprintf("https://f%d.example/rss", i)})
			var le *alerts.LimitError
			if i < 3 && err != nil || i == 3 && (!errors.As(err, &le) || le.Key != "limits.feeds_per_server") {
				t.Errorf("feed %d: %v", i+1, err)
			}
		}
		// Adding a feed the server has is no new feed, at the cap or not.
		if added, err := d.AddGuildFeed(ctx, "A", alerts.Feed{URL: "https://f0.example/rss"}); added || err != nil {
			t.Errorf("re-adding a feed at the cap: %v, %v", added, err)
		}

		for i := range 3 {
			err := d.SetBriefing(ctx, alerts.BriefingSetting{GuildID: "A", ChannelID: fmt.Sprintf("c%d", i), At: "07:00", Timezone: "UTC"}, "admin")
			var le *alerts.LimitError
			if i < 2 && err != nil || i == 2 && (!errors.As(err, &le) || le.Key != "limits.briefings_per_server") {
				t.Errorf("briefing %d: %v", i+1, err)
			}
		}
		// Changing an existing briefing at the cap is allowed.
		if err := d.SetBriefing(ctx, alerts.BriefingSetting{GuildID: "A", ChannelID: "c0", At: "08:00", Timezone: "UTC"}, "admin"); err != nil {
			t.Errorf("changing a briefing at the cap: %v", err)
		}
	})
}
