package peer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/storage"
	"github.com/vigilbot/vigil/storage/storagetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// engines are the databases the peers may share: a SQLite file, and a
// PostgreSQL schema when VIGIL_TEST_POSTGRES names a server.
func engines(t *testing.T, test func(t *testing.T, where string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "vigil.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, storagetest.DSN(t)) })
}

// openDB opens the shared database; each "process" gets its own handle on
// it, as separate processes would.
func openDB(t *testing.T, where string) *storage.DB {
	t.Helper()
	var db *storage.DB
	var err error
	if strings.HasPrefix(where, "postgres") {
		db, err = storage.OpenPostgres(context.Background(), where)
	} else {
		db, err = storage.Open(context.Background(), where)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func join(t *testing.T, path, id string, ttl time.Duration) *Member {
	t.Helper()
	m, err := New(Config{Store: openDB(t, path), TTL: ttl, Logger: quiet, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Join(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// kill stops a member's heartbeat without leaving, as kill -9 would.
func (m *Member) kill() {
	m.mu.Lock()
	stop, done := m.stop, m.done
	m.mu.Unlock()
	stop()
	<-done
}

// waitPeers waits until every member sees n peers.
func waitPeers(t *testing.T, n int, ms ...*Member) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		all := true
		for _, m := range ms {
			if len(m.Peers()) != n {
				all = false
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			for _, m := range ms {
				t.Logf("%s sees %v", m.ID(), m.Peers())
			}
			t.Fatalf("members never all saw %d peers", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorkIsSharedEvenlyAndOnlyADeadPeersWorkMoves(t *testing.T) {
	engines(t, func(t *testing.T, path string) {
		ttl := 600 * time.Millisecond
		a, b, c := join(t, path, "a", ttl), join(t, path, "b", ttl), join(t, path, "c", ttl)
		waitPeers(t, 3, a, b, c)
		const keys = 3000
		owner := map[string]string{}
		count := map[string]int{}
		for i := range keys {
			k := fmt.Sprintf("feed:https://outlet-%d.example/rss", i)
			o := a.Owner(k)
			if b.Owner(k) != o || c.Owner(k) != o {
				t.Fatalf("peers disagree on who owns %s", k)
			}
			if owns := []bool{a.Owns(k), b.Owns(k), c.Owns(k)}; countTrue(owns) != 1 {
				t.Fatalf("%s is owned by %d peers, want exactly 1", k, countTrue(owns))
			}
			owner[k] = o
			count[o]++
		}
		for _, id := range []string{"a", "b", "c"} {
			if share := float64(count[id]) / keys; math.Abs(share-1.0/3) > 0.04 {
				t.Errorf("peer %s owns %.1f%% of the feeds, want about 33%%", id, 100*share)
			}
		}
		t.Logf("3 peers own %v of %d feeds", count, keys)

		c.kill()
		waitPeers(t, 2, a, b)
		moved := 0
		for k, was := range owner {
			now := a.Owner(k)
			if now != b.Owner(k) {
				t.Fatalf("the two live peers disagree on who owns %s", k)
			}
			switch {
			case was == "c" && now == "c":
				t.Fatalf("%s still belongs to the dead peer", k)
			case was != "c" && now != was:
				t.Fatalf("%s moved from live peer %s to %s when c died", k, was, now)
			case was == "c":
				moved++
			}
		}
		if moved != count["c"] {
			t.Errorf("%d feeds moved, want the dead peer's %d", moved, count["c"])
		}
	})
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func TestALeaseIsHeldByOnePeerAndPassesOnWhenItsHolderDies(t *testing.T) {
	engines(t, func(t *testing.T, path string) {
		ttl := 600 * time.Millisecond
		a, b := join(t, path, "a", ttl), join(t, path, "b", ttl)
		ctx := context.Background()

		// Many tries at once: exactly one wins.
		var wg sync.WaitGroup
		for range 10 {
			for _, m := range []*Member{a, b} {
				wg.Go(func() { m.Claim(ctx, "channel:1", time.Minute) })
			}
		}
		wg.Wait()
		// The winner may have renewed its own lease since: count holders.
		la, _ := a.Leases(ctx)
		lb, _ := b.Leases(ctx)
		if len(la)+len(lb) != 1 {
			t.Fatalf("after a race for one lease, a holds %v and b holds %v; want one of them to", la, lb)
		}
		holder, other := a, b
		if len(lb) == 1 {
			holder, other = b, a
		}
		if _, ok := other.Claim(ctx, "channel:1", time.Minute); ok {
			t.Fatal("a lease held by a live peer was taken by another")
		}

		// Given back, it is free at once.
		release, ok := holder.Claim(ctx, "channel:1", time.Minute)
		if !ok {
			t.Fatal("the holder could not renew its own lease")
		}
		release()
		if _, ok := other.Claim(ctx, "channel:1", time.Minute); !ok {
			t.Fatal("a released lease could not be taken")
		}

		// Its holder killed, a lease of a minute passes on once the holder's
		// heartbeat expires, not after the minute.
		killed := time.Now()
		other.kill()
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, ok := holder.Claim(ctx, "channel:1", time.Minute); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the dead peer's lease never passed on")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if took := time.Since(killed); took > 3*ttl {
			t.Errorf("the lease passed on %v after its holder died; want within about the heartbeat TTL (%v)", took, ttl)
		}
	})
}

func TestLeaveHandsWorkOverAtOnce(t *testing.T) {
	engines(t, func(t *testing.T, path string) {
		a, b := join(t, path, "a", time.Minute), join(t, path, "b", time.Minute)
		ctx := context.Background()
		if _, ok := a.Claim(ctx, "briefing:1", time.Hour); !ok {
			t.Fatal("a could not take a free lease")
		}
		if err := a.Leave(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.Claim(ctx, "briefing:1", time.Hour); !ok {
			t.Fatal("a lease of a peer that left was not free")
		}
		if err := b.beat(ctx); err != nil {
			t.Fatal(err)
		}
		if got := b.Peers(); len(got) != 1 || got[0] != "b" {
			t.Errorf("after a left, b sees peers %v, want [b]", got)
		}
	})
}

// sendFor makes requests through m's share of a budget of perSecond for d,
// as fast as the budget lets it, and returns when each one was let go.
func sendFor(t *testing.T, m *Member, perSecond float64, d time.Duration) []time.Time {
	t.Helper()
	var sent []time.Time
	for end := time.Now().Add(d); time.Now().Before(end); {
		wait, err := m.TakeRate(context.Background(), perSecond)
		if err != nil {
			t.Error(err)
			return sent
		}
		if wait == 0 {
			sent = append(sent, time.Now())
			continue
		}
		time.Sleep(min(wait, time.Until(end)))
	}
	return sent
}

// busiestSecond is the most requests sent within any second.
func busiestSecond(times []time.Time) int {
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i, start := range times {
		n, _ := slices.BinarySearchFunc(times[i:], start.Add(time.Second), func(a, b time.Time) int { return a.Compare(b) })
		most = max(most, n)
	}
	return most
}

func TestTheBudgetIsSharedByWhoeverHasRequestsAndNeverOverspent(t *testing.T) {
	engines(t, func(t *testing.T, path string) {
		const rate = 50
		ttl := 900 * time.Millisecond
		a := join(t, path, "a", ttl)
		// Alone, a asks nobody: its own pacer is the only limit.
		for range 3 * rate {
			if wait, err := a.TakeRate(context.Background(), rate); err != nil || wait != 0 {
				t.Fatalf("alone, a was told to wait %v (err %v); want no wait", wait, err)
			}
		}
		b := join(t, path, "b", ttl)
		// Until a has seen b, a still sends as if alone; b must hold back.
		if wait, err := b.TakeRate(context.Background(), rate); err != nil || wait <= 0 {
			t.Errorf("just joined, b was told to wait %v (err %v); want a wait until a has seen it", wait, err)
		}
		waitPeers(t, 2, a, b)
		time.Sleep(ttl / 2)

		// b is idle: a may use the whole budget, not half of it.
		alone := sendFor(t, a, rate, time.Second)
		if len(alone) < rate*8/10 || busiestSecond(alone) > rate+1 {
			t.Errorf("with b idle, a sent %d requests in a second (busiest second %d); want about %d, never more than %d",
				len(alone), busiestSecond(alone), rate, rate+1)
		}

		// Both busy: together they keep to the budget, and both get some.
		var wg sync.WaitGroup
		var fromA, fromB []time.Time
		wg.Add(2)
		go func() { defer wg.Done(); fromA = sendFor(t, a, rate, 2*time.Second) }()
		go func() { defer wg.Done(); fromB = sendFor(t, b, rate, 2*time.Second) }()
		wg.Wait()
		both := append(slices.Clone(fromA), fromB...)
		// The check is on the times the requests were let go, taken after
		// the database answered, so a slow answer may bunch two; the bound
		// allows for one such pair at either end of the busiest second.
		if most := busiestSecond(both); most > rate+3 || len(both) < 2*rate*8/10 {
			t.Errorf("a and b together sent %d requests in 2 s, %d in their busiest second; want about %d, at most %d in a second",
				len(both), most, 2*rate, rate+1)
		}
		t.Logf("b idle: a sent %d in 1 s; both busy: a %d, b %d in 2 s, busiest second %d (budget %d a second)",
			len(alone), len(fromA), len(fromB), busiestSecond(both), rate)
		if len(fromA) < rate/4 || len(fromB) < rate/4 {
			t.Errorf("a sent %d and b %d in 2 s; each busy process should get a fair part of %d", len(fromA), len(fromB), 2*rate)
		}
	})
}

func TestAHoldOutlivesItsHolderButItsWorkDoesNot(t *testing.T) {
	engines(t, func(t *testing.T, path string) {
		ctx := context.Background()
		ttl := 900 * time.Millisecond
		a := join(t, path, "a", ttl)
		b := join(t, path, "b", ttl)
		if _, ok := a.Claim(ctx, "hold:identify:0", time.Hour); !ok {
			t.Fatal("a could not take a free hold")
		}
		if _, ok := a.Claim(ctx, "channel:1", time.Hour); !ok {
			t.Fatal("a could not take a free lease")
		}
		if err := a.Leave(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := b.Claim(ctx, "channel:1", time.Hour); !ok {
			t.Error("the lease of a process that left was not free")
		}
		if _, ok := b.Claim(ctx, "hold:identify:0", time.Hour); ok {
			t.Error("the hold of a process that left was taken before it expired")
		}
	})
}

// TestAPeerTakesTheShardCountInUseAndSaysWhenPeersDisagree: the count of
// the longest-running peer is the one in use, a peer's own does not count
// for itself, and peers using different counts are reported in words.
func TestAPeerTakesTheShardCountInUseAndSaysWhenPeersDisagree(t *testing.T) {
	engines(t, func(t *testing.T, where string) {
		ctx := context.Background()
		a := join(t, where, "a", time.Second)
		defer a.Leave(ctx)
		if got := a.ShardCountInUse(); got != 0 {
			t.Errorf("alone, the count in use is %d, want 0: there is no one else's to take", got)
		}
		if err := a.UseShardCount(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if got := a.ShardCountInUse(); got != 0 {
			t.Errorf("alone after choosing 3, the count in use by others is %d, want 0", got)
		}
		var logged bytes.Buffer
		var mu sync.Mutex
		b, err := New(Config{Store: openDB(t, where), TTL: time.Second, ID: "b",
			Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, nil))})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Join(ctx); err != nil {
			t.Fatal(err)
		}
		defer b.Leave(ctx)
		if got := b.ShardCountInUse(); got != 3 {
			t.Errorf("a peer joining beside one using 3 shards is told %d", got)
		}
		if err := b.UseShardCount(ctx, 4); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		out := logged.String()
		mu.Unlock()
		if !strings.Contains(out, "different numbers of shards") || !strings.Contains(out, "a=3 b=4") {
			t.Errorf("peers using 3 and 4 shards were not reported; the log says:\n%s", out)
		}
	})
}

// lockedWriter lets a test read what a logger wrote while it still runs.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
