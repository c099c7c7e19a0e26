package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/markdown"
	"github.com/vigilbot/vigil/alerts/match"
)

const (
	// Discord: at most 25 autocomplete choices, names and values ≤ 100.
	maxChoices    = 25
	maxChoiceName = 100
	// recentWindow is how far back /watch test and /recent look.
	recentWindow = 48 * time.Hour
	recentLimit  = 10
	// recentScan bounds the stories read for /watch test and /recent, the
	// newest first: enough for two busy days of a server's feeds, and
	// read in well under a second at any database size.
	recentScan = 2_000
	// handlerTimeout bounds one command's storage work: Discord wants an
	// answer within 3 seconds.
	handlerTimeout = 2500 * time.Millisecond
)

// commands is the command table, registered in one bulk overwrite.
func commands() []*discordgo.ApplicationCommand {
	// Discord hides the commands from members without it; the handler
	// checks again, because a server's admins can grant a command to
	// other roles under Integrations.
	manage := int64(setupPermission)
	noDM := false
	str := func(name, desc string, required, auto bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required, Autocomplete: auto}
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	return []*discordgo.ApplicationCommand{
		{
			Name: "watch", Description: "Choose what news this channel is alerted about",
			DefaultMemberPermissions: &manage, DMPermission: &noDM,
			Options: []*discordgo.ApplicationCommandOption{
				sub("add", "Alert this channel about stories matching a query and/or regions",
					str("query", `Words to look for: NATO drone, "Baltic Sea" cable, Wagner OR "Africa Corps", NOT exercise`, false, false),
					str("region", "Countries or regions, comma-separated: baltic-states, PL, Sahel", false, true),
					str("feed", "Only stories from this feed", false, true),
					&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionRole, Name: "mention", Description: "A role to mention with each alert"},
					scopeOption()),
				sub("remove", "Stop one of this channel's subscriptions",
					&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionInteger, Name: "id", Description: "The subscription (see /watch list)", Required: true, Autocomplete: true}),
				sub("list", "Show what this channel watches"),
				sub("test", "Show which recent stories a query would have matched",
					str("query", "The query to try", true, false),
					str("region", "Countries or regions, comma-separated", false, true),
					scopeOption()),
				sub("resume", "Resume this channel's subscriptions after fixing the bot's permissions"),
				sub("why", "Explain why a story did or did not reach this channel",
					str("link", "The story's link (https://…)", true, false)),
			},
		},
		{
			Name: "feeds", Description: "Manage the news feeds Vigil polls for this server",
			DefaultMemberPermissions: &manage, DMPermission: &noDM,
			Options: []*discordgo.ApplicationCommandOption{
				sub("add", "Poll a new RSS, Atom or JSON feed", str("url", "The feed's address (https://…)", true, false)),
				sub("remove", "Stop polling a feed this server added", str("url", "The feed", true, true)),
				sub("list", "Show the feeds and their health"),
			},
		},
		{
			Name: "briefing", Description: "A daily digest of this channel's news at a local time you choose",
			DefaultMemberPermissions: &manage, DMPermission: &noDM,
			Options: []*discordgo.ApplicationCommandOption{
				sub("set", "Send this channel a daily briefing",
					str("time", "Local time of day, HH:MM on a 24-hour clock: 07:30", true, false),
					str("timezone", "Timezone by IANA name: Europe/London, America/New_York", true, true),
					str("regions", "Also stories about these countries or regions, comma-separated: baltic-states, PL", false, true),
					str("query", `Also stories matching these words: NATO drone, "Baltic Sea" cable`, false, false)),
				sub("off", "Stop this channel's daily briefing"),
				sub("now", "Preview the next briefing as it stands now",
					&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "post", Description: "Post it in the channel for everyone instead of showing only you"}),
				sub("show", "Show when and about what this channel is briefed"),
			},
		},
		{
			Name: "recent", Description: "Latest stories for this channel, or matching a region or query",
			DMPermission: &noDM,
			Options: []*discordgo.ApplicationCommandOption{
				str("region", "Countries or regions, comma-separated", false, true),
				str("query", "Words to look for", false, false),
			},
		},
	}
}

// scopeOption chooses which of a story's places a region option matches.
func scopeOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{
		Type: discordgo.ApplicationCommandOptionString, Name: "scope",
		Description: "Match regions against what a story is about (default) or any place it mentions",
		Choices: []*discordgo.ApplicationCommandOptionChoice{
			{Name: "about the region (default)", Value: alerts.ScopeFocus},
			{Name: "mentions the region at all", Value: alerts.ScopeMentions},
		},
	}
}

// scope reads the scope option: focus unless mentions is asked for.
func (r request) scope() (string, error) {
	switch v := r.str("scope"); v {
	case "", alerts.ScopeFocus:
		return alerts.ScopeFocus, nil
	case alerts.ScopeMentions:
		return alerts.ScopeMentions, nil
	default:
		return "", userErrorf("`scope` is %q; choose `focus` (stories about the region) or `mentions` (stories that name it at all).", v)
	}
}

// request is a parsed interaction.
type request struct {
	i       *discordgo.InteractionCreate
	command string
	sub     string
	opts    map[string]*discordgo.ApplicationCommandInteractionDataOption
	userID  string
}

func (r request) str(name string) string {
	if o, ok := r.opts[name]; ok {
		return strings.TrimSpace(o.StringValue())
	}
	return ""
}

func parseRequest(i *discordgo.InteractionCreate) request {
	data := i.ApplicationCommandData()
	r := request{i: i, command: data.Name, opts: map[string]*discordgo.ApplicationCommandInteractionDataOption{}}
	opts := data.Options
	if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		r.sub = opts[0].Name
		opts = opts[0].Options
	}
	for _, o := range opts {
		r.opts[o.Name] = o
	}
	if i.Member != nil && i.Member.User != nil {
		r.userID = i.Member.User.ID
	}
	return r
}

// userError is a reply meant for the member, not a fault of Vigil's.
type userError struct{ msg string }

func (e *userError) Error() string { return e.msg }

func userErrorf(format string, args ...any) error { return &userError{fmt.Sprintf(format, args...)} }

func (b *Bot) onInteraction(s *discordgo.Session, i *discordgo.InteractionCreate) {
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		b.handleCommand(i)
	case discordgo.InteractionApplicationCommandAutocomplete:
		b.handleAutocomplete(i)
	}
}

func (b *Bot) handleCommand(i *discordgo.InteractionCreate) {
	if i.GuildID == "" || i.Member == nil {
		b.reply(i, "Vigil works in server channels: use its commands in the channel that should receive alerts.")
		return
	}
	r := parseRequest(i)
	log := b.log.With("command", r.command, "sub", r.sub, "guild", i.GuildID, "channel", i.ChannelID, "user", r.userID)
	if r.command != "recent" && !canSetUp(i.Member) {
		b.reply(i, notAllowed)
		return
	}
	switch r.command + " " + r.sub {
	case "recent ":
		b.searchCommand(i, r, log, b.recent)
		return
	case "watch test":
		b.searchCommand(i, r, log, b.watchTest)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), handlerTimeout)
	defer cancel()
	var text string
	var err error
	switch r.command + " " + r.sub {
	case "watch add":
		text, err = b.watchAdd(ctx, r)
	case "watch remove":
		text, err = b.watchRemove(ctx, r)
	case "watch list":
		text, err = b.watchList(ctx, r)
	case "watch resume":
		text, err = b.watchResume(ctx, r)
	case "watch why":
		text, err = b.watchWhy(ctx, r)
	case "feeds add":
		text, err = b.feedsAdd(ctx, r)
	case "feeds remove":
		text, err = b.feedsRemove(ctx, r)
	case "feeds list":
		text, err = b.feedsList(ctx, r)
	case "briefing set":
		text, err = b.briefingSet(ctx, r)
	case "briefing off":
		text, err = b.briefingOff(ctx, r)
	case "briefing show":
		text, err = b.briefingShow(ctx, r)
	case "briefing now":
		answered, err := b.briefingNow(ctx, r)
		if answered {
			if err != nil {
				log.Error("command failed", "err", err)
			} else {
				log.Info("command handled")
			}
			return
		}
		text = b.answer(log, "", err)
		b.reply(i, text)
		return
	default:
		err = userErrorf("Vigil does not know that command; it may have been removed. Try /watch list.")
	}
	b.reply(i, b.answer(log, text, err))
}

// searchCommand runs a search (/recent, /watch test): rate-limited per
// member, and deferred, so that however long the read takes Discord's
// three seconds are met by the deferral and the answer follows as an edit.
func (b *Bot) searchCommand(i *discordgo.InteractionCreate, r request, log *slog.Logger, run func(context.Context, request) (string, error)) {
	if ok, wait := b.searches.allow(i.GuildID, r.userID); !ok {
		log.Info("search refused: member over the rate limit")
		b.reply(i, fmt.Sprintf("You're searching faster than Vigil allows (%d searches, then one every %v). Try again in %d s.",
			searchBurst, searchEvery, int(wait.Round(time.Second)/time.Second)+1))
		return
	}
	err := b.session.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	})
	if err != nil {
		log.Error("defer reply to a search", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), searchTimeout)
	defer cancel()
	text, err := run(ctx, r)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("search took too long", "err", err)
		err = userErrorf("That search took too long and was stopped. Narrow it with a `region` or more words.")
	}
	text = truncate(b.answer(log, text, err), maxContent)
	editCtx, cancelEdit := context.WithTimeout(context.Background(), answerTimeout)
	defer cancelEdit()
	if err := b.editAnswer(editCtx, i, text); err != nil {
		log.Error("answer a search", "err", err)
	}
}

// answerTimeout bounds answering a deferred command; Discord keeps the
// interaction's token for 15 minutes.
const answerTimeout = time.Minute

// editAnswer replaces a deferred reply's "thinking" message with text.
// The edit is an ordinary request under Discord's global limit, shared with
// delivery, so it waits its turn at the pacer and, refused with a 429,
// waits Discord's retry_after and tries again: a member's answer is never
// dropped for a busy moment.
func (b *Bot) editAnswer(ctx context.Context, i *discordgo.InteractionCreate, text string) error {
	for {
		if err := b.pacer.wait(ctx); err != nil {
			return err
		}
		_, err := b.session.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{
			Content:         &text,
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		}, discordgo.WithContext(ctx))
		f, wait := classify(err)
		if err == nil || f != failRateLimited {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (waiting out a rate limit: %v)", ctx.Err(), err)
		case <-time.After(max(wait, 50*time.Millisecond)):
		}
	}
}

// answer is what the member is told: the handler's text, or what went
// wrong in words they can act on.
func (b *Bot) answer(log *slog.Logger, text string, err error) string {
	var ue *userError
	var le *alerts.LimitError
	switch {
	case errors.As(err, &ue):
		return ue.msg
	case errors.As(err, &le):
		log.Info("command refused at a limit", "limit", le.Key, "value", le.Limit)
		return limitMessage(le)
	case err != nil:
		log.Error("command failed", "err", err)
		return "Something went wrong on Vigil's side; nothing was changed. Please try again in a minute."
	}
	log.Info("command handled")
	return text
}

// limitMessage names the cap that refused a change, what it is set to and
// where the operator sets it, and what the member can do.
func limitMessage(le *alerts.LimitError) string {
	fix := "Remove one first."
	switch le.Key {
	case "limits.subscriptions_per_channel":
		fix = "Remove one with /watch remove, or combine queries with OR."
	case "limits.subscriptions_per_server":
		fix = "Remove one with /watch remove in any channel, or combine queries with OR."
	case "limits.feeds_per_server":
		fix = "Remove one with /feeds remove."
	case "limits.briefings_per_server":
		fix = "Turn one off with /briefing off in its channel."
	}
	return fmt.Sprintf("Nothing was changed: this bot allows at most %d %s, and that is reached (the bot's operator sets it as `%s`). %s",
		le.Limit, le.What, le.Key, fix)
}

// reply answers an interaction with an ephemeral message no one is pinged by.
func (b *Bot) reply(i *discordgo.InteractionCreate, text string) {
	err := b.session.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{
			Content:         truncate(text, maxContent),
			Flags:           discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
		},
	})
	if err != nil {
		b.log.Error("reply to interaction", "interaction", i.ID, "err", err)
	}
}

// parseRegions resolves a comma-separated list of countries and regions;
// unknown names are an error with suggestions.
func (b *Bot) parseRegions(input string) ([]string, error) {
	if input == "" {
		return nil, nil
	}
	var codes []string
	seen := map[string]bool{}
	for _, part := range strings.Split(input, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		code, ok := b.cfg.Places.Resolve(name)
		if !ok {
			var hints []string
			for _, p := range b.cfg.Places.Suggest(name, 3) {
				hints = append(hints, fmt.Sprintf("`%s` (%s)", p.Code, p.Name))
			}
			msg := fmt.Sprintf("I don't know the place %q.", name)
			if len(hints) > 0 {
				msg += " Did you mean " + strings.Join(hints, ", ") + "?"
			}
			return nil, userErrorf("%s Use country names or codes (PL, Poland) or region names (baltic-states, Sahel).", msg)
		}
		if !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	return codes, nil
}

func (b *Bot) validateQuery(q string) error {
	if q == "" {
		return nil
	}
	if err := match.Validate(q); err != nil {
		return userErrorf("That query doesn't work: %v", err)
	}
	return nil
}

// queryAdvice is what to tell the person who typed a valid query that is
// probably a mistake ("drone not Romania" looks for the word "not"), as
// lines to add to the reply, or "" when there is nothing to say.
func queryAdvice(q string) string {
	warnings, fix := match.Lint(q)
	if len(warnings) == 0 {
		return ""
	}
	var b strings.Builder
	for _, w := range warnings {
		fmt.Fprintf(&b, "\n⚠️ In your query, %s.", w)
	}
	if fix != "" {
		fmt.Fprintf(&b, "\nDid you mean `%s`?", strings.ReplaceAll(fix, "`", "'"))
	}
	return b.String()
}

func (b *Bot) watchAdd(ctx context.Context, r request) (string, error) {
	q := r.str("query")
	if err := b.validateQuery(q); err != nil {
		return "", err
	}
	regions, err := b.parseRegions(r.str("region"))
	if err != nil {
		return "", err
	}
	scope, err := r.scope()
	if err != nil {
		return "", err
	}
	if err := b.checkChannelForPosting(ctx, r.i); err != nil {
		return "", err
	}
	feedURL := r.str("feed")
	if q == "" && len(regions) == 0 && feedURL == "" {
		return "", userErrorf("Give a `query`, a `region` or a `feed` (or several) so the channel isn't sent every story.")
	}
	var feeds []string
	if feedURL != "" {
		// Only this server's feeds and the operator's: a feed another
		// server added is answered exactly as one nobody added.
		known, err := b.cfg.Store.GuildFeeds(ctx, r.i.GuildID)
		if err != nil {
			return "", err
		}
		if !hasFeed(known, feedURL) {
			return "", userErrorf("This server has no feed <%s>. Add it first with /feeds add; /feeds list shows the feeds this server can use.", markdown.URL(feedURL))
		}
		feeds = []string{feedURL}
	}
	role := ""
	if o, ok := r.opts["mention"]; ok {
		role = fmt.Sprint(o.Value)
		if err := checkMentionRole(r.i, role); err != nil {
			return "", err
		}
	}
	sub, err := b.cfg.Store.AddSubscription(ctx, alerts.Subscription{
		GuildID: r.i.GuildID, ChannelID: r.i.ChannelID, Query: q, Regions: regions, Scope: scope, Feeds: feeds, MentionRoleID: role,
	}, r.userID)
	if err != nil {
		return "", err
	}
	b.cfg.Changed()
	msg := fmt.Sprintf("Watching: %s (subscription %d). New matching stories will be posted here.", b.describe(sub), sub.ID)
	if advice := queryAdvice(q); advice != "" {
		msg += advice + fmt.Sprintf("\nTo change it, /watch remove %d and add it again.", sub.ID)
	}
	return msg, nil
}

func hasFeed(feeds []alerts.Feed, url string) bool {
	for _, f := range feeds {
		if f.URL == url {
			return true
		}
	}
	return false
}

// describe renders a subscription for people.
func (b *Bot) describe(s alerts.Subscription) string {
	var parts []string
	if s.Query != "" {
		parts = append(parts, "`"+strings.ReplaceAll(s.Query, "`", "'")+"`")
	}
	if len(s.Regions) > 0 {
		names := make([]string, len(s.Regions))
		for i, c := range s.Regions {
			names[i] = strings.TrimSpace(b.cfg.Places.Flag(c) + " " + b.cfg.Places.Name(c))
		}
		if s.Scope == alerts.ScopeMentions {
			parts = append(parts, "naming "+strings.Join(names, ", ")+" (any mention)")
		} else {
			parts = append(parts, "about "+strings.Join(names, ", "))
		}
	}
	if len(s.Feeds) > 0 {
		urls := make([]string, len(s.Feeds))
		for k, f := range s.Feeds {
			urls[k] = "<" + markdown.URL(f) + ">"
		}
		parts = append(parts, "from "+strings.Join(urls, ", "))
	}
	if s.MentionRoleID != "" {
		parts = append(parts, "mentioning <@&"+s.MentionRoleID+">")
	}
	return strings.Join(parts, " ")
}

func (b *Bot) watchRemove(ctx context.Context, r request) (string, error) {
	o, ok := r.opts["id"]
	if !ok {
		return "", userErrorf("Say which subscription to remove; /watch list shows their numbers.")
	}
	id := o.IntValue()
	if err := b.cfg.Store.RemoveSubscription(ctx, r.i.ChannelID, id); err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return "", userErrorf("This channel has no subscription %d; /watch list shows its subscriptions.", id)
		}
		return "", err
	}
	b.cfg.Changed()
	return fmt.Sprintf("Removed subscription %d.", id), nil
}

func (b *Bot) watchList(ctx context.Context, r request) (string, error) {
	subs, err := b.cfg.Store.Subscriptions(ctx, r.i.ChannelID)
	if err != nil {
		return "", err
	}
	if len(subs) == 0 {
		return "This channel watches nothing yet. Add a subscription with /watch add.", nil
	}
	lines := []string{"This channel watches:"}
	for _, s := range subs {
		line := fmt.Sprintf("**%d** · %s", s.ID, b.describe(s))
		if s.Paused {
			line += " — ⏸ paused"
		}
		lines = append(lines, line)
	}
	return strings.Join(append(lines, b.deliveryProblems(ctx, r.i.ChannelID)...), "\n"), nil
}

// refusalsShown is how far back /watch list reports refused alerts.
const refusalsShown = 7 * 24 * time.Hour

// deliveryProblems says what stops or stopped alerts reaching a channel:
// a hold, and alerts Discord refused.
func (b *Bot) deliveryProblems(ctx context.Context, channelID string) []string {
	var lines []string
	if h, held, err := b.cfg.Store.ChannelHold(ctx, channelID); err != nil {
		b.log.Error("read channel hold", "channel", channelID, "err", err)
	} else if held {
		switch h.Kind {
		case alerts.HoldForbidden:
			lines = append(lines, fmt.Sprintf("⏸ Vigil could not post here since <t:%d:R>, so alerts are held (none is lost). Give the bot %s in this channel; it tries again <t:%d:R>, or run /watch resume.",
				h.Since.Unix(), neededPermissions, h.Until.Unix()))
		default:
			if h.Until.After(b.cfg.Now()) {
				lines = append(lines, fmt.Sprintf("⏳ Discord did not take the last alert (%s); alerts wait and are sent from <t:%d:R>.", escapeMarkdown(truncate(h.Reason, 200)), h.Until.Unix()))
			}
		}
	}
	if n, reason, err := b.cfg.Store.Refusals(ctx, channelID, b.cfg.Now().Add(-refusalsShown)); err != nil {
		b.log.Error("count refused alerts", "channel", channelID, "err", err)
	} else if n > 0 {
		lines = append(lines, fmt.Sprintf("⚠️ Discord refused %d alert%s for this channel in the last week, which are not retried; the latest: %s",
			n, map[bool]string{true: "s"}[n > 1], escapeMarkdown(truncate(reason, 300))))
	}
	return lines
}

func (b *Bot) watchResume(ctx context.Context, r request) (string, error) {
	if err := b.checkChannelForPosting(ctx, r.i); err != nil {
		return "", err
	}
	if err := b.cfg.Store.SetChannelPaused(ctx, r.i.ChannelID, false); err != nil {
		return "", err
	}
	if _, err := b.cfg.Store.ReleaseChannel(ctx, r.i.ChannelID); err != nil {
		return "", err
	}
	b.cfg.Changed()
	b.Wake()
	return "Resumed this channel's subscriptions; held alerts are being sent.", nil
}

func (b *Bot) watchTest(ctx context.Context, r request) (string, error) {
	q := r.str("query")
	if err := b.validateQuery(q); err != nil {
		return "", err
	}
	regions, err := b.parseRegions(r.str("region"))
	if err != nil {
		return "", err
	}
	scope, err := r.scope()
	if err != nil {
		return "", err
	}
	hits, scanned, err := b.search(ctx, alerts.Subscription{GuildID: r.i.GuildID, Query: q, Regions: regions, Scope: scope}, 0)
	if err != nil {
		return "", err
	}
	if len(hits) == 0 {
		return fmt.Sprintf("None of the %d stories of the last %v would have matched.", scanned, recentWindow) + queryAdvice(q), nil
	}
	lines := []string{fmt.Sprintf("%d of the %d stories of the last %v would have matched; the latest:", len(hits), scanned, recentWindow)}
	for _, s := range hits[:min(len(hits), recentLimit)] {
		lines = append(lines, storyLine(s))
	}
	return strings.Join(lines, "\n") + queryAdvice(q), nil
}

// search matches recent stories against an ad-hoc subscription, newest
// first, reading a page at a time: it stops once it has enough hits (0:
// read every story in reach, to count them) or has read recentScan.
func (b *Bot) search(ctx context.Context, want alerts.Subscription, enough int) ([]alerts.Story, int, error) {
	want.ID = 1
	ix, err := match.NewIndex([]alerts.Subscription{want})
	if err != nil {
		return nil, 0, userErrorf("That query doesn't work: %v", err)
	}
	from := b.cfg.Now().Add(-recentWindow)
	// A count reads everything in reach, so it reads it at once: each
	// further page would make the database skip every row before it again.
	pageSize := searchPage
	if enough == 0 {
		pageSize = recentScan
	}
	var hits []alerts.Story
	scanned := 0
	for scanned < recentScan && (enough == 0 || len(hits) < enough) {
		page, err := b.cfg.Store.GuildStories(ctx, want.GuildID, from, time.Time{}, scanned, min(pageSize, recentScan-scanned))
		if err != nil {
			return nil, 0, err
		}
		for i := range page {
			if len(ix.Match(&page[i])) > 0 {
				hits = append(hits, page[i])
			}
		}
		scanned += len(page)
		if len(page) < pageSize {
			break
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Published.After(hits[j].Published) })
	return hits, scanned, nil
}

// searchPage is how many stories a search reads at a time.
const searchPage = 250

func (b *Bot) recent(ctx context.Context, r request) (string, error) {
	q := r.str("query")
	if err := b.validateQuery(q); err != nil {
		return "", err
	}
	regions, err := b.parseRegions(r.str("region"))
	if err != nil {
		return "", err
	}
	var stories []alerts.Story
	if q == "" && len(regions) == 0 {
		stories, err = b.cfg.Store.RecentDeliveries(ctx, r.i.ChannelID, recentLimit)
		if err != nil {
			return "", err
		}
		if len(stories) == 0 {
			return "Nothing has been posted here yet. Give a `region` or `query` to search recent stories.", nil
		}
	} else {
		stories, _, err = b.search(ctx, alerts.Subscription{GuildID: r.i.GuildID, Query: q, Regions: regions}, recentLimit)
		if err != nil {
			return "", err
		}
		if len(stories) == 0 {
			return fmt.Sprintf("No story of the last %v matches.", recentWindow), nil
		}
	}
	lines := []string{"Latest stories:"}
	for _, s := range stories[:min(len(stories), recentLimit)] {
		lines = append(lines, storyLine(s))
	}
	return strings.Join(lines, "\n"), nil
}

func (b *Bot) feedsAdd(ctx context.Context, r request) (string, error) {
	url := r.str("url")
	if err := b.cfg.ValidateFeedURL(url); err != nil {
		return "", userErrorf("Vigil can't poll that address: %v", err)
	}
	// Whether another server has the URL is never told: the answer is the
	// same either way, and the feed is fetched once for all who added it.
	added, err := b.cfg.Store.AddGuildFeed(ctx, r.i.GuildID, alerts.Feed{URL: url})
	if err != nil {
		return "", err
	}
	if !added {
		return fmt.Sprintf("This server already has <%s>. /feeds list shows its health.", markdown.URL(url)), nil
	}
	b.cfg.Changed()
	// The slash command never waits on the feed: the poller fetches it
	// within its jitter, and /feeds list shows how that went.
	return fmt.Sprintf("Added <%s>. Vigil polls it within a minute; its current stories are recorded without alerting, and new ones are matched from then on. /feeds list shows its health.", markdown.URL(url)), nil
}

func (b *Bot) feedsRemove(ctx context.Context, r request) (string, error) {
	url := r.str("url")
	ended, err := b.cfg.Store.RemoveGuildFeed(ctx, r.i.GuildID, url)
	if err != nil {
		if errors.Is(err, alerts.ErrNotFound) {
			return "", userErrorf("This server didn't add <%s>; feeds from the bot's config can only be changed by its operator.", markdown.URL(url))
		}
		return "", err
	}
	b.cfg.Changed()
	b.noticeEnded(r, url, ended)
	text := fmt.Sprintf("Removed <%s>. Stories already seen stay in briefings.", markdown.URL(url))
	if len(ended) > 0 {
		text += fmt.Sprintf(" %d subscription(s) that named it changed or ended; their channels were told.", len(ended))
	}
	return text, nil
}

// noticeEnded tells each channel whose subscriptions named a removed feed
// what became of them, in the background: the command's answer does not
// wait on other channels.
func (b *Bot) noticeEnded(r request, url string, ended []alerts.Subscription) {
	byChannel := map[string][]string{}
	var order []string
	for _, s := range ended {
		if _, ok := byChannel[s.ChannelID]; !ok {
			order = append(order, s.ChannelID)
		}
		what := "ended"
		if len(s.Feeds) > 1 {
			what = "now covers its other feeds only"
		}
		byChannel[s.ChannelID] = append(byChannel[s.ChannelID], fmt.Sprintf("• subscription %d (%s) %s", s.ID, b.describe(s), what))
	}
	if len(order) == 0 {
		return
	}
	b.sends.Add(1)
	go func() {
		defer b.sends.Done()
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		for _, ch := range order {
			text := fmt.Sprintf("The feed <%s> was removed from this server (/feeds remove by <@%s>):\n%s",
				markdown.URL(url), r.userID, strings.Join(byChannel[ch], "\n"))
			m := messageCreate{Content: truncate(text, maxContent), AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}
			if err := b.pacer.wait(ctx); err != nil {
				return
			}
			if _, err := b.post(ctx, ch, m); err != nil {
				b.log.Warn("tell a channel its subscriptions to a removed feed ended", "channel", ch, "err", err)
			}
		}
	}()
}

func (b *Bot) feedsList(ctx context.Context, r request) (string, error) {
	feeds, err := b.cfg.Store.GuildFeeds(ctx, r.i.GuildID)
	if err != nil {
		return "", err
	}
	var lines []string
	for _, f := range feeds {
		name := f.Title
		if name == "" {
			name = f.URL
		}
		status := "✅"
		detail := "not polled yet"
		if !f.LastPollAt.IsZero() {
			detail = fmt.Sprintf("last poll <t:%d:R>", f.LastPollAt.Unix())
		}
		if f.LastError != "" {
			status = "⚠️"
			detail += fmt.Sprintf(", failing %d× — %s", f.ConsecutiveFailures, escapeMarkdown(truncate(f.LastError, 200)))
		}
		owner := "config"
		if f.OwnedBy(r.i.GuildID) {
			owner = "added here"
		}
		lines = append(lines, fmt.Sprintf("%s **%s** (%s) · <%s> · %s", status, escapeMarkdown(name), owner, markdown.URL(f.URL), detail))
	}
	if len(lines) == 0 {
		return "No feeds yet. Add one with /feeds add.", nil
	}
	return strings.Join(append([]string{"Feeds:"}, lines...), "\n"), nil
}

// handleAutocomplete offers regions, feeds and subscriptions as the member
// types. It never errors at the member: no match is an empty list.
func (b *Bot) handleAutocomplete(i *discordgo.InteractionCreate) {
	data := i.ApplicationCommandData()
	opts := data.Options
	if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		opts = opts[0].Options
	}
	var focused *discordgo.ApplicationCommandInteractionDataOption
	for _, o := range opts {
		if o.Focused {
			focused = o
		}
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	if focused != nil && i.GuildID != "" {
		ctx, cancel := context.WithTimeout(context.Background(), handlerTimeout)
		defer cancel()
		choices = b.choices(ctx, i, focused)
	}
	err := b.session.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
	if err != nil {
		b.log.Error("answer autocomplete", "interaction", i.ID, "err", err)
	}
}

func (b *Bot) choices(ctx context.Context, i *discordgo.InteractionCreate, o *discordgo.ApplicationCommandInteractionDataOption) []*discordgo.ApplicationCommandOptionChoice {
	var out []*discordgo.ApplicationCommandOptionChoice
	add := func(name string, value any) {
		if len(out) < maxChoices {
			out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: truncate(name, maxChoiceName), Value: value})
		}
	}
	typed := fmt.Sprint(o.Value)
	switch o.Name {
	case "timezone":
		for _, z := range zoneChoices(typed) {
			add(strings.ReplaceAll(z, "_", " "), z)
		}
	case "region", "regions":
		// Complete the last item of a comma-separated list.
		head, last := "", typed
		if k := strings.LastIndex(typed, ","); k >= 0 {
			head, last = typed[:k+1]+" ", strings.TrimSpace(typed[k+1:])
		}
		for _, p := range b.cfg.Places.Suggest(last, maxChoices) {
			v := head + p.Code
			if len(v) <= maxChoiceName {
				add(strings.TrimSpace(b.cfg.Places.Flag(p.Code)+" "+p.Name+" ("+p.Code+")"), v)
			}
		}
	case "feed", "url":
		feeds, err := b.cfg.Store.GuildFeeds(ctx, i.GuildID)
		if err != nil {
			b.log.Error("autocomplete feeds", "err", err)
			return nil
		}
		for _, f := range feeds {
			if len(f.URL) > maxChoiceName || o.Name == "url" && !f.OwnedBy(i.GuildID) {
				continue
			}
			label := f.URL
			if f.Title != "" {
				label = f.Title + " — " + f.URL
			}
			if strings.Contains(strings.ToLower(label), strings.ToLower(typed)) {
				add(label, f.URL)
			}
		}
	case "id":
		subs, err := b.cfg.Store.Subscriptions(ctx, i.ChannelID)
		if err != nil {
			b.log.Error("autocomplete subscriptions", "err", err)
			return nil
		}
		for _, s := range subs {
			label := strconv.FormatInt(s.ID, 10) + " · " + b.describe(s)
			if strings.Contains(strings.ToLower(label), strings.ToLower(typed)) {
				add(label, s.ID)
			}
		}
	}
	return out
}
