// Package poll schedules feed polls with robfig/cron: one entry per feed,
// spread by a per-feed jitter, with failing feeds backing off exponentially.
// Each poll fetches the feed conditionally, parses it and hands the stories to
// the pipeline, then records the outcome on the feed.
package poll

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/pipeline"
)

// Fetcher fetches a feed document, conditionally.
type Fetcher interface {
	Fetch(ctx context.Context, url string, v feed.Validators) (*feed.Response, error)
}

// Store keeps each feed's poll state.
type Store interface {
	Feed(ctx context.Context, url string) (alerts.Feed, error)
	RecordPoll(ctx context.Context, url string, r alerts.PollResult) error
}

// Processor takes a poll's stories through the pipeline.
type Processor interface {
	Process(ctx context.Context, f alerts.Feed, stories []alerts.Story) (pipeline.Result, error)
}

// Config builds a Poller.
type Config struct {
	Fetcher   Fetcher
	Store     Store
	Processor Processor
	// DefaultInterval applies to feeds without their own interval.
	DefaultInterval time.Duration
	// Jitter spreads feeds of the same interval over this window so they do
	// not all hit the network, and the same outlet, at once.
	Jitter time.Duration
	// MaxBackoff caps how long a failing feed waits between tries.
	MaxBackoff time.Duration
	// Concurrency is how many polls may run at once.
	Concurrency int
	Now         func() time.Time
	Logger      *slog.Logger
	// OnPoll, if set, is told the outcome of every poll, for metrics.
	OnPoll func(url string, out Outcome, err error)
	// Claim, if set, is asked before each scheduled poll whether this
	// process is the one to poll the feed now, when several share the
	// database; release is called when the poll is over.
	Claim func(ctx context.Context, url string) (release func(), ok bool)
}

// Defaults used when Config leaves a value zero.
const (
	defaultInterval    = 5 * time.Minute
	defaultMaxBackoff  = 6 * time.Hour
	defaultConcurrency = 8
	// suspiciousDropRatio: a feed that suddenly holds less than this share
	// of its last good item count is probably broken upstream (a truncated
	// or error page that still parses), so it is logged, and nothing is
	// inferred from the missing items.
	suspiciousDropRatio = 0.5
	// suspiciousMinItems: small feeds swing naturally; only judge feeds
	// that held at least this many items.
	suspiciousMinItems = 10
)

// Poller runs the polls. Start it, Sync it with the feeds to poll, Stop it.
type Poller struct {
	cfg  Config
	cron *cron.Cron
	sem  chan struct{}

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	entries map[string]scheduled
}

type scheduled struct {
	id       cron.EntryID
	interval time.Duration
}

// New returns a Poller; it polls nothing until Start and Sync.
func New(cfg Config) *Poller {
	if cfg.DefaultInterval <= 0 {
		cfg.DefaultInterval = defaultInterval
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = defaultMaxBackoff
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cl := cronLogger{cfg.Logger}
	p := &Poller{
		cfg: cfg,
		// SkipIfStillRunning must wrap Recover: the other way round, a
		// panicking poll would never give back the skip token and its feed
		// would never be polled again.
		cron:    cron.New(cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)), cron.WithLogger(cl)),
		sem:     make(chan struct{}, cfg.Concurrency),
		entries: make(map[string]scheduled),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	return p
}

// Start starts the scheduler; ctx bounds every poll it runs.
func (p *Poller) Start(ctx context.Context) {
	p.mu.Lock()
	p.ctx, p.cancel = context.WithCancel(ctx)
	p.mu.Unlock()
	p.cron.Start()
}

// Stop stops scheduling new polls, cancels running ones and waits for them
// to end or for ctx to expire.
func (p *Poller) Stop(ctx context.Context) error {
	done := p.cron.Stop()
	p.mu.Lock()
	p.cancel()
	p.mu.Unlock()
	select {
	case <-done.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop poller: %w", ctx.Err())
	}
}

// Sync makes the schedule match feeds: new feeds are added, removed ones
// dropped, and feeds whose interval changed rescheduled. It is cheap to call
// after every change.
func (p *Poller) Sync(feeds []alerts.Feed) {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := make(map[string]alerts.Feed, len(feeds))
	for _, f := range feeds {
		want[f.URL] = f
	}
	for url, e := range p.entries {
		f, ok := want[url]
		if !ok || p.interval(f) != e.interval {
			p.cron.Remove(e.id)
			delete(p.entries, url)
		}
	}
	now := p.cfg.Now()
	for url, f := range want {
		if _, ok := p.entries[url]; ok {
			continue
		}
		every := p.interval(f)
		first := p.firstDelay(f, every, now)
		sched := &feedSchedule{first: first, every: every}
		id := p.cron.Schedule(sched, cron.FuncJob(func() { p.pollScheduled(url) }))
		p.entries[url] = scheduled{id: id, interval: every}
		p.cfg.Logger.Info(fmt.Sprintf("next poll of %s at %s (%s), then every %s",
			feed.RedactURL(url), clock(now.Add(first), now), inTime(first), alerts.FormatDuration(every)),
			"feed", feed.RedactURL(url), "next_poll", now.Add(first), "interval", every)
	}
}

// inTime is how soon a poll comes, in whole seconds: the jitter's
// nanoseconds mean nothing to a reader.
func inTime(d time.Duration) string {
	if d < time.Second {
		return "now"
	}
	return "in " + alerts.FormatDuration(d)
}

// clock is a poll time as a log reader wants it: the time of day in UTC,
// with the date only when it is not today.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05 UTC")
	}
	return t.Format("Mon 2 Jan 15:04:05 UTC")
}

// Scheduled returns the URLs being polled.
func (p *Poller) Scheduled() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.entries))
	for url := range p.entries {
		out = append(out, url)
	}
	return out
}

func (p *Poller) interval(f alerts.Feed) time.Duration {
	if f.Interval > 0 {
		return f.Interval
	}
	return p.cfg.DefaultInterval
}

// promptSpread bounds how long a feed that is due (never polled, or overdue
// after downtime) waits for its first poll. A new admin expects to see the
// feed polled at once; a few seconds' spread is enough to keep a restart of
// many feeds from fetching them all in the same instant, and the poller's
// concurrency limit does the rest.
const promptSpread = 3 * time.Second

// firstDelay is when a newly scheduled feed is first polled: within
// promptSpread if it is due, else when its interval since the last poll ends
// plus its jitter, so that a restart neither skips a poll nor polls
// everything at once, and a feed keeps its phase.
func (p *Poller) firstDelay(f alerts.Feed, every time.Duration, now time.Time) time.Duration {
	due := f.LastPollAt.Add(every).Sub(now)
	if f.LastPollAt.IsZero() || due <= 0 {
		return jitterOffset(f.URL, min(p.cfg.Jitter, promptSpread))
	}
	return due + jitterOffset(f.URL, p.cfg.Jitter)
}

// jitterOffset spreads feeds deterministically over [0, jitter): the same
// feed keeps its phase across restarts.
func jitterOffset(url string, jitter time.Duration) time.Duration {
	if jitter <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(url))
	return time.Duration(h.Sum64() % uint64(jitter))
}

// feedSchedule fires first after a delay, then every interval. Only the cron
// goroutine calls Next.
type feedSchedule struct {
	first, every time.Duration
	started      bool
}

func (s *feedSchedule) Next(t time.Time) time.Time {
	if !s.started {
		s.started = true
		return t.Add(s.first)
	}
	return t.Add(s.every)
}

// pollScheduled is one tick of a feed's schedule. Its log lines show the
// URL through feed.RedactURL: feed URLs may carry credentials, and a
// failing feed is logged on every tick.
func (p *Poller) pollScheduled(url string) {
	p.mu.Lock()
	ctx := p.ctx
	p.mu.Unlock()
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-p.sem }()
	if p.cfg.Claim != nil {
		release, ok := p.cfg.Claim(ctx, url)
		if !ok {
			return
		}
		defer release()
	}
	f, err := p.cfg.Store.Feed(ctx, url)
	if err != nil {
		p.cfg.Logger.Error("poll: cannot read feed state", "feed", feed.RedactURL(url), "err", err)
		return
	}
	if wait := p.backoffLeft(f); wait > 0 {
		p.cfg.Logger.Debug(fmt.Sprintf("not polling %s yet: it failed %s in a row, so it rests %s more",
			feed.RedactURL(url), plural(f.ConsecutiveFailures, "time", "times"), alerts.FormatDuration(wait)))
		return
	}
	if _, err := p.Poll(ctx, f); err != nil && ctx.Err() == nil {
		failures := f.ConsecutiveFailures + 1
		rest := p.backoff(f, failures)
		p.cfg.Logger.Warn(fmt.Sprintf("could not poll %s (%s in a row); next try at %s (in %s), backing off until it answers",
			feed.RedactURL(url), plural(failures, "failure", "failures"), clock(p.cfg.Now().Add(rest), p.cfg.Now()), alerts.FormatDuration(rest)),
			"feed", feed.RedactURL(url), "failures", failures, "retry_in", rest, "err", err)
	}
}

// backoffLeft is how much longer a failing feed should rest: its interval
// doubled per consecutive failure, capped at MaxBackoff.
func (p *Poller) backoffLeft(f alerts.Feed) time.Duration {
	if f.ConsecutiveFailures == 0 || f.LastPollAt.IsZero() {
		return 0
	}
	wait := p.backoff(f, f.ConsecutiveFailures)
	// Ticks arrive every interval; allow one tick's slack so a feed whose
	// wait ends between ticks is not held back a whole extra tick.
	left := f.LastPollAt.Add(wait).Sub(p.cfg.Now())
	if left <= p.interval(f)/2 {
		return 0
	}
	return left
}

// backoff is how long a feed rests after failures in a row: its interval
// doubled per failure, capped at MaxBackoff. Ticks come every interval, so
// the next try is the first tick after that.
func (p *Poller) backoff(f alerts.Feed, failures int) time.Duration {
	wait := p.interval(f)
	for i := 0; i < failures && wait < p.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	return min(wait, p.cfg.MaxBackoff)
}

// Outcome is what one poll did.
type Outcome struct {
	NotModified bool
	Items       int
	Result      pipeline.Result
}

// Poll polls one feed now and records the outcome on it. The error, if any,
// is also what the feed's last_error shows the admin.
func (p *Poller) Poll(ctx context.Context, f alerts.Feed) (Outcome, error) {
	out, err := p.poll(ctx, f)
	rec := alerts.PollResult{At: p.cfg.Now(), Err: err, NotModified: out.NotModified}
	if ctx.Err() != nil && err != nil {
		// Shutting down is not the feed's fault.
		return out.Outcome, err
	}
	if err == nil && !out.NotModified {
		rec.ItemCount = out.Items
		if out.suspicious {
			// Keep comparing against the last count we trusted.
			rec.ItemCount = f.LastItemCount
		}
		rec.Title = out.title
		rec.ETag, rec.LastModified = out.validators.ETag, out.validators.LastModified
	}
	if rerr := p.cfg.Store.RecordPoll(context.WithoutCancel(ctx), f.URL, rec); rerr != nil {
		err = errors.Join(err, rerr)
	}
	if p.cfg.OnPoll != nil {
		p.cfg.OnPoll(f.URL, out.Outcome, err)
	}
	return out.Outcome, err
}

type pollOutcome struct {
	Outcome
	title      string
	validators feed.Validators
	suspicious bool
}

func (p *Poller) poll(ctx context.Context, f alerts.Feed) (pollOutcome, error) {
	resp, err := p.cfg.Fetcher.Fetch(ctx, f.URL, feed.Validators{ETag: f.ETag, LastModified: f.LastModified})
	if errors.Is(err, feed.ErrNotModified) {
		return pollOutcome{Outcome: Outcome{NotModified: true}}, nil
	}
	if err != nil {
		return pollOutcome{}, err
	}
	parsed, err := feed.Parse(f.URL, resp.Body, p.cfg.Now())
	if err != nil {
		return pollOutcome{}, err
	}
	n := len(parsed.Stories)
	suspicious := f.LastItemCount >= suspiciousMinItems && float64(n) < float64(f.LastItemCount)*suspiciousDropRatio
	if suspicious {
		p.cfg.Logger.Warn("feed suddenly holds far fewer items than last time; treating it as suspicious, nothing is removed",
			"feed", feed.RedactURL(f.URL), "items", n, "previous", f.LastItemCount)
	}
	res, err := p.cfg.Processor.Process(ctx, f, parsed.Stories)
	if err != nil {
		return pollOutcome{}, err
	}
	if res.Saved.Stories > 0 {
		msg := fmt.Sprintf("%s brought %s and queued %s", feed.RedactURL(f.URL), plural(res.Saved.Stories, "new story", "new stories"), plural(res.Saved.Deliveries, "alert", "alerts"))
		if res.Quiet > 0 {
			// Quiet stories are the ones the first poll of a feed only records.
			msg += fmt.Sprintf("; %s on the feed before Vigil watched it recorded without alerts", plural(res.Quiet, "story", "stories"))
		}
		p.cfg.Logger.Info(msg, "feed", feed.RedactURL(f.URL), "stories", res.Saved.Stories, "alerts", res.Saved.Deliveries)
	}
	return pollOutcome{
		Outcome:    Outcome{Items: n, Result: res},
		title:      parsed.Title,
		validators: resp.Validators,
		suspicious: suspicious,
	}, nil
}

// cronLogger sends cron's own logging to slog; cron's Info is chatty (every
// wake-up), so it goes to Debug.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
