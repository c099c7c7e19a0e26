package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/logtest"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

// waitFor polls cond until it holds or the test's patience runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startWithConfig starts the service on a config's text; the test's end
// cancels it.
func startWithConfig(t *testing.T, config string) *service {
	t.Helper()
	cfg, err := LoadConfig(writeConfig(t, config), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc, err := startService(ctx, cfg, newLogger(cfg.Log, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestRunPollsStoresServesOpsAndStopsOnSignal(t *testing.T) {
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(generatedRSS(5))
	}))
	t.Cleanup(feedSrv.Close)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "vigil.db")
	svc := startWithConfig(t, fmt.Sprintf(`
[storage]
path = %q
[http]
allowed_networks = ["127.0.0.1/32"]
[polling]
jitter = "0s"
[metrics]
address = "127.0.0.1:0"
[log]
level = "warn"
[[feeds]]
url = %q
name = "Loopback Wire"
`, dbPath, feedSrv.URL+"/rss"))
	get := func(path string) string {
		resp, err := http.Get("http://" + svc.opsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		return string(body)
	}
	if got := get("/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q", got)
	}
	// Profiles are the operator's to turn on.
	if resp, err := http.Get("http://" + svc.opsAddr + "/debug/pprof/heap"); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/heap with metrics.pprof off: %s, want 404 Not Found", resp.Status)
	}
	var metrics string
	waitFor(t, "the first poll to be counted", func() bool {
		metrics = get("/metrics")
		return strings.Contains(metrics, `vigil_feed_polls_total{result="ok"} 1`)
	})
	for _, want := range []string{`vigil_feed_polls_total{result="ok"} 1`, "vigil_stories_total 5", "vigil_outbox_pending 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, metrics)
		}
	}

	stopCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := svc.stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	// Everything was written and the file closed cleanly.
	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := db.Feed(context.Background(), feedSrv.URL+"/rss")
	if err != nil || f.Title != "Loopback Wire" || f.LastItemCount != 5 {
		t.Errorf("feed after restart = %+v, %v", f, err)
	}
}

func TestMetricsPprofServesGoProfilesBesideTheMetrics(t *testing.T) {
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(generatedRSS(1))
	}))
	t.Cleanup(feedSrv.Close)
	svc := startWithConfig(t, fmt.Sprintf(`
[storage]
path = %q
[http]
allowed_networks = ["127.0.0.1/32"]
[metrics]
address = "127.0.0.1:0"
pprof = true
[log]
level = "warn"
[[feeds]]
url = %q
`, filepath.Join(t.TempDir(), "vigil.db"), feedSrv.URL+"/rss"))
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		svc.stop(stopCtx)
	})
	for _, tc := range []struct{ path, want string }{
		{"/debug/pprof/heap?debug=1", "heap profile:"},
		{"/debug/pprof/goroutine?debug=1", "goroutine profile:"},
		{"/debug/pprof/", "Types of profiles available"},
		{"/metrics", "vigil_outbox_pending"},
	} {
		resp, err := http.Get("http://" + svc.opsAddr + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %s, body without %q:\n%.300s", tc.path, resp.Status, tc.want, body)
		}
	}
}

func TestRunReturnsWhenCancelledLikeSIGTERM(t *testing.T) {
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(generatedRSS(1))
	}))
	t.Cleanup(feedSrv.Close)
	cfgPath := writeConfig(t, fmt.Sprintf("[storage]\npath = %q\n[metrics]\naddress = \"\"\n[[feeds]]\nurl = %q\n",
		filepath.Join(t.TempDir(), "v.db"), feedSrv.URL))
	ctx, cancel := context.WithCancel(context.Background())
	errOut := &logtest.Buffer{}
	env := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: errOut, getenv: noEnv}
	done := make(chan error, 1)
	go func() { done <- runRun(ctx, env, []string{"--config", cfgPath}) }()
	waitFor(t, "vigil to be running", func() bool { return strings.Contains(errOut.String(), "Vigil is running") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancellation")
	}
	out := errOut.String()
	if !strings.Contains(out, "no Discord token") {
		t.Errorf("run did not say it has no token:\n%s", out)
	}
	// The log reads as sentences and says when the feed is polled, and a
	// clean shutdown ends with "stopped".
	for _, want := range []string{"Vigil is running: 1 feed, 0 subscriptions", "next poll of " + feedSrv.URL, "shutting down"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	for _, jargon := range []string{" ops=", " quiet="} {
		if strings.Contains(out, jargon) {
			t.Errorf("the log still has the jargon key %q:\n%s", jargon, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, `msg=stopped`) {
		t.Errorf("the last log line is %q, want it to say Vigil stopped", last)
	}
}

func TestRunWithNothingToDoSaysSo(t *testing.T) {
	cfgPath := writeConfig(t, fmt.Sprintf("[storage]\npath = %q\n", filepath.Join(t.TempDir(), "v.db")))
	env, _, _ := testEnv("")
	err := runRun(context.Background(), env, []string{"--config", cfgPath})
	if err == nil || !strings.Contains(err.Error(), "vigil demo") {
		t.Errorf("err = %v; want a pointer to vigil demo", err)
	}
}

func TestRunWithATokenConnectsRegistersAndDelivers(t *testing.T) {
	const guildID, channelID = "930000000000000001", "930000000000000010"
	discord := discordtest.NewServer(t, discordtest.WithGuild(&discordgo.Guild{ID: guildID, Name: "Desk",
		Channels: []*discordgo.Channel{{ID: channelID, GuildID: guildID, Name: "alerts", Type: discordgo.ChannelTypeGuildText}}}))
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>Loopback Wire</title><item><guid>n1</guid>`+
			`<title>NATO moves troops to the Baltic states</title><link>https://wire.example/n1</link>`+
			`<description>Extra U.S. troops will reinforce Estonia, Latvia and Lithuania.</description><pubDate>%s</pubDate></item></channel></rss>`,
			time.Now().UTC().Format(time.RFC1123Z))
	}))
	t.Cleanup(feedSrv.Close)

	dbPath := filepath.Join(t.TempDir(), "vigil.db")
	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSubscription(context.Background(), alerts.Subscription{GuildID: guildID, ChannelID: channelID, Regions: []string{"baltic-states"}}, "admin"); err != nil {
		t.Fatal(err)
	}
	// A briefing due two minutes ago goes out at start.
	due := time.Now().UTC().Add(-2 * time.Minute).Format("15:04")
	if err := db.SetBriefing(context.Background(), alerts.BriefingSetting{GuildID: guildID, ChannelID: channelID, At: due, Timezone: "UTC"}, "admin"); err != nil {
		t.Fatal(err)
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
jitter = "0s"
first_poll_window = "24h"
[metrics]
address = ""
[log]
level = "warn"
[[feeds]]
url = %q
`, strings.TrimPrefix(discord.Token(), "Bot "), guildID, dbPath, feedSrv.URL))
	svc := startAgainstFake(t, cfgPath, discord)
	waitFor(t, "the slash commands to be registered", func() bool { return len(discord.Commands(guildID)) == 4 })
	waitFor(t, "the alert and the briefing to be posted and marked", func() bool {
		n, _ := svc.db.PendingCount(context.Background())
		b, _ := svc.db.Briefing(context.Background(), channelID)
		return len(discord.Messages(channelID)) == 2 && n == 0 && b.LastPeriod != ""
	})
	stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := svc.stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	var alert, briefing int
	for _, m := range discord.Messages(channelID) {
		switch title := m.Embeds[0].Title; {
		case strings.HasPrefix(title, "Daily briefing"):
			briefing++
		case strings.Contains(title, "Baltic states"):
			alert++
		default:
			t.Errorf("unexpected message %q", title)
		}
	}
	if alert != 1 || briefing != 1 {
		t.Errorf("%d alerts and %d briefings posted, want one of each", alert, briefing)
	}
}

// startAgainstFake starts the service of the config at cfgPath with its
// Discord requests sent to the fake; its context ends with the test.
func startAgainstFake(t *testing.T, cfgPath string, discord *discordtest.Server) *service {
	t.Helper()
	cfg, err := LoadConfig(cfgPath, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	svc, err := startService(ctx, cfg, newLogger(cfg.Log, io.Discard), func(s *service) { s.discordClient = discord.HTTPClient() })
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
