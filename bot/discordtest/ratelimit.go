package discordtest

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Limit allows Requests requests per window of length Per.
type Limit struct {
	Requests int
	Per      time.Duration
}

// RateLimits are the limits a Server enforces. Each route has its own bucket
// per major parameter (channel, guild or webhook), as on Discord. A zero
// Limit does not limit, and a route without a limit sends no X-RateLimit
// headers.
type RateLimits struct {
	// MessageCreate limits POST /channels/{id}/messages per channel.
	MessageCreate Limit
	// Route limits every other route, per route and major parameter.
	Route Limit
	// Global limits all requests of the bot except interaction callbacks,
	// which Discord exempts from the global limit.
	Global Limit
}

// DiscordRateLimits returns Discord's published limits: 5 messages per 5 s
// per channel and 50 requests per second globally (Discord: "Rate Limits";
// the per-channel figure is the long-standing observed bucket for message
// create). Other routes get a conservative 5 per second.
func DiscordRateLimits() RateLimits {
	return RateLimits{
		MessageCreate: Limit{Requests: 5, Per: 5 * time.Second},
		Route:         Limit{Requests: 5, Per: time.Second},
		Global:        Limit{Requests: 50, Per: time.Second},
	}
}

// defaultRateLimits are generous so that ordinary tests never wait, while
// every answer still carries real headers.
func defaultRateLimits() RateLimits {
	return RateLimits{
		MessageCreate: Limit{Requests: 1000, Per: time.Second},
		Route:         Limit{Requests: 1000, Per: time.Second},
		Global:        Limit{Requests: 10000, Per: time.Second},
	}
}

// window is a fixed rate-limit window, the model Discord's headers describe:
// a count of requests that resets all at once.
type window struct {
	reset time.Time
	used  int
}

// take counts one request against lim at now and reports whether it is
// allowed. A refused request does not use up the window.
func (w *window) take(lim Limit, now time.Time) bool {
	if !now.Before(w.reset) {
		w.reset = now.Add(lim.Per)
		w.used = 0
	}
	if w.used >= lim.Requests {
		return false
	}
	w.used++
	return true
}

// limiter holds every bucket; the Server's mutex guards it.
type limiter struct {
	limits  RateLimits
	global  window
	buckets map[string]*window
}

func newLimiter(limits RateLimits) limiter {
	return limiter{limits: limits, buckets: make(map[string]*window)}
}

// verdict is the outcome of one request against the limits.
type verdict struct {
	allowed bool
	global  bool
	limit   Limit
	win     window
	bucket  string
}

// check applies the global and route limits to a request on route (a mux
// pattern) with the given major parameter.
func (l *limiter) check(route, major string, exemptGlobal bool, now time.Time) verdict {
	if !exemptGlobal && l.limits.Global.Requests > 0 && !l.global.take(l.limits.Global, now) {
		return verdict{global: true, limit: l.limits.Global, win: l.global}
	}
	lim := l.limits.Route
	if route == routeMessageCreate {
		lim = l.limits.MessageCreate
	}
	v := verdict{allowed: true, limit: lim, bucket: bucketHash(route)}
	if lim.Requests <= 0 {
		return v
	}
	key := route + "\x00" + major
	w := l.buckets[key]
	if w == nil {
		w = &window{}
		l.buckets[key] = w
	}
	v.allowed = w.take(lim, now)
	v.win = *w
	return v
}

// headers writes the X-RateLimit headers Discord sends on every answer, and
// on a refusal the 429 extras.
func (v verdict) headers(h http.Header, now time.Time) {
	after := max(v.win.reset.Sub(now), 0)
	if v.global {
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
		return
	}
	if v.limit.Requests <= 0 {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(v.limit.Requests))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(v.limit.Requests-v.win.used, 0)))
	h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(v.win.reset.UnixMilli())/1000))
	h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", after.Seconds()))
	h.Set("X-RateLimit-Bucket", v.bucket)
	if !v.allowed {
		h.Set("X-RateLimit-Scope", "user")
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(after.Seconds()))))
	}
}

// retryAfter is the wait a refusal asks for.
func (v verdict) retryAfter(now time.Time) time.Duration {
	return max(v.win.reset.Sub(now), 0)
}

// bucketHash stands in for Discord's opaque bucket hash: stable per route.
func bucketHash(route string) string {
	h := fnv.New64a()
	h.Write([]byte(route))
	return fmt.Sprintf("%016x", h.Sum64())
}
