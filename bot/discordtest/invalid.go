package discordtest

import (
	"net/http"
	"time"
)

// Discord's invalid request limit (topics/rate-limits, "Invalid Request
// Limit"): an IP whose requests were answered 401, 403 or 429 (429s of the
// shared scope aside) 10,000 times in 10 minutes is restricted from the
// API for a while. The fake counts on its own clock and bans for an hour,
// answering as Cloudflare does: 429 with an HTML body, not Discord's JSON.
const (
	invalidRequestWindow = 10 * time.Minute
	invalidRequestLimit  = 10_000
	banDuration          = time.Hour
)

// countInvalidLocked records an answer's status; s.mu held.
func (s *Server) countInvalidLocked(status int, now time.Time) {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
	default:
		return
	}
	s.invalid = append(s.invalid, now)
	s.pruneInvalidLocked(now)
	if len(s.invalid) > invalidRequestLimit && !now.Before(s.bannedUntil) {
		s.bannedUntil = now.Add(banDuration)
		s.cfg.logger.Warn("discordtest: client banned for too many invalid requests", "count", len(s.invalid))
	}
}

func (s *Server) pruneInvalidLocked(now time.Time) {
	cut := 0
	for cut < len(s.invalid) && now.Sub(s.invalid[cut]) >= invalidRequestWindow {
		cut++
	}
	s.invalid = s.invalid[cut:]
}

// InvalidRequests is how many answers of the last 10 minutes of the fake's
// clock Discord would count towards its ban.
func (s *Server) InvalidRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneInvalidLocked(s.cfg.now())
	return len(s.invalid)
}

// Banned reports whether the fake is refusing every request for too many
// invalid ones.
func (s *Server) Banned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.now().Before(s.bannedUntil)
}

// serveBanned answers a banned client as Cloudflare does: 429 with an HTML
// page, not Discord's JSON.
func (s *Server) serveBanned(w http.ResponseWriter, rc *restCall, route string) {
	s.finish(rc, route, http.StatusTooManyRequests, false)
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Retry-After", "3600")
	w.WriteHeader(http.StatusTooManyRequests)
	w.Write([]byte("<html><body>error code: 1015</body></html>"))
}
