package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/markdown"
)

// Discord's embed limits.
const (
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxFieldValue       = 1024
	maxFooterText       = 2048
	// A message's content holds at most 2000 characters.
	maxContent = 2000
)

// Embed colours: by region family, so a busy channel can be scanned by eye.
var regionColours = []struct {
	regions []string
	colour  int
}{
	{[]string{"eastern-europe", "baltic-states", "nato-eastern-flank", "black-sea", "caucasus", "nordics", "arctic"}, 0x3B82F6},
	{[]string{"middle-east", "gulf", "levant", "red-sea"}, 0xF59E0B},
	{[]string{"africa", "sahel", "horn-of-africa", "maghreb"}, 0x10B981},
	{[]string{"asia", "indo-pacific", "south-china-sea", "taiwan-strait", "korean-peninsula"}, 0xEF4444},
	{[]string{"americas", "latin-america"}, 0x8B5CF6},
}

const defaultColour = 0x64748B

func colourFor(regions []string) int {
	for _, rc := range regionColours {
		for _, want := range rc.regions {
			for _, r := range regions {
				if r == want {
					return rc.colour
				}
			}
		}
	}
	return defaultColour
}

// alertMessage renders a delivery as the message Vigil posts.
func (b *Bot) alertMessage(d alerts.Delivery) messageCreate {
	s := d.Story
	embed := &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       truncate(markdown.Text(s.Title), maxEmbedTitle),
		URL:         markdown.URL(s.URL),
		Description: truncate(markdown.Text(orText(s.Summary, s.Text)), maxEmbedDescription),
		Color:       colourFor(s.Regions),
		Footer:      &discordgo.MessageEmbedFooter{Text: alertFooter(s.Source, alertMarker(d))},
	}
	if !s.Published.IsZero() {
		embed.Timestamp = s.Published.UTC().Format(time.RFC3339)
	}
	if places := b.placesLine(s); places != "" {
		embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: "Where", Value: truncate(places, maxFieldValue), Inline: false})
	}
	if len(d.AlsoReportedBy) > 0 {
		embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: "Also reported by", Value: truncate(markdown.Text(strings.Join(d.AlsoReportedBy, ", ")), maxFieldValue), Inline: true})
	}
	if len(d.Terms) > 0 {
		embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{Name: "Matched", Value: truncate(markdown.Text(strings.Join(d.Terms, ", ")), maxFieldValue), Inline: true})
	}
	msg := messageCreate{
		Embeds: []*discordgo.MessageEmbed{embed},
		// Nothing in a feed may ping anyone: parse nothing, and allow only
		// the role the subscription asked for.
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		Nonce:           d.Nonce,
		EnforceNonce:    true,
	}
	if d.MentionRoleID != "" {
		msg.Content = "<@&" + d.MentionRoleID + ">"
		msg.AllowedMentions.Roles = []string{d.MentionRoleID}
	}
	return msg
}

// digestSample is how many of a digest's stories it names.
const digestSample = 5

// digestMessage is the one message that stands for n alerts folded because
// the channel was past its hourly pace or a feed burst: the newest few by
// title, and the count, never a backlog of posts.
func (b *Bot) digestMessage(d alerts.Delivery, n int, sample []alerts.Story) messageCreate {
	lines := make([]string, 0, len(sample)+1)
	for _, s := range sample {
		lines = append(lines, storyLine(s))
	}
	if rest := n - len(sample); rest > 0 {
		lines = append(lines, fmt.Sprintf("…and %d more. `/recent` searches them.", rest))
	}
	title := "1 more story matched"
	if n != 1 {
		title = fmt.Sprintf("%d more stories matched", n)
	}
	embed := &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       title,
		Description: truncateLines(lines, maxEmbedDescription),
		Color:       defaultColour,
		Footer:      &discordgo.MessageEmbedFooter{Text: "Folded to keep this channel readable: past its hourly pace, or a feed that suddenly served far more than usual · " + alertMarker(d)},
	}
	return messageCreate{
		Embeds:          []*discordgo.MessageEmbed{embed},
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		Nonce:           d.Nonce,
		EnforceNonce:    true,
	}
}

// truncateLines joins whole lines while they fit in n characters, so no
// link is cut in half.
func truncateLines(lines []string, n int) string {
	var out []string
	size := 0
	for _, l := range lines {
		k := utf8.RuneCountInString(l) + 1
		if size+k > n {
			break
		}
		out = append(out, l)
		size += k
	}
	return strings.Join(out, "\n")
}

// alertFooter is the outlet and the alert's reference, which is what finds
// the alert in the channel if Discord's answer to its send was lost.
func alertFooter(source, marker string) string {
	if source == "" {
		return marker
	}
	return truncate(markdown.Text(source), maxFooterText-len(marker)-3) + " · " + marker
}

// placesLine lists the places a story is about, most salient first:
// countries with flags, then the regions worth naming; then, on a line of
// its own, the other countries it only mentions.
func (b *Bot) placesLine(s alerts.Story) string {
	if b.cfg.Places == nil {
		return ""
	}
	var focus, others []string
	for _, c := range s.Countries {
		focus = append(focus, strings.TrimSpace(b.cfg.Places.Flag(c)+" "+b.cfg.Places.Name(c)))
	}
	for _, r := range b.cfg.Places.Notable(s.Regions) {
		focus = append(focus, b.cfg.Places.Name(r))
	}
	for _, c := range s.Mentions {
		if !slices.Contains(s.Countries, c) {
			others = append(others, b.cfg.Places.Name(c))
		}
	}
	line := markdown.Text(strings.Join(focus, " · "))
	if len(others) > 0 {
		if line != "" {
			line += "\n"
		}
		line += "also mentions " + markdown.Text(strings.Join(others, ", "))
	}
	return line
}

// messageCreate is the body of POST /channels/{id}/messages. discordgo's
// MessageSend has no nonce, and the nonce is what makes a retry safe.
type messageCreate struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce,omitempty"`
	EnforceNonce    bool                              `json:"enforce_nonce,omitempty"`
}

// escapeMarkdown is markdown.Text, by the name the command replies call it.
func escapeMarkdown(s string) string { return markdown.Text(s) }

// truncate cuts s to at most n characters at a word boundary, with an
// ellipsis, never splitting an escape sequence.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)[:n-1]
	cut := len(runes)
	for i := len(runes) - 1; i > n/2; i-- {
		if runes[i] == ' ' {
			cut = i
			break
		}
	}
	for cut > 0 && runes[cut-1] == '\\' {
		cut--
	}
	return strings.TrimRight(string(runes[:cut]), " ") + "…"
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// maxStoryTitle bounds a title in a list reply, so that one story cannot
// crowd out the others.
const maxStoryTitle = 200

// storyLine is one story as a line in a list reply.
func storyLine(s alerts.Story) string {
	title := markdown.Link(truncate(s.Title, maxStoryTitle), s.URL)
	when := ""
	if !s.Published.IsZero() {
		when = fmt.Sprintf(" · <t:%d:R>", s.Published.Unix())
	}
	return fmt.Sprintf("• %s — %s%s", title, markdown.Text(s.Source), when)
}
