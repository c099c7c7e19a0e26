// Package alerts is Vigil's domain: the stories that feeds carry, what channels
// subscribe to, and the pipeline that turns a feed's bytes into matched alerts.
// It is pure logic: it knows neither Discord nor SQL.
package alerts

import (
	"errors"
	"time"
)

// ErrNotFound is returned when a feed, story or subscription asked for by
// key does not exist.
var ErrNotFound = errors.New("not found")

// Story is one news item, normalised from whatever feed format carried it.
type Story struct {
	// ID is the stable de-duplication key: the item's GUID, else its canonical
	// link, else a hash of title and date. Unique per feed.
	ID string
	// FeedURL is the URL of the feed the story was read from.
	FeedURL string
	// Source is the human name of the outlet (the feed's title or host).
	Source string
	// Title and Text are plain text: HTML stripped, entities decoded,
	// whitespace collapsed.
	Title string
	Text  string
	// Description is the feed's own short summary of the item, plain text,
	// kept when the feed gives the full text besides it (RSS description
	// beside content:encoded, Atom summary beside content). Summarising
	// reads it; it is not stored.
	Description string
	// URL is the absolute link to the article, tracking parameters removed.
	URL string
	// Published is when the outlet says it published the story; when the feed
	// gives no date, it is the time Vigil first saw it.
	Published time.Time
	// FirstSeen is when Vigil first read the story.
	FirstSeen time.Time

	// Filled in by the pipeline after parsing.

	// Countries are the ISO 3166-1 alpha-2 codes of the countries the story
	// is about (its focus), the most salient first.
	Countries []string
	// Regions are the slugs of the regions it is about, such as
	// "baltic-states", the most salient first.
	Regions []string
	// Mentions are the codes of every country the story names, the focus
	// first; MentionRegions likewise for regions.
	Mentions       []string
	MentionRegions []string
	// Summary is one to three sentences of plain text.
	Summary string
	// ClusterID names the event this story reports; stories of the same event
	// from different outlets share it.
	ClusterID string
}

// Subscription is what one Discord channel watches.
type Subscription struct {
	ID        int64
	GuildID   string
	ChannelID string
	// Query uses search-engine syntax: words ANDed, OR, "exact phrase",
	// -exclude, parentheses. Empty means every story (then Regions or Feeds
	// should narrow it).
	Query string
	// Regions are region slugs or ISO alpha-2 country codes; a story matches
	// when it is about any of them (or, with Scope ScopeMentions, names any
	// of them). Empty means anywhere.
	Regions []string
	// Scope says which of a story's places Regions are matched against:
	// ScopeFocus (the default, also when empty) or ScopeMentions.
	Scope string
	// Feeds are feed URLs; empty means every feed.
	Feeds []string
	// MentionRoleID is a role to mention with each alert, only when the
	// channel's admin asked for it.
	MentionRoleID string
	// Paused subscriptions match nothing; a channel that is gone or forbids
	// the bot is paused rather than retried for ever.
	Paused bool
}

// Scopes of a subscription's regions.
const (
	// ScopeFocus matches the places a story is about.
	ScopeFocus = "focus"
	// ScopeMentions matches every place a story names.
	ScopeMentions = "mentions"
)

// Places are what the tagger found in a story: see Story's fields of the
// same names.
type Places struct {
	Countries, Regions       []string
	Mentions, MentionRegions []string
}

// SetPlaces fills the story's place fields.
func (s *Story) SetPlaces(p Places) {
	s.Countries, s.Regions, s.Mentions, s.MentionRegions = p.Countries, p.Regions, p.Mentions, p.MentionRegions
}

// Match says that a story is wanted by a subscription.
type Match struct {
	StoryID        string
	FeedURL        string
	SubscriptionID int64
	ChannelID      string
	// Terms are the query words that hit, for display.
	Terms []string
	// Fold: the story came in a burst, far more than its feed's usual
	// poll, and is counted in the channel's digest instead of posted.
	Fold bool
}

// Delivery is one queued alert: a story for a channel, waiting in the outbox
// until Discord accepts it.
type Delivery struct {
	ID             int64
	ChannelID      string
	ClusterID      string
	SubscriptionID int64
	Story          Story
	Terms          []string
	MentionRoleID  string
	// Nonce is sent with the message so that Discord refuses a second post
	// of the same alert after a retry.
	Nonce     string
	Attempts  int
	CreatedAt time.Time
	// MessageID is the Discord message once sent; an edit targets it.
	MessageID string
	// AlsoReportedBy are the other outlets that reported the same event.
	AlsoReportedBy []string
	// AttemptedAt is when the first send whose outcome is unknown left;
	// zero if there was none.
	AttemptedAt time.Time
	// Digest: this is not one story but the channel's "N more stories
	// matched" message; Story is the first of them.
	Digest bool
	// GuildID is the server the alert is for.
	GuildID string
}

// Kinds of ChannelHold.
const (
	// HoldForbidden: Discord answered 403; one probe after the hold.
	HoldForbidden = "forbidden"
	// HoldRetry: a send failed in a way that may pass (5xx, timeout).
	HoldRetry = "retry"
	// HoldRateLimit: Discord answered 429 for the channel's route.
	HoldRateLimit = "rate_limit"
)

// ChannelHold stops deliveries to a channel until a time.
type ChannelHold struct {
	ChannelID string
	Until     time.Time
	Kind      string
	Reason    string
	// Failures counts the holds in a row, for back-off.
	Failures int
	Since    time.Time
}

// ChannelAlert is what a channel was queued for one event: the alert
// posted, waiting, folded into a digest by the channel's pace, or dropped.
type ChannelAlert struct {
	ChannelID, ClusterID string
	SubscriptionID       int64
	// FeedURL and StoryID are the report the alert is of.
	FeedURL, StoryID string
	// State is "pending", "sent" or "dropped".
	State string
	// LastError says why a dropped alert was dropped.
	LastError string
	// Folded: the channel was past its pace (or the story came in a
	// burst), so the story went into a digest message instead.
	Folded       bool
	Queued, Sent time.Time
}

// BriefingPart is one message of a composed briefing, stored before the
// first is sent.
type BriefingPart struct {
	ChannelID   string
	Period      string
	Part, Parts int
	// Body is the message as JSON, exactly as it will be posted.
	Body        []byte
	Nonce       string
	AttemptedAt time.Time
	MessageID   string
	SentAt      time.Time
}

// BriefingSetting is when and about what a channel gets its daily briefing.
type BriefingSetting struct {
	GuildID   string
	ChannelID string
	// At is the local time of day, "HH:MM".
	At string
	// Timezone is an IANA zone name such as "Europe/London".
	Timezone string
	// Regions and Query select stories beyond those already matched for the
	// channel; both empty means only the channel's own matches.
	Regions []string
	Query   string
	// LastPeriod is the local date ("2006-01-02") of the last briefing sent
	// or deliberately skipped.
	LastPeriod string
	LastSentAt time.Time
}
