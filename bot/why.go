package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/markdown"
	"github.com/vigilbot/vigil/alerts/match"
)

// whyStore is what /watch why reads: the story behind a link, among the
// feeds the server may see, and what the channel got for its event.
type whyStore interface {
	StoriesByURL(ctx context.Context, guildID, url string, from time.Time, limit int) ([]alerts.Story, error)
	ChannelAlert(ctx context.Context, channelID string, s alerts.Story) (alerts.ChannelAlert, bool, error)
}

// whyWindow is how far back /watch why looks for a link: a week covers
// "this story last Monday never arrived", and the bound keeps the search
// for a link, which is not indexed, to the stories in reach.
const whyWindow = 7 * 24 * time.Hour

// whyCopies is how many stored copies of one link (the same story from
// several feeds) /watch why explains.
const whyCopies = 3

// watchWhy explains, for each of this channel's subscriptions, why the
// story at a link did or did not reach the channel: the match decided by
// the same index delivery uses, then what delivery did with it.
func (b *Bot) watchWhy(ctx context.Context, r request) (string, error) {
	raw := strings.TrimSpace(r.str("link"))
	link := feed.CanonicalLink(strings.Trim(raw, "<>"))
	if link == "" {
		return "", userErrorf("%q is not a web link. Paste the story's link, starting with https://.", raw)
	}
	stories, err := b.cfg.Store.StoriesByURL(ctx, r.i.GuildID, link, b.cfg.Now().Add(-whyWindow), whyCopies)
	if err != nil {
		return "", err
	}
	if len(stories) == 0 {
		return fmt.Sprintf("Vigil has seen no story linking <%s> in this server's feeds in the last %v. "+
			"Check the link is the story's own (not a share or search link) and that its feed is in /feeds list.",
			markdown.URL(link), whyWindow), nil
	}
	subs, err := b.cfg.Store.Subscriptions(ctx, r.i.ChannelID)
	if err != nil {
		return "", err
	}
	if len(subs) == 0 {
		return "This channel watches nothing, so no story reaches it. Add a subscription with /watch add.", nil
	}
	ix, err := match.NewIndex(subs)
	if err != nil {
		// A stored query that no longer parses is left out, as delivery
		// leaves it out; say so rather than fail the whole answer.
		b.log.Warn("explain: subscriptions the index refused", "channel", r.i.ChannelID, "err", err)
	}
	var lines []string
	for _, s := range stories {
		lines = append(lines, b.explainStory(ctx, r.i.ChannelID, ix, subs, &s)...)
	}
	lines = append(lines, b.deliveryProblems(ctx, r.i.ChannelID)...)
	return strings.Join(lines, "\n"), nil
}

// explainStory renders one stored story against the channel's
// subscriptions.
func (b *Bot) explainStory(ctx context.Context, channelID string, ix *match.Index, subs []alerts.Subscription, s *alerts.Story) []string {
	lines := []string{storyLine(*s) + " · from " + markdown.Text(feedLabel(s.FeedURL))}
	name := func(code string) string { return strings.TrimSpace(b.cfg.Places.Name(code)) }
	anyMatch := false
	for _, sub := range subs {
		e, ok := ix.Explain(s, sub.ID)
		if !ok {
			lines = append(lines, fmt.Sprintf("**%d** · %s — ✗ its query no longer works; remove it and add it again", sub.ID, b.describe(sub)))
			continue
		}
		if e.Matched {
			anyMatch = true
			lines = append(lines, fmt.Sprintf("**%d** · %s — ✓ matches%s", sub.ID, b.describe(sub), foundTerms(e)))
			continue
		}
		lines = append(lines, fmt.Sprintf("**%d** · %s — ✗ %s", sub.ID, b.describe(sub), markdown.Text(strings.Join(e.Reasons(name), "; "))))
	}
	a, found, err := b.cfg.Store.ChannelAlert(ctx, channelID, *s)
	switch {
	case err != nil:
		b.log.Error("explain: read channel alert", "channel", channelID, "err", err)
	case found:
		lines = append(lines, b.alertLine(a, s))
	case anyMatch:
		// A match the outbox has no row for: the story was stored before
		// the subscription existed, or by the feed's first poll, which
		// alerts nothing.
		lines = append(lines, "Nothing was queued for this channel: the story arrived before the matching subscription was added, or on the feed's first poll, which only records what the feed holds.")
	}
	return lines
}

// alertLine says what delivery did with the channel's alert for the
// story's event.
func (b *Bot) alertLine(a alerts.ChannelAlert, s *alerts.Story) string {
	other := ""
	if a.FeedURL != s.FeedURL || a.StoryID != s.ID {
		other = " (for another report of the same event; a channel gets one alert an event)"
	}
	switch {
	case a.Folded:
		return "⏳ This channel was past its pace of alerts an hour, so the story went into a digest message instead of an alert of its own" + other + "."
	case a.State == "sent":
		return fmt.Sprintf("📨 Alerted here <t:%d:R>%s.", a.Sent.Unix(), other)
	case a.State == "pending":
		return "⏳ The alert is queued and not posted yet" + other + "; a hold on the channel, if any, is below."
	default:
		return "✗ The alert was dropped" + other + ": " + markdown.Text(a.LastError)
	}
}

// foundTerms lists the terms an explained match found, for the reply.
func foundTerms(e match.Explanation) string {
	var terms []string
	for _, c := range e.Clauses {
		if !c.Exclude {
			terms = append(terms, c.Found...)
		}
	}
	if len(terms) == 0 {
		return ""
	}
	return " (" + markdown.Text(strings.Join(terms, ", ")) + ")"
}

// feedLabel is a feed's host, enough to tell copies apart without
// showing a private feed's token.
func feedLabel(u string) string {
	rest := u
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}
