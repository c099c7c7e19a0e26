package discordtest

import (
	"io"
	"net/http"
	"testing"
)

func TestARevokedTokenIsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	// identified opens a raw gateway session on srv's current token.
	identified := func(t *testing.T, srv *Server) (*wsClient, string) {
		t.Helper()
		c := dialAndHello(t, srv)
		return c, c.identifyAndReady(srv)
	}
	t.Run("REST answers Discord's 401 body", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		old := srv.Token()
		srv.RevokeToken()
		req, _ := http.NewRequest(http.MethodGet, "https://discord.com/api/v9/channels/"+alertsChannelID, nil)
		req.Header.Set("Authorization", old)
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || string(body) != `{"message":"401: Unauthorized","code":0}` {
			t.Errorf("answer = %d %s, want 401 with Discord's body", resp.StatusCode, body)
		}
		if srv.InvalidRequests() != 1 {
			t.Errorf("InvalidRequests = %d, want the 401 counted", srv.InvalidRequests())
		}
	})
	t.Run("a live connection is closed with 4004", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c, _ := identified(t, srv)
		srv.RevokeToken()
		if got := c.closeCode(); got != CloseAuthenticationFailed {
			t.Errorf("close code = %d, want 4004", got)
		}
	})
	t.Run("IDENTIFY with the revoked token is closed with 4004", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		srv.RevokeToken()
		c := dialAndHello(t, srv)
		c.identify(srv.Token(), false)
		if got := c.closeCode(); got != CloseAuthenticationFailed {
			t.Errorf("close code = %d, want 4004", got)
		}
	})
	t.Run("RESUME with the revoked token is closed with 4004", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c, session := identified(t, srv)
		c.ws.Close()
		waitFor(t, srv, "the drop", func() bool { return len(srv.liveConns()) == 0 })
		old := srv.Token()
		srv.RevokeToken()
		c2 := dialAndHello(t, srv)
		c2.send(opResume, map[string]any{"token": old, "session_id": session, "seq": 2})
		if got := c2.closeCode(); got != CloseAuthenticationFailed {
			t.Errorf("close code = %d, want 4004", got)
		}
	})
	t.Run("SetToken ends the old token's sessions and accepts the new one", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		old := srv.Token()
		c, session := identified(t, srv)
		srv.SetToken("discordtest.new.token")
		if got := c.closeCode(); got != CloseAuthenticationFailed {
			t.Errorf("old session close code = %d, want 4004", got)
		}
		if srv.Token() != "Bot discordtest.new.token" {
			t.Errorf("Token = %q after SetToken", srv.Token())
		}
		c2 := dialAndHello(t, srv)
		c2.send(opResume, map[string]any{"token": srv.Token(), "session_id": session, "seq": 2})
		if p := c2.read(); p.Op != opInvalidSession {
			t.Errorf("resuming the old token's session with the new token = op %d, want op 9", p.Op)
		}
		c2.identify(srv.Token(), false)
		c2.expectDispatch("READY", 1)
		for _, tt := range []struct {
			token string
			works bool
		}{{old, false}, {srv.Token(), true}} {
			session, err := srv.NewSession(tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := session.Channel(alertsChannelID); (err == nil) != tt.works {
				t.Errorf("GET channel with %q: error %v, want it to work: %v", tt.token, err, tt.works)
			}
		}
	})
}
