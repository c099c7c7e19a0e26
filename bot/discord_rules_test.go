package bot_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

// These tests hold the bot to what Discord's documentation says Discord
// refuses, limits or forgets, through the fake.

// manyChannels is a harness whose guild has n more text channels.
func manyChannels(t *testing.T, n int, c *clock, opts ...harnessOption) (*harness, []string) {
	t.Helper()
	var ids []string
	guild := &discordgo.Guild{ID: guildID, Name: "Security Desk", Roles: []*discordgo.Role{{ID: guildID, Name: "@everyone", Permissions: everyonePermissions}},
		Members: []*discordgo.Member{{GuildID: guildID, User: &discordgo.User{ID: adminID, Username: "admin"}}}}
	for i := range n {
		id := fmt.Sprintf("93%016d", i)
		ids = append(ids, id)
		guild.Channels = append(guild.Channels, &discordgo.Channel{ID: id, GuildID: guildID, Name: fmt.Sprintf("c%d", i), Type: discordgo.ChannelTypeGuildText})
	}
	srv := discordtest.NewServer(t, discordtest.WithGuild(guild), discordtest.WithClock(c.Now))
	h := &harness{srv: srv, changed: make(chan struct{}, 1000)}
	h.open(t, filepath.Join(t.TempDir(), "vigil.db"), append([]harnessOption{withClock(c), fastPace}, opts...)...)
	return h, ids
}

// fastPace lifts the bot's global pace, so that tests of what is sent are
// not tests of how fast.
func fastPace(cfg *bot.Config) { cfg.GlobalRate = 1000 }

// queueMany queues stories alerts for each channel, in story order.
func queueMany(t *testing.T, db *storage.DB, channels []string, stories int) {
	t.Helper()
	ctx := context.Background()
	feedURL := "https://wire.example/rss"
	if err := db.UpsertFeed(ctx, alerts.Feed{URL: feedURL}); err != nil {
		t.Fatal(err)
	}
	subs := map[string]int64{}
	for _, ch := range channels {
		s, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: guildID, ChannelID: ch, Query: "x"}, adminID)
		if err != nil {
			t.Fatal(err)
		}
		subs[ch] = s.ID
	}
	for i := range stories {
		id := fmt.Sprintf("s%03d", i)
		var matches []alerts.Match
		for _, ch := range channels {
			matches = append(matches, alerts.Match{StoryID: id, FeedURL: feedURL, SubscriptionID: subs[ch], ChannelID: ch})
		}
		story := alerts.Story{ID: id, FeedURL: feedURL, Source: "Wire", Title: "Story " + id, URL: "https://wire.example/" + id,
			Published: time.Now(), FirstSeen: time.Now(), ClusterID: "c-" + id}
		if _, err := db.SaveStories(ctx, feedURL, []alerts.Story{story}, matches); err != nil {
			t.Fatal(err)
		}
	}
}

// postsTo counts the messages the bot tried to post in a channel.
func postsTo(srv *discordtest.Server, channelID string) int {
	return len(srv.RequestsTo("POST", "/channels/"+channelID+"/messages"))
}

// runFor runs the delivery worker for d.
func (h *harness) runFor(d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	h.bot.Deliver(ctx)
}

func TestForbiddenChannelsCostOneRequestEachAndOneProbeAnHour(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	h, channels := manyChannels(t, 100, c)
	queueMany(t, h.db, channels, 20)
	h.srv.Inject(func(r *http.Request) *discordtest.Fault {
		for _, ch := range channels {
			if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/channels/"+ch+"/messages") {
				return discordtest.MissingPermissions()
			}
		}
		return nil
	})
	ctx := context.Background()
	h.deliver(t, "every channel held", func() bool {
		for _, ch := range channels {
			if _, held, _ := h.db.ChannelHold(ctx, ch); !held {
				return false
			}
		}
		return true
	})
	// A while later, but within the hour: nothing more.
	c.Set(c.Now().Add(59 * time.Minute))
	h.runFor(1500 * time.Millisecond)
	first := 0
	for _, ch := range channels {
		n := postsTo(h.srv, ch)
		first += n
		if n != 1 {
			t.Errorf("channel %s: %d posts within the hour, want 1 (its 19 other alerts held)", ch, n)
		}
	}
	// Past the hour: one probe each, which still fails.
	c.Set(c.Now().Add(2 * time.Minute))
	h.deliver(t, "one probe per channel", func() bool {
		n := 0
		for _, ch := range channels {
			n += postsTo(h.srv, ch)
		}
		return n >= 2*len(channels)
	})
	h.runFor(500 * time.Millisecond)
	total := 0
	for _, ch := range channels {
		n := postsTo(h.srv, ch)
		total += n
		if n > 2 {
			t.Errorf("channel %s: %d posts after an hour, want at most 2", ch, n)
		}
	}
	if n, _ := h.db.PendingCount(ctx); n != 100*20 {
		t.Errorf("%d alerts pending, want all 2000 held, none lost", n)
	}
	t.Logf("100 channels × 20 alerts, all 403: %d posts in the first hour, %d with the probes; %d answers counted against the bot", first, total, h.bot.InvalidRequests())
}

func TestAProbeThatSucceedsResumesTheChannelInOrder(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	h, channels := manyChannels(t, 1, c)
	queueMany(t, h.db, channels, 3)
	remove := h.srv.Inject(func(r *http.Request) *discordtest.Fault {
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/channels/"+channels[0]+"/messages") {
			return discordtest.MissingAccess()
		}
		return nil
	})
	h.deliver(t, "the channel held", func() bool { _, held, _ := h.db.ChannelHold(context.Background(), channels[0]); return held })
	remove()
	c.Set(c.Now().Add(61 * time.Minute))
	h.deliver(t, "the held alerts", func() bool { return len(h.srv.Messages(channels[0])) == 3 })
	assertOrder(t, h.srv.Messages(channels[0]), "s000", "s001", "s002")
	subs, _ := h.db.Subscriptions(context.Background(), channels[0])
	if len(subs) != 1 || subs[0].Paused {
		t.Errorf("subscriptions after a successful probe = %+v; want resumed", subs)
	}
}

// assertOrder checks that a channel's messages are the stories in order.
func assertOrder(t *testing.T, msgs []discordtest.Message, want ...string) {
	t.Helper()
	var got []string
	for _, m := range msgs {
		if len(m.Embeds) > 0 {
			got = append(got, strings.TrimPrefix(m.Embeds[0].Title, "Story "))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("channel's alerts are %v, want %v", got, want)
	}
}

func TestAServerErrorHoldsTheAlertsBehindIt(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	h, channels := manyChannels(t, 1, c)
	queueMany(t, h.db, channels, 5)
	// The second alert gets a 500 (Discord did not store it).
	var posts atomic.Int32
	h.srv.Inject(func(r *http.Request) *discordtest.Fault {
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/channels/"+channels[0]+"/messages") && posts.Add(1) == 2 {
			return discordtest.ServerError(500)
		}
		return nil
	})
	h.deliver(t, "the first alert and the failure", func() bool { return postsTo(h.srv, channels[0]) >= 2 })
	if n := len(h.srv.Messages(channels[0])); n != 1 {
		t.Fatalf("%d messages after the 500, want only the first: the rest wait behind the failed one", n)
	}
	c.Set(c.Now().Add(time.Minute))
	h.deliver(t, "the rest", func() bool { return h.pending(t) == 0 })
	assertOrder(t, h.srv.Messages(channels[0]), "s000", "s001", "s002", "s003", "s004")
}

func TestALong429WaitsWithoutBlockingShutdown(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	h, channels := manyChannels(t, 1, c)
	queueMany(t, h.db, channels, 2)
	h.srv.FailNext("POST", "/channels/*/messages", 1, discordtest.TooManyRequests(45*time.Second, false))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.bot.Deliver(ctx) }()
	waitUntil(t, "the 429", func() bool { return postsTo(h.srv, channels[0]) == 1 })
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the worker did not stop within 3 s of its context ending during a 45 s retry_after")
	}
	t.Logf("stopped %v after cancel during a 45 s retry_after", time.Since(start).Round(time.Millisecond))
	if n, _ := h.db.PendingCount(context.Background()); n != 2 {
		t.Errorf("pending = %d, want both alerts kept", n)
	}
	// Once retry_after has passed, the channel's alerts go out.
	c.Set(c.Now().Add(46 * time.Second))
	h.deliver(t, "the alerts after the wait", func() bool { return h.pending(t) == 0 })
	assertOrder(t, h.srv.Messages(channels[0]), "s000", "s001")
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAMessageDiscordRefusesIsNotRetriedAndIsShownToAdmins(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	queue(t, h.db, "s1", alertsChan)
	queue(t, h.db, "s2", alertsChan)
	h.srv.FailNext("POST", "/channels/*/messages", 1, &discordtest.Fault{Status: http.StatusBadRequest, Code: discordtest.CodeInvalidFormBody, Message: "Invalid Form Body"})
	h.deliver(t, "the second alert", func() bool { return len(h.srv.Messages(alertsChan)) == 1 && h.pending(t) == 0 })
	h.runFor(300 * time.Millisecond)
	if n := postsTo(h.srv, alertsChan); n != 2 {
		t.Errorf("%d posts; the refused alert must not be retried", n)
	}
	list := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("list"))
	if !strings.Contains(list.Content, "refused 1 alert") || !strings.Contains(list.Content, "Invalid Form Body") {
		t.Errorf("/watch list does not say Discord refused an alert and why: %q", list.Content)
	}
}

func TestAnAlertAtEveryLimitFitsDiscordsEmbedTotal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	ctx := context.Background()
	feedURL := "https://wire.example/rss"
	h.db.UpsertFeed(ctx, alerts.Feed{URL: feedURL})
	sub, err := h.db.AddSubscription(ctx, alerts.Subscription{GuildID: guildID, ChannelID: alertsChan, Query: "x"}, adminID)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("word ", 2000)
	var countries []string
	for _, c := range []string{"PL", "LT", "LV", "EE", "FI", "SE", "NO", "DE", "FR", "GB", "UA", "RU", "BY", "MD", "RO", "BG", "TR", "GE", "AM", "AZ"} {
		countries = append(countries, c)
	}
	s := alerts.Story{ID: "big", FeedURL: feedURL, Source: strings.Repeat("Outlet ", 300), Title: long, Summary: long, URL: "https://wire.example/big",
		Published: time.Now(), FirstSeen: time.Now(), ClusterID: "c-big", Countries: countries, Mentions: countries}
	m := alerts.Match{StoryID: "big", FeedURL: feedURL, SubscriptionID: sub.ID, ChannelID: alertsChan, Terms: strings.Fields(strings.Repeat("term ", 400))}
	if _, err := h.db.SaveStories(ctx, feedURL, []alerts.Story{s}, []alerts.Match{m}); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, "the alert", func() bool { return len(h.srv.Messages(alertsChan)) == 1 })
}

func TestGuildDeleteStopsThatServersDeliveries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	queue(t, h.db, "s1", alertsChan)
	// An outage is not a removal.
	h.srv.Dispatch("GUILD_DELETE", map[string]any{"id": guildID, "unavailable": true})
	h.srv.Dispatch("GUILD_DELETE", map[string]any{"id": guildID})
	waitUntil(t, "the server's alerts dropped", func() bool { return h.pending(t) == 0 })
	h.runFor(300 * time.Millisecond)
	if n := postsTo(h.srv, alertsChan); n != 0 {
		t.Errorf("%d posts to a server that removed the bot", n)
	}
	subs, _ := h.db.Subscriptions(context.Background(), alertsChan)
	if len(subs) != 1 || !subs[0].Paused {
		t.Errorf("subscriptions = %+v, want paused", subs)
	}
}

func TestMentionRolesMustNotify(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	tests := []struct {
		name, role string
		want       string
		added      bool
	}{
		{"a mentionable role", roleID, "Watching", true},
		{"a role no one may mention", quietRoleID, "not mentionable", false},
		{"@everyone", guildID, "never mentions @everyone", false},
	}
	for _, tt := range tests {
		resp := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add",
			discordtest.StringOption("query", "drone "+tt.name), discordtest.RoleOption("mention", tt.role)))
		if !strings.Contains(resp.Content, tt.want) {
			t.Errorf("%s: reply %q lacks %q", tt.name, resp.Content, tt.want)
		}
	}
	subs, _ := h.db.Subscriptions(context.Background(), alertsChan)
	if len(subs) != 1 || subs[0].MentionRoleID != roleID {
		t.Errorf("subscriptions = %+v; want only the mentionable role's", subs)
	}
}

func TestSetupCommandsAgreeWithWhatDiscordEnforces(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	for _, c := range h.srv.Commands(guildID) {
		if c.Name == "recent" {
			continue
		}
		if c.DefaultMemberPermissions == nil || *c.DefaultMemberPermissions != discordgo.PermissionManageChannels {
			t.Errorf("/%s default_member_permissions = %v, want Manage Channels, which the handler requires", c.Name, c.DefaultMemberPermissions)
		}
	}
	if bot.InvitePermissions&discordgo.PermissionReadMessageHistory == 0 {
		t.Error("the invite lacks Read Message History, which finding an unconfirmed alert needs")
	}
}

func TestABriefingCutOffAfterItsFirstPartIsFinishedAsComposed(t *testing.T) {
	t.Parallel()
	clk := &clock{now: london(t, "2026-11-25 06:00")}
	results := make(briefingResults, 10)
	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	h := newHarness(t, dbPath, []discordtest.Option{discordtest.WithClock(clk.Now)}, withClock(clk), results.option(), fastPace)
	var reports []report
	for i := range 120 {
		reports = append(reports, report{feed: "https://wire.example/rss", id: fmt.Sprint("s", i), source: "Wire",
			title: fmt.Sprintf("Story %03d: officials confirm a developing security incident near the border, with more details expected later", i),
			event: fmt.Sprint("e", i)})
	}
	queueReports(t, h.db, alertsChan, reports...)
	h.setBriefing(t, "07:30", "Europe/London")
	// Part 1 goes through; part 2's answer is lost and every retry fails.
	var posts atomic.Int32
	remove := h.srv.Inject(func(r *http.Request) *discordtest.Fault {
		if r.Method != http.MethodPost || !strings.Contains(r.URL.Path, "/channels/"+alertsChan+"/messages") {
			return nil
		}
		switch n := posts.Add(1); {
		case n == 2:
			return discordtest.AcceptThenDrop()
		case n > 2:
			return discordtest.ServerError(503)
		}
		return nil
	})
	clk.Set(london(t, "2026-11-25 07:30"))
	stop := runBriefings(t, h.bot)
	results.await(t, bot.BriefingFailed)
	stop()
	remove()
	if n := len(h.srv.Messages(alertsChan)); n != 2 {
		t.Fatalf("%d messages after the failure, want parts 1 and 2", n)
	}
	// Newer stories arrive; the process restarts an hour later, when
	// Discord no longer remembers part 2's nonce.
	queueReports(t, h.db, alertsChan, report{feed: "https://wire.example/rss", id: "late", source: "Wire", title: "A later story", event: "late"})
	clk.Set(london(t, "2026-11-25 08:30"))
	h.reopen(t, dbPath, withClock(clk), results.option(), fastPace)
	runBriefings(t, h.bot)
	results.await(t, bot.BriefingSent)

	msgs := h.srv.Messages(alertsChan)
	var all strings.Builder
	footers := map[string]int{}
	for _, m := range msgs {
		all.WriteString(embedText(m))
		for _, e := range m.Embeds {
			if e.Footer != nil {
				footers[strings.SplitN(e.Footer.Text, " · ", 2)[0]]++
			}
		}
	}
	n := len(msgs)
	if n < 3 {
		t.Fatalf("%d messages; want a briefing of several parts", n)
	}
	for k := 1; k <= n; k++ {
		if part := fmt.Sprintf("Part %d of %d", k, n); footers[part] != 1 {
			t.Errorf("%q posted %d times, want once (footers: %v)", part, footers[part], footers)
		}
	}
	for i := range 120 {
		if line := fmt.Sprintf("Story %03d:", i); !strings.Contains(all.String(), line) {
			t.Errorf("%s is missing from the briefing", line)
		}
	}
	if strings.Contains(all.String(), "A later story") {
		t.Error("the resumed briefing was composed again: it holds a story that came after it was first sent")
	}
}

// granted is m as if a server admin had allowed them the setup commands
// under Integrations, so that the handler's own check is what refuses.
func granted(m discordtest.Member) discordtest.Member {
	m.Granted = true
	return m
}

func TestDiscordHidesSetupCommandsFromMembersWithoutManageChannels(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	manageServer := discordtest.Member{User: discordtest.User{ID: readerID, Username: "mod"}, Permissions: discordgo.PermissionManageServer}
	for _, name := range []string{"watch", "feeds", "briefing"} {
		if h.srv.CanUse(guildID, reader, name) || h.srv.CanUse(guildID, manageServer, name) {
			t.Errorf("/%s is offered to a member without Manage Channels", name)
		}
		if !h.srv.CanUse(guildID, admin, name) {
			t.Errorf("/%s is hidden from a member with Manage Channels", name)
		}
	}
	if !h.srv.CanUse(guildID, reader, "recent") {
		t.Error("/recent is hidden from members")
	}
	// Granted the command by an admin, a member without Manage Channels is
	// still refused by Vigil, in the same words as the README.
	resp := h.command(t, alertsChan, granted(manageServer), "watch", discordtest.Subcommand("list"))
	if !strings.Contains(resp.Content, "Manage Channels") {
		t.Errorf("reply %q does not name Manage Channels", resp.Content)
	}
}

func TestARevokedTokenStopsAllTrafficQuickly(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	rejected := make(chan struct{}, 1)
	h, channels := manyChannels(t, 50, c, func(cfg *bot.Config) { cfg.OnTokenRejected = func() { rejected <- struct{}{} } })
	queueMany(t, h.db, channels, 10)
	before := len(h.srv.Requests())
	h.srv.RevokeToken()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.bot.Deliver(ctx) }()
	select {
	case <-rejected:
	case <-time.After(10 * time.Second):
		t.Fatal("the bot never noticed its token was revoked")
	}
	time.Sleep(2 * time.Second)
	cancel()
	<-done
	after := len(h.srv.Requests()) - before
	if after > 20 {
		t.Errorf("%d requests after the token was revoked, want at most 20", after)
	}
	if !h.bot.TokenRejected() {
		t.Error("TokenRejected is false")
	}
	if n, _ := h.db.PendingCount(context.Background()); n != 500 {
		t.Errorf("pending = %d, want all 500 alerts kept for the new token", n)
	}
	t.Logf("revoked token: %d requests in total before delivery stopped", after)
}

func TestTheBotCountsInvalidRequestsAsDiscordDoes(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	h, channels := manyChannels(t, 1, c)
	queueMany(t, h.db, channels, 1)
	h.srv.FailNext("POST", "/channels/*/messages", 1, discordtest.MissingPermissions())
	h.deliver(t, "the 403", func() bool { return h.srv.InvalidRequests() == 1 })
	if h.srv.Banned() {
		t.Error("banned after one invalid request")
	}
	if got := h.bot.InvalidRequests(); got != 1 {
		t.Errorf("the bot counted %d invalid requests, want 1", got)
	}
}

func TestSetupRefusesChannelsVigilCannotPostIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	const threadID = "910000000000000020"
	h.srv.AddChannel(&discordgo.Channel{ID: threadID, GuildID: guildID, ParentID: alertsChan, Name: "a thread", Type: discordgo.ChannelTypeGuildPublicThread})
	h.srv.SetChannelOverwrites(otherChan, []*discordgo.PermissionOverwrite{{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionEmbedLinks}})
	tests := []struct {
		name, channel string
		cmd           string
		sub           *discordtest.CommandOption
		want          string
	}{
		{"watch in a channel without Embed Links", otherChan, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", "drone")), "lacks Embed Links"},
		{"briefing in a channel without Embed Links", otherChan, "briefing", discordtest.Subcommand("set", discordtest.StringOption("time", "07:30"), discordtest.StringOption("timezone", "UTC")), "lacks Embed Links"},
		{"watch in a thread", threadID, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", "drone")), "not in threads"},
	}
	for _, tt := range tests {
		resp := h.command(t, tt.channel, admin, tt.cmd, tt.sub)
		if !strings.Contains(resp.Content, tt.want) {
			t.Errorf("%s: reply %q lacks %q", tt.name, resp.Content, tt.want)
		}
	}
	for _, ch := range []string{otherChan, threadID} {
		if subs, _ := h.db.Subscriptions(context.Background(), ch); len(subs) != 0 {
			t.Errorf("channel %s got subscriptions %+v", ch, subs)
		}
	}
}

func TestAfterAnOutageEveryChannelDrainsAtOnce(t *testing.T) {
	t.Parallel()
	// The bot's clock stands still: a channel waiting out its own back-off
	// would wait for ever; only the end of the outage releases it.
	c := &clock{now: time.Now()}
	h, channels := manyChannels(t, 3, c)
	queueMany(t, h.db, channels, 4)
	h.srv.SetOutage(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.bot.Deliver(ctx) }()
	defer func() { cancel(); <-done }()
	waitUntil(t, "delivery to notice the outage", func() bool { return h.bot.Connection().DeliveryHeld })
	time.Sleep(2 * time.Second)
	if n := h.pending(t); n != 12 {
		t.Fatalf("%d alerts pending during the outage, want all 12", n)
	}
	h.srv.SetOutage(false)
	back := time.Now()
	waitUntil(t, "every channel's alerts after Discord came back", func() bool { return h.pending(t) == 0 })
	t.Logf("12 alerts in 3 channels sent %v after Discord came back", time.Since(back).Round(time.Millisecond))
	if h.bot.Connection().DeliveryHeld {
		t.Error("delivery still held after Discord answered")
	}
	for _, ch := range channels {
		if n := len(h.srv.Messages(ch)); n != 4 {
			t.Errorf("channel %s got %d messages, want 4", ch, n)
		}
	}
}
