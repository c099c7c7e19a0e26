package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Connecting in the background.
const (
	// connectBase and connectMax space connection attempts while Discord
	// cannot be reached; the cap keeps the wait after Discord's return
	// short.
	connectBase = time.Second
	connectMax  = 8 * time.Second
	// connectTimeout bounds one attempt: dialling, READY and registering
	// the slash commands.
	connectTimeout = 30 * time.Second
)

// ErrGatewayClosed is returned by Connect when Discord closed the gateway
// with a code after which reconnecting cannot help (an invalid intent, a
// sharding requirement).
var ErrGatewayClosed = errors.New("Discord closed the gateway for good")

// Connection is the bot's link to Discord as /healthz and the metrics show
// it.
type Connection struct {
	// Connected is true while every gateway shard this process holds is
	// up (and once connected, when it holds none: REST needs no gateway).
	Connected bool
	// Shards are the gateway shards this process holds, of ShardCount.
	Shards     []int
	ShardCount int
	// Attempts counts the connection attempts that failed since the last
	// success; LastError is the latest one's, NextAttempt when the next is.
	Attempts    int
	LastError   string
	NextAttempt time.Time
	// DeliveryHeld is true while Discord does not answer sends, since
	// HeldSince, for HeldBecause.
	DeliveryHeld bool
	HeldSince    time.Time
	HeldBecause  string
}

// connState is the mutable part of Connection.
type connState struct {
	mu          sync.Mutex
	connected   bool
	attempts    int
	lastError   string
	nextAttempt time.Time
}

// Connection reports the bot's link to Discord.
func (b *Bot) Connection() Connection {
	b.conn.mu.Lock()
	c := Connection{Connected: b.conn.connected, Shards: b.Shards(), ShardCount: b.ShardCount(), Attempts: b.conn.attempts, LastError: b.conn.lastError, NextAttempt: b.conn.nextAttempt}
	b.conn.mu.Unlock()
	c.DeliveryHeld, c.HeldSince, c.HeldBecause = b.outage.state()
	return c
}

func (b *Bot) setConnected(up bool) {
	b.conn.mu.Lock()
	defer b.conn.mu.Unlock()
	b.conn.connected = up
	if up {
		b.conn.attempts, b.conn.lastError, b.conn.nextAttempt = 0, "", time.Time{}
	}
}

// Connect opens the gateway and registers the slash commands, trying again
// with back-off (connectBase doubling to connectMax) while Discord cannot be
// reached, and saying so in the log. It returns nil once connected; after
// that discordgo keeps the connection up. It gives up only when ctx ends,
// when Discord refuses the token (ErrTokenRejected) or when it closes the
// gateway for good (ErrGatewayClosed): trying again cannot help then.
// Sharding required (4011) is not for good: the bot moves to more shards
// where it may, and where it may not it connects without the shards
// Discord refused, so that alerts are still delivered.
func (b *Bot) Connect(ctx context.Context) error {
	delay := connectBase
	shardingRequired := false
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, connectTimeout)
		err := b.Open(actx)
		cancel()
		if err == nil {
			b.setConnected(true)
			if attempt > 1 {
				b.log.Info("connected to Discord after it could not be reached; slash commands and delivery start now", "attempts", attempt)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if b.TokenRejected() {
			return ErrTokenRejected
		}
		code := b.fatalCode()
		if code == closeShardingRequired && !shardingRequired {
			// Not fatal to the bot: the next Open re-shards, or, where
			// it cannot, opens no shard and says why, and delivery
			// (which needs no gateway) starts all the same.
			shardingRequired = true
			continue
		}
		if code != 0 && code != closeShardingRequired {
			return fmt.Errorf("%w (code %d: %s)", ErrGatewayClosed, code, fatalCloseCodes[code])
		}
		b.conn.mu.Lock()
		b.conn.attempts, b.conn.lastError, b.conn.nextAttempt = attempt, err.Error(), time.Now().Add(delay)
		b.conn.mu.Unlock()
		b.log.Warn("Discord cannot be reached; feeds are still polled and alerts queue until it can; trying again",
			"attempt", attempt, "retry_in", delay, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, connectMax)
	}
}

// onConnect follows a shard's gateway as discordgo reconnects it.
// A gateway that is back means Discord is: a delivery outage is probed at
// once rather than at its back-off.
func (b *Bot) onConnect() {
	b.outage.probeNow()
	b.Wake()
}
