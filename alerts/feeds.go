package alerts

import "time"

// Feed is a feed Vigil polls and what polling it has shown.
type Feed struct {
	URL   string
	Title string
	// GuildID is the server that added the feed with /feeds add; empty for
	// feeds from the config file.
	GuildID      string
	Interval     time.Duration
	FetchArticle bool

	// Validators from the last successful poll, sent back for a conditional GET.
	ETag         string
	LastModified string

	LastPollAt          time.Time
	LastSuccessAt       time.Time
	LastError           string
	ConsecutiveFailures int
	// LastItemCount is how many items the last good poll held; a sharp drop
	// is suspicious.
	LastItemCount int
	// Primed is set once the first poll has recorded what the feed held, so
	// later polls alert only on what is new.
	Primed  bool
	AddedAt time.Time
}

// PollResult is what one poll of a feed learned.
type PollResult struct {
	At time.Time
	// Err is the error that failed the poll; nil for success or not-modified.
	Err error
	// NotModified means the server answered 304.
	NotModified  bool
	Title        string
	ETag         string
	LastModified string
	ItemCount    int
}

// SaveResult counts what storing a poll's stories wrote.
type SaveResult struct {
	// Stories is how many stories were new.
	Stories int
	// Deliveries is how many alerts were queued for channels.
	Deliveries int
}
