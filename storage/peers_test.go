package storage

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// TestARateBudgetSharedByTwoHandlesLetsTheRateAndOneBurstThrough steps a
// clock through the budget two processes share (two handles on one
// database) and checks each answer: the burst, the steady rate, the wait
// it tells, and that an idle spell does not bank more than the burst.
func TestARateBudgetSharedByTwoHandlesLetsTheRateAndOneBurstThrough(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		var mu sync.Mutex
		now := t0
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		where := b.fresh(t)
		one := b.reopen(t, where, WithClock(clock))
		two := b.reopen(t, where, WithClock(clock))
		const interval, burst = 100 * time.Millisecond, 2
		steps := []struct {
			name    string
			db      *DB
			advance time.Duration
			want    time.Duration
		}{
			{"first request", one, 0, 0},
			{"second, within the burst, from the other process", two, 0, 0},
			{"third at once waits one interval", one, 0, interval},
			{"the other process is told the same", two, 0, interval},
			{"half an interval later, half left to wait", two, interval / 2, interval / 2},
			{"one interval later it goes", one, interval / 2, 0},
			{"and the next waits again", two, 0, interval},
			{"after an idle minute, one burst", one, time.Minute, 0},
			{"the burst's second", two, 0, 0},
			{"not a third: idle time does not bank", one, 0, interval},
		}
		for _, s := range steps {
			advance(s.advance)
			got, err := s.db.TakeRate(context.Background(), "discord:global", interval, burst)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got != s.want {
				t.Errorf("%s: wait %v, want %v", s.name, got, s.want)
			}
		}
		if _, err := one.TakeRate(context.Background(), "discord:global", 0, burst); err == nil {
			t.Error("a zero interval was taken; want an error")
		}
	})
}

// TestProcessesRacingForARateBudgetNeverOverspendIt has two handles take
// from one budget as fast as they can on a stopped clock: exactly the burst
// goes through, however the takes interleave.
func TestProcessesRacingForARateBudgetNeverOverspendIt(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		where := b.fresh(t)
		dbs := []*DB{b.reopen(t, where), b.reopen(t, where)}
		const burst = 5
		var granted sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for i := range 8 {
			granted.Add(1)
			go func() {
				defer granted.Done()
				for range 10 {
					wait, err := dbs[i%2].TakeRate(context.Background(), "race", time.Second, burst)
					if err != nil {
						t.Error(err)
						return
					}
					if wait == 0 {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				}
			}()
		}
		granted.Wait()
		if allowed != burst {
			t.Errorf("%d requests went through at one instant; the budget allows %d", allowed, burst)
		}
	})
}

// TestEachPeerSaysWhichShardCountItUses has two processes beat, one
// before it knows its gateway shard count and one after, and checks each
// sees the other's: a process starting beside running ones takes their
// count.
func TestEachPeerSaysWhichShardCountItUses(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		where := b.fresh(t)
		one, two := b.reopen(t, where), b.reopen(t, where)
		a := alerts.Peer{ID: "a", Host: "h", PID: 1, Started: t0}
		c := alerts.Peer{ID: "c", Host: "h", PID: 2, Started: t0.Add(time.Second)}
		if _, err := one.Beat(ctx, a, time.Minute); err != nil {
			t.Fatal(err)
		}
		c.ShardCount = 3
		if _, err := two.Beat(ctx, c, time.Minute); err != nil {
			t.Fatal(err)
		}
		a.ShardCount = 3
		live, err := one.Beat(ctx, a, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, p := range live {
			got[p.ID] = p.ShardCount
		}
		if want := map[string]int{"a": 3, "c": 3}; !maps.Equal(got, want) {
			t.Errorf("shard counts the peers say they use: %v, want %v", got, want)
		}
		c.ShardCount = 4
		if live, err = two.Beat(ctx, c, time.Minute); err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(live, func(p alerts.Peer) bool { return p.ID == "c" }); i < 0 || live[i].ShardCount != 4 {
			t.Errorf("after c's beat with 4 shards the peers read %+v", live)
		}
	})
}
