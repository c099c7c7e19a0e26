package discordtest

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsClient is a bare gateway client for checking the protocol frame by
// frame, without discordgo's reconnect logic and its one-second Close.
type wsClient struct {
	t  testing.TB
	ws *websocket.Conn
}

func dialGateway(t testing.TB, srv *Server, query string) *wsClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.GatewayURL()+"/?"+query, nil)
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

// dialAndHello dials with discordgo's query and reads HELLO.
func dialAndHello(t testing.TB, srv *Server) *wsClient {
	t.Helper()
	c := dialGateway(t, srv, "v=9&encoding=json")
	if p := c.read(); p.Op != opHello {
		t.Fatalf("first frame op = %d, want HELLO", p.Op)
	}
	return c
}

func (c *wsClient) send(op int, d any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		c.t.Fatalf("send op %d: %v", op, err)
	}
}

// read returns the next frame, inflating zlib binary frames.
func (c *wsClient) read() payload {
	c.t.Helper()
	p, _, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("read gateway frame: %v", err)
	}
	return p
}

func (c *wsClient) readFrame() (payload, int, error) {
	if err := c.ws.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		return payload{}, 0, err
	}
	mt, data, err := c.ws.ReadMessage()
	if err != nil {
		return payload{}, 0, err
	}
	if mt == websocket.BinaryMessage {
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return payload{}, mt, err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return payload{}, mt, err
		}
	}
	var p payload
	return p, mt, json.Unmarshal(data, &p)
}

// closeCode reads until the server closes and returns the close code.
func (c *wsClient) closeCode() int {
	c.t.Helper()
	for {
		_, _, err := c.readFrame()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

func (c *wsClient) identify(token string, compress bool) {
	c.t.Helper()
	c.send(opIdentify, map[string]any{"token": token, "compress": compress, "intents": 513, "properties": map[string]string{"os": "linux"}})
}

// identifyAndReady identifies on srv's token and reads READY and the
// guild's GUILD_CREATE (seqs 1 and 2), returning the session's ID.
func (c *wsClient) identifyAndReady(srv *Server) string {
	c.t.Helper()
	c.identify(srv.Token(), false)
	var ready struct {
		SessionID string `json:"session_id"`
	}
	if err := json.Unmarshal(c.expectDispatch("READY", 1).D, &ready); err != nil {
		c.t.Fatal(err)
	}
	c.expectDispatch("GUILD_CREATE", 2)
	return ready.SessionID
}

// expectDispatch reads one frame and checks it is the given event and seq.
func (c *wsClient) expectDispatch(event string, seq int64) payload {
	c.t.Helper()
	p := c.read()
	if p.Op != opDispatch || p.T == nil || *p.T != event || p.S == nil || *p.S != seq {
		c.t.Fatalf("frame = op %d t %v s %v, want dispatch %s seq %d", p.Op, deref(p.T), deref(p.S), event, seq)
	}
	return p
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestGatewayHandshake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		compress   bool
		wantBinary bool
	}{
		{name: "plain identify gets text frames", compress: false, wantBinary: false},
		{name: "identify with compress gets zlib binary frames", compress: true, wantBinary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			c := dialGateway(t, srv, "v=9&encoding=json")
			hello, mt, err := c.readFrame()
			if err != nil || hello.Op != opHello || mt != websocket.TextMessage {
				t.Fatalf("HELLO = op %d type %d err %v, want op 10 as text", hello.Op, mt, err)
			}
			var h struct {
				HeartbeatInterval int64 `json:"heartbeat_interval"`
			}
			if err := json.Unmarshal(hello.D, &h); err != nil || h.HeartbeatInterval != defaultHeartbeatInterval.Milliseconds() {
				t.Errorf("HELLO d = %s, want heartbeat_interval %d", hello.D, defaultHeartbeatInterval.Milliseconds())
			}
			c.identify(srv.Token(), tt.compress)
			_, mt, err = c.readFrame()
			if err != nil || (mt == websocket.BinaryMessage) != tt.wantBinary {
				t.Fatalf("READY frame type = %d (err %v), want binary %v", mt, err, tt.wantBinary)
			}
			c.expectDispatch("GUILD_CREATE", 2)
			c.send(opHeartbeat, 2)
			if p := c.read(); p.Op != opHeartbeatACK {
				t.Errorf("answer to heartbeat = op %d, want 11", p.Op)
			}
		})
	}
}

func TestGatewayClosesWithDiscordCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		act   func(c *wsClient, srv *Server)
		want  int
	}{
		{
			name: "a wrong token fails authentication",
			act:  func(c *wsClient, _ *Server) { c.identify("Bot wrong", false) },
			want: CloseAuthenticationFailed,
		},
		{
			name: "a presence update before identify is not authenticated",
			act:  func(c *wsClient, _ *Server) { c.send(opPresenceUpdate, map[string]any{"status": "online"}) },
			want: CloseNotAuthenticated,
		},
		{
			name: "an unknown opcode is refused",
			act:  func(c *wsClient, _ *Server) { c.send(99, nil) },
			want: CloseUnknownOpcode,
		},
		{
			name: "a frame that is not JSON is a decode error",
			act: func(c *wsClient, _ *Server) {
				if err := c.ws.WriteMessage(websocket.TextMessage, []byte("{op:")); err != nil {
					c.t.Fatal(err)
				}
			},
			want: CloseDecodeError,
		},
		{
			name: "a second identify is refused",
			act: func(c *wsClient, srv *Server) {
				c.identify(srv.Token(), false)
				c.expectDispatch("READY", 1)
				c.identify(srv.Token(), false)
			},
			want: CloseAlreadyAuthenticated,
		},
		{
			name: "an identify without intents is refused",
			act:  func(c *wsClient, srv *Server) { c.send(opIdentify, map[string]any{"token": srv.Token()}) },
			want: CloseInvalidIntents,
		},
		{
			name: "120 payloads in a minute are within the send rate",
			act: func(c *wsClient, _ *Server) {
				sendHeartbeats(c, gatewaySendLimit-1)
				c.send(opPresenceUpdate, map[string]any{"status": "online"}) // the 120th, refused for what it is
			},
			want: CloseNotAuthenticated,
		},
		{
			name: "the 121st payload in a minute is rate limited",
			act: func(c *wsClient, _ *Server) {
				sendHeartbeats(c, gatewaySendLimit)
				c.send(opPresenceUpdate, map[string]any{"status": "online"})
			},
			want: CloseRateLimited,
		},
		{
			name:  "an old API version is refused",
			query: "v=6&encoding=json",
			want:  CloseInvalidAPIVersion,
		},
		{
			name:  "ETF encoding is refused",
			query: "v=9&encoding=etf",
			want:  CloseDecodeError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			query := tt.query
			if query == "" {
				query = "v=9&encoding=json"
			}
			c := dialGateway(t, srv, query)
			if tt.act != nil {
				if p := c.read(); p.Op != opHello {
					t.Fatalf("first frame op = %d, want HELLO", p.Op)
				}
				tt.act(c, srv)
			}
			if got := c.closeCode(); got != tt.want {
				t.Errorf("close code = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGatewayResume(t *testing.T) {
	t.Parallel()
	// start identifies, reads READY and GUILD_CREATE (seq 2), drops the
	// connection and dispatches two events (seq 3 and 4) while it is down.
	start := func(t *testing.T) (*Server, string) {
		srv := newServer(t)
		c := dialAndHello(t, srv)
		session := c.identifyAndReady(srv)
		c.ws.Close()
		waitFor(t, srv, "the server to notice the drop", func() bool { return len(srv.liveConns()) == 0 })
		srv.Dispatch("CHANNEL_DELETE", map[string]string{"id": otherChannelID})
		srv.Dispatch("CHANNEL_CREATE", map[string]string{"id": otherChannelID})
		return srv, session
	}
	resume := func(c *wsClient, srv *Server, session string, seq int64) {
		c.send(opResume, map[string]any{"token": srv.Token(), "session_id": session, "seq": seq})
	}

	t.Run("replays every event after the client's sequence, then RESUMED", func(t *testing.T) {
		t.Parallel()
		srv, session := start(t)
		c := dialAndHello(t, srv)
		resume(c, srv, session, 2)
		c.expectDispatch("CHANNEL_DELETE", 3)
		c.expectDispatch("CHANNEL_CREATE", 4)
		c.expectDispatch("RESUMED", 5)
		srv.Dispatch("GUILD_UPDATE", map[string]string{"id": guildID})
		c.expectDispatch("GUILD_UPDATE", 6)
	})
	t.Run("replays only what the client has not seen", func(t *testing.T) {
		t.Parallel()
		srv, session := start(t)
		c := dialAndHello(t, srv)
		resume(c, srv, session, 3)
		c.expectDispatch("CHANNEL_CREATE", 4)
		c.expectDispatch("RESUMED", 5)
	})
	t.Run("a sequence from the future closes with 4007", func(t *testing.T) {
		t.Parallel()
		srv, session := start(t)
		c := dialAndHello(t, srv)
		resume(c, srv, session, 40)
		if got := c.closeCode(); got != CloseInvalidSeq {
			t.Errorf("close code = %d, want %d", got, CloseInvalidSeq)
		}
	})
	t.Run("an unknown session gets op 9 and may identify again", func(t *testing.T) {
		t.Parallel()
		srv, _ := start(t)
		c := dialAndHello(t, srv)
		resume(c, srv, "00000000000000000000000000000000", 2)
		if p := c.read(); p.Op != opInvalidSession || string(p.D) != "false" {
			t.Fatalf("answer = op %d d %s, want op 9 d false", p.Op, p.D)
		}
		c.identify(srv.Token(), false)
		c.expectDispatch("READY", 1)
	})
	t.Run("a session closed with 1000 cannot be resumed", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		c := dialAndHello(t, srv)
		c.identify(srv.Token(), false)
		var ready struct {
			SessionID string `json:"session_id"`
		}
		if err := json.Unmarshal(c.expectDispatch("READY", 1).D, &ready); err != nil {
			t.Fatal(err)
		}
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, srv, "the session to end", func() bool { return len(srv.liveSessions()) == 0 })
		c2 := dialAndHello(t, srv)
		resume(c2, srv, ready.SessionID, 2)
		if p := c2.read(); p.Op != opInvalidSession {
			t.Errorf("answer = op %d, want op 9", p.Op)
		}
	})
}

func TestResumesAreCountedByWhereTheyArrive(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dialAndHello(t, srv)
	c.identify(srv.Token(), false)
	var ready struct {
		SessionID        string `json:"session_id"`
		ResumeGatewayURL string `json:"resume_gateway_url"`
	}
	if err := json.Unmarshal(c.expectDispatch("READY", 1).D, &ready); err != nil {
		t.Fatal(err)
	}
	c.expectDispatch("GUILD_CREATE", 2)
	if ready.ResumeGatewayURL != srv.ResumeGatewayURL() || ready.ResumeGatewayURL == srv.GatewayURL() {
		t.Fatalf("resume_gateway_url = %q, want %q, apart from the gateway URL %q", ready.ResumeGatewayURL, srv.ResumeGatewayURL(), srv.GatewayURL())
	}
	steps := []struct {
		name                string
		url                 string
		onResume, elsewhere int
	}{
		{name: "a RESUME at resume_gateway_url counts there", url: ready.ResumeGatewayURL, onResume: 1},
		{name: "a RESUME at the gateway URL counts elsewhere", url: srv.GatewayURL(), onResume: 1, elsewhere: 1},
	}
	seq := int64(2)
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			c.ws.Close()
			waitFor(t, srv, "the drop", func() bool { return len(srv.liveConns()) == 0 })
			ws, _, err := websocket.DefaultDialer.Dial(step.url+"?v=10&encoding=json", nil)
			if err != nil {
				t.Fatalf("dial %s: %v", step.url, err)
			}
			t.Cleanup(func() { ws.Close() })
			c = &wsClient{t: t, ws: ws}
			if p := c.read(); p.Op != opHello {
				t.Fatalf("first frame op = %d, want HELLO", p.Op)
			}
			c.send(opResume, map[string]any{"token": srv.Token(), "session_id": ready.SessionID, "seq": seq})
			seq++
			c.expectDispatch("RESUMED", seq)
			st := srv.GatewayStats()
			if st.ResumesOnResumeURL != step.onResume || st.ResumesElsewhere != step.elsewhere || st.Resumes != step.onResume+step.elsewhere {
				t.Errorf("gateway stats = %+v, want %d on the resume URL and %d elsewhere", st, step.onResume, step.elsewhere)
			}
		})
	}
}

// sendHeartbeats sends n heartbeats without reading their ACKs.
func sendHeartbeats(c *wsClient, n int) {
	c.t.Helper()
	for range n {
		c.send(opHeartbeat, nil)
	}
}

func TestAnIdentifyPastTheSessionStartLimitResetsTheToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t, WithSessionStartLimit(2, time.Hour))
	rest := restSession(t, srv)
	left := func() int {
		t.Helper()
		gw, err := rest.GatewayBot()
		if err != nil {
			t.Fatal(err)
		}
		if gw.SessionStartLimit.Total != 2 || gw.SessionStartLimit.ResetAfter <= 0 || gw.SessionStartLimit.ResetAfter > int(time.Hour.Milliseconds()) {
			t.Errorf("session_start_limit = %+v; want a total of 2 and a reset within the hour", gw.SessionStartLimit)
		}
		return gw.SessionStartLimit.Remaining
	}
	if n := left(); n != 2 {
		t.Fatalf("remaining before any IDENTIFY = %d, want 2", n)
	}
	for want := 1; want >= 0; want-- {
		c := dialAndHello(t, srv)
		c.identify(srv.Token(), false)
		c.expectDispatch("READY", 1)
		if n := left(); n != want {
			t.Fatalf("remaining = %d, want %d", n, want)
		}
	}
	live := dialAndHello(t, srv)
	live.identify(srv.Token(), false)
	if code := live.closeCode(); code != CloseAuthenticationFailed {
		t.Errorf("the IDENTIFY past the limit was closed with %d, want %d", code, CloseAuthenticationFailed)
	}
	if st := srv.GatewayStats(); st.TokenResets != 1 {
		t.Errorf("TokenResets = %d, want 1", st.TokenResets)
	}
	if _, err := rest.GatewayBot(); err == nil {
		t.Error("the reset token still works for REST")
	}
}

// Discord closes a connection that stops heartbeating, and the session
// stays to be resumed; one that heartbeats in time stays open.
func TestAConnectionThatStopsHeartbeatingIsClosedAndItsSessionResumes(t *testing.T) {
	t.Parallel()
	const interval = 200 * time.Millisecond
	srv := newServer(t, WithHeartbeatInterval(interval))
	deadline := heartbeatDeadline(interval)

	beating := dialAndHello(t, srv)
	silent := dialAndHello(t, srv)
	session := silent.identifyAndReady(srv)
	start := time.Now()
	// The beating connection heartbeats every interval, reading each ACK,
	// for longer than the deadline.
	for time.Since(start) < deadline+time.Second {
		beating.send(opHeartbeat, nil)
		if p := beating.read(); p.Op != opHeartbeatACK {
			t.Fatalf("answer to a heartbeat = op %d, want an ACK", p.Op)
		}
		time.Sleep(interval)
	}
	if p, _, err := silent.readFrame(); err == nil {
		t.Fatalf("the silent connection read op %d %v after HELLO without a heartbeat; want it closed", p.Op, time.Since(start).Round(time.Millisecond))
	}
	if st := srv.GatewayStats(); st.HeartbeatTimeouts != 1 {
		t.Errorf("HeartbeatTimeouts = %d, want 1 (the silent connection only)", st.HeartbeatTimeouts)
	}
	again := dialAndHello(t, srv)
	again.send(opResume, map[string]any{"token": srv.Token(), "session_id": session, "seq": 2})
	again.expectDispatch("RESUMED", 3)
}
