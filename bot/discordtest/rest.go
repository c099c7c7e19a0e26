package discordtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// routeMessageCreate is the route with Discord's tightest per-channel limit.
const routeMessageCreate = "POST /api/v9/channels/{channel}/messages"

// access says who may call a route.
type access int

const (
	// botAuth routes need "Authorization: Bot <token>".
	botAuth access = iota
	// public routes authenticate by the interaction or webhook token in the
	// URL; interaction callbacks are also exempt from the global limit.
	public
	// interactionCallback is public and exempt from the global rate limit
	// (Discord: "Interaction endpoints are not bound to the bot's Global
	// Rate Limit").
	interactionCallback
)

// restCall is one REST request on its way through the fake.
type restCall struct {
	r     *http.Request
	body  []byte
	atts  []Attachment
	index int // into Server.requests
	now   time.Time
	// sharedScope marks a 429 of the shared scope, which Discord does not
	// count towards its invalid request limit.
	sharedScope bool
	// events are gateway events the handler caused, sent once it returns
	// and the server's lock is free.
	events []pendingEvent
}

// pendingEvent is a gateway dispatch waiting for its handler to finish.
type pendingEvent struct {
	name string
	data json.RawMessage
}

// dispatch queues a gateway event for after the handler.
func (rc *restCall) dispatch(name string, data json.RawMessage) {
	rc.events = append(rc.events, pendingEvent{name: name, data: data})
}

// answer is what a route handler returns: a status and a JSON body, or no
// body for 204.
type answer struct {
	status int
	body   any
}

func ok(body any) answer { return answer{status: http.StatusOK, body: body} }

func noContent() answer { return answer{status: http.StatusNoContent} }

// apiError is Discord's error body.
type apiError struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
}

func fail(status, code int, msg string) answer {
	return answer{status: status, body: apiError{Message: msg, Code: code}}
}

func invalidForm(errs formErrors) answer {
	return answer{status: http.StatusBadRequest, body: errs.body()}
}

func badJSON() answer {
	// Discord: 50109 "The request body contains invalid JSON."
	return fail(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
}

type ctxKey struct{}

// routes registers every REST route the fake serves.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	r := func(pattern string, acc access, h func(*restCall) answer) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
			s.serveRoute(w, req, pattern, acc, h)
		})
	}
	r("GET /api/v9/gateway", public, s.getGateway)
	r("GET /api/v9/gateway/bot", botAuth, s.getGatewayBot)
	r("GET /api/v9/users/@me", botAuth, s.getMe)
	r("POST /api/v9/users/@me/channels", botAuth, s.createDM)

	r("GET /api/v9/applications/{app}/commands", botAuth, s.getCommands)
	r("PUT /api/v9/applications/{app}/commands", botAuth, s.putCommands)
	r("GET /api/v9/applications/{app}/guilds/{guild}/commands", botAuth, s.getCommands)
	r("PUT /api/v9/applications/{app}/guilds/{guild}/commands", botAuth, s.putCommands)

	r("POST /api/v9/interactions/{interaction}/{token}/callback", interactionCallback, s.interactionCallback)
	r("POST /api/v9/webhooks/{app}/{token}", public, s.createFollowup)
	r("GET /api/v9/webhooks/{app}/{token}/messages/{message}", public, s.getWebhookMessage)
	r("PATCH /api/v9/webhooks/{app}/{token}/messages/{message}", public, s.editWebhookMessage)
	r("DELETE /api/v9/webhooks/{app}/{token}/messages/{message}", public, s.deleteWebhookMessage)

	r("GET /api/v9/channels/{channel}", botAuth, s.getChannel)
	r(routeMessageCreate, botAuth, s.createMessage)
	r("GET /api/v9/channels/{channel}/messages", botAuth, s.listMessages)
	r("GET /api/v9/channels/{channel}/messages/{message}", botAuth, s.getMessage)
	r("PATCH /api/v9/channels/{channel}/messages/{message}", botAuth, s.editMessage)
	r("DELETE /api/v9/channels/{channel}/messages/{message}", botAuth, s.deleteMessage)

	r("GET /api/v9/guilds/{guild}", botAuth, s.getGuild)
	r("GET /api/v9/guilds/{guild}/channels", botAuth, s.getGuildChannels)
	r("GET /api/v9/guilds/{guild}/members/{user}", botAuth, s.getMember)

	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		s.unknownRoute(w, req, mux)
	})
	return mux
}

// serveHTTP is the fake's front door: the gateway websocket, or a REST
// request that is recorded and then routed.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if s.outage.Load() {
		s.refuse(w)
		return
	}
	select {
	case <-s.closing:
		// Going down: answer nothing, like a server that is gone.
		s.refuse(w)
		return
	default:
	}
	switch r.URL.Path {
	case "/gateway", "/gateway/":
		s.serveGateway(w, r, false)
		return
	case resumePath, resumePath + "/":
		s.serveGateway(w, r, true)
		return
	}
	now := s.cfg.now()
	body, atts, err := readBody(r)
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
		Body:   body,
		Time:   now,
	}
	if len(body) > 0 {
		var v any
		if json.Unmarshal(body, &v) == nil {
			rec.JSON = v
		}
	}
	s.mu.Lock()
	rc := &restCall{r: r, body: body, atts: atts, index: len(s.requests), now: now}
	s.requests = append(s.requests, rec)
	s.notifyLocked()
	s.mu.Unlock()
	s.mu.Lock()
	banned := rc.now.Before(s.bannedUntil)
	s.mu.Unlock()
	switch {
	case banned:
		// Cloudflare answers before Discord's routing: every path.
		s.serveBanned(w, rc, "")
		return
	case errors.Is(err, errBodyTooLarge):
		// Discord: 40005 "Request entity too large".
		s.respond(w, rc, "", fail(http.StatusRequestEntityTooLarge, 40005, "Request entity too large"))
		return
	case err != nil:
		s.respond(w, rc, "", badJSON())
		return
	}
	s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rc)))
}

// serveRoute applies authentication, rate limits and faults around a route
// handler.
func (s *Server) serveRoute(w http.ResponseWriter, r *http.Request, route string, acc access, h func(*restCall) answer) {
	rc := r.Context().Value(ctxKey{}).(*restCall)
	rc.r = r // the routed request carries the path values
	if acc == botAuth && !s.tokenOK(strings.TrimPrefix(r.Header.Get("Authorization"), "Bot ")) {
		s.respond(w, rc, route, fail(http.StatusUnauthorized, CodeGeneral, "401: Unauthorized"))
		return
	}

	s.mu.Lock()
	v := s.limiter.check(route, majorParam(r), acc == interactionCallback, rc.now)
	if !v.allowed {
		s.rateLimited++
	}
	s.mu.Unlock()
	v.headers(w.Header(), rc.now)
	if !v.allowed {
		s.respond(w, rc, route, rateLimitAnswer(v.retryAfter(rc.now), v.global))
		return
	}

	r.Body = io.NopCloser(bytes.NewReader(rc.body))
	fault := s.faultFor(r)
	if fault != nil && !fault.Commit {
		if !s.wait(r.Context(), fault.Delay) {
			s.drop(w, rc, route)
			return
		}
		switch {
		case fault.Drop:
			s.drop(w, rc, route)
			return
		case fault.Status != 0:
			s.respondFault(w, rc, route, fault)
			return
		}
	}
	a := h(rc)
	for _, e := range rc.events {
		s.dispatchAll(e.name, e.data)
	}
	if fault != nil && fault.Commit {
		if !s.wait(r.Context(), fault.Delay) || fault.Drop {
			s.drop(w, rc, route)
			return
		}
		if fault.Status != 0 {
			s.respondFault(w, rc, route, fault)
			return
		}
	}
	s.respond(w, rc, route, a)
}

// majorParam is the part of the path Discord keys buckets on.
func majorParam(r *http.Request) string {
	for _, p := range []string{"channel", "guild", "interaction", "token"} {
		if v := r.PathValue(p); v != "" {
			return p + "=" + v
		}
	}
	return ""
}

// rateLimitAnswer is Discord's 429 body; retry_after is in seconds.
func rateLimitAnswer(after time.Duration, global bool) answer {
	return answer{status: http.StatusTooManyRequests, body: map[string]any{
		"message":     "You are being rate limited.",
		"retry_after": math.Round(after.Seconds()*1000) / 1000,
		"global":      global,
	}}
}

// respondFault writes an injected error answer.
func (s *Server) respondFault(w http.ResponseWriter, rc *restCall, route string, f *Fault) {
	if f.Status != http.StatusTooManyRequests {
		msg := f.Message
		if msg == "" {
			msg = fmt.Sprintf("%d: %s", f.Status, http.StatusText(f.Status))
		}
		s.respond(w, rc, route, fail(f.Status, f.Code, msg))
		return
	}
	h := w.Header()
	after := strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds())))
	h.Set("Retry-After", after)
	if f.Global {
		h.Set("X-RateLimit-Global", "true")
		h.Set("X-RateLimit-Scope", "global")
		for _, k := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After", "X-RateLimit-Bucket"} {
			h.Del(k)
		}
	} else {
		scope := "user"
		if f.Shared {
			scope = "shared"
			rc.sharedScope = true
		}
		h.Set("X-RateLimit-Scope", scope)
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", f.RetryAfter.Seconds()))
		h.Set("X-RateLimit-Reset", fmt.Sprintf("%.3f", float64(rc.now.Add(f.RetryAfter).UnixMilli())/1000))
	}
	s.respond(w, rc, route, rateLimitAnswer(f.RetryAfter, f.Global))
}

// wait sleeps d unless the request or the server ends first; it reports
// whether the full delay passed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// drop closes the connection without an answer.
func (s *Server) drop(w http.ResponseWriter, rc *restCall, route string) {
	s.finish(rc, route, 0, true)
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("discordtest: response writer cannot hijack")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		s.cfg.logger.Debug("hijack for drop failed", "err", err)
		return
	}
	conn.Close()
}

// respond writes a JSON answer and records its status.
func (s *Server) respond(w http.ResponseWriter, rc *restCall, route string, a answer) {
	s.finish(rc, route, a.status, false)
	if a.body == nil {
		w.WriteHeader(a.status)
		return
	}
	data := mustJSON(a.body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	if _, err := w.Write(data); err != nil {
		s.cfg.logger.Debug("write answer failed", "err", err)
	}
}

// finish records the outcome of a request.
func (s *Server) finish(rc *restCall, route string, status int, dropped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &s.requests[rc.index]
	rec.Route, rec.Status, rec.Dropped = route, status, dropped
	if !rc.sharedScope {
		s.countInvalidLocked(status, rc.now)
	}
	s.notifyLocked()
	s.cfg.logger.Debug("rest request", "method", rec.Method, "path", rec.Path, "status", status, "dropped", dropped)
}

// unknownRoute answers 405 when the path exists under another method and
// Discord's generic 404 otherwise.
func (s *Server) unknownRoute(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	rc := r.Context().Value(ctxKey{}).(*restCall)
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			s.respond(w, rc, "", fail(http.StatusMethodNotAllowed, CodeGeneral, "405: Method Not Allowed"))
			return
		}
	}
	s.respond(w, rc, "", fail(http.StatusNotFound, CodeGeneral, "404: Not Found"))
}

// decodeBody unmarshals a JSON request body; an empty body leaves v alone.
func decodeBody(rc *restCall, v any) bool {
	if len(bytes.TrimSpace(rc.body)) == 0 {
		return true
	}
	return json.Unmarshal(rc.body, v) == nil
}
