package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

// outageLength is how long the tests keep the fake Discord down: the
// minute of the issue these tests came from, or a few seconds with -short.
func outageLength() time.Duration {
	if testing.Short() {
		return 5 * time.Second
	}
	return 60 * time.Second
}

// outageLengths are the outages the drain test tries: a back-off kept per
// channel would show after the 45 s one, whose end falls early in a long
// channel hold (2+4+8+16 s of failures, then a 32 s wait).
func outageLengths() []time.Duration {
	if testing.Short() {
		return []time.Duration{5 * time.Second}
	}
	return []time.Duration{45 * time.Second, 60 * time.Second}
}

// outageRig is a vigil service with channels subscribed to the Baltic
// states, a fake Discord and a feed whose stories are released on demand.
type outageRig struct {
	t        *testing.T
	discord  *discordtest.Server
	channels []string
	feed     *heldFeed
	cfg      Config
	svc      *service
}

const outageGuild = "940000000000000001"

func newOutageRig(t *testing.T, channels int) *outageRig {
	t.Helper()
	g := &discordgo.Guild{ID: outageGuild, Name: "Desk"}
	var ids []string
	for i := range channels {
		id := fmt.Sprintf("9400000000000001%02d", i)
		ids = append(ids, id)
		g.Channels = append(g.Channels, &discordgo.Channel{ID: id, GuildID: outageGuild, Name: fmt.Sprintf("alerts-%d", i), Type: discordgo.ChannelTypeGuildText})
	}
	r := &outageRig{t: t, discord: discordtest.NewServer(t, discordtest.WithGuild(g)), channels: ids, feed: &heldFeed{}}
	feedSrv := httptest.NewServer(r.feed)
	t.Cleanup(feedSrv.Close)

	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range ids {
		if _, err := db.AddSubscription(context.Background(), alerts.Subscription{GuildID: outageGuild, ChannelID: ch, Regions: []string{"baltic-states"}}, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	cfgPath := writeConfig(t, fmt.Sprintf(`
[discord]
token = %q
guild_id = %q
[storage]
path = %q
[http]
allowed_networks = ["127.0.0.1/32"]
[polling]
default_interval = "1m"
jitter = "0s"
first_poll_window = "24h"
[metrics]
address = "127.0.0.1:0"
[log]
level = "warn"
[[feeds]]
url = %q
`, strings.TrimPrefix(r.discord.Token(), "Bot "), outageGuild, dbPath, feedSrv.URL))
	r.cfg, err = LoadConfig(cfgPath, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *outageRig) start(ctx context.Context) {
	r.t.Helper()
	var logOut io.Writer = io.Discard
	if os.Getenv("VIGIL_TEST_LOG") != "" {
		logOut = os.Stderr
		r.cfg.Log.Level = "debug"
	}
	svc, err := startService(ctx, r.cfg, newLogger(r.cfg.Log, logOut), func(s *service) { s.discordClient = r.discord.HTTPClient() })
	if err != nil {
		r.t.Fatalf("start: %v", err)
	}
	r.svc = svc
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		svc.stop(ctx)
	})
}

// posted counts the alerts in every channel and fails on a story posted
// twice to one channel.
func (r *outageRig) posted() int {
	r.t.Helper()
	n := 0
	for _, ch := range r.channels {
		seen := map[string]bool{}
		for _, m := range r.discord.Messages(ch) {
			if len(m.Embeds) == 0 {
				continue
			}
			if title := m.Embeds[0].Title; seen[title] {
				r.t.Fatalf("channel %s got %q twice", ch, title)
			} else {
				seen[title] = true
			}
			n++
		}
	}
	return n
}

func (r *outageRig) pending() int {
	n, err := r.svc.db.PendingCount(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *outageRig) health() string {
	resp, err := http.Get("http://" + r.svc.opsAddr + "/healthz")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, b)
}

// heldFeed serves an RSS feed of n stories about the Baltic states; n
// starts at 0 and grows by release.
type heldFeed struct {
	mu    sync.Mutex
	n     int
	polls int
}

func (f *heldFeed) release(n int) {
	f.mu.Lock()
	f.n += n
	f.mu.Unlock()
}

func (f *heldFeed) pollCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polls
}

func (f *heldFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := f.n
	f.polls++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprint(w, `<rss version="2.0"><channel><title>Loopback Wire</title>`)
	for i := range n {
		// Each story its own event, or clustering would fold them into one
		// alert: different words but for the place.
		a, b, c := madeUpWord(3*i), madeUpWord(3*i+1), madeUpWord(3*i+2)
		fmt.Fprintf(w, `<item><guid>b%d</guid><title>Estonia %s %s %s %d</title>`+
			`<link>https://wire.example/b%d</link><description>Officials in Tallinn spoke of %s, %s and %s (item %d).</description>`+
			`<pubDate>%s</pubDate></item>`, i, a, b, c, i, i, a, b, c, i, time.Now().UTC().Add(-time.Duration(n-i)*time.Second).Format(time.RFC1123Z))
	}
	fmt.Fprint(w, `</channel></rss>`)
}

// madeUpWord is a word of its own for each n: "kalo", "kami", …
func madeUpWord(n int) string {
	syllables := []string{"ka", "lo", "mi", "nu", "pe", "ri", "so", "tu", "va", "ze"}
	w := "bo"
	for {
		w += syllables[n%10]
		n /= 10
		if n == 0 {
			return w
		}
	}
}

// pollNow asks the service to poll the feed again at once.
func (r *outageRig) pollNow() {
	feeds, err := r.svc.db.Feeds(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.svc.poller.Poll(context.Background(), feeds[0]); err != nil {
		r.t.Fatal(err)
	}
}

func TestRunStartsWhileDiscordIsDownAndDeliversWhenItComesUp(t *testing.T) {
	t.Parallel()
	r := newOutageRig(t, 1)
	r.feed.release(5)
	r.discord.SetOutage(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	began := time.Now()
	r.start(ctx)
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("start took %v with Discord down; polling must not wait for it", took)
	}
	waitFor(t, "the feed to be polled and its alerts queued while Discord is down", func() bool { return r.pending() == 5 })
	if h := r.health(); !strings.Contains(h, "not connected") {
		t.Errorf("/healthz while Discord is down = %q, want it to say Discord is not connected", h)
	}
	time.Sleep(outageLength())
	r.discord.SetOutage(false)
	recovered := time.Now()
	deadline := time.Now().Add(30 * time.Second)
	for r.posted() < 5 || r.pending() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 5 alerts posted %v after Discord came back", r.posted(), time.Since(recovered))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("Discord down for %v from before start; all 5 alerts posted %v after it came back", outageLength(), time.Since(recovered).Round(time.Millisecond))
	if got := len(r.discord.Commands(outageGuild)); got != 4 {
		t.Errorf("%d slash commands registered after connecting late, want 4", got)
	}
	if h := r.health(); h != "200 ok\n" {
		t.Errorf("/healthz once connected = %q", h)
	}
	if n := r.posted(); n != 5 {
		t.Errorf("%d alerts posted, want 5", n)
	}
}

func TestAnOutageUnderLoadDrainsAtTheRateLimitsPace(t *testing.T) {
	t.Parallel()
	for _, outage := range outageLengths() {
		t.Run(outage.String(), func(t *testing.T) {
			t.Parallel()
			const channels, stories = 10, 8
			r := newOutageRig(t, channels)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r.start(ctx)
			waitFor(t, "the first poll", func() bool { return r.feed.pollCount() > 0 })
			r.discord.SetOutage(true)
			r.feed.release(stories)
			r.pollNow()
			waitFor(t, "the alerts to be queued", func() bool { return r.pending() == channels*stories })
			time.Sleep(outage)
			r.discord.SetOutage(false)
			recovered := time.Now()
			// Discord lets a channel have 5 messages every 5 seconds; 8
			// alerts a channel need one wait of the bucket's reset.
			required := 5 * time.Second
			deadline := recovered.Add(required + 10*time.Second)
			for r.posted() < channels*stories || r.pending() > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d alerts posted %v after a %v outage ended; want all within 10s plus the %v the rate limits require",
						r.posted(), channels*stories, time.Since(recovered).Round(time.Millisecond), outage, required)
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Logf("%d alerts in %d channels drained %v after a %v outage ended (the rate limits require about %v)",
				channels*stories, channels, time.Since(recovered).Round(time.Millisecond), outage, required)
		})
	}
}

func TestSIGTERMDuringALongRetryAfterStopsPromptlyLosingNothing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault *discordtest.Fault
	}{
		{"a 45s retry_after on the channel", discordtest.TooManyRequests(45*time.Second, false)},
		{"a 45s global retry_after", discordtest.TooManyRequests(45*time.Second, true)},
		{"a send Discord leaves unanswered", &discordtest.Fault{Delay: 45 * time.Second, Drop: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newOutageRig(t, 1)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r.start(ctx)
			waitFor(t, "the first poll", func() bool { return r.feed.pollCount() > 0 })
			r.discord.FailNext("POST", "/channels/*/messages", 1, tt.fault)
			r.feed.release(3)
			r.pollNow()
			waitFor(t, "the first send", func() bool {
				for _, req := range r.discord.Requests() {
					if req.Method == "POST" && strings.HasSuffix(req.Path, "/messages") {
						return true
					}
				}
				return false
			})
			time.Sleep(200 * time.Millisecond)
			cancel() // what SIGTERM does in main
			began := time.Now()
			stopCtx, stop := context.WithTimeout(context.Background(), shutdownGrace)
			defer stop()
			err := r.svc.stop(stopCtx)
			took := time.Since(began)
			if err != nil {
				t.Errorf("stop: %v (vigil would exit 1)", err)
			}
			if took > 5*time.Second {
				t.Errorf("stop took %v during a 45s retry_after, want at most 5s", took)
			}
			db, err := storage.Open(context.Background(), r.cfg.Storage.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			n, _ := db.PendingCount(context.Background())
			if n+r.posted() != 3 {
				t.Errorf("%d alerts pending and %d posted after stop, want 3 in all", n, r.posted())
			}
			t.Logf("stopped in %v with %d alerts kept in the outbox", took.Round(time.Millisecond), n)
		})
	}
}
