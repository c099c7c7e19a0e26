package feed

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFetchBodyLimitHoldsOnceDecoded(t *testing.T) {
	const limit = 4 << 10
	// 0x80 is one byte in Windows-1252 and "€", three bytes, in UTF-8: the
	// raw body fits the limit and the decoded one is nearly three times it.
	euros := bytes.Repeat([]byte{0x80}, limit-200)
	cp1252 := append(append([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>`), euros...),
		"</title></channel></rss>"...)
	utf16 := []byte{0xFF, 0xFE}
	for range (limit - 2) / 2 {
		utf16 = append(utf16, 0x2D, 0x4E) // U+4E2D: two bytes in UTF-16, three in UTF-8
	}
	small := append([]byte(`<rss version="2.0"><channel><title>`), bytes.Repeat([]byte{0x80}, 100)...)
	small = append(small, "</title></channel></rss>"...)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		wantErr     bool
	}{
		{"Windows-1252 declared in the header that grows past the limit is refused", cp1252, "text/xml; charset=windows-1252", true},
		{"undeclared legacy bytes that grow past the limit are refused", cp1252, "application/rss+xml", true},
		{"UTF-16 that grows past the limit is refused", utf16, "text/xml", true},
		{"a legacy body that stays within the limit once decoded is accepted", small, "text/xml; charset=windows-1252", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.body) > limit {
				t.Fatalf("fixture is %d bytes, over the %d limit before decoding", len(tt.body), limit)
			}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				w.Write(tt.body)
			})
			resp, err := newTestFetcher(t, Options{MaxBodyBytes: limit}).Fetch(t.Context(), srv.URL, Validators{})
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if !utf8.Valid(resp.Body) || len(resp.Body) > limit {
					t.Errorf("body is %d bytes (valid UTF-8: %v)", len(resp.Body), utf8.Valid(resp.Body))
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v (body %d bytes), want ErrTooLarge", err, bodyLen(resp))
			}
			if want := "feed " + srv.URL + ": response larger than 4 KiB limit once converted to UTF-8"; err.Error() != want {
				t.Errorf("message = %q, want %q", err, want)
			}
		})
	}
}

func bodyLen(resp *Response) int {
	if resp == nil {
		return 0
	}
	return len(resp.Body)
}

func TestFetchAcceptsTheLargestBodyLimit(t *testing.T) {
	want := readFixture(t, "rss2.xml")
	srv := newServer(t, serveFixture(t, "rss2.xml", "application/rss+xml"))
	for _, limit := range []int64{math.MaxInt64, math.MaxInt64 - 1} {
		t.Run(fmt.Sprintf("a limit of %d still reads the body", limit), func(t *testing.T) {
			resp, err := newTestFetcher(t, Options{MaxBodyBytes: limit}).Fetch(t.Context(), srv.URL, Validators{})
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if !bytes.Equal(resp.Body, want) {
				t.Errorf("got %d bytes, want the %d of the feed", len(resp.Body), len(want))
			}
		})
	}
}

func TestFetchRefusesWithoutWaitingForAStalledBody(t *testing.T) {
	const limit = 1 << 10
	// The client timeout is long on purpose: a refusal must not wait for
	// it, only for the short drain deadline.
	const timeout = 30 * time.Second
	const within = time.Second
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter)
		wantErr error
	}{
		{"a declared 1 GiB body is refused at once", func(w http.ResponseWriter) {
			w.Header().Set("Content-Length", fmt.Sprint(1<<30))
			w.Write([]byte("<rss>"))
		}, ErrTooLarge},
		{"a body that passes the limit and stalls is refused at once", func(w http.ResponseWriter) {
			w.Write(bytes.Repeat([]byte("a"), limit+1))
		}, ErrTooLarge},
		{"an error page that stalls is reported at once", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte("<html>"))
		}, ErrHTTPStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stalled := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				tt.handler(w)
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-stalled:
				}
			})
			// Cleanups run last first: the handler is released before
			// the server waits for it to return.
			t.Cleanup(func() { close(stalled) })
			f := newTestFetcher(t, Options{MaxBodyBytes: limit, Timeout: timeout})
			start := time.Now()
			_, err := f.Fetch(t.Context(), srv.URL, Validators{})
			elapsed := time.Since(start)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if elapsed > within {
				t.Errorf("refusal took %v, want under %v (client timeout %v)", elapsed, within, timeout)
			}
			if strings.Contains(err.Error(), "timed out") {
				t.Errorf("refusal reported as a timeout: %v", err)
			}
		})
	}
}

func TestParseCapsEveryField(t *testing.T) {
	huge := strings.Repeat("word ", 200_000) // a million bytes of title
	hugeLink := "https://news.example/" + strings.Repeat("a", 1<<20)
	doc := func(channelTitle, channelLink, itemTitle, itemLink, description string) []byte {
		return []byte(`<rss version="2.0"><channel><title>` + channelTitle + `</title><link>` + channelLink +
			`</link><item><guid>g1</guid><title>` + itemTitle + `</title><link>` + itemLink +
			`</link><description>` + description + `</description></item></channel></rss>`)
	}
	tests := []struct {
		name  string
		doc   []byte
		field func(*Feed) string
		max   int // runes
	}{
		{"a huge item title is cut", doc("Wire", "https://news.example/", huge, "https://news.example/a", "text"),
			func(f *Feed) string { return f.Stories[0].Title }, maxTitleRunes + 1},
		{"a huge feed title is cut", doc(huge, "https://news.example/", "t", "https://news.example/a", "text"),
			func(f *Feed) string { return f.Title }, maxTitleRunes + 1},
		{"a huge feed title is cut as every story's source", doc(huge, "https://news.example/", "t", "https://news.example/a", "text"),
			func(f *Feed) string { return f.Stories[0].Source }, maxTitleRunes + 1},
		{"a huge untitled item's stand-in title is a headline", doc("Wire", "https://news.example/", "", "https://news.example/a", huge),
			func(f *Feed) string { return f.Stories[0].Title }, maxFallbackTitleRunes + 1},
		{"a huge description is cut", doc("Wire", "https://news.example/", "t", "https://news.example/a", huge),
			func(f *Feed) string { return f.Stories[0].Text }, maxTextBytes},
		{"a huge item link is dropped, not cut into a broken one", doc("Wire", "https://news.example/", "t", hugeLink, "text"),
			func(f *Feed) string { return f.Stories[0].URL }, 0},
		{"a huge site link is dropped", doc("Wire", hugeLink, "t", "https://news.example/a", "text"),
			func(f *Feed) string { return f.Link }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("https://news.example/rss", tt.doc, testNow)
			if err != nil {
				t.Fatal(err)
			}
			got := tt.field(f)
			if n := utf8.RuneCountInString(got); n > tt.max {
				t.Errorf("field holds %d runes (%d bytes), want at most %d", n, len(got), tt.max)
			}
			if !utf8.ValidString(got) {
				t.Errorf("field is not valid UTF-8 after cutting")
			}
			if tt.max > 0 && tt.max <= maxTitleRunes+1 && !strings.HasSuffix(got, "…") {
				t.Errorf("cut field %q… does not end with an ellipsis", got[:min(len(got), 40)])
			}
		})
	}

	t.Run("a cut item still has an ID from its full link", func(t *testing.T) {
		f, err := Parse("https://news.example/rss", []byte(`<rss version="2.0"><channel><title>Wire</title><item><title>t</title><link>`+
			hugeLink+`</link></item><item><title>t</title><link>`+hugeLink+`b</link></item></channel></rss>`), testNow)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Stories) != 2 || f.Stories[0].ID == f.Stories[1].ID {
			t.Errorf("items with distinct long links collapsed into %d stories", len(f.Stories))
		}
	})

	t.Run("a title of multi-byte runes is cut on a rune boundary", func(t *testing.T) {
		title := strings.Repeat("€", 3*maxTitleRunes)
		f, err := Parse("https://news.example/rss", doc("Wire", "https://news.example/", title, "https://news.example/a", "x"), testNow)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Repeat("€", maxTitleRunes) + "…"
		if got := f.Stories[0].Title; got != want {
			t.Errorf("title is %d runes, want %d euros and an ellipsis", utf8.RuneCountInString(got), maxTitleRunes)
		}
	})
}
