package bot

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestPacerNeverLetsMoreThanItsLimitLeaveInAnySecond(t *testing.T) {
	p := newPacer(47)
	var times []time.Time // appended under the pacer's lock
	p.granted = func(at time.Time) { times = append(times, at) }
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				if err := p.wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(times) != 64 {
		t.Fatalf("%d sends", len(times))
	}
	for i := range times {
		n := 0
		for _, u := range times {
			if !u.Before(times[i]) && u.Sub(times[i]) < time.Second {
				n++
			}
		}
		if n > 47 {
			t.Fatalf("%d sends within one second of %v; limit 47", n, times[i])
		}
	}
	if spent := times[len(times)-1].Sub(times[0]); spent > 3*time.Second {
		t.Errorf("64 sends took %v; the pacer is slower than its rate", spent)
	}
}

func TestPacerStopsWaitingWhenCancelled(t *testing.T) {
	p := newPacer(1)
	p.wait(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.wait(ctx); err == nil {
		t.Fatal("wait returned before the rate allowed and without the context's error")
	}
}

func TestAPacerWhoseShareShrinksCountsTheSendsAlreadyMade(t *testing.T) {
	p := newPacer(40)
	var times []time.Time // appended under the pacer's lock
	p.granted = func(at time.Time) { times = append(times, at) }
	for range 30 {
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Another process joined: this one may now use a quarter, 10 a second.
	p.share(40, 0.25)
	changed := len(times)
	for range 12 {
		if err := p.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for i := changed; i < len(times); i++ {
		n := 0
		for _, u := range times {
			if !u.After(times[i]) && times[i].Sub(u) < time.Second {
				n++
			}
		}
		if n > 10 {
			t.Fatalf("send %d had %d sends in the second up to it; the new limit is 10", i, n)
		}
	}
}
