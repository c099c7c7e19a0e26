package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Sharding. Discord splits a bot's gateway into shards: a guild's events
// go to the shard (guild_id >> 22) % shard_count, direct messages to shard
// 0, and each shard is one gateway session. REST needs no gateway, so every
// process sends alerts whether or not it holds a shard; only the events
// (slash commands among them) arrive on the shard's holder, and so only
// that process answers them.
const (
	// DefaultShardLease is how long a process holds a shard's lease
	// without renewing it. A killed process's shards are opened elsewhere
	// once both its heartbeat and this have lapsed.
	DefaultShardLease = 15 * time.Second
	// identifyWindow is Discord's: at most max_concurrency IDENTIFYs per
	// five seconds, counted per rate_limit_key = shard_id % max_concurrency
	// (topics/gateway: "Session Start Limit", "Max Concurrency").
	identifyWindow = 5 * time.Second
	// identifySpacing is the window and a margin for the time an IDENTIFY
	// takes to reach Discord, which counts the five seconds from there:
	// one that travels faster than the one before would arrive inside it.
	identifySpacing = identifyWindow + 250*time.Millisecond
	// takeoverRetry is how soon a process tries again for a shard it owns
	// but could not open yet: its last holder hands it over at its own
	// pace, and the shard's events are lost until it is open again.
	takeoverRetry = 100 * time.Millisecond
)

// shardLeaseName is the lease a process holds while it has shard n's
// gateway session open.
func shardLeaseName(n int) string { return "shard:" + strconv.Itoa(n) }

// shard is one gateway session: shard id of the bot's count.
type shard struct {
	id      int
	session *discordgo.Session
	watch   *gatewayWatch
	ready   chan struct{}
	once    sync.Once
	release func()
	// stop is closed when the bot closes the shard, ending the wait of an
	// IDENTIFY discordgo sends of itself.
	stop     chan struct{}
	stopOnce sync.Once
}

func (sh *shard) stopIdentifying() { sh.stopOnce.Do(func() { close(sh.stop) }) }

// shards is the set of gateway sessions this process holds.
type shards struct {
	// mu serialises claiming, opening and closing. Opening a shard holds
	// it until READY (discordgo reads READY in Open).
	mu        sync.Mutex
	count     int // 0 until Open learnt it
	maxConc   int
	held      map[int]*shard
	idents    identifySlots
	starts    sessionStarts
	lastFatal int // the fatal close code of a shard since closed
	// waitingSince is when a shard this process owns first could not be
	// opened (its lease still held, or its IDENTIFY slot taken), zero
	// when none waits.
	waitingSince time.Time
	stopLoop     context.CancelFunc
	closed       bool // Close ran: nothing opens again
	// reshardBlocked is why a shard Discord closed for holding too many
	// servers cannot be re-sharded now, once logged.
	reshardBlocked string

	// upMu guards up and the copies of count and held that /healthz and
	// the metrics read, so that they never wait for mu.
	upMu      sync.Mutex
	up        map[int]bool // shards whose gateway is connected
	viewCount int
	viewHeld  []int
}

// ShardCount is how many shards the bot's gateway is split into, 0 until
// the first Open.
func (b *Bot) ShardCount() int {
	b.shards.upMu.Lock()
	defer b.shards.upMu.Unlock()
	return b.shards.viewCount
}

// Shards returns the shards whose gateway session this process holds, in
// order.
func (b *Bot) Shards() []int {
	b.shards.upMu.Lock()
	defer b.shards.upMu.Unlock()
	return slices.Clone(b.shards.viewHeld)
}

// publishLocked copies count and held for Shards and ShardCount; mu held.
func (b *Bot) publishLocked() {
	held := make([]int, 0, len(b.shards.held))
	for n := range b.shards.held {
		held = append(held, n)
	}
	slices.Sort(held)
	b.shards.upMu.Lock()
	b.shards.viewCount, b.shards.viewHeld = b.shards.count, held
	b.shards.upMu.Unlock()
}

// learnShards asks Discord, once, how many shards to use when the config
// does not say, and how many IDENTIFYs it allows at once.
func (b *Bot) learnShards(ctx context.Context) error {
	if b.shards.count > 0 {
		return nil
	}
	gw, err := b.session.GatewayBot(discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("ask Discord how many gateway shards the bot needs: %w", err)
	}
	count := b.cfg.ShardCount
	if count <= 0 {
		count = max(gw.Shards, 1)
		if b.cfg.ShardCountInUse != nil {
			if inUse := b.cfg.ShardCountInUse(); inUse > 0 {
				if inUse != count {
					b.log.Warn(fmt.Sprintf("Discord now recommends %d gateway shards, but the other Vigil processes use %d, so this one does too; "+
						"to change the count, stop them all and start them again (or set discord.shard_count)", count, inUse))
				}
				count = inUse
			}
		}
	}
	b.useShardsLocked(ctx, count, gw)
	b.log.Info("gateway shards", "count", count, "configured", b.cfg.ShardCount > 0, "max_concurrency", b.shards.maxConc)
	return nil
}

// useShardsLocked takes count shards, with the IDENTIFY limits gw says,
// and tells the other processes the count. mu held.
func (b *Bot) useShardsLocked(ctx context.Context, count int, gw *discordgo.GatewayBotResponse) {
	if b.cfg.UseShardCount != nil {
		if err := b.cfg.UseShardCount(ctx, count); err != nil {
			// The next heartbeat carries it; until then a process that
			// starts asks Discord, as if this one were not running.
			b.log.Warn("the other Vigil processes could not be told this one's gateway shard count yet", "count", count, "err", err)
		}
	}
	b.shards.count = count
	b.shards.maxConc = max(gw.SessionStartLimit.MaxConcurrency, 1)
	b.shards.starts.learn(gw.SessionStartLimit)
	b.publishLocked()
}

// ownsShard reports whether shard n belongs to this process.
func (b *Bot) ownsShard(n int) bool {
	if b.cfg.OwnsShard == nil {
		return true
	}
	return b.cfg.OwnsShard(n)
}

// claimShard takes or renews shard n's lease; without peers there is no
// lease to take.
func (b *Bot) claimShard(ctx context.Context, n int) (release func(), ok bool) {
	if b.cfg.Claim == nil {
		return func() {}, true
	}
	return b.cfg.Claim(ctx, shardLeaseName(n), b.cfg.ShardLease)
}

// balanceShards opens the shards this process owns and may lease, renews
// the leases of those it holds, and closes those that now belong to
// another process (a peer joined) or whose lease it lost. A shard's lease
// is given back only once its close frame has gone, by when discordgo hands
// on none of its events, so that its new owner, which cannot take the lease
// before then, never answers one of its events at the same time; those it
// closes are closed together, before any is opened, since each close takes
// a second. It returns the shards it opened.
func (b *Bot) balanceShards(ctx context.Context) ([]*shard, error) {
	b.shards.mu.Lock()
	defer b.shards.mu.Unlock()
	if b.shards.closed {
		return nil, errors.New("the bot was closed")
	}
	hold := b.reshardLocked(ctx)
	var opened []*shard
	var errs []error
	waiting := false
	defer func() {
		switch {
		case !waiting:
			b.shards.waitingSince = time.Time{}
		case b.shards.waitingSince.IsZero():
			b.shards.waitingSince = time.Now()
		}
	}()
	var closing []*shard
	for n := range b.shards.count {
		sh := b.shards.held[n]
		switch {
		case sh == nil:
		case !b.ownsShard(n):
			b.log.Info("handing a gateway shard over to the process it now belongs to", "shard", n)
			closing = append(closing, sh)
		default:
			if _, ok := b.claimShard(ctx, n); !ok && ctx.Err() == nil {
				// Another process holds the lease: ours lapsed (a stalled
				// database). Two sessions on one shard would both answer
				// its slash commands, so ours goes.
				b.log.Warn("lost a gateway shard's lease; closing the shard so that one process answers its events", "shard", n)
				closing = append(closing, sh)
			}
		}
	}
	b.closeShardsLocked(closing)
	for n := range b.shards.count {
		if hold || b.shards.held[n] != nil || !b.ownsShard(n) {
			continue
		}
		key := n % b.shards.maxConc
		if b.shards.idents.wait(key) > 0 {
			// Waiting here would hold up the renewal of the leases this
			// process has; the next pass comes soon enough.
			waiting = true
			continue
		}
		release, ok := b.claimShard(ctx, n)
		if !ok {
			waiting = true // its last holder has not handed it over yet
			continue
		}
		unreserve, ok := b.shards.idents.reserve(key)
		if !ok {
			release() // this process identified on this key just now
			waiting = true
			continue
		}
		if !b.claimIdentify(ctx, key) {
			unreserve() // another process did
			release()
			waiting = true
			continue
		}
		if _, ok := b.takeSessionStart(ctx, n); !ok {
			unreserve()
			release()
			waiting = true
			continue
		}
		sh, err := b.openShardLocked(ctx, n, release)
		if err != nil {
			release()
			errs = append(errs, err)
			continue
		}
		opened = append(opened, sh)
	}
	return opened, errors.Join(errs...)
}

// reshardLocked moves the bot to the shard count Discord recommends now,
// when Discord refused a shard's IDENTIFY for holding too many servers
// (4011, as the bot grows past 2,500 servers a shard) and the count is
// Discord's to choose (discord.shard_count 0). Every shard is closed and
// the new count's opened, at Discord's IDENTIFY pace: the bot's slash
// commands go unanswered meanwhile, where before they stopped until a
// restart. Only a process alone does it: processes sharing the gateway
// must all change count together, or a server's events would reach two of
// them, so those are told to restart.
//
// It reports whether no shard may be opened: while Discord requires more
// shards than the bot can move to, every IDENTIFY on the count in use
// would be refused too, and each refused one spends one of the day's
// session starts. The shards held stay as they are. mu held.
func (b *Bot) reshardLocked(ctx context.Context) (hold bool) {
	// A shard Discord refused as it opened is not held: lastFatal keeps
	// its code (a 4011 at the first connect, a count configured too low).
	required := b.shards.lastFatal == closeShardingRequired
	for _, sh := range b.shards.held {
		if sh.watch.fatalCode() == closeShardingRequired {
			required = true
			break
		}
	}
	if !required {
		b.shards.reshardBlocked = ""
		return false
	}
	blocked := func(why string, args ...any) bool {
		if b.shards.reshardBlocked != why {
			b.shards.reshardBlocked = why
			b.log.Error(why, args...)
		}
		return true
	}
	if b.cfg.ShardCount > 0 {
		return blocked("Discord requires more gateway shards than discord.shard_count sets: raise it, or set it to 0 for the count Discord recommends, and restart; "+
			"alerts are still delivered, but slash commands go unanswered until then", "shard_count", b.cfg.ShardCount)
	}
	if b.cfg.ShardCountInUse != nil && b.cfg.ShardCountInUse() > 0 {
		return blocked("Discord requires more gateway shards, and the Vigil processes sharing the gateway must change count together: stop them all and start them again; "+
			"alerts are still delivered, but slash commands go unanswered until then", "shard_count", b.shards.count)
	}
	gw, err := b.session.GatewayBot(discordgo.WithContext(ctx))
	if err != nil {
		return blocked("Discord requires more gateway shards, and it could not be asked how many; asking again", "err", err)
	}
	if gw.Shards <= b.shards.count {
		return blocked("Discord requires more gateway shards but still recommends the count in use; asking again until it recommends more",
			"shard_count", b.shards.count, "recommended", gw.Shards)
	}
	all := make([]*shard, 0, len(b.shards.held))
	for _, sh := range b.shards.held {
		all = append(all, sh)
	}
	b.closeShardsLocked(all)
	b.shards.lastFatal = 0
	b.shards.reshardBlocked = ""
	old := b.shards.count
	b.useShardsLocked(ctx, gw.Shards, gw)
	b.log.Warn("Discord required more gateway shards (a shard held too many servers): re-sharding; slash commands are answered again as the new shards open",
		"shard_count", gw.Shards, "was", old)
	return false
}

// closeShardingRequired is Discord's close code for an IDENTIFY whose
// shard would hold too many servers.
const closeShardingRequired = 4011

// openShardLocked starts shard n's gateway session; READY follows.
// Its IDENTIFY slot is already taken.
func (b *Bot) openShardLocked(ctx context.Context, n int, release func()) (*shard, error) {
	sh, err := b.newShard(n, b.shards.count)
	if err != nil {
		return nil, err
	}
	sh.release = sync.OnceFunc(release)
	sh.watch.cleared.Store(true)
	err = sh.session.Open()
	sh.watch.cleared.Store(false)
	if err != nil {
		sh.stopIdentifying()
		sh.session.Close()
		if code := sh.watch.fatalCode(); code != 0 {
			b.shards.lastFatal = code
		}
		return nil, fmt.Errorf("open gateway shard %d of %d: %w", n, b.shards.count, err)
	}
	b.shards.held[n] = sh
	b.publishLocked()
	b.log.Info("opened a gateway shard: its servers' slash commands are answered here", "shard", n, "shard_count", b.shards.count)
	return sh, nil
}

// identifySlots is when this process last sent an IDENTIFY on each
// rate-limit key (shard_id % max_concurrency), so that it sends at most one
// per key per five seconds; claimIdentify asks the other processes. It has
// a lock of its own: an IDENTIFY discordgo sends of itself waits for a slot
// inside its websocket write, where waiting for shards.mu could deadlock
// with a Close that mu's holder makes.
type identifySlots struct {
	mu   sync.Mutex
	last map[int]time.Time
}

// wait is how long until key's slot is free, 0 when it is.
func (s *identifySlots) wait(key int) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitLocked(key)
}

func (s *identifySlots) waitLocked(key int) time.Duration {
	last, ok := s.last[key]
	if !ok {
		return 0
	}
	return max(identifySpacing-time.Since(last), 0)
}

// sent moves key's slot to now, as an IDENTIFY on it has just gone out.
func (s *identifySlots) sent(key int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = make(map[int]time.Time)
	}
	s.last[key] = time.Now()
}

// reserve takes key's slot for an IDENTIFY sent now, if it is free. An
// IDENTIFY that then does not go (another process has the key, or no
// session starts are left) gives it back with unreserve, or the key would
// wait five seconds for nothing.
func (s *identifySlots) reserve(key int) (unreserve func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waitLocked(key) > 0 {
		return nil, false
	}
	if s.last == nil {
		s.last = make(map[int]time.Time)
	}
	prev, had := s.last[key]
	now := time.Now()
	s.last[key] = now
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.last[key].Equal(now) {
			return // an IDENTIFY went out on it since
		}
		if had {
			s.last[key] = prev
		} else {
			delete(s.last, key)
		}
	}, true
}

// Discord asks a client told its session is invalid (op 9) to wait 1 to 5
// seconds, at random, before it identifies again (topics/gateway:
// "Handling a Reconnect"); identifyGiveUp bounds the wait for a turn after
// that, after which the dial fails and discordgo tries again.
const (
	identifyJitterMin = time.Second
	identifyJitterMax = 5 * time.Second
	identifyGiveUp    = 2 * time.Minute
)

// awaitIdentify waits for shard n's turn to IDENTIFY again after its
// session ended: Discord's 1-5 s, then until its rate-limit key is free
// here and in the other processes; the turn is taken when it returns nil.
func (b *Bot) awaitIdentify(n, key int, stop <-chan struct{}) error {
	pause := identifyJitterMin + rand.N(identifyJitterMax-identifyJitterMin)
	deadline := time.Now().Add(pause + identifyGiveUp)
	b.log.Info("Discord ended a gateway shard's session; identifying again when its rate limit allows", "shard", n, "in", pause.Round(time.Millisecond))
	for {
		t := time.NewTimer(pause)
		select {
		case <-stop:
			t.Stop()
			return errors.New("the shard was closed while it waited to identify")
		case <-t.C:
		}
		if unreserve, ok := b.shards.idents.reserve(key); ok {
			ctx, cancel := context.WithTimeout(context.Background(), identifyWindow)
			ok := b.claimIdentify(ctx, key)
			var resetAt time.Time
			if ok {
				resetAt, ok = b.takeSessionStart(ctx, n)
			}
			cancel()
			if !ok {
				unreserve()
			}
			switch {
			case ok:
				return nil
			case !resetAt.IsZero():
				// No session starts left today: waiting for the count to
				// start again is not giving up, and a failed dial would
				// leave the next try to discordgo's back-off, up to ten
				// minutes later.
				pause = time.Until(resetAt)
				if later := resetAt.Add(identifyGiveUp); later.After(deadline) {
					deadline = later
				}
			default:
				pause = identifyWindow / 10 // another process has the key, for up to five seconds
			}
		} else {
			pause = b.shards.idents.wait(key)
		}
		if time.Now().Add(pause).After(deadline) {
			return fmt.Errorf("gateway shard %d waited %v for its turn to identify under Discord's rate limit", n, identifyGiveUp)
		}
	}
}

// sessionStarts is this process's count of Discord's session start limit:
// the IDENTIFYs left (1,000 a day for most bots, over every shard and
// process; RESUMEs do not count). Discord answers the IDENTIFY past it by
// ending every session and resetting the bot's token, so none is sent while
// none is left: a crash loop, or a storm of Invalid Sessions, costs the bot
// its gateway for the rest of the day rather than its token.
type sessionStarts struct {
	mu        sync.Mutex
	total     int
	left      int
	resetAt   time.Time // when Discord's count starts again
	exhausted bool      // none left, and said so in the log
}

// sessionStartsRecheck: with fewer than this many left as this process
// counts (it does not see the other processes' IDENTIFYs), Discord is asked
// again before each one.
const sessionStartsRecheck = 50

func (s *sessionStarts) learn(info discordgo.SessionInformation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.learnLocked(info)
}

func (s *sessionStarts) learnLocked(info discordgo.SessionInformation) {
	s.total, s.left = info.Total, info.Remaining
	s.resetAt = time.Now().Add(time.Duration(info.ResetAfter) * time.Millisecond)
}

// takeSessionStart counts an IDENTIFY of shard n against the session start
// limit. With none left it says when Discord's count starts again.
func (b *Bot) takeSessionStart(ctx context.Context, n int) (resetAt time.Time, ok bool) {
	s := &b.shards.starts
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.exhausted && now.Before(s.resetAt) {
		return s.resetAt, false
	}
	if s.left < sessionStartsRecheck || !now.Before(s.resetAt) {
		gw, err := b.session.GatewayBot(discordgo.WithContext(ctx))
		switch {
		case err == nil:
			s.learnLocked(gw.SessionStartLimit)
		case s.left <= 0:
			// Guessing could cost the token: wait for Discord to say.
			b.log.Warn("cannot ask Discord how many gateway sessions the bot may still start today; not identifying until it answers", "shard", n, "err", err)
			return now.Add(identifyWindow), false
		}
	}
	if s.left > 0 {
		s.left--
		s.exhausted = false
		return time.Time{}, true
	}
	if !s.exhausted {
		s.exhausted = true
		b.log.Error("Discord allows the bot no more gateway sessions until its daily limit starts again, and one more would make it reset the bot's token: "+
			"the gateway shards not connected stay so until then, and their servers' slash commands go unanswered; alerts and briefings are still posted",
			"shard", n, "session_starts_a_day", s.total, "starts_again_at", s.resetAt.Format(time.RFC3339))
	}
	return s.resetAt, false
}

// claimIdentify takes rate-limit key key for the five seconds
// Discord counts an IDENTIFY against it, so that two processes opening
// shards at once (both taking over from a dead peer) do not identify on one
// key together: Discord answers the second with an Invalid Session, and
// discordgo identifies again at once, over and over. The lease is never
// given back: it is the five seconds.
func (b *Bot) claimIdentify(ctx context.Context, key int) bool {
	if b.cfg.Claim == nil {
		return true
	}
	// A hold (storage.HoldPrefix), kept even if this process stops within
	// the five seconds: the next IDENTIFY on the key would still be refused.
	_, ok := b.cfg.Claim(ctx, identifyHoldName(key), identifySpacing)
	return ok
}

func identifyHoldName(key int) string { return fmt.Sprintf("hold:identify:%d", key) }

// identifySent starts key's five seconds again as an IDENTIFY on it goes
// out, here and in the lease the other processes see: the turn was taken
// before the dial, and Discord counts from the IDENTIFY's arrival. The
// lease is renewed off the websocket write that called this.
func (b *Bot) identifySent(key int) {
	b.shards.idents.sent(key)
	if b.cfg.Claim == nil {
		return
	}
	b.holds.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), identifyWindow)
		defer cancel()
		b.cfg.Claim(ctx, identifyHoldName(key), identifySpacing)
	})
}

// closeShardsLocked closes shards' sessions, together, giving back each
// one's lease as its close frame goes. discordgo's Close then waits a
// second for Discord to answer the close frame, and a shard's events reach
// no one until its new owner opens it, so none waits for another.
func (b *Bot) closeShardsLocked(closing []*shard) {
	var wg sync.WaitGroup
	for _, sh := range closing {
		sh.stopIdentifying()
		closeSent := sh.watch.expectClose()
		wg.Add(2)
		closed := make(chan struct{})
		go func() {
			defer wg.Done()
			defer close(closed)
			if err := sh.session.Close(); err != nil {
				b.log.Debug("close gateway shard", "shard", sh.id, "err", err)
			}
		}()
		go func() {
			// discordgo stops handing on the session's events before it
			// sends its close frame, and Discord sends the session none
			// after it: the lease goes then, not after the second
			// discordgo waits for Discord to hang up, during which the
			// shard's slash commands would reach no one.
			defer wg.Done()
			select {
			case <-closeSent:
				sh.release()
			case <-closed:
			}
		}()
	}
	wg.Wait()
	if len(closing) == 0 {
		return
	}
	for _, sh := range closing {
		if code := sh.watch.fatalCode(); code != 0 {
			b.shards.lastFatal = code
		}
		delete(b.shards.held, sh.id)
		b.shards.upMu.Lock()
		delete(b.shards.up, sh.id)
		b.shards.upMu.Unlock()
	}
	b.publishLocked()
	for _, sh := range closing {
		sh.release()
	}
}

// keepShards re-balances the shards every third of the lease, which also
// renews the leases held, until ctx ends. While a shard this process owns
// waits for its last holder to hand it over, it tries every
// takeoverRetry, for at most one lease: a shard's events (slash commands)
// reach no one between its close there and its opening here. Past a lease
// the wait is not a handover (two processes see different peers for a
// while) and the normal pace resumes.
func (b *Bot) keepShards(ctx context.Context) {
	pace := max(b.cfg.ShardLease/3, 100*time.Millisecond)
	t := time.NewTimer(b.nextShardPass(pace))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if b.TokenRejected() {
			return
		}
		if _, err := b.balanceShards(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("a gateway shard could not be opened; trying again", "err", err)
		}
		t.Reset(b.nextShardPass(pace))
	}
}

// nextShardPass is how long to wait before the next balancing pass.
func (b *Bot) nextShardPass(pace time.Duration) time.Duration {
	b.shards.mu.Lock()
	since := b.shards.waitingSince
	b.shards.mu.Unlock()
	if !since.IsZero() && time.Since(since) < b.cfg.ShardLease {
		return min(takeoverRetry, pace)
	}
	return pace
}

// closeShards closes every shard and gives back their leases.
func (b *Bot) closeShards() {
	b.shards.mu.Lock()
	defer b.shards.mu.Unlock()
	b.shards.closed = true
	if b.shards.stopLoop != nil {
		b.shards.stopLoop()
	}
	var all []*shard
	for _, sh := range b.shards.held {
		all = append(all, sh)
	}
	b.closeShardsLocked(all)
}

// fatalCode is the first fatal close code any shard saw, or 0.
func (b *Bot) fatalCode() int {
	b.shards.mu.Lock()
	defer b.shards.mu.Unlock()
	for _, sh := range b.shards.held {
		if code := sh.watch.fatalCode(); code != 0 {
			return code
		}
	}
	return b.shards.lastFatal
}

// allShardsUp reports whether every shard held has its gateway connected.
func (b *Bot) allShardsUp() bool {
	b.shards.upMu.Lock()
	defer b.shards.upMu.Unlock()
	for _, n := range b.shards.viewHeld {
		if !b.shards.up[n] {
			return false
		}
	}
	return true
}

func (b *Bot) setShardUp(n int, up bool) {
	b.shards.upMu.Lock()
	b.shards.up[n] = up
	b.shards.upMu.Unlock()
}

// newShard makes shard n's session. Every shard shares the bot's HTTP
// client (so the guard and the rate limits see all requests) and its state
// cache (channels and the bot's own user, whichever shard saw them).
func (b *Bot) newShard(n, count int) (*shard, error) {
	s, err := discordgo.New("Bot " + b.cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	s.Client = b.session.Client
	s.State = b.session.State
	s.ShouldRetryOnRateLimit = false
	s.ShardID, s.ShardCount = n, count
	s.Identify.Intents = discordgo.IntentsGuilds
	s.LogLevel = discordgo.LogError
	g := b.guard
	key := n % max(b.shards.maxConc, 1)
	stop := make(chan struct{})
	watch := &gatewayWatch{log: b.log.With("shard", n), awaitIdentify: func() error { return b.awaitIdentify(n, key, stop) },
		identifySent: func() { b.identifySent(key) }, onFatal: func(code int) {
			if code == 4004 {
				// The token is no good for REST either; stop now rather than
				// learn it from a 401 per queued alert.
				g.reject()
			}
		}}
	s.Dialer = watch.dialer(b.dialer)
	sh := &shard{id: n, session: s, watch: watch, ready: make(chan struct{}), stop: stop}
	s.AddHandler(watch.onEvent)
	s.AddHandler(func(*discordgo.Session, *discordgo.Ready) { sh.once.Do(func() { close(sh.ready) }) })
	s.AddHandler(func(*discordgo.Session, *discordgo.Connect) {
		b.setShardUp(n, true)
		b.setConnected(b.allShardsUp())
		b.onConnect()
	})
	s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
		b.setShardUp(n, false)
		b.setConnected(false)
	})
	s.AddHandler(b.onInteraction)
	s.AddHandler(b.onChannelDelete)
	s.AddHandler(b.onGuildDelete)
	return sh, nil
}
