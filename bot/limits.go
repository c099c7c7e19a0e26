package bot

import (
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's limits on a message (resources/message "Create Message" and
// "Embed Limits"), besides those in render.go. Every message the bot posts
// or edits passes through fitMessage, so no alert can be one Discord
// refuses for its size.
const (
	maxEmbeds     = 10
	maxFields     = 25
	maxFieldName  = 256
	maxAuthorName = 256
	// maxEmbedTotal bounds the characters of all titles, descriptions,
	// field names and values, footers and author names of all the embeds
	// of one message together.
	maxEmbedTotal = 6000
)

// fitMessage cuts a message to Discord's limits, keeping what matters: the
// titles, links and fields, and as much of the descriptions as fits.
func fitMessage(m *messageCreate) {
	m.Content = truncate(m.Content, maxContent)
	m.Embeds = fitEmbeds(m.Embeds)
}

func fitEmbeds(embeds []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	embeds = embeds[:min(len(embeds), maxEmbeds)]
	total := 0
	for _, e := range embeds {
		e.Title = truncate(e.Title, maxEmbedTitle)
		e.Description = truncate(e.Description, maxEmbedDescription)
		e.Fields = e.Fields[:min(len(e.Fields), maxFields)]
		for _, f := range e.Fields {
			f.Name = truncate(f.Name, maxFieldName)
			f.Value = truncate(f.Value, maxFieldValue)
		}
		if e.Footer != nil {
			e.Footer.Text = truncate(e.Footer.Text, maxFooterText)
		}
		if e.Author != nil {
			e.Author.Name = truncate(e.Author.Name, maxAuthorName)
		}
		total += embedSize(e)
	}
	// Over the total, descriptions give way, longest first: they are the
	// part a reader can do without, since the link leads to the story.
	for total > maxEmbedTotal {
		longest := embeds[0]
		for _, e := range embeds[1:] {
			if utf8.RuneCountInString(e.Description) > utf8.RuneCountInString(longest.Description) {
				longest = e
			}
		}
		n := utf8.RuneCountInString(longest.Description)
		if n == 0 {
			// Only titles, fields and footers are left; they are each in
			// their limits, and no message Vigil renders gets here.
			break
		}
		keep := max(n-(total-maxEmbedTotal), 0)
		if keep < 2 {
			longest.Description = ""
		} else {
			longest.Description = truncate(longest.Description, keep)
		}
		total += utf8.RuneCountInString(longest.Description) - n
	}
	return embeds
}

// embedSize is an embed's characters as Discord counts them for the total.
func embedSize(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}
