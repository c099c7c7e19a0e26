package opml

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseAReadersExport(t *testing.T) {
	f, err := os.Open("testdata/inoreader-export.opml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feeds, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{
		{"https://www.defensenews.com/arc/outboundfeeds/rss/?outputType=xml", "Defense News", "https://www.defensenews.com", "Defence"},
		{"https://breakingdefense.com/feed/", "Breaking Defense", "https://breakingdefense.com", "Defence"},
		{"https://news.err.ee/rss", "ERR News", "https://news.err.ee/", "Defence/Europe"},
		{"https://www.lrt.lt/en/news-in-english?rss", "LRT English", "https://www.lrt.lt/en/news-in-english", "Defence/Europe"},
		{"https://therecord.media/feed", "The Record by Recorded Future", "https://therecord.media", "Cyber"},
		{"https://www.bleepingcomputer.com/feed/", "BleepingComputer", "https://www.bleepingcomputer.com/", "Cyber"},
		{"https://www.cisa.gov/cybersecurity-advisories/all.xml", "CISA Advisories & Alerts", "https://www.cisa.gov/news-events/cybersecurity-advisories", "Cyber"},
		{"https://www.rfi.fr/en/africa/rss", "Sahel – RFI", "https://www.rfi.fr/en/africa/", "Africa"},
		{"https://www.bellingcat.com/feed/", "Bellingcat", "https://www.bellingcat.com", ""},
	}
	if !reflect.DeepEqual(feeds, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", feeds, want)
	}
}

func TestWriteThenParseGivesTheSameFeeds(t *testing.T) {
	data, err := os.ReadFile("testdata/inoreader-export.opml")
	if err != nil {
		t.Fatal(err)
	}
	feeds, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	created := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	if err := Write(&out, "Vigil feeds", created, feeds); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<opml version="2.0">`, "<dateCreated>Mon, 07 Dec 2026 03:00:00 +0000</dateCreated>", `type="rss"`, `xmlUrl="https://news.err.ee/rss"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the export lacks %s:\n%s", want, out.String())
		}
	}
	again, err := Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, feeds) {
		t.Errorf("after a round trip:\n%+v\nwant\n%+v", again, feeds)
	}
	var twice bytes.Buffer
	if err := Write(&twice, "Vigil feeds", created, again); err != nil {
		t.Fatal(err)
	}
	if twice.String() != out.String() {
		t.Errorf("the same feeds wrote two different files:\n%s\n---\n%s", out.String(), twice.String())
	}
}

func TestParseRefusesWhatIsNotOPML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"html", "<html><body>hi</body></html>", "not an OPML file"},
		{"broken", "<opml><body><outline text='a'></body></opml>", "not a valid OPML file: line 1"},
		{"empty", "", "not an OPML file"},
		{"too deep", "<opml><body>" + strings.Repeat("<outline text='x'>", 40) + strings.Repeat("</outline>", 40) + "</body></opml>", "deeper than 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) err = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseListsAFeedOnceAndKeepsFeedsWithoutAType(t *testing.T) {
	in := `<opml version="2.0"><body>
		<outline text="A"><outline text="One" xmlUrl="https://a.example/rss"/></outline>
		<outline text="B"><outline text="One again" type="rss" xmlUrl="https://a.example/rss"/><outline text="Two" type="atom" xmlUrl="https://b.example/atom"/></outline>
	</body></opml>`
	feeds, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{{URL: "https://a.example/rss", Title: "One", Category: "A"}, {URL: "https://b.example/atom", Title: "Two", Category: "B"}}
	if !reflect.DeepEqual(feeds, want) {
		t.Errorf("Parse = %+v, want %+v", feeds, want)
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/inoreader-export.opml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<opml version="2.0"><head/><body><outline text="x" xmlUrl="https://x.example/"/></body></opml>`))
	f.Add([]byte(`<opml><body><outline><outline><outline text="deep" xmlUrl="u"/></outline></outline></body></opml>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		feeds, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever parses writes out and parses back to the same feeds.
		var out bytes.Buffer
		if err := Write(&out, "fuzz", time.Time{}, feeds); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(&out)
		if err != nil {
			t.Fatalf("re-parse of our own output: %v\n%s", err, out.String())
		}
		if len(again) != len(feeds) {
			t.Fatalf("round trip kept %d of %d feeds", len(again), len(feeds))
		}
	})
}
