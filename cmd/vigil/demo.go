package main

import (
	"bufio"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/brief"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/alerts/poll"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/storage"
)

// demoFeeds are three outlets' feeds (RSS 2.0, Atom, JSON Feed) with a dozen
// security stories across regions, two of them reported by two outlets.
// Their dates are templates, {{rfc3339 "2h40m"}} or {{rfc1123 "2h40m"}}: how
// long before the newest story each was published (see renderDemoFeed).
//
//go:embed demodata
var demoFeeds embed.FS

// demoChannel is a sample Discord channel and what it watches.
type demoChannel struct {
	name    string
	query   string
	regions []string
	scope   string
}

var demoChannels = []demoChannel{
	{name: "#baltic-watch", regions: []string{"baltic-states"}},
	{name: "#sahel-desk", regions: []string{"sahel"}},
	{name: "#indo-pacific", regions: []string{"south-china-sea", "taiwan-strait", "korean-peninsula"}},
	{name: "#cyber", query: "ransomware OR cyberattack OR hackers"},
	{name: "#maritime", query: `"Red Sea" OR tanker OR (cable -tv)`},
	{name: "#russia-watch", query: "Russia OR Russian OR Kremlin"},
	// Two ways to watch a region: the stories about it, and every story
	// that names it at all.
	{name: "#eastern-europe", regions: []string{"eastern-europe"}},
	{name: "#russia-mentions", regions: []string{"RU"}, scope: alerts.ScopeMentions},
}

// demoLead is how long before now the newest sample story was published:
// the samples read as the last day's news whenever the demo runs, so the
// briefing's period, which ends now, holds every story it shows.
const demoLead = 10 * time.Minute

// demoFeedBase is where the sample feeds appear to live. They are served on
// an ephemeral loopback port, but a feed's URL goes into its stories' keys
// and cluster IDs, so a URL holding the port would change them every run.
// (.localhost names are loopback by RFC 6761.)
const demoFeedBase = "http://vigil-demo.localhost/"

func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "demo", "demo\n\n"+
		"Runs the whole pipeline offline on sample feeds built into the binary: serves them\n"+
		"on 127.0.0.1, fetches, parses, tags places, summarises, clusters reports of the\n"+
		"same event, matches sample channel subscriptions and prints what each channel\n"+
		"would be sent, then the daily briefing of the first sample channel. Needs no\n"+
		"config, token or network.")
	verbose := fs.Bool("v", false, "log what the pipeline does")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, ""); err != nil {
		return err
	}
	logOut := io.Discard
	if *verbose {
		logOut = env.stderr
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := time.Now
	if env.now != nil {
		clock = env.now
	}
	now := clock()

	dir, err := os.MkdirTemp("", "vigil-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(dir)

	feedURLs, served, stopServer, err := serveDemoFeeds(now.Add(-demoLead))
	if err != nil {
		return err
	}
	defer stopServer()
	// With -v the fetcher logs the served address, the pipeline the stable one.
	log.Info("sample feeds served", "address", served, "as", demoFeedBase)

	cfg := DefaultConfig()
	cfg.Storage.Path = filepath.Join(dir, "demo.db")
	// The sample feeds are on loopback, which user feeds may not reach.
	cfg.HTTP.AllowedNetworks = []string{"127.0.0.1/32"}
	cfg.Metrics.Address = ""
	db, err := storage.Open(ctx, cfg.Storage.Path, storage.WithClock(clock))
	if err != nil {
		return err
	}
	defer db.Close()
	e, err := newEngine(cfg, log)
	if err != nil {
		return err
	}
	channelOf := map[string]demoChannel{}
	for i, ch := range demoChannels {
		id := fmt.Sprintf("10000000000000000%d", i)
		if _, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: "demo", ChannelID: id, Query: ch.query, Regions: ch.regions, Scope: ch.scope}, "demo"); err != nil {
			return err
		}
		channelOf[id] = ch
	}
	if err := e.reloadSubscriptions(ctx, db); err != nil {
		return err
	}
	// A real deployment's first poll of a feed alerts nothing; the demo
	// treats every sample story as fresh so there is something to show.
	pipe := pipeline.New(pipeline.Config{Stages: e.stages(), Store: db, FirstPollWindow: 100 * 365 * 24 * time.Hour, Logger: log, Now: clock})
	poller := poll.New(poll.Config{Fetcher: demoFetcher{next: e.fetcher, served: served}, Store: db, Processor: pipe, Logger: log, Now: clock})

	out := bufio.NewWriter(env.stdout)
	defer out.Flush()
	fmt.Fprintf(out, "Vigil demo: %d sample feeds served on loopback, %d sample channels.\n\n", len(feedURLs), len(demoChannels))
	var stories []alerts.Story
	for _, u := range feedURLs {
		if err := db.UpsertFeed(ctx, alerts.Feed{URL: u}); err != nil {
			return err
		}
		f, err := db.Feed(ctx, u)
		if err != nil {
			return err
		}
		o, err := poller.Poll(ctx, f)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		f, _ = db.Feed(ctx, u)
		fmt.Fprintf(out, "polled %-22s %2d stories, %2d alerts queued\n", f.Title, o.Result.Saved.Stories, o.Result.Saved.Deliveries)
		stories = append(stories, o.Result.Stories...)
	}

	fmt.Fprintf(out, "\n── Stories, as the pipeline sees them ──\n\n")
	sort.SliceStable(stories, func(i, j int) bool { return stories[i].Published.Before(stories[j].Published) })
	for _, s := range stories {
		writeStory(out, e, s)
	}

	pending, err := db.PendingDeliveries(ctx, now, 1000)
	if err != nil {
		return err
	}
	// The outbox sends oldest-queued first, which is the order the feeds
	// were polled in; a channel reads better in the order things happened.
	sort.SliceStable(pending, func(i, j int) bool {
		a, b := pending[i].Story, pending[j].Story
		if !a.Published.Equal(b.Published) {
			return a.Published.Before(b.Published)
		}
		if a.FeedURL != b.FeedURL {
			return a.FeedURL < b.FeedURL
		}
		return a.ID < b.ID
	})
	byCluster := map[string][]alerts.Story{}
	for _, s := range stories {
		byCluster[s.ClusterID] = append(byCluster[s.ClusterID], s)
	}
	fmt.Fprintf(out, "── What each channel would be sent ──\n")
	for i := range demoChannels {
		id := fmt.Sprintf("10000000000000000%d", i)
		ch := channelOf[id]
		fmt.Fprintf(out, "\n%s (watching %s)\n", ch.name, describeWatch(e, ch))
		n := 0
		for _, d := range pending {
			if d.ChannelID != id {
				continue
			}
			n++
			writeAlert(out, e, d, byCluster[d.ClusterID])
		}
		if n == 0 {
			fmt.Fprintln(out, "  (nothing today)")
		}
	}

	// The first sample channel's daily briefing, as if it were due now.
	ch := demoChannels[0]
	set := alerts.BriefingSetting{ChannelID: fmt.Sprintf("10000000000000000%d", 0), At: "07:00", Timezone: "UTC", Regions: []string{"nato-eastern-flank"}}
	// The period ends just after now, so that it holds what was queued
	// this very second.
	msgs, err := bot.ComposeBriefing(ctx, db, e.tagger, set, now.Add(-24*time.Hour), now.Add(time.Second), bot.BriefingTitle(set, now))
	if err != nil {
		return fmt.Errorf("demo: briefing: %w", err)
	}
	fmt.Fprintf(out, "\n── The daily briefing %s would get (/briefing set time:07:00 timezone:UTC regions:nato-eastern-flank) ──\n", ch.name)
	writeBriefing(out, msgs)
	return nil
}

// discordTimestamp is Discord's relative-time markup, <t:UNIX:R>, which a
// terminal shows as the time it stands for.
var discordTimestamp = regexp.MustCompile(`<t:(-?\d+):R>`)

// writeBriefing prints a briefing's messages and embeds as posted, with
// Discord's timestamps written out.
func writeBriefing(w io.Writer, msgs []brief.Message) {
	for i, m := range msgs {
		if len(msgs) > 1 {
			fmt.Fprintf(w, "\n[message %d of %d]\n", i+1, len(msgs))
		}
		for _, e := range m.Embeds {
			fmt.Fprintf(w, "\n  ▌ %s\n", e.Title)
			desc := discordTimestamp.ReplaceAllStringFunc(e.Description, func(m string) string {
				unix, _ := strconv.ParseInt(discordTimestamp.FindStringSubmatch(m)[1], 10, 64)
				return time.Unix(unix, 0).UTC().Format("Mon 15:04 UTC")
			})
			for _, line := range strings.Split(desc, "\n") {
				fmt.Fprintf(w, "  ▌ %s\n", line)
			}
		}
	}
}

func describeWatch(e *engine, ch demoChannel) string {
	var parts []string
	if ch.query != "" {
		parts = append(parts, "query "+ch.query)
	}
	if len(ch.regions) > 0 {
		names := make([]string, len(ch.regions))
		for i, r := range ch.regions {
			names[i] = e.tagger.Name(r)
		}
		what := "stories about "
		if ch.scope == alerts.ScopeMentions {
			what = "any mention of "
		}
		parts = append(parts, what+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}

// writeAlert prints an alert as the Discord embed would show it.
func writeAlert(w io.Writer, e *engine, d alerts.Delivery, cluster []alerts.Story) {
	s := d.Story
	fmt.Fprintf(w, "  ┌ %s\n", s.Title)
	fmt.Fprintf(w, "  │ %s\n", s.URL)
	fmt.Fprintf(w, "  │ %s · %s\n", s.Source, s.Published.UTC().Format("2 Jan 15:04 MST"))
	if places := e.placeNames(s); places != "" {
		fmt.Fprintf(w, "  │ %s\n", places)
	}
	if s.Summary != "" {
		fmt.Fprintf(w, "  │ %s\n", strings.ReplaceAll(s.Summary, "\n", "\n  │ "))
	}
	if len(d.Terms) > 0 {
		fmt.Fprintf(w, "  │ matched: %s\n", strings.Join(d.Terms, ", "))
	}
	var others []string
	for _, c := range cluster {
		if c.FeedURL != s.FeedURL {
			others = append(others, c.Source)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(w, "  │ also reported by: %s\n", strings.Join(others, ", "))
	}
	fmt.Fprintln(w, "  └")
}

// demoFetcher fetches the sample feeds from where serveDemoFeeds serves
// them, through the real fetcher, while the pipeline knows them by their
// stable demoFeedBase URLs.
type demoFetcher struct {
	next   poll.Fetcher
	served string
}

func (f demoFetcher) Fetch(ctx context.Context, url string, v feed.Validators) (*feed.Response, error) {
	if rest, ok := strings.CutPrefix(url, demoFeedBase); ok {
		url = f.served + rest
	}
	return f.next.Fetch(ctx, url, v)
}

// serveDemoFeeds serves the embedded feeds, dated so that the newest story
// was published at latest, on an ephemeral loopback port. It returns the
// feeds' stable URLs, in a stable order, and the served address that
// stands for demoFeedBase.
func serveDemoFeeds(latest time.Time) ([]string, string, func(), error) {
	sub, err := fs.Sub(demoFeeds, "demodata")
	if err != nil {
		return nil, "", nil, err
	}
	names, err := fs.Glob(sub, "*")
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0).String())
	if err != nil {
		return nil, "", nil, fmt.Errorf("demo: serve sample feeds: %w", err)
	}
	mux := http.NewServeMux()
	var urls []string
	for _, name := range names {
		body, err := renderDemoFeed(sub, name, latest)
		if err != nil {
			ln.Close()
			return nil, "", nil, err
		}
		ctype := map[string]string{".xml": "application/rss+xml", ".atom": "application/atom+xml", ".json": "application/feed+json"}[path.Ext(name)]
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype+"; charset=utf-8")
			w.Write(body)
		})
		urls = append(urls, demoFeedBase+name)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "demo feed server:", err)
		}
	}()
	return urls, "http://" + ln.Addr().String() + "/", func() { srv.Close() }, nil
}

// renderDemoFeed is the sample feed name with its dates filled in: each
// template call names how long before latest the story was published, in
// the feed format's own date syntax.
func renderDemoFeed(fsys fs.FS, name string, latest time.Time) ([]byte, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	at := func(layout string) func(string) (string, error) {
		return func(ago string) (string, error) {
			d, err := time.ParseDuration(ago)
			if err != nil {
				return "", err
			}
			return latest.Add(-d).UTC().Format(layout), nil
		}
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"rfc3339": at(time.RFC3339),
		// RSS dates are RFC 822 with a four-digit year, in GMT.
		"rfc1123": at("Mon, 02 Jan 2006 15:04:05 GMT"),
	}).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("demo: sample feed %s: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, nil); err != nil {
		return nil, fmt.Errorf("demo: sample feed %s: %w", name, err)
	}
	return []byte(b.String()), nil
}
