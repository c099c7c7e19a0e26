// Package article fetches a story's web page and extracts its main text, for
// feeds whose items carry only a teaser. The caller falls back to the feed's
// own text on any error, so every failure is quick and says why.
package article

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html/charset"
)

const (
	// DefaultMaxBytes is the body limit when New is given none: news pages
	// with inline scripts run to a few hundred kilobytes; 4 MiB leaves room
	// and still bounds memory.
	DefaultMaxBytes = 4 << 20
	// DefaultTimeout is the whole-fetch deadline when New is given none; the
	// pipeline waits on it before posting, so it is short.
	DefaultTimeout = 10 * time.Second
	// userAgent names Vigil to publishers, as feed fetchers conventionally do.
	userAgent = "Vigil/1.0 (+https://github.com/vigilbot/vigil; security news alerts)"
	// minTextChars is the least extracted text worth using over a feed's
	// teaser; less means readability found a cookie banner or a paywall.
	minTextChars = 200
	// maxElements caps the HTML elements readability will work through: news
	// pages carry a few thousand; its scoring passes are superlinear, so a
	// page of a hundred thousand elements is refused rather than chewed on.
	maxElements = 20_000
)

// Errors callers may branch on; each is wrapped with the URL.
var (
	// ErrTooLarge means the page exceeded the body limit.
	ErrTooLarge = errors.New("page larger than the limit")
	// ErrNotHTML means the server answered with something other than a web page.
	ErrNotHTML = errors.New("not an HTML page")
	// ErrNoText means no article body could be found on the page.
	ErrNoText = errors.New("no article text found")
	// ErrStatus means the server answered with a status other than 200.
	ErrStatus = errors.New("unexpected HTTP status")
)

// Extractor fetches article pages and extracts their readable text. It is
// safe for concurrent use.
type Extractor struct {
	client   *http.Client
	maxBytes int64
	timeout  time.Duration
}

// New returns an Extractor that fetches with client (the caller's, so that
// its SSRF guard and transport apply), reads at most maxBytes of a page and
// gives up after timeout. Zero or negative limits take DefaultMaxBytes and
// DefaultTimeout; a nil client takes http.DefaultClient.
func New(client *http.Client, maxBytes int64, timeout time.Duration) *Extractor {
	if client == nil {
		client = http.DefaultClient
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Extractor{client: client, maxBytes: maxBytes, timeout: timeout}
}

// Text fetches pageURL and returns the main text of the article on it:
// paragraphs separated by blank lines, navigation, adverts and footers
// removed.
func (e *Extractor) Text(ctx context.Context, pageURL string) (string, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return "", fmt.Errorf("fetch article %s: %w", pageURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("fetch article %s: not an absolute http(s) URL", pageURL)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()

	body, err := e.fetch(ctx, u)
	if err != nil {
		return "", fmt.Errorf("fetch article %s: %w", pageURL, err)
	}
	// Extraction is CPU work on untrusted HTML; the deadline covers it too,
	// so a pathological page costs the caller no more than the timeout. The
	// element limit bounds the abandoned work.
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		text, err := extract(body, u)
		done <- result{text, err}
	}()
	select {
	case <-ctx.Done():
		return "", fmt.Errorf("extract article %s: not done within %v: %w", pageURL, e.timeout, ctx.Err())
	case r := <-done:
		if r.err != nil {
			return "", fmt.Errorf("extract article %s: %w", pageURL, r.err)
		}
		return r.text, nil
	}
}

// fetch GETs the page and returns its body decoded to UTF-8, enforcing the
// status, content type and size limit.
func (e *Extractor) fetch(ctx context.Context, u *url.URL) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
	resp, err := e.client.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			return "", fmt.Errorf("no complete answer within %v: %w", e.timeout, err)
		}
		return "", err
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: %s", ErrStatus, resp.Status)
	}
	ctype := resp.Header.Get("Content-Type")
	if ctype != "" {
		mt, _, err := mime.ParseMediaType(ctype)
		if err != nil || mt != "text/html" && mt != "application/xhtml+xml" {
			return "", fmt.Errorf("%w: content type %q", ErrNotHTML, ctype)
		}
	}
	if resp.ContentLength > e.maxBytes {
		return "", fmt.Errorf("%w: %d bytes announced, limit %d", ErrTooLarge, resp.ContentLength, e.maxBytes)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, e.maxBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("reading body, no complete answer within %v: %w", e.timeout, ctx.Err())
		}
		return "", fmt.Errorf("reading body: %w", err)
	}
	if int64(len(raw)) > e.maxBytes {
		return "", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, e.maxBytes)
	}
	r, err := charset.NewReader(strings.NewReader(string(raw)), ctype)
	if err != nil {
		return "", fmt.Errorf("decoding body (%s): %w", ctype, err)
	}
	utf8Body, err := io.ReadAll(r)
	if err != nil {
		return "", fmt.Errorf("decoding body (%s): %w", ctype, err)
	}
	return string(utf8Body), nil
}

// extract runs readability on the page and renders the article as plain
// text, one paragraph per block.
func extract(page string, u *url.URL) (string, error) {
	parser := readability.NewParser()
	parser.MaxElemsToParse = maxElements
	art, err := parser.Parse(strings.NewReader(page), u)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoText, err)
	}
	if art.Node == nil {
		return "", ErrNoText
	}
	var b strings.Builder
	if err := art.RenderText(&b); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoText, err)
	}
	text := tidy(b.String())
	if len([]rune(text)) < minTextChars {
		return "", fmt.Errorf("%w: only %d characters", ErrNoText, len([]rune(text)))
	}
	return text, nil
}

// tidy collapses runs of spaces inside lines and of blank lines between
// them, so the summariser sees one paragraph per block.
func tidy(s string) string {
	var paras []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			paras = append(paras, line)
		}
	}
	return strings.Join(paras, "\n\n")
}
