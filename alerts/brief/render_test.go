package brief

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/markdown"
)

var update = flag.Bool("update", false, "rewrite golden files")

func london(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestRenderGolden(t *testing.T) {
	loc := london(t)
	base := Options{Title: "Daily briefing · #baltic-watch", From: dayFrom, To: dayTo, Location: loc, Places: testPlaces}
	withRegions := base
	withRegions.Regions = []string{"UA", "baltic-states"}
	noTop := withRegions
	noTop.Top = -1
	tests := []struct {
		name     string
		golden   string
		clusters [][]alerts.Story
		opt      Options
	}{
		{name: "a day of news reads as a briefing", golden: "day.golden", clusters: loadDay(t), opt: base},
		{name: "a channel's own regions lead the groups", golden: "day_regions.golden", clusters: loadDay(t), opt: noTop},
		{name: "an empty day says so in one line", golden: "empty.golden", clusters: nil, opt: withRegions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Compose(tt.clusters, tt.opt)
			msgs := Render(b, tt.opt)
			checkLimits(t, msgs)
			checkGolden(t, tt.golden, dump(msgs))
			if b.Empty() {
				if len(msgs) != 1 || len(msgs[0].Embeds) != 1 {
					t.Fatalf("empty briefing rendered as %d messages, want one embed", len(msgs))
				}
				if d := msgs[0].Embeds[0].Description; strings.Contains(d, "\n") {
					t.Errorf("empty briefing description %q is more than one line", d)
				}
				return
			}
			checkPacking(t, b, tt.opt, msgs)
		})
	}
}

// dump prints messages as stable text for golden files.
func dump(msgs []Message) string {
	var sb strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&sb, "=== message %d\n", i+1)
		for j, e := range m.Embeds {
			fmt.Fprintf(&sb, "--- embed %d: %s (color #%06X)\n%s\n", j+1, e.Title, e.Color, e.Description)
		}
	}
	return sb.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("rendering differs from %s (run go test -update to accept it):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %q\ngot  %q", i+1, wl, gl)
		}
	}
	return "(same lines)"
}

// units counts s in UTF-16 code units, independently of the package's own
// count.
func units(s string) int { return len(utf16.Encode([]rune(s))) }

// checkLimits checks Discord's limits on every message, counted both in
// UTF-16 code units and in runes.
func checkLimits(t testing.TB, msgs []Message) {
	t.Helper()
	if len(msgs) == 0 {
		t.Fatal("no messages")
	}
	for i, m := range msgs {
		if n := len(m.Embeds); n == 0 || n > maxEmbeds {
			t.Errorf("message %d has %d embeds, want 1 to %d", i+1, n, maxEmbeds)
		}
		total, totalRunes := 0, 0
		for j, e := range m.Embeds {
			for _, c := range []struct {
				what  string
				s     string
				limit int
			}{{"title", e.Title, maxTitle}, {"description", e.Description, maxDescription}} {
				if u, r := units(c.s), utf8.RuneCountInString(c.s); u > c.limit || r > c.limit {
					t.Errorf("message %d embed %d: %s is %d units, %d runes; limit %d", i+1, j+1, c.what, u, r, c.limit)
				}
			}
			if strings.TrimSpace(e.Description) == "" {
				t.Errorf("message %d embed %d (%.40q) has an empty description", i+1, j+1, e.Title)
			}
			total += units(e.Title) + units(e.Description)
			totalRunes += utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		}
		if total > maxMessage || totalRunes > maxMessage {
			t.Errorf("message %d holds %d units, %d runes; limit %d", i+1, total, totalRunes, maxMessage)
		}
	}
}

// section is what Render should show of one part of a briefing: its title
// and its blocks, in order.
type section struct {
	title  string
	blocks []string
}

func sections(b Briefing, opt Options) []section {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	out := []section{{title: truncate(b.Title, maxTitle), blocks: []string{truncate(headerLine(b, loc), descriptionBudget)}}}
	if len(b.Top) > 0 {
		s := section{title: TopTitle}
		for _, e := range b.Top {
			s.blocks = append(s.blocks, topBlock(e, opt.Places))
		}
		out = append(out, s)
	}
	if len(b.Groups) > 0 {
		s := section{title: RegionsTitle}
		for i, g := range b.Groups {
			s.blocks = append(s.blocks, headingLine(g, i == 0))
			for _, e := range g.Entries {
				s.blocks = append(s.blocks, entryLine(e))
			}
		}
		out = append(out, s)
	}
	return out
}

// checkPacking checks that the messages hold every block of the briefing
// exactly once, whole and in order, under the titles of their sections,
// continuation embeds titled "<section> (cont.)".
func checkPacking(t testing.TB, b Briefing, opt Options, msgs []Message) {
	t.Helper()
	var embeds []Embed
	for _, m := range msgs {
		embeds = append(embeds, m.Embeds...)
	}
	secs := sections(b, opt)
	si, bi, first := 0, 0, true
	for k, e := range embeds {
		if si == len(secs) {
			t.Fatalf("embed %d (%.40q) is more than the briefing holds", k+1, e.Title)
		}
		want := secs[si].title
		if !first {
			want = secs[si].title + contSuffix
			if units(want) > maxTitle {
				want = continued(secs[si].title)
			}
		}
		if e.Title != want {
			t.Errorf("embed %d title = %.80q, want %.80q", k+1, e.Title, want)
		}
		rest, taken := e.Description, 0
		for bi < len(secs[si].blocks) {
			blk := secs[si].blocks[bi]
			if taken == 0 {
				// An embed does not start with a blank line.
				blk = strings.TrimLeft(blk, "\n")
			}
			if rest == blk {
				rest = ""
			} else if r, ok := strings.CutPrefix(rest, blk+"\n"); ok {
				rest = r
			} else {
				break
			}
			bi++
			taken++
			if rest == "" {
				break
			}
		}
		if taken == 0 || rest != "" {
			t.Fatalf("embed %d (%.40q): description does not continue the briefing with whole lines; next expected block %d of section %q, left %.120q",
				k+1, e.Title, bi+1, secs[si].title, rest)
		}
		if last := strings.TrimLeft(secs[si].blocks[bi-1], "\n"); strings.HasPrefix(last, "**") && bi < len(secs[si].blocks) {
			t.Errorf("embed %d ends with the heading %.60q, apart from its group", k+1, last)
		}
		if bi == len(secs[si].blocks) {
			si, bi, first = si+1, 0, true
		} else {
			first = false
		}
	}
	if si != len(secs) {
		t.Errorf("rendering ends in section %d of %d (%q), block %d", si+1, len(secs), secs[si].title, bi+1)
	}
}

// checkOnce checks that each linked entry's URL is linked exactly once.
func checkOnce(t testing.TB, b Briefing, msgs []Message) {
	t.Helper()
	var all strings.Builder
	for _, m := range msgs {
		for _, e := range m.Embeds {
			all.WriteString(e.Description)
			all.WriteString("\n")
		}
	}
	text := all.String()
	entries := b.Top
	for _, g := range b.Groups {
		entries = append(entries, g.Entries...)
	}
	if len(entries) != b.Stories {
		t.Errorf("briefing holds %d entries, want %d", len(entries), b.Stories)
	}
	for _, e := range entries {
		link := markdown.URL(e.URL)
		if link == "" {
			continue
		}
		if n := strings.Count(text, "](<"+link+">)"); n != 1 {
			t.Errorf("%s is linked %d times, want once", link, n)
		}
	}
}

// Words and places for a generated day of news.
var (
	genPlaces = []string{"Kharkiv", "Vilnius", "Narva", "Daugavpils", "Odesa", "Hodeidah", "Goma", "Bamako",
		"Tbilisi", "Pristina", "Kaohsiung", "Busan", "Manila", "Caracas", "Port-au-Prince", "Murmansk"}
	genEvents = []string{"missile strike kills 3", "drone attack on power plant", "protest turns violent",
		"ransomware hits hospital network", "border guards detain smugglers", "ceasefire talks stall",
		"explosion at ammunition depot", "parliament approves mobilisation bill", "cyberattack disrupts rail",
		"sanctions widened after election", "coup attempt foiled, officials say", "hostages freed in raid"}
	genOutlets = []string{"Reuters", "AP", "AFP", "BBC News", "Kyiv Independent", "LRT", "ERR News",
		"Al Jazeera", "Le Monde", "Yonhap", "Nikkei Asia", "Meduza", "Radio Free Europe/Radio Liberty"}
	genRegions   = append(append([]string{}, preferredRegions...), "northern-europe", "western-europe", "made-up-region")
	genCountries = []string{"UA", "RU", "LT", "LV", "EE", "BY", "PL", "FI", "YE", "SA", "CD", "ML", "GE",
		"XK", "TW", "KR", "PH", "VE", "HT", "NO"}
	genOdd = []string{
		"Київ: ракетний удар по енергетичній інфраструктурі, знеструмлено три області",
		"台湾海峡：解放军举行联合演习，台湾国防部称发现多架军机",
		"🚨 Breaking: explosion at the port of Odesa 🇺🇦 — 💥 fires reported 🔥",
		"انفجار في ميناء الحديدة واندلاع حريق كبير",
		"Ταραχές στην Αθήνα μετά τη δίκη 👩‍👩‍👧 οικογένειες ζητούν απαντήσεις",
		"北朝鮮が弾道ミサイルを発射、日本海に落下か 𠮷野家",
	}
)

// genDay generates n clusters of realistic but varied stories: 1 to 6
// outlets each, long headlines, some non-ASCII, many regions.
func genDay(n int) [][]alerts.Story {
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	start := dayFrom
	out := make([][]alerts.Story, 0, n)
	for i := range n {
		place := genPlaces[rng.IntN(len(genPlaces))]
		headline := place + ": " + genEvents[rng.IntN(len(genEvents))]
		switch i % 10 {
		case 3:
			headline = genOdd[rng.IntN(len(genOdd))]
		case 7:
			// Near 300 characters, as wire services' long headlines are.
			for len(headline) < 290 {
				headline += ", " + genEvents[rng.IntN(len(genEvents))] + " in " + genPlaces[rng.IntN(len(genPlaces))]
			}
		}
		headline += fmt.Sprintf(" (%d)", i)
		var countries, regions []string
		for range rng.IntN(3) {
			countries = append(countries, genCountries[rng.IntN(len(genCountries))])
		}
		for range rng.IntN(4) {
			regions = append(regions, genRegions[rng.IntN(len(genRegions))])
		}
		outlets := 1 + rng.IntN(6)
		first := rng.IntN(len(genOutlets))
		published := start.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		var c []alerts.Story
		for k := range outlets {
			src := genOutlets[(first+k)%len(genOutlets)]
			slug := strings.ToLower(strings.NewReplacer(" ", "", "/", "").Replace(src))
			c = append(c, alerts.Story{
				Source:    src,
				FeedURL:   "https://" + slug + ".example/feed",
				Title:     headline,
				URL:       fmt.Sprintf("https://%s.example/news/%d/%d", slug, i, k),
				Published: published.Add(time.Duration(k) * 17 * time.Minute),
				Countries: countries,
				Regions:   regions,
				Summary:   "Officials confirmed the reports on Tuesday and said more details would follow. No one was available for comment.",
				ClusterID: fmt.Sprint(i),
			})
		}
		out = append(out, c)
	}
	return out
}

func TestRenderWithinDiscordLimits(t *testing.T) {
	loc := london(t)
	opt := Options{Title: "Daily briefing · #world-desk", From: dayFrom, To: dayTo, Location: loc, Places: testPlaces}
	withHeadline := func(n int, h string) [][]alerts.Story {
		c := genDay(n)
		c[0][0].Title = h
		return c
	}
	tests := []struct {
		name     string
		clusters [][]alerts.Story
		opt      Options
		// splits says the briefing needs continued groups and several
		// messages, so that the test exercises both.
		splits bool
	}{
		{name: "no stories fit in one embed", clusters: genDay(0), opt: opt},
		{name: "one story fits", clusters: genDay(1), opt: opt},
		{name: "thirty stories fit", clusters: genDay(30), opt: opt},
		{name: "three hundred stories fit", clusters: genDay(300), opt: opt, splits: true},
		{name: "two thousand stories fit", clusters: genDay(2000), opt: opt, splits: true},
		{name: "three hundred stories with no top stories fit", clusters: genDay(300), opt: Options{Top: -1, Regions: []string{"UA", "baltic-states"}}},
		{name: "three hundred top stories fit", clusters: genDay(300), opt: Options{Top: 300, Location: loc}, splits: true},
		{name: "a 10,000-character headline is cut to fit", clusters: withHeadline(30, strings.Repeat("Shelling continues near the front ", 300)[:10000])},
		{name: "a 10,000-character headline of one word is cut to fit", clusters: withHeadline(30, strings.Repeat("Ж", 10000))},
		{name: "a 10,000-character headline of markdown is cut to fit", clusters: withHeadline(30, strings.Repeat("*_", 5000))},
		{name: "a 10,000-character headline of emoji is cut to fit", clusters: withHeadline(30, strings.Repeat("💥", 10000))},
		{name: "a 5,000-character outlet name is cut to fit", clusters: func() [][]alerts.Story {
			c := genDay(30)
			for i := range c {
				c[i][0].Source = strings.Repeat("Very Long Outlet Name ", 230)[:5000]
			}
			return c
		}()},
		{name: "a 300-character region name still makes a title that fits", clusters: func() [][]alerts.Story {
			c := genDay(30)
			c[5][0].Regions = []string{strings.Repeat("far-away-region-", 20)}
			return c
		}(), opt: Options{Top: -1}},
		{name: "a 300-character briefing title is cut to fit", clusters: genDay(30), opt: Options{Title: strings.Repeat("Daily briefing ", 20)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Compose(tt.clusters, tt.opt)
			if b.Stories != len(tt.clusters) {
				t.Fatalf("Stories = %d, want %d", b.Stories, len(tt.clusters))
			}
			msgs := Render(b, tt.opt)
			checkLimits(t, msgs)
			if b.Empty() {
				if len(msgs) != 1 || len(msgs[0].Embeds) != 1 || strings.Contains(msgs[0].Embeds[0].Description, "\n") {
					t.Errorf("empty briefing = %+v, want one embed of one line", msgs)
				}
				return
			}
			checkPacking(t, b, tt.opt, msgs)
			checkOnce(t, b, msgs)
			if tt.splits {
				continued := 0
				for _, m := range msgs {
					for _, e := range m.Embeds {
						if strings.HasSuffix(e.Title, contSuffix) {
							continued++
						}
					}
				}
				if len(msgs) < 2 || continued == 0 {
					t.Errorf("%d messages, %d continued embeds; want a briefing that splits", len(msgs), continued)
				}
			}
		})
	}
}

func TestEntryLineKeepsLinkAndTailWhenCut(t *testing.T) {
	e := Entry{
		Headline:  strings.Repeat("Sabotage suspected ", 600),
		URL:       "https://reuters.example/world/" + strings.Repeat("x", 1900),
		Source:    "Reuters",
		Outlets:   3,
		Published: dayFrom,
	}
	line := entryLine(e)
	if units(line) > lineBudget {
		t.Fatalf("line is %d units, budget %d", units(line), lineBudget)
	}
	wantTail := "…](<" + e.URL + ">) — Reuters (+2 outlets) · <t:" + fmt.Sprint(dayFrom.Unix()) + ":R>"
	if !strings.HasPrefix(line, "[Sabotage suspected") || !strings.HasSuffix(line, wantTail) {
		t.Errorf("line = %.60q…%.60q, want the headline cut before %q", line, line[len(line)-60:], wantTail)
	}
}

// massMention finds a mention that would ping a whole server.
var massMention = regexp.MustCompile(`(?i)@(everyone|here)`)

// bareURL matches a URL that Discord links by itself: one whose colon is
// not escaped.
var bareURL = regexp.MustCompile(`(^|[^\\])://`)

// numberedItem matches a line that Discord shows as a numbered list.
var numberedItem = regexp.MustCompile(`^ *[0-9]+\. `)

// ourTail matches what entryLine itself appends after the headline.
var ourTail = regexp.MustCompile(`( \(\+\d+ outlets?\))?( · <t:-?\d+:R>)?$`)

// markdownSpecial are the characters Discord's markdown gives a meaning to
// wherever they stand.
const markdownSpecial = "\\*_~`|>#-[]()<"

// unescaped returns the markdown characters of s that no backslash escapes.
func unescaped(s string) []rune {
	var out []rune
	esc := false
	for _, r := range s {
		switch {
		case esc:
			esc = false
		case r == '\\':
			esc = true
		case strings.ContainsRune(markdownSpecial, r):
			out = append(out, r)
		}
	}
	return out
}

// checkInert checks that a description can neither ping nor format: no
// unbroken mass mention, no mention that is not escaped, and no markdown
// besides each line's own link (to one of links) and quote.
func checkInert(t testing.TB, desc string, links map[string]bool) {
	t.Helper()
	checkNoPing(t, desc)
	for _, line := range strings.Split(desc, "\n") {
		line = strings.TrimPrefix(line, "> ")
		// A group's own bold heading: what it holds must be inert.
		if inner, ok := strings.CutPrefix(line, "**"); ok && strings.HasSuffix(inner, "**") && len(inner) >= 2 {
			line = strings.TrimSuffix(inner, "**")
		}
		if rest, ok := strings.CutPrefix(line, "["); ok {
			end := -1
			esc := false
			for i, r := range rest {
				if esc {
					esc = false
				} else if r == '\\' {
					esc = true
				} else if r == ']' {
					end = i
					break
				}
			}
			if end < 0 {
				t.Errorf("line %q opens a link it does not close", line)
				continue
			}
			text, after := rest[:end], rest[end+1:]
			if u := unescaped(text); len(u) > 0 {
				t.Errorf("link text %q has markdown %q", text, string(u))
			}
			if bareURL.MatchString(text) {
				t.Errorf("link text %q holds a URL Discord would link", text)
			}
			target, tail, ok := strings.Cut(strings.TrimPrefix(after, "(<"), ">)")
			if !strings.HasPrefix(after, "(<") || !ok || !links[target] {
				t.Errorf("line %q links to something other than %q", line, linkTargets(links))
			}
			if strings.ContainsAny(target, "()[]\\<> ") {
				t.Errorf("link target %q could end the link early", target)
			}
			line = tail
		}
		line = ourTail.ReplaceAllString(line, "")
		if u := unescaped(line); len(u) > 0 {
			t.Errorf("line %q has markdown %q", line, string(u))
		}
		if bareURL.MatchString(line) {
			t.Errorf("line %q holds a URL Discord would link", line)
		}
		if numberedItem.MatchString(line) {
			t.Errorf("line %q is a numbered list's item", line)
		}
	}
}

// checkNoPing checks that a description holds no unbroken mass mention and
// no mention that is not escaped.
func checkNoPing(t testing.TB, desc string) {
	t.Helper()
	if m := massMention.FindString(desc); m != "" {
		t.Errorf("%q can ping: %q", desc, m)
	}
	for i := 0; ; {
		j := strings.Index(desc[i:], "<@")
		if j < 0 {
			break
		}
		i += j
		if i == 0 || desc[i-1] != '\\' {
			t.Errorf("%q has an unescaped mention at %d", desc, i)
		}
		i += 2
	}
}

func linkTargets(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRenderEscapesFeedText(t *testing.T) {
	const plain = "https://news.example/a"
	tests := []struct {
		name     string
		headline string
		source   string
		summary  string
		url      string
		// link is where the headline should link; "" for not at all.
		link string
	}{
		{name: "markdown in a headline is shown as typed", headline: `**Bold** _it_ ~~gone~~ ` + "`code`" + ` ||spoiler|| > quote # head - item [x](y) <z> \ end`, url: plain, link: plain},
		{name: "a headline starting with a heading or subtext mark stays plain", headline: "# Breaking\n-# small print", url: plain, link: plain},
		{name: "markdown in an outlet name is shown as typed", headline: "Talks resume", source: "*The* _Daily_ |Wire| [bot](https://evil.example)", url: plain, link: plain},
		{name: "markdown in a summary is shown as typed", headline: "Talks resume", summary: "**Now**: see [here](https://evil.example) > or `here`.", url: plain, link: plain},
		{name: "backslashes cannot unescape what follows", headline: `\*not bold\* \\*still not\\* \`, source: `\_src\_`, url: plain, link: plain},
		{name: "@everyone cannot ping", headline: "@everyone evacuate now", source: "@everyone", summary: "Tell @everyone.", url: plain, link: plain},
		{name: "@here cannot ping", headline: "Alert @here", source: "News@here", summary: "@here: alert.", url: plain, link: plain},
		{name: "a mass mention in mixed case cannot ping", headline: "@EveryOne and @HERE and @eVeRyOnE", source: "@Here", url: plain, link: plain},
		{name: "role and user mentions cannot ping", headline: "<@&123456789012345678> and <@123456789012345678> and <@!1>", source: "<@&1>", summary: "<@123> said so.", url: plain, link: plain},
		{name: "a javascript URL is not linked", headline: "Click me", url: "javascript:alert(1)"},
		{name: "a URL with an angle bracket links with it encoded", headline: "Report", url: "https://news.example/a>b", link: "https://news.example/a%3Eb"},
		{name: "a URL with spaces links with them encoded", headline: "Report", url: "https://news.example/a b", link: "https://news.example/a%20b"},
		{name: "a URL with a user name is not linked", headline: "Report", url: "https://official.example@phish.example/a"},
		{name: "a bare URL in a headline stays text", headline: "See https://phish.example now", url: plain, link: plain},
		{name: "a numbered list in a headline stays text", headline: "1. Strike 2. Response", url: "ftp://files.example/a"},
		{name: "a relative URL is not linked", headline: "Report", url: "/news/a"},
		{name: "a masked link in a headline stays text", headline: "[click](http://evil.example) for details", url: plain, link: plain},
		{name: "a masked link in an unlinked headline stays text", headline: "[click](http://evil.example)", url: "ftp://files.example/a"},
		{name: "a URL cannot close its link and open another", headline: "Statement", url: "https://news.example/a)[Official_statement](https://evil.example",
			link: "https://news.example/a%29%5BOfficial_statement%5D%28https://evil.example"},
		{name: "a URL with parentheses still links to the same page", headline: "Background", url: "https://en.wikipedia.example/wiki/Kherson_(city)",
			link: "https://en.wikipedia.example/wiki/Kherson_%28city%29"},
		{name: "a URL with a trailing backslash cannot escape the link's end", headline: "Report", url: `https://news.example/a\`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := [][]alerts.Story{
				{{Title: tt.headline, Source: tt.source, Summary: tt.summary, URL: tt.url, Published: dayFrom}},
				{{Title: "Filler", Source: "Filler", URL: "https://filler.example/1", Published: dayFrom}},
			}
			links := map[string]bool{"https://filler.example/1": true}
			if tt.link != "" {
				links[tt.link] = true
			}
			for _, top := range []int{1, -1} {
				opt := Options{Title: "Briefing", Top: top}
				msgs := Render(Compose(c, opt), opt)
				checkLimits(t, msgs)
				linked := false
				for i, m := range msgs {
					for j, e := range m.Embeds {
						if i == 0 && j == 0 {
							continue // the header, which says how many stories
						}
						checkInert(t, e.Description, links)
						if tt.link != "" && strings.Contains(e.Description, "](<"+tt.link+">)") {
							linked = true
						}
					}
				}
				if tt.link != "" && !linked {
					t.Errorf("top %d: headline is not linked to %q:\n%s", top, tt.link, dump(msgs))
				}
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	f.Add("Missile strike on Kharkiv kills 4", "Kyiv Independent", "A strike killed four. More later.", "https://kyivindependent.example/a", 4)
	f.Add("@everyone **now** <@&1> [x](javascript:alert(1))", "@here", "@EveryOne see <@123>.", "javascript:alert(1)", 1)
	f.Add(strings.Repeat("Ж", 5000), strings.Repeat("outlet ", 800), strings.Repeat("x. ", 2000), "https://a.example/"+strings.Repeat("p", 2100), 200)
	f.Add("\\\\\\", "\\", "> \\", `https://a.example/\`, 0)
	f.Add("a)[b](https://evil.example", "]](<", "@\u200beveryone", "https://x.example/a)[b](https://evil.example", -3)
	f.Add("💥🇺🇦👩‍👩‍👧 台湾", "\xff\xfe", "\u2028\u2029\r\n", "https://[::1]:80/(x)", 6)
	f.Add("", "", "", "", 2)
	f.Fuzz(func(t *testing.T, headline, source, summary, url string, outlets int) {
		outlets = 1 + (outlets%8+8)%8
		var c [][]alerts.Story
		var main []alerts.Story
		for k := range outlets {
			main = append(main, alerts.Story{
				Title: headline, Source: source + strings.Repeat(" ", k) + fmt.Sprint(k), Summary: summary, URL: url,
				Published: dayFrom.Add(time.Duration(k) * time.Minute), Regions: []string{"europe"},
			})
		}
		c = append(c,
			main,
			[]alerts.Story{{Title: source, Source: headline, Text: summary, URL: url, Published: dayTo, Regions: []string{"europe"}}},
			[]alerts.Story{{Title: summary, Source: url, URL: "https://x.example/" + headline, Published: dayTo, Regions: []string{source}}},
			[]alerts.Story{{Title: headline, Source: source, URL: url}},
		)
		// Filler long enough to need several embeds and messages.
		for i := range 80 {
			c = append(c, []alerts.Story{{
				Title:  fmt.Sprintf("Filler headline number %d about shelling near the front line, officials say", i),
				Source: "Filler Wire", URL: fmt.Sprintf("https://filler.example/%d", i),
				Published: dayFrom.Add(time.Duration(i) * time.Minute), Regions: []string{"europe"},
			}})
		}
		for _, opt := range []Options{{Title: headline}, {Top: -1, Regions: []string{source}}} {
			b := Compose(c, opt)
			msgs := Render(b, opt)
			checkLimits(t, msgs)
			checkPacking(t, b, opt, msgs)
			for _, m := range msgs {
				for _, e := range m.Embeds {
					checkNoPing(t, e.Description)
				}
			}
		}
	})
}

func BenchmarkComposeRender300(b *testing.B) {
	clusters := genDay(300)
	opt := Options{Title: "Daily briefing · #world-desk", From: dayFrom, To: dayTo, Location: london(b), Places: testPlaces}
	b.ReportAllocs()
	for b.Loop() {
		Render(Compose(clusters, opt), opt)
	}
}
