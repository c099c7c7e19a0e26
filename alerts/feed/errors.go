package feed

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Sentinel errors that callers branch on with errors.Is. Every error that
// Fetch returns is an *Error naming the feed; these sit in its chain.
var (
	// ErrNotModified means the server answered 304: nothing new since the
	// validators of the last poll.
	ErrNotModified = errors.New("not modified since the last poll")
	// ErrTooLarge means the response body exceeded Options.MaxBodyBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrBlockedAddress means the feed's host resolved to, or redirected to,
	// an address that the fetcher refuses to connect to.
	ErrBlockedAddress = errors.New("blocked address")
	// ErrHTTPStatus means the server answered with a status other than 2xx
	// or 304; the chain holds a *StatusError with the code.
	ErrHTTPStatus = errors.New("unexpected HTTP status")
	// ErrTimeout means the request did not finish within Options.Timeout.
	ErrTimeout = errors.New("timed out")
	// ErrInvalidURL means the feed URL is not an absolute http or https URL.
	ErrInvalidURL = errors.New("invalid feed URL")
	// ErrTooManyRedirects means the redirect chain was longer than
	// maxRedirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrInvalidFeed means the document is not a feed that Parse understands.
	ErrInvalidFeed = errors.New("not a valid RSS, Atom or JSON feed")
)

// Error is the error Fetch and Parse return: which feed failed, and why, in
// words a server admin can act on.
type Error struct {
	// URL is the feed URL as the caller gave it, secrets and all; show
	// it through RedactURL.
	URL string
	// Err is the reason.
	Err error
}

// Error implements error as "feed <url>: <reason>", the URL's credentials
// hidden by RedactURL: the message goes to logs, the feed's last_error and
// channels.
func (e *Error) Error() string { return "feed " + RedactURL(e.URL) + ": " + e.Err.Error() }

// Unwrap exposes the reason to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// StatusError is a response with a status other than 2xx or 304.
type StatusError struct {
	// Code is the HTTP status code, such as 404.
	Code int
	// RetryAfter is the delay the server asked for with a Retry-After
	// header (on 429 and 503 usually); zero when it gave none.
	RetryAfter time.Duration
}

// Error implements error as "server answered 500 Internal Server Error".
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("server answered %d", e.Code)
	if text := http.StatusText(e.Code); text != "" {
		msg += " " + text
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Is reports that a StatusError is an ErrHTTPStatus.
func (e *StatusError) Is(target error) bool { return target == ErrHTTPStatus }

// TooLargeError is a response body over the configured limit.
type TooLargeError struct {
	// Limit is the configured maximum in bytes.
	Limit int64
	// Decoded says the body fitted as sent and grew past the limit when
	// converted to UTF-8, so the admin does not look for a large file.
	Decoded bool
}

// Error implements error as "response larger than 10 MiB limit".
func (e *TooLargeError) Error() string {
	msg := "response larger than " + formatBytes(e.Limit) + " limit"
	if e.Decoded {
		msg += " once converted to UTF-8"
	}
	return msg
}

// Is reports that a TooLargeError is an ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// BlockedAddressError is a connection the SSRF guard refused.
type BlockedAddressError struct {
	// Addr is the address the dialer was about to connect to.
	Addr netip.Addr
	// Kind says what sort of address it is, such as "loopback" or
	// "link-local".
	Kind string
}

// Error implements error with a hint at the setting that allows it.
func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("address %s is %s %s address; private addresses are blocked unless http.allow_private_addresses is set in the config",
		e.Addr, article(e.Kind), e.Kind)
}

// Is reports that a BlockedAddressError is an ErrBlockedAddress.
func (e *BlockedAddressError) Is(target error) bool { return target == ErrBlockedAddress }

// TimeoutError is a request that ran past Options.Timeout.
type TimeoutError struct {
	// After is the timeout that expired.
	After time.Duration
}

// Error implements error as "timed out after 20s".
func (e *TimeoutError) Error() string { return "timed out after " + e.After.String() }

// Is reports that a TimeoutError is an ErrTimeout.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// Timeout lets callers that test for net.Error-style timeouts find it.
func (e *TimeoutError) Timeout() bool { return true }

// formatBytes renders a limit the way an operator wrote it in the config.
func formatBytes(n int64) string {
	const kib, mib = 1 << 10, 1 << 20
	switch {
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MiB", n/mib)
	case n >= kib && n%kib == 0:
		return fmt.Sprintf("%d KiB", n/kib)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// article picks "a" or "an" for the word that follows it.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
