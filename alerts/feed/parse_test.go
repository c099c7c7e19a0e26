package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

// testNow is the fixed "first seen" time of parsing tests.
var testNow = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	return b
}

// checkGolden compares got with testdata/golden/name, rewriting it under
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file; got:\n%s", name, got)
	}
}

func TestParseMatchesGoldenFiles(t *testing.T) {
	tests := []struct {
		fixture string
		feedURL string
		format  string
		stories int
	}{
		{"rss2.xml", "https://news.example.com/feed.xml", "rss", 3},
		{"atom.xml", "https://baltic.example.org/atom.xml", "atom", 2},
		{"feed.json", "https://json.example.net/feed.json", "json", 2},
		{"latin1-prolog.xml", "https://latin1.example.fr/rss", "rss", 1},
		{"rss091.xml", "http://cert.example.org/rss.xml", "rss", 1},
		{"rdf.xml", "https://rdf.example.jp/index.rdf", "rss", 1},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+" parses into the golden stories", func(t *testing.T) {
			got, err := Parse(tt.feedURL, readFixture(t, tt.fixture), testNow)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Format != tt.format {
				t.Errorf("Format = %q, want %q", got.Format, tt.format)
			}
			if len(got.Stories) != tt.stories {
				t.Errorf("got %d stories, want %d", len(got.Stories), tt.stories)
			}
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(got); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(tt.fixture, filepath.Ext(tt.fixture))+".golden.json", out.Bytes())
		})
	}
}

func TestParseNormalisesStories(t *testing.T) {
	rss, err := Parse("https://news.example.com/feed.xml", readFixture(t, "rss2.xml"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	atom, err := Parse("https://baltic.example.org/atom.xml", readFixture(t, "atom.xml"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	jsonFeed, err := Parse("https://json.example.net/feed.json", readFixture(t, "feed.json"), testNow)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		got, want any
	}{
		{"a GUID is trimmed and becomes the ID", rss.Stories[0].ID, "story-42"},
		{"tracking parameters and the fragment are removed from links",
			rss.Stories[0].URL, "https://news.example.com/2026/11/ransomware-port?id=42"},
		{"HTML in titles is stripped after entity decoding",
			rss.Stories[0].Title, "Ransomware hits Estonian port operator"},
		{"scripts are dropped and whitespace collapsed in text",
			rss.Stories[0].Text, "The operator of Tallinn's main port said on Tuesday that a ransomware attack had disrupted cargo.\nOfficials blamed a known group."},
		{"published dates keep their instant in UTC",
			rss.Stories[0].Published, time.Date(2026, 11, 24, 7, 30, 0, 0, time.UTC)},
		{"relative links resolve against the site link",
			rss.Stories[1].URL, "https://news.example.com/2026/11/relative-story?page=2"},
		{"without a GUID the canonical link is the ID",
			rss.Stories[1].ID, "https://news.example.com/2026/11/relative-story?page=2"},
		{"content wins over description, its heading a line of its own", rss.Stories[1].Text, "Full\nFull content wins over the description."},
		{"a duplicate GUID is collapsed into the first item", rss.Stories[2].Title, "No date, no link, no GUID"},
		{"a missing date falls back to now", rss.Stories[2].Published, testNow},
		{"first seen is now", rss.Stories[2].FirstSeen, testNow},
		{"without GUID or link the ID is a hash", strings.HasPrefix(rss.Stories[2].ID, hashIDPrefix), true},
		{"the source is the feed title", rss.Stories[0].Source, "Example & Security News"},
		{"the feed URL is kept", rss.Stories[0].FeedURL, "https://news.example.com/feed.xml"},
		{"Atom HTML titles are plain text", atom.Title, "Baltic Cyber Watch"},
		{"Atom relative links resolve against the alternate link",
			atom.Stories[0].URL, "https://baltic.example.org/posts/ddos-wave.html"},
		{"Atom content wins over summary", atom.Stories[0].Text, "Several ministries reported outages.\nCERT-LT is investigating."},
		{"the default port is dropped and the host lower-cased",
			atom.Stories[1].URL, "https://baltic.example.org/posts/updated-only"},
		{"the updated date stands in for a missing published date",
			atom.Stories[1].Published, time.Date(2026, 11, 20, 9, 15, 0, 0, time.UTC)},
		{"list items are lines of their own", atom.Stories[1].Text, "one\ntwo"},
		{"without a feed title the source is the feed host", jsonFeed.Stories[0].Source, "json.example.net"},
		{"Mailchimp and utm parameters are removed",
			jsonFeed.Stories[0].URL, "https://json.example.net/items/1001"},
		{"a missing title is cut from the text at a word boundary",
			jsonFeed.Stories[1].Title, "An item without a title gets one from its text, cut at a word boundary when the text is long enough to need it, which…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if gt, ok := tt.got.(time.Time); ok {
				if !gt.Equal(tt.want.(time.Time)) {
					t.Errorf("got %v, want %v", gt, tt.want)
				}
				return
			}
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestParseRejectsWhatIsNotAFeed(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"malformed XML is an error", readFixture(t, "malformed.xml")},
		{"an HTML page is an error", []byte("<!doctype html><html><body><p>Hello</p></body></html>")},
		{"an empty body is an error", nil},
		{"a JSON document that is not a feed is an error", []byte(`{"version": 1, "items": 3}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("https://x.example/rss", tt.body, testNow)
			if !errors.Is(err, ErrInvalidFeed) {
				t.Fatalf("err = %v, want ErrInvalidFeed", err)
			}
			if !strings.HasPrefix(err.Error(), "feed https://x.example/rss: not a valid RSS, Atom or JSON feed: ") {
				t.Errorf("message %q does not say which feed and why", err)
			}
		})
	}
}

func TestStoryIDIsBounded(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 2*maxIDBytes)
	doc := `<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>` + long + `</guid></item></channel></rss>`
	f, err := Parse("https://example.com/rss", []byte(doc), testNow)
	if err != nil {
		t.Fatal(err)
	}
	id := f.Stories[0].ID
	if !strings.HasPrefix(id, hashIDPrefix) || len(id) > maxIDBytes {
		t.Errorf("ID %q is not a bounded hash", id)
	}
	if id != hashID(long) {
		t.Errorf("hashed ID is not stable: %q vs %q", id, hashID(long))
	}
}
