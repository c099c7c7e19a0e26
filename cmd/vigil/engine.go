package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/article"
	"github.com/vigilbot/vigil/alerts/cluster"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/geo"
	"github.com/vigilbot/vigil/alerts/match"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/alerts/summary"
	"github.com/vigilbot/vigil/storage"
)

// engine holds the pipeline's stages built from the config: the one place
// that knows how alerts' packages fit together.
type engine struct {
	cfg       Config
	log       *slog.Logger
	fetcher   *feed.Fetcher
	articles  *article.Extractor
	tagger    *geo.Tagger
	clusterer *cluster.Clusterer
	index     atomic.Pointer[match.Index]

	// recallMu makes one poll at a time read what other processes stored;
	// recallFrom is where the next read starts.
	recallMu   sync.Mutex
	recallFrom time.Time
}

// clusterRestoreLimit bounds how many recent stories re-seed the clusterer
// at start; a busy deployment's 48 hours fit well within it.
const clusterRestoreLimit = 200_000

func newEngine(cfg Config, log *slog.Logger) (*engine, error) {
	tagger, err := geo.New(regionDefs(cfg)...)
	if err != nil {
		return nil, &ConfigError{File: cfg.fileName, Key: "regions", Msg: err.Error()}
	}
	fetcher := newFetcher(cfg, log)
	e := &engine{
		cfg:       cfg,
		log:       log,
		fetcher:   fetcher,
		articles:  article.New(fetcher.Client(), cfg.HTTP.MaxBodyBytes, cfg.HTTP.Timeout.Duration),
		tagger:    tagger,
		clusterer: cluster.New(cluster.Options{Window: cfg.Cluster.Window.Duration}),
	}
	empty, _ := match.NewIndex(nil)
	e.index.Store(empty)
	return e, nil
}

// regionDefs are the operator's [[regions]] as the tagger takes them.
func regionDefs(cfg Config) []geo.RegionDef {
	defs := make([]geo.RegionDef, len(cfg.Regions))
	for i, r := range cfg.Regions {
		defs[i] = geo.RegionDef{Slug: r.Slug, Name: r.Name, Aliases: r.Aliases, Countries: r.Countries, Places: r.Places,
			TagMembers: r.TagMembers, NamedOnly: r.NamedOnly}
	}
	return defs
}

// newFetcher is the feed fetcher with the config's limits and SSRF policy.
func newFetcher(cfg Config, log *slog.Logger) *feed.Fetcher {
	return feed.NewFetcher(feed.Options{
		UserAgent:       cfg.HTTP.UserAgent,
		Timeout:         cfg.HTTP.Timeout.Duration,
		MaxBodyBytes:    cfg.HTTP.MaxBodyBytes,
		AllowPrivate:    cfg.HTTP.AllowPrivateAddresses,
		AllowedNetworks: cfg.AllowedPrefixes(),
		Logger:          log,
	})
}

// stages are the pipeline steps, reading the current subscription index on
// every story so a reload takes effect at once.
func (e *engine) stages() pipeline.Stages {
	opt := summary.Options{Sentences: e.cfg.Summary.Sentences, MaxWords: e.cfg.Summary.MaxWords, MaxChars: e.cfg.Summary.MaxChars}
	return pipeline.Stages{
		Tag: func(title, text string) alerts.Places { return places(e.tagger.Tag(title, text)) },
		Summarize: func(title, description, text string) string {
			return summary.ForStory(summary.Story{Title: title, Description: description, Text: text}, opt)
		},
		Cluster: func(s *alerts.Story) { e.clusterer.Assign(s) },
		Match: func(dst []alerts.Match, s *alerts.Story, owners []string) []alerts.Match {
			return e.index.Load().AppendMatchesSeenBy(dst, s, owners)
		},
		Article: e.articles.Text,
	}
}

// places are a tagger's tags as a story holds them.
func places(t geo.Tags) alerts.Places {
	return alerts.Places{Countries: t.Countries, Regions: t.Regions, Mentions: t.Mentions, MentionRegions: t.MentionRegions}
}

// subscriptionSource lists subscriptions; storage.DB is one.
type subscriptionSource interface {
	Subscriptions(ctx context.Context, channelID string) ([]alerts.Subscription, error)
}

// reloadSubscriptions rebuilds the match index from storage. A subscription
// that no longer parses is logged and left out; the rest still match.
func (e *engine) reloadSubscriptions(ctx context.Context, src subscriptionSource) error {
	subs, err := src.Subscriptions(ctx, "")
	if err != nil {
		return err
	}
	start := time.Now()
	ix, err := match.NewIndex(subs)
	if err != nil {
		e.log.Error("some subscriptions cannot be matched and are skipped", "err", err)
	}
	e.index.Store(ix)
	e.log.Debug("subscription index built", "subscriptions", ix.Len(), "took", time.Since(start))
	return nil
}

// storySource lists recent stories; storage.DB is one.
type storySource interface {
	StoriesSince(ctx context.Context, since time.Time, limit int) ([]alerts.Story, error)
}

// restoreClusters re-seeds the clusterer with the stories of the cluster
// window, so an outlet reporting an event after a restart joins the event
// the channel was already alerted about.
func (e *engine) restoreClusters(ctx context.Context, src storySource, now time.Time) error {
	stories, err := src.StoriesSince(ctx, now.Add(-e.cfg.Cluster.Window.Duration), clusterRestoreLimit)
	if err != nil {
		return err
	}
	for _, s := range stories {
		e.clusterer.Restore(s)
	}
	e.recallMu.Lock()
	e.recallFrom = now.Add(-recallOverlap)
	e.recallMu.Unlock()
	e.log.Debug("clusters restored", "stories", len(stories))
	return nil
}

// newLogger builds the process logger from the config.
func newLogger(cfg LogConfig, w io.Writer) *slog.Logger {
	level, _ := parseLogLevel(cfg.Level)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Recalling other processes' stories: each read goes back recallOverlap
// before the last: a story is stamped when its feed was read, but the
// others see it only once it is tagged, its article page fetched and its
// transaction committed. Each read names the stories of that minute and
// more, and reads in full only those this process does not know: a few
// kilobytes however often it runs.
const (
	recallOverlap = time.Minute
	recallLimit   = 10_000
)

// clusterTurn makes the recall, clustering and saving of one poll's new
// stories a turn that no other poll's overlaps, in this process or any
// other sharing the database (the lease clusterTurnLease). Without it two
// reports of one event on feeds two processes poll, clustered within the
// same few milliseconds, would each miss the other and open two events,
// and a channel watching both feeds would be alerted twice.
type clusterTurn struct {
	claim func(ctx context.Context, name string, ttl time.Duration) (release func(), ok bool)
	log   *slog.Logger
	mu    sync.Mutex // this process's polls take turns too
}

const (
	clusterTurnLease = "turn:cluster"
	// A turn takes milliseconds; a process that dies in its turn holds
	// the others up for at most the lease's TTL. One that waits longer
	// than clusterTurnWait (a database too slow to save within it)
	// clusters without its turn, as without peers.
	clusterTurnTTL   = 5 * time.Second
	clusterTurnWait  = 5 * time.Second
	clusterTurnRetry = 10 * time.Millisecond
)

// take waits for a turn and returns the func that ends it.
func (c *clusterTurn) take(ctx context.Context) (done func()) {
	c.mu.Lock()
	deadline := time.Now().Add(clusterTurnWait)
	for {
		release, ok := c.claim(ctx, clusterTurnLease, clusterTurnTTL)
		if ok {
			return func() {
				release()
				c.mu.Unlock()
			}
		}
		if ctx.Err() != nil {
			return c.mu.Unlock
		}
		if time.Now().After(deadline) {
			c.log.Warn("another Vigil process held the turn to cluster new stories for longer than expected; clustering this poll's without it, so a report of the same event stored meanwhile may open a second event",
				"waited", clusterTurnWait)
			return c.mu.Unlock
		}
		select {
		case <-ctx.Done():
		case <-time.After(clusterTurnRetry):
		}
	}
}

// recallSource names and reads stored stories; storage.DB is one.
type recallSource interface {
	StoryRefsSince(ctx context.Context, since time.Time, limit int) ([]storage.StoryRef, error)
	StoriesByRef(ctx context.Context, refs []storage.StoryRef) ([]alerts.Story, error)
}

// recall adds to the clusterer the stories other Vigil processes sharing
// the database stored since the last call. A failure is logged and the
// poll goes on: its stories are still clustered with what this process
// knows.
func (e *engine) recall(ctx context.Context, src recallSource) {
	e.recallMu.Lock()
	defer e.recallMu.Unlock()
	now := time.Now()
	since := e.recallFrom
	if since.IsZero() {
		since = now.Add(-e.cfg.Cluster.Window.Duration)
	}
	refs, err := src.StoryRefsSince(ctx, since, recallLimit)
	var stories []alerts.Story
	if err == nil {
		var unknown []storage.StoryRef
		for _, r := range refs {
			if !e.clusterer.Knows(r.FeedURL, r.ID) {
				unknown = append(unknown, r)
			}
		}
		stories, err = src.StoriesByRef(ctx, unknown)
	}
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("cannot read the stories other Vigil processes stored; this poll's stories are clustered with this process's own only", "err", err)
		}
		return
	}
	for _, s := range stories {
		e.clusterer.Restore(s)
	}
	e.recallFrom = now.Add(-recallOverlap)
	if len(refs) == recallLimit {
		// More were stored than one read takes: go on from the last.
		e.recallFrom = refs[len(refs)-1].FirstSeen
	}
}

// recallInTurn recalls in a turn of turn's, and returns the func that ends
// the turn, to be called once the poll's stories are saved.
func (e *engine) recallInTurn(ctx context.Context, turn *clusterTurn, src recallSource) (done func()) {
	done = turn.take(ctx)
	e.recall(ctx, src)
	return done
}

// recallUpToNow marks every story stored so far as known: a process alone
// clustered them itself, so when a peer joins it reads only what is new.
func (e *engine) recallUpToNow() {
	e.recallMu.Lock()
	e.recallFrom = time.Now().Add(-recallOverlap)
	e.recallMu.Unlock()
}
