package alerts

import "time"

// Peer is one `vigil run` process sharing the database with others.
type Peer struct {
	// ID names the process for as long as it runs: its host, its PID and a
	// random part, since PIDs are reused.
	ID      string
	Host    string
	PID     int
	Started time.Time
	// Seen is its latest heartbeat; past Expires it counts as dead.
	Seen    time.Time
	Expires time.Time
	// ShardCount is the number of gateway shards it splits the bot's
	// gateway into, 0 until it knows.
	ShardCount int
}

// Lease is one peer's claim on a piece of work until Expires.
type Lease struct {
	Name    string
	Holder  string
	Taken   time.Time
	Expires time.Time
}
