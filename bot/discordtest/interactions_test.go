package discordtest

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestInteractions shares one gateway session across its subtests, which
// run in order: each discordgo session costs a second to close.
func TestInteractions(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, WithClock(clock.Now))
	received := make(chan *discordgo.InteractionCreate, 8)
	session := openSession(t, srv, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
			if i.Type == discordgo.InteractionApplicationCommand && i.ApplicationCommandData().Name == "ping" {
				err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
					Type: discordgo.InteractionResponseChannelMessageWithSource,
					Data: &discordgo.InteractionResponseData{Content: "pong"},
				})
				if err != nil {
					t.Errorf("respond from handler: %v", err)
				}
				return
			}
			received <- i
		})
	})
	registered, err := session.ApplicationCommandBulkOverwrite(srv.ApplicationID(), guildID, testCommands())
	if err != nil {
		t.Fatalf("register commands: %v", err)
	}
	next := func(t *testing.T) *discordgo.Interaction {
		t.Helper()
		return receive(t, received, "INTERACTION_CREATE").Interaction
	}
	record := func(t *testing.T, id string) InteractionRecord {
		t.Helper()
		rec, ok := srv.Interaction(id)
		if !ok {
			t.Fatalf("no record of interaction %s", id)
		}
		return rec
	}
	respond := func(i *discordgo.Interaction, typ discordgo.InteractionResponseType, data *discordgo.InteractionResponseData) error {
		return session.InteractionRespond(i, &discordgo.InteractionResponse{Type: typ, Data: data})
	}

	t.Run("a handler's response to a slash command is recorded", func(t *testing.T) {
		sent := srv.SlashCommand(guildID, alertsChannelID, alice, "ping")
		waitFor(t, srv, "the callback", func() bool {
			rec, _ := srv.Interaction(sent.ID)
			return rec.Response != nil
		})
		rec := record(t, sent.ID)
		if rec.Response.Type != discordgo.InteractionResponseChannelMessageWithSource || rec.Original == nil || rec.Original.Content != "pong" {
			t.Fatalf("record = %+v, want a pong message", rec)
		}
		if rec.Original.Type != discordgo.MessageTypeChatInputCommand || rec.Original.WebhookID != srv.ApplicationID() {
			t.Errorf("original = %+v, want a chat-input reply from the application", rec.Original)
		}
		if msgs := srv.Messages(alertsChannelID); len(msgs) != 1 || msgs[0].ID != rec.Original.ID {
			t.Errorf("channel messages = %+v, want the public reply", msgs)
		}
		reqs := srv.RequestsTo(http.MethodPost, "/interactions/"+sent.ID+"/*/callback")
		if len(reqs) != 1 || reqs[0].Status != http.StatusNoContent {
			t.Errorf("callback requests = %+v, want one answered 204", reqs)
		}
	})

	t.Run("options, member and resolved data arrive as discordgo decodes them", func(t *testing.T) {
		sent := srv.SlashCommand(guildID, alertsChannelID, alice, "subscribe",
			StringOption("query", "ransomware -bitcoin"), ChannelOption("channel", otherChannelID))
		got := next(t)
		if got.ID != sent.ID || got.Token != sent.Token || got.GuildID != guildID || got.ChannelID != alertsChannelID {
			t.Fatalf("interaction = %+v, want the dispatched one", got)
		}
		if got.Member == nil || got.Member.User.ID != aliceID || got.Member.Permissions != alice.Permissions || got.User != nil {
			t.Errorf("member = %+v, user = %+v; want alice as member with her permissions", got.Member, got.User)
		}
		if got.AppPermissions&discordgo.PermissionSendMessages == 0 {
			t.Errorf("app_permissions = %d, want the roles' send permission", got.AppPermissions)
		}
		data := got.ApplicationCommandData()
		if data.ID != registered[0].ID || data.Name != "subscribe" {
			t.Errorf("command = %s %s, want registered %s", data.ID, data.Name, registered[0].ID)
		}
		if q := data.GetOption("query"); q == nil || q.StringValue() != "ransomware -bitcoin" {
			t.Errorf("query option = %+v", q)
		}
		if ch := data.GetOption("channel"); ch == nil || ch.ChannelValue(nil).ID != otherChannelID {
			t.Errorf("channel option = %+v", ch)
		}
		if data.Resolved == nil || data.Resolved.Channels[otherChannelID] == nil || data.Resolved.Channels[otherChannelID].Name != "ukraine" {
			t.Errorf("resolved = %+v, want the ukraine channel", data.Resolved)
		}

		if err := respond(got, discordgo.InteractionResponseChannelMessageWithSource, &discordgo.InteractionResponseData{
			Content: "Subscribed.", Flags: discordgo.MessageFlagsEphemeral,
		}); err != nil {
			t.Fatalf("respond: %v", err)
		}
		rec := record(t, got.ID)
		if rec.Original == nil || rec.Original.Flags&discordgo.MessageFlagsEphemeral == 0 {
			t.Errorf("original = %+v, want an ephemeral reply", rec.Original)
		}
		for _, m := range srv.Messages(alertsChannelID) {
			if m.ID == rec.Original.ID {
				t.Errorf("ephemeral reply is visible in the channel")
			}
		}
		err := respond(got, discordgo.InteractionResponseChannelMessageWithSource, &discordgo.InteractionResponseData{Content: "again"})
		restError(t, err, http.StatusBadRequest, CodeAlreadyAcknowledged)
	})

	t.Run("integer, number and boolean options inside a subcommand group decode", func(t *testing.T) {
		srv.SlashCommand(guildID, alertsChannelID, alice, "admin",
			SubcommandGroup("brief", Subcommand("schedule", IntegerOption("hour", 7), NumberOption("weight", 0.5), BoolOption("weekends", false), RoleOption("notify", analystRoleID), UserOption("owner", aliceID))))
		got := next(t)
		sub := got.ApplicationCommandData().Options[0].Options[0]
		if sub.Name != "schedule" || len(sub.Options) != 5 {
			t.Fatalf("subcommand = %+v", sub)
		}
		if sub.Options[0].IntValue() != 7 || sub.Options[1].FloatValue() != 0.5 || sub.Options[2].BoolValue() || sub.Options[3].RoleValue(nil, "").ID != analystRoleID || sub.Options[4].UserValue(nil).ID != aliceID {
			t.Errorf("options = %v %v %v %v %v", sub.Options[0].Value, sub.Options[1].Value, sub.Options[2].Value, sub.Options[3].Value, sub.Options[4].Value)
		}
		res := got.ApplicationCommandData().Resolved
		if res == nil || res.Roles[analystRoleID] == nil || res.Users[aliceID] == nil || res.Members[aliceID] == nil {
			t.Errorf("resolved = %+v, want the role, the user and the member", res)
		}
	})

	t.Run("a deferred response is completed by editing the original", func(t *testing.T) {
		srv.SlashCommand(guildID, alertsChannelID, alice, "feeds", Subcommand("list"))
		got := next(t)
		if err := respond(got, discordgo.InteractionResponseDeferredChannelMessageWithSource, nil); err != nil {
			t.Fatalf("defer: %v", err)
		}
		thinking, err := session.InteractionResponse(got)
		if err != nil || thinking.Flags&discordgo.MessageFlagsLoading == 0 {
			t.Fatalf("GET @original = %+v, %v; want the loading placeholder", thinking, err)
		}
		content := "3 feeds"
		edited, err := session.InteractionResponseEdit(got, &discordgo.WebhookEdit{Content: &content})
		if err != nil || edited.Content != content || edited.ID != thinking.ID {
			t.Fatalf("edit = %+v, %v", edited, err)
		}
		rec := record(t, got.ID)
		if rec.Original.Flags&discordgo.MessageFlagsLoading != 0 || rec.Original.EditedTimestamp.IsZero() {
			t.Errorf("original after edit = %+v, want loading cleared and an edit time", rec.Original)
		}
		if err := session.InteractionResponseDelete(got); err != nil {
			t.Errorf("delete original: %v", err)
		}
		if rec := record(t, got.ID); rec.Original != nil {
			t.Errorf("original survived its deletion")
		}
	})

	t.Run("the first follow-up after a deferral replaces the thinking message", func(t *testing.T) {
		srv.SlashCommand(guildID, alertsChannelID, alice, "feeds", Subcommand("list"))
		got := next(t)
		if err := respond(got, discordgo.InteractionResponseDeferredChannelMessageWithSource, nil); err != nil {
			t.Fatalf("defer: %v", err)
		}
		first, err := session.FollowupMessageCreate(got, true, &discordgo.WebhookParams{Content: "done"})
		if err != nil {
			t.Fatalf("first follow-up: %v", err)
		}
		second, err := session.FollowupMessageCreate(got, true, &discordgo.WebhookParams{Content: "and one more"})
		if err != nil {
			t.Fatalf("second follow-up: %v", err)
		}
		rec := record(t, got.ID)
		if rec.Original == nil || first.ID != rec.Original.ID || second.ID == first.ID || len(rec.Followups) != 1 {
			t.Fatalf("original %+v, follow-ups %+v; want the first to replace the placeholder", rec.Original, rec.Followups)
		}
		text := "edited"
		if _, err := session.FollowupMessageEdit(got, second.ID, &discordgo.WebhookEdit{Content: &text}); err != nil {
			t.Errorf("edit follow-up: %v", err)
		}
		if rec := record(t, got.ID); rec.Followups[0].Content != text {
			t.Errorf("follow-up content = %q, want %q", rec.Followups[0].Content, text)
		}
		if err := session.FollowupMessageDelete(got, second.ID); err != nil {
			t.Errorf("delete follow-up: %v", err)
		}
		if rec := record(t, got.ID); len(rec.Followups) != 0 {
			t.Errorf("%d follow-ups after delete, want 0", len(rec.Followups))
		}
	})

	t.Run("a follow-up before any response is an unknown webhook", func(t *testing.T) {
		srv.SlashCommand(guildID, alertsChannelID, alice, "feeds", Subcommand("list"))
		got := next(t)
		_, err := session.FollowupMessageCreate(got, true, &discordgo.WebhookParams{Content: "early"})
		restError(t, err, http.StatusNotFound, CodeUnknownWebhook)
	})

	t.Run("autocomplete takes choices and nothing else", func(t *testing.T) {
		srv.Autocomplete(guildID, alertsChannelID, alice, "subscribe", Focused(StringOption("query", "ransom")))
		got := next(t)
		if got.Type != discordgo.InteractionApplicationCommandAutocomplete {
			t.Fatalf("type = %v, want autocomplete", got.Type)
		}
		if q := got.ApplicationCommandData().GetOption("query"); q == nil || !q.Focused {
			t.Errorf("query option = %+v, want focused", q)
		}
		err := respond(got, discordgo.InteractionResponseChannelMessageWithSource, &discordgo.InteractionResponseData{Content: "no"})
		restError(t, err, http.StatusBadRequest, CodeInvalidFormBody)
		err = respond(got, discordgo.InteractionApplicationCommandAutocompleteResult, &discordgo.InteractionResponseData{
			Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "ransomware", Value: "ransomware"}, {Name: "ransom note", Value: "ransom note"}},
		})
		if err != nil {
			t.Fatalf("respond with choices: %v", err)
		}
		if rec := record(t, got.ID); rec.Response == nil || len(rec.Response.Choices) != 2 || rec.Original != nil {
			t.Errorf("record = %+v, want two choices and no message", rec)
		}
	})

	t.Run("a DM command carries a user and no member", func(t *testing.T) {
		sent := srv.DMSlashCommand(alice.User, "subscribe", StringOption("query", "sahel"))
		got := next(t)
		if got.Member != nil || got.User == nil || got.User.ID != aliceID || got.GuildID != "" || got.ChannelID != sent.ChannelID {
			t.Fatalf("interaction = %+v, want alice as user in a DM", got)
		}
		if err := respond(got, discordgo.InteractionResponseChannelMessageWithSource, &discordgo.InteractionResponseData{Content: "ok"}); err != nil {
			t.Fatalf("respond: %v", err)
		}
		if msgs := srv.Messages(got.ChannelID); len(msgs) != 1 || msgs[0].GuildID != "" {
			t.Errorf("DM messages = %+v, want the reply", msgs)
		}
	})

	t.Run("a response after three seconds is an unknown interaction", func(t *testing.T) {
		srv.SlashCommand(guildID, alertsChannelID, alice, "feeds", Subcommand("list"))
		got := next(t)
		clock.Advance(interactionAckDeadline + time.Second)
		err := respond(got, discordgo.InteractionResponseChannelMessageWithSource, &discordgo.InteractionResponseData{Content: "late"})
		restError(t, err, http.StatusNotFound, CodeUnknownInteraction)
	})

	t.Run("a follow-up after fifteen minutes has an invalid token", func(t *testing.T) {
		srv.SlashCommand(guildID, alertsChannelID, alice, "feeds", Subcommand("list"))
		got := next(t)
		if err := respond(got, discordgo.InteractionResponseDeferredChannelMessageWithSource, nil); err != nil {
			t.Fatalf("defer: %v", err)
		}
		clock.Advance(interactionTokenLifetime + time.Second)
		_, err := session.FollowupMessageCreate(got, true, &discordgo.WebhookParams{Content: "too late"})
		restError(t, err, http.StatusUnauthorized, CodeInvalidWebhookToken)
	})
}
