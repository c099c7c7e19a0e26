package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/bot/discordtest"
)

// /watch why answers "why did this story (not) reach us?" per
// subscription, from the index delivery uses and the outbox, and only
// about this server's stories and this channel's subscriptions.
func TestWatchWhyExplainsEachSubscriptionAndTheAlert(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	ctx := context.Background()
	wire := "https://wire.example/rss"
	if err := h.db.UpsertFeed(ctx, alerts.Feed{URL: wire}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, s := range []alerts.Subscription{
		{Query: "drone NOT Romania"},
		{Query: "drone", Regions: []string{"PL"}},
		{Query: "drone"},
	} {
		s.GuildID, s.ChannelID = guildID, alertsChan
		added, err := h.db.AddSubscription(ctx, s, adminID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, added.ID)
	}
	story := alerts.Story{ID: "a", FeedURL: wire, Source: "Wire", Title: "Drone debris found",
		Text: "The drone was not over Romania, Ukraine's air force said.", URL: "https://wire.example/a",
		Published: h.now(), FirstSeen: h.now(), ClusterID: "c-a", Countries: []string{"UA"}, Mentions: []string{"UA", "RO"}}
	match := alerts.Match{StoryID: "a", FeedURL: wire, SubscriptionID: ids[2], ChannelID: alertsChan, Terms: []string{"drone"}}
	if _, err := h.db.SaveStories(ctx, wire, []alerts.Story{story}, []alerts.Match{match}); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, "the alert", func() bool { return len(h.srv.Messages(alertsChan)) == 1 })

	// Another outlet's report of the same event, stored after the alert:
	// the channel was already alerted, so it was not posted again.
	agency := "https://agency.example/rss"
	if err := h.db.UpsertFeed(ctx, alerts.Feed{URL: agency}); err != nil {
		t.Fatal(err)
	}
	again := story
	again.ID, again.FeedURL, again.URL = "b", agency, "https://agency.example/b"
	if _, err := h.db.SaveStories(ctx, agency, []alerts.Story{again}, nil); err != nil {
		t.Fatal(err)
	}

	// A story of a feed only another server added is not this server's
	// to explain, even with the right link.
	secret := "https://private.example/rss?token=s3cret"
	if _, err := h.db.AddGuildFeed(ctx, "920000000000000001", alerts.Feed{URL: secret}); err != nil {
		t.Fatal(err)
	}
	hidden := alerts.Story{ID: "h", FeedURL: secret, Title: "Drone", URL: "https://private.example/h", Published: h.now(), FirstSeen: h.now()}
	if _, err := h.db.SaveStories(ctx, secret, []alerts.Story{hidden}, nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		member   discordtest.Member
		link     string
		want     []string
		dontWant []string
	}{
		{"each subscription says what held and what failed, and the alert is found", admin,
			// Pasted with a tracking parameter, as links are shared.
			"https://wire.example/a?utm_source=newsletter",
			[]string{
				"Drone debris found",
				`**1** · ` + "`drone NOT Romania`" + ` — ✗ the story has "romania", which the query excludes \(\-romania\)`, // escaped for Discord's markdown
				"**2** · ", "— ✗ the story is not about Poland",
				"**3** · " + "`drone`" + " — ✓ matches (drone)",
				"📨 Alerted here <t:",
			}, nil},
		{"another report of an event already alerted says so", admin, "https://agency.example/b",
			[]string{"**3** · " + "`drone`" + " — ✓ matches", "📨 Alerted here", "another report of the same event"}, nil},
		{"a link no story has says what to check", admin, "https://wire.example/never",
			[]string{"has seen no story linking", "/feeds list"}, []string{"**1**"}},
		{"another server's story is answered as one never seen", admin, "https://private.example/h",
			[]string{"has seen no story linking"}, []string{"private.example/rss", "token"}},
		{"text that is not a link is refused in words", admin, "drone over Romania",
			[]string{"is not a web link"}, nil},
		{"a member without Manage Channels is refused, as for /watch test", granted(reader), "https://wire.example/a",
			[]string{"Manage Channels"}, []string{"**1**"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.command(t, alertsChan, tt.member, "watch", discordtest.Subcommand("why", discordtest.StringOption("link", tt.link)))
			for _, w := range tt.want {
				if !strings.Contains(resp.Content, w) {
					t.Errorf("reply %q lacks %q", resp.Content, w)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(resp.Content, w) {
					t.Errorf("reply %q has %q", resp.Content, w)
				}
			}
		})
	}

	// The channel is paused: every subscription says so.
	if err := h.db.SetChannelPaused(ctx, alertsChan, true); err != nil {
		t.Fatal(err)
	}
	resp := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("why", discordtest.StringOption("link", story.URL)))
	if n := strings.Count(resp.Content, "the subscription is paused"); n != 3 {
		t.Errorf("paused channel: %d subscriptions say paused, want 3: %q", n, resp.Content)
	}
}
