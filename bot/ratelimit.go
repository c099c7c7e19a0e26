package bot

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Per-member limits on the searches (/recent, /watch test): each reads many
// stories, and any member may run /recent, so one member must not be able
// to keep the database busy for a whole server or for other servers.
const (
	searchBurst = 3
	searchEvery = 5 * time.Second
	// searchTimeout bounds one search; the reply is deferred, so it is
	// only how long a member waits, never Discord's deadline.
	searchTimeout = 5 * time.Second
	// searchLimiterIdle is how long an idle member's limiter is kept.
	searchLimiterIdle = 10 * time.Minute
)

// memberLimiter hands each (server, member) a token bucket.
type memberLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*memberBucket
	swept   time.Time
}

type memberBucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newMemberLimiter(now func() time.Time) *memberLimiter {
	return &memberLimiter{now: now, buckets: map[string]*memberBucket{}}
}

// allow takes a token for the member; when none is left it says how long
// until one is.
func (m *memberLimiter) allow(guildID, userID string) (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if now.Sub(m.swept) > searchLimiterIdle {
		for k, b := range m.buckets {
			if now.Sub(b.used) > searchLimiterIdle {
				delete(m.buckets, k)
			}
		}
		m.swept = now
	}
	key := guildID + "/" + userID
	b := m.buckets[key]
	if b == nil {
		b = &memberBucket{lim: rate.NewLimiter(rate.Every(searchEvery), searchBurst)}
		m.buckets[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
