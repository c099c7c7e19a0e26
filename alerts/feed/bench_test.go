package feed

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// benchItems is the size of the performance target's generated feed.
const benchItems = 5000

// generateRSS builds an RSS 2.0 document of n realistic items, each with
// about 500 bytes of HTML description, tracking parameters on the link and
// an RFC 1123 date.
func generateRSS(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<rss version="2.0"><channel><title>Generated Security News</title>` +
		`<link>https://news.example.com/</link><description>Benchmark feed</description>` + "\n")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	countries := []string{"Estonia", "Lithuania", "Poland", "Mali", "Taiwan", "Philippines"}
	for i := range n {
		country := countries[i%len(countries)]
		fmt.Fprintf(&b, "<item><title>Ransomware group claims attack on %s energy firm #%d</title>"+
			"<link>https://news.example.com/2026/11/story-%d?utm_source=rss&amp;utm_medium=feed&amp;ref=home</link>"+
			"<guid isPermaLink=\"false\">story-%d</guid>"+
			"<pubDate>%s</pubDate>"+
			"<description><![CDATA[<p>A <strong>ransomware</strong> group said on its leak site that it had stolen "+
			"data from a major energy company in %s, the <a href=\"https://news.example.com/tag/%s\">latest</a> "+
			"in a string of attacks on critical infrastructure.</p><p>Officials said operations were "+
			"&ldquo;not affected&rdquo; &amp; that the national CERT was investigating. "+
			"<em>Analysts</em> linked the intrusion to a known initial-access broker.</p>"+
			"<img src=\"https://news.example.com/img/%d.jpg\" alt=\"Control room\"/>]]></description></item>\n",
			country, i, i, i, start.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z),
			country, strings.ToLower(country), i)
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}

func BenchmarkGofeedParse(b *testing.B) {
	doc := generateRSS(benchItems)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(doc))
		if err != nil || len(f.Items) != benchItems {
			b.Fatalf("gofeed: %v (%d items)", err, len(f.Items))
		}
	}
}

func BenchmarkParse(b *testing.B) {
	doc := generateRSS(benchItems)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse("https://news.example.com/feed.xml", doc, now)
		if err != nil || len(f.Stories) != benchItems {
			b.Fatalf("Parse: %v (%d stories)", err, len(f.Stories))
		}
	}
}

// BenchmarkNormalise isolates Vigil's own work on an already parsed feed.
func BenchmarkNormalise(b *testing.B) {
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(generateRSS(benchItems)))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if f := normalise("https://news.example.com/feed.xml", parsed, now); len(f.Stories) != benchItems {
			b.Fatalf("got %d stories", len(f.Stories))
		}
	}
}

func BenchmarkPlainText(b *testing.B) {
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(generateRSS(1)))
	if err != nil {
		b.Fatal(err)
	}
	desc := parsed.Items[0].Description
	b.SetBytes(int64(len(desc)))
	b.ReportAllocs()
	for b.Loop() {
		_ = plainText(desc)
	}
}

func TestGeneratedFeedParses(t *testing.T) {
	doc := generateRSS(3)
	f, err := Parse("https://news.example.com/feed.xml", doc, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Stories) != 3 {
		t.Fatalf("got %d stories, want 3", len(f.Stories))
	}
	s := f.Stories[0]
	if s.URL != "https://news.example.com/2026/11/story-0" || strings.Contains(s.Text, "<") ||
		!strings.Contains(s.Text, "\u201cnot affected\u201d & that") {
		t.Errorf("generated story normalised badly: %+v", s)
	}
}
