package discordtest

import (
	"time"
)

// revokedCloseGrace is how long a connection closed for a revoked token
// waits for the client's close frame before the fake drops it.
const revokedCloseGrace = time.Second

// RevokeToken invalidates the bot token, as resetting it in the Developer
// Portal does: from then on REST requests with it get 401 {"message":
// "401: Unauthorized", "code": 0}, IDENTIFY and RESUME with it are closed
// with 4004 Authentication failed, and live gateway sessions end the same
// way. Token keeps returning the revoked token; SetToken issues a new one.
func (s *Server) RevokeToken() {
	s.mu.Lock()
	s.revoked = true
	s.notifyLocked()
	s.mu.Unlock()
	s.endSessions(func(string) bool { return true })
}

// SetToken makes token (without "Bot ") the bot's only valid token, as a
// reset in the Developer Portal does: the previous token is revoked as by
// RevokeToken, and gateway sessions identified with it are closed with
// 4004; sessions already on token keep running.
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	s.cfg.token, s.revoked = token, false
	s.notifyLocked()
	s.mu.Unlock()
	s.endSessions(func(t string) bool { return t != token })
}

// tokenOK reports whether a REST Authorization header or a gateway token is
// the bot's, still valid.
func (s *Server) tokenOK(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.revoked && token == s.cfg.token
}

// endSessions invalidates the live sessions whose token is stale and closes
// their connections with 4004 (Discord: "Gateway Close Event Codes").
func (s *Server) endSessions(stale func(token string) bool) {
	for _, gs := range s.liveSessions() {
		if !stale(gs.token) {
			continue
		}
		c := s.invalidate(gs)
		if c == nil {
			continue
		}
		c.detachSession(gs)
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		// The read loop ends when the client answers the close frame;
		// one that never does is dropped after a grace period.
		if err := c.ws.NetConn().SetReadDeadline(time.Now().Add(revokedCloseGrace)); err != nil {
			c.kill()
		}
	}
}
