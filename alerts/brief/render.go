package brief

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vigilbot/vigil/alerts/markdown"
)

// Discord's limits on embeds and messages
// (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const (
	// Discord: an embed title holds at most 256 characters.
	maxTitle = 256
	// Discord: an embed description holds at most 4096 characters.
	maxDescription = 4096
	// Discord: the titles, descriptions, fields and footers of all the
	// embeds of one message hold at most 6000 characters together.
	maxMessage = 6000
	// Discord: a message carries at most 10 embeds.
	maxEmbeds = 10
)

// safetyMargin is kept free under each of Discord's character limits.
// Lengths are counted in UTF-16 code units, never fewer than runes, so the
// limits hold whether Discord counts code points or code units; the margin
// covers what Discord may add when it normalises text (line endings, the
// escapes of its own markdown parser), which its documentation does not
// specify.
const safetyMargin = 32

const (
	descriptionBudget = maxDescription - safetyMargin
	messageBudget     = maxMessage - safetyMargin
	titleBudget       = maxTitle
	// headingBudget bounds a group's heading line: a title in bold after a
	// blank line.
	headingBudget = titleBudget + len("\n****")
	// lineBudget bounds one story's line, so that a heading and the first
	// line of its group always fit in one embed together.
	lineBudget = descriptionBudget - headingBudget - 1
)

// Display limits of our own, so that one absurd feed cannot crowd a
// briefing: an outlet's name and a summary sentence are cut at a word
// boundary beyond them. (A link longer than browsers reliably accept is not
// linked: see markdown.MaxURLBytes.)
const (
	maxSourceRunes  = 80
	maxSummaryRunes = 400
)

// Colors of the embeds, as 0xRRGGBB: the header in Discord's blurple, the
// top stories red, the stories by region blue.
const (
	ColorHeader  = 0x5865F2
	ColorTop     = 0xED4245
	ColorRegions = 0x3498DB
)

// TopTitle heads the embed of the top stories.
const TopTitle = "Top stories"

// RegionsTitle heads the embeds of the other stories, grouped by region
// under bold headings: one embed for many small groups reads better on a
// phone than one embed each.
const RegionsTitle = "By region"

// contSuffix marks an embed that continues a group from the previous one.
const contSuffix = " (cont.)"

// timeLayout shows the period's bounds in the channel's zone.
const timeLayout = "Mon 2 Jan 15:04"

// Message is one Discord message of a briefing.
type Message struct {
	Embeds []Embed
}

// Embed is a neutral Discord embed; the bot converts it to discordgo's.
type Embed struct {
	Title, Description string
	// Color is 0xRRGGBB.
	Color int
}

// Render splits the briefing into messages within Discord's limits: a
// header embed with the title and the period, the top stories, then the
// groups, each under a bold heading, in embeds titled RegionsTitle. A line
// is never split across embeds, nor a heading left at the foot of one; the
// embeds after the first of a section are titled "<title> (cont.)". An
// empty briefing is one message saying so in one line.
func Render(b Briefing, opt Options) []Message {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	title := truncate(b.Title, titleBudget)
	if b.Empty() {
		return []Message{{Embeds: []Embed{{
			Title:       title,
			Description: truncate(emptyLine(b, opt, loc), descriptionBudget),
			Color:       ColorHeader,
		}}}}
	}
	var p packer
	p.section(title, ColorHeader, []block{{text: truncate(headerLine(b, loc), descriptionBudget)}})
	if len(b.Top) > 0 {
		blocks := make([]block, len(b.Top))
		for i, e := range b.Top {
			blocks[i] = block{text: topBlock(e, opt.Places)}
		}
		p.section(TopTitle, ColorTop, blocks)
	}
	if len(b.Groups) > 0 {
		p.section(RegionsTitle, ColorRegions, groupBlocks(b.Groups))
	}
	return p.finish()
}

// groupBlocks are the groups' headings and lines; a blank line separates
// one group from the next.
func groupBlocks(groups []Group) []block {
	var blocks []block
	for i, g := range groups {
		blocks = append(blocks, block{text: headingLine(g, i == 0), heading: true})
		for _, e := range g.Entries {
			blocks = append(blocks, block{text: entryLine(e)})
		}
	}
	return blocks
}

// headerLine is "N stories from M outlets, <from> – <to> (<zone>)".
func headerLine(b Briefing, loc *time.Location) string {
	var sb strings.Builder
	sb.WriteString(plural(b.Stories, "story", "stories"))
	if b.Outlets > 0 {
		sb.WriteString(" from ")
		sb.WriteString(plural(b.Outlets, "outlet", "outlets"))
	}
	if !b.From.IsZero() || !b.To.IsZero() {
		sb.WriteString(", ")
		if !b.From.IsZero() {
			sb.WriteString(b.From.In(loc).Format(timeLayout))
		}
		sb.WriteString(" – ")
		if !b.To.IsZero() {
			sb.WriteString(b.To.In(loc).Format(timeLayout))
		}
		sb.WriteString(" (" + loc.String() + ")")
	}
	return sb.String()
}

// emptyLine says that nothing happened, naming what the channel watches.
func emptyLine(b Briefing, opt Options, loc *time.Location) string {
	about := "this channel"
	if len(opt.Regions) > 0 {
		names := make([]string, 0, len(opt.Regions))
		for _, r := range opt.Regions {
			n := r
			if opt.Places != nil {
				if pn := opt.Places.Name(r); pn != "" {
					n = pn
				}
			}
			names = append(names, markdown.Text(n))
		}
		about = strings.Join(names, ", ")
	}
	if b.From.IsZero() {
		return "No new stories for " + about + "."
	}
	return fmt.Sprintf("No new stories for %s since %s (%s).", about, b.From.In(loc).Format(timeLayout), loc)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func groupHeading(g Group) string {
	name := g.Name
	if name == "" {
		name = g.Code
	}
	if name == "" {
		name = ElsewhereName
	}
	name = strings.Join(strings.Fields(name), " ")
	if g.Flag != "" {
		name = g.Flag + " " + name
	}
	// The name comes from a region's code when Places does not know it, so
	// it may be any length.
	return truncate(name, titleBudget)
}

// topBlock is a top story: its line, the countries it is about, and,
// quoted under them, its summary.
func topBlock(e Entry, places Places) string {
	line := entryLine(e)
	if p := placesText(e, places); p != "" && length(line)+1+length(p) <= descriptionBudget {
		line += "\n" + p
	}
	s := oneLine(e.Summary)
	if s == "" {
		return line
	}
	quote := "> " + markdown.Text(cutWords(s, maxSummaryRunes))
	if length(line)+1+length(quote) > descriptionBudget {
		return line
	}
	return line + "\n" + quote
}

// maxPlacesRunes bounds a top story's places line: a story naming thirty
// countries is about none of them in particular past the first few.
const maxPlacesRunes = 200

// placesText is "🇲🇱 Mali · 🇳🇪 Niger · also mentions Russia": the countries
// the event is about, most salient first, then those it only names.
func placesText(e Entry, places Places) string {
	if places == nil || len(e.Countries)+len(e.Mentions) == 0 {
		return ""
	}
	name := func(c string) string {
		if n := places.Name(c); n != "" {
			return n
		}
		return c
	}
	focus := make([]string, 0, len(e.Countries))
	for _, c := range e.Countries {
		focus = append(focus, strings.TrimSpace(places.Flag(c)+" "+name(c)))
	}
	others := make([]string, 0, len(e.Mentions))
	for _, c := range e.Mentions {
		others = append(others, name(c))
	}
	text := strings.Join(focus, " · ")
	if len(others) > 0 {
		if text != "" {
			text += " · "
		}
		text += "also mentions " + strings.Join(others, ", ")
	}
	return markdown.Text(cutWords(text, maxPlacesRunes))
}

// entryLine is one cluster's line:
// "[Headline](<url>) — Source (+N outlets) · <t:UNIX:R>". The time is
// relative ("9 hours ago"): a briefing spans two dates, and a bare time of
// day would not say which; Discord shows the exact time on hover. The dot
// keeps the time from reading as part of the outlet's name, as in alerts. Whatever a feed
// says is escaped so that it can neither format nor ping.
func entryLine(e Entry) string {
	var tail strings.Builder
	if src := oneLine(e.Source); src != "" {
		tail.WriteString(" — ")
		tail.WriteString(markdown.Text(cutWords(src, maxSourceRunes)))
	}
	if others := e.Outlets - 1; others >= 1 {
		tail.WriteString(" (+" + plural(others, "outlet", "outlets") + ")")
	}
	if !e.Published.IsZero() {
		tail.WriteString(" · <t:" + strconv.FormatInt(e.Published.Unix(), 10) + ":R>")
	}
	headline := oneLine(e.Headline)
	if headline == "" {
		headline = markdown.Untitled
	}
	line := markdown.Link(headline, e.URL) + tail.String()
	if length(line) <= lineBudget {
		return line
	}
	// Only an absurd headline gets here: cut it at a word boundary so that
	// the line fits, keeping the link and the tail whole.
	room := lineBudget - length(tail.String())
	// The line's length never shrinks as the cut grows, so the longest cut
	// that fits is found by bisection: growing it word by word, or rune by
	// rune, took time quadratic in the budget (0.4 s for one word of 10,000
	// letters).
	fits := func(s string) bool { return length(markdown.Link(s+"…", e.URL)) <= room }
	words := strings.Fields(headline)
	n := sort.Search(len(words), func(k int) bool { return !fits(strings.Join(words[:k+1], " ")) })
	kept := strings.Join(words[:n], " ")
	if kept == "" {
		// One enormous word: cut it by runes.
		runes := []rune(headline)
		n := sort.Search(len(runes), func(k int) bool { return !fits(string(runes[:k+1])) })
		kept = string(runes[:n])
	}
	return markdown.Link(kept+"…", e.URL) + tail.String()
}

// oneLine collapses all whitespace, line breaks included, to single spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// length counts s as Discord's limits do, at worst: in UTF-16 code units.
func length(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}

// cutWords shortens s to at most n runes, at a word boundary when there is
// one, ending with "…".
func cutWords(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndexFunc(string(r), unicode.IsSpace); i > 0 {
		return strings.TrimRightFunc(string(r)[:i], unicode.IsSpace) + "…"
	}
	return string(r) + "…"
}

// truncate shortens s to at most n units of length, at a word boundary
// when there is one, ending with "…".
func truncate(s string, n int) string {
	if length(s) <= n {
		return s
	}
	var sb strings.Builder
	used, lastSpace := 0, -1
	for _, r := range s {
		l := length(string(r))
		if used+l > n-1 {
			break
		}
		if unicode.IsSpace(r) {
			lastSpace = sb.Len()
		}
		sb.WriteRune(r)
		used += l
	}
	out := sb.String()
	if lastSpace > 0 {
		out = strings.TrimRightFunc(out[:lastSpace], unicode.IsSpace)
	}
	return out + "…"
}

// packer fills messages with embeds, embeds with blocks, in order.
type packer struct {
	msgs []Message
	cur  Message
	// used is the length of cur: its embeds' titles and descriptions.
	used int
	// lines are the blocks of the open embed, the last of cur.Embeds.
	lines []string
	// desc is the length of the open embed's description.
	desc int
}

// headingLine is a group's bold heading, after a blank line unless it is
// the first group. It is at most headingBudget long.
func headingLine(g Group, first bool) string {
	h := "**" + truncate(markdown.Text(groupHeading(g)), titleBudget) + "**"
	if !first {
		h = "\n" + h
	}
	return h
}

// block is a piece of an embed's description that is never split. A
// heading is kept with the block after it.
type block struct {
	text    string
	heading bool
}

// section adds embeds titled title holding blocks, in order, each whole and
// at most descriptionBudget long. Continuation embeds are titled
// "<title> (cont.)". A block that starts an embed loses its leading blank
// line.
func (p *packer) section(title string, color int, blocks []block) {
	open := false
	for i, b := range blocks {
		bl := length(b.text)
		// need is the room the block takes with what must stay with it.
		need := bl
		if b.heading && i+1 < len(blocks) {
			need += 1 + length(blocks[i+1].text)
		}
		if open && p.desc+1+need <= descriptionBudget && p.used+1+need <= messageBudget {
			p.lines = append(p.lines, b.text)
			p.desc += 1 + bl
			p.used += 1 + bl
			continue
		}
		text := strings.TrimLeft(b.text, "\n")
		bl, need = length(text), need-(bl-length(text))
		t := title
		if open {
			t = continued(title)
		}
		p.closeEmbed()
		tl := length(t)
		if len(p.cur.Embeds) == maxEmbeds || p.used+tl+need > messageBudget {
			p.flush()
		}
		p.cur.Embeds = append(p.cur.Embeds, Embed{Title: t, Color: color})
		p.lines = []string{text}
		p.desc = bl
		p.used += tl + bl
		open = true
	}
	p.closeEmbed()
}

func continued(title string) string {
	return truncate(title, titleBudget-length(contSuffix)) + contSuffix
}

// closeEmbed writes the open embed's description.
func (p *packer) closeEmbed() {
	if p.lines == nil {
		return
	}
	p.cur.Embeds[len(p.cur.Embeds)-1].Description = strings.Join(p.lines, "\n")
	p.lines, p.desc = nil, 0
}

// flush ends the current message, if it has anything.
func (p *packer) flush() {
	p.closeEmbed()
	if len(p.cur.Embeds) > 0 {
		p.msgs = append(p.msgs, p.cur)
	}
	p.cur, p.used = Message{}, 0
}

func (p *packer) finish() []Message {
	p.flush()
	return p.msgs
}
