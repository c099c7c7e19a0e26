package bot_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

// The load test's shape, from the tenancy issue: 50 servers with 1,000
// subscriptions each, one server's feed bursting 10,000 items while
// members run /recent ten times a second.
const (
	loadServers      = 50
	loadSubsEach     = 1000
	loadChannelsEach = 5
	loadBurst        = 10_000
	loadRounds       = 4 // news rounds per phase, one story per server each
)

func loadGuildID(g int) string      { return fmt.Sprintf("93%016d", g) }
func loadChannelID(g, c int) string { return fmt.Sprintf("94%014d%02d", g, c) }
func loadMemberID(g, m int) string  { return fmt.Sprintf("95%014d%02d", g, m) }

// TestLoadManyServersOneBursting runs the whole path (loopback feeds, real
// poller and pipeline, SQLite, the real discordgo client against the fake
// Discord at Discord's rate limits). It takes about a minute; set
// VIGIL_LOAD=1 to run it (.ci/run does).
func TestLoadManyServersOneBursting(t *testing.T) {
	if os.Getenv("VIGIL_LOAD") == "" {
		t.Skip("load test: set VIGIL_LOAD=1 to run it (about a minute)")
	}
	ctx := context.Background()
	var opts []discordtest.Option
	for g := range loadServers {
		guild := &discordgo.Guild{ID: loadGuildID(g), Name: fmt.Sprintf("Desk %d", g),
			Roles: []*discordgo.Role{{ID: loadGuildID(g), Name: "@everyone", Permissions: everyonePermissions}}}
		for c := range loadChannelsEach {
			guild.Channels = append(guild.Channels, &discordgo.Channel{ID: loadChannelID(g, c), GuildID: guild.ID, Name: fmt.Sprintf("c%d", c), Type: discordgo.ChannelTypeGuildText})
		}
		for m := range 10 {
			guild.Members = append(guild.Members, &discordgo.Member{GuildID: guild.ID, User: &discordgo.User{ID: loadMemberID(g, m), Username: "m"}})
		}
		opts = append(opts, discordtest.WithGuild(guild))
	}
	opts = append(opts, discordtest.WithRateLimit(discordtest.DiscordRateLimits()))
	srv := discordtest.NewServer(t, opts...)

	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "vigil.db"), storage.WithLimits(alerts.Limits{
		FeedsPerServer: 50, SubscriptionsPerServer: loadSubsEach, SubscriptionsPerChannel: loadSubsEach, BriefingsPerServer: 50,
		ChannelAlertsPerHour: alerts.DefaultLimits.ChannelAlertsPerHour,
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	// Each server has its own feed, with a secret in its URL; server 0's
	// will burst.
	feeds := make([]*feedServer, loadServers)
	urls := make([]string, loadServers)
	for g := range loadServers {
		feeds[g] = &feedServer{}
		hs := httptest.NewServer(feeds[g])
		t.Cleanup(hs.Close)
		urls[g] = fmt.Sprintf("%s/rss?server=%d&token=secret-%d", hs.URL, g, g)
		if _, err := db.AddGuildFeed(ctx, loadGuildID(g), alerts.Feed{URL: urls[g]}); err != nil {
			t.Fatal(err)
		}
	}
	// 1,000 subscriptions a server: channel 0 watches drones, the rest
	// watch words that never come up (they cost the index, not Discord).
	setup := time.Now()
	var wg sync.WaitGroup
	for g := range loadServers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range loadSubsEach {
				s := alerts.Subscription{GuildID: loadGuildID(g), ChannelID: loadChannelID(g, k%loadChannelsEach), Query: fmt.Sprintf("zq%dx%d", g, k)}
				if k == 0 {
					s.ChannelID, s.Query = loadChannelID(g, 0), "drone"
				}
				if _, err := db.AddSubscription(ctx, s, "admin"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("setup: %d subscriptions in %v", loadServers*loadSubsEach, time.Since(setup).Round(time.Millisecond))

	cfg := bot.Config{
		Token:           strings.TrimPrefix(srv.Token(), "Bot "),
		Places:          places(t),
		ValidateFeedURL: feed.ValidateURL,
		Changed:         func() {},
		HTTPClient:      srv.HTTPClient(),
		Logger:          quiet,
		Store:           db,
	}
	b := connect(t, cfg)
	h := &harness{srv: srv, db: db, bot: b, now: time.Now}
	poller := pipelineFor(t, db)
	pollAll := func(servers []int) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for _, g := range servers {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				f, err := db.Feed(ctx, urls[g])
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := poller.Poll(ctx, f); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	all := make([]int, loadServers)
	for g := range all {
		all[g] = g
	}
	pollAll(all) // prime every feed

	deliverCtx, stopDelivery := context.WithCancel(ctx)
	deliverDone := make(chan struct{})
	go func() { defer close(deliverDone); b.Deliver(deliverCtx) }()
	t.Cleanup(func() { stopDelivery(); <-deliverDone })

	// A round: every server but 0 gets one new drone story; its latency
	// is from the story's appearing in the feed to Discord holding the
	// message, which includes waiting for the poll (run at once here).
	var published sync.Map // title → time
	round := func(phase string, r int, servers []int) {
		now := time.Now()
		for _, g := range servers {
			guid := fmt.Sprintf("%s-%d-%d", phase, r, g)
			published.Store("https://wire.example/"+guid, now)
			feeds[g].add(item(guid, fmt.Sprintf("Drone sighting %s %d for server %d", phase, r, g), "A drone was seen."))
		}
		pollAll(servers)
	}
	others := all[1:]
	latencies := func(phase string) []time.Duration {
		t.Helper()
		want := len(others) * loadRounds
		deadline := time.Now().Add(60 * time.Second)
		for {
			var got []time.Duration
			for _, g := range others {
				for _, m := range srv.Messages(loadChannelID(g, 0)) {
					if len(m.Embeds) == 0 || !strings.Contains(m.Embeds[0].URL, "/"+phase+"-") {
						continue
					}
					if at, ok := published.Load(m.Embeds[0].URL); ok {
						got = append(got, m.Timestamp.Sub(at.(time.Time)))
					}
				}
			}
			if len(got) >= want || time.Now().After(deadline) {
				if len(got) != want {
					t.Errorf("%s: %d alerts delivered to the other servers; want %d", phase, len(got), want)
				}
				slices.Sort(got)
				return got
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Phase 1, the normal latency: news rounds with nothing else going on.
	for r := range loadRounds {
		round("calm", r, others)
		time.Sleep(time.Second)
	}
	calm := latencies("calm")

	// Phase 2: server 0's feed bursts 10,000 items while members of every
	// server run /recent ten times a second, and the news goes on.
	var searches, answered, missed atomic.Int64
	stopSearches := make(chan struct{})
	var searchWG sync.WaitGroup
	searchWG.Add(1)
	go func() {
		defer searchWG.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for k := 0; ; k++ {
			select {
			case <-stopSearches:
				return
			case <-tick.C:
			}
			g, m := k%loadServers, (k/loadServers)%10
			member := discordtest.Member{User: discordtest.User{ID: loadMemberID(g, m), Username: "m"}, Permissions: discordgo.PermissionSendMessages}
			i := srv.SlashCommand(loadGuildID(g), loadChannelID(g, 1), member, "recent", discordtest.StringOption("query", "drone"))
			searches.Add(1)
			searchWG.Add(1)
			go func() {
				defer searchWG.Done()
				wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				defer cancel()
				var rec discordtest.InteractionRecord
				err := srv.WaitFor(wctx, func() bool {
					rec, _ = srv.Interaction(i.ID)
					return rec.Response != nil && rec.Original != nil && rec.Original.Flags&discordgo.MessageFlagsLoading == 0
				})
				if err != nil {
					missed.Add(1)
					return
				}
				answered.Add(1)
				// No server sees another's feed: every story /recent lists
				// is its own server's.
				for _, line := range strings.Split(rec.Original.Content, "\n") {
					if strings.Contains(line, "for server ") && !strings.Contains(line, fmt.Sprintf("for server %d]", g)) {
						t.Errorf("server %d's /recent lists another server's story: %q", g, line)
					}
				}
			}()
		}
	}()
	for k := range loadBurst {
		feeds[0].add(item(fmt.Sprintf("burst-%d", k), fmt.Sprintf("Drone swarm report %d for server 0", k), "Drones."))
	}
	burstDone := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		pollAll([]int{0})
		burstDone <- time.Since(start)
	}()
	for r := range loadRounds {
		round("burst", r, others)
		time.Sleep(time.Second)
	}
	burstPoll := <-burstDone
	busy := latencies("burst")
	close(stopSearches)
	searchWG.Wait()

	// Server 0's channel got a handful of alerts and one digest, not a
	// backlog.
	deadline := time.Now().Add(30 * time.Second)
	for h.pending(t) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	msgs0 := srv.Messages(loadChannelID(0, 0))
	digests := 0
	for _, m := range msgs0 {
		if len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "more stories matched") {
			digests++
		}
	}
	if len(msgs0) > 10 || digests != 1 {
		t.Errorf("the bursting server's channel got %d messages (%d digests); want at most 5 alerts and one digest", len(msgs0), digests)
	}
	// No server's channel holds another server's story.
	for g := range loadServers {
		for c := range loadChannelsEach {
			for _, m := range srv.Messages(loadChannelID(g, c)) {
				text := m.Content
				for _, e := range m.Embeds {
					text += e.Title + e.Description
				}
				for o := range loadServers {
					if o != g && strings.Contains(text, fmt.Sprintf("for server %d]", o)) || o != g && strings.HasSuffix(strings.TrimSpace(text), fmt.Sprintf("for server %d", o)) {
						t.Errorf("server %d channel %d holds server %d's story: %q", g, c, o, text)
					}
				}
			}
		}
	}
	if missed.Load() != 0 || answered.Load() != searches.Load() {
		t.Errorf("/recent: %d run, %d answered, %d missed", searches.Load(), answered.Load(), missed.Load())
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(float64(len(ds))*p))].Round(time.Millisecond)
	}
	t.Logf("other servers' alert latency, calm: p50 %v p99 %v (n=%d)", pct(calm, 0.5), pct(calm, 0.99), len(calm))
	t.Logf("other servers' alert latency, during the burst and /recent load: p50 %v p99 %v (n=%d)", pct(busy, 0.5), pct(busy, 0.99), len(busy))
	t.Logf("burst poll of %d items took %v; bursting channel got %d messages (%d digest)", loadBurst, burstPoll.Round(time.Millisecond), len(msgs0), digests)
	t.Logf("/recent: %d run at 10/s, %d answered in time, %d missed", searches.Load(), answered.Load(), missed.Load())
	if p99 := pct(busy, 0.99); p99 > 2*pct(calm, 0.99)+2*time.Second {
		t.Errorf("p99 during the burst %v; want within the calm p99 %v (×2 + 2 s)", p99, pct(calm, 0.99))
	}
}
