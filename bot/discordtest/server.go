package discordtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

const (
	// DefaultToken is the bot token a Server accepts unless WithToken says otherwise.
	DefaultToken = "discordtest.bot.token"
	// DefaultBotUserID is the bot's user ID; as for every application created
	// since 2016, the application ID is the same snowflake.
	DefaultBotUserID = "1180000000000000001"
	// DefaultBotUsername is the bot user's name.
	DefaultBotUsername = "vigil-test"

	// defaultHeartbeatInterval is test-sized: Discord sends about 41 s, which
	// would mean no heartbeat at all in a test. discordgo gives up on a
	// connection after five intervals without an ACK, so this stays well
	// above scheduler noise on a loaded CI machine.
	defaultHeartbeatInterval = time.Second

	// maxRequestBody bounds what the fake reads from one REST request.
	// Discord: 25 MiB upload limit for bots without boosts.
	maxRequestBody = 25 << 20

	// dialTimeout bounds the websocket handshake of sessions from NewSession.
	dialTimeout = 5 * time.Second
)

// Server is a fake Discord: a gateway and a REST API on 127.0.0.1. Create one
// with NewServer; all methods are safe for concurrent use.
type Server struct {
	cfg  config
	tb   TB
	http *httptest.Server
	ids  snowflakes
	mux  *http.ServeMux

	// closing is closed when Close starts so that delayed answers and
	// gateway writers give up instead of holding shutdown.
	closing chan struct{}
	// wg counts gateway connections, which httptest stops tracking once
	// they are hijacked by the websocket upgrade.
	wg sync.WaitGroup

	mu           sync.Mutex
	closed       bool
	changed      chan struct{}
	requests     []Request
	guilds       map[string]*discordgo.Guild
	guildOrder   []string
	channels     map[string]*discordgo.Channel
	dmChannels   map[string]string // recipient user ID → DM channel ID
	users        map[string]*discordgo.User
	messages     map[string][]*Message // channel ID → messages in creation order
	commands     map[string][]*discordgo.ApplicationCommand
	interactions map[string]*interactionState // by interaction ID
	byToken      map[string]*interactionState // by interaction token
	faults       []*injector
	limiter      limiter
	sessions     map[string]*gatewaySession
	// identifies are the recent IDENTIFY times by rate-limit key.
	identifies map[int][]time.Time
	// sessionStarts are the times of the IDENTIFYs in the last
	// sessionStartWindow, oldest first.
	sessionStarts []time.Time
	conns         map[*gatewayConn]struct{}
	stats         GatewayStats
	rateLimited   int
	// invalid holds the times of answers Discord counts towards its ban.
	invalid     []time.Time
	bannedUntil time.Time
	revoked     bool
	// outage, while set, answers nothing (SetOutage).
	outage atomic.Bool
}

// TB is what the fake needs of its owner: a *testing.T, or a small
// implementation of these methods when the fake runs as its own process
// (cmd/fakediscord).
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
}

// NewServer starts a fake Discord on 127.0.0.1 and registers its Close with
// tb.Cleanup.
func NewServer(tb TB, opts ...Option) *Server {
	tb.Helper()
	cfg := config{
		token:     DefaultToken,
		bot:       discordgo.User{ID: DefaultBotUserID, Username: DefaultBotUsername, Discriminator: "0", Bot: true},
		heartbeat: defaultHeartbeatInterval,
		limits:    defaultRateLimits(),
		now:       time.Now,
		logger:    slog.New(slog.DiscardHandler),
		compress:  true,

		shards:            1,
		maxConcurrency:    1,
		maxGuildsPerShard: DiscordMaxGuildsPerShard,

		sessionStarts:      DiscordSessionStarts,
		sessionStartWindow: 24 * time.Hour,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.appID == "" {
		cfg.appID = cfg.bot.ID
	}
	s := &Server{
		cfg:          cfg,
		tb:           tb,
		closing:      make(chan struct{}),
		changed:      make(chan struct{}),
		guilds:       make(map[string]*discordgo.Guild),
		channels:     make(map[string]*discordgo.Channel),
		dmChannels:   make(map[string]string),
		users:        make(map[string]*discordgo.User),
		messages:     make(map[string][]*Message),
		commands:     make(map[string][]*discordgo.ApplicationCommand),
		interactions: make(map[string]*interactionState),
		byToken:      make(map[string]*interactionState),
		sessions:     make(map[string]*gatewaySession),
		identifies:   make(map[int][]time.Time),
		conns:        make(map[*gatewayConn]struct{}),
		limiter:      newLimiter(cfg.limits),
	}
	s.ids.now = cfg.now
	s.users[cfg.bot.ID] = &cfg.bot
	for _, g := range cfg.guilds {
		s.addGuildLocked(g)
	}
	s.mux = s.routes()
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server: it closes every gateway connection, waits for their
// goroutines and for in-flight REST answers, and shuts the listener. It is
// safe to call more than once. Close discordgo sessions first (see the
// package documentation).
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	conns := make([]*gatewayConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	for _, c := range conns {
		c.kill()
	}
	s.wg.Wait()
	s.http.Close()
}

// URL is the base URL of the fake, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.http.URL }

// GatewayURL is the websocket URL that GET /gateway hands out.
func (s *Server) GatewayURL() string {
	return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway"
}

// resumePath is where READY's resume_gateway_url points: the same gateway,
// on a path of its own so that the fake can tell whether a client resumed
// where Discord asks (Discord: "Gateway", "Resuming").
const resumePath = "/gateway-resume"

// ResumeGatewayURL is the resume_gateway_url READY hands out. GatewayStats
// counts RESUMEs that arrive there apart from those on GatewayURL.
func (s *Server) ResumeGatewayURL() string {
	return "ws" + strings.TrimPrefix(s.http.URL, "http") + resumePath
}

// Token is the value to pass to discordgo.New: "Bot " and the bot token
// (the revoked one after RevokeToken, the new one after SetToken).
func (s *Server) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "Bot " + s.cfg.token
}

// BotUser is the bot's own user, as READY and GET /users/@me report it.
func (s *Server) BotUser() discordgo.User { return s.cfg.bot }

// ApplicationID is the bot's application ID.
func (s *Server) ApplicationID() string { return s.cfg.appID }

// Transport returns a RoundTripper that sends every request for discord.com
// to the fake and refuses any other host, so a test can never reach the real
// network by accident.
func (s *Server) Transport() http.RoundTripper {
	target, err := url.Parse(s.http.URL)
	if err != nil {
		// httptest builds this URL itself; failing to parse it is a bug.
		panic(fmt.Sprintf("discordtest: parse own URL %q: %v", s.http.URL, err))
	}
	return &rewriteTransport{target: target, base: s.http.Client().Transport}
}

// HTTPClient returns a client using Transport, for discordgo's Session.Client.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 20 * time.Second}
}

// NewSession returns a discordgo session wired to the fake. token is what
// discordgo.New takes (normally s.Token()). The session is not opened; its
// Close is registered with the test's Cleanup so that it runs before the
// server's.
func (s *Server) NewSession(token string) (*discordgo.Session, error) {
	session, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("new discordgo session: %w", err)
	}
	session.Client = s.HTTPClient()
	session.Dialer = &websocket.Dialer{HandshakeTimeout: dialTimeout}
	session.ShouldReconnectOnError = true
	s.tb.Cleanup(func() {
		if err := session.Close(); err != nil {
			s.tb.Errorf("close discordgo session: %v", err)
		}
	})
	return session, nil
}

// WaitFor blocks until cond returns true or ctx ends. cond is evaluated after
// every change the fake observes (a request, a gateway frame, a connection),
// so tests wait without sleeping. cond may call the Server's accessors.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for condition: %w", ctx.Err())
		}
	}
}

// notifyLocked wakes WaitFor callers; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Request is one REST request the fake received, with the answer it gave.
type Request struct {
	Method string
	// Path is the URL path as sent, such as /api/v9/channels/1/messages.
	Path  string
	Query url.Values
	// Header holds the request headers (Authorization, User-Agent, ...).
	Header http.Header
	// Body is the raw body; for multipart requests it is payload_json.
	Body []byte
	// JSON is Body decoded into maps, slices and float64s, or nil.
	JSON any
	// Route is the matched route pattern, such as
	// "POST /api/v9/channels/{channel}/messages", or "" for unknown routes.
	Route string
	// Status is the status the fake answered with; 0 while the request is
	// in flight or when a fault dropped the connection.
	Status int
	// Dropped reports that a fault closed the connection without an answer.
	Dropped bool
	Time    time.Time
}

// Decode unmarshals the request body into v.
func (r Request) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode body of %s %s: %w", r.Method, r.Path, err)
	}
	return nil
}

// Requests returns every REST request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestsTo returns the recorded requests with the given method whose path,
// without the /api/vN prefix, matches pattern as in path.Match (for example
// "/channels/*/messages").
func (s *Server) RequestsTo(method, pattern string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if matchRequest(method, pattern, r.Method, r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// RateLimited is how many requests the fake refused with 429 because they
// broke the configured rate limits; injected 429 faults do not count.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// Messages returns the messages currently in a channel, oldest first:
// created with POST /channels/{id}/messages or by interaction responses that
// are not ephemeral.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channelID]))
	for _, m := range s.messages[channelID] {
		out = append(out, m.clone())
	}
	return out
}

// Commands returns the registered application commands of a guild, or the
// global ones for guildID "".
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneJSON(s.commands[guildID])
}

// rewriteTransport sends discord.com requests to the fake.
type rewriteTransport struct {
	target *url.URL
	base   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.URL.Hostname()
	if host != "discord.com" && host != "discordapp.com" && r.URL.Host != t.target.Host {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("discordtest: refusing request to %s outside the fake", r.URL.Redacted())
	}
	out := r.Clone(r.Context())
	out.URL.Scheme = t.target.Scheme
	out.URL.Host = t.target.Host
	out.Host = t.target.Host
	return t.base.RoundTrip(out)
}

// errBodyTooLarge marks a body over maxRequestBody.
var errBodyTooLarge = errors.New("request body too large")

// readBody reads a bounded request body and, for multipart bodies, extracts
// payload_json the way Discord does.
func readBody(r *http.Request) ([]byte, []Attachment, error) {
	if r.Body == nil {
		return nil, nil, nil
	}
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		if err := r.ParseMultipartForm(maxRequestBody); err != nil {
			return nil, nil, fmt.Errorf("parse multipart body: %w", err)
		}
		var atts []Attachment
		for field, files := range r.MultipartForm.File {
			for _, fh := range files {
				atts = append(atts, Attachment{Field: field, Filename: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Size: fh.Size})
			}
		}
		return []byte(r.FormValue("payload_json")), atts, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxRequestBody {
		return nil, nil, fmt.Errorf("body larger than %d bytes: %w", maxRequestBody, errBodyTooLarge)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil, nil
}

// cloneJSON deep-copies v through JSON so accessors never hand out the
// server's own pointers.
func cloneJSON[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("discordtest: clone %T: %v", v, err))
	}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("discordtest: clone %T: %v", v, err))
	}
	return out
}
