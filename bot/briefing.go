package bot

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/brief"
	"github.com/vigilbot/vigil/alerts/match"
)

// briefingStore is what briefings read and change in storage.
type briefingStore interface {
	SetBriefing(ctx context.Context, b alerts.BriefingSetting, createdBy string) error
	RemoveBriefing(ctx context.Context, channelID string) error
	Briefing(ctx context.Context, channelID string) (alerts.BriefingSetting, error)
	Briefings(ctx context.Context) ([]alerts.BriefingSetting, error)
	MarkBriefing(ctx context.Context, channelID, period string, sentAt time.Time) (bool, error)
	ChannelStories(ctx context.Context, guildID, channelID string, from, to time.Time, limit int) ([]alerts.Story, error)
	GuildStories(ctx context.Context, guildID string, from, to time.Time, offset, limit int) ([]alerts.Story, error)
	SaveBriefingParts(ctx context.Context, parts []alerts.BriefingPart) ([]alerts.BriefingPart, error)
	BriefingParts(ctx context.Context, channelID, period string) ([]alerts.BriefingPart, error)
	MarkBriefingPartAttempted(ctx context.Context, channelID, period string, part int, at time.Time) error
	MarkBriefingPartSent(ctx context.Context, channelID, period string, part int, messageID string, at time.Time) error
	PruneBriefingParts(ctx context.Context, channelID, period string) error
}

// Briefing tuning.
const (
	// defaultBriefingSpan is what the first briefing of a channel covers.
	defaultBriefingSpan = 24 * time.Hour
	// maxBriefingSpan bounds how far back a briefing reaches when the last
	// one was long ago (Vigil was down for days): a week is still a digest,
	// a month is not.
	maxBriefingSpan = 7 * 24 * time.Hour
	// maxBriefingStories bounds the stories read for one briefing; a busy
	// week of a broad channel is a few thousand.
	maxBriefingStories = 10_000
	// briefingSendAttempts is how often one message of a briefing is tried
	// before the briefing is left for the next check (every few minutes,
	// within the grace period). The derived nonce makes a retry that
	// Discord already accepted return the first message, not post twice.
	briefingSendAttempts = 3
	briefingRetryWait    = 2 * time.Second
	// briefingStopTimeout bounds the wait for a briefing being sent at
	// shutdown.
	briefingStopTimeout = 30 * time.Second
)

// Briefing outcomes passed to Config.OnBriefing.
const (
	BriefingSent    = "sent"
	BriefingSkipped = "skipped"
	BriefingFailed  = "failed"
)

// zoneList is every IANA zone under a continent or ocean, plus UTC, for
// timezone autocomplete; time/tzdata, linked by alerts/brief, loads them on
// any host, but offers no list.
//
//go:embed zones.txt
var zoneList string

var zones = strings.Fields(zoneList)

// briefings is the bot's briefing scheduler, once RunBriefings started it.
type briefings struct {
	// checking holds a *sync.Mutex per channel: its cron entry and the
	// periodic catch-up can fire together, and a briefing must go out
	// once; other channels' briefings need not wait for it.
	checking sync.Map

	mu    sync.Mutex
	sched *brief.Scheduler
}

// RunBriefings sends each channel's daily briefing at its local time until
// ctx ends. A briefing missed while Vigil was down is sent at start if it is
// less than Config.BriefingGrace late, and skipped (and logged) otherwise.
func (b *Bot) RunBriefings(ctx context.Context) {
	grace := b.cfg.BriefingGrace
	s := brief.NewScheduler(func(ctx context.Context, channelID string) {
		b.checkBriefing(ctx, channelID, grace)
	}, b.log)
	b.brief.mu.Lock()
	b.brief.sched = s
	b.brief.mu.Unlock()
	b.syncBriefings(ctx)
	s.Start(ctx)
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), briefingStopTimeout)
	defer cancel()
	if err := s.Stop(stop); err != nil {
		b.log.Warn("briefings did not stop in time", "err", err)
	}
	b.brief.mu.Lock()
	b.brief.sched = nil
	b.brief.mu.Unlock()
}

// syncBriefings reschedules after a briefing was set or turned off.
func (b *Bot) syncBriefings(ctx context.Context) {
	b.brief.mu.Lock()
	s := b.brief.sched
	b.brief.mu.Unlock()
	if s == nil {
		return
	}
	settings, err := b.cfg.Store.Briefings(ctx)
	if err != nil {
		b.log.Error("read briefing settings", "err", err)
		return
	}
	s.Sync(settings)
}

// checkBriefing sends a channel's briefing if one is due.
func (b *Bot) checkBriefing(ctx context.Context, channelID string, grace time.Duration) {
	mu, _ := b.brief.checking.LoadOrStore(channelID, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	// Across processes the lease does what the mutex does within one; a
	// briefing's parts are stored and sent one by one, each renewing it.
	lease := "briefing:" + channelID
	unlease, ok := b.claim(ctx, lease)
	if !ok {
		return
	}
	defer unlease()
	set, err := b.cfg.Store.Briefing(ctx, channelID)
	if errors.Is(err, alerts.ErrNotFound) {
		return
	}
	if err != nil {
		b.log.Error("read briefing setting", "channel", channelID, "err", err)
		return
	}
	now := b.cfg.Now()
	d, err := brief.Decide(set, now, grace)
	if err != nil {
		b.log.Error("briefing cannot be scheduled", "channel", channelID, "err", err)
		return
	}
	log := b.log.With("channel", channelID, "period", d.Period, "due", d.Scheduled)
	switch d.Action {
	case brief.Wait:
		return
	case brief.Skip:
		if begun, err := b.cfg.Store.BriefingParts(ctx, channelID, d.Period); err == nil && len(begun) > 0 && begun[0].MessageID != "" {
			// Half a briefing is in the channel already: finish it, late
			// as it is, rather than leave it cut off.
			break
		}
		if _, err := b.cfg.Store.MarkBriefing(ctx, channelID, d.Period, time.Time{}); err != nil {
			log.Error("record skipped briefing", "err", err)
			return
		}
		log.Warn("briefing skipped: it was missed by more than the grace period, so it is not sent late",
			"late", now.Sub(d.Scheduled).Round(time.Minute), "grace", grace)
		b.cfg.OnBriefing(BriefingSkipped)
		return
	}
	parts, err := b.briefingParts(ctx, set, d, now)
	if err != nil {
		log.Error("compose briefing; will try again", "err", err)
		b.cfg.OnBriefing(BriefingFailed)
		return
	}
	// A send that has started finishes even at shutdown, so that the period
	// is recorded once Discord has the briefing.
	rec := context.WithoutCancel(ctx)
	for _, p := range parts {
		if p.MessageID != "" {
			continue
		}
		if !b.mayDeliver() {
			log.Info("briefing waits: Vigil is not sending to Discord now", "part", p.Part+1, "of", p.Parts)
			return
		}
		if _, ok := b.claim(ctx, lease); !ok {
			return
		}
		if err := b.sendStoredPart(ctx, p); err != nil {
			if permanent(err) {
				if _, err := b.cfg.Store.MarkBriefing(rec, channelID, d.Period, time.Time{}); err != nil {
					log.Error("record skipped briefing", "err", err)
				}
				// What the briefing covered is still in the next one: its
				// period starts at the last briefing sent.
				log.Error("briefing skipped: Discord refused it; if the bot may not post in the channel, it needs "+neededPermissions,
					"reason", discordReason(err))
			} else {
				log.Warn("briefing not sent; will try again", "part", p.Part+1, "of", p.Parts, "err", err)
			}
			b.cfg.OnBriefing(BriefingFailed)
			return
		}
	}
	if _, err := b.cfg.Store.MarkBriefing(rec, channelID, d.Period, now); err != nil {
		log.Error("record sent briefing", "err", err)
		return
	}
	if err := b.cfg.Store.PruneBriefingParts(rec, channelID, d.Period); err != nil {
		log.Warn("forget old briefings", "err", err)
	}
	log.Info("briefing sent", "messages", len(parts))
	b.cfg.OnBriefing(BriefingSent)
}

// briefingParts returns the period's briefing as stored, composing and
// storing it first if it was not yet: a briefing interrupted after some of
// its parts went out is finished as it was composed, never composed again
// with newer stories.
func (b *Bot) briefingParts(ctx context.Context, set alerts.BriefingSetting, d brief.Decision, now time.Time) ([]alerts.BriefingPart, error) {
	parts, err := b.cfg.Store.BriefingParts(ctx, set.ChannelID, d.Period)
	if err != nil || len(parts) > 0 {
		return parts, err
	}
	msgs, err := b.composeBriefing(ctx, set, briefingStart(set, now), now, BriefingTitle(set, d.Scheduled))
	if err != nil {
		return nil, err
	}
	for i, m := range msgs {
		nonce := briefingNonce(set.ChannelID, d.Period, i)
		body, err := json.Marshal(briefingMessage(m, nonce, i, len(msgs)))
		if err != nil {
			return nil, fmt.Errorf("encode briefing part %d: %w", i+1, err)
		}
		parts = append(parts, alerts.BriefingPart{ChannelID: set.ChannelID, Period: d.Period, Part: i, Parts: len(msgs), Body: body, Nonce: nonce})
	}
	return b.cfg.Store.SaveBriefingParts(ctx, parts)
}

// briefingMessage is one part of a briefing as posted. Its footer names the
// part and carries the reference that finds it in the channel if the answer
// to its send was lost.
func briefingMessage(m brief.Message, nonce string, part, parts int) messageCreate {
	embeds := discordEmbeds(m)
	if len(embeds) > 0 {
		text := briefingMarker(nonce)
		if parts > 1 {
			text = fmt.Sprintf("Part %d of %d · %s", part+1, parts, text)
		}
		embeds[len(embeds)-1].Footer = &discordgo.MessageEmbedFooter{Text: text}
	}
	return messageCreate{
		Embeds:          embeds,
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		Nonce:           nonce,
		EnforceNonce:    nonce != "",
	}
}

func briefingMarker(nonce string) string { return "ref " + nonce[:min(len(nonce), 11)] }

// sendStoredPart sends one stored part of a briefing and records it; a part
// whose earlier send went unanswered longer than Discord remembers nonces
// is first looked for in the channel.
func (b *Bot) sendStoredPart(ctx context.Context, p alerts.BriefingPart) error {
	rec := context.WithoutCancel(ctx)
	var body messageCreate
	if err := json.Unmarshal(p.Body, &body); err != nil {
		return fmt.Errorf("decode stored briefing part %d: %w", p.Part+1, err)
	}
	if !p.AttemptedAt.IsZero() && b.cfg.Now().Sub(p.AttemptedAt) >= nonceTrust {
		id, found, err := b.findSent(ctx, p.ChannelID, briefingMarker(p.Nonce), p.AttemptedAt)
		if err != nil {
			return err
		}
		if found {
			return b.cfg.Store.MarkBriefingPartSent(rec, p.ChannelID, p.Period, p.Part, id, b.cfg.Now())
		}
	}
	if err := b.cfg.Store.MarkBriefingPartAttempted(rec, p.ChannelID, p.Period, p.Part, b.cfg.Now()); err != nil {
		return err
	}
	msg, err := b.sendBriefingPart(ctx, p.ChannelID, body)
	if err != nil {
		return err
	}
	return b.cfg.Store.MarkBriefingPartSent(rec, p.ChannelID, p.Period, p.Part, msg.ID, b.cfg.Now())
}

// briefingStart is where a briefing's period starts: at the last briefing,
// so that consecutive briefings neither overlap nor leave a gap, within
// maxBriefingSpan.
func briefingStart(set alerts.BriefingSetting, now time.Time) time.Time {
	if set.LastSentAt.IsZero() {
		return now.Add(-defaultBriefingSpan)
	}
	return maxTime(set.LastSentAt, now.Add(-maxBriefingSpan))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// BriefingTitle heads a channel's daily briefing: its local date.
func BriefingTitle(set alerts.BriefingSetting, day time.Time) string {
	return "Daily briefing · " + day.In(zoneOrUTC(set.Timezone)).Format("Monday 2 January 2006")
}

// sendBriefingPart posts one message of a briefing, retrying briefly on
// errors that may pass; the nonce makes a retry of a send Discord accepted
// return the first message.
func (b *Bot) sendBriefingPart(ctx context.Context, channelID string, body messageCreate) (*discordgo.Message, error) {
	var err error
	wait := briefingRetryWait
	for attempt := range briefingSendAttempts {
		if attempt > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, err
			}
			wait *= 2
		}
		if err := b.pacer.wait(ctx); err != nil {
			return nil, err
		}
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		var msg *discordgo.Message
		msg, err = b.post(sendCtx, channelID, body)
		cancel()
		if err == nil || permanent(err) {
			return msg, err
		}
		if f, retryAfter := classify(err); f == failToken {
			return nil, err
		} else if f == failRateLimited {
			wait = max(wait, retryAfter)
		}
	}
	return nil, err
}

// permanent reports a Discord answer that retrying cannot change: the
// channel is gone or the bot may not post there, or the message itself was
// refused.
func permanent(err error) bool {
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Response == nil {
		return false
	}
	switch rest.Response.StatusCode {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// briefingNonce is derived from the channel, period and part, so that a
// briefing resent after a crash or a lost answer is refused by Discord's
// enforce_nonce instead of posted twice. Discord: at most 25 characters.
func briefingNonce(channelID, period string, part int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "briefing\x00%s\x00%s\x00%d", channelID, period, part))
	return "b" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// previewNonce is the nonce of one part of a posted preview, derived from
// the interaction, which is unique.
func previewNonce(interactionID string, part int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "preview\x00%s\x00%d", interactionID, part))
	return "p" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// BriefingSource is what a briefing is composed from.
type BriefingSource interface {
	ChannelStories(ctx context.Context, guildID, channelID string, from, to time.Time, limit int) ([]alerts.Story, error)
	GuildStories(ctx context.Context, guildID string, from, to time.Time, offset, limit int) ([]alerts.Story, error)
	Subscriptions(ctx context.Context, channelID string) ([]alerts.Subscription, error)
}

func (b *Bot) composeBriefing(ctx context.Context, set alerts.BriefingSetting, from, to time.Time, title string) ([]brief.Message, error) {
	return ComposeBriefing(ctx, b.cfg.Store, b.cfg.Places, set, from, to, title)
}

// ComposeBriefing builds a channel's briefing for [from, to), as the
// messages the bot posts: the events the channel was alerted about and
// those the briefing's own regions and query select, each with all its
// reports, grouped by the briefing's regions or else the regions the
// channel watches.
func ComposeBriefing(ctx context.Context, src BriefingSource, places brief.Places, set alerts.BriefingSetting, from, to time.Time, title string) ([]brief.Message, error) {
	stories, err := src.ChannelStories(ctx, set.GuildID, set.ChannelID, from, to, maxBriefingStories)
	if err != nil {
		return nil, err
	}
	if set.Query != "" || len(set.Regions) > 0 {
		extra, err := selectStories(ctx, src, set, from, to)
		if err != nil {
			return nil, err
		}
		stories = append(stories, extra...)
	}
	regions := set.Regions
	if len(regions) == 0 {
		subs, err := src.Subscriptions(ctx, set.ChannelID)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			for _, r := range s.Regions {
				if !slices.Contains(regions, r) {
					regions = append(regions, r)
				}
			}
		}
	}
	opt := brief.Options{Title: title, From: from, To: to, Location: zoneOrUTC(set.Timezone), Regions: regions, Places: places}
	return brief.Render(brief.Compose(byEvent(stories), opt), opt), nil
}

// selectStories returns the stories first seen in [from, to) that the
// briefing's own regions and query select, with every report of their
// events seen in that time.
func selectStories(ctx context.Context, src BriefingSource, set alerts.BriefingSetting, from, to time.Time) ([]alerts.Story, error) {
	ix, err := match.NewIndex([]alerts.Subscription{{ID: 1, ChannelID: set.ChannelID, Query: set.Query, Regions: set.Regions}})
	if err != nil {
		return nil, fmt.Errorf("briefing query %q: %w", set.Query, err)
	}
	// Only the server's own feeds and the operator's: a briefing never
	// shows another server's feed.
	seen, err := src.GuildStories(ctx, set.GuildID, from, to, 0, maxBriefingStories)
	if err != nil {
		return nil, err
	}
	slices.Reverse(seen) // oldest first, as events are grouped in order
	events := map[string]bool{}
	for i := range seen {
		if len(ix.Match(&seen[i])) > 0 {
			events[seen[i].ClusterID] = true
		}
	}
	var out []alerts.Story
	for _, s := range seen {
		if events[s.ClusterID] {
			out = append(out, s)
		}
	}
	return out, nil
}

// byEvent groups stories by event, each report once, in the order events
// first appear.
func byEvent(stories []alerts.Story) [][]alerts.Story {
	index := map[string]int{}
	seen := map[string]bool{}
	var out [][]alerts.Story
	for _, s := range stories {
		key := s.FeedURL + "\x00" + s.ID
		if seen[key] {
			continue
		}
		seen[key] = true
		event := s.ClusterID
		if event == "" {
			event = key
		}
		i, ok := index[event]
		if !ok {
			i = len(out)
			index[event] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}

func discordEmbeds(m brief.Message) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, len(m.Embeds))
	for i, e := range m.Embeds {
		out[i] = &discordgo.MessageEmbed{Title: e.Title, Description: e.Description, Color: e.Color}
	}
	return fitEmbeds(out)
}

// nextBriefing is when a briefing next goes out.
func nextBriefing(set alerts.BriefingSetting, now time.Time, grace time.Duration) (time.Time, error) {
	d, err := brief.Decide(set, now, grace)
	if err != nil {
		return time.Time{}, err
	}
	if d.Action == brief.Send {
		return now, nil
	}
	hour, minute, _ := brief.ParseClock(set.At)
	loc, _ := brief.LoadZone(set.Timezone)
	local := now.In(loc)
	// Today's or tomorrow's time, unless already handled; the day after
	// covers a time that today's daylight-saving change skipped.
	for days := range 3 {
		t := time.Date(local.Year(), local.Month(), local.Day()+days, hour, minute, 0, 0, loc)
		if t.After(now) && t.Format(brief.PeriodLayout) > set.LastPeriod {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("no briefing is due in the next days (last period %s)", set.LastPeriod)
}

// canonicalZone finds the IANA zone a member meant: exact, or ignoring case
// and with spaces for underscores ("america/new york").
func canonicalZone(input string) (string, error) {
	name := strings.TrimSpace(input)
	if _, err := brief.LoadZone(name); err == nil && !strings.EqualFold(name, "local") {
		return name, nil
	}
	want := strings.ReplaceAll(name, " ", "_")
	for _, z := range zones {
		if strings.EqualFold(z, want) {
			return z, nil
		}
	}
	_, err := brief.LoadZone(name)
	return "", err
}

// zoneChoices offers zones containing what the member typed, matching a
// city with spaces or underscores, shortest names first.
func zoneChoices(typed string) []string {
	want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(typed), " ", "_"))
	var prefix, contains []string
	for _, z := range zones {
		lz := strings.ToLower(z)
		_, city, _ := strings.Cut(lz, "/")
		switch {
		case want == "":
			if strings.HasPrefix(z, "Europe/") || strings.HasPrefix(z, "America/") || z == "UTC" {
				prefix = append(prefix, z)
			}
		case strings.HasPrefix(lz, want) || strings.HasPrefix(city, want):
			prefix = append(prefix, z)
		case strings.Contains(lz, want):
			contains = append(contains, z)
		}
	}
	out := append(prefix, contains...)
	return out[:min(len(out), maxChoices)]
}

// Slash command handlers.

func (b *Bot) briefingSet(ctx context.Context, r request) (string, error) {
	at := r.str("time")
	hour, minute, err := brief.ParseClock(at)
	if err != nil {
		return "", userErrorf("%v", err)
	}
	zone, err := canonicalZone(r.str("timezone"))
	if err != nil {
		return "", userErrorf("%v", err)
	}
	q := r.str("query")
	if err := b.validateQuery(q); err != nil {
		return "", err
	}
	regions, err := b.parseRegions(r.str("regions"))
	if err != nil {
		return "", err
	}
	if err := b.checkChannelForPosting(ctx, r.i); err != nil {
		return "", err
	}
	set := alerts.BriefingSetting{
		GuildID: r.i.GuildID, ChannelID: r.i.ChannelID,
		At: fmt.Sprintf("%02d:%02d", hour, minute), Timezone: zone, Regions: regions, Query: q,
	}
	if err := b.cfg.Store.SetBriefing(ctx, set, r.userID); err != nil {
		return "", err
	}
	// A time already past today starts tomorrow rather than at once; what
	// happened since the last briefing is still in the next one.
	stored, err := b.cfg.Store.Briefing(ctx, set.ChannelID)
	if err != nil {
		return "", err
	}
	now := b.cfg.Now()
	if d, err := brief.Decide(stored, now, b.cfg.BriefingGrace); err == nil && d.Action != brief.Wait {
		if _, err := b.cfg.Store.MarkBriefing(ctx, set.ChannelID, d.Period, time.Time{}); err != nil {
			return "", err
		}
		stored.LastPeriod = d.Period
	}
	b.syncBriefings(ctx)
	next, err := nextBriefing(stored, now, b.cfg.BriefingGrace)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("This channel gets a daily briefing at %s %s, %s. The first is <t:%d:F> (<t:%d:R>). /briefing now previews it.",
		set.At, zone, b.briefingScope(set), next.Unix(), next.Unix()), nil
}

// briefingScope says what a briefing covers, for people.
func (b *Bot) briefingScope(set alerts.BriefingSetting) string {
	scope := "covering what this channel watches"
	if set.Query != "" || len(set.Regions) > 0 {
		scope += " and " + b.describe(alerts.Subscription{Query: set.Query, Regions: set.Regions})
	}
	return scope
}

func (b *Bot) briefingOff(ctx context.Context, r request) (string, error) {
	if err := b.cfg.Store.RemoveBriefing(ctx, r.i.ChannelID); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return "", userErrorf("This channel has no daily briefing. Set one with /briefing set.")
		}
		return "", err
	}
	b.syncBriefings(ctx)
	return "Daily briefing turned off. Alerts are not affected.", nil
}

func (b *Bot) briefingShow(ctx context.Context, r request) (string, error) {
	set, err := b.cfg.Store.Briefing(ctx, r.i.ChannelID)
	if errors.Is(err, alerts.ErrNotFound) {
		return "This channel has no daily briefing. Set one with /briefing set time:07:30 timezone:Europe/London.", nil
	}
	if err != nil {
		return "", err
	}
	lines := []string{fmt.Sprintf("Daily briefing at **%s %s**, %s.", set.At, set.Timezone, b.briefingScope(set))}
	if next, err := nextBriefing(set, b.cfg.Now(), b.cfg.BriefingGrace); err == nil {
		lines = append(lines, fmt.Sprintf("Next: <t:%d:F> (<t:%d:R>).", next.Unix(), next.Unix()))
	} else {
		lines = append(lines, fmt.Sprintf("⚠️ It cannot be scheduled: %v. Set it again with /briefing set.", err))
	}
	if !set.LastSentAt.IsZero() {
		lines = append(lines, fmt.Sprintf("Last sent <t:%d:R>.", set.LastSentAt.Unix()))
	}
	return strings.Join(lines, "\n"), nil
}

// briefingNow previews the briefing as it stands: what the next one would
// hold if it went out now. It is shown to the member alone unless post is
// set. It does not count as the day's briefing. answered says whether the
// interaction was answered, whatever err is.
func (b *Bot) briefingNow(ctx context.Context, r request) (answered bool, err error) {
	set, err := b.cfg.Store.Briefing(ctx, r.i.ChannelID)
	if errors.Is(err, alerts.ErrNotFound) {
		// No briefing set: preview one over the channel's alerts, in UTC.
		set = alerts.BriefingSetting{GuildID: r.i.GuildID, ChannelID: r.i.ChannelID, Timezone: "UTC"}
	} else if err != nil {
		return false, err
	}
	now := b.cfg.Now()
	msgs, err := b.composeBriefing(ctx, set, briefingStart(set, now), now, "Briefing preview · "+now.In(zoneOrUTC(set.Timezone)).Format("Mon 2 Jan 15:04"))
	if err != nil {
		return false, err
	}
	post := false
	if o, ok := r.opts["post"]; ok {
		post = o.BoolValue()
	}
	if !post {
		return true, b.replyEmbeds(r.i, msgs)
	}
	// Posting can take longer than Discord's three seconds to answer.
	err = b.session.InteractionRespond(r.i.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
	if err != nil {
		return true, fmt.Errorf("defer reply: %w", err)
	}
	postCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(len(msgs))*sendTimeout)
	defer cancel()
	text := fmt.Sprintf("Posted the briefing preview (%d message%s).", len(msgs), map[bool]string{true: "s"}[len(msgs) > 1])
	for i, m := range msgs {
		// Previews carry a nonce too: a retry of a send Discord accepted
		// must not post the part twice.
		body := briefingMessage(m, previewNonce(r.i.ID, i), i, len(msgs))
		if _, err := b.sendBriefingPart(postCtx, r.i.ChannelID, body); err != nil {
			b.log.Warn("post briefing preview", "channel", r.i.ChannelID, "err", err)
			text = fmt.Sprintf("Vigil could not post the briefing here after %d of %d messages: %v. The bot needs %s in this channel.", i, len(msgs), discordReason(err), neededPermissions)
			break
		}
	}
	_, err = b.session.InteractionResponseEdit(r.i.Interaction, &discordgo.WebhookEdit{Content: &text}, discordgo.WithContext(postCtx))
	if err != nil {
		return true, fmt.Errorf("answer /briefing now: %w", err)
	}
	return true, nil
}

func zoneOrUTC(name string) *time.Location {
	if loc, err := brief.LoadZone(name); err == nil {
		return loc
	}
	return time.UTC
}

// discordReason is Discord's own words for a refusal, else the error.
func discordReason(err error) string {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Message != nil && rest.Message.Message != "" {
		return rest.Message.Message
	}
	return err.Error()
}

// replyEmbeds answers an interaction with a briefing shown only to the
// member: the first message as the reply, the others as follow-ups.
func (b *Bot) replyEmbeds(i *discordgo.InteractionCreate, msgs []brief.Message) error {
	none := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	err := b.session.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: discordEmbeds(msgs[0]), Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: none},
	})
	if err != nil {
		return fmt.Errorf("reply with briefing: %w", err)
	}
	for _, m := range msgs[1:] {
		_, err := b.session.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{
			Embeds: discordEmbeds(m), Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: none,
		})
		if err != nil {
			return fmt.Errorf("send rest of briefing: %w", err)
		}
	}
	return nil
}
