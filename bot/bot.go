// Package bot is everything Discord: the gateway session, slash command
// registration and handlers, rendering alerts as embeds, and the delivery
// worker that drains the outbox.
//
// It uses the real discordgo client; tests point it at bot/discordtest, a fake
// Discord on loopback, through Config.HTTPClient.
package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/brief"
	"github.com/vigilbot/vigil/alerts/geo"
)

// Store is what the bot reads and changes in storage.
type Store interface {
	AddSubscription(ctx context.Context, s alerts.Subscription, createdBy string) (alerts.Subscription, error)
	RemoveSubscription(ctx context.Context, channelID string, id int64) error
	Subscriptions(ctx context.Context, channelID string) ([]alerts.Subscription, error)
	SetChannelPaused(ctx context.Context, channelID string, paused bool) error
	AddGuildFeed(ctx context.Context, guildID string, f alerts.Feed) (bool, error)
	RemoveGuildFeed(ctx context.Context, guildID, url string) ([]alerts.Subscription, error)
	GuildFeeds(ctx context.Context, guildID string) ([]alerts.Feed, error)
	RecentDeliveries(ctx context.Context, channelID string, limit int) ([]alerts.Story, error)
	whyStore
	deliveryStore
	briefingStore
}

// Places resolves and names countries and regions; *geo.Tagger is one.
type Places interface {
	Resolve(name string) (code string, ok bool)
	Suggest(input string, n int) []geo.Place
	Name(code string) string
	Flag(code string) string
	// Notable picks the regions worth showing a reader.
	Notable(regions []string) []string
}

// Config builds a Bot.
type Config struct {
	Token string
	// ApplicationID registers the commands; empty means the bot user's ID,
	// which is the application's for every bot created since 2020.
	ApplicationID string
	// GuildID registers commands in one server only (instant, for
	// development); empty registers them globally.
	GuildID string
	Store   Store
	Places  Places
	// ValidateFeedURL checks a feed URL a member gives before it is stored:
	// syntax and the SSRF policy.
	ValidateFeedURL func(url string) error
	// Changed is called after subscriptions or feeds change, so the matcher
	// and scheduler reload.
	Changed func()
	// HTTPClient and Dialer override how discordgo reaches Discord; tests
	// point them at bot/discordtest.
	HTTPClient *http.Client
	Dialer     *websocket.Dialer
	// APIBase, for tests only, sends every REST request to this base URL
	// (a fake Discord run as its own process) instead of discord.com.
	APIBase string
	// OnTokenRejected, if set, is called once when Discord answers 401 to
	// the bot's token; from then on the bot makes no more requests.
	OnTokenRejected func()
	// SharedRate, if set, is asked for every request once this process's
	// own pacer lets it go, when several Vigil processes run one bot:
	// Discord's global limit is the bot's, not each process's. It returns
	// 0 when the request may go, or how long to wait before asking again.
	SharedRate func(ctx context.Context, perSecond float64) (time.Duration, error)
	// GlobalRate caps requests per second to Discord across all channels;
	// Discord allows 50, and a 429 costs more than waiting.
	GlobalRate float64
	// OnDelivered, if set, is told each delivery attempt's result ("sent",
	// "retry", "paused") and, when sent, how long the alert was queued.
	OnDelivered func(result string, queuedFor time.Duration)
	// BriefingGrace is how late a missed briefing is still sent; zero means
	// brief.DefaultGrace.
	BriefingGrace time.Duration
	// OnBriefing, if set, is told each due briefing's outcome:
	// BriefingSent, BriefingSkipped or BriefingFailed.
	OnBriefing func(result string)
	// Claim, if set, is asked for a lease before a channel's alerts or
	// briefing are sent, when several Vigil processes share the database:
	// only the process holding "channel:<id>" sends to the channel, and
	// only the one holding "briefing:<id>" its briefing. It is asked again
	// to renew a lease it has.
	// Shards are leased the same way: "shard:<n>" is held while this
	// process has shard n's gateway session open.
	Claim func(ctx context.Context, name string, ttl time.Duration) (release func(), ok bool)
	// ShardCount splits the gateway into this many shards; zero asks
	// Discord for its recommended count (GET /gateway/bot) on the first
	// Open.
	ShardCount int
	// ShardCountInUse, if set, is the shard count the other processes
	// sharing the bot use (0 for none): with ShardCount zero, a process
	// takes it rather than Discord's recommendation, which changes as
	// the bot grows, since one count must hold for the whole bot.
	ShardCountInUse func() int
	// UseShardCount, if set, tells the other processes the count this one
	// uses, once it knows it.
	UseShardCount func(ctx context.Context, n int) error
	// OwnsShard, if set, says whether shard n belongs to this process
	// among several (rendezvous over the live peers); nil means every
	// shard does.
	OwnsShard func(shard int) bool
	// ShardLease is how long a shard's lease lasts unrenewed; zero means
	// DefaultShardLease. Leases are renewed every third of it.
	ShardLease time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// Bot is a connected Vigil bot.
type Bot struct {
	cfg Config
	// session makes the REST requests and holds the state cache; it never
	// opens a gateway. The gateway's sessions are the shards'.
	session *discordgo.Session
	dialer  *websocket.Dialer
	shards  shards
	log     *slog.Logger
	pacer   *pacer
	guard   *guard

	// registered is set once the slash commands are registered: they are
	// the application's, registered once per process, not per shard.
	registered bool
	appID      string

	deliverMu sync.Mutex
	busy      map[string]bool // channels with a sender
	// budgetLogged is when delivery last said it is paused.
	budgetLogged time.Time
	wake         chan struct{}
	sends        sync.WaitGroup
	holds        sync.WaitGroup // renewals of the IDENTIFY leases (identifySent)

	// outage holds delivery while Discord does not answer.
	outage outage
	// conn is the gateway's state.
	conn connState
	// abort cuts sends still in flight when shutdown cannot wait longer
	// (Abort); their outcome is settled on the next start.
	abort       context.Context
	cancelAbort context.CancelFunc

	brief briefings
	// searches rate-limits /recent and /watch test per member.
	searches *memberLimiter
}

// Defaults for Config's zero values.
const (
	// defaultGlobalRate stays under Discord's global 50 requests per second
	// with a margin for requests that leave together but arrive apart.
	defaultGlobalRate = 47
)

// New returns a Bot; it connects on Open.
func New(cfg Config) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("bot: no Discord token")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Changed == nil {
		cfg.Changed = func() {}
	}
	if cfg.OnDelivered == nil {
		cfg.OnDelivered = func(string, time.Duration) {}
	}
	if cfg.OnBriefing == nil {
		cfg.OnBriefing = func(string) {}
	}
	if cfg.BriefingGrace <= 0 {
		cfg.BriefingGrace = brief.DefaultGrace
	}
	if cfg.GlobalRate <= 0 {
		cfg.GlobalRate = defaultGlobalRate
	}
	s, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	log := cfg.Logger
	onRejected := cfg.OnTokenRejected
	g, err := newGuard(client.Transport, cfg.APIBase, time.Now, func() {
		log.Error(ErrTokenRejected.Error())
		if onRejected != nil {
			onRejected()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	client.Transport = g
	s.Client = client
	// Vigil waits out a 429 itself, watching its context and holding only
	// what the limit covers; discordgo would sleep through it blind.
	s.ShouldRetryOnRateLimit = false
	s.LogLevel = discordgo.LogError
	dialer := s.Dialer
	if cfg.Dialer != nil {
		dialer = cfg.Dialer
	}
	if cfg.ShardLease <= 0 {
		cfg.ShardLease = DefaultShardLease
	}
	b := &Bot{
		cfg:      cfg,
		session:  s,
		dialer:   dialer,
		log:      cfg.Logger,
		pacer:    newPacer(cfg.GlobalRate),
		guard:    g,
		appID:    cfg.ApplicationID,
		busy:     make(map[string]bool),
		wake:     make(chan struct{}, 1),
		searches: newMemberLimiter(cfg.Now),
	}
	if cfg.SharedRate != nil {
		b.pacer.shared = func(ctx context.Context) (time.Duration, error) { return cfg.SharedRate(ctx, cfg.GlobalRate) }
		b.pacer.sharedFailed = func(err error) {
			b.logBudget("cannot read the request budget shared with the other Vigil processes (is the database reachable?); requests to Discord wait", "err", err)
		}
	}
	b.shards.held = make(map[int]*shard)
	b.shards.up = make(map[int]bool)
	b.abort, b.cancelAbort = context.WithCancel(context.Background())
	return b, nil
}

// Open learns the shard count, opens the gateway shards this process owns
// and can lease, waits for their READY and registers the slash commands
// with one bulk overwrite. A process that holds no shard (others hold them
// all) still registers and delivers: REST needs no gateway. The shards
// are then kept balanced in the background until Close.
//
// A failed Open leaves the shards it opened as they are. Once a shard's
// connection has been made, discordgo's own loop reconnects it whenever it
// drops, and it may well be reconnecting when registration fails because
// Discord went down: closing the session then would race that loop. So
// the next Open finds those shards held and goes on to READY and
// registration.
func (b *Bot) Open(ctx context.Context) error {
	b.shards.mu.Lock()
	err := b.learnShards(ctx)
	b.shards.mu.Unlock()
	if err != nil {
		return fmt.Errorf("connect to Discord: %w", err)
	}
	if _, err := b.balanceShards(ctx); err != nil {
		return fmt.Errorf("connect to Discord: %w", err)
	}
	b.shards.mu.Lock()
	pending := make([]*shard, 0, len(b.shards.held))
	for _, sh := range b.shards.held {
		pending = append(pending, sh)
	}
	b.shards.mu.Unlock()
	for _, sh := range pending {
		select {
		case <-sh.ready:
		case <-ctx.Done():
			return fmt.Errorf("connect to Discord: no READY from gateway shard %d: %w", sh.id, ctx.Err())
		}
	}
	self, err := b.selfOrFetch(ctx)
	if err != nil {
		return fmt.Errorf("connect to Discord: %w", err)
	}
	if b.appID == "" {
		b.appID = self.ID
	}
	if !b.registered {
		cmds, err := b.session.ApplicationCommandBulkOverwrite(b.appID, b.cfg.GuildID, commands(), discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("register slash commands: %w", err)
		}
		b.registered = true
		b.log.Info("connected to Discord", "user", self.Username, "commands", len(cmds), "guild", b.cfg.GuildID, "shards", b.Shards(), "shard_count", b.ShardCount())
	}
	b.shards.mu.Lock()
	if b.shards.stopLoop == nil {
		lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		b.shards.stopLoop = stop
		go b.keepShards(lctx)
	}
	b.shards.mu.Unlock()
	return nil
}

// self is the bot's own user as READY last gave it. discordgo's reconnect
// loop replaces the state's Ready (and so its User) under the state's lock
// whenever the gateway reconnects, so it is read under that lock too.
func (b *Bot) self() discordgo.User {
	b.session.State.RLock()
	defer b.session.State.RUnlock()
	if u := b.session.State.User; u != nil {
		return *u
	}
	return discordgo.User{}
}

// selfOrFetch is the bot's user from a READY, or from GET /users/@me when
// this process holds no shard and so saw no READY.
func (b *Bot) selfOrFetch(ctx context.Context) (discordgo.User, error) {
	if u := b.self(); u.ID != "" {
		return u, nil
	}
	u, err := b.session.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		return discordgo.User{}, fmt.Errorf("ask Discord who the bot is: %w", err)
	}
	b.session.State.Lock()
	if b.session.State.User == nil {
		b.session.State.User = u
	}
	b.session.State.Unlock()
	return *u, nil
}

// InvalidRequests is how many of the bot's requests Discord answered 401,
// 403 or 429 in the last ten minutes; Discord bans the IP at 10,000.
func (b *Bot) InvalidRequests() int { return b.guard.invalid() }

// TokenRejected reports that Discord refused the bot's token and the bot
// stopped making requests.
func (b *Bot) TokenRejected() bool { return b.guard.rejected.Load() }

// Close disconnects from the gateway. Stop the delivery worker first.
func (b *Bot) Close() error {
	b.cancelAbort()
	b.closeShards()
	b.holds.Wait()
	return nil
}

// Abort cuts the sends still waiting for Discord's answer, for a shutdown
// that cannot wait for them. Each was recorded as attempted before it left,
// so the next start finds out whether it arrived (nonce, or a search of the
// channel) before sending it again: nothing is lost or doubled.
func (b *Bot) Abort() { b.cancelAbort() }

// onChannelDelete pauses a deleted channel's subscriptions at once rather
// than waiting for a delivery to fail, and ends its briefing.
func (b *Bot) onChannelDelete(s *discordgo.Session, c *discordgo.ChannelDelete) {
	ctx := context.Background()
	if err := b.cfg.Store.SetChannelPaused(ctx, c.ID, true); err != nil {
		b.log.Error("pause deleted channel", "channel", c.ID, "err", err)
		return
	}
	b.cfg.Changed()
	if err := b.cfg.Store.RemoveBriefing(ctx, c.ID); err == nil {
		b.syncBriefings(ctx)
	} else if !errors.Is(err, alerts.ErrNotFound) {
		b.log.Error("end deleted channel's briefing", "channel", c.ID, "err", err)
	}
}

// onGuildDelete stops a server's deliveries and briefings once the bot was
// removed from it. A GUILD_DELETE marked unavailable is an outage on
// Discord's side, not a removal, and changes nothing.
func (b *Bot) onGuildDelete(s *discordgo.Session, g *discordgo.GuildDelete) {
	if g.Guild == nil || g.Unavailable {
		return
	}
	ctx := context.Background()
	dropped, err := b.cfg.Store.RemoveGuild(ctx, g.ID, fmt.Errorf("the bot was removed from server %s", g.ID))
	if err != nil {
		b.log.Error("stop a removed server's deliveries", "guild", g.ID, "err", err)
		return
	}
	b.log.Warn("the bot was removed from a server: its subscriptions are paused, its queued alerts dropped and its briefings ended",
		"guild", g.ID, "dropped_alerts", dropped)
	b.cfg.Changed()
	b.syncBriefings(ctx)
}

// pacer keeps requests under a global rate: at most limit requests in any
// rolling second, and evenly spaced. The rolling window is counted on the
// times requests actually leave, not on planned slots, so a goroutine that
// the scheduler wakes late cannot bunch with the next one and overshoot.
type pacer struct {
	mu      sync.Mutex
	limit   int
	spacing time.Duration
	sent    []time.Time // ring of the last limit send times
	head    int
	last    time.Time
	// granted, when set, sees every send time; tests check the rate on
	// these exact times rather than on times taken after a goroutine wakes.
	granted func(time.Time)

	// shared, when set, is the budget this process shares with other
	// Vigil processes, asked after the process's own limit; sharedMu lets
	// one waiter at a time ask it, so a dozen senders waiting on it do not
	// each poll the database. sharedFailed is told when it cannot be read.
	shared       func(ctx context.Context) (time.Duration, error)
	sharedMu     sync.Mutex
	sharedFailed func(error)
	sharedRetry  time.Duration // defaultSharedRetry when zero
}

// newPacer paces at perSecond; a rate below one request a second is one.
func newPacer(perSecond float64) *pacer {
	perSecond = max(perSecond, 1)
	limit := int(perSecond)
	return &pacer{
		limit:   limit,
		spacing: time.Duration(float64(time.Second) / (perSecond + 1)),
		sent:    make([]time.Time, 0, limit),
	}
}

// wait blocks until the caller may send one request: within this
// process's rate, then within the budget shared with other processes.
func (p *pacer) wait(ctx context.Context) error {
	if err := p.waitLocal(ctx); err != nil {
		return err
	}
	if p.shared == nil {
		return nil
	}
	p.sharedMu.Lock()
	defer p.sharedMu.Unlock()
	for {
		delay, err := p.shared(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Without the shared count, sending could overspend the
			// bot's limit together with the other processes: wait.
			if p.sharedFailed != nil {
				p.sharedFailed(err)
			}
			delay = cmp.Or(p.sharedRetry, defaultSharedRetry)
		}
		if delay <= 0 {
			return nil
		}
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// defaultSharedRetry is how long a request waits when the shared budget cannot
// be read (the database is unreachable).
const defaultSharedRetry = time.Second

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitLocal blocks until this process's own rate lets one request go.
func (p *pacer) waitLocal(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := time.Now()
		var delay time.Duration
		if len(p.sent) == p.limit {
			delay = p.sent[p.head].Add(time.Second).Sub(now)
		}
		if d := p.last.Add(p.spacing).Sub(now); d > delay {
			delay = d
		}
		if delay <= 0 {
			if len(p.sent) < p.limit {
				p.sent = append(p.sent, now)
			} else {
				p.sent[p.head] = now
				p.head = (p.head + 1) % p.limit
			}
			p.last = now
			if p.granted != nil {
				p.granted(now)
			}
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
