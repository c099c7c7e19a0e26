package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/geo"
	"github.com/vigilbot/vigil/alerts/match"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/alerts/poll"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

const (
	guildID    = "910000000000000001"
	alertsChan = "910000000000000010"
	otherChan  = "910000000000000011"
	adminID    = "910000000000000100"
	readerID   = "910000000000000101"
	roleID     = "910000000000000002"
	// quietRoleID is a role nobody may mention.
	quietRoleID = "910000000000000003"
	// everyonePermissions is what a new server's @everyone may do in
	// channels, as far as the bot cares.
	everyonePermissions = discordgo.PermissionViewChannel | discordgo.PermissionSendMessages |
		discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory
)

var (
	admin  = discordtest.Member{User: discordtest.User{ID: adminID, Username: "admin"}, Permissions: discordgo.PermissionManageChannels}
	reader = discordtest.Member{User: discordtest.User{ID: readerID, Username: "reader"}, Permissions: discordgo.PermissionSendMessages}
	quiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
)

var (
	taggerOnce sync.Once
	tagger     *geo.Tagger
)

func places(t testing.TB) *geo.Tagger {
	taggerOnce.Do(func() {
		var err error
		if tagger, err = geo.New(); err != nil {
			t.Fatal(err)
		}
	})
	return tagger
}

// harness is a fake Discord, a database and a connected bot.
type harness struct {
	srv     *discordtest.Server
	db      *storage.DB
	bot     *bot.Bot
	changed chan struct{}
	now     func() time.Time
}

type harnessOption func(*bot.Config)

func newHarness(t *testing.T, dbPath string, srvOpts []discordtest.Option, opts ...harnessOption) *harness {
	t.Helper()
	guild := &discordgo.Guild{ID: guildID, Name: "Security Desk", Channels: []*discordgo.Channel{
		{ID: alertsChan, GuildID: guildID, Name: "alerts", Type: discordgo.ChannelTypeGuildText},
		{ID: otherChan, GuildID: guildID, Name: "other", Type: discordgo.ChannelTypeGuildText},
	}, Roles: []*discordgo.Role{
		// Discord's @everyone role has the guild's ID.
		{ID: guildID, Name: "@everyone", Permissions: everyonePermissions},
		{ID: roleID, Name: "analysts", Mentionable: true},
		{ID: quietRoleID, Name: "quiet", Mentionable: false},
	}, Members: []*discordgo.Member{
		{GuildID: guildID, User: &discordgo.User{ID: adminID, Username: "admin"}},
		{GuildID: guildID, User: &discordgo.User{ID: readerID, Username: "reader"}},
	}}
	var srv *discordtest.Server
	if srvOpts == nil {
		srv = discordtest.NewServer(t, discordtest.WithGuild(guild))
	} else {
		srv = discordtest.NewServer(t, append([]discordtest.Option{discordtest.WithGuild(guild)}, srvOpts...)...)
	}
	if dbPath == "" {
		dbPath = filepath.Join(t.TempDir(), "vigil.db")
	}
	h := &harness{srv: srv, changed: make(chan struct{}, 100)}
	h.open(t, dbPath, opts...)
	return h
}

// open opens the database at dbPath and a bot on it, configured as the
// tests' server admin would, then changed by opts.
func (h *harness) open(t *testing.T, dbPath string, opts ...harnessOption) {
	t.Helper()
	cfg := bot.Config{
		Token:           strings.TrimPrefix(h.srv.Token(), "Bot "),
		GuildID:         guildID,
		Places:          places(t),
		ValidateFeedURL: feed.ValidateURL,
		Changed:         func() { h.changed <- struct{}{} },
		HTTPClient:      h.srv.HTTPClient(),
		Logger:          quiet,
		Now:             time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	// The store keeps the bot's time, so that what it records (when an
	// alert was queued) agrees with a test's clock.
	db, err := storage.Open(context.Background(), dbPath, storage.WithClock(cfg.Now), storage.WithLimits(alerts.DefaultLimits))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h.db, h.now, cfg.Store = db, cfg.Now, db
	h.bot = connect(t, cfg)
}

// connect opens a bot, closed when the test ends.
func connect(t *testing.T, cfg bot.Config) *bot.Bot {
	t.Helper()
	b, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Open(ctx); err != nil {
		t.Fatal(err)
	}
	// Registered after the server's cleanup, so it runs first: the session
	// must close before the server or discordgo's reconnect loop stalls.
	t.Cleanup(func() { b.Close() })
	return b
}

// deliver runs the delivery worker until cond holds, then stops it. cond
// may read the database, so it is polled rather than waited on.
func (h *harness) deliver(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.bot.Deliver(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}

func (h *harness) pending(t *testing.T) int {
	t.Helper()
	n, err := h.db.PendingCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// command runs a slash command and returns the bot's reply.
func (h *harness) command(t *testing.T, channel string, m discordtest.Member, name string, opts ...*discordtest.CommandOption) *discordtest.InteractionResponse {
	t.Helper()
	i := h.srv.SlashCommand(guildID, channel, m, name, opts...)
	return h.awaitReply(t, i.ID)
}

func (h *harness) awaitReply(t *testing.T, id string) *discordtest.InteractionResponse {
	t.Helper()
	// Deferred answers may take a search's time after the deferral,
	// which -race slows.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var rec discordtest.InteractionRecord
	err := h.srv.WaitFor(ctx, func() bool {
		var ok bool
		rec, ok = h.srv.Interaction(id)
		if !ok || rec.Response == nil {
			return false
		}
		// A deferred reply is answered when its "thinking" message is
		// edited into the real one.
		return rec.Response.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource ||
			rec.Original != nil && rec.Original.Flags&discordgo.MessageFlagsLoading == 0
	})
	if err != nil {
		t.Fatalf("no reply to interaction %s: %v", id, err)
	}
	if rec.Response.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource {
		return &discordtest.InteractionResponse{Type: rec.Response.Type, Content: rec.Original.Content,
			Embeds: rec.Original.Embeds, Flags: rec.Original.Flags}
	}
	return rec.Response
}

func TestReadyRegistersTheSlashCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	var names []string
	for _, c := range h.srv.Commands(guildID) {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "watch,feeds,briefing,recent" {
		t.Errorf("registered commands = %s", got)
	}
	if puts := h.srv.RequestsTo("PUT", "/applications/*/guilds/*/commands"); len(puts) != 1 {
		t.Errorf("%d bulk overwrites, want one", len(puts))
	}
}

func TestWatchCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	ctx := context.Background()
	tests := []struct {
		name      string
		member    discordtest.Member
		opts      []*discordtest.CommandOption
		wantReply []string
		wantSubs  int
	}{
		{"a member without Manage Channels is refused", granted(reader),
			[]*discordtest.CommandOption{discordtest.Subcommand("add", discordtest.StringOption("query", "NATO"))},
			[]string{"Manage Channels"}, 0},
		{"a bad query says where and what", admin,
			[]*discordtest.CommandOption{discordtest.Subcommand("add", discordtest.StringOption("query", `(NATO OR "Baltic`))},
			[]string{"doesn't work", "column"}, 0},
		{"an unknown region suggests names", admin,
			[]*discordtest.CommandOption{discordtest.Subcommand("add", discordtest.StringOption("region", "Baltic staets"))},
			[]string{`I don't know the place "Baltic staets"`, "baltic-states"}, 0},
		{"nothing to watch is explained", admin,
			[]*discordtest.CommandOption{discordtest.Subcommand("add")},
			[]string{"Give a `query`"}, 0},
		{"a scope other than focus or mentions is refused", admin,
			[]*discordtest.CommandOption{discordtest.Subcommand("add", discordtest.StringOption("region", "RU"), discordtest.StringOption("scope", "everything"))},
			[]string{"`scope`", "focus", "mentions"}, 0},
		{"an admin's subscription is stored", admin,
			[]*discordtest.CommandOption{discordtest.Subcommand("add", discordtest.StringOption("query", "troops OR drone"), discordtest.StringOption("region", "Baltic states, PL"))},
			[]string{"Watching", "troops OR drone", "Baltic", "Poland"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.command(t, alertsChan, tt.member, "watch", tt.opts...)
			if resp.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Error("reply is not ephemeral")
			}
			for _, w := range tt.wantReply {
				if !strings.Contains(resp.Content, w) {
					t.Errorf("reply %q lacks %q", resp.Content, w)
				}
			}
			subs, err := h.db.Subscriptions(ctx, alertsChan)
			if err != nil {
				t.Fatal(err)
			}
			if len(subs) != tt.wantSubs {
				t.Errorf("%d subscriptions stored, want %d", len(subs), tt.wantSubs)
			}
		})
	}
	subs, _ := h.db.Subscriptions(ctx, alertsChan)
	if len(subs) == 1 && strings.Join(subs[0].Regions, ",") != "baltic-states,PL" {
		t.Errorf("stored regions = %v", subs[0].Regions)
	}

	list := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("list"))
	if !strings.Contains(list.Content, fmt.Sprintf("**%d**", subs[0].ID)) {
		t.Errorf("/watch list = %q", list.Content)
	}
	// Removing from another channel must not touch this channel's.
	other := h.command(t, otherChan, admin, "watch", discordtest.Subcommand("remove", discordtest.IntegerOption("id", subs[0].ID)))
	if !strings.Contains(other.Content, "no subscription") {
		t.Errorf("remove from another channel: %q", other.Content)
	}
	removed := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("remove", discordtest.IntegerOption("id", subs[0].ID)))
	if !strings.Contains(removed.Content, "Removed subscription") {
		t.Errorf("remove: %q", removed.Content)
	}

	dm := h.srv.DMSlashCommand(discordtest.User{ID: adminID, Username: "admin"}, "watch", discordtest.Subcommand("list"))
	if resp := h.awaitReply(t, dm.ID); !strings.Contains(resp.Content, "server channels") {
		t.Errorf("DM reply = %q", resp.Content)
	}
}

func TestARegionMatchesWhatAStoryIsAboutUnlessTheScopeIsMentions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	ctx := context.Background()
	focus := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("region", "Russia")))
	mentions := h.command(t, otherChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("region", "Russia"), discordtest.StringOption("scope", "mentions")))
	if !strings.Contains(focus.Content, "about") || !strings.Contains(mentions.Content, "any mention") {
		t.Errorf("replies do not say the scope: %q, %q", focus.Content, mentions.Content)
	}
	subs, _ := h.db.Subscriptions(ctx, otherChan)
	if len(subs) != 1 || subs[0].Scope != alerts.ScopeMentions {
		t.Fatalf("stored %+v, want one subscription with scope mentions", subs)
	}

	wire, poll := h.wire(t)
	poll()
	wire.add(item("ransom", "Ransomware attack forces German hospital group to divert ambulances",
		"A ransomware attack on a hospital group in Germany forced its clinics in Berlin and Hamburg to divert ambulances on Tuesday. Investigators blamed a known Russian-speaking gang."))
	poll()
	h.deliver(t, "the alert", func() bool { return len(h.srv.Messages(otherChan)) == 1 && h.pending(t) == 0 })
	if n := len(h.srv.Messages(alertsChan)); n != 0 {
		t.Errorf("the channel watching stories about Russia got %d messages for a German story", n)
	}
	e := h.srv.Messages(otherChan)[0].Embeds[0]
	if !strings.Contains(e.Fields[0].Value, "Germany") || !strings.Contains(e.Fields[0].Value, "also mentions Russia") {
		t.Errorf("places field = %q, want Germany first and Russia as a mention", e.Fields[0].Value)
	}
}

func TestFeedsCommandsRefusePrivateAddressesAndNeverFetch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil, func(c *bot.Config) {
		c.ValidateFeedURL = func(u string) error {
			if err := feed.ValidateURL(u); err != nil {
				return err
			}
			if strings.Contains(u, "127.0.0.1") {
				return fmt.Errorf("127.0.0.1 is not a public address; feeds must be public")
			}
			return nil
		}
	})
	resp := h.command(t, alertsChan, admin, "feeds", discordtest.Subcommand("add", discordtest.StringOption("url", "ftp://example.org/rss")))
	if !strings.Contains(resp.Content, "can't poll") || !strings.Contains(resp.Content, "http") {
		t.Errorf("bad scheme reply = %q", resp.Content)
	}
	resp = h.command(t, alertsChan, admin, "feeds", discordtest.Subcommand("add", discordtest.StringOption("url", "http://127.0.0.1:8080/rss")))
	if !strings.Contains(resp.Content, "not a public address") {
		t.Errorf("loopback reply = %q", resp.Content)
	}
	resp = h.command(t, alertsChan, admin, "feeds", discordtest.Subcommand("add", discordtest.StringOption("url", "https://news.example.org/rss")))
	if !strings.Contains(resp.Content, "Added") {
		t.Errorf("add reply = %q", resp.Content)
	}
	feeds, _ := h.db.Feeds(context.Background())
	if len(feeds) != 1 || !feeds[0].OwnedBy(guildID) || feeds[0].OwnedBy(alerts.Operator) {
		t.Errorf("feeds = %+v", feeds)
	}
	resp = h.command(t, alertsChan, admin, "feeds", discordtest.Subcommand("list"))
	if !strings.Contains(resp.Content, "news.example.org") || !strings.Contains(resp.Content, "not polled yet") {
		t.Errorf("list reply = %q", resp.Content)
	}
}

// pipelineFor wires a poller as vigil run does: the real fetcher (allowed
// to reach loopback), pipeline, match index over stored subscriptions.
func pipelineFor(t *testing.T, db *storage.DB) *poll.Poller {
	t.Helper()
	subs, err := db.Subscriptions(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := match.NewIndex(subs)
	if err != nil {
		t.Fatal(err)
	}
	tg := places(t)
	pipe := pipeline.New(pipeline.Config{Store: db, Logger: quiet, Stages: pipeline.Stages{
		Tag: func(title, text string) alerts.Places {
			tags := tg.Tag(title, text)
			return alerts.Places{Countries: tags.Countries, Regions: tags.Regions, Mentions: tags.Mentions, MentionRegions: tags.MentionRegions}
		},
		Match: ix.AppendMatchesSeenBy,
	}})
	return poll.New(poll.Config{Fetcher: feed.NewFetcher(feed.Options{AllowPrivate: true, Logger: quiet}), Store: db, Processor: pipe, Logger: quiet})
}

type feedServer struct {
	mu    sync.Mutex
	items []string
}

func (f *feedServer) add(item string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, item)
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback Wire</title>`)
	for _, it := range f.items {
		fmt.Fprint(w, it)
	}
	fmt.Fprint(w, `</channel></rss>`)
}

func item(guid, title, desc string) string {
	return fmt.Sprintf(`<item><guid>%s</guid><title>%s</title><link>https://wire.example/%s</link><description>%s</description><pubDate>Wed, 25 Nov 2026 06:00:00 GMT</pubDate></item>`, guid, title, guid, desc)
}

func TestANewStoryReachesTheRightChannelOnceWithNoMentions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("region", "baltic-states")))
	h.command(t, otherChan, admin, "watch", discordtest.Subcommand("add", discordtest.StringOption("query", "Sahel")))

	wire, poll := h.wire(t)
	wire.add(item("old", "Old story from Riga", "Already there when the feed was added."))
	poll()
	// A feed's text tries to ping everyone and a role, and to use markdown.
	wire.add(item("new", "NATO moves troops to the Baltic states @everyone", "Extra U.S. troops will reinforce Estonia, Latvia and Lithuania. &lt;@&amp;"+roleID+"&gt; **urgent**"))
	poll()

	h.deliver(t, "the alert", func() bool { return len(h.srv.Messages(alertsChan)) == 1 && h.pending(t) == 0 })
	msgs := h.srv.Messages(alertsChan)
	if len(msgs) != 1 || len(h.srv.Messages(otherChan)) != 0 {
		t.Fatalf("messages: %d in the watching channel, %d in the other; want 1 and 0", len(msgs), len(h.srv.Messages(otherChan)))
	}
	m := msgs[0]
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 || len(m.AllowedMentions.Roles) != 0 {
		t.Errorf("allowed_mentions = %+v; want parse [] and no roles", m.AllowedMentions)
	}
	if m.Pinged.Everyone || len(m.Pinged.Roles) > 0 || len(m.Pinged.Users) > 0 {
		t.Errorf("the message pinged %+v", m.Pinged)
	}
	if m.Nonce == "" {
		t.Error("message sent without a nonce")
	}
	if len(m.Embeds) != 1 || !strings.HasPrefix(m.Embeds[0].Title, "NATO moves troops") || m.Embeds[0].URL != "https://wire.example/new" {
		t.Fatalf("embed = %+v", m.Embeds)
	}
	e := m.Embeds[0]
	if strings.Contains(e.Description, "**urgent**") || !strings.Contains(e.Description, `\*\*urgent\*\*`) {
		t.Errorf("markdown not escaped: %q", e.Description)
	}
	if !strings.Contains(e.Fields[0].Value, "Estonia") {
		t.Errorf("places field = %q", e.Fields[0].Value)
	}
	posts := h.srv.RequestsTo("POST", "/channels/*/messages")
	if len(posts) != 1 {
		t.Errorf("%d message POSTs, want 1", len(posts))
	}
	var body map[string]any
	posts[0].Decode(&body)
	am, _ := body["allowed_mentions"].(map[string]any)
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
		t.Errorf("allowed_mentions in the request = %v; want parse: []", body["allowed_mentions"])
	}
	if body["enforce_nonce"] != true {
		t.Errorf("enforce_nonce = %v", body["enforce_nonce"])
	}
}

// wire serves a feed on loopback that the harness's database knows, and
// returns it with a function that polls it through the real pipeline.
func (h *harness) wire(t *testing.T) (*feedServer, func()) {
	t.Helper()
	ctx := context.Background()
	wire := &feedServer{}
	srv := httptest.NewServer(wire)
	t.Cleanup(srv.Close)
	if err := h.db.UpsertFeed(ctx, alerts.Feed{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	poller := pipelineFor(t, h.db)
	return wire, func() {
		t.Helper()
		f, err := h.db.Feed(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := poller.Poll(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
}

// queue stores a story matched for each channel, as the pipeline would.
func queue(t *testing.T, db *storage.DB, id string, channels ...string) {
	t.Helper()
	ctx := context.Background()
	feedURL := "https://wire.example/rss"
	db.UpsertFeed(ctx, alerts.Feed{URL: feedURL})
	subs, _ := db.Subscriptions(ctx, "")
	var matches []alerts.Match
	for _, ch := range channels {
		var subID int64
		for _, s := range subs {
			if s.ChannelID == ch {
				subID = s.ID
			}
		}
		if subID == 0 {
			s, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: guildID, ChannelID: ch, Query: "x"}, adminID)
			if err != nil {
				t.Fatal(err)
			}
			subID = s.ID
		}
		matches = append(matches, alerts.Match{StoryID: id, FeedURL: feedURL, SubscriptionID: subID, ChannelID: ch})
	}
	story := alerts.Story{ID: id, FeedURL: feedURL, Source: "Wire", Title: "Story " + id, URL: "https://wire.example/" + id, Published: time.Now(), FirstSeen: time.Now(), ClusterID: "c-" + id}
	if _, err := db.SaveStories(ctx, feedURL, []alerts.Story{story}, matches); err != nil {
		t.Fatal(err)
	}
}

func TestA429ThenSuccessPostsOneMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	queue(t, h.db, "s1", alertsChan)
	h.srv.FailNext("POST", "/channels/*/messages", 1, discordtest.TooManyRequests(200*time.Millisecond, false))
	h.deliver(t, "the message", func() bool { return len(h.srv.Messages(alertsChan)) == 1 && h.pending(t) == 0 })
	if n, _ := h.db.PendingCount(context.Background()); n != 0 {
		t.Errorf("%d deliveries still pending", n)
	}
	if got := len(h.srv.RequestsTo("POST", "/channels/*/messages")); got != 2 {
		t.Errorf("%d POSTs, want the refused one and one retry", got)
	}
	if got := len(h.srv.Messages(alertsChan)); got != 1 {
		t.Errorf("%d messages, want 1", got)
	}
}

func TestACrashAfterDiscordAcceptedNeitherDoublePostsNorLosesTheAlert(t *testing.T) {
	t.Parallel()
	for _, later := range []time.Duration{30 * time.Second, time.Hour} {
		t.Run("restart after "+later.String(), func(t *testing.T) {
			t.Parallel()
			// One clock for the bot and the fake: Discord forgets nonces
			// after a few minutes of its own time, not of Vigil's.
			c := &clock{now: time.Now()}
			dbPath := filepath.Join(t.TempDir(), "vigil.db")
			h := newHarness(t, dbPath, []discordtest.Option{discordtest.WithClock(c.Now)}, withClock(c))
			queue(t, h.db, "s1", alertsChan)
			// Discord creates the message but the answer never arrives, as
			// if the process died before marking the row.
			h.srv.FailNext("POST", "/channels/*/messages", 1, discordtest.AcceptThenDrop())
			h.deliver(t, "the dropped attempt to be recorded", func() bool {
				return len(h.srv.RequestsTo("POST", "/channels/*/messages")) == 1 && !h.pendingOnly(t).AttemptedAt.IsZero()
			})
			if n, _ := h.db.PendingCount(context.Background()); n != 1 {
				t.Fatalf("pending = %d; the alert must stay queued until Discord's answer is seen", n)
			}

			// Restart: a new bot on the same database, later.
			h.bot.Close()
			h.db.Close()
			c.Set(c.Now().Add(later))
			h.open(t, dbPath, withClock(c))
			h.deliver(t, "the retry", func() bool { return h.pending(t) == 0 })
			if got := len(h.srv.Messages(alertsChan)); got != 1 {
				t.Errorf("%d messages in the channel, want exactly 1", got)
			}
			searched := len(h.srv.RequestsTo("GET", "/channels/*/messages"))
			if later > 5*time.Minute && searched == 0 {
				t.Error("past the nonce window the channel was not searched before sending again")
			}
			if later < time.Minute && searched != 0 {
				t.Errorf("within the nonce window the channel was searched %d times; the nonce suffices", searched)
			}
		})
	}
}

// pendingOnly is the one pending delivery.
func (h *harness) pendingOnly(t *testing.T) alerts.Delivery {
	t.Helper()
	ds, err := h.db.PendingDeliveries(context.Background(), time.Now().Add(24*time.Hour), 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("pending deliveries: %d, %v; want 1", len(ds), err)
	}
	return ds[0]
}

func TestAForbiddenChannelIsPausedAndOthersStillDelivered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	queue(t, h.db, "s1", alertsChan, otherChan)
	queue(t, h.db, "s2", alertsChan, otherChan)
	h.srv.Inject(func(r *http.Request) *discordtest.Fault {
		if r.Method == "POST" && strings.Contains(r.URL.Path, "/channels/"+alertsChan+"/") {
			return discordtest.MissingPermissions()
		}
		return nil
	})
	h.deliver(t, "the other channel's alerts and the pause", func() bool {
		subs, _ := h.db.Subscriptions(context.Background(), alertsChan)
		return len(h.srv.Messages(otherChan)) == 2 && len(subs) == 1 && subs[0].Paused
	})
	subs, _ := h.db.Subscriptions(context.Background(), alertsChan)
	if len(subs) != 1 || !subs[0].Paused {
		t.Errorf("forbidding channel's subscriptions = %+v; want paused", subs)
	}
	if n, _ := h.db.PendingCount(context.Background()); n != 2 {
		t.Errorf("pending = %d; the forbidden channel's 2 alerts must wait, not be lost", n)
	}
	list := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand("list"))
	if !strings.Contains(list.Content, "paused") {
		t.Errorf("/watch list does not show the pause: %q", list.Content)
	}
	// The member who set the channel up is told once, by direct message.
	dms := h.srv.RequestsTo("POST", "/users/@me/channels")
	if len(dms) != 1 {
		t.Fatalf("%d DM channels opened, want 1", len(dms))
	}
	var open struct {
		RecipientID string `json:"recipient_id"`
	}
	dms[0].Decode(&open)
	if open.RecipientID != adminID {
		t.Errorf("DM to %q, want the subscription's creator %q", open.RecipientID, adminID)
	}
	var told bool
	for _, r := range h.srv.RequestsTo("POST", "/channels/*/messages") {
		if !strings.Contains(r.Path, alertsChan) && !strings.Contains(r.Path, otherChan) && strings.Contains(string(r.Body), "/watch resume") {
			told = true
		}
	}
	if !told {
		t.Error("no direct message telling the admin how to resume")
	}
}

// The target: against Discord's limits (50 requests/s globally, 5
// per 5 s per channel), 500 alerts across 100 channels go out at ≥ 45
// requests/s with no 429.
func BenchmarkDeliver500AlertsAcross100Channels(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		h := newBenchHarness(b)
		b.StartTimer()
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); h.bot.Deliver(ctx) }()
		wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := h.srv.WaitFor(wctx, func() bool { return len(h.srv.RequestsTo("POST", "/channels/*/messages")) >= 500 })
		wcancel()
		elapsed := time.Since(start)
		cancel()
		<-done
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(500/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(h.srv.RateLimited()), "429s")
		if h.srv.RateLimited() > 0 {
			b.Errorf("%d requests were rate limited", h.srv.RateLimited())
		}
	}
}

func newBenchHarness(b *testing.B) *harness {
	b.Helper()
	var channels []*discordgo.Channel
	for i := range 100 {
		channels = append(channels, &discordgo.Channel{ID: fmt.Sprintf("92%016d", i), GuildID: guildID, Name: fmt.Sprintf("c%d", i), Type: discordgo.ChannelTypeGuildText})
	}
	srv := discordtest.NewServer(b, discordtest.WithGuild(&discordgo.Guild{ID: guildID, Name: "Bench", Channels: channels}), discordtest.WithRateLimit(discordtest.DiscordRateLimits()))
	db, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "v.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := context.Background()
	feedURL := "https://wire.example/rss"
	db.UpsertFeed(ctx, alerts.Feed{URL: feedURL})
	var subs []alerts.Subscription
	for _, c := range channels {
		s, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: guildID, ChannelID: c.ID, Query: "x"}, adminID)
		if err != nil {
			b.Fatal(err)
		}
		subs = append(subs, s)
	}
	for i := range 5 {
		var stories []alerts.Story
		var matches []alerts.Match
		for j := range 100 {
			id := fmt.Sprintf("s%d-%d", i, j)
			stories = append(stories, alerts.Story{ID: id, FeedURL: feedURL, Title: "Story " + id, Published: time.Now(), FirstSeen: time.Now(), ClusterID: "c-" + id})
			matches = append(matches, alerts.Match{StoryID: id, FeedURL: feedURL, SubscriptionID: subs[j].ID, ChannelID: subs[j].ChannelID})
		}
		if _, err := db.SaveStories(ctx, feedURL, stories, matches); err != nil {
			b.Fatal(err)
		}
	}
	bt, err := bot.New(bot.Config{Token: strings.TrimPrefix(srv.Token(), "Bot "), GuildID: guildID, Store: db, Places: places(b),
		ValidateFeedURL: feed.ValidateURL, HTTPClient: srv.HTTPClient(), Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bt.Open(octx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bt.Close() })
	return &harness{srv: srv, db: db, bot: bt}
}

func TestASecondOutletEditsTheAlertInsteadOfPostingAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	ctx := context.Background()
	queue(t, h.db, "s1", alertsChan)
	h.deliver(t, "the first alert", func() bool { return len(h.srv.Messages(alertsChan)) == 1 && h.pending(t) == 0 })

	subs, _ := h.db.Subscriptions(ctx, alertsChan)
	other := alerts.Story{ID: "o1", FeedURL: "https://other.example/rss", Source: "Other Wire", Title: "Same event, other words",
		Published: time.Now(), FirstSeen: time.Now(), ClusterID: "c-s1"}
	h.db.UpsertFeed(ctx, alerts.Feed{URL: other.FeedURL})
	if _, err := h.db.SaveStories(ctx, other.FeedURL, []alerts.Story{other},
		[]alerts.Match{{StoryID: "o1", FeedURL: other.FeedURL, SubscriptionID: subs[0].ID, ChannelID: alertsChan}}); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, "the edit", func() bool {
		edits, _ := h.db.PendingEdits(ctx, 10)
		return len(h.srv.RequestsTo("PATCH", "/channels/*/messages/*")) == 1 && len(edits) == 0
	})
	msgs := h.srv.Messages(alertsChan)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want the one alert", len(msgs))
	}
	var also string
	for _, f := range msgs[0].Embeds[0].Fields {
		if f.Name == "Also reported by" {
			also = f.Value
		}
	}
	if also != "Other Wire" || msgs[0].EditedTimestamp.IsZero() {
		t.Errorf("edited alert: also reported by %q, edited %v", also, msgs[0].EditedTimestamp)
	}
}
