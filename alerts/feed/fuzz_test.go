package feed

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"

	"github.com/vigilbot/vigil/alerts"
)

// hasMarkup reports whether s contains something that looks like a tag,
// comment or processing instruction: '<' followed by a letter, '/', '!'
// or '?'.
func hasMarkup(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' && startsMarkup(s[i+1]) {
			return true
		}
	}
	return false
}

// checkStory asserts the invariants every normalised story keeps.
// markupFree says whether the input could not have produced '<' by
// decoding an escape, so no markup may remain in the text.
func checkStory(t *testing.T, s alerts.Story, markupFree bool) {
	t.Helper()
	if s.ID == "" || len(s.ID) > maxIDBytes || !utf8.ValidString(s.ID) {
		t.Errorf("bad ID %q", s.ID)
	}
	for field, v := range map[string]string{"Title": s.Title, "Text": s.Text, "Source": s.Source} {
		if !utf8.ValidString(v) {
			t.Errorf("%s is not valid UTF-8: %q", field, v)
		}
		if strings.TrimSpace(v) != v || strings.Contains(v, "  ") {
			t.Errorf("%s has uncollapsed white space: %q", field, v)
		}
		if markupFree && hasMarkup(v) {
			t.Errorf("%s has markup left: %q", field, v)
		}
	}
	if len(s.Text) > maxTextBytes {
		t.Errorf("Text is %d bytes, over the %d limit", len(s.Text), maxTextBytes)
	}
	if n := utf8.RuneCountInString(s.Title); n > maxTitleRunes+1 {
		t.Errorf("Title is %d runes, over the %d limit and its ellipsis", n, maxTitleRunes)
	}
	if len(s.URL) > maxURLLength {
		t.Errorf("URL is %d bytes, over the %d limit", len(s.URL), maxURLLength)
	}
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Errorf("URL %q is not an absolute web URL (%v)", s.URL, err)
		}
		if u != nil && u.Fragment != "" {
			t.Errorf("URL %q kept its fragment", s.URL)
		}
	}
	if s.Published.IsZero() || s.FirstSeen.IsZero() {
		t.Errorf("zero time in %+v", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"rss2.xml", "atom.xml", "feed.json", "latin1.xml", "latin1-prolog.xml", "malformed.xml", "rss091.xml", "rdf.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(generateRSS(2))
	f.Add([]byte(`<rss version="2.0"><channel><item><title><![CDATA[<b]]></title></item></channel></rss>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":" ","url":"javascript:x"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Parse("https://feed.example.com/rss", body, testNow)
		if err != nil {
			return
		}
		markupFree := !strings.ContainsAny(string(body), "&\\")
		seen := map[string]bool{}
		for _, s := range got.Stories {
			checkStory(t, s, markupFree)
			if seen[s.ID] {
				t.Errorf("duplicate ID %q", s.ID)
			}
			seen[s.ID] = true
			if !s.FirstSeen.Equal(testNow) {
				t.Errorf("FirstSeen = %v, want now", s.FirstSeen)
			}
		}
	})
}

func FuzzNormalise(f *testing.F) {
	f.Add("Title <b>bold</b>", "<p>Desc &amp; more</p>", "", "/a?utm_source=x#f", "", "https://site.example/")
	f.Add("", "", "<script>x</script>", "", "  ", "")
	f.Add("<<b>b", "a<![CDATA[<p>]]>", "<x y='>'>z", "//h/p", "g", "not a url")
	f.Add("x\xff\x00", "\u200b<\u200bb", "<!--", "http://[::1", strings.Repeat("g", 300), "https://h.example/a/b")
	f.Fuzz(func(t *testing.T, title, description, content, link, guid, siteLink string) {
		parsed := &gofeed.Feed{
			Title: title,
			Link:  siteLink,
			Items: []*gofeed.Item{
				{Title: title, Description: description, Content: content, Link: link, GUID: guid},
				{Title: description, Description: content, Link: siteLink},
			},
		}
		got := normalise("https://feed.example.com/rss", parsed, testNow)
		markupFree := !strings.Contains(title+description+content, "&")
		for _, s := range got.Stories {
			checkStory(t, s, markupFree)
		}
		if len(got.Stories) == 0 {
			t.Error("every item was dropped")
		}
	})
}

func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "x < y", "<<b>b", "&lt;b&gt;", "<script>", "a\u00a0\u00a0b", "<![CDATA[<i>x]]>", "\xff<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := plainText(in)
		if !utf8.ValidString(out) {
			t.Errorf("invalid UTF-8 from %q: %q", in, out)
		}
		if strings.TrimSpace(out) != out || strings.Contains(out, "  ") {
			t.Errorf("uncollapsed white space from %q: %q", in, out)
		}
		if !strings.Contains(in, "&") && hasMarkup(out) {
			t.Errorf("markup left from %q: %q", in, out)
		}
		if len(out) > 3*len(in)+3 {
			t.Errorf("output %d bytes from %d bytes of input", len(out), len(in))
		}
		// Keeping blocks apart changes where lines break, nothing else.
		if blocks := plainTextBlocks(in); strings.ReplaceAll(blocks, "\n", " ") != out || strings.Contains(blocks, "\n\n") || strings.Contains(blocks, " \n") || strings.Contains(blocks, "\n ") {
			t.Errorf("plainTextBlocks(%q) = %q, plainText = %q", in, blocks, out)
		}
	})
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"https://x.example/a?utm_source=1&b=2#f", "/rel?fbclid=1", "HTTP://X:80/", "//h/p", "javascript:x", "http://[::1]:443/"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://base.example/dir/feed.xml")
	f.Fuzz(func(t *testing.T, ref string) {
		got := canonicalURL(base, ref)
		if got == "" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
			t.Fatalf("canonicalURL(%q) = %q is not an absolute URL without fragment (%v)", ref, got, err)
		}
		if again := canonicalURL(base, got); again != got {
			t.Errorf("not idempotent: %q -> %q -> %q", ref, got, again)
		}
	})
}

func FuzzToUTF8(f *testing.F) {
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>caf\xe9</rss>"), "text/xml")
	f.Add([]byte("<rss>caf\xe9</rss>"), "text/xml; charset=windows-1252")
	f.Add([]byte("\xff\xfe<\x00r\x00"), "")
	f.Add([]byte("<html><meta charset=\"koi8-r\"><p>\xc1</p>"), "text/html")
	f.Add([]byte("{\"title\":\"x\"}"), "application/feed+json; charset=utf-8")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, err := toUTF8(body, contentType)
		if err != nil {
			return
		}
		if bytes.HasPrefix(out, bomUTF8) {
			t.Errorf("BOM left in %q", out)
		}
		// Converted bytes must not keep a prolog that names another
		// encoding, or the XML parser would decode them twice.
		if !bytes.Equal(out, body) {
			if label, _, ok := xmlPrologEncoding(out); ok && !strings.EqualFold(label, "utf-8") {
				if _, name := charset.Lookup(label); name != "utf-8" {
					t.Errorf("converted body still declares %q: %q", label, out)
				}
			}
		}
	})
}
