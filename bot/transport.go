package bot

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Discord bans an IP from its API for a while once it has answered 10,000
// requests with 401, 403 or 429 within 10 minutes (Discord: "Invalid Request
// Limit" in topics/rate-limits). Vigil counts those answers itself and stops
// delivering at a tenth of that, so a misconfigured server or a storm of
// revoked channels can never take the bot's whole IP down.
const (
	invalidWindow = 10 * time.Minute
	// invalidSlot is the counter's resolution: the window is this many
	// slots, each counting the answers of its slot of time.
	invalidSlot   = 10 * time.Second
	discordBanAt  = 10_000
	invalidBudget = discordBanAt / 10
)

// ErrTokenRejected is returned, without any request being made, once
// Discord has answered 401 to the bot's token: every later request would be
// refused too, and each refusal counts towards Discord's ban.
var ErrTokenRejected = errors.New("Discord rejected the bot token (401 Unauthorized): it was reset or the bot was deleted; " +
	"Vigil stopped talking to Discord, keeps polling feeds and queues alerts; put the new token in the config and restart")

// guard is the http.RoundTripper between discordgo and Discord. It counts
// the answers Discord holds against the bot, stops every request once the
// token is rejected, and (for tests only) sends the traffic to another base
// URL.
type guard struct {
	base    http.RoundTripper
	apiBase *url.URL

	rejected     atomic.Bool
	onRejected   func()
	rejectedOnce sync.Once

	mu    sync.Mutex
	slots [int(invalidWindow / invalidSlot)]struct {
		start time.Time
		n     int
	}
	total int64
	now   func() time.Time
	// globalUntil is when a global 429 (or Cloudflare's ban) ends: no
	// delivery is tried before.
	globalUntil time.Time
	banned      bool
}

func newGuard(base http.RoundTripper, apiBase string, now func() time.Time, onRejected func()) (*guard, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	g := &guard{base: base, now: now, onRejected: onRejected}
	if apiBase != "" {
		u, err := url.Parse(apiBase)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("api base %q is not a URL", apiBase)
		}
		g.apiBase = u
	}
	return g, nil
}

// RoundTrip implements http.RoundTripper.
func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	botAuth := strings.HasPrefix(r.Header.Get("Authorization"), "Bot ")
	if botAuth && g.rejected.Load() {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, ErrTokenRejected
	}
	if g.apiBase != nil {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = g.apiBase.Scheme, g.apiBase.Host, g.apiBase.Host
	}
	resp, err := g.base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		g.count()
		// Interaction and webhook routes authenticate by their own token;
		// a 401 there says nothing about the bot's.
		if botAuth {
			g.reject()
		}
	case http.StatusForbidden:
		g.count()
	case http.StatusTooManyRequests:
		// Discord: 429s of a shared resource's limit are not counted.
		if resp.Header.Get("X-RateLimit-Scope") != "shared" {
			g.count()
		}
		g.noteRateLimit(resp)
		// Vigil waits out a 429 itself, holding what it covers and
		// watching its context; told of it, discordgo would sleep
		// through the next request on that route blind.
		for _, k := range []string{"X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After", "X-RateLimit-Global"} {
			resp.Header.Del(k)
		}
	}
	return resp, nil
}

// reject stops every later request made with the bot's token.
func (g *guard) reject() {
	g.rejected.Store(true)
	g.rejectedOnce.Do(func() {
		if g.onRejected != nil {
			g.onRejected()
		}
	})
}

func (g *guard) count() {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	s := &g.slots[int(now.UnixNano()/int64(invalidSlot))%len(g.slots)]
	start := now.Truncate(invalidSlot)
	if !s.start.Equal(start) {
		s.start, s.n = start, 0
	}
	s.n++
	g.total++
}

// noteRateLimit remembers a 429 that stops every request, not one route's:
// Discord's global limit, or Cloudflare's ban of the IP, which answers in
// HTML rather than Discord's JSON.
func (g *guard) noteRateLimit(resp *http.Response) {
	global := resp.Header.Get("X-RateLimit-Global") == "true" || resp.Header.Get("X-RateLimit-Scope") == "global"
	banned := !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")
	if !global && !banned {
		return
	}
	wait := time.Second
	if secs, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && secs > 0 {
		wait = time.Duration(secs * float64(time.Second))
	}
	if banned {
		// Discord: the restriction lasts "a period of time"; an hour is
		// the figure its developers give.
		wait = max(wait, time.Hour)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := g.now().Add(wait); until.After(g.globalUntil) {
		g.globalUntil = until
	}
	g.banned = g.banned || banned
}

// heldUntil is when requests may go out again after a global 429 or a ban;
// zero or past when they may now.
func (g *guard) heldUntil() (time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.globalUntil, g.banned
}

// invalid is how many answers Discord counts against the bot in the last
// ten minutes.
func (g *guard) invalid() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	since := g.now().Add(-invalidWindow)
	n := 0
	for _, s := range g.slots {
		if s.start.After(since) {
			n += s.n
		}
	}
	return n
}

// overBudget reports whether delivery should stop for now.
func (g *guard) overBudget() bool { return g.invalid() >= invalidBudget }
