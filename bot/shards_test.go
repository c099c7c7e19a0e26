package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/logtest"
	"github.com/vigilbot/vigil/alerts/peer"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

// shardTTL keeps the peers' heartbeats and the shard leases short, so
// that hand-overs happen within a test's second or two.
const shardTTL = 600 * time.Millisecond

// guildOnShard is a guild whose events go to shard n of count.
func guildOnShard(n, count int) *discordgo.Guild {
	t := uint64(1_000_000_000_000) // the snowflake's timestamp part
	t += uint64((n - int(t%uint64(count)) + count) % count)
	id := strconv.FormatUint(t<<22, 10)
	ch := fmt.Sprintf("%d", t<<22+1)
	return &discordgo.Guild{ID: id, Name: "shard " + strconv.Itoa(n),
		Channels: []*discordgo.Channel{{ID: ch, GuildID: id, Name: "alerts", Type: discordgo.ChannelTypeGuildText}}}
}

// shardedFake is a fake Discord with one guild on each of count shards,
// recommending count shards and letting keys of them IDENTIFY in the same
// five seconds (max_concurrency).
func shardedFake(t *testing.T, count, keys int) (*discordtest.Server, []*discordgo.Guild) {
	t.Helper()
	opts := []discordtest.Option{discordtest.WithRecommendedShards(count), discordtest.WithMaxConcurrency(keys)}
	var guilds []*discordgo.Guild
	for n := range count {
		g := guildOnShard(n, count)
		guilds = append(guilds, g)
		opts = append(opts, discordtest.WithGuild(g))
	}
	return discordtest.NewServer(t, opts...), guilds
}

// shardedBot is a bot that shares the shards through member, as `vigil
// run` wires it.
func shardedBot(t *testing.T, srv *discordtest.Server, db *storage.DB, member *peer.Member) *bot.Bot {
	t.Helper()
	return shardedBotLeasing(t, srv, db, member, shardTTL)
}

// shardedBotLeasing is shardedBot with shard leases of lease; tweaks change
// its config before it connects.
func shardedBotLeasing(t *testing.T, srv *discordtest.Server, db *storage.DB, member *peer.Member, lease time.Duration, tweaks ...func(*bot.Config)) *bot.Bot {
	t.Helper()
	cfg := bot.Config{
		Token:      strings.TrimPrefix(srv.Token(), "Bot "),
		Places:     places(t),
		Store:      db,
		HTTPClient: srv.HTTPClient(),
		Logger:     quiet,
		ShardLease: lease,
	}
	if member != nil {
		cfg.Claim = member.Claim
		cfg.OwnsShard = func(n int) bool { return member.Owns(fmt.Sprintf("shard:%d", n)) }
		cfg.ShardCountInUse, cfg.UseShardCount = member.ShardCountInUse, member.UseShardCount
	}
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	b, err := bot.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return b
}

// waitShards waits until cond holds of the fake's live sessions per shard.
func waitShards(t *testing.T, srv *discordtest.Server, what string, cond func(map[string]int) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond(srv.ShardSessions()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the fake's sessions per shard are %v", what, srv.ShardSessions())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// oneEach reports whether each of count shards has exactly one session.
func oneEach(count int) func(map[string]int) bool {
	return func(live map[string]int) bool {
		for n := range count {
			if live[fmt.Sprintf("%d/%d", n, count)] != 1 {
				return false
			}
		}
		return true
	}
}

// answeredOnce runs /watch list in g's channel and checks one answer.
func answeredOnce(t *testing.T, srv *discordtest.Server, g *discordgo.Guild) {
	t.Helper()
	i := srv.SlashCommand(g.ID, g.Channels[0].ID, admin, "watch", discordtest.Subcommand("list"))
	if i == nil {
		t.Fatalf("/watch list is not offered in guild %s", g.ID)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		rec, _ := srv.Interaction(i.ID)
		if rec.Response != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/watch list in guild %s (shard %s) was not answered", g.ID, g.Name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if rec, _ := srv.Interaction(i.ID); rec.Callbacks != 1 {
		t.Errorf("/watch list in guild %s got %d answers, want 1", g.ID, rec.Callbacks)
	}
}

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), storage.WithLimits(alerts.DefaultLimits))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestABotAloneHoldsEveryShardItIsToldOfAndAnswersOnEach(t *testing.T) {
	t.Parallel()
	const count = 3
	srv, guilds := shardedFake(t, count, count)
	b := shardedBot(t, srv, openDB(t), nil)
	waitShards(t, srv, "one session per shard", oneEach(count))
	if got := b.Shards(); !slices.Equal(got, []int{0, 1, 2}) || b.ShardCount() != count {
		t.Errorf("Shards() = %v of %d, want [0 1 2] of 3, the count GET /gateway/bot recommended", got, b.ShardCount())
	}
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}
	if got := len(srv.Commands("")); got != 4 {
		t.Errorf("%d global commands registered, want 4: once per application, not per shard", got)
	}
	if puts := countRequests(srv, "PUT", "/commands"); puts != 1 {
		t.Errorf("the commands were registered %d times, want once for the 3 shards", puts)
	}
}

// joinPeers has n processes join as peers on db, named peer-0, peer-1 and
// so on, each leaving when the test ends.
func joinPeers(t *testing.T, db *storage.DB, n int) []*peer.Member {
	t.Helper()
	members := make([]*peer.Member, n)
	for i := range members {
		members[i] = joinPeer(t, db, fmt.Sprintf("peer-%d", i))
	}
	return members
}

// joinPeer has one process, id, join as a peer on db until the test ends.
func joinPeer(t *testing.T, db *storage.DB, id string) *peer.Member {
	t.Helper()
	m, err := peer.New(peer.Config{Store: db, TTL: shardTTL, Logger: quiet, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Leave(context.Background()) })
	return m
}

func TestPeersShareTheShardsOnceAndTheSurvivorTakesThemAllOver(t *testing.T) {
	t.Parallel()
	const count = 3
	srv, guilds := shardedFake(t, count, count)
	db := openDB(t)
	ctx := context.Background()
	members := joinPeers(t, db, 2)
	// Both see each other before either opens a shard.
	time.Sleep(shardTTL)
	most := 0
	sample := func() {
		for _, n := range srv.ShardSessions() {
			most = max(most, n)
		}
	}
	bots := []*bot.Bot{shardedBot(t, srv, db, members[0]), shardedBot(t, srv, db, members[1])}
	waitShards(t, srv, "one session per shard between the two", func(live map[string]int) bool {
		sample()
		a, b := bots[0].Shards(), bots[1].Shards()
		return oneEach(count)(live) && len(a)+len(b) == count
	})
	for n := range count {
		holder := slices.IndexFunc(bots, func(b *bot.Bot) bool { return slices.Contains(b.Shards(), n) })
		if want := members[0].Owner(fmt.Sprintf("shard:%d", n)); holder < 0 || members[holder].ID() != want {
			t.Errorf("shard %d is held by bot %d, want the rendezvous owner %s", n, holder, want)
		}
	}
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}

	// One stops: its shards lapse to the other.
	bots[0].Close()
	members[0].Leave(ctx)
	waitShards(t, srv, "the survivor holds every shard", func(live map[string]int) bool {
		sample()
		return oneEach(count)(live) && len(bots[1].Shards()) == count
	})
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}
	if most > 1 {
		t.Errorf("a shard had %d sessions at once", most)
	}
	// The one that left identified its shards moments ago; the survivor
	// must wait out those five seconds rather than be refused.
	if st := srv.GatewayStats(); st.IdentifiesRateLimited != 0 {
		t.Errorf("the fake refused %d IDENTIFYs past max_concurrency per five seconds", st.IdentifiesRateLimited)
	}
}

// countRequests counts the fake's requests of method whose path ends so.
func countRequests(srv *discordtest.Server, method, suffix string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func TestPeersOpeningShardsTogetherNeverIdentifyOnOneKeyInTheSameFiveSeconds(t *testing.T) {
	t.Parallel()
	const count, keys = 4, 2
	srv, guilds := shardedFake(t, count, keys)
	db := openDB(t)
	members := joinPeers(t, db, 2)
	time.Sleep(shardTTL)
	// The test means something only if both processes own a shard on one
	// rate-limit key (shard % max_concurrency).
	owners := map[int]map[string]bool{}
	for n := range count {
		if owners[n%keys] == nil {
			owners[n%keys] = map[string]bool{}
		}
		owners[n%keys][members[0].Owner(fmt.Sprintf("shard:%d", n))] = true
	}
	if len(owners[0]) < 2 && len(owners[1]) < 2 {
		t.Fatalf("no rate-limit key has shards of both processes (%v); pick other peer IDs", owners)
	}
	bots := []*bot.Bot{shardedBot(t, srv, db, members[0]), shardedBot(t, srv, db, members[1])}
	waitShards(t, srv, "every shard open once", func(live map[string]int) bool {
		return oneEach(count)(live) && len(bots[0].Shards())+len(bots[1].Shards()) == count
	})
	if st := srv.GatewayStats(); st.IdentifiesRateLimited != 0 {
		t.Errorf("the fake refused %d IDENTIFYs past max_concurrency %d per five seconds; the processes must take turns on a key",
			st.IdentifiesRateLimited, keys)
	}
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}
}

// joinSecondPeer adds peer-1 beside peer-0 and returns the shards of
// count that move to it.
func joinSecondPeer(t *testing.T, db *storage.DB, members []*peer.Member, count int) ([]*peer.Member, []int) {
	t.Helper()
	members = append(members, joinPeer(t, db, "peer-1"))
	var moving []int
	for n := range count {
		if peer.OwnerAmong([]string{"peer-0", "peer-1"}, fmt.Sprintf("shard:%d", n)) == "peer-1" {
			moving = append(moving, n)
		}
	}
	if len(moving) == 0 {
		t.Fatalf("peer-1 owns none of the %d shards; pick other peer IDs", count)
	}
	return members, moving
}

// A shard's events reach no one between its close by the process handing
// it over and its opening by its new owner, so the new owner does not wait
// for its next balancing pass (a third of the lease) to try again.
func TestANewOwnerOpensAShardWithinMomentsOfItsHandover(t *testing.T) {
	t.Parallel()
	const count = 4
	// A lease of 9 s balances every 3 s: a takeover left to the next pass
	// would leave the shard closed for up to that long.
	const lease = 9 * time.Second
	srv, guilds := shardedFake(t, count, count)
	db := openDB(t)
	members := joinPeers(t, db, 1)
	first := shardedBotLeasing(t, srv, db, members[0], lease)
	waitShards(t, srv, "the first process holds every shard", oneEach(count))
	// Past Discord's IDENTIFY window for the first process's sessions, so
	// that only the handover itself is timed.
	time.Sleep(5 * time.Second)

	members, moving := joinSecondPeer(t, db, members, count)
	// Sample the fake's sessions for the longest time a moving shard had
	// none, until the new owner holds its shards.
	var closedSince [count]time.Time
	var longest time.Duration
	second := shardedBotLeasing(t, srv, db, members[1], lease)
	deadline := time.Now().Add(15 * time.Second)
	for {
		live := srv.ShardSessions()
		now := time.Now()
		for _, n := range moving {
			key := fmt.Sprintf("%d/%d", n, count)
			switch {
			case live[key] == 0 && closedSince[n].IsZero():
				closedSince[n] = now
			case live[key] > 0 && !closedSince[n].IsZero():
				longest = max(longest, now.Sub(closedSince[n]))
				closedSince[n] = time.Time{}
			}
		}
		if slices.Equal(second.Shards(), moving) && oneEach(count)(live) {
			break
		}
		if now.After(deadline) {
			t.Fatalf("the second process holds shards %v, want %v; sessions %v", second.Shards(), moving, live)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("shards %v moved; the longest a shard had no session: %v", moving, longest.Round(time.Millisecond))
	// The lease is given back as the close frame goes, not after the
	// second discordgo's Close then waits for Discord to hang up; the new
	// owner tries every tenth of a second.
	if longest > 500*time.Millisecond {
		t.Errorf("a shard had no session for %v during its handover; its new owner should open it within moments of its close frame", longest)
	}
	// The first process's Close ends that second later.
	for deadline := time.Now().Add(3 * time.Second); len(first.Shards()) != count-len(moving); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first process still holds %d shards, want %d", len(first.Shards()), count-len(moving))
		}
	}
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}
}

// A process that takes a shard over within five seconds of another's
// IDENTIFY on its rate-limit key waits those seconds out, and not five more
// of its own: trying while the other's turn lasts sends no IDENTIFY, so it
// must not count as one.
func TestANewOwnerWaitingOutAnothersIdentifyOpensTheShardOnceItsTurnEnds(t *testing.T) {
	t.Parallel()
	const count = 4
	srv, guilds := shardedFake(t, count, count)
	db := openDB(t)
	members := joinPeers(t, db, 1)
	shardedBot(t, srv, db, members[0])
	waitShards(t, srv, "the first process holds every shard", oneEach(count))
	identified := time.Now() // each shard's IDENTIFY went out before this
	// The handover then starts a second into the first process's turn.
	time.Sleep(time.Second)
	members, moving := joinSecondPeer(t, db, members, count)
	second := shardedBot(t, srv, db, members[1])
	deadline := time.Now().Add(15 * time.Second)
	for !slices.Equal(second.Shards(), moving) || !oneEach(count)(srv.ShardSessions()) {
		if time.Now().After(deadline) {
			t.Fatalf("the second process holds shards %v, want %v", second.Shards(), moving)
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(identified)
	t.Logf("shards %v open at their new owner %v after the first process's IDENTIFYs", moving, took.Round(time.Millisecond))
	// The turn is five seconds and a quarter; the handover began within
	// it, and retries every tenth of a second.
	if limit := identifyWait + 1500*time.Millisecond; took > limit {
		t.Errorf("shards %v opened at their new owner %v after the last IDENTIFY on their keys; want within %v: the owner's tries during the other process's turn held the key for five seconds of their own",
			moving, took.Round(time.Millisecond), limit)
	}
	if st := srv.GatewayStats(); st.IdentifiesRateLimited != 0 {
		t.Errorf("Discord refused %d IDENTIFYs within five seconds of another on their key", st.IdentifiesRateLimited)
	}
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}
}

// Discord's recommended shard count grows with the bot. A process started
// after it changed must still split the gateway as the running ones do, or
// a server's events would go to a shard of one count on one process and of
// another on the next: answered twice, or by no one.
func TestAProcessStartingBesideOthersUsesTheirShardCount(t *testing.T) {
	t.Parallel()
	srv, guilds := shardedFake(t, 2, 2)
	db := openDB(t)
	first := joinPeer(t, db, "peer-0")
	a := shardedBot(t, srv, db, first)
	waitShards(t, srv, "the first process holds both shards", oneEach(2))

	srv.SetRecommendedShards(3)
	second := joinPeer(t, db, "peer-1")
	b := shardedBot(t, srv, db, second)
	if a.ShardCount() != 2 || b.ShardCount() != 2 {
		t.Fatalf("shard counts %d and %d after Discord began recommending 3; want both 2, the count already in use", a.ShardCount(), b.ShardCount())
	}
	time.Sleep(shardTTL) // both see each other, and the shards settle
	waitShards(t, srv, "both shards of 2 open once between the two", func(live map[string]int) bool {
		return oneEach(2)(live) && len(live) == 2 && len(a.Shards())+len(b.Shards()) == 2
	})
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}

	// Once all have stopped, the next to start takes Discord's count.
	a.Close()
	b.Close()
	first.Leave(context.Background())
	second.Leave(context.Background())
	c := shardedBot(t, srv, db, joinPeer(t, db, "peer-2"))
	if c.ShardCount() != 3 {
		t.Errorf("a process starting alone uses %d shards, want Discord's recommendation, 3", c.ShardCount())
	}
}

// Discord ends sessions now and then (a gateway node restarting): every
// shard gets op 9 Invalid Session at once and must IDENTIFY again, one per
// rate-limit key per five seconds. discordgo answers op 9 with an IDENTIFY
// at once, and again at once when that one is refused.
func TestShardsWhoseSessionsDiscordEndedIdentifyAgainInTurn(t *testing.T) {
	t.Parallel()
	const count, keys = 2, 1
	srv, guilds := shardedFake(t, count, keys)
	shardedBot(t, srv, openDB(t), nil)
	waitShardsFor(t, srv, "every shard open", count*identifyWait, oneEach(count))
	time.Sleep(identifyWait) // the last open's five seconds
	before := srv.GatewayStats()

	srv.InvalidateSessions()
	start := time.Now()
	waitShardsFor(t, srv, "every shard identified again", (count+1)*identifyWait, func(live map[string]int) bool {
		return oneEach(count)(live) && srv.GatewayStats().Identifies == before.Identifies+count
	})
	took := time.Since(start)
	st := srv.GatewayStats()
	if refused := st.IdentifiesRateLimited - before.IdentifiesRateLimited; refused != 0 {
		t.Errorf("the fake refused %d IDENTIFYs past max_concurrency per five seconds; the shards must take turns", refused)
	}
	if st.SendRateLimited != 0 {
		t.Errorf("%d connections were closed for sending more than 120 payloads a minute", st.SendRateLimited)
	}
	// Turns of five seconds on one key, after Discord's 1-5 s wait.
	if least := time.Duration(count-1) * identifyWait; took < least {
		t.Errorf("the shards were back in %v; taking turns takes at least %v", took, least)
	}
	t.Logf("%d shards identified again in %v", count, took.Round(100*time.Millisecond))
	for _, g := range guilds {
		answeredOnce(t, srv, g)
	}
}

// identifyWait is Discord's window for max_concurrency IDENTIFYs per key.
const identifyWait = 5 * time.Second

// waitShardsFor is waitShards with a deadline of within.
func waitShardsFor(t *testing.T, srv *discordtest.Server, what string, within time.Duration, cond func(map[string]int) bool) {
	t.Helper()
	deadline := time.Now().Add(within + 5*time.Second)
	for !cond(srv.ShardSessions()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the fake's sessions per shard are %v, stats %+v", what, srv.ShardSessions(), srv.GatewayStats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Discord counts an IDENTIFY's five seconds from when it arrives, so a
// shard whose first connection was slow to come up (a slow network, a
// loaded machine) counts its next turn from then, not from when it took
// the turn before dialling.
func TestAnIdentifyAfterASlowDialWaitsFiveSecondsFromWhenTheLastWentOut(t *testing.T) {
	t.Parallel()
	g := guildOnShard(0, 1)
	srv := discordtest.NewServer(t, discordtest.WithGuild(g), discordtest.WithMaxConcurrency(1))
	// The first connection takes 4 s to dial; Discord's 1-5 s wait after
	// the Invalid Session below then ends 1-5 s after that IDENTIFY.
	const slowDial = 4 * time.Second
	var dials atomic.Int32
	base := &net.Dialer{}
	dialer := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			time.Sleep(slowDial)
		}
		return base.DialContext(ctx, network, addr)
	}}
	shardedBotLeasing(t, srv, openDB(t), nil, shardTTL, func(c *bot.Config) { c.Dialer = dialer })
	waitShardsFor(t, srv, "the first session", identifyWait, oneEach(1))
	srv.InvalidateSessions()
	waitShardsFor(t, srv, "the second session", 2*identifyWait, func(live map[string]int) bool {
		return oneEach(1)(live) && srv.GatewayStats().Identifies == 2
	})
	if st := srv.GatewayStats(); st.IdentifiesRateLimited != 0 {
		t.Errorf("Discord refused %d IDENTIFYs sent within five seconds of the one before; stats %+v", st.IdentifiesRateLimited, st)
	}
	answeredOnce(t, srv, g)
}

// Discord resets the bot's token at the IDENTIFY past its session start
// limit (1,000 a day), so a bot whose sessions keep ending waits for the
// count to start again rather than send that one.
func TestABotOutOfSessionStartsWaitsForTheLimitRatherThanLoseItsToken(t *testing.T) {
	t.Parallel()
	const window = 20 * time.Second
	g := guildOnShard(0, 1)
	srv := discordtest.NewServer(t, discordtest.WithGuild(g), discordtest.WithMaxConcurrency(1),
		discordtest.WithSessionStartLimit(2, window))
	// The wait for the third session outlasts the dial's handshake time
	// (10 s), which must run from the end of the wait: a dial that failed
	// for it would have spent the turn taken for it.
	var failedDials atomic.Int32
	base := &net.Dialer{}
	dialer := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := base.DialContext(ctx, network, addr)
		if err != nil {
			failedDials.Add(1)
		}
		return c, err
	}}
	start := time.Now()
	b := shardedBotLeasing(t, srv, openDB(t), nil, shardTTL, func(c *bot.Config) { c.Dialer = dialer })
	identified := func(n int) func(map[string]int) bool {
		return func(live map[string]int) bool { return oneEach(1)(live) && srv.GatewayStats().Identifies == n }
	}
	waitShardsFor(t, srv, "the first session", identifyWait, identified(1))
	srv.InvalidateSessions()
	waitShardsFor(t, srv, "the second and last session of the window", 2*identifyWait, identified(2))
	srv.InvalidateSessions()
	waitShardsFor(t, srv, "a session once the window let one more start", window, identified(3))
	if took := time.Since(start); took < window {
		t.Errorf("the third session started %v after the first; the limit allows it only after %v", took, window)
	}
	if st := srv.GatewayStats(); st.TokenResets != 0 {
		t.Errorf("the bot sent %d IDENTIFYs past the session start limit, each resetting its token", st.TokenResets)
	}
	if b.TokenRejected() {
		t.Error("the bot's token was rejected")
	}
	if n := failedDials.Load(); n != 0 {
		t.Errorf("%d dials to the gateway failed: a wait for the turn to identify used up their handshake time", n)
	}
	answeredOnce(t, srv, g)
}

// A bot grows past what its shards may hold: Discord refuses the next
// IDENTIFY of the full shard (4011) and recommends more. A process alone,
// whose count is Discord's to choose, moves to the new count and answers
// every server again, where it used to stop answering until a restart; a
// count set in the config is the operator's to change, and the log says so.
func TestABotThatOutgrowsItsShardsMovesToTheCountDiscordRecommends(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		configured int
		others     int // the count other processes use, 0 for none
		wantCount  int
		wantLog    string
	}{
		{"the count Discord recommends", 0, 0, 2, "re-sharding"},
		{"a count set in the config", 1, 0, 1, "raise it"},
		{"other processes sharing the gateway", 0, 1, 1, "stop them all"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g1, g2 := guildOnShard(0, 2), guildOnShard(1, 2)
			srv := discordtest.NewServer(t, discordtest.WithGuild(g1), discordtest.WithMaxGuildsPerShard(1), discordtest.WithRecommendedShards(1))
			var logs logtest.Buffer
			b := shardedBotLeasing(t, srv, openDB(t), nil, shardTTL, func(c *bot.Config) {
				c.ShardCount = tt.configured
				c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
				if tt.others > 0 {
					c.ShardCountInUse = func() int { return tt.others }
				}
			})
			waitShards(t, srv, "one shard", oneEach(1))
			// The bot joins a second server, and its one shard now holds two.
			srv.AddGuild(g2)
			srv.SetRecommendedShards(2)
			srv.InvalidateSessions()
			// Discord's 1-5 s, the refused IDENTIFY, then two new ones on
			// one key.
			waitShardsFor(t, srv, "the refused IDENTIFY", identifyWait, func(map[string]int) bool { return srv.GatewayStats().ShardingRequired > 0 })
			if tt.wantCount == 2 {
				waitShardsFor(t, srv, "two shards", 2*identifyWait, func(live map[string]int) bool { return oneEach(2)(live) && len(live) == 2 })
				answeredOnce(t, srv, g1)
				answeredOnce(t, srv, g2)
			} else {
				time.Sleep(time.Second) // a few balancing passes
			}
			reshardedTo(t, srv, b, &logs, tt.wantCount, tt.wantLog)
		})
	}
}

// Discord may refuse the very first IDENTIFY for holding too many servers
// (its recommended count lagging the bot's growth, or discord.shard_count
// set too low). That is no reason to give up on Discord: the bot moves to
// the count Discord recommends where the count is Discord's to choose, and
// else connects without the refused shards, sends no more IDENTIFYs that
// would be refused (each spends one of the day's session starts), says why,
// and still delivers alerts, which need no gateway.
func TestABotRefusedAtItsFirstConnectForHoldingTooManyServersStillConnects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		configured int
		wantCount  int
		wantLog    string
	}{
		{"the count Discord recommends", 0, 2, "re-sharding"},
		{"a count set in the config", 1, 1, "raise it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g1, g2 := guildOnShard(0, 2), guildOnShard(1, 2)
			srv := discordtest.NewServer(t, discordtest.WithGuild(g1), discordtest.WithGuild(g2),
				discordtest.WithMaxGuildsPerShard(1), discordtest.WithRecommendedShards(1))
			var logs logtest.Buffer
			db := openDB(t)
			b := shardedBotLeasing(t, srv, db, nil, shardTTL, func(c *bot.Config) {
				c.ShardCount = tt.configured
				c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			if st := srv.GatewayStats(); st.ShardingRequired != 1 {
				t.Fatalf("Discord refused %d IDENTIFYs for holding too many servers, want 1", st.ShardingRequired)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); b.Deliver(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			queue(t, db, "s1", g1.Channels[0].ID)
			waitUntil(t, "the alert delivered", func() bool { return len(srv.Messages(g1.Channels[0].ID)) == 1 })

			srv.SetRecommendedShards(2)
			if tt.wantCount == 2 {
				waitShardsFor(t, srv, "two shards", 2*identifyWait, func(live map[string]int) bool { return oneEach(2)(live) && len(live) == 2 })
				answeredOnce(t, srv, g1)
				answeredOnce(t, srv, g2)
			} else {
				time.Sleep(time.Second) // a few balancing passes
				if live := srv.ShardSessions(); len(live) != 0 {
					t.Errorf("sessions %v on a count Discord refuses", live)
				}
			}
			reshardedTo(t, srv, b, &logs, tt.wantCount, tt.wantLog)
		})
	}
}

// reshardedTo checks that Discord refused one IDENTIFY for holding too
// many servers, that b ended on want shards and that its log says why.
func reshardedTo(t *testing.T, srv *discordtest.Server, b *bot.Bot, logs *logtest.Buffer, want int, wantLog string) {
	t.Helper()
	if st := srv.GatewayStats(); st.ShardingRequired != 1 {
		t.Errorf("Discord refused %d IDENTIFYs for holding too many servers, want only the first", st.ShardingRequired)
	}
	if got := b.ShardCount(); got != want {
		t.Errorf("ShardCount = %d, want %d", got, want)
	}
	if !strings.Contains(logs.String(), wantLog) {
		t.Errorf("the log does not say %q:\n%s", wantLog, logs.String())
	}
}
