package bot

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// discordgo v0.29.0 reconnects after every gateway close, including those
// Discord marks as not to be reconnected after, and resumes at the URL it
// first connected to rather than READY's resume_gateway_url; no newer
// version is served. Vigil handles both below discordgo, in the websocket
// dialer: a connection's close frames are read as they pass, a fatal code
// makes every later dial fail here without touching the network, and once
// READY has named a resume URL, reconnections (which discordgo makes as
// resumes) dial that URL's host.

// fatalCloseCodes are Discord's gateway close codes after which it says not
// to reconnect (events/gateway: "Gateway Close Event Codes").
var fatalCloseCodes = map[int]string{
	4004: "authentication failed: the bot token was reset or revoked",
	4010: "invalid shard",
	4011: "sharding required: one gateway shard would hold too many servers; with discord.shard_count 0 a process alone re-shards to the count Discord recommends, else set it higher and restart",
	4012: "invalid API version",
	4013: "invalid intents",
	4014: "disallowed intents: enable them for the bot in the developer portal",
}

// gatewayWatch sees the gateway connection's close codes and READY.
type gatewayWatch struct {
	log     *slog.Logger
	onFatal func(code int)
	// awaitIdentify, when set, waits for this shard's turn to IDENTIFY
	// under Discord's rate limit. cleared marks the next IDENTIFY as having
	// its turn (the bot's own open, or a dial that waited for it);
	// needTurn says the last connection was closed for an IDENTIFY that had
	// none, so the next dial waits for one.
	awaitIdentify func() error
	cleared       atomic.Bool
	needTurn      atomic.Bool
	// identifySent, when set, is told each IDENTIFY that went out: Discord
	// counts its five seconds from when the IDENTIFY arrives, which on a
	// slow dial can be seconds after the turn was taken.
	identifySent func()

	mu        sync.Mutex
	fatal     int
	resumeURL *url.URL
	closeSent chan struct{} // closed when the close frame expected has gone
}

// expectClose returns a channel closed once the client has written a close
// frame: the bot is closing the session.
func (w *gatewayWatch) expectClose() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeSent = make(chan struct{})
	return w.closeSent
}

func (w *gatewayWatch) sentClose() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closeSent != nil {
		close(w.closeSent)
		w.closeSent = nil
	}
}

func (w *gatewayWatch) closed(code int) {
	reason, fatal := fatalCloseCodes[code]
	if !fatal {
		w.log.Info("Discord closed the gateway connection; discordgo reconnects", "code", code)
		return
	}
	w.mu.Lock()
	first := w.fatal == 0
	if first {
		w.fatal = code
	}
	w.mu.Unlock()
	if first {
		w.log.Error("Discord closed the gateway for good and Vigil will not reconnect; slash commands stop, feeds are still polled",
			"code", code, "reason", reason)
		if w.onFatal != nil {
			w.onFatal(code)
		}
	}
}

// fatalCode is the fatal close code seen, or 0.
func (w *gatewayWatch) fatalCode() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fatal
}

// onEvent reads resume_gateway_url from READY.
func (w *gatewayWatch) onEvent(_ *discordgo.Session, e *discordgo.Event) {
	if e.Type == "RESUMED" {
		w.cleared.Store(false) // a turn taken for an IDENTIFY that was not needed
	}
	if e.Type != "READY" {
		return
	}
	var ready struct {
		ResumeGatewayURL string `json:"resume_gateway_url"`
	}
	if err := json.Unmarshal(e.RawData, &ready); err != nil || ready.ResumeGatewayURL == "" {
		return
	}
	u, err := url.Parse(ready.ResumeGatewayURL)
	if err != nil || u.Host == "" {
		return
	}
	w.mu.Lock()
	w.resumeURL = u
	w.mu.Unlock()
}

// dialAddr is where a connection to addr goes: the resume host once READY
// named one.
func (w *gatewayWatch) dialAddr(addr string) (string, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	host, _, _ := net.SplitHostPort(addr)
	if w.resumeURL == nil {
		return addr, host
	}
	port := w.resumeURL.Port()
	if port == "" {
		port = "443"
		if w.resumeURL.Scheme == "ws" {
			port = "80"
		}
	}
	return net.JoinHostPort(w.resumeURL.Hostname(), port), w.resumeURL.Hostname()
}

// forgetResume drops a resume URL that could not be reached, so the next
// try goes to the gateway discordgo knows.
func (w *gatewayWatch) forgetResume() {
	w.mu.Lock()
	w.resumeURL = nil
	w.mu.Unlock()
}

// dialer wraps base so that connections are watched.
func (w *gatewayWatch) dialer(base *websocket.Dialer) *websocket.Dialer {
	d := *base
	// The handshake's time limit is applied here, from when the dial
	// starts after any wait for a turn to identify: gorilla/websocket would
	// start it before NetDialContext, and a wait of seconds (or hours, for
	// the session start limit) would leave the dial none.
	handshake := d.HandshakeTimeout
	if handshake == 0 {
		handshake = 10 * time.Second
	}
	d.HandshakeTimeout = 0
	netDial := base.NetDialContext
	if netDial == nil {
		netDial = (&net.Dialer{Timeout: handshake}).DialContext
	}
	dial := func(ctx context.Context, network, addr string, useTLS bool) (net.Conn, error) {
		if code := w.fatalCode(); code != 0 {
			return nil, fmt.Errorf("not reconnecting to Discord's gateway: it closed the connection with %d (%s)", code, fatalCloseCodes[code])
		}
		if w.awaitIdentify != nil && w.needTurn.Load() {
			// No heartbeat runs while dialling, so the wait holds nothing up.
			if err := w.awaitIdentify(); err != nil {
				return nil, err
			}
			w.needTurn.Store(false)
			w.cleared.Store(true)
		}
		deadline := time.Now().Add(handshake)
		ctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		target, serverName := w.dialAddr(addr)
		c, err := netDial(ctx, network, target)
		if err != nil {
			if target != addr {
				w.forgetResume()
			}
			return nil, err
		}
		if useTLS {
			cfg := &tls.Config{}
			if base.TLSClientConfig != nil {
				cfg = base.TLSClientConfig.Clone()
			}
			if cfg.ServerName == "" {
				cfg.ServerName = serverName
			}
			tc := tls.Client(c, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				if target != addr {
					w.forgetResume()
				}
				return nil, err
			}
			c = tc
		}
		// gorilla/websocket clears the deadline once the handshake is done.
		if err := c.SetDeadline(deadline); err != nil {
			c.Close()
			return nil, err
		}
		return &closeSniffer{Conn: c, onClose: w.closed, identifyHeld: w.identifyHeld, identifySent: w.identifySent, closeSent: w.sentClose}, nil
	}
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dial(ctx, network, addr, false)
	}
	d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dial(ctx, network, addr, true)
	}
	return &d
}

// errIdentifyWithoutTurn is the write error of an IDENTIFY that had no turn.
var errIdentifyWithoutTurn = errors.New("IDENTIFY held back: it waits its turn under Discord's rate limit on the next connection")

// identifyHeld is called as an IDENTIFY is written, and says whether to
// hold it back. discordgo sends one at once after an Invalid Session (op
// 9), and again at once when Discord refuses that one for the rate limit:
// thousands a second on one rate-limit key, which Discord answers by
// closing the connection (4008) and may count against the bot's 1,000 a
// day. One without a turn fails its write and its connection is closed;
// discordgo reconnects, that dial waits for the turn, and the RESUME it
// sends is answered with another Invalid Session, whose IDENTIFY then goes.
// Waiting in the write instead would stall the heartbeats behind it.
func (w *gatewayWatch) identifyHeld() error {
	if w.awaitIdentify == nil || w.cleared.CompareAndSwap(true, false) {
		return nil
	}
	w.needTurn.Store(true)
	return errIdentifyWithoutTurn
}

// closeSniffer reads the websocket frames a server sends as they pass, to
// learn the code of a close frame; it changes nothing it reads. It also
// stops the client's IDENTIFY frames that identifyHeld holds back.
type closeSniffer struct {
	net.Conn
	onClose      func(code int)
	identifyHeld func() error
	identifySent func()
	closeSent    func()

	handshakeDone bool
	tail          [4]byte // the last bytes of the HTTP handshake seen
	hdr           [14]byte
	hdrLen        int
	skip          uint64 // payload bytes left in the current frame
	closing       bool   // the current frame is a close frame
	closeCode     []byte
}

// Write stops an IDENTIFY held back, and closes the connection so that
// discordgo reconnects. gorilla/websocket writes a small message's frame,
// header and payload, in one Write, and an IDENTIFY is small.
func (c *closeSniffer) Write(p []byte) (int, error) {
	identify := (c.identifyHeld != nil || c.identifySent != nil) && isIdentifyFrame(p)
	if identify && c.identifyHeld != nil {
		if err := c.identifyHeld(); err != nil {
			c.Conn.Close()
			return 0, err
		}
	}
	n, err := c.Conn.Write(p)
	if identify && n > 0 && c.identifySent != nil {
		c.identifySent()
	}
	if n > 0 && p[0] == wsFinalFrame|wsCloseFrame && c.closeSent != nil {
		c.closeSent()
	}
	return n, err
}

// The first byte of a whole close frame (RFC 6455 section 5.2), as
// gorilla/websocket writes a control frame: in one Write.
const (
	wsFinalFrame = 0x80
	wsCloseFrame = 0x8
)

// identifyPrefix is how discordgo's IDENTIFY payload starts.
const identifyPrefix = `{"op":2,`

// isIdentifyFrame reports whether p starts a client's (masked) text frame
// whose payload starts as an IDENTIFY.
func isIdentifyFrame(p []byte) bool {
	if len(p) < 2 || p[0]&0x0f != websocket.TextMessage || p[1]&0x80 == 0 {
		return false
	}
	hl := frameHeaderLen(p[1])
	if len(p) < hl+len(identifyPrefix) {
		return false
	}
	mask := p[hl-4 : hl]
	for i := range len(identifyPrefix) {
		if p[hl+i]^mask[i%4] != identifyPrefix[i] {
			return false
		}
	}
	return true
}

func (c *closeSniffer) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.feed(p[:n])
	return n, err
}

func (c *closeSniffer) feed(b []byte) {
	for len(b) > 0 {
		if !c.handshakeDone {
			// The server's HTTP 101 answer ends with a blank line.
			c.tail = [4]byte{c.tail[1], c.tail[2], c.tail[3], b[0]}
			b = b[1:]
			c.handshakeDone = c.tail == [4]byte{'\r', '\n', '\r', '\n'}
			continue
		}
		if c.skip > 0 {
			take := min(uint64(len(b)), c.skip)
			if c.closing && len(c.closeCode) < 2 {
				c.closeCode = append(c.closeCode, b[:min(int(take), 2-len(c.closeCode))]...)
				if len(c.closeCode) == 2 {
					c.onClose(int(binary.BigEndian.Uint16(c.closeCode)))
				}
			}
			c.skip -= take
			b = b[take:]
			continue
		}
		c.hdr[c.hdrLen] = b[0]
		c.hdrLen++
		b = b[1:]
		if c.hdrLen < 2 || c.hdrLen < frameHeaderLen(c.hdr[1]) {
			continue
		}
		length := uint64(c.hdr[1] & 0x7f)
		switch length {
		case 126:
			length = uint64(binary.BigEndian.Uint16(c.hdr[2:4]))
		case 127:
			length = binary.BigEndian.Uint64(c.hdr[2:10])
		}
		c.closing = c.hdr[0]&0x0f == websocket.CloseMessage
		c.closeCode = c.closeCode[:0]
		c.skip = length
		c.hdrLen = 0
	}
}

// frameHeaderLen is a websocket frame header's length given its second byte.
func frameHeaderLen(second byte) int {
	n := 2
	switch second & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if second&0x80 != 0 {
		n += 4
	}
	return n
}
