package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for a zero Options.
const (
	// DefaultUserAgent names the bot and where to read about it, so that
	// feed operators can recognise and contact it.
	DefaultUserAgent = "Vigil/0.1 (+https://github.com/vigilbot/vigil; security news bot)"
	// DefaultTimeout bounds one request, headers and body together. It is
	// the figure miniflux uses for feed fetches: long enough for slow
	// outlets, short enough not to hold up a polling cycle.
	DefaultTimeout = 20 * time.Second
	// DefaultMaxBodyBytes is far above any real feed (large outlets' feeds
	// are a few hundred KiB) yet keeps a hostile server from exhausting
	// memory.
	DefaultMaxBodyBytes = 10 << 20
)

// Limits the fetcher enforces whatever the options.
const (
	// maxRedirects follows what feed readers do in practice: a move to
	// https, a new domain and a CDN add up to three; more is a loop or a
	// trick.
	maxRedirects = 5
	// maxURLLength matches the common 2,048-byte limit of browsers and CDNs;
	// longer "feed URLs" are mistakes or abuse.
	maxURLLength = 2048
	// dialTimeout caps the TCP connect so one dead address of several does
	// not eat the whole request timeout.
	dialTimeout = 10 * time.Second
	// idleConnTimeout and maxIdleConnsPerHost keep a few connections warm
	// between polls of feeds on the same host without hoarding sockets.
	idleConnTimeout     = 90 * time.Second
	maxIdleConnsPerHost = 2
	// drainBytes is how much of an unread body is discarded to keep the
	// connection; error pages fit, and larger leftovers are not worth it.
	drainBytes = 64 << 10
	// drainTimeout bounds that discarding: a connection is worth a moment,
	// not the rest of the request timeout, which a server that stalls its
	// body would otherwise make every refusal wait for.
	drainTimeout = 200 * time.Millisecond
)

// acceptHeader prefers the feed formats Parse understands and still accepts
// anything, because many servers label feeds text/html or text/plain.
const acceptHeader = "application/rss+xml, application/atom+xml, application/feed+json, " +
	"application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"

// Options configure a Fetcher. The zero value is usable: safe defaults, and
// private addresses blocked.
type Options struct {
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// Timeout bounds one request including reading the body; zero or less
	// means DefaultTimeout.
	Timeout time.Duration
	// MaxBodyBytes is the largest response body accepted, after gzip
	// decompression; zero or less means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// AllowPrivate lets feeds reach loopback, private, link-local and other
	// non-public addresses (config: http.allow_private_addresses). Off, the
	// fetcher refuses to connect to them.
	AllowPrivate bool
	// AllowedNetworks are ranges reachable even though they are not public,
	// such as an intranet news server; the rest stays blocked.
	AllowedNetworks []netip.Prefix
	// Logger receives debug records about fetches; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock used to read Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// Validators are the cache validators of the last successful poll, sent
// back so that the server can answer 304 Not Modified.
type Validators struct {
	// ETag is the entity tag as the server sent it, quotes included.
	ETag string
	// LastModified is the Last-Modified header value, verbatim.
	LastModified string
}

// Response is a fetched document.
type Response struct {
	// URL is the final URL after redirects.
	URL string
	// StatusCode is the 2xx status the server answered with.
	StatusCode int
	// ContentType is the Content-Type header as sent.
	ContentType string
	// Body is the document converted to UTF-8, without a byte-order mark.
	Body []byte
	// Validators are what to store for the next poll's conditional GET.
	Validators Validators
}

// Fetcher fetches feeds and pages over HTTP with Vigil's protections. It is
// safe for concurrent use.
type Fetcher struct {
	userAgent string
	timeout   time.Duration
	maxBody   int64
	logger    *slog.Logger
	now       func() time.Time
	transport *http.Transport
	// client has no Timeout: Fetch bounds each request with a context so
	// that it can tell its own timeout from the caller's cancellation.
	client *http.Client
}

// NewFetcher returns a Fetcher configured by opts, defaults filled in.
func NewFetcher(opts Options) *Fetcher {
	return newFetcher(opts, net.DefaultResolver.LookupNetIP)
}

// newFetcher takes the DNS lookup as a parameter so that tests can play a
// resolver that answers with private addresses.
func newFetcher(opts Options, lookup lookupFunc) *Fetcher {
	f := &Fetcher{
		userAgent: opts.UserAgent,
		timeout:   opts.Timeout,
		maxBody:   opts.MaxBodyBytes,
		logger:    opts.Logger,
		now:       opts.Now,
	}
	if f.userAgent == "" {
		f.userAgent = DefaultUserAgent
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.maxBody <= 0 {
		f.maxBody = DefaultMaxBodyBytes
	}
	if f.logger == nil {
		f.logger = slog.Default()
	}
	if f.now == nil {
		f.now = time.Now
	}
	policy := addressPolicy{
		allowPrivate: opts.AllowPrivate,
		allowed:      append([]netip.Prefix(nil), opts.AllowedNetworks...),
	}
	dialer := &net.Dialer{
		Timeout:   dialTimeout,
		KeepAlive: 30 * time.Second,
		Control:   policy.control,
	}
	f.transport = &http.Transport{
		// No proxy: the guard checks the address actually dialled, and a
		// proxy would make that the proxy's address instead of the feed's.
		Proxy:                 nil,
		DialContext:           policy.dialContext(dialer.DialContext, lookup),
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: f.timeout,
		IdleConnTimeout:       idleConnTimeout,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		// Compression stays on: the transport asks for gzip and inflates
		// it transparently, and the body limit applies to inflated bytes.
	}
	f.client = &http.Client{
		Transport:     f.transport,
		CheckRedirect: checkRedirect,
	}
	return f
}

// Client returns an HTTP client with the same guard, redirect policy and
// timeout as Fetch, for fetching article pages. Callers must still bound
// the body they read (io.LimitReader).
func (f *Fetcher) Client() *http.Client {
	return &http.Client{
		Transport:     f.transport,
		CheckRedirect: checkRedirect,
		Timeout:       f.timeout,
	}
}

// CloseIdleConnections closes the kept-alive connections of the fetcher and
// of every client from Client; call it on shutdown.
func (f *Fetcher) CloseIdleConnections() { f.transport.CloseIdleConnections() }

// Fetch GETs a feed, sending the validators of the last poll. A 304 answer
// is an error matching ErrNotModified; every error is an *Error naming the
// feed.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	resp, err := f.fetch(ctx, rawURL, v)
	if err != nil {
		return nil, &Error{URL: rawURL, Err: err}
	}
	return resp, nil
}

// errFetchTimeout marks the request context's own deadline, to tell it
// apart from a deadline the caller set.
var errFetchTimeout = errors.New("fetch timeout")

// fetch does the work of Fetch and returns the bare reason on failure.
func (f *Fetcher) fetch(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	if err := ValidateURL(rawURL); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout, errFetchTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", acceptHeader)
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}

	start := f.now()
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, f.explain(ctx, err)
	}
	defer func() {
		// Reading a little of what is left lets the connection be reused
		// after a 304 or an error page, without reading a huge one; a body
		// declared larger than the drain will not fit it, so it is not
		// tried. Cancelling the request ends a drain that stalls.
		if resp.ContentLength <= drainBytes {
			stop := time.AfterFunc(drainTimeout, cancel)
			io.CopyN(io.Discard, resp.Body, drainBytes)
			stop.Stop()
		}
		resp.Body.Close()
	}()

	switch {
	case resp.StatusCode == http.StatusNotModified:
		f.logger.DebugContext(ctx, "feed not modified", "feed", RedactURL(rawURL))
		return nil, ErrNotModified
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, &StatusError{
			Code:       resp.StatusCode,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), f.now()),
		}
	}
	if resp.ContentLength > f.maxBody {
		return nil, &TooLargeError{Limit: f.maxBody}
	}

	// One byte past the limit tells a body at the limit from one over it;
	// at the largest int64 no body can be over, and +1 would overflow.
	readLimit := f.maxBody
	if readLimit < math.MaxInt64 {
		readLimit++
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, readLimit))
	if err != nil {
		err = f.explain(ctx, err)
		if errors.Is(err, ErrTimeout) {
			return nil, err
		}
		return nil, fmt.Errorf("reading response: %w", err)
	}
	if int64(len(body)) > f.maxBody {
		return nil, &TooLargeError{Limit: f.maxBody}
	}
	contentType := resp.Header.Get("Content-Type")
	body, err = toUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > f.maxBody {
		// Decoding can triple a body (a Windows-1252 byte becomes up to
		// three bytes of UTF-8); the limit protects the parser and every
		// story field, so it holds for what they receive.
		return nil, &TooLargeError{Limit: f.maxBody, Decoded: true}
	}

	f.logger.DebugContext(ctx, "feed fetched",
		"feed", RedactURL(rawURL),
		"url", RedactURL(resp.Request.URL.String()),
		"status", resp.StatusCode,
		"bytes", len(body),
		"duration", f.now().Sub(start))
	return &Response{
		URL:         resp.Request.URL.String(),
		StatusCode:  resp.StatusCode,
		ContentType: contentType,
		Body:        body,
		Validators: Validators{
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
		},
	}, nil
}

// explain turns a transport error into the reason an admin needs: the guard's
// verdict, the fetch timeout, or the underlying error without url.Error's
// repetition of method and URL.
func (f *Fetcher) explain(ctx context.Context, err error) error {
	var blocked *BlockedAddressError
	if errors.As(err, &blocked) {
		return blocked
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), errFetchTimeout) {
		return &TimeoutError{After: f.timeout}
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() && ctx.Err() == nil {
		// A transport-level timeout (TLS handshake, response headers)
		// is the same failure for the admin.
		return &TimeoutError{After: f.timeout}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("host %s not found: %w", dnsErr.Name, dnsErr)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// checkRedirect allows at most maxRedirects hops, to http or https only;
// the dial-time guard still checks where each hop connects.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, maxRedirects)
	}
	if err := ValidateURL(req.URL.String()); err != nil {
		return fmt.Errorf("redirect to %s: %w", RedactURL(req.URL.String()), err)
	}
	return nil
}

// ValidateURL checks that rawURL is an absolute http or https URL with a
// host, as a feed URL must be. It does not resolve the host; the fetcher's
// dial-time guard decides whether the address may be reached.
func ValidateURL(rawURL string) error {
	if len(rawURL) > maxURLLength {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidURL, maxURLLength)
	}
	if strings.TrimSpace(rawURL) != rawURL {
		return fmt.Errorf("%w: leading or trailing spaces", ErrInvalidURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL; its inner error is the reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	case "":
		return fmt.Errorf("%w: missing scheme (want http:// or https://)", ErrInvalidURL)
	default:
		return fmt.Errorf("%w: scheme %q is not http or https", ErrInvalidURL, u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return fmt.Errorf("%w: missing host", ErrInvalidURL)
	}
	if u.User != nil {
		// Credentials in a feed URL would be shown in channels and logs.
		return fmt.Errorf("%w: must not contain a user name or password", ErrInvalidURL)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%w: port %q out of range", ErrInvalidURL, p)
		}
	}
	return nil
}

// maxRetryAfter clamps a server's Retry-After: a week is longer than any
// honest maintenance window, and larger values would overflow a Duration.
const maxRetryAfter = 7 * 24 * time.Hour

// parseRetryAfter reads a Retry-After header (RFC 9110, section 10.2.3):
// either delay seconds or an HTTP date.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(value); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
