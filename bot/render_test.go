package bot

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/brief"
	"github.com/vigilbot/vigil/alerts/markdown"
)

// The injection of issue 13: a feed's link that closes the headline's link
// and opens one of its own, labelled to look trustworthy.
const injectedURL = "https://evil.example/a)[Official](https://phish.example"

func TestAStoryLineLinksOnlyToTheStorysOwnURL(t *testing.T) {
	tests := []struct {
		name  string
		title string
		url   string
		// link is the one link the line should hold; "" for none.
		link string
	}{
		{name: "a plain URL is linked as it is", title: "Talks resume", url: "https://news.example/a", link: "https://news.example/a"},
		{name: "a URL cannot close its link and open another", title: "Statement", url: injectedURL,
			link: "https://evil.example/a%29%5BOfficial%5D%28https://phish.example"},
		{name: "a URL with parentheses still links to the same page", title: "Background", url: "https://en.wikipedia.example/wiki/Kherson_(city)",
			link: "https://en.wikipedia.example/wiki/Kherson_%28city%29"},
		{name: "a URL cannot end the angle brackets early", title: "Report", url: "https://news.example/a>)[Official](https://phish.example",
			link: "https://news.example/a%3E%29%5BOfficial%5D%28https://phish.example"},
		{name: "a URL with a space is linked with the space encoded", title: "Report", url: "https://news.example/a b)[x](https://phish.example",
			link: "https://news.example/a%20b%29%5Bx%5D%28https://phish.example"},
		{name: "a URL with a backslash is not linked", title: "Report", url: `https://news.example/a\)[x](https://phish.example`},
		{name: "a URL with a user name is not linked", title: "Report", url: "https://official.example@phish.example/a"},
		{name: "a javascript URL is not linked", title: "Click me", url: "javascript:alert(1)"},
		{name: "a relative URL is not linked", title: "Report", url: "/news/a"},
		{name: "a masked link in a title stays text", title: "[Official](https://phish.example) statement", url: "https://news.example/a", link: "https://news.example/a"},
		{name: "a bare URL in a title stays text", title: "See https://phish.example now", url: "https://news.example/a", link: "https://news.example/a"},
		{name: "a title cannot close the link early", title: "a](https://phish.example) [b", url: "https://news.example/a", link: "https://news.example/a"},
		{name: "mentions in a title cannot ping", title: "@everyone @HERE <@&123456789012345678> <@1> <@!2>", url: "https://news.example/a", link: "https://news.example/a"},
		{name: "an unlinked title cannot link or ping", title: "[Official](https://phish.example) @everyone <https://phish.example>", url: "ftp://news.example/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := storyLine(alerts.Story{Title: tt.title, Source: "@here [Wire](https://phish.example)", URL: tt.url})
			var want []string
			if tt.link != "" {
				want = []string{tt.link}
			}
			checkInert(t, "storyLine", line, want)
		})
	}
}

// FuzzRenderedLinks renders one story with whatever title, text, outlet
// and URL a feed may give it, by every renderer that shows stories: the
// alert's embed, a /recent and /watch test line, and a briefing, its story
// among the top stories or in a region's group. Each must link the story
// once, to its URL made safe by markdown.URL (or not at all when it is
// not to be linked), hold no other link, and ping no one.
func FuzzRenderedLinks(f *testing.F) {
	f.Add("Talks resume", "Delegations met in Geneva.", "Reuters", "https://news.example/a")
	f.Add("Statement", "", "Wire", injectedURL)
	f.Add("[Official](https://phish.example) @everyone", "see https://phish.example <@&123> <https://phish.example>", "@here", "https://news.example/a>b")
	f.Add("a](https://phish.example) [b", "1. first\n> quote", "\\", "https://x.example/a b)[x](https://phish.example")
	f.Add("", "", "", "javascript:alert(1)")
	f.Add(`\\\`, "]](<", "@\u200beveryone", `https://a.example/\`)
	f.Add("💥🇺🇦 台湾", "\xff\xfe", "\u2028\u2029\r\n", "https://[::1]:80/(x)")
	f.Add(strings.Repeat("word ", 300), strings.Repeat("x", 5000), strings.Repeat("outlet ", 100), "https://x.example/"+strings.Repeat("(", 900))
	f.Fuzz(func(t *testing.T, title, text, source, rawURL string) {
		target := markdown.URL(rawURL)
		var want []string
		if target != "" {
			want = []string{target}
		}
		story := alerts.Story{
			Title: title, Summary: text, Text: text, Source: source, URL: rawURL,
			Published: time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC), Regions: []string{"europe"},
		}

		b := &Bot{}
		msg := b.alertMessage(alerts.Delivery{Story: story, Terms: []string{title}, AlsoReportedBy: []string{source}, Nonce: "v1234567890"})
		if len(msg.Embeds) != 1 || msg.Content != "" {
			t.Fatalf("alert = %+v, want one embed and no content", msg)
		}
		e := msg.Embeds[0]
		if e.URL != target {
			t.Errorf("alert embed links to %q, want %q", e.URL, target)
		}
		texts := []string{e.Title, e.Description, e.Footer.Text}
		for _, fl := range e.Fields {
			texts = append(texts, fl.Value)
		}
		for _, s := range texts {
			checkInert(t, "alert", s, nil)
		}
		checkNoParse(t, msg.AllowedMentions)

		checkInert(t, "story line", storyLine(story), want)

		for _, opt := range []brief.Options{{Title: "Briefing"}, {Title: "Briefing", Top: -1}} {
			var all strings.Builder
			for _, m := range brief.Render(brief.Compose([][]alerts.Story{{story}}, opt), opt) {
				for _, e := range m.Embeds {
					checkInert(t, "briefing title", e.Title, nil)
					all.WriteString(e.Description)
					all.WriteString("\n")
				}
			}
			checkInert(t, "briefing", all.String(), want)
		}
	})
}

// checkInert checks that Discord reads s as linking to exactly want and
// pinging no one.
func checkInert(t *testing.T, what, s string, want []string) {
	t.Helper()
	got := readMarkdown(s)
	if !slicesEqual(got.links, want) {
		t.Errorf("%s %q\nlinks to %q, want %q", what, s, got.links, want)
	}
	if len(got.pings) > 0 {
		t.Errorf("%s %q\npings %q", what, s, got.pings)
	}
}

// checkNoParse checks that a message lets no mention in its text ping.
func checkNoParse(t *testing.T, am *discordgo.MessageAllowedMentions) {
	t.Helper()
	if am == nil || am.Parse == nil || len(am.Parse) != 0 || len(am.Roles) != 0 || len(am.Users) != 0 {
		t.Errorf("allowed_mentions = %+v, want parse [] and no roles or users", am)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// read is what Discord makes of a piece of markdown, as far as links and
// mentions go.
type read struct {
	// links are the targets of the masked links and of the URLs Discord
	// links by itself.
	links []string
	// pings are the mentions that notify someone when allowed_mentions
	// lets them.
	pings []string
}

// readMarkdown reads s as Discord's client does, after simple-markdown
// with Discord's rules: an escape is a backslash before anything but a
// letter, digit or space; a masked link is
//
//	\[((?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*)\]\(\s*<?((?:\([^)]*\)|[^\s\\])*?)>?(?:\s+['"]([\s\S]*?)['"])?\s*\)
//
// and a bare URL is linked as (https?|steam)://… It errs on the side of
// finding links: a link inside a label counts, and every position is tried,
// where the client tries only the starts of words.
func readMarkdown(s string) read {
	var out read
	out.read(s)
	return out
}

var (
	jsSpace     = `\s\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`
	bareURL     = regexp.MustCompile(`^(?i)((?:https?|steam)://[^` + jsSpace + `<]+[^<.,:;"')\]` + jsSpace + `])`)
	angleURL    = regexp.MustCompile(`^<([^: >]+:/[^ >]+)>`)
	userMention = regexp.MustCompile(`^<@[!&]?[0-9]+>`)
	massMention = regexp.MustCompile(`^(?i)@(everyone|here)`)
)

func (out *read) read(s string) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		rest := s[i:]
		if r == '\\' && i+1 < len(s) {
			if n, nsize := utf8.DecodeRuneInString(s[i+1:]); !isAlnum(n) && !isJSSpace(n) {
				i += 1 + nsize
				continue
			}
		}
		if r == '[' {
			if label, target, n, ok := maskedLink(rest); ok {
				out.links = append(out.links, target)
				out.read(label)
				i += n
				continue
			}
		}
		// Each rule is tried only where it can start, which is what keeps
		// the fuzz target fast.
		switch r {
		case '<':
			if m := angleURL.FindStringSubmatch(rest); m != nil {
				out.links = append(out.links, m[1])
				i += len(m[0])
				continue
			}
			if m := userMention.FindString(rest); m != "" {
				out.pings = append(out.pings, m)
				i += len(m)
				continue
			}
		case '@':
			if m := massMention.FindString(rest); m != "" {
				out.pings = append(out.pings, m)
				i += len(m)
				continue
			}
		case 'h', 'H', 's', 'S':
			if m := bareURL.FindStringSubmatch(rest); m != nil {
				out.links = append(out.links, m[1])
				i += len(m[0])
				continue
			}
		}
		i += size
	}
}

func isAlnum(r rune) bool { return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

func isJSSpace(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' }

// maskedLink matches a masked link at the start of s, which is "[", as
// the regular expression of readMarkdown does: the longest label first,
// then the shortest target.
func maskedLink(s string) (label, target string, n int, ok bool) {
	// The label's tokens: a bracketed group with no "]" inside, a character
	// other than a bracket, or a "]" that another "]" follows before any
	// "[". Each character allows one token, so the label's possible ends
	// are the token boundaries.
	var ends []int
	for k := 1; k < len(s); {
		ends = append(ends, k)
		switch s[k] {
		case '[':
			m := strings.IndexByte(s[k+1:], ']')
			if m < 0 {
				k = len(s)
				continue
			}
			k += m + 2
		case ']':
			after := s[k+1:]
			if c := strings.IndexAny(after, "[]"); c < 0 || after[c] != ']' {
				k = len(s)
				continue
			}
			k++
		default:
			_, size := utf8.DecodeRuneInString(s[k:])
			k += size
		}
	}
	for e := len(ends) - 1; e >= 0; e-- {
		j := ends[e]
		if !strings.HasPrefix(s[j:], "](") {
			continue
		}
		if target, m, ok := linkTarget(s[j+2:]); ok {
			return s[1:j], target, j + 2 + m, true
		}
	}
	return "", "", 0, false
}

// linkTarget matches `\s*<?((?:\([^)]*\)|[^\s\\])*?)>?(?:\s+['"]([\s\S]*?)['"])?\s*\)`
// at the start of t.
func linkTarget(t string) (target string, n int, ok bool) {
	p := skipSpace(t, 0)
	starts := []int{p}
	if strings.HasPrefix(t[p:], "<") {
		starts = []int{p + 1, p}
	}
	for _, start := range starts {
		// reach[k]: the target's tokens can end at k. Lazy: the first k at
		// which the rest of the pattern matches wins.
		reach := make([]bool, len(t)+1)
		reach[start] = true
		for k := start; k <= len(t); k++ {
			if !reach[k] {
				continue
			}
			if end, ok := linkEnd(t, k); ok {
				return t[start:k], end, true
			}
			if k == len(t) {
				break
			}
			r, size := utf8.DecodeRuneInString(t[k:])
			if !isJSSpace(r) && r != '\\' {
				reach[k+size] = true
			}
			if r == '(' {
				if m := strings.IndexByte(t[k+1:], ')'); m >= 0 {
					reach[k+1+m+1] = true
				}
			}
		}
	}
	return "", 0, false
}

// linkEnd matches `>?(?:\s+['"]([\s\S]*?)['"])?\s*\)` at k of t.
func linkEnd(t string, k int) (int, bool) {
	for _, q := range []int{k + 1, k} {
		if q == k+1 && !strings.HasPrefix(t[k:], ">") {
			continue
		}
		// With a title.
		if r := skipSpace(t, q); r > q && r < len(t) && (t[r] == '"' || t[r] == '\'') {
			for m := r + 1; m < len(t); m++ {
				if t[m] == '"' || t[m] == '\'' {
					if e := skipSpace(t, m+1); e < len(t) && t[e] == ')' {
						return e + 1, true
					}
				}
			}
		}
		if e := skipSpace(t, q); e < len(t) && t[e] == ')' {
			return e + 1, true
		}
	}
	return 0, false
}

func skipSpace(t string, p int) int {
	for p < len(t) {
		r, size := utf8.DecodeRuneInString(t[p:])
		if !isJSSpace(r) {
			break
		}
		p += size
	}
	return p
}
