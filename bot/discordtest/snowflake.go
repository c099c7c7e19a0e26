package discordtest

import (
	"strconv"
	"sync"
	"time"
)

// discordEpoch is the first millisecond of 2015, the zero of Discord's
// snowflakes (Discord: "Snowflakes" in the API reference).
const discordEpoch = 1420070400000

// snowflakes hands out unique, increasing Discord IDs derived from a clock.
type snowflakes struct {
	now  func() time.Time
	mu   sync.Mutex
	last uint64
}

// next returns a new snowflake: milliseconds since the Discord epoch in the
// top 42 bits, bumped past the previous ID so that IDs stay unique and
// ordered even when the clock stands still.
func (g *snowflakes) next() string {
	ms := uint64(max(g.now().UnixMilli()-discordEpoch, 0))
	id := ms << 22
	g.mu.Lock()
	if id <= g.last {
		id = g.last + 1
	}
	g.last = id
	g.mu.Unlock()
	return strconv.FormatUint(id, 10)
}
