package discordtest

import (
	"testing"

	"github.com/bwmarrin/discordgo"
)

// BenchmarkChannelMessageSend measures one alert delivery through the real
// discordgo client against the fake: request, validation, storage, answer.
func BenchmarkChannelMessageSend(b *testing.B) {
	srv := newServer(b, WithRateLimit(RateLimits{}))
	session := restSession(b, srv)
	msg := &discordgo.MessageSend{
		Content:         "Ransomware hits Tallinn port",
		Embeds:          []*discordgo.MessageEmbed{{Title: "Ransomware hits Tallinn port", URL: "https://example.org/a", Description: "Estonia's largest port halted container traffic after..."}},
		AllowedMentions: &discordgo.MessageAllowedMentions{},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := session.ChannelMessageSendComplex(alertsChannelID, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSlashCommandRoundTrip measures a slash command from the fake's
// INTERACTION_CREATE through a discordgo handler's InteractionRespond to the
// recorded callback.
func BenchmarkSlashCommandRoundTrip(b *testing.B) {
	srv := newServer(b, WithRateLimit(RateLimits{}))
	openSession(b, srv, func(s *discordgo.Session) {
		s.AddHandler(func(s *discordgo.Session, i *discordgo.InteractionCreate) {
			err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: "Subscribed.", Flags: discordgo.MessageFlagsEphemeral},
			})
			if err != nil {
				b.Error(err)
			}
		})
	})
	b.ReportAllocs()
	for b.Loop() {
		sent := srv.SlashCommand(guildID, alertsChannelID, alice, "subscribe", StringOption("query", "ransomware"))
		waitFor(b, srv, "the callback", func() bool {
			rec, _ := srv.Interaction(sent.ID)
			return rec.Response != nil
		})
	}
}

// BenchmarkDispatch measures one gateway event from Dispatch to a discordgo
// handler, zlib-compressed as discordgo asks by default.
func BenchmarkDispatch(b *testing.B) {
	srv := newServer(b)
	arrived := make(chan struct{}, 1)
	openSession(b, srv, func(s *discordgo.Session) {
		s.AddHandler(func(*discordgo.Session, *discordgo.ChannelUpdate) { arrived <- struct{}{} })
	})
	update := map[string]any{"id": alertsChannelID, "guild_id": guildID, "name": "alerts", "type": 0}
	b.ReportAllocs()
	for b.Loop() {
		srv.Dispatch("CHANNEL_UPDATE", update)
		receive(b, arrived, "CHANNEL_UPDATE")
	}
}
