package bot

import (
	"context"
	"errors"
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

// sharedBudget plays the budget other Vigil processes share with this one:
// it answers each ask in turn from answers (the last one repeating), and
// counts how many asks were in flight at once.
type sharedBudget struct {
	mu         sync.Mutex
	answers    []error
	waits      []time.Duration
	asks       int
	inFlight   int
	mostAtOnce int
}

func (s *sharedBudget) take(ctx context.Context) (time.Duration, error) {
	s.mu.Lock()
	i := min(s.asks, len(s.waits)-1)
	s.asks++
	s.inFlight++
	s.mostAtOnce = max(s.mostAtOnce, s.inFlight)
	wait, err := s.waits[i], s.answers[i]
	s.mu.Unlock()
	time.Sleep(time.Millisecond) // a database round trip
	s.mu.Lock()
	s.inFlight--
	s.mu.Unlock()
	return wait, err
}

func TestAPacerWaitsForTheBudgetItSharesWithOtherProcesses(t *testing.T) {
	unreachable := errors.New("connection refused")
	tests := []struct {
		name     string
		waits    []time.Duration
		answers  []error
		atLeast  time.Duration
		asks     int
		failures int
	}{
		{"the budget lets it go at once", []time.Duration{0}, []error{nil}, 0, 1, 0},
		{"told to wait, it waits and asks again", []time.Duration{40 * time.Millisecond, 0}, []error{nil, nil}, 40 * time.Millisecond, 2, 0},
		{"an unreadable budget holds the request back, then lets it go", []time.Duration{0, 0}, []error{unreachable, nil}, 30 * time.Millisecond, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			budget := &sharedBudget{waits: tt.waits, answers: tt.answers}
			p := newPacer(47)
			p.shared = budget.take
			p.sharedRetry = 30 * time.Millisecond
			failures := 0
			p.sharedFailed = func(error) { failures++ }
			start := time.Now()
			if err := p.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took < tt.atLeast {
				t.Errorf("the request went after %v; want at least %v", took, tt.atLeast)
			}
			if budget.asks != tt.asks || failures != tt.failures {
				t.Errorf("asked the budget %d times with %d failures reported; want %d and %d", budget.asks, failures, tt.asks, tt.failures)
			}
		})
	}
}

func TestSendersWaitingOnTheSharedBudgetAskItOneAtATime(t *testing.T) {
	budget := &sharedBudget{waits: []time.Duration{0}, answers: []error{nil}}
	p := newPacer(1000)
	p.shared = budget.take
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if err := p.wait(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if budget.asks != 40 || budget.mostAtOnce != 1 {
		t.Errorf("40 requests asked the budget %d times, up to %d at once; want 40, one at a time", budget.asks, budget.mostAtOnce)
	}
}

func TestAPacerWaitingOnTheSharedBudgetStopsWithItsContext(t *testing.T) {
	budget := &sharedBudget{waits: []time.Duration{time.Hour}, answers: []error{nil}}
	p := newPacer(47)
	p.shared = budget.take
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait = %v; want the context's deadline", err)
	}
}
