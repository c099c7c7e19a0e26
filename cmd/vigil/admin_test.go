package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/opml"
	"github.com/vigilbot/vigil/storage"
)

const (
	adminGuild   = "930000000000000001"
	adminChannel = "930000000000000010"
)

// adminConfig writes a config naming a fresh database, created as `vigil
// run` would create it, and returns the config's path and the database's.
func adminConfig(t *testing.T, extra string) (cfgPath, dbPath string) {
	t.Helper()
	dbPath = filepath.Join(t.TempDir(), "vigil.db")
	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return writeConfig(t, fmt.Sprintf("[storage]\npath = %q\n%s", dbPath, extra)), dbPath
}

// cli runs one vigil command in-process and returns its output.
func cli(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	env, out, errOut := testEnv(stdin)
	err = dispatch(context.Background(), env, args)
	return out.String(), errOut.String(), err
}

func sortedFeeds(f []opml.Feed) []opml.Feed {
	f = slices.Clone(f)
	slices.SortFunc(f, func(a, b opml.Feed) int { return strings.Compare(a.URL, b.URL) })
	return f
}

// A feed reader's export imports, and exports back with the same feeds,
// titles, sites and folders.
func TestFeedsImportThenExportKeepsAReadersList(t *testing.T) {
	cfg, _ := adminConfig(t, "")
	const export = "../../alerts/opml/testdata/inoreader-export.opml"
	out, errOut, err := cli(t, "", "feeds", "import", "--config", cfg, "--guild", adminGuild, export)
	if err != nil {
		t.Fatalf("import: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(out, "9 added, 0 already there, 0 refused") {
		t.Errorf("import said:\n%s", out)
	}
	// Importing again adds nothing and says so.
	if out, _, err := cli(t, "", "feeds", "import", "--guild", adminGuild, "--config", cfg, export); err != nil || !strings.Contains(out, "0 added, 9 already there") {
		t.Errorf("second import: %v\n%s", err, out)
	}
	exported, _, err := cli(t, "", "feeds", "export", "--config", cfg, "--guild", adminGuild)
	if err != nil {
		t.Fatal(err)
	}
	got, err := opml.Parse(strings.NewReader(exported))
	if err != nil {
		t.Fatalf("our export does not parse: %v\n%s", err, exported)
	}
	f, err := os.Open(export)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := opml.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sortedFeeds(got), sortedFeeds(want)) {
		t.Errorf("exported feeds differ from the imported ones:\n got %+v\nwant %+v", sortedFeeds(got), sortedFeeds(want))
	}
	// And the export is stable: exporting twice gives the same feeds in
	// the same order.
	again, _, _ := cli(t, "", "feeds", "export", "--config", cfg, "--guild", adminGuild)
	g2, _ := opml.Parse(strings.NewReader(again))
	if !slices.Equal(got, g2) {
		t.Error("two exports list the feeds in different orders")
	}
	// Another server sees none of them.
	other, _, err := cli(t, "", "feeds", "export", "--config", cfg, "--guild", "930000000000000002")
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := opml.Parse(strings.NewReader(other)); len(g) != 0 {
		t.Errorf("another server's export lists %d feeds", len(g))
	}
}

// The headless commands follow the rules the slash commands do, and say
// what is wrong in words.
func TestAdminCommandsRefuseWhatSlashCommandsRefuse(t *testing.T) {
	cfg, _ := adminConfig(t, "")
	if _, _, err := cli(t, "", "feeds", "add", "--config", cfg, "--guild", adminGuild, "https://www.bellingcat.com/feed/"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"loopback feed", []string{"feeds", "add", "--guild", adminGuild, "http://127.0.0.1:8080/rss"}, false, "refused"},
		{"no server", []string{"feeds", "add", "https://example.org/rss"}, true, "[[feeds]]"},
		{"not an ID", []string{"feeds", "add", "--guild", "my-server", "https://example.org/rss"}, true, "not a Discord ID"},
		{"no URL", []string{"feeds", "add", "--guild", adminGuild}, true, "at least one feed URL"},
		{"unknown subcommand", []string{"feeds", "delete"}, true, `unknown command "delete"`},
		{"no subcommand", []string{"watch"}, true, "add, list, remove"},
		{"remove a feed never added", []string{"feeds", "remove", "--guild", adminGuild, "https://example.org/rss"}, false, "did not add"},
		{"watch with nothing to match", []string{"watch", "add", "--guild", adminGuild, "--channel", adminChannel}, true, "--query, --region or --feed"},
		{"bad query", []string{"watch", "add", "--guild", adminGuild, "--channel", adminChannel, "--query", `"drone`}, true, "--query"},
		{"unknown region", []string{"watch", "add", "--guild", adminGuild, "--channel", adminChannel, "--region", "Atlantis"}, true, "Atlantis"},
		{"bad scope", []string{"watch", "add", "--guild", adminGuild, "--channel", adminChannel, "--region", "PL", "--scope", "all"}, true, "focus"},
		{"feed the server lacks", []string{"watch", "add", "--guild", adminGuild, "--channel", adminChannel, "--feed", "https://example.org/rss"}, false, "feeds add"},
		{"query as an argument", []string{"watch", "add", "--guild", adminGuild, "--channel", adminChannel, "drone"}, true, "--query"},
		{"remove a subscription never made", []string{"watch", "remove", "--channel", adminChannel, "42"}, false, "no subscription 42"},
		{"remove by a name", []string{"watch", "remove", "--channel", adminChannel, "drones"}, true, "not a subscription ID"},
		{"recent limit", []string{"recent", "--limit", "0"}, true, "1 to 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Flags may come after the arguments, as they do here.
			args := tt.args
			if len(args) > 1 {
				args = append(slices.Clone(args), "--config", cfg)
			}
			_, errOut, err := cli(t, "", args...)
			if err == nil {
				t.Fatalf("%v succeeded", tt.args)
			}
			if errors.Is(err, errUsage) != tt.usage {
				t.Errorf("usage error = %v, want %v (%v)", errors.Is(err, errUsage), tt.usage, err)
			}
			if msg := err.Error() + errOut; !strings.Contains(msg, tt.want) {
				t.Errorf("error %q (stderr %q) does not say %q", err, errOut, tt.want)
			}
		})
	}
	// The loopback refusal names the config key that allows it.
	_, errOut, _ := cli(t, "", "feeds", "add", "--config", cfg, "--guild", adminGuild, "http://127.0.0.1:8080/rss")
	if !strings.Contains(errOut, "allow") {
		t.Errorf("the loopback refusal does not say how to allow it: %q", errOut)
	}
	out, _, err := cli(t, "", "feeds", "list", "--config", cfg)
	if err != nil || strings.Contains(out, "127.0.0.1") || !strings.Contains(out, "bellingcat") {
		t.Errorf("after the refusals, feeds list = %v\n%s", err, out)
	}
}

func TestAdminCommandsNeverCreateADatabase(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere", "vigil.db")
	cfg := writeConfig(t, fmt.Sprintf("[storage]\npath = %q\n", missing))
	_, _, err := cli(t, "", "feeds", "list", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("err = %v, want it to say there is no database", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the command left a file at %s", missing)
	}
}

func TestWatchAddListRemove(t *testing.T) {
	cfg, _ := adminConfig(t, "")
	feed := "https://www.bellingcat.com/feed/"
	if _, _, err := cli(t, "", "feeds", "add", "--config", cfg, "--guild", adminGuild, feed); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, "", "watch", "add", "--config", cfg, "--guild", adminGuild, "--channel", adminChannel,
		"--query", "drone OR missile", "--region", "Baltic states", "--region", "Poland", "--feed", feed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "subscription 1: channel "+adminChannel) || !strings.Contains(out, "about baltic-states, PL") {
		t.Errorf("watch add said:\n%s", out)
	}
	out, _, err = cli(t, "", "watch", "list", "--config", cfg, "--guild", adminGuild)
	if err != nil || !strings.Contains(out, `"drone OR missile" about baltic-states, PL from `+feed) {
		t.Errorf("watch list = %v\n%s", err, out)
	}
	if out, _, _ := cli(t, "", "watch", "list", "--config", cfg, "--guild", "930000000000000002"); !strings.Contains(out, "No subscriptions") {
		t.Errorf("another server's list:\n%s", out)
	}
	if _, _, err := cli(t, "", "watch", "remove", "--config", cfg, "--channel", adminChannel, "1"); err != nil {
		t.Fatal(err)
	}
	if out, _, _ := cli(t, "", "watch", "list", "--config", cfg); !strings.Contains(out, "No subscriptions") {
		t.Errorf("after remove:\n%s", out)
	}
}

func TestRecentListsStoredStoriesNewestFirst(t *testing.T) {
	cfg, dbPath := adminConfig(t, "")
	ctx := context.Background()
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	const feed = "https://wire.example/rss"
	if _, err := db.AddGuildFeed(ctx, adminGuild, alerts.Feed{URL: feed}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Minute)
	var stories []alerts.Story
	for i, title := range []string{"Drone strikes depot near Odesa", "Estonia expels diplomat", "Mali junta extends transition"} {
		at := now.Add(-time.Duration(3-i) * time.Hour)
		stories = append(stories, alerts.Story{ID: fmt.Sprint(i), FeedURL: feed, Source: "Wire", Title: title, Text: title + ".",
			URL: fmt.Sprintf("https://wire.example/%d", i), Published: at, FirstSeen: at})
	}
	if _, err := db.SaveStories(ctx, feed, stories, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out, _, err := cli(t, "", "recent", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	mali, estonia, drone := strings.Index(out, "Mali"), strings.Index(out, "Estonia"), strings.Index(out, "Drone")
	if mali < 0 || estonia < 0 || drone < 0 || !(mali < estonia && estonia < drone) {
		t.Errorf("recent is not newest first:\n%s", out)
	}
	if !strings.Contains(out, "https://wire.example/2") || !strings.Contains(out, "Wire") {
		t.Errorf("recent lacks the link or source:\n%s", out)
	}
	out, _, err = cli(t, "", "recent", "--config", cfg, "--query", "drone", "--guild", adminGuild)
	if err != nil || !strings.Contains(out, "Odesa") || strings.Contains(out, "Mali") {
		t.Errorf("recent --query drone = %v\n%s", err, out)
	}
	out, _, _ = cli(t, "", "recent", "--config", cfg, "--since", "90m")
	if !strings.Contains(out, "Mali") || strings.Contains(out, "Estonia") {
		t.Errorf("recent --since 90m:\n%s", out)
	}
	out, _, _ = cli(t, "", "recent", "--config", cfg, "--guild", "930000000000000002")
	if !strings.Contains(out, "No stories") {
		t.Errorf("another server's recent:\n%s", out)
	}
}

// A running service picks up a feed and a subscription added from the
// command line, with no restart: the new feed is polled and its next story
// is queued for the new channel.
func TestTheServicePicksUpHeadlessChangesWithoutARestart(t *testing.T) {
	var items atomic.Int32
	var polls atomic.Int32
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		polls.Add(1)
		w.Header().Set("Content-Type", "application/rss+xml")
		var b bytes.Buffer
		b.WriteString(`<rss version="2.0"><channel><title>Loopback Wire</title>`)
		for i := range int(items.Load()) {
			fmt.Fprintf(&b, `<item><guid>n%d</guid><title>Drone attack number %d on Polish border post</title><link>https://wire.example/n%d</link>`+
				`<description>A drone struck a border post in eastern Poland, officials in Warsaw said.</description><pubDate>%s</pubDate></item>`,
				i, i, i, time.Now().UTC().Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		w.Write(b.Bytes())
	}))
	t.Cleanup(feedSrv.Close)
	items.Store(1)
	// One config feed keeps the service from refusing to start with
	// nothing to do; the feed under test is added while it runs.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<rss version="2.0"><channel><title>Quiet</title></channel></rss>`))
	}))
	t.Cleanup(other.Close)
	cfgPath, _ := adminConfig(t, fmt.Sprintf("[http]\nallowed_networks = [\"127.0.0.1/32\"]\n[metrics]\naddress = \"\"\n[log]\nlevel = \"warn\"\n[[feeds]]\nurl = %q\n", other.URL))
	cfg, err := LoadConfig(cfgPath, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := startService(ctx, cfg, newLogger(cfg.Log, io.Discard), func(s *service) { s.reloadEvery = 100 * time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		defer stop()
		svc.stop(stopCtx)
	}()

	feedURL := feedSrv.URL + "/rss"
	if out, errOut, err := cli(t, "", "feeds", "add", "--config", cfgPath, "--guild", adminGuild, feedURL); err != nil {
		t.Fatalf("feeds add: %v\n%s%s", err, out, errOut)
	}
	waitFor(t, "the running service to poll the feed added from the command line", func() bool { return polls.Load() > 0 })
	if out, errOut, err := cli(t, "", "watch", "add", "--config", cfgPath, "--guild", adminGuild, "--channel", adminChannel, "--query", "drone", "--region", "Poland"); err != nil {
		t.Fatalf("watch add: %v\n%s%s", err, out, errOut)
	}
	// The index is rebuilt on the next reload tick; give it two before the
	// feed's next item appears, then poll the feed at once.
	time.Sleep(300 * time.Millisecond)
	items.Store(2)
	f, err := svc.db.Feed(ctx, feedURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.poller.Poll(ctx, f); err != nil {
		t.Fatal(err)
	}
	pending, err := svc.db.ChannelQueue(ctx, adminChannel, time.Now().Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || !strings.Contains(pending[0].Story.Title, "number 1") {
		t.Errorf("queued for the channel added from the command line: %+v, want the feed's new story", pending)
	}
}
