package discordtest

import (
	"fmt"
	"net/http"
	"path"
	"regexp"
	"sync"
	"time"
)

// Discord's JSON error codes that the fake answers with (Discord: "JSON Error
// Codes" in the opcodes and status codes reference).
const (
	CodeGeneral                = 0
	CodeUnknownChannel         = 10003
	CodeUnknownGuild           = 10004
	CodeUnknownMember          = 10007
	CodeUnknownMessage         = 10008
	CodeUnknownUser            = 10013
	CodeUnknownWebhook         = 10015
	CodeUnknownInteraction     = 10062
	CodeUnknownCommand         = 10063
	CodeMissingAccess          = 50001
	CodeCannotSendEmptyMessage = 50006
	CodeMissingPermissions     = 50013
	CodeInvalidWebhookToken    = 50027
	CodeInvalidFormBody        = 50035
	CodeAlreadyAcknowledged    = 40060
	CodeThreadArchived         = 50083
	CodeThreadLocked           = 160005
)

// Fault replaces or disturbs the fake's answer to one request.
//
// With Status set, the fake answers that status with Discord's error body
// (for 429, the rate-limit body with RetryAfter and Global; Shared makes it
// a per-resource limit, X-RateLimit-Scope: shared, which Discord does not
// count towards the invalid request limit). Injected 401, 403 and 429
// answers count towards that limit like real ones (see InvalidRequests). With Drop, it
// closes the connection without answering. Delay waits before answering.
// Commit first handles the request normally, so that Discord has accepted it
// (a message exists) before the error, delay or drop: the crash window between
// Discord accepting and the bot recording.
type Fault struct {
	Status     int
	Code       int
	Message    string
	RetryAfter time.Duration
	Global     bool
	Shared     bool
	Delay      time.Duration
	Drop       bool
	Commit     bool
}

// TooManyRequests is a 429 asking the client to wait retryAfter.
func TooManyRequests(retryAfter time.Duration, global bool) *Fault {
	return &Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Global: global, Message: "You are being rate limited."}
}

// ServerError is a 5xx with the body Discord sends for it.
func ServerError(status int) *Fault {
	return &Fault{Status: status, Code: CodeGeneral, Message: fmt.Sprintf("%d: %s", status, http.StatusText(status))}
}

// MissingPermissions is Discord's 403 for a channel the bot may not post in.
func MissingPermissions() *Fault {
	return &Fault{Status: http.StatusForbidden, Code: CodeMissingPermissions, Message: "Missing Permissions"}
}

// MissingAccess is Discord's 403 for a channel the bot cannot see.
func MissingAccess() *Fault {
	return &Fault{Status: http.StatusForbidden, Code: CodeMissingAccess, Message: "Missing Access"}
}

// UnknownChannel is Discord's 404 for a deleted channel.
func UnknownChannel() *Fault {
	return &Fault{Status: http.StatusNotFound, Code: CodeUnknownChannel, Message: "Unknown Channel"}
}

// AcceptThenDrop handles the request (the message is created) and then closes
// the connection without answering.
func AcceptThenDrop() *Fault {
	return &Fault{Commit: true, Drop: true}
}

// Slow handles the request and answers after d.
func Slow(d time.Duration) *Fault {
	return &Fault{Commit: true, Delay: d}
}

// injector is one registered fault source.
type injector struct {
	fn func(*http.Request) *Fault
}

// Inject registers fn, consulted for every REST request in registration
// order; the first non-nil Fault applies. fn may read the request body. The
// returned func removes fn.
func (s *Server) Inject(fn func(*http.Request) *Fault) (remove func()) {
	inj := &injector{fn: fn}
	s.mu.Lock()
	s.faults = append(s.faults, inj)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, f := range s.faults {
			if f == inj {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// FailNext applies fault to the next n requests with the given method ("" for
// any) whose path, without the /api/vN prefix, matches pattern as in
// path.Match, such as "/channels/*/messages".
func (s *Server) FailNext(method, pattern string, n int, fault *Fault) {
	if _, err := path.Match(pattern, "/"); err != nil {
		s.tb.Errorf("FailNext: bad pattern %q: %v", pattern, err)
		return
	}
	var mu sync.Mutex
	left := n
	s.Inject(func(r *http.Request) *Fault {
		if !matchRequest(method, pattern, r.Method, r.URL.Path) {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if left <= 0 {
			return nil
		}
		left--
		return fault
	})
}

// faultFor returns the fault for r, if any. Injectors run without the
// server's lock so that they may call its accessors.
func (s *Server) faultFor(r *http.Request) *Fault {
	s.mu.Lock()
	faults := append([]*injector(nil), s.faults...)
	s.mu.Unlock()
	for _, inj := range faults {
		if f := inj.fn(r); f != nil {
			return f
		}
	}
	return nil
}

var apiPrefix = regexp.MustCompile(`^/api/v\d+`)

// matchRequest reports whether a request matches a FailNext-style filter.
func matchRequest(method, pattern, reqMethod, reqPath string) bool {
	if method != "" && method != reqMethod {
		return false
	}
	ok, err := path.Match(pattern, apiPrefix.ReplaceAllString(reqPath, ""))
	return err == nil && ok
}

// SetOutage takes the whole fake down or brings it back, as an outage of
// Discord looks to a client: while down, every gateway connection is cut
// and every request, REST or gateway, has its connection closed without an
// answer. What the fake holds (messages, sessions, rate limits) survives.
func (s *Server) SetOutage(down bool) {
	s.outage.Store(down)
	if !down {
		return
	}
	s.mu.Lock()
	conns := make([]*gatewayConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// refuse closes a request's connection without an answer.
func (s *Server) refuse(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	http.Error(w, "Discord is down", http.StatusServiceUnavailable)
}
