package alerts

import (
	"strings"
	"time"
)

// FormatDuration writes d the way people write durations in a config file
// or a sentence: "24h", "1h30m", "45s", not time.Duration's "24h0m0s".
// Below a minute it keeps whole seconds; a sub-second duration stays as Go
// writes it ("250ms"), because rounding it to "0s" would say nothing.
func FormatDuration(d time.Duration) string {
	if d < time.Second && d > -time.Second {
		return d.String()
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
