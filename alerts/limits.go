package alerts

import "fmt"

// Limits cap what one server may set up and how fast a channel is
// alerted, so that one server, careless or hostile, cannot crowd out the
// others sharing the bot. Zero means no limit.
type Limits struct {
	FeedsPerServer          int
	SubscriptionsPerServer  int
	SubscriptionsPerChannel int
	BriefingsPerServer      int
	// ChannelAlertsPerHour: past this many alerts in an hour, a channel's
	// further matches are folded into one digest message.
	ChannelAlertsPerHour int
}

// DefaultLimits are generous for a newsroom and still keep one server's
// share of a public bot small.
var DefaultLimits = Limits{
	FeedsPerServer:          50,
	SubscriptionsPerServer:  500,
	SubscriptionsPerChannel: 25,
	BriefingsPerServer:      50,
	ChannelAlertsPerHour:    60,
}

// LimitError says which cap refused a change.
type LimitError struct {
	// What is capped, in words: "subscriptions in this channel".
	What string
	// Key is the config key that sets the cap: "limits.feeds_per_server".
	Key   string
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("limit reached: at most %d %s (%s)", e.Limit, e.What, e.Key)
}
