package alerts

import "time"

// Feed is a feed Vigil polls and what polling it has shown.
type Feed struct {
	URL   string
	Title string
	// Owners are the servers that added the feed with /feeds add, and ""
	// for the operator's config, which shares a feed with every server. A
	// feed no one owns is not polled.
	Owners       []string
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
	// NewItemsAvg is how many new items a poll of the feed usually brings
	// (a moving average): the measure a burst is judged by.
	NewItemsAvg float64
	// UnfinishedSaved is how many stories of the feed's last poll are
	// saved when saving it failed part way (a large poll is saved in
	// parts); the next poll brings the rest again and finishes it.
	UnfinishedSaved int
	// UnfinishedBurst is set when that unfinished poll was a burst, so
	// that the rest fold as its first parts did instead of alerting for
	// being few on their own.
	UnfinishedBurst bool
}

// Operator is the owner that stands for the operator's config file.
const Operator = ""

// VisibleTo reports whether a server may see and use the feed: it added
// the feed, or the operator shares it with everyone.
func (f Feed) VisibleTo(guildID string) bool {
	for _, o := range f.Owners {
		if o == Operator || o == guildID {
			return true
		}
	}
	return false
}

// OwnedBy reports whether the owner (a server, or Operator) added the feed.
func (f Feed) OwnedBy(owner string) bool {
	for _, o := range f.Owners {
		if o == owner {
			return true
		}
	}
	return false
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
	// Folded is how many of those were folded into a channel's digest
	// rather than posted: past the channel's hourly pace, or from a burst.
	Folded int
}
