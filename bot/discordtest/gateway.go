package discordtest

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Gateway opcodes (Discord: "Gateway Opcodes").
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opPresenceUpdate = 3
	opVoiceState     = 4
	opResume         = 6
	opReconnect      = 7
	opRequestMembers = 8
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// Gateway close codes the fake uses (Discord: "Gateway Close Event Codes").
const (
	CloseUnknownOpcode        = 4001
	CloseDecodeError          = 4002
	CloseNotAuthenticated     = 4003
	CloseAuthenticationFailed = 4004
	CloseAlreadyAuthenticated = 4005
	CloseInvalidSeq           = 4007
	CloseRateLimited          = 4008
	CloseInvalidShard         = 4010
	// CloseShardingRequired is in shards.go.
	CloseInvalidAPIVersion = 4012
	CloseInvalidIntents    = 4013
)

const (
	// maxGatewayPayload is the largest frame a client may send.
	// Discord: "the gateway will close ... if the payload exceeds 4096 bytes".
	maxGatewayPayload = 4096
	// maxBacklog bounds the events kept per session for RESUME. Discord does
	// not publish its figure; this is far above what a test produces.
	maxBacklog = 4096
	// gatewayWriteTimeout bounds one frame write so a stuck client cannot
	// hold a dispatching test forever.
	gatewayWriteTimeout = 5 * time.Second
	// Discord: "Apps can send 120 gateway events per connection every 60
	// seconds"; one that sends more is disconnected at once (4008).
	gatewaySendLimit  = 120
	gatewaySendWindow = 60 * time.Second
	// Discord closes a connection whose client stops heartbeating ("If
	// your app fails to send a heartbeat event in time, your connection
	// will be closed and you will be forced to Resume"), with a tolerance
	// it does not document: the fake allows an interval and then as long
	// again, or heartbeatGraceMin if longer, so that a loaded test machine
	// does not trip it.
	heartbeatGraceMin = 5 * time.Second
)

// heartbeatDeadline is how long after HELLO, or after its last heartbeat,
// a connection is closed for sending none.
func heartbeatDeadline(interval time.Duration) time.Duration {
	return interval + max(interval, heartbeatGraceMin)
}

// GatewayStats counts what the fake's gateway has seen.
type GatewayStats struct {
	Connections int // websocket connections accepted
	Identifies  int // successful IDENTIFYs (new sessions)
	Resumes     int // successful RESUMEs
	// ResumesOnResumeURL and ResumesElsewhere split Resumes by where the
	// client connected: READY's resume_gateway_url, where Discord asks
	// clients to resume, or the gateway URL from GET /gateway.
	ResumesOnResumeURL int
	ResumesElsewhere   int
	Heartbeats         int // heartbeats received (each one ACKed)
	Dispatched         int // dispatch events sent, including replays
	InvalidSessions    int // op 9 Invalid Session sent
	// IdentifiesRateLimited counts IDENTIFYs beyond max_concurrency per
	// five seconds, answered with op 9; ShardingRequired those refused
	// with 4011.
	IdentifiesRateLimited int
	ShardingRequired      int
	// SendRateLimited counts connections closed with 4008 for sending
	// more than 120 payloads in 60 seconds.
	SendRateLimited int
	// TokenResets counts IDENTIFYs past the session start limit, each of
	// which reset the bot's token (WithSessionStartLimit).
	TokenResets int
	// HeartbeatTimeouts counts connections closed for sending no
	// heartbeat in time; their sessions stay resumable.
	HeartbeatTimeouts int
	// LastIntents and LastCompress are what the latest IDENTIFY asked for.
	LastIntents  int
	LastCompress bool
}

// GatewayStats returns the gateway counters.
func (s *Server) GatewayStats() GatewayStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Dispatch sends an event (op 0) with data as its "d" to every live gateway
// session of the shard the event's guild is on (shard 0 for an event
// without one), with the session's next sequence number. A session whose
// connection is down keeps the event for RESUME, as Discord does. Dispatching
// before any session identified is a test bug and fails the test.
func (s *Server) Dispatch(event string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		s.tb.Errorf("Dispatch %s: encode data: %v", event, err)
		return
	}
	if len(s.liveSessions()) == 0 {
		s.tb.Errorf("Dispatch %s: no gateway session has identified yet", event)
		return
	}
	// A shard no session holds gets nothing, as on Discord: its events
	// are lost, and an interaction on it goes unanswered.
	sessions := s.sessionsFor(eventGuild(event, raw))
	s.touch(func(st *GatewayStats) { st.Dispatched += len(sessions) })
	for _, gs := range sessions {
		gs.mu.Lock()
		gs.dispatchLocked(event, raw)
		gs.mu.Unlock()
	}
}

// Reconnect asks every connected client to reconnect and resume (op 7), as
// Discord does before it restarts a gateway node.
func (s *Server) Reconnect() {
	for _, c := range s.liveConns() {
		if err := c.writeOp(opReconnect, nil); err != nil {
			c.kill()
		}
	}
}

// DropConnections kills every gateway connection without a close frame, like
// a network failure; clients reconnect and resume.
func (s *Server) DropConnections() {
	for _, c := range s.liveConns() {
		c.kill()
	}
}

// InvalidateSessions ends every session: connected clients get op 9 Invalid
// Session (not resumable) and must identify again; a later RESUME of these
// sessions is refused the same way.
func (s *Server) InvalidateSessions() {
	for _, gs := range s.liveSessions() {
		if c := s.invalidate(gs); c != nil {
			c.detachSession(gs)
			c.invalidSession()
		}
	}
}

func (s *Server) liveSessions() []*gatewaySession {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*gatewaySession, 0, len(s.sessions))
	for _, gs := range s.sessions {
		if !gs.invalid {
			out = append(out, gs)
		}
	}
	return out
}

// sessionsFor are the live sessions that get guildID's events.
func (s *Server) sessionsFor(guildID string) []*gatewaySession {
	var out []*gatewaySession
	for _, gs := range s.liveSessions() {
		if gs.receives(guildID) {
			out = append(out, gs)
		}
	}
	return out
}

func (s *Server) liveConns() []*gatewayConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*gatewayConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// touch updates the gateway counters and wakes waiters.
func (s *Server) touch(update func(*GatewayStats)) {
	s.mu.Lock()
	update(&s.stats)
	s.notifyLocked()
	s.mu.Unlock()
}

// gatewaySession is Discord's view of one identified bot session: its
// sequence, the events it was sent (for RESUME) and its current connection.
// Lock order: gatewaySession.mu before Server.mu, never the reverse.
type gatewaySession struct {
	id       string
	compress bool
	// token is the bot token the session identified with, so that
	// SetToken ends only the sessions of the old one.
	token string
	// shard is the IDENTIFY's [shard_id, num_shards]; [0, 1] without one.
	shard [2]int

	mu      sync.Mutex
	invalid bool // written under both gs.mu and Server.mu; read under either
	seq     int64
	backlog []frame
	conn    *gatewayConn
}

// frame is one sent dispatch, kept for replay.
type frame struct {
	seq  int64
	data []byte
}

// dispatchLocked sends one event with the next sequence number; gs.mu held.
func (gs *gatewaySession) dispatchLocked(event string, raw json.RawMessage) {
	gs.seq++
	seq := gs.seq
	data, err := json.Marshal(payload{Op: opDispatch, D: raw, S: &seq, T: &event})
	if err != nil {
		// raw came from json.Marshal; re-encoding it cannot fail.
		panic(fmt.Sprintf("discordtest: encode %s: %v", event, err))
	}
	gs.backlog = append(gs.backlog, frame{seq: seq, data: data})
	if len(gs.backlog) > maxBacklog {
		gs.backlog = gs.backlog[len(gs.backlog)-maxBacklog:]
	}
	if gs.conn != nil {
		if err := gs.conn.write(data); err != nil {
			gs.conn.kill()
		}
	}
}

// payload is a gateway frame in either direction.
type payload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

var upgrader = websocket.Upgrader{
	// discordgo sends no Origin; anything on loopback may connect.
	CheckOrigin: func(*http.Request) bool { return true },
}

// gatewayConn is one websocket connection; its handler goroutine reads,
// anyone may write under wmu.
type gatewayConn struct {
	s  *Server
	ws *websocket.Conn
	// onResumeURL says the client connected to resume_gateway_url.
	onResumeURL bool

	wmu      sync.Mutex
	compress bool
	// zw and zbuf are reused for every frame: a fresh zlib writer costs
	// some 800 KB of allocation.
	zw   *zlib.Writer
	zbuf bytes.Buffer

	// session is only touched by the connection's own goroutine, and by
	// InvalidateSessions through detachSession.
	smu     sync.Mutex
	session *gatewaySession

	// sent holds when the client's last gatewaySendLimit payloads came, a
	// ring from next; only the read loop touches it.
	sent     [gatewaySendLimit]time.Time
	sentNext int
}

// withinSendRate records a payload received at now and reports whether the
// connection is still within Discord's send rate.
func (c *gatewayConn) withinSendRate(now time.Time) bool {
	oldest := c.sent[c.sentNext]
	if !oldest.IsZero() && now.Sub(oldest) < gatewaySendWindow {
		return false
	}
	c.sent[c.sentNext] = now
	c.sentNext = (c.sentNext + 1) % gatewaySendLimit
	return true
}

// serveGateway runs one gateway connection until it closes; onResumeURL
// says it came in on resume_gateway_url.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request, onResumeURL bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.cfg.logger.Debug("gateway upgrade failed", "err", err)
		return
	}
	c := &gatewayConn{s: s, ws: ws, onResumeURL: onResumeURL}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.stats.Connections++
	s.notifyLocked()
	s.mu.Unlock()
	defer c.finish()

	q := r.URL.Query()
	if v := q.Get("v"); v != "" && v != "9" && v != "10" {
		c.closeWith(CloseInvalidAPIVersion, "Invalid API version.")
		return
	}
	if enc := q.Get("encoding"); enc != "" && enc != "json" {
		c.closeWith(CloseDecodeError, "discordtest speaks encoding=json only.")
		return
	}
	if q.Get("compress") != "" {
		c.closeWith(CloseDecodeError, "discordtest does not support transport compression.")
		return
	}

	hello, _ := json.Marshal(map[string]int64{"heartbeat_interval": max(s.cfg.heartbeat.Milliseconds(), 1)})
	if err := c.writeOp(opHello, hello); err != nil {
		return
	}
	ws.SetReadLimit(maxGatewayPayload)
	c.expectHeartbeat()
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
				// No close frame: the session stays, to be resumed.
				c.s.touch(func(st *GatewayStats) { st.HeartbeatTimeouts++ })
				return
			}
			var ce *websocket.CloseError
			// Discord: closing with 1000 or 1001 invalidates the session.
			if errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
				if gs := c.currentSession(); gs != nil {
					s.invalidate(gs)
				}
			}
			return
		}
		if !c.withinSendRate(time.Now()) { // Discord's window is on the wall clock
			c.s.touch(func(st *GatewayStats) { st.SendRateLimited++ })
			c.closeWith(CloseRateLimited, "You are being rate limited.")
			return
		}
		if !c.handle(data) {
			return
		}
	}
}

// handle processes one client frame and reports whether to keep reading.
func (c *gatewayConn) handle(data []byte) bool {
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		c.closeWith(CloseDecodeError, "Error while decoding payload.")
		return false
	}
	switch p.Op {
	case opHeartbeat:
		c.expectHeartbeat()
		c.s.touch(func(st *GatewayStats) { st.Heartbeats++ })
		if err := c.writeOp(opHeartbeatACK, nil); err != nil {
			return false
		}
		return true
	case opIdentify:
		return c.identify(p.D)
	case opResume:
		return c.resume(p.D)
	case opPresenceUpdate, opVoiceState, opRequestMembers:
		if c.currentSession() == nil {
			c.closeWith(CloseNotAuthenticated, "Not authenticated.")
			return false
		}
		c.s.cfg.logger.Debug("gateway op accepted", "op", p.Op)
		return true
	default:
		c.closeWith(CloseUnknownOpcode, "Unknown opcode.")
		return false
	}
}

// identify starts a new session and sends READY and GUILD_CREATEs.
func (c *gatewayConn) identify(raw json.RawMessage) bool {
	var d struct {
		Token    string  `json:"token"`
		Compress bool    `json:"compress"`
		Intents  *int    `json:"intents"`
		Shard    *[2]int `json:"shard"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		c.closeWith(CloseDecodeError, "Error while decoding payload.")
		return false
	}
	if c.currentSession() != nil {
		c.closeWith(CloseAlreadyAuthenticated, "Already authenticated.")
		return false
	}
	if !c.s.gatewayTokenOK(d.Token) {
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		return false
	}
	if !c.s.takeSessionStart() {
		// Discord: upon hitting the session start limit, all active
		// sessions are terminated and the bot's token is reset.
		c.s.RevokeToken()
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		return false
	}
	if d.Intents == nil {
		c.closeWith(CloseInvalidIntents, "Invalid intent(s).")
		return false
	}
	shard := [2]int{0, 1}
	if d.Shard != nil {
		shard = *d.Shard
	}
	if shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1] {
		c.closeWith(CloseInvalidShard, "Invalid shard.")
		return false
	}
	c.s.mu.Lock()
	tooMany := c.s.guildsOnShardLocked(shard) > c.s.cfg.maxGuildsPerShard
	if tooMany {
		c.s.stats.ShardingRequired++
		c.s.notifyLocked()
	}
	c.s.mu.Unlock()
	if tooMany {
		c.closeWith(CloseShardingRequired, "Sharding required.")
		return false
	}
	if !c.s.identifyAllowed(shard) {
		// Discord: an IDENTIFY beyond max_concurrency is answered with
		// op 9 Invalid Session; the client waits and identifies again.
		return c.invalidSession()
	}
	gs := &gatewaySession{id: newSessionID(), compress: d.Compress && c.s.cfg.compress, token: strings.TrimPrefix(d.Token, "Bot "), shard: shard}
	ready, guilds := c.s.readyPayload(gs.id, d.Shard)

	gs.mu.Lock()
	c.setCompress(gs.compress)
	c.setSession(gs)
	gs.conn = c
	c.s.mu.Lock()
	c.s.sessions[gs.id] = gs
	c.s.stats.Identifies++
	c.s.stats.LastIntents = *d.Intents
	c.s.stats.LastCompress = d.Compress
	c.s.stats.Dispatched += 1 + len(guilds)
	c.s.notifyLocked()
	c.s.mu.Unlock()
	gs.dispatchLocked("READY", ready)
	for _, g := range guilds {
		gs.dispatchLocked("GUILD_CREATE", g)
	}
	gs.mu.Unlock()
	c.s.cfg.logger.Debug("gateway session identified", "session", gs.id)
	return true
}

// resume reattaches a session and replays what the client missed.
func (c *gatewayConn) resume(raw json.RawMessage) bool {
	var d struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		c.closeWith(CloseDecodeError, "Error while decoding payload.")
		return false
	}
	if c.currentSession() != nil {
		c.closeWith(CloseAlreadyAuthenticated, "Already authenticated.")
		return false
	}
	if !c.s.gatewayTokenOK(d.Token) {
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		return false
	}
	c.s.mu.Lock()
	gs := c.s.sessions[d.SessionID]
	if gs != nil && gs.invalid {
		gs = nil
	}
	c.s.mu.Unlock()
	if gs == nil {
		return c.invalidSession()
	}
	if gs.token != strings.TrimPrefix(d.Token, "Bot ") {
		// Another bot's session, or one of a token since replaced.
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		return false
	}

	gs.mu.Lock()
	if gs.invalid {
		// Invalidated since the lookup above.
		gs.mu.Unlock()
		return c.invalidSession()
	}
	if d.Seq > gs.seq {
		gs.mu.Unlock()
		c.closeWith(CloseInvalidSeq, "Invalid seq.")
		return false
	}
	if len(gs.backlog) > 0 && gs.backlog[0].seq > d.Seq+1 {
		// The events the client missed are gone; it must start over.
		gs.mu.Unlock()
		c.s.invalidate(gs)
		return c.invalidSession()
	}
	if old := gs.conn; old != nil && old != c {
		old.detachSession(gs)
		old.kill()
	}
	c.setCompress(gs.compress)
	c.setSession(gs)
	gs.conn = c
	var missed [][]byte
	for _, f := range gs.backlog {
		if f.seq > d.Seq {
			missed = append(missed, f.data)
		}
	}
	// Count before writing, so that a test that saw RESUMED sees the count.
	c.s.touch(func(st *GatewayStats) {
		st.Resumes++
		if c.onResumeURL {
			st.ResumesOnResumeURL++
		} else {
			st.ResumesElsewhere++
		}
		st.Dispatched += len(missed) + 1
	})
	for _, data := range missed {
		if err := c.write(data); err != nil {
			gs.mu.Unlock()
			return false
		}
	}
	gs.dispatchLocked("RESUMED", json.RawMessage(`{"_trace":["discordtest"]}`))
	gs.mu.Unlock()
	c.s.cfg.logger.Debug("gateway session resumed", "session", gs.id, "replayed", len(missed))
	return true
}

// invalidSession sends op 9 with d=false: the session cannot be resumed.
func (c *gatewayConn) invalidSession() bool {
	c.s.touch(func(st *GatewayStats) { st.InvalidSessions++ })
	return c.writeOp(opInvalidSession, json.RawMessage("false")) == nil
}

// invalidate marks a session dead so it neither receives nor resumes, and
// returns the connection it was attached to, if any.
func (s *Server) invalidate(gs *gatewaySession) *gatewayConn {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	c := gs.conn
	gs.conn = nil
	s.mu.Lock()
	gs.invalid = true
	s.notifyLocked()
	s.mu.Unlock()
	return c
}

// readyPayload builds READY and the GUILD_CREATE bodies.
func (s *Server) readyPayload(sessionID string, shard *[2]int) (json.RawMessage, []json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type stub struct {
		ID          string `json:"id"`
		Unavailable bool   `json:"unavailable"`
	}
	stubs := make([]stub, 0, len(s.guildOrder))
	guilds := make([]json.RawMessage, 0, len(s.guildOrder))
	for _, id := range s.guildOrder {
		if shard != nil && ShardOf(id, shard[1]) != shard[0] {
			continue
		}
		stubs = append(stubs, stub{ID: id, Unavailable: true})
		guilds = append(guilds, mustJSON(s.guilds[id]))
	}
	ready := map[string]any{
		"v":                  9,
		"user":               s.selfUser(),
		"guilds":             stubs,
		"session_id":         sessionID,
		"session_type":       "normal",
		"resume_gateway_url": s.ResumeGatewayURL(),
		"application":        map[string]any{"id": s.cfg.appID, "flags": 0},
		"private_channels":   []any{},
	}
	if shard != nil {
		ready["shard"] = shard
	}
	return mustJSON(ready), guilds
}

// gatewayTokenOK accepts the token with or without the "Bot " prefix that
// discordgo sends in IDENTIFY.
func (s *Server) gatewayTokenOK(token string) bool {
	return s.tokenOK(strings.TrimPrefix(token, "Bot "))
}

func (c *gatewayConn) currentSession() *gatewaySession {
	c.smu.Lock()
	defer c.smu.Unlock()
	return c.session
}

func (c *gatewayConn) setSession(gs *gatewaySession) {
	c.smu.Lock()
	c.session = gs
	c.smu.Unlock()
}

// detachSession forgets gs if it is this connection's session.
func (c *gatewayConn) detachSession(gs *gatewaySession) {
	c.smu.Lock()
	if c.session == gs {
		c.session = nil
	}
	c.smu.Unlock()
}

func (c *gatewayConn) setCompress(on bool) {
	c.wmu.Lock()
	c.compress = on
	c.wmu.Unlock()
}

// writeOp sends a non-dispatch frame.
func (c *gatewayConn) writeOp(op int, d json.RawMessage) error {
	data, err := json.Marshal(payload{Op: op, D: d})
	if err != nil {
		return fmt.Errorf("encode op %d: %w", op, err)
	}
	return c.write(data)
}

// write sends one frame, zlib-compressed in a binary message when the client
// asked for compression in IDENTIFY (discordgo inflates binary frames).
func (c *gatewayConn) write(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	mt := websocket.TextMessage
	if c.compress {
		c.zbuf.Reset()
		if c.zw == nil {
			c.zw = zlib.NewWriter(&c.zbuf)
		} else {
			c.zw.Reset(&c.zbuf)
		}
		if _, err := c.zw.Write(data); err != nil {
			return fmt.Errorf("compress frame: %w", err)
		}
		if err := c.zw.Close(); err != nil {
			return fmt.Errorf("compress frame: %w", err)
		}
		data, mt = c.zbuf.Bytes(), websocket.BinaryMessage
	}
	if err := c.ws.SetWriteDeadline(time.Now().Add(gatewayWriteTimeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if err := c.ws.WriteMessage(mt, data); err != nil {
		return fmt.Errorf("write gateway frame: %w", err)
	}
	return nil
}

// closeWith sends a close frame with a Discord close code; the read loop
// then ends and closes the socket.
func (c *gatewayConn) closeWith(code int, text string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	msg := websocket.FormatCloseMessage(code, text)
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(gatewayWriteTimeout)); err != nil {
		c.s.cfg.logger.Debug("gateway close frame not sent", "code", code, "err", err)
	}
}

// expectHeartbeat starts the time within which the client's next
// heartbeat must arrive. It runs on the connection's reading goroutine.
func (c *gatewayConn) expectHeartbeat() {
	if err := c.ws.SetReadDeadline(time.Now().Add(heartbeatDeadline(c.s.cfg.heartbeat))); err != nil {
		c.s.cfg.logger.Debug("gateway read deadline", "err", err)
	}
}

// kill closes the TCP connection without a close frame.
func (c *gatewayConn) kill() {
	if err := c.ws.NetConn().Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		c.s.cfg.logger.Debug("gateway connection close", "err", err)
	}
}

// finish unregisters the connection when its goroutine ends.
func (c *gatewayConn) finish() {
	c.ws.Close()
	if gs := c.currentSession(); gs != nil {
		gs.mu.Lock()
		if gs.conn == c {
			gs.conn = nil
		}
		gs.mu.Unlock()
	}
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.notifyLocked()
	c.s.mu.Unlock()
	c.s.cfg.logger.Debug("gateway connection closed", slog.Bool("had_session", c.currentSession() != nil))
}

// newSessionID returns 32 hex digits, the shape of Discord's session IDs.
func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// mustJSON encodes values the package built itself.
// mustJSON encodes values the package built itself. Like Discord, it does
// not escape <, > and & (mentions are <@id>).
func mustJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("discordtest: encode %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
