package main

import (
	"fmt"

	"github.com/vigilbot/vigil/alerts"
)

// LimitsConfig is the [limits] table: what one server may set up on a
// shared bot, and how fast one channel is alerted.
type LimitsConfig struct {
	FeedsPerServer          int `toml:"feeds_per_server"`
	SubscriptionsPerServer  int `toml:"subscriptions_per_server"`
	SubscriptionsPerChannel int `toml:"subscriptions_per_channel"`
	BriefingsPerServer      int `toml:"briefings_per_server"`
	ChannelAlertsPerHour    int `toml:"channel_alerts_per_hour"`
}

func defaultLimits() LimitsConfig {
	d := alerts.DefaultLimits
	return LimitsConfig{
		FeedsPerServer:          d.FeedsPerServer,
		SubscriptionsPerServer:  d.SubscriptionsPerServer,
		SubscriptionsPerChannel: d.SubscriptionsPerChannel,
		BriefingsPerServer:      d.BriefingsPerServer,
		ChannelAlertsPerHour:    d.ChannelAlertsPerHour,
	}
}

// limits is the table as the store enforces it.
func (l LimitsConfig) limits() alerts.Limits {
	return alerts.Limits{
		FeedsPerServer:          l.FeedsPerServer,
		SubscriptionsPerServer:  l.SubscriptionsPerServer,
		SubscriptionsPerChannel: l.SubscriptionsPerChannel,
		BriefingsPerServer:      l.BriefingsPerServer,
		ChannelAlertsPerHour:    l.ChannelAlertsPerHour,
	}
}

// Upper bounds: past them a cap no longer protects anyone, and a typo
// (an extra zero or three) is more likely than intent.
const (
	maxFeedsPerServer         = 10_000
	maxSubscriptionsPerServer = 100_000
	// Discord allows a channel about 5 messages per 5 seconds; 3,600 an
	// hour is one a second, sustained.
	maxChannelAlertsPerHour = 3_600
)

// check returns the first key out of range and why; "" when all are fine.
func (l LimitsConfig) check() (key, msg string) {
	for _, c := range []struct {
		key      string
		v, lo, h int
	}{
		{"limits.feeds_per_server", l.FeedsPerServer, 1, maxFeedsPerServer},
		{"limits.subscriptions_per_server", l.SubscriptionsPerServer, 1, maxSubscriptionsPerServer},
		{"limits.subscriptions_per_channel", l.SubscriptionsPerChannel, 1, min(l.SubscriptionsPerServer, maxSubscriptionsPerServer)},
		{"limits.briefings_per_server", l.BriefingsPerServer, 1, maxFeedsPerServer},
		{"limits.channel_alerts_per_hour", l.ChannelAlertsPerHour, 1, maxChannelAlertsPerHour},
	} {
		if c.v < c.lo || c.v > c.h {
			return c.key, fmt.Sprintf("must be from %d to %d, got %d", c.lo, c.h, c.v)
		}
	}
	return "", ""
}
