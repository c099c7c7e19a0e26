package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/peer"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/alerts/poll"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/storage"
)

// Timings of the long-running service.
const (
	// reloadEvery is how often run picks up feeds and subscriptions changed
	// in the database by another process, such as `vigil feeds add`: two
	// cheap queries, so an admin sees the change take effect in seconds.
	reloadEvery = 5 * time.Second
	// shutdownGrace bounds how long SIGTERM waits for in-flight polls.
	shutdownGrace = 30 * time.Second
	// drainWait is how long shutdown lets sends in flight finish before
	// cutting them; with polling's own stop it keeps SIGTERM to exit
	// within a few seconds whatever Discord does.
	drainWait = 2 * time.Second
	// feedLease bounds how long one process holds a feed against the
	// others while it polls it; the poll gives it back when done, and a
	// process that dies loses it when its heartbeat expires, long before.
	feedLease = 10 * time.Minute
)

// defaultConfigFile is read when it exists and no --config is given.
const defaultConfigFile = "vigil.toml"

func runRun(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "run", "run [--config FILE]\n\n"+
		"Runs the service: polls the feeds on their schedules, stores new stories and\n"+
		"queues alerts for the channels that watch them. Stops cleanly on SIGTERM.")
	configPath := fs.String("config", "", "config file (default $VIGIL_CONFIG, else ./vigil.toml if present)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, "give the config file with --config"); err != nil {
		return err
	}
	path := resolveConfigPath(*configPath, env.getenv)
	cfg, err := LoadConfig(path, env.getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, env.stderr)
	cfg.LogWarnings(log)
	svc, err := startService(ctx, cfg, log)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped while starting: nothing was left half-done.
			return nil
		}
		return err
	}
	if cfg.Discord.Token == "" {
		log.Warn("no Discord token (discord.token or VIGIL_DISCORD_TOKEN): polling and storing only; alerts wait in the outbox until Vigil runs with a token. Try 'vigil demo' to see what Vigil posts, and the README's \"Connect Discord\" to set one up.")
	}
	<-ctx.Done()
	log.Info("shutting down: finishing the polls and sends under way")
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := svc.stop(stopCtx); err != nil {
		log.Error("stopped, but not cleanly", "err", err)
		return err
	}
	log.Info("stopped")
	return nil
}

func resolveConfigPath(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := getenv("VIGIL_CONFIG"); p != "" {
		return p
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile
	}
	return ""
}

// removeDatabase deletes a database file this start created, with the
// files SQLite keeps beside it in WAL mode.
func removeDatabase(path string, log *slog.Logger) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Warn("could not remove the database file created for a start that was refused", "path", p, "err", err)
		}
	}
}

// service is a running vigil: database, pipeline, poller and ops server.
type service struct {
	cfg     Config
	log     *slog.Logger
	db      *storage.DB
	engine  *engine
	poller  *poll.Poller
	ops     *http.Server
	opsAddr string
	done    chan struct{}
	cancel  context.CancelFunc

	// bot and its delivery worker, when a token is configured. The
	// connection is made in the background (connectDone closes when it is
	// made or given up); the worker starts once it is made, unless
	// shutdown began (deliveryMu guards that hand-over).
	bot          *bot.Bot
	stopConnect  context.CancelFunc
	connectDone  chan struct{}
	deliveryMu   sync.Mutex
	stopping     bool
	stopDelivery context.CancelFunc
	deliveryDone chan struct{}
	metrics      *metrics
	// discordClient overrides how the bot reaches Discord (tests).
	discordClient *http.Client
	// reloadEvery overrides the constant of that name (tests).
	reloadEvery time.Duration
	// member is this process among the Vigil processes sharing the
	// database; peerTTL is peers.timeout.
	member  *peer.Member
	peerTTL time.Duration
}

func startService(ctx context.Context, cfg Config, log *slog.Logger, opts ...func(*service)) (*service, error) {
	_, statErr := os.Stat(cfg.Storage.Path)
	created := cfg.Storage.isFile() && errors.Is(statErr, os.ErrNotExist)
	db, err := cfg.Storage.open(ctx, storage.WithLimits(cfg.Limits.limits()))
	if err != nil {
		return nil, err
	}
	svc := &service{cfg: cfg, log: log, db: db, done: make(chan struct{}), reloadEvery: reloadEvery, peerTTL: cfg.Peers.Timeout.Duration}
	for _, o := range opts {
		o(svc)
	}
	if err := svc.start(ctx, cfg); err != nil {
		if svc.member != nil {
			svc.member.Leave(context.WithoutCancel(ctx))
		}
		db.Close()
		if created {
			// Refusing to start leaves no trace: an empty database file
			// would read as a deployment that once ran.
			removeDatabase(cfg.Storage.Path, log)
		}
		return nil, err
	}
	return svc, nil
}

func (s *service) start(ctx context.Context, cfg Config) error {
	operator := make([]alerts.Feed, 0, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		operator = append(operator, alerts.Feed{URL: f.URL, Title: f.Name, Interval: cfg.FeedInterval(f), FetchArticle: f.FetchArticle})
	}
	// The config's feeds are shared with every server; one taken out of
	// the config stops being shared, and subscriptions that relied on it
	// end.
	ended, err := s.db.SyncOperatorFeeds(ctx, operator)
	if err != nil {
		return err
	}
	for _, sub := range ended {
		s.log.Warn("a feed left the config: a subscription to it changed or ended", "guild", sub.GuildID, "channel", sub.ChannelID,
			"subscription", sub.ID, "feeds", redactAll(sub.Feeds))
	}
	feeds, err := s.db.Feeds(ctx)
	if err != nil {
		return err
	}
	if len(feeds) == 0 && cfg.Discord.Token == "" {
		return errors.New("nothing to do: no feeds in the config or the database, and no Discord token to take /feeds add; add [[feeds]] to the config (see config.example.toml) or try 'vigil demo'")
	}
	e, err := newEngine(cfg, s.log)
	if err != nil {
		return err
	}
	s.engine = e
	if err := e.restoreClusters(ctx, s.db, time.Now()); err != nil {
		return err
	}
	if err := e.reloadSubscriptions(ctx, s.db); err != nil {
		return err
	}

	member, err := peer.New(peer.Config{Store: s.db, TTL: s.peerTTL, Logger: s.log})
	if err != nil {
		return err
	}
	if err := member.Join(ctx); err != nil {
		return fmt.Errorf("record this process among the Vigil processes sharing the database: %w", err)
	}
	s.member = member

	m := newMetrics(s.db)
	s.metrics = m
	stages := e.stages()
	turn := &clusterTurn{claim: member.Claim, log: s.log}
	stages.Recall = func(ctx context.Context) func() {
		if len(member.Peers()) <= 1 {
			e.recallUpToNow()
			return func() {}
		}
		return e.recallInTurn(ctx, turn, s.db)
	}
	pipe := pipeline.New(pipeline.Config{
		Stages:          stages,
		Store:           s.db,
		FirstPollWindow: cfg.Polling.FirstPollWindow.Duration,
		Logger:          s.log,
	})
	s.poller = poll.New(poll.Config{
		Fetcher:         e.fetcher,
		Store:           s.db,
		Processor:       pipe,
		DefaultInterval: cfg.Polling.DefaultInterval.Duration,
		Jitter:          cfg.Polling.Jitter.Duration,
		MaxBackoff:      cfg.Polling.MaxBackoff.Duration,
		Concurrency:     cfg.Polling.Concurrency,
		Logger:          s.log,
		OnPoll: func(url string, out poll.Outcome, err error) {
			m.observePoll(url, out, err)
			if s.bot != nil && out.Result.Saved.Deliveries > 0 {
				s.bot.Wake()
			}
		},
		// Every process schedules every feed; the one the feed hashes to
		// polls it, under a lease in case two disagree for a moment about
		// who is alive.
		Claim: func(ctx context.Context, url string) (func(), bool) {
			key := "feed:" + url
			if !member.Owns(key) {
				return nil, false
			}
			return member.Claim(ctx, key, feedLease)
		},
	})

	if cfg.Metrics.Address != "" {
		if err := s.serveOps(cfg.Metrics, m); err != nil {
			return err
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	if cfg.Discord.Token != "" {
		// Before polling starts, so that its first stories wake delivery;
		// the connection itself is made in the background.
		if err := s.startBot(ctx, cfg, e, m); err != nil {
			cancel()
			return err
		}
	}
	s.poller.Start(runCtx)
	s.poller.Sync(feeds)
	running := fmt.Sprintf("Vigil is running: %s, %s, database %s",
		countOf(len(feeds), "feed", "feeds"), countOf(e.index.Load().Len(), "subscription", "subscriptions"), cfg.Storage.Path)
	if s.opsAddr != "" {
		running += fmt.Sprintf("; health on http://%s/healthz and metrics on http://%s/metrics", s.opsAddr, s.opsAddr)
	}
	s.log.Info(running)
	go s.reloadLoop(runCtx)
	return nil
}

// startBot makes the bot and connects it to Discord in the background:
// polling, storage and the outbox do not wait for Discord, which may be
// down when Vigil starts. Once connected, the slash commands are registered
// and the delivery worker starts. Delivery has its own context so that
// shutdown can stop polling first, then let the worker finish the messages
// it is sending.
func (s *service) startBot(ctx context.Context, cfg Config, e *engine, m *metrics) error {
	b, err := bot.New(bot.Config{
		Token:           cfg.Discord.Token,
		ApplicationID:   cfg.Discord.ApplicationID,
		GuildID:         cfg.Discord.GuildID,
		Store:           s.db,
		Places:          e.tagger,
		ValidateFeedURL: feedURLValidator(cfg),
		Changed:         func() { s.reload(context.Background()) },
		HTTPClient:      s.discordClient,
		APIBase:         cfg.Discord.APIBase,
		Logger:          s.log,
		OnDelivered:     m.observeDelivery,
		BriefingGrace:   cfg.Briefing.Grace.Duration,
		OnBriefing:      m.observeBriefing,
		Claim:           s.member.Claim,
		SharedRate:      s.member.TakeRate,
		ShardCount:      cfg.Discord.ShardCount,
		// A shard belongs to one live peer, like a feed; the lease
		// "shard:<n>" keeps two from holding it while they disagree for a
		// moment about who is alive.
		OwnsShard:       func(n int) bool { return s.member.Owns(fmt.Sprintf("shard:%d", n)) },
		ShardLease:      s.peerTTL,
		ShardCountInUse: s.member.ShardCountInUse,
		UseShardCount:   s.member.UseShardCount,
	})
	if err != nil {
		return err
	}
	s.bot = b
	m.discord.Store(b)
	cctx, stopConnect := context.WithCancel(ctx)
	s.stopConnect = stopConnect
	s.connectDone = make(chan struct{})
	go func() {
		defer close(s.connectDone)
		err := b.Connect(cctx)
		switch {
		case err == nil:
			s.startDelivery(ctx, b)
		case cctx.Err() != nil:
		case errors.Is(err, bot.ErrTokenRejected):
			s.log.Error("Discord refused the bot token, so slash commands and delivery stay off until Vigil restarts with a working one (discord.token or VIGIL_DISCORD_TOKEN); feeds are still polled and alerts queue")
		default:
			s.log.Error("Vigil cannot connect to Discord and will not retry; feeds are still polled and alerts queue", "err", err)
		}
	}()
	return nil
}

// startDelivery runs the delivery worker and the briefings once the bot is
// connected.
func (s *service) startDelivery(ctx context.Context, b *bot.Bot) {
	s.deliveryMu.Lock()
	defer s.deliveryMu.Unlock()
	if s.stopping {
		return
	}
	dctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopDelivery = stop
	s.deliveryDone = make(chan struct{})
	go func() {
		defer close(s.deliveryDone)
		var wg sync.WaitGroup
		wg.Go(func() { b.RunBriefings(dctx) })
		b.Deliver(dctx)
		wg.Wait()
	}()
}

// reload applies changed feeds and subscriptions at once (the bot calls it
// after a slash command changed them).
func (s *service) reload(ctx context.Context) {
	if err := s.engine.reloadSubscriptions(ctx, s.db); err != nil {
		s.log.Error("reload subscriptions", "err", err)
	}
	if feeds, err := s.db.Feeds(ctx); err == nil {
		s.poller.Sync(feeds)
	} else {
		s.log.Error("reload feeds", "err", err)
	}
}

// reloadLoop picks up feeds and subscriptions changed in the database.
func (s *service) reloadLoop(ctx context.Context) {
	defer close(s.done)
	lastSubs, _ := s.db.SubscriptionsFingerprint(ctx)
	t := time.NewTicker(s.reloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if feeds, err := s.db.Feeds(ctx); err == nil {
			s.poller.Sync(feeds)
		} else if ctx.Err() == nil {
			s.log.Error("reload feeds", "err", err)
		}
		fp, err := s.db.SubscriptionsFingerprint(ctx)
		if err != nil || fp == lastSubs {
			continue
		}
		if err := s.engine.reloadSubscriptions(ctx, s.db); err != nil {
			s.log.Error("reload subscriptions", "err", err)
			continue
		}
		lastSubs = fp
	}
}

func (s *service) serveOps(cfg MetricsConfig, m *metrics) error {
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return fmt.Errorf("metrics.address %s: %w", cfg.Address, err)
	}
	s.opsAddr = ln.Addr().String()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.collectors()...)
	reg.MustRegister(peerCollectors(s.member)...)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.Pprof {
		// Index serves the named profiles too: /debug/pprof/heap,
		// /debug/pprof/goroutine and the rest.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.db.SchemaVersion(r.Context()); err != nil {
			http.Error(w, "database unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		b := m.discord.Load()
		if b != nil && b.TokenRejected() {
			http.Error(w, bot.ErrTokenRejected.Error(), http.StatusServiceUnavailable)
			return
		}
		// Polling and storage work while Discord is away, so this is
		// still "ok" (a supervisor must not restart Vigil for Discord's
		// outage); the second line says what waits.
		fmt.Fprintln(w, "ok")
		s.writePeers(r.Context(), w)
		if b == nil {
			return
		}
		c := b.Connection()
		if c.ShardCount > 1 {
			fmt.Fprintf(w, "discord: this process holds gateway shards %s of %d; the others' events go to the processes holding them\n", shardList(c.Shards), c.ShardCount)
		}
		switch {
		case !c.Connected && c.Attempts > 0:
			fmt.Fprintf(w, "discord: not connected: %d attempts failed, the latest with %q; next attempt in %s; feeds are polled and alerts queue\n",
				c.Attempts, c.LastError, humanDuration(time.Until(c.NextAttempt)))
		case !c.Connected:
			fmt.Fprintln(w, "discord: not connected yet; feeds are polled and alerts queue")
		case c.DeliveryHeld:
			fmt.Fprintf(w, "discord: not answering sends for %s (%s); alerts queue and go out when it answers\n",
				humanDuration(time.Since(c.HeldSince)), c.HeldBecause)
		}
	})
	s.ops = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.ops.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("ops server stopped", "err", err)
		}
	}()
	return nil
}

// shardList writes shard numbers for /healthz: "0, 2", or "none".
func shardList(shards []int) string {
	if len(shards) == 0 {
		return "none"
	}
	parts := make([]string, len(shards))
	for i, n := range shards {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// writePeers adds to /healthz, when other Vigil processes share the
// database, who this one is and the leases it holds.
func (s *service) writePeers(ctx context.Context, w io.Writer) {
	peers := s.member.Peers()
	if len(peers) < 2 {
		return
	}
	leases, err := s.member.Leases(ctx)
	if err != nil {
		fmt.Fprintf(w, "peers: %d Vigil processes share the database; this one is %s; its leases cannot be read: %v\n", len(peers), s.member.ID(), err)
		return
	}
	kinds := map[string]int{}
	for _, l := range leases {
		kind, _, _ := strings.Cut(l.Name, ":")
		kinds[kind]++
	}
	fmt.Fprintf(w, "peers: %d Vigil processes share the database; this one is %s and holds %d leases (%d feeds being polled, %d channels being sent to, %d briefings, %d gateway shards)\n",
		len(peers), s.member.ID(), len(leases), kinds["feed"], kinds["channel"], kinds["briefing"], kinds["shard"])
}

// stop ends polling (letting in-flight polls finish within ctx), the ops
// server and the database, in that order.
func (s *service) stop(ctx context.Context) error {
	var errs []error
	if err := s.poller.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	s.cancel()
	<-s.done
	if s.bot != nil {
		// A connection attempt ends with its context, but a dial that
		// hangs on an unanswering network does not; shutdown does not
		// wait for it.
		s.stopConnect()
		select {
		case <-s.connectDone:
		case <-time.After(drainWait):
		}
	}
	s.deliveryMu.Lock()
	s.stopping = true
	s.deliveryMu.Unlock()
	if s.stopDelivery != nil {
		// Let the messages being sent finish, so none is left accepted
		// by Discord but unmarked here; one Discord leaves unanswered is
		// cut after drainWait. It was recorded as attempted, so the next
		// start settles whether it arrived before sending it again.
		s.stopDelivery()
		select {
		case <-s.deliveryDone:
		case <-time.After(drainWait):
			s.log.Warn("a send is still waiting for Discord's answer; cutting it: the next start checks whether it arrived before sending it again")
			s.bot.Abort()
			select {
			case <-s.deliveryDone:
			case <-ctx.Done():
				errs = append(errs, fmt.Errorf("stop delivery: %w", ctx.Err()))
			}
		}
	}
	if s.bot != nil {
		if err := s.bot.Close(); err != nil {
			errs = append(errs, fmt.Errorf("disconnect from Discord: %w", err))
		}
	}
	// Leaving hands this process's feeds and channels to the others at
	// once instead of after its heartbeat expires.
	if err := s.member.Leave(ctx); err != nil {
		errs = append(errs, fmt.Errorf("leave the Vigil processes sharing the database: %w", err))
	}
	if s.ops != nil {
		if err := s.ops.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop ops server: %w", err))
		}
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	return errors.Join(errs...)
}

// metrics are the Prometheus series vigil exports.
type metrics struct {
	polls           *prometheus.CounterVec
	stories         prometheus.Counter
	queued          prometheus.Counter
	outboxDepth     prometheus.GaugeFunc
	sent            *prometheus.CounterVec
	deliveryLatency prometheus.Histogram
	briefings       *prometheus.CounterVec
	invalidRequests prometheus.GaugeFunc
	tokenRejected   prometheus.GaugeFunc
	connected       prometheus.GaugeFunc
	connectFailures prometheus.GaugeFunc
	deliveryHeld    prometheus.GaugeFunc
	shardsHeld      prometheus.GaugeFunc
	shardCount      prometheus.GaugeFunc
	// discord is the connected bot, once there is one.
	discord atomic.Pointer[bot.Bot]
}

func newMetrics(db *storage.DB) *metrics {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_feed_polls_total", Help: "Feed polls by result (ok, not_modified, error).",
		}, []string{"result"}),
		stories: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_stories_total", Help: "New stories stored.",
		}),
		queued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigil_alerts_queued_total", Help: "Alerts queued for delivery to channels.",
		}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_alerts_sent_total", Help: "Alert delivery attempts by result (sent, retry, paused).",
		}, []string{"result"}),
		deliveryLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vigil_delivery_latency_seconds",
			Help:    "Time from a story being queued to Discord accepting its alert.",
			Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800},
		}),
		briefings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_briefings_total", Help: "Daily briefings due, by result (sent, skipped, failed).",
		}, []string{"result"}),
		outboxDepth: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vigil_outbox_pending", Help: "Alerts waiting to be delivered.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := db.PendingCount(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}),
	}
	m.invalidRequests = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_discord_invalid_requests_10m",
		Help: "Requests Discord answered 401, 403 or 429 in the last 10 minutes; Discord bans the IP at 10,000 and Vigil stops delivering at 1,000.",
	}, func() float64 {
		if b := m.discord.Load(); b != nil {
			return float64(b.InvalidRequests())
		}
		return 0
	})
	m.tokenRejected = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_discord_token_rejected", Help: "1 once Discord refused the bot token (401); Vigil then sends nothing until restarted with a new one.",
	}, func() float64 {
		if b := m.discord.Load(); b != nil && b.TokenRejected() {
			return 1
		}
		return 0
	})
	connection := func(f func(bot.Connection) float64) func() float64 {
		return func() float64 {
			if b := m.discord.Load(); b != nil {
				return f(b.Connection())
			}
			return 0
		}
	}
	m.connected = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_discord_connected", Help: "1 while the Discord gateway is connected.",
	}, connection(func(c bot.Connection) float64 { return boolGauge(c.Connected) }))
	m.connectFailures = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_discord_connect_failures", Help: "Attempts to connect to Discord that failed since the last success; Vigil keeps trying with back-off.",
	}, connection(func(c bot.Connection) float64 { return float64(c.Attempts) }))
	m.deliveryHeld = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_discord_delivery_held", Help: "1 while Discord does not answer sends and alerts wait for it.",
	}, connection(func(c bot.Connection) float64 { return boolGauge(c.DeliveryHeld) }))
	m.shardsHeld = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_discord_shards_held", Help: "Gateway shards whose session this process holds; its slash commands and events arrive here.",
	}, connection(func(c bot.Connection) float64 { return float64(len(c.Shards)) }))
	m.shardCount = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_discord_shard_count", Help: "Gateway shards the bot is split into, over all the Vigil processes; 0 before the first connection.",
	}, connection(func(c bot.Connection) float64 { return float64(c.ShardCount) }))
	return m
}

// peerCollectors say which process this is and what it shares the
// database with: vigil_peer_info carries the identity (join on it to tell
// several processes' series apart), vigil_peers how many are alive and
// vigil_leases_held what this one is doing for them.
func peerCollectors(member *peer.Member) []prometheus.Collector {
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "vigil_peer_info",
		Help:        "Always 1; its peer label is this process's identity among the Vigil processes sharing the database.",
		ConstLabels: prometheus.Labels{"peer": member.ID()},
	})
	info.Set(1)
	peers := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_peers", Help: "Vigil processes alive on this database at the last heartbeat, this one included.",
	}, func() float64 { return float64(len(member.Peers())) })
	leases := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_leases_held", Help: "Leases this process holds: feeds it is polling, channels it is sending to, briefings it is sending.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		l, err := member.Leases(ctx)
		if err != nil {
			return -1
		}
		return float64(len(l))
	})
	return []prometheus.Collector{info, peers, leases}
}

func boolGauge(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.polls, m.stories, m.queued, m.outboxDepth, m.sent, m.deliveryLatency, m.briefings,
		m.invalidRequests, m.tokenRejected, m.connected, m.connectFailures, m.deliveryHeld, m.shardsHeld, m.shardCount}
}

func (m *metrics) observePoll(url string, out poll.Outcome, err error) {
	switch {
	case err != nil:
		m.polls.WithLabelValues("error").Inc()
	case out.NotModified:
		m.polls.WithLabelValues("not_modified").Inc()
	default:
		m.polls.WithLabelValues("ok").Inc()
	}
	m.stories.Add(float64(out.Result.Saved.Stories))
	m.queued.Add(float64(out.Result.Saved.Deliveries))
}

func (m *metrics) observeDelivery(result string, queuedFor time.Duration) {
	m.sent.WithLabelValues(result).Inc()
	if result == "sent" {
		m.deliveryLatency.Observe(queuedFor.Seconds())
	}
}

func (m *metrics) observeBriefing(result string) { m.briefings.WithLabelValues(result).Inc() }

// feedURLValidator checks a feed URL a server admin gives: its syntax, and,
// for an address written as an IP or a local name, the private-address
// policy, so the admin hears at once. The fetcher's dial-time guard is what
// enforces the policy for names that resolve to private addresses.
// errNotPublic marks a feed URL refused for pointing at a local, private,
// loopback or link-local address, so callers can say how to allow one.
var errNotPublic = errors.New("feeds must be public")

func feedURLValidator(cfg Config) func(string) error {
	allowed := cfg.AllowedPrefixes()
	return func(raw string) error {
		if err := feed.ValidateURL(raw); err != nil {
			return err
		}
		if cfg.HTTP.AllowPrivateAddresses {
			return nil
		}
		u, _ := url.Parse(raw)
		host := strings.ToLower(u.Hostname())
		if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
			return fmt.Errorf("%s is a local name; %w", host, errNotPublic)
		}
		addr, err := netip.ParseAddr(host)
		if err != nil {
			return nil
		}
		addr = addr.Unmap()
		for _, p := range allowed {
			if p.Contains(addr) {
				return nil
			}
		}
		if !addr.IsGlobalUnicast() || addr.IsPrivate() {
			return fmt.Errorf("%s is not a public address; %w", addr, errNotPublic)
		}
		return nil
	}
}

// redactAll is urls with their secrets hidden, for logs.
func redactAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = feed.RedactURL(u)
	}
	return out
}

// humanDuration is d as people say it: "4s", "2m10s", "now".
func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "now"
	}
	return alerts.FormatDuration(d)
}

func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
