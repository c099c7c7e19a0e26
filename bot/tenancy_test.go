package bot_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/discordtest"
)

// A second server sharing the bot.
const (
	guildB   = "920000000000000001"
	channelB = "920000000000000010"
	adminB   = "920000000000000100"
)

var adminOfB = discordtest.Member{User: discordtest.User{ID: adminB, Username: "admin-b"}, Permissions: discordgo.PermissionManageChannels}

// twoServers is the harness with a second server, and the commands
// registered globally as a public bot's are.
func twoServers(t *testing.T) *harness {
	t.Helper()
	b := &discordgo.Guild{ID: guildB, Name: "Other Desk", Channels: []*discordgo.Channel{
		{ID: channelB, GuildID: guildB, Name: "alerts", Type: discordgo.ChannelTypeGuildText},
	}, Roles: []*discordgo.Role{{ID: guildB, Name: "@everyone", Permissions: everyonePermissions}},
		Members: []*discordgo.Member{{GuildID: guildB, User: &discordgo.User{ID: adminB, Username: "admin-b"}}}}
	return newHarness(t, "", []discordtest.Option{discordtest.WithGuild(b)}, func(c *bot.Config) {
		c.GuildID = ""
		c.ValidateFeedURL = func(string) error { return nil }
	})
}

func (h *harness) commandIn(t *testing.T, guild, channel string, m discordtest.Member, name string, opts ...*discordtest.CommandOption) *discordtest.InteractionResponse {
	t.Helper()
	i := h.srv.SlashCommand(guild, channel, m, name, opts...)
	if i == nil {
		t.Fatalf("/%s not offered in %s", name, guild)
	}
	return h.awaitReply(t, i.ID)
}

func TestAnotherServersFeedIsNeverShownConfirmedOrUsable(t *testing.T) {
	t.Parallel()
	h := twoServers(t)
	wire := &feedServer{}
	srv := httptest.NewServer(wire)
	t.Cleanup(srv.Close)
	secret := srv.URL + "/rss?token=s3cret"

	if r := h.command(t, alertsChan, admin, "feeds", discordtest.Subcommand("add", discordtest.StringOption("url", secret))); !strings.Contains(r.Content, "Added") {
		t.Fatalf("A's /feeds add = %q", r.Content)
	}
	h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", "drone")))

	// B tries A's feed every way a member can.
	r := h.commandIn(t, guildB, channelB, adminOfB, "watch", discordtest.Subcommand("add",
		discordtest.StringOption("query", "drone"), discordtest.StringOption("feed", secret)))
	unknown := h.commandIn(t, guildB, channelB, adminOfB, "watch", discordtest.Subcommand("add",
		discordtest.StringOption("query", "drone"), discordtest.StringOption("feed", srv.URL+"/never-added")))
	if !strings.Contains(r.Content, "no feed") || strings.ReplaceAll(r.Content, secret, "X") != strings.ReplaceAll(unknown.Content, srv.URL+"/never-added", "X") {
		t.Errorf("B subscribing to A's feed: %q; want exactly the answer for a feed no one added (%q)", r.Content, unknown.Content)
	}
	if list := h.commandIn(t, guildB, channelB, adminOfB, "feeds", discordtest.Subcommand("list")); strings.Contains(list.Content, "s3cret") {
		t.Errorf("B's /feeds list shows A's feed: %q", list.Content)
	}
	ac := h.srv.Autocomplete(guildB, channelB, adminOfB, "watch", discordtest.Subcommand("add", discordtest.Focused(discordtest.StringOption("feed", ""))))
	if rec := h.awaitReply(t, ac.ID); len(rec.Choices) != 0 {
		t.Errorf("B's feed autocomplete offers %+v", rec.Choices)
	}
	// B's own query-only subscription.
	h.commandIn(t, guildB, channelB, adminOfB, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", "drone")))

	// A story on A's feed reaches A only.
	poller := pipelineFor(t, h.db)
	poll := func() {
		t.Helper()
		f, err := h.db.Feed(context.Background(), secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := poller.Poll(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	poll()
	wire.add(item("d1", "Drone strike on a refinery", "A drone hit the plant."))
	poll()
	h.deliver(t, "A's alert", func() bool { return len(h.srv.Messages(alertsChan)) == 1 && h.pending(t) == 0 })
	if n := len(h.srv.Messages(channelB)); n != 0 {
		t.Errorf("B's query-only channel got %d messages from A's feed", n)
	}
	// B searching sees nothing of A's.
	if rec := h.commandIn(t, guildB, channelB, adminOfB, "recent", discordtest.StringOption("query", "drone")); strings.Contains(rec.Content, "refinery") {
		t.Errorf("B's /recent shows A's story: %q", rec.Content)
	}

	// B adding the same URL is told what any new feed is told.
	if r := h.commandIn(t, guildB, channelB, adminOfB, "feeds", discordtest.Subcommand("add", discordtest.StringOption("url", secret))); !strings.Contains(r.Content, "Added") || strings.Contains(r.Content, "already") {
		t.Errorf("B's /feeds add of A's URL = %q; want the plain 'Added'", r.Content)
	}

	// A subscribes to the feed by name, then removes it: the
	// subscription ends and the channel is told.
	r = h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("feed", secret)))
	if !strings.Contains(r.Content, "Watching") {
		t.Fatalf("A's /watch add feed: = %q", r.Content)
	}
	r = h.command(t, alertsChan, admin, "feeds", discordtest.Subcommand("remove", discordtest.StringOption("url", secret)))
	if !strings.Contains(r.Content, "Removed") || !strings.Contains(r.Content, "1 subscription") {
		t.Errorf("A's /feeds remove = %q", r.Content)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.WaitFor(ctx, func() bool { return len(h.srv.Messages(alertsChan)) == 2 }); err != nil {
		t.Fatalf("no notice in A's channel: %v", err)
	}
	notice := h.srv.Messages(alertsChan)[1]
	if !strings.Contains(notice.Content, "was removed from this server") || !strings.Contains(notice.Content, "ended") {
		t.Errorf("notice = %q", notice.Content)
	}
	subs, _ := h.db.Subscriptions(context.Background(), alertsChan)
	for _, s := range subs {
		if len(s.Feeds) > 0 {
			t.Errorf("A's subscription %d still names the removed feed", s.ID)
		}
	}
}

func TestCapsRefuseWithTheCapsName(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	for i := range alerts.DefaultLimits.SubscriptionsPerChannel {
		r := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", fmt.Sprintf("word%d", i))))
		if !strings.Contains(r.Content, "Watching") {
			t.Fatalf("subscription %d: %q", i+1, r.Content)
		}
	}
	r := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", "one too many")))
	if !strings.Contains(r.Content, "limits.subscriptions_per_channel") || !strings.Contains(r.Content, "25") {
		t.Errorf("refusal = %q; want the cap and its key named", r.Content)
	}
}

func TestAFloodedChannelGetsOneDigestMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", "drone")))
	wire, poll := h.wire(t)
	poll()
	for i := range 300 {
		wire.add(item(fmt.Sprintf("b%03d", i), fmt.Sprintf("Drone report %d", i), "A drone was seen."))
	}
	poll()
	h.deliver(t, "the burst's alerts and digest", func() bool { return h.pending(t) == 0 && len(h.srv.Messages(alertsChan)) >= 6 })
	msgs := h.srv.Messages(alertsChan)
	if len(msgs) != 6 {
		t.Fatalf("%d messages; want the newest 5 alerts and one digest", len(msgs))
	}
	var digest *discordgo.MessageEmbed
	for _, m := range msgs {
		if len(m.Embeds) == 1 && strings.Contains(m.Embeds[0].Title, "more stories matched") {
			digest = m.Embeds[0]
		}
	}
	if digest == nil || digest.Title != "295 more stories matched" {
		t.Fatalf("digest = %+v", digest)
	}
	if !strings.Contains(digest.Description, "…and 290 more") || strings.Count(digest.Description, "• ") != 5 {
		t.Errorf("digest description = %q", digest.Description)
	}
}

func TestRecentAnswersInTimeOverManyStories(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	ctx := context.Background()
	feedURL := "https://wire.example/rss"
	h.db.UpsertFeed(ctx, alerts.Feed{URL: feedURL})
	const n = 20_000
	stories := make([]alerts.Story, n)
	for i := range stories {
		stories[i] = alerts.Story{ID: fmt.Sprintf("s%05d", i), FeedURL: feedURL, Source: "Wire", Title: fmt.Sprintf("Story %d about drones and the Baltic", i),
			Text: strings.Repeat("Words of a long enough story body. ", 40), URL: "https://wire.example/" + fmt.Sprint(i),
			Published: time.Now().Add(-time.Duration(n-i) * time.Second), FirstSeen: time.Now().Add(-time.Duration(n-i) * time.Second), Countries: []string{"EE"}, Regions: []string{"baltic-states"}}
	}
	if _, err := h.db.SaveStories(ctx, feedURL, stories, nil); err != nil {
		t.Fatal(err)
	}
	// Ten members at once, as a busy server does; the fake holds the bot
	// to Discord's three seconds (10062 Unknown interaction after).
	var wg sync.WaitGroup
	for m := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			member := discordtest.Member{User: discordtest.User{ID: fmt.Sprintf("9100000000000002%02d", m), Username: "m"}, Permissions: discordgo.PermissionSendMessages}
			start := time.Now()
			i := h.srv.SlashCommand(guildID, alertsChan, member, "recent", discordtest.StringOption("query", "drones"))
			r := h.awaitReply(t, i.ID)
			if !strings.Contains(r.Content, "Latest stories") {
				t.Errorf("member %d: %q after %v", m, r.Content, time.Since(start))
			}
			if rec, _ := h.srv.Interaction(i.ID); rec.Response == nil {
				t.Errorf("member %d: no callback", m)
			}
		}()
	}
	wg.Wait()
	// /watch test counts, so it reads all it may: the newest 2,000.
	if r := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("test", discordtest.StringOption("query", "drones"))); !strings.Contains(r.Content, "of the 2000 stories") {
		t.Errorf("/watch test = %q", r.Content)
	}

	// One member hammering the command is slowed down, in words.
	var last string
	for range 5 {
		last = h.command(t, alertsChan, reader, "recent", discordtest.StringOption("query", "drones")).Content
	}
	if !strings.Contains(last, "faster than Vigil allows") {
		t.Errorf("fifth quick /recent = %q; want the rate limit explained", last)
	}
}
