// Package discordtest runs a fake Discord on loopback so that tests drive the
// real discordgo client instead of a mock of our own code.
//
// A Server speaks the parts of Discord's gateway (websocket, JSON encoding,
// per-message zlib compression when IDENTIFY asks for it) and REST API that
// Vigil uses: it sends HELLO, checks the token on IDENTIFY, answers with READY
// and one GUILD_CREATE per configured guild, acknowledges heartbeats, replays
// missed events on RESUME, and serves the application-command, interaction,
// webhook, channel, guild and user routes with Discord's bodies, error shapes
// (`{"message": ..., "code": ...}`) and rate-limit headers. Every REST request
// is recorded for assertions, and tests can dispatch any gateway event, build
// realistic interactions, enforce rate limits and inject faults.
//
// Typical use:
//
//	srv := discordtest.NewServer(t, discordtest.WithGuild(guild))
//	session, err := srv.NewSession(srv.Token())
//	if err != nil { t.Fatal(err) }
//	session.AddHandler(bot.onInteraction)
//	if err := session.Open(); err != nil { t.Fatal(err) }
//	srv.SlashCommand(guild.ID, channelID, member, "subscribe", discordtest.StringOption("query", "ransomware"))
//
// A session built by hand instead of NewSession needs only
// session.Client = srv.HTTPClient(): the gateway URL the fake hands out is
// already on loopback, and every discord.com URL discordgo builds is rewritten
// to the fake by the client's transport.
//
// Faults: FailNext and Inject make chosen requests answer 429, 5xx, 403 or
// 404 with Discord's bodies, answer late, or drop the connection before or
// after the request took effect (AcceptThenDrop: the message exists, the bot
// never heard). WithRateLimit(DiscordRateLimits()) enforces Discord's limits;
// RateLimited counts the 429s a bot earned. WaitFor replaces sleeps.
//
// Not modelled: the gateway does not echo the bot's own messages as
// MESSAGE_CREATE, does not answer REQUEST_GUILD_MEMBERS with member chunks,
// and does not close connections that stop heartbeating.
//
// Shutdown order matters: close every discordgo session before the server.
// NewSession registers the session's Close with t.Cleanup after the server's
// own cleanup, so the default order is right. If the server goes away first,
// discordgo's reconnect loop retries with a doubling back-off that never ends
// and stalls or leaks into later tests. Note that discordgo's Session.Close
// sleeps one second while it waits for the close handshake; run tests that open
// sessions with t.Parallel to keep the suite fast.
package discordtest
