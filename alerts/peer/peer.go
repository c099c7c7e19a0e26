// Package peer lets several `vigil run` processes share one database as
// equals, with no coordinator: each says it is alive every few seconds,
// work is spread over the live ones by rendezvous hashing, and a lease in
// the database makes sure that one process at a time does a piece of work
// (polls a feed, sends to a channel). A process that dies stops saying it
// is alive; once its heartbeat expires its leases are dropped and its work
// hashes to the others.
package peer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// Store keeps the peers and their leases; storage.DB implements it.
type Store interface {
	Beat(ctx context.Context, p alerts.Peer, ttl time.Duration) ([]alerts.Peer, error)
	Leave(ctx context.Context, peerID string) error
	TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	DropLease(ctx context.Context, name, holder string) error
	Leases(ctx context.Context, holder string) ([]alerts.Lease, error)
	TakeRate(ctx context.Context, name string, interval time.Duration, burst int) (time.Duration, error)
}

// DefaultTTL is how long one heartbeat keeps a peer alive. A peer beats
// three times per TTL, so a killed one is noticed (and its feeds and
// channels taken over) within a TTL, and a slow database write does not
// make a live one look dead.
const DefaultTTL = 15 * time.Second

// Config builds a Member.
type Config struct {
	Store Store
	// TTL is DefaultTTL when zero.
	TTL    time.Duration
	Logger *slog.Logger
	// ID overrides the process's identity (tests); by default it is
	// host-pid-random.
	ID string
}

// Member is this process as one of the peers.
type Member struct {
	cfg  Config
	self alerts.Peer

	mu   sync.Mutex
	live []string // IDs of the live peers, sorted
	// peers are the live peers as the last heartbeat read them.
	peers []alerts.Peer
	// disagree is the shard counts the live peers use when they differ,
	// as last logged.
	disagree string
	joined   time.Time
	stop     context.CancelFunc
	done     chan struct{}
}

// New returns the member for this process; it takes part once Join has run.
func New(cfg Config) (*Member, error) {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	id := cfg.ID
	if id == "" {
		var r [4]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, fmt.Errorf("make process identity: %w", err)
		}
		// The random part tells apart two processes that were given the
		// same PID, one after the other or in two containers.
		id = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	}
	return &Member{cfg: cfg, self: alerts.Peer{ID: id, Host: host, PID: os.Getpid(), Started: time.Now()}}, nil
}

// ID is this process's identity among the peers.
func (m *Member) ID() string { return m.self.ID }

// Join records this process as alive, so that it counts when work is
// shared out, and keeps it so until Leave.
func (m *Member) Join(ctx context.Context) error {
	if err := m.beat(ctx); err != nil {
		return err
	}
	bctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.mu.Lock()
	m.joined = time.Now()
	m.stop, m.done = stop, make(chan struct{})
	done := m.done
	m.mu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTicker(m.cfg.TTL / 3)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-bctx.Done():
				return
			case <-t.C:
			}
			err := m.beat(bctx)
			switch {
			case err != nil && bctx.Err() == nil && !failing:
				failing = true
				m.cfg.Logger.Warn("cannot tell the other Vigil processes this one is alive; if this lasts, they take over its feeds and channels",
					"peer", m.self.ID, "err", err)
			case err == nil && failing:
				failing = false
				m.cfg.Logger.Info("heartbeat recorded again", "peer", m.self.ID)
			}
		}
	}()
	return nil
}

func (m *Member) beat(ctx context.Context) error {
	m.mu.Lock()
	self := m.self
	m.mu.Unlock()
	peers, err := m.cfg.Store.Beat(ctx, self, m.cfg.TTL)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(peers))
	for _, p := range peers {
		ids = append(ids, p.ID)
	}
	disagree := shardCountsIfTheyDiffer(peers)
	m.mu.Lock()
	changed := !slices.Equal(ids, m.live)
	before := len(m.live)
	m.live, m.peers = ids, peers
	newlyDisagree := disagree != "" && disagree != m.disagree
	m.disagree = disagree
	m.mu.Unlock()
	if changed && before > 0 {
		m.cfg.Logger.Info(fmt.Sprintf("%d Vigil processes share the database now (was %d); feeds and channels are shared out again", len(ids), before),
			"peer", m.self.ID, "peers", ids)
	}
	if newlyDisagree {
		m.cfg.Logger.Error("the Vigil processes split the Discord gateway into different numbers of shards, so some servers' slash commands reach two processes or none; "+
			"set discord.shard_count to one value for all of them and restart them", "peer", m.self.ID, "shard_counts", disagree)
	}
	return nil
}

// shardCountsIfTheyDiffer lists the peers' shard counts ("a=3 b=4") when
// two known ones differ, and is "" when they agree.
func shardCountsIfTheyDiffer(peers []alerts.Peer) string {
	first, differ := 0, false
	for _, p := range peers {
		switch {
		case p.ShardCount == 0:
		case first == 0:
			first = p.ShardCount
		case p.ShardCount != first:
			differ = true
		}
	}
	if !differ {
		return ""
	}
	var parts []string
	for _, p := range peers {
		if p.ShardCount != 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", p.ID, p.ShardCount))
		}
	}
	return strings.Join(parts, " ")
}

// ShardCountInUse is the gateway shard count the other live peers use: the
// count of the one running longest, or 0 when none has one. A process that
// starts beside running ones uses theirs, since a shard count is one for
// the whole bot: Discord's recommendation changes as the bot grows, and a
// process that took the newer one would split the servers otherwise.
func (m *Member) ShardCountInUse() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var oldest *alerts.Peer
	for i := range m.peers {
		p := &m.peers[i]
		if p.ID == m.self.ID || p.ShardCount == 0 {
			continue
		}
		if oldest == nil || p.Started.Before(oldest.Started) || p.Started.Equal(oldest.Started) && p.ID < oldest.ID {
			oldest = p
		}
	}
	if oldest == nil {
		return 0
	}
	return oldest.ShardCount
}

// UseShardCount records the gateway shard count this process uses, at
// once, so that a process starting next takes it.
func (m *Member) UseShardCount(ctx context.Context, n int) error {
	m.mu.Lock()
	m.self.ShardCount = n
	m.mu.Unlock()
	if err := m.beat(ctx); err != nil {
		return fmt.Errorf("record the gateway shard count %d for the other Vigil processes: %w", n, err)
	}
	return nil
}

// Leave stops the heartbeat and removes this process and its leases, so
// that the others take over its work at once rather than after the TTL.
func (m *Member) Leave(ctx context.Context) error {
	m.mu.Lock()
	stop, done := m.stop, m.done
	m.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	return m.cfg.Store.Leave(ctx, m.self.ID)
}

// Peers returns the IDs of the peers alive at the last heartbeat.
func (m *Member) Peers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.live)
}

// discordBudget names Discord's global request limit among the shared
// budgets: the limit is the bot's, whichever process sends.
const discordBudget = "discord:global"

// rateBurst is how many requests of a shared budget may go back to back.
// Two keeps every rolling second within the rate plus one, so a budget
// set a few requests under Discord's limit stays under it.
const rateBurst = 2

// TakeRate asks for one request of the budget of perSecond that all the
// peers share (Discord's global limit is the bot's, not each process's),
// and returns 0 if it may go now or else how long to wait before asking
// again. Whichever process has requests to make uses the budget, so one
// with a backlog gets all of what idle peers leave.
//
// Alone, a process asks nobody: its own pacer keeps it to the rate. One
// that has just joined others waits until they have all seen it (one
// heartbeat interval, with a margin), since until then they still send as
// if alone.
func (m *Member) TakeRate(ctx context.Context, perSecond float64) (time.Duration, error) {
	m.mu.Lock()
	n, since := len(m.live), time.Since(m.joined)
	m.mu.Unlock()
	if n <= 1 {
		return 0, nil
	}
	if hold := m.cfg.TTL/2 - since; hold > 0 {
		return hold, nil
	}
	interval := time.Duration(float64(time.Second) / max(perSecond, 1))
	return m.cfg.Store.TakeRate(ctx, discordBudget, interval, rateBurst)
}

// Owner returns the live peer a piece of work belongs to (OwnerAmong the
// peers alive at the last heartbeat). Before the first heartbeat it is this
// process.
func (m *Member) Owner(key string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.live) == 0 {
		return m.self.ID
	}
	return OwnerAmong(m.live, key)
}

// OwnerAmong returns the peer of live a piece of work belongs to: the one
// whose hash with key is highest (rendezvous hashing), ties to the lowest
// ID. Every peer computes the same owner from the same list, a peer's
// death moves only its own keys, and keys spread evenly. It is "" for no
// peers.
func OwnerAmong(live []string, key string) string {
	best, bestScore := "", uint64(0)
	for _, id := range live {
		if s := score(id, key); best == "" || s > bestScore || (s == bestScore && id < best) {
			best, bestScore = id, s
		}
	}
	return best
}

// Owns reports whether key's work belongs to this process.
func (m *Member) Owns(key string) bool { return m.Owner(key) == m.self.ID }

// score is FNV-1a of the peer and key, finished with splitmix64's mixer:
// FNV alone scores keys that differ in their last bytes too alike for an
// even spread.
func score(peerID, key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(peerID))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return alerts.SplitMix64(h.Sum64())
}

// Claim takes the lease name for ttl and reports whether this process
// has it; release gives it back. A lease already held by another live
// process is not taken. A database error counts as not having it: the
// work waits rather than risk being done twice.
func (m *Member) Claim(ctx context.Context, name string, ttl time.Duration) (release func(), ok bool) {
	ok, err := m.cfg.Store.TakeLease(ctx, name, m.self.ID, ttl)
	if err != nil {
		if ctx.Err() == nil {
			m.cfg.Logger.Error("take lease", "lease", name, "err", err)
		}
		return func() {}, false
	}
	if !ok {
		return func() {}, false
	}
	return func() {
		if err := m.cfg.Store.DropLease(context.WithoutCancel(ctx), name, m.self.ID); err != nil {
			m.cfg.Logger.Warn("give back lease; it expires by itself", "lease", name, "err", err)
		}
	}, true
}

// Leases returns the leases this process holds.
func (m *Member) Leases(ctx context.Context) ([]alerts.Lease, error) {
	return m.cfg.Store.Leases(ctx, m.self.ID)
}
