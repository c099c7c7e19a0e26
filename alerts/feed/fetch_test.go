package feed

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// loopbackOnly allows the test servers, which listen on 127.0.0.1, and
// nothing else that is not public.
var loopbackOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// newTestFetcher returns a fetcher that may reach 127.0.0.1, with opts
// tweaked by the caller.
func newTestFetcher(t *testing.T, opts Options) *Fetcher {
	t.Helper()
	if opts.AllowedNetworks == nil && !opts.AllowPrivate {
		opts.AllowedNetworks = loopbackOnly
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	f := NewFetcher(opts)
	t.Cleanup(f.CloseIdleConnections)
	return f
}

// newServer starts an httptest server on 127.0.0.1 and closes it after the
// test.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// serveFixture answers with a testdata file and a content type.
func serveFixture(t *testing.T, name, contentType string) http.HandlerFunc {
	t.Helper()
	body := readFixture(t, name)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}
}

func TestFetchReturnsBodyAndValidators(t *testing.T) {
	var gotUA, gotAccept string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotAccept = r.Header.Get("User-Agent"), r.Header.Get("Accept")
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Tue, 24 Nov 2026 08:00:00 GMT")
		w.Write(readFixture(t, "rss2.xml"))
	})
	resp, err := newTestFetcher(t, Options{}).Fetch(t.Context(), srv.URL+"/rss", Validators{})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"the body is returned unchanged when it is UTF-8", string(resp.Body), string(readFixture(t, "rss2.xml"))},
		{"the new ETag is returned", resp.Validators.ETag, `"v1"`},
		{"the new Last-Modified is returned", resp.Validators.LastModified, "Tue, 24 Nov 2026 08:00:00 GMT"},
		{"the final URL is the requested one", resp.URL, srv.URL + "/rss"},
		{"the content type is returned", resp.ContentType, "application/rss+xml; charset=utf-8"},
		{"the status is returned", resp.StatusCode, http.StatusOK},
		{"the default user agent is sent", gotUA, DefaultUserAgent},
		{"feed formats are preferred", strings.HasPrefix(gotAccept, "application/rss+xml"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestFetchSendsValidatorsAndReportsNotModified(t *testing.T) {
	const etag, lastMod = `"abc"`, "Mon, 23 Nov 2026 10:00:00 GMT"
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(readFixture(t, "rss2.xml"))
	})
	f := newTestFetcher(t, Options{})

	t.Run("a first poll without validators gets the body", func(t *testing.T) {
		resp, err := f.Fetch(t.Context(), srv.URL, Validators{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Validators.ETag != etag {
			t.Errorf("ETag = %q, want %q", resp.Validators.ETag, etag)
		}
	})
	t.Run("a poll with the stored validators gets ErrNotModified", func(t *testing.T) {
		resp, err := f.Fetch(t.Context(), srv.URL, Validators{ETag: etag, LastModified: lastMod})
		if !errors.Is(err, ErrNotModified) {
			t.Fatalf("err = %v, want ErrNotModified", err)
		}
		if resp != nil {
			t.Errorf("resp = %+v, want nil", resp)
		}
		var ferr *Error
		if !errors.As(err, &ferr) || ferr.URL != srv.URL {
			t.Errorf("error %v does not name the feed", err)
		}
	})
}

func TestFetchReportsHTTPStatus(t *testing.T) {
	tests := []struct {
		name       string
		code       int
		retryAfter string
		wantRetry  time.Duration
		wantMsg    string
	}{
		{"a 500 is a status error", 500, "", 0, "server answered 500 Internal Server Error"},
		{"a 404 is a status error", 404, "", 0, "server answered 404 Not Found"},
		{"a 503 carries Retry-After seconds", 503, "120", 2 * time.Minute,
			"server answered 503 Service Unavailable (retry after 2m0s)"},
		{"a 429 carries a Retry-After date", 429, "Wed, 25 Nov 2026 09:05:00 GMT", 5 * time.Minute,
			"server answered 429 Too Many Requests (retry after 5m0s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				http.Error(w, "nope", tt.code)
			})
			f := newTestFetcher(t, Options{Now: func() time.Time { return testNow }})
			_, err := f.Fetch(t.Context(), srv.URL+"/rss", Validators{})
			var serr *StatusError
			if !errors.As(err, &serr) || !errors.Is(err, ErrHTTPStatus) {
				t.Fatalf("err = %v, want a *StatusError matching ErrHTTPStatus", err)
			}
			if serr.Code != tt.code || serr.RetryAfter != tt.wantRetry {
				t.Errorf("got code %d retry %v, want %d %v", serr.Code, serr.RetryAfter, tt.code, tt.wantRetry)
			}
			if want := "feed " + srv.URL + "/rss: " + tt.wantMsg; err.Error() != want {
				t.Errorf("message = %q, want %q", err, want)
			}
		})
	}
}

func TestFetchTimesOut(t *testing.T) {
	const timeout = 100 * time.Millisecond
	// The handlers wait for the client to give up, so the servers close
	// promptly; the upper bound only guards against a hung test.
	stall := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"a server that never answers times out", func(w http.ResponseWriter, r *http.Request) {
			stall(r)
		}},
		{"a server that stalls in the body times out", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<rss>"))
			w.(http.Flusher).Flush()
			stall(r)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			f := newTestFetcher(t, Options{Timeout: timeout})
			_, err := f.Fetch(t.Context(), srv.URL, Validators{})
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("err = %v, want ErrTimeout", err)
			}
			if want := "feed " + srv.URL + ": timed out after 100ms"; err.Error() != want {
				t.Errorf("message = %q, want %q", err, want)
			}
			var te interface{ Timeout() bool }
			if !errors.As(err, &te) || !te.Timeout() {
				t.Errorf("error %v does not report Timeout()", err)
			}
		})
	}
}

func TestFetchDistinguishesCallerCancellation(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := newTestFetcher(t, Options{Timeout: 5 * time.Second}).Fetch(ctx, srv.URL, Validators{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if errors.Is(err, ErrTimeout) {
		t.Errorf("a cancelled fetch must not look like a timeout: %v", err)
	}
}

func TestFetchEnforcesBodyLimit(t *testing.T) {
	const limit = 1 << 10
	big := bytes.Repeat([]byte("a"), 2*limit)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"a declared Content-Length over the limit is refused", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			w.Write(big)
		}},
		{"a chunked body over the limit is refused", func(w http.ResponseWriter, r *http.Request) {
			w.Write(big[:limit])
			w.(http.Flusher).Flush()
			w.Write(big[limit:])
		}},
		{"a gzip body that inflates over the limit is refused", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			gz.Write(big)
			gz.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			_, err := newTestFetcher(t, Options{MaxBodyBytes: limit}).Fetch(t.Context(), srv.URL, Validators{})
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if want := "feed " + srv.URL + ": response larger than 1 KiB limit"; err.Error() != want {
				t.Errorf("message = %q, want %q", err, want)
			}
		})
	}

	t.Run("a body exactly at the limit is accepted", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write(big[:limit]) })
		resp, err := newTestFetcher(t, Options{MaxBodyBytes: limit}).Fetch(t.Context(), srv.URL, Validators{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Body) != limit {
			t.Errorf("got %d bytes, want %d", len(resp.Body), limit)
		}
	})
}

func TestFetchInflatesGzip(t *testing.T) {
	want := readFixture(t, "atom.xml")
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			t.Errorf("Accept-Encoding = %q, want gzip offered", r.Header.Get("Accept-Encoding"))
		}
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		gz.Write(want)
		gz.Close()
	})
	resp, err := newTestFetcher(t, Options{}).Fetch(t.Context(), srv.URL, Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Body, want) {
		t.Errorf("body was not inflated: %q", resp.Body[:min(40, len(resp.Body))])
	}
}

func TestFetchDecodesCharsetFromContentType(t *testing.T) {
	tests := []struct {
		name        string
		fixture     string
		contentType string
	}{
		{"Latin-1 declared only in Content-Type is decoded", "latin1.xml", "text/xml; charset=ISO-8859-1"},
		{"Latin-1 declared in the prolog and header is decoded once", "latin1-prolog.xml", "text/xml; charset=iso-8859-1"},
		{"the prolog wins over a wrong default header charset", "latin1-prolog.xml", "text/xml; charset=utf-8"},
		{"undeclared invalid UTF-8 is read as Windows-1252", "latin1.xml", "application/rss+xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, serveFixture(t, tt.fixture, tt.contentType))
			resp, err := newTestFetcher(t, Options{}).Fetch(t.Context(), srv.URL, Validators{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(resp.Body, []byte("Café Sécurité")) {
				t.Errorf("body not decoded to UTF-8: %q", resp.Body)
			}
			f, err := Parse(srv.URL, resp.Body, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if f.Title != "Café Sécurité" || f.Stories[0].Title != "Attaque contre un hôpital à Liège" {
				t.Errorf("parsed %q / %q, want the accents intact", f.Title, f.Stories[0].Title)
			}
		})
	}
}

func TestFetchRefusesPrivateAddressesByDefault(t *testing.T) {
	srv := newServer(t, serveFixture(t, "rss2.xml", "application/rss+xml"))
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	f := NewFetcher(Options{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(f.CloseIdleConnections)

	for _, u := range []string{srv.URL, fmt.Sprintf("http://localhost:%d/", port)} {
		t.Run("the default fetcher refuses "+u, func(t *testing.T) {
			_, err := f.Fetch(t.Context(), u, Validators{})
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("err = %v, want ErrBlockedAddress", err)
			}
			if !strings.Contains(err.Error(), "is a loopback address; private addresses are blocked unless http.allow_private_addresses is set in the config") {
				t.Errorf("message %q does not explain the block", err)
			}
		})
	}
	t.Run("the shared client refuses it too", func(t *testing.T) {
		resp, err := f.Client().Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrBlockedAddress) {
			t.Fatalf("err = %v, want ErrBlockedAddress", err)
		}
	})
	t.Run("AllowPrivate lets the operator reach it", func(t *testing.T) {
		if _, err := newTestFetcher(t, Options{AllowPrivate: true}).Fetch(t.Context(), srv.URL, Validators{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestFetchGuardsRedirects(t *testing.T) {
	var target string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/rss", http.StatusMovedPermanently)
		case "/away":
			http.Redirect(w, r, target, http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			w.Write(readFixture(t, "rss2.xml"))
		}
	})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	f := newTestFetcher(t, Options{})

	t.Run("a redirect within allowed addresses is followed", func(t *testing.T) {
		resp, err := f.Fetch(t.Context(), srv.URL+"/moved", Validators{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.URL != srv.URL+"/rss" {
			t.Errorf("final URL = %q, want %q", resp.URL, srv.URL+"/rss")
		}
	})

	// The guard refuses before connecting, so none of these addresses is
	// ever contacted.
	for _, to := range []string{
		fmt.Sprintf("http://127.0.0.2:%d/", port),
		fmt.Sprintf("http://[::1]:%d/", port),
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/",
		"http://[::ffff:169.254.169.254]/",
	} {
		t.Run("a redirect to "+to+" is refused", func(t *testing.T) {
			target = to
			_, err := f.Fetch(t.Context(), srv.URL+"/away", Validators{})
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("err = %v, want ErrBlockedAddress", err)
			}
		})
	}
	for _, to := range []string{"file:///etc/passwd", "ftp://example.com/feed", "gopher://example.com/"} {
		t.Run("a redirect to "+to+" is refused as a non-web URL", func(t *testing.T) {
			target = to
			_, err := f.Fetch(t.Context(), srv.URL+"/away", Validators{})
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("err = %v, want ErrInvalidURL", err)
			}
		})
	}
	t.Run("a redirect loop stops", func(t *testing.T) {
		_, err := f.Fetch(t.Context(), srv.URL+"/loop", Validators{})
		if !errors.Is(err, ErrTooManyRedirects) {
			t.Fatalf("err = %v, want ErrTooManyRedirects", err)
		}
	})
}

func TestFetchRejectsInvalidURLsWithoutNetwork(t *testing.T) {
	f := NewFetcher(Options{})
	for _, u := range []string{"", "example.com/rss", "ftp://example.com/rss", "http://", "https://user:pw@example.com/"} {
		t.Run(fmt.Sprintf("%q is refused", u), func(t *testing.T) {
			_, err := f.Fetch(t.Context(), u, Validators{})
			if !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("err = %v, want ErrInvalidURL", err)
			}
		})
	}
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		name string
		url  string
		ok   bool
	}{
		{"an https URL is valid", "https://example.com/feed.xml", true},
		{"an http URL with a port and query is valid", "http://example.com:8080/rss?cat=1", true},
		{"an upper-case scheme is valid", "HTTPS://example.com/", true},
		{"an IPv6 literal is valid syntax", "http://[2001:db8::1]/rss", true},
		{"a missing scheme is invalid", "example.com/rss", false},
		{"a javascript URL is invalid", "javascript:alert(1)", false},
		{"a file URL is invalid", "file:///etc/passwd", false},
		{"a URL without host is invalid", "https:///rss", false},
		{"credentials are invalid", "https://u:p@example.com/", false},
		{"port zero is invalid", "http://example.com:0/", false},
		{"a port out of range is invalid", "http://example.com:70000/", false},
		{"spaces around the URL are invalid", " https://example.com/", false},
		{"an overlong URL is invalid", "https://example.com/" + strings.Repeat("a", maxURLLength), false},
		{"a control character is invalid", "https://example.com/\x7f", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateURL(tt.url)
			if tt.ok && err != nil {
				t.Errorf("ValidateURL(%q) = %v, want nil", tt.url, err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidURL) {
				t.Errorf("ValidateURL(%q) = %v, want ErrInvalidURL", tt.url, err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{"an empty header means no delay", "", 0},
		{"seconds are read", "30", 30 * time.Second},
		{"negative seconds mean no delay", "-5", 0},
		{"huge seconds are clamped", "999999999999", maxRetryAfter},
		{"a future date is a delay from now", testNow.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{"a past date means no delay", testNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage means no delay", "soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.value, testNow); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

// Errors must read well in a channel; keep url.Error's "Get \"...\"" noise out.
func TestFetchErrorsDoNotRepeatTheRequest(t *testing.T) {
	f := newTestFetcher(t, Options{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.1.2.3/", http.StatusFound)
	})
	_, err := f.Fetch(t.Context(), srv.URL, Validators{})
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Count(err.Error(), srv.URL) != 1 || strings.Contains(err.Error(), `Get "`) {
		t.Errorf("message %q repeats the request", err)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		t.Errorf("url.Error leaked into the chain: %v", err)
	}
}

func TestFetchGuardsDNSAnswers(t *testing.T) {
	var redirectTo string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, redirectTo, http.StatusFound)
			return
		}
		w.Write(readFixture(t, "rss2.xml"))
	})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	dns := fakeResolver{
		"feed.example":     {"127.0.0.1"},
		"rebind.example":   {"10.0.0.1"},
		"metadata.example": {"169.254.169.254", "fd00::1"},
		"mixed.example":    {"169.254.169.254", "127.0.0.1"},
		"internal.example": {"127.0.0.2"},
	}
	f := newFetcher(Options{AllowedNetworks: loopbackOnly, Logger: slog.New(slog.DiscardHandler)}, dns.lookup)
	t.Cleanup(f.CloseIdleConnections)
	at := func(host, path string) string { return fmt.Sprintf("http://%s:%d%s", host, port, path) }

	tests := []struct {
		name    string
		url     string
		to      string
		wantErr error
		wantMsg string
	}{
		{"a name resolving to an allowed address is fetched", at("feed.example", "/rss"), "", nil, ""},
		{"a name resolving to a private address is refused", at("rebind.example", "/rss"), "", ErrBlockedAddress,
			"address 10.0.0.1 is a private address"},
		{"a name resolving only to refused addresses is refused", at("metadata.example", "/rss"), "", ErrBlockedAddress,
			"address 169.254.169.254 is a link-local address"},
		{"refused answers are skipped for an allowed one", at("mixed.example", "/rss"), "", nil, ""},
		{"a redirect to a name resolving to loopback is refused", at("feed.example", "/away"), at("internal.example", "/"),
			ErrBlockedAddress, "address 127.0.0.2 is a loopback address"},
		{"an unknown host says so", at("nowhere.example", "/rss"), "", nil, "host nowhere.example not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			redirectTo = tt.to
			resp, err := f.Fetch(t.Context(), tt.url, Validators{})
			switch {
			case tt.wantErr == nil && tt.wantMsg == "":
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if len(resp.Body) == 0 {
					t.Error("empty body")
				}
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			case err == nil || !strings.Contains(err.Error(), tt.wantMsg):
				t.Errorf("err = %v, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}
