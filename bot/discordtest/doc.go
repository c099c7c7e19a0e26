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
// Permissions: the fake computes the bot's and every member's permissions in
// a channel as Discord's "Permission Overwrites" algorithm does (see
// Permissions), threads taking their parent's, and enforces them where
// Discord does: a post needs VIEW_CHANNEL (else 403 Missing Access) and
// SEND_MESSAGES, or SEND_MESSAGES_IN_THREADS in a thread (else 403 Missing
// Permissions); without EMBED_LINKS the embeds are dropped; the message list
// needs VIEW_CHANNEL and is empty without READ_MESSAGE_HISTORY; roles and
// @everyone ping only as the bot's rights allow; app_permissions and a
// member's permissions in interactions are computed in the channel. A guild
// configured without an @everyone role (no role whose ID is the guild's) is
// treated as having one with DefaultEveryonePermissions, a new server's
// defaults, so that a guild built with no roles lets the bot post, embed and
// read history but not mention @everyone; a guild that defines @everyone gets
// exactly what its roles say. SetRole, SetMemberRoles and
// SetChannelOverwrites change them mid-test, with the gateway events
// Discord sends; BotPermissions is what a well-invited bot holds.
//
// Threads are channels of types 10, 11 and 12 with ThreadMetadata; a message
// unarchives an archived thread, a locked one refuses posts and edits
// without MANAGE_THREADS, and no message in an archived thread can be
// edited (see ArchiveThread).
//
// Commands: SlashCommand and Autocomplete fail the test for what Discord's
// client would not let a member do: a registered command whose
// default_member_permissions the member lacks (CanUse and CanUseIn say who
// may), or a ROLE option that names no role of the guild.
//
// Discord's hard limits are modelled on the fake's clock: answers of 401,
// 403 and 429 (but not shared-scope 429s) count towards the invalid request
// limit, and past 10,000 in ten minutes every REST request gets Cloudflare's
// HTML 429 for an hour (InvalidRequests, Banned). RevokeToken and SetToken
// stand for a token reset: the old token gets 401 and its gateway sessions
// are closed with 4004. READY's resume_gateway_url is a path of its own, and
// GatewayStats tells RESUMEs there from those on the gateway URL. A
// connection that sends more than 120 payloads in 60 seconds is closed with
// 4008 (SendRateLimited); with WithMaxConcurrency, an IDENTIFY beyond
// max_concurrency per five seconds on its rate-limit key is answered with
// op 9 Invalid Session (IdentifiesRateLimited). GET /gateway/bot counts down
// the session start limit (WithSessionStartLimit, 1,000 a day by default),
// and the IDENTIFY past it resets the token as Discord does (TokenResets).
// A connection that sends no heartbeat for an interval and as long again
// (at least 5 s more; Discord does not document its tolerance) is closed
// without a close frame, its session left to be resumed
// (HeartbeatTimeouts).
//
// Not modelled: the gateway does not echo the bot's own messages as
// MESSAGE_CREATE and does not answer REQUEST_GUILD_MEMBERS with member
// chunks. Permissions are not
// checked on interaction responses and follow-ups, USE_APPLICATION_COMMANDS
// is not required to invoke a command, and command permission overwrites
// exist only as Member.Granted.
//
// Shutdown order matters: close every discordgo session before the server.
// NewSession registers the session's Close with t.Cleanup after the server's
// own cleanup, so the default order is right. If the server goes away first,
// discordgo's reconnect loop retries with a doubling back-off that never ends
// and stalls or leaks into later tests. Note that discordgo's Session.Close
// sleeps one second while it waits for the close handshake; run tests that open
// sessions with t.Parallel to keep the suite fast.
package discordtest
