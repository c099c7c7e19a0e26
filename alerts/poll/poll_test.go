package poll_test

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
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/logtest"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/alerts/poll"
	"github.com/vigilbot/vigil/storage"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// rss renders an RSS 2.0 document holding items with the given GUIDs.
func rss(guids ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Wire</title><link>https://wire.example/</link>`)
	for i, g := range guids {
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>Story %s</title><link>https://wire.example/%s</link><description>Troops moved near the border, officials said.</description><pubDate>Mon, 23 Mar 2026 %02d:00:00 GMT</pubDate></item>`, g, g, g, 8+i%10)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// wire is a feed server on loopback whose items and failures a test sets.
type wire struct {
	mu     sync.Mutex
	body   string
	status int
	hits   int
}

func (w *wire) set(status int, body string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status, w.body = status, body
}

func (w *wire) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hits++
	etag := fmt.Sprintf(`"%x"`, len(w.body))
	if w.status == http.StatusOK && r.Header.Get("If-None-Match") == etag {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	rw.Header().Set("Content-Type", "application/rss+xml")
	rw.Header().Set("ETag", etag)
	rw.WriteHeader(w.status)
	io.WriteString(rw, w.body)
}

type deployment struct {
	db     *storage.DB
	poller *poll.Poller
}

// start opens the database at path and wires a poller as vigil run does,
// with the real fetcher allowed to reach loopback.
func start(t *testing.T, path string) deployment {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pipe := pipeline.New(pipeline.Config{Store: db, Logger: quiet, FirstPollWindow: 24 * 365 * time.Hour,
		Stages: pipeline.Stages{Match: func(dst []alerts.Match, s *alerts.Story, _ []string) []alerts.Match {
			return append(dst, alerts.Match{StoryID: s.ID, FeedURL: s.FeedURL, SubscriptionID: 1, ChannelID: "c1"})
		}}})
	p := poll.New(poll.Config{
		Fetcher:   feed.NewFetcher(feed.Options{AllowPrivate: true, Timeout: 2 * time.Second, Logger: quiet}),
		Store:     db,
		Processor: pipe,
		Logger:    quiet,
	})
	return deployment{db: db, poller: p}
}

func (d deployment) pollAll(t *testing.T) map[string]error {
	t.Helper()
	ctx := context.Background()
	feeds, err := d.db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{}
	for _, f := range feeds {
		_, errs[f.URL] = d.poller.Poll(ctx, f)
	}
	return errs
}

func TestBrokenFeedsFailAloneAndNothingIsLostOrDuplicatedAcrossARestart(t *testing.T) {
	ctx := context.Background()
	good, broken, garbled := &wire{status: 200, body: rss("a1", "a2")}, &wire{status: 500, body: "oops"}, &wire{status: 200, body: "<rss><channel><item><title>cut"}
	var urls []string
	for _, w := range []*wire{good, broken, garbled} {
		srv := httptest.NewServer(w)
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/rss")
	}
	path := filepath.Join(t.TempDir(), "vigil.db")
	d := start(t, path)
	if _, err := d.db.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1"}, "admin"); err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		if err := d.db.UpsertFeed(ctx, alerts.Feed{URL: u}); err != nil {
			t.Fatal(err)
		}
	}

	errs := d.pollAll(t)
	if errs[urls[0]] != nil {
		t.Fatalf("good feed failed: %v", errs[urls[0]])
	}
	for _, u := range urls[1:] {
		if errs[u] == nil {
			t.Fatalf("feed %s: no error", u)
		}
		f, _ := d.db.Feed(ctx, u)
		if f.LastError == "" || f.ConsecutiveFailures != 1 {
			t.Errorf("feed %s: last error %q, failures %d", u, f.LastError, f.ConsecutiveFailures)
		}
	}
	if got := errs[urls[1]].Error(); !strings.Contains(got, "500") {
		t.Errorf("500 error reads %q; want the status named", got)
	}

	// Restart: a new process on the same file, the feed now carrying one
	// more item.
	d.db.Close()
	good.set(200, rss("a1", "a2", "a3"))
	d = start(t, path)
	d.pollAll(t)
	d.pollAll(t) // and the same again: 304, nothing new

	pending, err := d.db.PendingDeliveries(ctx, time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pending {
		got = append(got, p.Story.ID)
	}
	if strings.Join(got, ",") != "a1,a2,a3" {
		t.Errorf("queued alerts = %v, want each story once: a1,a2,a3", got)
	}
	f, _ := d.db.Feed(ctx, urls[0])
	if f.ETag == "" || f.LastItemCount != 3 || f.Title != "Test Wire" {
		t.Errorf("good feed state = %+v", f)
	}
}

// scripted is a fetcher whose answers a test scripts, so the schedule can be
// tested in a synctest bubble where loopback sockets cannot live.
type scripted struct {
	mu    sync.Mutex
	calls map[string][]time.Time
	fail  map[string]int // fail the next n fetches
	panic map[string]bool
}

func (s *scripted) Fetch(ctx context.Context, url string, v feed.Validators) (*feed.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[url] = append(s.calls[url], time.Now())
	if s.panic[url] {
		s.panic[url] = false
		panic("parser bug")
	}
	if s.fail[url] > 0 {
		s.fail[url]--
		return nil, &feed.StatusError{Code: 503}
	}
	return &feed.Response{URL: url, StatusCode: 200, Body: []byte(rss("x"))}, nil
}

func (s *scripted) count(url string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls[url])
}

type nopProcessor struct{ n atomic.Int64 }

func (p *nopProcessor) Process(ctx context.Context, f alerts.Feed, stories []alerts.Story) (pipeline.Result, error) {
	p.n.Add(1)
	return pipeline.Result{}, nil
}

func TestScheduleSpreadsFeedsBacksOffFailuresAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		fetch := &scripted{calls: map[string][]time.Time{}, fail: map[string]int{"https://flaky.example/rss": 4}, panic: map[string]bool{"https://buggy.example/rss": true}}
		p := poll.New(poll.Config{Fetcher: fetch, Store: db, Processor: &nopProcessor{}, Logger: quiet,
			DefaultInterval: time.Minute, Jitter: 20 * time.Second, MaxBackoff: 8 * time.Minute})
		feeds := []alerts.Feed{{URL: "https://steady.example/rss"}, {URL: "https://flaky.example/rss"}, {URL: "https://buggy.example/rss"}}
		for _, f := range feeds {
			if err := db.UpsertFeed(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		p.Start(ctx)
		p.Sync(feeds)
		start := time.Now()

		time.Sleep(30*time.Minute + 30*time.Second)
		synctest.Wait()

		if n := fetch.count("https://steady.example/rss"); n < 30 || n > 31 {
			t.Errorf("steady feed polled %d times in 30 minutes at a 1-minute interval", n)
		}
		if first := fetch.calls["https://steady.example/rss"][0].Sub(start); first >= 20*time.Second {
			t.Errorf("first poll after %v; want within the 20s jitter", first)
		}
		// Four failures back off 2, 4, 8 (capped), 8 minutes, then the feed
		// recovers to its interval: far fewer polls than the steady feed,
		// but polled again at its interval at the end.
		flaky := fetch.calls["https://flaky.example/rss"]
		if len(flaky) < 8 || len(flaky) > 14 {
			t.Errorf("flaky feed polled %d times; want backoff then recovery", len(flaky))
		}
		if gap := flaky[len(flaky)-1].Sub(flaky[len(flaky)-2]); gap != time.Minute {
			t.Errorf("after recovering, the flaky feed is polled every %v, want 1m", gap)
		}
		f, _ := db.Feed(ctx, "https://flaky.example/rss")
		if f.ConsecutiveFailures != 0 || f.LastError != "" {
			t.Errorf("flaky feed after recovery: failures %d, error %q", f.ConsecutiveFailures, f.LastError)
		}
		// A poll that panicked must not stop its feed being polled.
		if n := fetch.count("https://buggy.example/rss"); n < 29 {
			t.Errorf("feed whose first poll panicked was polled %d times afterwards; want it polled on", n)
		}

		// Removing a feed stops its polls; the others go on.
		p.Sync(feeds[:1])
		before := fetch.count("https://flaky.example/rss")
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if after := fetch.count("https://flaky.example/rss"); after != before {
			t.Errorf("removed feed polled %d more times", after-before)
		}
		if err := p.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRestartPollsOverdueFeedsSoonAndOthersOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		now := time.Now()
		fetch := &scripted{calls: map[string][]time.Time{}}
		for _, f := range []alerts.Feed{{URL: "https://overdue.example/rss", Interval: 10 * time.Minute}, {URL: "https://recent.example/rss", Interval: 10 * time.Minute}} {
			db.UpsertFeed(ctx, f)
		}
		db.RecordPoll(ctx, "https://overdue.example/rss", alerts.PollResult{At: now.Add(-time.Hour)})
		db.RecordPoll(ctx, "https://recent.example/rss", alerts.PollResult{At: now.Add(-2 * time.Minute)})
		feeds, _ := db.Feeds(ctx)

		p := poll.New(poll.Config{Fetcher: fetch, Store: db, Processor: &nopProcessor{}, Logger: quiet, Jitter: time.Second})
		p.Start(ctx)
		p.Sync(feeds)
		time.Sleep(9 * time.Minute)
		synctest.Wait()
		if got := fetch.calls["https://overdue.example/rss"]; len(got) != 1 || got[0].Sub(now) > time.Second {
			t.Errorf("overdue feed polls = %v; want one, at once", got)
		}
		if got := fetch.calls["https://recent.example/rss"]; len(got) != 1 || got[0].Sub(now) < 8*time.Minute {
			t.Errorf("recently polled feed polls = %v; want one, when its interval ends", got)
		}
		p.Stop(ctx)
	})
}

// A feed that is due is polled within a few seconds of start, however wide
// the jitter, and the log says when each feed is polled next; a feed polled
// recently keeps its interval. (The first poll used to wait up to the whole
// 30 s jitter, with nothing logged about when.)
func TestDueFeedsArePolledPromptlyAndTheLogSaysWhen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var logs logtest.Buffer
		fetch := &scripted{calls: map[string][]time.Time{}}
		p := poll.New(poll.Config{Fetcher: fetch, Store: db, Processor: &nopProcessor{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			DefaultInterval: 10 * time.Minute, Jitter: 30 * time.Second, MaxBackoff: time.Hour})
		start := time.Now()
		feeds := []alerts.Feed{
			{URL: "https://new.example/rss"},
			{URL: "https://overdue.example/rss", LastPollAt: start.Add(-2 * time.Hour)},
			{URL: "https://recent.example/rss", LastPollAt: start.Add(-2 * time.Minute)},
		}
		for _, f := range feeds {
			if err := db.UpsertFeed(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		p.Start(ctx)
		p.Sync(feeds)
		time.Sleep(9 * time.Minute)
		synctest.Wait()

		tests := []struct {
			url            string
			earliest, last time.Duration
		}{
			{"https://new.example/rss", 0, 3 * time.Second},
			{"https://overdue.example/rss", 0, 3 * time.Second},
			{"https://recent.example/rss", 8 * time.Minute, 8*time.Minute + 30*time.Second},
		}
		for _, tt := range tests {
			fetch.mu.Lock()
			calls := fetch.calls[tt.url]
			fetch.mu.Unlock()
			if len(calls) != 1 {
				t.Errorf("%s polled %d times in 9 minutes, want once", tt.url, len(calls))
				continue
			}
			if at := calls[0].Sub(start); at < tt.earliest || at >= tt.last {
				t.Errorf("%s first polled after %v, want in [%v, %v)", tt.url, at, tt.earliest, tt.last)
			}
			want := "next poll of " + tt.url + " at "
			if !strings.Contains(logs.String(), want) {
				t.Errorf("the log does not say when %s is polled next (want %q):\n%s", tt.url, want, logs.String())
			}
		}
		if !strings.Contains(logs.String(), "then every 10m") {
			t.Errorf("the log does not give the interval as people write it:\n%s", logs.String())
		}
		if err := p.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
