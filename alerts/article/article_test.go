package article

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// server starts a loopback test server for one handler.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func TestTextExtractsTheArticleBody(t *testing.T) {
	page := fixture(t, "article.html")
	var gotUA string
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		gotUA = r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	text, err := New(srv.Client(), 0, 0).Text(context.Background(), srv.URL+"/world/odesa")
	if err != nil {
		t.Fatalf("Text: %v", err)
	}
	for _, want := range []string{
		"Russian drones struck a grain terminal in the port of Odesa",
		"Air defences shot down 23 of the 29 drones",
		"Shipping through the corridor was expected to resume",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	for _, noise := range []string{"NAVIGATIONNOISE", "ADVERTNOISE", "RELATEDNOISE", "FOOTERNOISE", "trackPageView", "display: block"} {
		if strings.Contains(text, noise) {
			t.Errorf("text contains page furniture %q:\n%s", noise, text)
		}
	}
	if !strings.Contains(text, "\n\n") {
		t.Errorf("paragraphs are not separated by blank lines:\n%s", text)
	}
	if !strings.HasPrefix(gotUA, "Vigil/") {
		t.Errorf("User-Agent = %q, want one naming Vigil", gotUA)
	}
}

func TestTextDecodesDeclaredCharset(t *testing.T) {
	page := strings.Replace(string(fixture(t, "article.html")), "Governor Oleh Kiper", "Governor Jos\xe9 Kiper", 1)
	page = strings.Replace(page, `<meta charset="utf-8">`, "", 1)
	srv := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Write([]byte(page))
	})
	text, err := New(srv.Client(), 0, 0).Text(context.Background(), srv.URL)
	if err != nil {
		t.Fatalf("Text: %v", err)
	}
	if !strings.Contains(text, "Governor José Kiper") {
		t.Errorf("Latin-1 text not decoded:\n%s", text)
	}
}

func TestTextFailures(t *testing.T) {
	page := fixture(t, "article.html")
	huge := strings.Repeat("<p>Filler paragraph about nothing in particular at all.</p>\n", 2000)
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		maxBytes int64
		timeout  time.Duration
		path     string
		wantErr  error  // nil: only check the message
		wantMsg  string // a reason the message must give
	}{
		{
			name:    "a missing page is a status error",
			handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			wantErr: ErrStatus, wantMsg: "404",
		},
		{
			name: "a page over the limit with a length header fails before reading",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Length", strconv.Itoa(len(huge)))
				w.Write([]byte(huge))
			},
			maxBytes: 10_000, wantErr: ErrTooLarge, wantMsg: "limit 10000",
		},
		{
			name: "a streamed page over the limit fails",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				for i := 0; i < 50; i++ {
					w.Write([]byte(huge[:2000]))
					w.(http.Flusher).Flush() // chunked: no Content-Length
				}
			},
			maxBytes: 10_000, wantErr: ErrTooLarge, wantMsg: "more than 10000 bytes",
		},
		{
			name: "a slow page times out quickly",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusOK)
				w.Write(page[:100])
				w.(http.Flusher).Flush()
				<-r.Context().Done() // never finishes the body
			},
			timeout: 100 * time.Millisecond, wantErr: context.DeadlineExceeded, wantMsg: "within 100ms",
		},
		{
			name: "a server that never answers times out quickly",
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			},
			timeout: 100 * time.Millisecond, wantErr: context.DeadlineExceeded, wantMsg: "within 100ms",
		},
		{
			name: "a PDF is not an article page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/pdf")
				w.Write([]byte("%PDF-1.7"))
			},
			wantErr: ErrNotHTML, wantMsg: "application/pdf",
		},
		{
			name: "a page without an article body has no text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte("<html><body><nav><a href='/'>Home</a></nav><p>Accept cookies?</p></body></html>"))
			},
			wantErr: ErrNoText, wantMsg: "extract article",
		},
		{
			name: "a page with more elements than the limit is refused",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte("<html><body>" + strings.Repeat("<span>x</span>", maxElements+10) + "</body></html>"))
			},
			wantErr: ErrNoText, wantMsg: "extract article",
		},
		{
			name:    "a relative URL is refused",
			handler: func(w http.ResponseWriter, r *http.Request) { t.Error("request made for a bad URL") },
			path:    "relative/path", wantMsg: "not an absolute http(s) URL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := server(t, tt.handler)
			pageURL := srv.URL + "/story"
			if tt.path != "" {
				pageURL = tt.path
			}
			start := time.Now()
			_, err := New(srv.Client(), tt.maxBytes, tt.timeout).Text(context.Background(), pageURL)
			if err == nil {
				t.Fatal("Text succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), pageURL) {
				t.Errorf("error %q does not give the URL and %q", err, tt.wantMsg)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("failure took %v; the caller must not wait long", d)
			}
		})
	}
}

func TestTextHonoursCallerCancellation(t *testing.T) {
	srv := server(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(srv.Client(), 0, time.Minute).Text(ctx, srv.URL)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func FuzzExtract(f *testing.F) {
	page, err := os.ReadFile(filepath.Join("testdata", "article.html"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(page))
	f.Add("<html><body><p>" + strings.Repeat("Short text. ", 40) + "</p></body></html>")
	f.Add("<p><div><table><tr><td>unclosed")
	f.Add("")
	u, _ := url.Parse("https://news.example/story")
	f.Fuzz(func(t *testing.T, page string) {
		text, err := extract(page, u)
		if err != nil {
			if !errors.Is(err, ErrNoText) {
				t.Fatalf("error %v is not ErrNoText", err)
			}
			return
		}
		if len([]rune(text)) < minTextChars {
			t.Fatalf("returned %d characters, below the minimum", len([]rune(text)))
		}
		if strings.Contains(text, "\n\n\n") || strings.HasPrefix(text, " ") {
			t.Fatalf("text not tidied: %q", text[:min(len(text), 80)])
		}
	})
}
