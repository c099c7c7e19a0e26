package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

// clock is a settable time shared by the bot and its store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func withClock(c *clock) harnessOption { return func(cfg *bot.Config) { cfg.Now = c.Now } }

// briefingResults collects Config.OnBriefing outcomes.
type briefingResults chan string

func (r briefingResults) option() harnessOption {
	return func(cfg *bot.Config) { cfg.OnBriefing = func(result string) { r <- result } }
}

func (r briefingResults) await(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-r:
		if got != want {
			t.Fatalf("briefing outcome = %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no briefing outcome; want %q", want)
	}
}

// runBriefings runs the bot's briefing scheduler until the test ends or
// the returned stop is called.
func runBriefings(t *testing.T, b *bot.Bot) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.RunBriefings(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// reopen is a restart: the bot and store closed, a new bot on the same
// database and fake Discord.
func (h *harness) reopen(t *testing.T, dbPath string, opts ...harnessOption) {
	t.Helper()
	h.bot.Close()
	h.db.Close()
	h.open(t, dbPath, opts...)
}

// setBriefing runs /briefing set as an admin of the alerts channel.
func (h *harness) setBriefing(t *testing.T, at, zone string, more ...*discordtest.CommandOption) *discordtest.InteractionResponse {
	t.Helper()
	opts := append([]*discordtest.CommandOption{discordtest.StringOption("time", at), discordtest.StringOption("timezone", zone)}, more...)
	return h.command(t, alertsChan, admin, "briefing", discordtest.Subcommand("set", opts...))
}

// report is one outlet's report of an event.
type report struct {
	feed, id, source, title, event string
	countries, regions             []string
}

// queueReports stores reports as the pipeline does, each matched for channel by
// one subscription, so that the channel's outbox holds their events.
func queueReports(t *testing.T, db *storage.DB, channel string, reports ...report) {
	t.Helper()
	ctx := context.Background()
	sub, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: guildID, ChannelID: channel, Query: "x"}, adminID)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range reports {
		if err := db.UpsertFeed(ctx, alerts.Feed{URL: r.feed}); err != nil {
			t.Fatal(err)
		}
		// Reports come a second apart, in order: the first of an event
		// is the one whose headline the briefing shows.
		at := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
		s := alerts.Story{ID: r.id, FeedURL: r.feed, Source: r.source, Title: r.title, URL: "https://news.example/" + r.id,
			Published: at, FirstSeen: at, ClusterID: r.event, Countries: r.countries, Regions: r.regions,
			Summary: r.title + ". More follows."}
		m := alerts.Match{StoryID: r.id, FeedURL: r.feed, SubscriptionID: sub.ID, ChannelID: channel}
		if _, err := db.SaveStories(ctx, r.feed, []alerts.Story{s}, []alerts.Match{m}); err != nil {
			t.Fatal(err)
		}
	}
}

func embedText(m discordtest.Message) string {
	var sb strings.Builder
	for _, e := range m.Embeds {
		sb.WriteString(e.Title + "\n" + e.Description + "\n")
	}
	return sb.String()
}

// london parses a wall-clock time in Europe/London.
func london(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestBriefingCommands(t *testing.T) {
	t.Parallel()
	clk := &clock{now: london(t, "2026-11-25 10:00")}
	h := newHarness(t, "", nil, withClock(clk))
	ctx := context.Background()
	set := func(opts ...*discordtest.CommandOption) *discordtest.CommandOption {
		return discordtest.Subcommand("set", opts...)
	}
	str := discordtest.StringOption
	tests := []struct {
		name      string
		member    discordtest.Member
		opt       *discordtest.CommandOption
		wantReply []string
		wantSet   bool
	}{
		{"a member without Manage Channels is refused", granted(reader),
			set(str("time", "07:30"), str("timezone", "Europe/London")),
			[]string{"Manage Channels"}, false},
		{"a time that is not HH:MM says how to write it", admin,
			set(str("time", "7.30am"), str("timezone", "Europe/London")),
			[]string{`"7.30am" is not a time of day`, "HH:MM"}, false},
		{"an hour past 23 is refused", admin,
			set(str("time", "24:00"), str("timezone", "Europe/London")),
			[]string{"not a time of day"}, false},
		{"an unknown timezone names real ones", admin,
			set(str("time", "07:30"), str("timezone", "Europe/Atlantis")),
			[]string{`"Europe/Atlantis" is not a timezone`, "Europe/London"}, false},
		{"an unknown region suggests names", admin,
			set(str("time", "07:30"), str("timezone", "Europe/London"), str("regions", "Baltic staets")),
			[]string{`I don't know the place "Baltic staets"`}, false},
		{"a bad query says what is wrong", admin,
			set(str("time", "07:30"), str("timezone", "Europe/London"), str("query", `"Baltic`)),
			[]string{"doesn't work"}, false},
		{"a time already past today starts tomorrow", admin,
			set(str("time", "07:30"), str("timezone", "europe/london"), str("regions", "Baltic states, PL")),
			[]string{"daily briefing at 07:30 Europe/London", "Baltic", "Poland", fmt.Sprintf("<t:%d:F>", london(t, "2026-11-26 07:30").Unix())}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.command(t, alertsChan, tt.member, "briefing", tt.opt)
			if resp.Flags&discordgo.MessageFlagsEphemeral == 0 {
				t.Error("reply is not ephemeral")
			}
			for _, w := range tt.wantReply {
				if !strings.Contains(resp.Content, w) {
					t.Errorf("reply %q lacks %q", resp.Content, w)
				}
			}
			_, err := h.db.Briefing(ctx, alertsChan)
			if got := err == nil; got != tt.wantSet {
				t.Errorf("briefing stored = %v, want %v (%v)", got, tt.wantSet, err)
			}
		})
	}
	stored, err := h.db.Briefing(ctx, alertsChan)
	if err != nil {
		t.Fatal(err)
	}
	if stored.At != "07:30" || stored.Timezone != "Europe/London" || strings.Join(stored.Regions, ",") != "baltic-states,PL" || stored.LastPeriod != "2026-11-25" {
		t.Errorf("stored briefing = %+v", stored)
	}

	show := h.command(t, alertsChan, admin, "briefing", discordtest.Subcommand("show"))
	for _, w := range []string{"07:30 Europe/London", "Next:", fmt.Sprint(london(t, "2026-11-26 07:30").Unix())} {
		if !strings.Contains(show.Content, w) {
			t.Errorf("/briefing show %q lacks %q", show.Content, w)
		}
	}

	ac := h.srv.Autocomplete(guildID, alertsChan, admin, "briefing",
		discordtest.Subcommand("set", discordtest.Focused(str("timezone", "new york"))))
	choices := h.awaitReply(t, ac.ID).Choices
	if len(choices) == 0 || choices[0].Value != "America/New_York" {
		t.Errorf("timezone choices for %q = %v", "new york", choices)
	}

	if off := h.command(t, alertsChan, admin, "briefing", discordtest.Subcommand("off")); !strings.Contains(off.Content, "turned off") {
		t.Errorf("/briefing off = %q", off.Content)
	}
	if again := h.command(t, alertsChan, admin, "briefing", discordtest.Subcommand("off")); !strings.Contains(again.Content, "no daily briefing") {
		t.Errorf("second /briefing off = %q", again.Content)
	}
}

func TestDailyBriefingIsSentOnceAcrossRestarts(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	clk := &clock{now: london(t, "2026-11-25 06:00")}
	results := make(briefingResults, 10)
	h := newHarness(t, dbPath, nil, withClock(clk), results.option())
	queueReports(t, h.db, alertsChan,
		report{"https://a.example/rss", "a1", "Baltic Wire", "NATO moves troops to Estonia", "e1", []string{"EE"}, []string{"baltic-states"}},
		report{"https://b.example/rss", "b1", "Nordic Post", "NATO sends troops to Estonia", "e1", []string{"EE"}, []string{"baltic-states"}},
		report{"https://a.example/rss", "a2", "Baltic Wire", "@everyone Drone lands in Latvian field", "e2", []string{"LV"}, []string{"baltic-states"}},
	)
	clk.Set(london(t, "2026-11-25 07:00"))
	h.setBriefing(t, "07:30", "Europe/London")

	clk.Set(london(t, "2026-11-25 07:31"))
	stop := runBriefings(t, h.bot)
	results.await(t, bot.BriefingSent)
	stop()
	msgs := h.srv.Messages(alertsChan)
	if len(msgs) != 1 {
		t.Fatalf("%d messages after the first briefing, want 1", len(msgs))
	}
	m := msgs[0]
	text := embedText(m)
	for _, w := range []string{"Daily briefing · Wednesday 25 November 2026", "2 stories from 2 outlets", "NATO moves troops to Estonia", "(+1 outlet)", "Drone lands in Latvian field"} {
		if !strings.Contains(text, w) {
			t.Errorf("briefing lacks %q:\n%s", w, text)
		}
	}
	if m.Nonce == "" || m.Pinged.Everyone || len(m.Pinged.Roles) > 0 {
		t.Errorf("briefing nonce %q, pinged %+v", m.Nonce, m.Pinged)
	}

	// A restart later that morning sends nothing more.
	clk.Set(london(t, "2026-11-25 07:45"))
	h.reopen(t, dbPath, withClock(clk), results.option())
	stop = runBriefings(t, h.bot)
	time.Sleep(300 * time.Millisecond)
	if n := len(h.srv.Messages(alertsChan)); n != 1 {
		t.Fatalf("%d messages after a restart the same morning, want still 1", n)
	}
	stop()

	// The next morning's briefing covers only what came since.
	queueReports(t, h.db, alertsChan, report{"https://a.example/rss", "a3", "Baltic Wire", "Cable cut in the Baltic Sea", "e3", []string{"FI"}, []string{"baltic-states"}})
	clk.Set(london(t, "2026-11-26 07:30"))
	runBriefings(t, h.bot)
	results.await(t, bot.BriefingSent)
	msgs = h.srv.Messages(alertsChan)
	if len(msgs) != 2 {
		t.Fatalf("%d messages after the second morning, want 2", len(msgs))
	}
	second := embedText(msgs[1])
	if !strings.Contains(second, "Cable cut in the Baltic Sea") || strings.Contains(second, "Estonia") || !strings.Contains(second, "Thursday 26 November") {
		t.Errorf("second briefing:\n%s", second)
	}
	if msgs[1].Nonce == m.Nonce {
		t.Error("two days' briefings share a nonce")
	}
}

func TestAMissedBriefingIsSentWithinGraceAndSkippedAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		now      string
		want     string
		messages int
	}{
		{"five hours late it is still sent", "2026-11-25 12:30", bot.BriefingSent, 1},
		{"seven hours late it is skipped", "2026-11-25 14:30", bot.BriefingSkipped, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := &clock{now: london(t, "2026-11-25 07:00")}
			results := make(briefingResults, 10)
			h := newHarness(t, "", nil, withClock(clk), results.option())
			queueReports(t, h.db, alertsChan, report{"https://a.example/rss", "a1", "Baltic Wire", "NATO moves troops to Estonia", "e1", []string{"EE"}, nil})
			h.setBriefing(t, "07:30", "Europe/London")

			clk.Set(london(t, tt.now)) // Vigil was down at 07:30
			runBriefings(t, h.bot)
			results.await(t, tt.want)
			if n := len(h.srv.Messages(alertsChan)); n != tt.messages {
				t.Errorf("%d messages, want %d", n, tt.messages)
			}
			set, err := h.db.Briefing(context.Background(), alertsChan)
			if err != nil || set.LastPeriod != "2026-11-25" {
				t.Errorf("last period = %q, %v; the day must be recorded either way", set.LastPeriod, err)
			}
		})
	}
}

func TestABriefingAcceptedBeforeAServerErrorIsNotPostedTwice(t *testing.T) {
	t.Parallel()
	clk := &clock{now: london(t, "2026-11-25 07:00")}
	results := make(briefingResults, 10)
	h := newHarness(t, "", nil, withClock(clk), results.option())
	queueReports(t, h.db, alertsChan, report{"https://a.example/rss", "a1", "Baltic Wire", "NATO moves troops to Estonia", "e1", []string{"EE"}, nil})
	h.setBriefing(t, "07:30", "Europe/London")
	// Discord stores the message, then answers 500: the retry must not
	// post it again.
	fault := discordtest.ServerError(500)
	fault.Commit = true
	h.srv.FailNext("POST", "/channels/*/messages", 1, fault)

	clk.Set(london(t, "2026-11-25 07:30"))
	runBriefings(t, h.bot)
	results.await(t, bot.BriefingSent)
	if n := len(h.srv.Messages(alertsChan)); n != 1 {
		t.Errorf("%d messages, want exactly 1", n)
	}
	if posts := h.srv.RequestsTo("POST", "/channels/*/messages"); len(posts) < 2 {
		t.Errorf("%d posts; the failed one was not retried", len(posts))
	}
}

func TestABusyDaySplitsWithinDiscordsLimits(t *testing.T) {
	t.Parallel()
	clk := &clock{now: london(t, "2026-11-25 06:00")}
	results := make(briefingResults, 10)
	h := newHarness(t, "", nil, withClock(clk), results.option())
	regions := []string{"baltic-states", "sahel", "levant", "caucasus", "balkans", "south-china-sea"}
	var reports []report
	for i := range 300 {
		reports = append(reports, report{
			feed: fmt.Sprintf("https://outlet%d.example/rss", i%7), id: fmt.Sprint("s", i), source: fmt.Sprint("Outlet ", i%7),
			title:   fmt.Sprintf("Story %03d: officials confirm a developing security incident near the border, with more details expected later today", i),
			event:   fmt.Sprint("e", i/2), // two outlets per event
			regions: []string{regions[i%len(regions)]},
		})
	}
	queueReports(t, h.db, alertsChan, reports...)
	h.setBriefing(t, "07:30", "Europe/London")
	clk.Set(london(t, "2026-11-25 07:30"))
	runBriefings(t, h.bot)
	results.await(t, bot.BriefingSent)

	msgs := h.srv.Messages(alertsChan)
	if len(msgs) < 2 {
		t.Fatalf("%d messages for 150 events; want the briefing split", len(msgs))
	}
	var all strings.Builder
	for i, m := range msgs {
		total := 0
		for _, e := range m.Embeds {
			if n := utf8.RuneCountInString(e.Description); n > 4096 {
				t.Errorf("message %d: an embed description of %d characters", i, n)
			}
			total += utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		}
		if total > 6000 || len(m.Embeds) > 10 {
			t.Errorf("message %d: %d characters in %d embeds", i, total, len(m.Embeds))
		}
		all.WriteString(embedText(m))
	}
	for e := range 150 {
		// Each event once, linked under its first report's headline.
		headline := fmt.Sprintf("[Story %03d:", 2*e)
		if n := strings.Count(all.String(), headline); n != 1 {
			t.Errorf("%q appears %d times", headline, n)
		}
	}
}

func TestBriefingNowPreviewsOrPosts(t *testing.T) {
	t.Parallel()
	clk := &clock{now: london(t, "2026-11-25 06:00")}
	h := newHarness(t, "", nil, withClock(clk))
	queueReports(t, h.db, alertsChan, report{"https://a.example/rss", "a1", "Baltic Wire", "NATO moves troops to Estonia", "e1", []string{"EE"}, nil})
	clk.Set(london(t, "2026-11-25 09:00"))

	preview := h.command(t, alertsChan, admin, "briefing", discordtest.Subcommand("now"))
	if preview.Flags&discordgo.MessageFlagsEphemeral == 0 || len(preview.Embeds) == 0 {
		t.Fatalf("preview = %+v; want ephemeral embeds", preview)
	}
	var text strings.Builder
	for _, e := range preview.Embeds {
		text.WriteString(e.Title + "\n" + e.Description + "\n")
	}
	if !strings.Contains(text.String(), "Briefing preview") || !strings.Contains(text.String(), "NATO moves troops to Estonia") {
		t.Errorf("preview:\n%s", text.String())
	}
	if n := len(h.srv.Messages(alertsChan)); n != 0 {
		t.Errorf("a preview posted %d messages in the channel", n)
	}

	i := h.srv.SlashCommand(guildID, alertsChan, admin, "briefing", discordtest.Subcommand("now", discordtest.BoolOption("post", true)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := h.srv.WaitFor(ctx, func() bool {
		rec, _ := h.srv.Interaction(i.ID)
		return rec.Original != nil && strings.Contains(rec.Original.Content, "Posted")
	})
	if err != nil {
		rec, _ := h.srv.Interaction(i.ID)
		t.Fatalf("no 'Posted' answer: %+v", rec.Original)
	}
	if msgs := h.srv.Messages(alertsChan); len(msgs) != 1 || !strings.Contains(embedText(msgs[0]), "NATO moves troops") {
		t.Errorf("posted messages = %d", len(msgs))
	}
	// A preview is not the day's briefing.
	if _, err := h.db.Briefing(context.Background(), alertsChan); err == nil {
		t.Error("/briefing now created a briefing setting")
	}
}

func TestABriefingsOwnRegionsAddStoriesTheChannelWasNotAlerted(t *testing.T) {
	t.Parallel()
	clk := &clock{now: london(t, "2026-11-25 06:00")}
	results := make(briefingResults, 10)
	h := newHarness(t, "", nil, withClock(clk), results.option())
	ctx := context.Background()
	queueReports(t, h.db, alertsChan, report{"https://a.example/rss", "a1", "Baltic Wire", "NATO moves troops to Estonia", "e1", []string{"EE"}, []string{"baltic-states"}})
	// Seen by Vigil but matched by no subscription of the channel.
	feedURL := "https://b.example/rss"
	if err := h.db.UpsertFeed(ctx, alerts.Feed{URL: feedURL}); err != nil {
		t.Fatal(err)
	}
	at := london(t, "2026-11-25 05:30")
	unmatched := []alerts.Story{
		{ID: "b1", FeedURL: feedURL, Source: "Sahel Monitor", Title: "Convoy ambushed near Gao", URL: "https://news.example/b1", Published: at, FirstSeen: at, ClusterID: "e2", Countries: []string{"ML"}, Regions: []string{"sahel"}},
		{ID: "b2", FeedURL: feedURL, Source: "Pacific Desk", Title: "Typhoon closes ports", URL: "https://news.example/b2", Published: at, FirstSeen: at, ClusterID: "e3", Countries: []string{"PH"}},
	}
	if _, err := h.db.SaveStories(ctx, feedURL, unmatched, nil); err != nil {
		t.Fatal(err)
	}
	h.setBriefing(t, "07:30", "Europe/London", discordtest.StringOption("regions", "Sahel"))

	clk.Set(london(t, "2026-11-25 07:30"))
	runBriefings(t, h.bot)
	results.await(t, bot.BriefingSent)
	msgs := h.srv.Messages(alertsChan)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	text := embedText(msgs[0])
	for _, w := range []string{"NATO moves troops to Estonia", "Convoy ambushed near Gao"} {
		if !strings.Contains(text, w) {
			t.Errorf("briefing lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "Typhoon") {
		t.Errorf("briefing holds a story neither matched nor in its regions:\n%s", text)
	}
}
