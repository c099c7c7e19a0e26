package discordtest

import (
	"encoding/json"
	"strconv"
	"time"
)

// Sharding as Discord does it (topics/gateway: "Sharding", "Session Start
// Limit", "Gateway Close Event Codes").
const (
	// CloseShardingRequired is sent to an IDENTIFY whose shard would hold
	// more guilds than one session may.
	CloseShardingRequired = 4011
	// DiscordMaxGuildsPerShard is Discord's: a session handles at most
	// 2,500 guilds, and a bot in more must shard.
	DiscordMaxGuildsPerShard = 2500
	// identifyWindow is Discord's: max_concurrency IDENTIFYs per five
	// seconds for each rate_limit_key (shard_id % max_concurrency).
	identifyWindow = 5 * time.Second
)

// WithRecommendedShards sets the shard count GET /gateway/bot recommends
// (default 1).
func WithRecommendedShards(n int) Option {
	return func(c *config) { c.shards = n }
}

// SetRecommendedShards changes the shard count GET /gateway/bot
// recommends from now on, as Discord's grows with the bot's servers.
func (s *Server) SetRecommendedShards(n int) {
	s.mu.Lock()
	s.cfg.shards = n
	s.mu.Unlock()
}

// WithMaxConcurrency sets session_start_limit.max_concurrency and enforces
// it: one IDENTIFY per five seconds for each rate-limit key (shard_id %
// max_concurrency), so at most n in any five seconds. Without it the fake
// reports 1, as Discord does for most bots, but does not enforce it, so
// that the many tests that identify again and again on one server stay
// fast.
func WithMaxConcurrency(n int) Option {
	return func(c *config) {
		c.maxConcurrency = max(n, 1)
		c.enforceIdentifyRate = true
	}
}

// DiscordSessionStarts is Discord's session start limit for most bots:
// 1,000 IDENTIFYs a day over every shard (RESUMEs do not count).
const DiscordSessionStarts = 1000

// WithSessionStartLimit sets how many IDENTIFYs the bot may send per
// window (Discord: 1,000 a day) and reports what is left in GET
// /gateway/bot's session_start_limit. Discord answers the IDENTIFY past
// the limit as this fake does: every session of the bot is ended and its
// token reset (TokenResets), so the old token gets 4004 and 401.
func WithSessionStartLimit(total int, window time.Duration) Option {
	return func(c *config) { c.sessionStarts, c.sessionStartWindow = total, window }
}

// takeSessionStart counts an IDENTIFY and reports whether it was within the
// session start limit.
func (s *Server) takeSessionStart() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	left, _ := s.sessionStartsLeftLocked(time.Now())
	if left <= 0 {
		s.stats.TokenResets++
		s.notifyLocked()
		return false
	}
	s.sessionStarts = append(s.sessionStarts, time.Now())
	return true
}

// sessionStartsLeftLocked is what session_start_limit says at now: the
// IDENTIFYs left, and when the oldest counted stops counting.
func (s *Server) sessionStartsLeftLocked(now time.Time) (left int, resetAfter time.Duration) {
	recent := s.sessionStarts[:0]
	for _, t := range s.sessionStarts {
		if now.Sub(t) < s.cfg.sessionStartWindow {
			recent = append(recent, t)
		}
	}
	s.sessionStarts = recent
	resetAfter = s.cfg.sessionStartWindow
	if len(recent) > 0 {
		resetAfter = recent[0].Add(s.cfg.sessionStartWindow).Sub(now)
	}
	return s.cfg.sessionStarts - len(recent), resetAfter
}

// WithMaxGuildsPerShard sets how many guilds one session may hold before
// IDENTIFY is refused with 4011 Sharding Required (default Discord's 2,500,
// too many for a test to build).
func WithMaxGuildsPerShard(n int) Option {
	return func(c *config) { c.maxGuildsPerShard = n }
}

// ShardOf is the shard a guild's events go to: (guild_id >> 22) %
// num_shards. Direct messages, which have no guild, go to shard 0.
func ShardOf(guildID string, numShards int) int {
	id, err := strconv.ParseUint(guildID, 10, 64)
	if err != nil || numShards <= 1 {
		return 0
	}
	return int((id >> 22) % uint64(numShards))
}

// ShardSessions counts, per shard (as "n/count"), the sessions whose
// connection is up. Discord lets two sessions hold one shard (both get its
// events); a bot that does answers each slash command twice.
func (s *Server) ShardSessions() map[string]int {
	out := map[string]int{}
	for _, gs := range s.liveSessions() {
		gs.mu.Lock()
		up := gs.conn != nil
		gs.mu.Unlock()
		if up {
			out[strconv.Itoa(gs.shard[0])+"/"+strconv.Itoa(gs.shard[1])]++
		}
	}
	return out
}

// receives reports whether a session on this shard gets an event of guild
// guildID ("" for none: a direct message).
func (gs *gatewaySession) receives(guildID string) bool {
	return ShardOf(guildID, gs.shard[1]) == gs.shard[0]
}

// eventGuild is the guild an event belongs to: the object itself for
// GUILD_CREATE, GUILD_UPDATE and GUILD_DELETE, its guild_id otherwise.
func eventGuild(event string, raw json.RawMessage) string {
	var d struct {
		ID      string `json:"id"`
		GuildID string `json:"guild_id"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return ""
	}
	switch event {
	case "GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE":
		return d.ID
	}
	return d.GuildID
}

// guildsOnShardLocked counts the guilds shard n of count holds; s.mu held.
func (s *Server) guildsOnShardLocked(shard [2]int) int {
	n := 0
	for _, id := range s.guildOrder {
		if ShardOf(id, shard[1]) == shard[0] {
			n++
		}
	}
	return n
}

// identifyAllowed records an IDENTIFY of shard and reports whether it is
// within max_concurrency for its rate-limit key in the last five seconds.
// Discord answers one beyond that with op 9 Invalid Session.
func (s *Server) identifyAllowed(shard [2]int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.cfg.enforceIdentifyRate {
		return true
	}
	key := shard[0] % s.cfg.maxConcurrency
	now := time.Now() // Discord's window is on the wall clock, as the client's wait is
	recent := s.identifies[key][:0]
	for _, t := range s.identifies[key] {
		if now.Sub(t) < identifyWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) >= 1 {
		s.identifies[key] = recent
		s.stats.IdentifiesRateLimited++
		s.notifyLocked()
		return false
	}
	s.identifies[key] = append(recent, now)
	return true
}
