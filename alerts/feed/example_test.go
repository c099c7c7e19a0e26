package feed_test

import (
	"fmt"
	"time"

	"github.com/vigilbot/vigil/alerts/feed"
)

func ExampleParse() {
	body := []byte(`<?xml version="1.0"?>
<rss version="2.0"><channel><title>Example News</title><link>https://news.example.com/</link>
<item>
  <title>Breach at &lt;em&gt;port&lt;/em&gt; operator</title>
  <link>/2026/11/breach?utm_source=rss#top</link>
  <pubDate>Tue, 24 Nov 2026 08:30:00 GMT</pubDate>
  <description>&lt;p&gt;Cargo systems were &lt;b&gt;down&lt;/b&gt; for hours.&lt;/p&gt;</description>
</item>
</channel></rss>`)
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

	f, err := feed.Parse("https://news.example.com/rss", body, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range f.Stories {
		fmt.Println(s.ID)
		fmt.Println(s.Title, "|", s.Text, "|", s.Source)
		fmt.Println(s.Published.Format(time.RFC3339))
	}
	// Output:
	// https://news.example.com/2026/11/breach
	// Breach at port operator | Cargo systems were down for hours. | Example News
	// 2026-11-24T08:30:00Z
}
