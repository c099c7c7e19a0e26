package markdown

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain words are left alone", in: "Talks resume in Geneva, 10:30", want: "Talks resume in Geneva, 10:30"},
		{name: "formatting is escaped", in: "**bold** _it_ ~~gone~~ `code` ||spoiler||", want: `\*\*bold\*\* \_it\_ \~\~gone\~\~ \` + "`code\\`" + ` \|\|spoiler\|\|`},
		{name: "a heading, subtext and a quote are escaped", in: "# Big\n-# small\n> quote", want: "\\# Big\n\\-\\# small\n\\> quote"},
		{name: "a masked link is escaped", in: "[Official](https://phish.example)", want: `\[Official\]\(https\://phish.example\)`},
		{name: "a bare URL is not linked", in: "see https://phish.example", want: `see https\://phish.example`},
		{name: "an angle-bracket link is escaped", in: "<https://phish.example>", want: `\<https\://phish.example\>`},
		{name: "a backslash cannot unescape what follows", in: `\*`, want: `\\\*`},
		{name: "@everyone and @here are broken in any case", in: "@everyone @HeRe @Everyone", want: "@\u200beveryone @\u200bHeRe @\u200bEveryone"},
		{name: "an address is left alone", in: "desk@news.example", want: "desk@news.example"},
		{name: "user and role mentions are escaped", in: "<@1> <@!2> <@&3>", want: `\<@1\> \<@!2\> \<@&3\>`},
		{name: "a numbered list's number is escaped", in: "1. First\n  22. Second", want: "1\\. First\n  22\\. Second"},
		{name: "a number mid-line is left alone", in: "Up 2.5 per cent in 2024. Then", want: "Up 2.5 per cent in 2024. Then"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "a plain URL is kept", in: "https://news.example/a?b=1&c=d#e", want: "https://news.example/a?b=1&c=d#e"},
		{name: "http is kept", in: "http://news.example/", want: "http://news.example/"},
		{name: "the scheme is lower-cased", in: "HTTPS://news.example/a", want: "https://news.example/a"},
		{name: "a host and port are kept", in: "https://news.example:8443", want: "https://news.example:8443"},
		{name: "an IPv6 host is kept", in: "https://[2001:db8::1]/a", want: "https://[2001:db8::1]/a"},
		{name: "a URL cannot close its link and open another", in: "https://evil.example/a)[Official](https://phish.example",
			want: "https://evil.example/a%29%5BOfficial%5D%28https://phish.example"},
		{name: "angle brackets, spaces and quotes are encoded", in: `https://news.example/a b>c<d"e` + "`f",
			want: "https://news.example/a%20b%3Ec%3Cd%22e%60f"},
		{name: "parentheses in a query and fragment are encoded", in: "https://news.example/?q=(a)#(b)", want: "https://news.example/?q=%28a%29#%28b%29"},
		{name: "letters not in ASCII are encoded as UTF-8", in: "https://news.example/київ", want: "https://news.example/%D0%BA%D0%B8%D1%97%D0%B2"},
		{name: "a Unicode space is encoded", in: "https://news.example/a\u00a0b", want: "https://news.example/a%C2%A0b"},
		{name: "percent escapes are kept", in: "https://news.example/a%20b", want: "https://news.example/a%20b"},
		{name: "a mass mention in a path is encoded", in: "https://social.example/@everyone", want: "https://social.example/%40everyone"},
		{name: "a user's page is kept", in: "https://social.example/@reporter", want: "https://social.example/@reporter"},
		{name: "an internationalised host is kept", in: "https://пример.example/", want: "https://пример.example/"},
		{name: "javascript is not linked", in: "javascript:alert(1)"},
		{name: "ftp is not linked", in: "ftp://files.example/a"},
		{name: "a relative URL is not linked", in: "/news/a"},
		{name: "a URL without a host is not linked", in: "https:///a"},
		{name: "a URL with only a port is not linked", in: "https://:80/a"},
		{name: "an opaque URL is not linked", in: "https:news.example"},
		{name: "a user name is not linked", in: "https://official.example@phish.example/"},
		{name: "a backslash is not linked", in: `https://news.example/a\`},
		{name: "a control character is not linked", in: "https://news.example/a\x00"},
		{name: "a line break is not linked", in: "https://news.example/a\n"},
		{name: "invalid UTF-8 is not linked", in: "https://news.example/\xff"},
		{name: "a parenthesis in the host is not linked", in: "https://news.example)[x](https://phish.example/"},
		{name: "a bad escape is not linked", in: "https://news.example/%zz"},
		{name: "a URL too long is not linked", in: "https://news.example/" + strings.Repeat("a", MaxURLBytes)},
		{name: "a URL that grows too long when encoded is not linked", in: "https://news.example/" + strings.Repeat("(", MaxURLBytes/2)},
		{name: "nothing is not linked", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := URL(tt.in); got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLink(t *testing.T) {
	tests := []struct {
		name, label, url, want string
	}{
		{name: "a label and a URL make a link", label: "Talks resume", url: "https://news.example/a", want: "[Talks resume](<https://news.example/a>)"},
		{name: "both are made safe", label: "a](https://phish.example) @here", url: "https://news.example/a)[b](https://phish.example",
			want: "[a\\]\\(https\\://phish.example\\) @\u200bhere](<https://news.example/a%29%5Bb%5D%28https://phish.example>)"},
		{name: "a URL not to be linked leaves the label alone", label: "[Click](x)", url: "javascript:alert(1)", want: `\[Click\]\(x\)`},
		{name: "a blank label is untitled", label: " ", url: "https://news.example/a", want: `[\(untitled\)](<https://news.example/a>)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Link(tt.label, tt.url); got != tt.want {
				t.Errorf("Link(%q, %q) = %q, want %q", tt.label, tt.url, got, tt.want)
			}
		})
	}
}

// FuzzURL checks that a link's target cannot end the link early, and names
// the page the feed's URL names.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"https://news.example/a", "https://evil.example/a)[Official](https://phish.example",
		"https://en.wikipedia.example/wiki/Kherson_(city)", "https://news.example/a b>c", "https://x.example/?q=(1)#(2)",
		"HTTP://[::1]:80/%41", "https://пример.example/київ", "https://a@b.example", "https://x.example/@everyone",
		"javascript:alert(1)", `https://x.example/\`, "https://x.example/?a=%zz&b=%2", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		link := URL(raw)
		if link == "" {
			return
		}
		if len(link) > MaxURLBytes || !utf8.ValidString(link) {
			t.Fatalf("URL(%q) = %q: too long or not UTF-8", raw, link)
		}
		if i := strings.IndexFunc(link, func(r rune) bool {
			return strings.ContainsRune("()<>[]\\\"` ", r) || r < ' ' || r == 0x7f
		}); i >= 0 && !inHost(link, i) {
			t.Fatalf("URL(%q) = %q: %q at %d could end a link", raw, link, link[i], i)
		}
		if massMentionIn.MatchString(link) {
			t.Fatalf("URL(%q) = %q holds a mass mention", raw, link)
		}
		want, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("URL(%q) = %q, but the URL does not parse: %v", raw, link, err)
		}
		got, err := url.Parse(link)
		if err != nil {
			t.Fatalf("URL(%q) = %q, which does not parse: %v", raw, link, err)
		}
		if got.Scheme != "http" && got.Scheme != "https" || got.User != nil {
			t.Fatalf("URL(%q) = %q: scheme %q, user %v", raw, link, got.Scheme, got.User)
		}
		if got.Scheme != want.Scheme || got.Host != want.Host || got.Path != want.Path ||
			got.Fragment != want.Fragment || decode(got.RawQuery) != decode(want.RawQuery) {
			t.Fatalf("URL(%q) = %q names another page:\n got %#v\nwant %#v", raw, link, got, want)
		}
	})
}

var massMentionIn = regexp.MustCompile(`(?i)@(everyone|here)`)

// inHost reports whether link[i] is in the host: an IPv6 address's
// brackets, which cannot end a link.
func inHost(link string, i int) bool {
	start := strings.Index(link, "//") + 2
	end := strings.IndexAny(link[start:], "/?#")
	if end < 0 {
		end = len(link) - start
	}
	return i >= start && i < start+end && (link[i] == '[' || link[i] == ']')
}

// decode decodes a query's valid percent escapes and leaves the others,
// as a server that reads it does.
func decode(q string) string {
	var sb strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] == '%' && i+2 < len(q) && ishex(q[i+1]) && ishex(q[i+2]) {
			sb.WriteByte(unhex(q[i+1])<<4 | unhex(q[i+2]))
			i += 2
			continue
		}
		sb.WriteByte(q[i])
	}
	return sb.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
