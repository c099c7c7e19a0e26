package discordtest

import (
	"log/slog"
	"time"

	"github.com/bwmarrin/discordgo"
)

// config is what the options set; NewServer fills the defaults.
type config struct {
	token     string
	bot       discordgo.User
	appID     string
	guilds    []*discordgo.Guild
	heartbeat time.Duration
	limits    RateLimits
	now       func() time.Time
	logger    *slog.Logger
	compress  bool
	// shards, maxConcurrency and maxGuildsPerShard are the sharding
	// rules (shards.go).
	shards            int
	maxConcurrency    int
	maxGuildsPerShard int
	// enforceIdentifyRate is set by WithMaxConcurrency.
	enforceIdentifyRate bool
	// sessionStarts IDENTIFYs are allowed per sessionStartWindow
	// (WithSessionStartLimit).
	sessionStarts      int
	sessionStartWindow time.Duration
}

// Option configures a Server.
type Option func(*config)

// WithToken sets the bot token (without the "Bot " prefix) that IDENTIFY and
// the REST Authorization header must carry.
func WithToken(token string) Option {
	return func(c *config) { c.token = token }
}

// WithBotUser sets the bot's user ID and name; the application ID follows the
// user ID unless WithApplicationID is also given.
func WithBotUser(id, username string) Option {
	return func(c *config) {
		c.bot.ID = id
		c.bot.Username = username
	}
}

// WithApplicationID sets the application ID that READY reports and the
// application-command and webhook routes accept.
func WithApplicationID(id string) Option {
	return func(c *config) { c.appID = id }
}

// WithGuild adds a guild that READY lists as unavailable and GUILD_CREATE
// then delivers with its channels, roles and members. The server keeps its
// own copy. Channels without a GuildID get the guild's.
func WithGuild(g *discordgo.Guild) Option {
	return func(c *config) { c.guilds = append(c.guilds, cloneJSON(g)) }
}

// WithHeartbeatInterval sets the interval HELLO announces. discordgo treats
// five intervals without an ACK as a dead connection.
func WithHeartbeatInterval(d time.Duration) Option {
	return func(c *config) { c.heartbeat = d }
}

// WithRateLimit sets the limits the fake enforces and reports in its
// X-RateLimit headers; DiscordRateLimits gives Discord's own.
func WithRateLimit(limits RateLimits) Option {
	return func(c *config) { c.limits = limits }
}

// WithClock sets the clock used for snowflakes, timestamps, the nonce window,
// interaction deadlines and rate-limit windows. discordgo itself waits on the
// wall clock, so keep real time for tests that depend on rate limits.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithLogger sets where the fake logs gateway and REST traffic; the default
// discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithoutCompression makes the gateway send plain text frames even when
// IDENTIFY asks for compression.
func WithoutCompression() Option {
	return func(c *config) { c.compress = false }
}
