package feed

import (
	"net/url"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	base, _ := url.Parse("https://news.example.com/section/feed.xml")
	tests := []struct {
		name string
		ref  string
		want string
	}{
		{"an absolute URL is kept", "https://news.example.com/a?id=1", "https://news.example.com/a?id=1"},
		{"utm parameters are removed", "https://x.example/a?utm_source=rss&utm_medium=feed", "https://x.example/a"},
		{"other parameters keep their order and encoding",
			"https://x.example/a?z=1&fbclid=abc&a=%20b&gclid=2&ref=home", "https://x.example/a?z=1&a=%20b"},
		{"tracking names are matched case-insensitively", "https://x.example/a?UTM_Source=x&Keep=1", "https://x.example/a?Keep=1"},
		{"encoded tracking names are matched", "https://x.example/a?utm%5Fsource=x&k=1", "https://x.example/a?k=1"},
		{"AT Internet and Microsoft parameters are removed",
			"https://x.example/a?at_medium=rss&at_campaign=x&ocid=y&cmpid=z&mc_eid=1", "https://x.example/a"},
		{"the fragment is dropped", "https://x.example/a#comments", "https://x.example/a"},
		{"scheme and host are lower-cased", "HTTPS://News.Example.COM/Path", "https://news.example.com/Path"},
		{"default ports are dropped", "http://x.example:80/a", "http://x.example/a"},
		{"other ports are kept", "https://x.example:8443/a", "https://x.example:8443/a"},
		{"a relative path resolves against the base", "../2026/story", "https://news.example.com/2026/story"},
		{"a root-relative path resolves against the base", "/story?utm_source=x", "https://news.example.com/story"},
		{"a scheme-relative URL takes the base scheme", "//cdn.example.net/a", "https://cdn.example.net/a"},
		{"surrounding spaces are trimmed", "  https://x.example/a  ", "https://x.example/a"},
		{"user info is dropped", "https://u:p@x.example/a", "https://x.example/a"},
		{"an empty query mark is dropped", "https://x.example/a?", "https://x.example/a"},
		{"a javascript link is not a link", "javascript:alert(1)", ""},
		{"a mailto link is not a link", "mailto:a@example.com", ""},
		{"an empty link stays empty", "", ""},
		{"an unparsable link is dropped", "http://[::1", ""},
		{"a host that does not parse again is dropped", "//::", ""},
		{"spaces and non-ASCII in the query are escaped", "https://x.example/s?q=a b&c=é", "https://x.example/s?q=a%20b&c=%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := canonicalURL(base, tt.ref); got != tt.want {
				t.Errorf("canonicalURL(%q) = %q, want %q", tt.ref, got, tt.want)
			}
		})
	}

	t.Run("a relative link without a base is dropped", func(t *testing.T) {
		if got := canonicalURL(nil, "/story"); got != "" {
			t.Errorf("got %q, want empty", got)
		}
	})
}
