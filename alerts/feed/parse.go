package feed

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/vigilbot/vigil/alerts"
)

// Limits on what one story keeps.
const (
	// maxIDBytes bounds the de-duplication key stored per story; longer
	// GUIDs and links are replaced by their hash. 256 bytes keeps the
	// storage index small while every real GUID and article URL fits.
	maxIDBytes = 256
	// maxTextBytes bounds a story's text: summaries and tagging read the
	// opening of an article, and full-content feeds can carry whole books.
	maxTextBytes = 64 << 10
	// maxFallbackTitleRunes is how much of the text stands in for a missing
	// title, about the length of a headline.
	maxFallbackTitleRunes = 120
	// maxTitleRunes bounds a title (a story's, or a feed's, which becomes
	// every story's source). Discord: an embed title holds at most 256
	// characters; twice that keeps every real headline whole for matching,
	// and a feed can no longer make one title as large as its body.
	maxTitleRunes = 512
)

// hashIDPrefix marks IDs that are hashes rather than GUIDs or links.
const hashIDPrefix = "sha256:"

// Feed is a parsed feed document.
type Feed struct {
	// Title is the feed's title as plain text; it may be empty.
	Title string
	// Link is the absolute URL of the outlet's site, if the feed gives one.
	Link string
	// Format is "rss", "atom" or "json".
	Format string
	// Stories are the feed's items in document order, one per ID.
	Stories []alerts.Story
}

// Parse reads an RSS, Atom or JSON Feed document fetched from feedURL and
// normalises its items into stories first seen at now. An error names the
// feed and matches ErrInvalidFeed when the bytes are not a feed.
func Parse(feedURL string, body []byte, now time.Time) (*Feed, error) {
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, &Error{URL: feedURL, Err: fmt.Errorf("%w: %w", ErrInvalidFeed, err)}
	}
	return normalise(feedURL, parsed, now), nil
}

// normalise turns gofeed's universal feed into Vigil's stories.
func normalise(feedURL string, parsed *gofeed.Feed, now time.Time) *Feed {
	now = now.UTC()
	feedBase, _ := url.Parse(strings.TrimSpace(feedURL))
	if feedBase != nil && !feedBase.IsAbs() {
		feedBase = nil
	}
	out := &Feed{
		Title:  shorten(plainText(parsed.Title), maxTitleRunes),
		Link:   boundedURL(canonicalURL(feedBase, parsed.Link)),
		Format: parsed.FeedType,
	}

	// Relative item links are relative to the site's link when the feed
	// gives one (RSS convention), else to the feed's own URL.
	base := feedBase
	if out.Link != "" {
		base, _ = url.Parse(out.Link)
	}
	source := out.Title
	if source == "" && feedBase != nil {
		source = strings.TrimPrefix(feedBase.Hostname(), "www.")
	}

	out.Stories = make([]alerts.Story, 0, len(parsed.Items))
	seen := make(map[string]struct{}, len(parsed.Items))
	for _, item := range parsed.Items {
		if item == nil {
			continue
		}
		s := normaliseItem(item, base, now)
		if _, dup := seen[s.ID]; dup {
			continue
		}
		seen[s.ID] = struct{}{}
		s.FeedURL = feedURL
		s.Source = source
		out.Stories = append(out.Stories, s)
	}
	return out
}

// normaliseItem builds a story from one item; the caller sets the fields
// that come from the feed.
func normaliseItem(item *gofeed.Item, base *url.URL, now time.Time) alerts.Story {
	s := alerts.Story{
		Title: shorten(plainText(item.Title), maxTitleRunes),
		Text:  truncateUTF8(plainTextBlocks(firstNonEmpty(item.Content, item.Description)), maxTextBytes),
		// With full content the description is the publisher's own summary,
		// or a cut copy of the lead: summarising decides which.
		Description: descriptionBesideContent(item),
		URL:         canonicalURL(base, itemLink(item)),
		Published:   now,
		FirstSeen:   now,
	}
	switch {
	case item.PublishedParsed != nil && !item.PublishedParsed.IsZero():
		s.Published = item.PublishedParsed.UTC()
	case item.UpdatedParsed != nil && !item.UpdatedParsed.IsZero():
		s.Published = item.UpdatedParsed.UTC()
	}
	if s.Title == "" {
		s.Title = headline(s.Text)
	}
	// The ID is taken from the whole link, so that items whose overlong
	// links differ stay apart once the links are dropped.
	s.ID = storyID(item, s)
	s.URL = boundedURL(s.URL)
	return s
}

// storyID is the de-duplication key: the GUID, else the canonical link, else
// a hash of title and date (and text, when both are missing, so that
// distinct untitled, undated items stay distinct).
func storyID(item *gofeed.Item, s alerts.Story) string {
	id := strings.TrimSpace(item.GUID)
	if id == "" {
		id = s.URL
	}
	if id == "" {
		date := firstNonEmpty(strings.TrimSpace(item.Published), strings.TrimSpace(item.Updated))
		key := s.Title + "\n" + date
		if s.Title == "" && date == "" {
			key += "\n" + s.Text
		}
		return hashID(key)
	}
	if len(id) > maxIDBytes || !utf8.ValidString(id) {
		return hashID(id)
	}
	return id
}

// hashID is a bounded, prefixed key for id.
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hashIDPrefix + hex.EncodeToString(sum[:])
}

// itemLink is the item's link, else the first of its other links.
func itemLink(item *gofeed.Item) string {
	if link := strings.TrimSpace(item.Link); link != "" {
		return link
	}
	for _, l := range item.Links {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// headline cuts text to a title's length at a word boundary.
func headline(text string) string { return shorten(text, maxFallbackTitleRunes) }

// shorten cuts text to at most n runes followed by "…", at the last space
// when there is one in the second half so that no word is split.
func shorten(text string, n int) string {
	if len(text) <= n || utf8.RuneCountInString(text) <= n {
		return text
	}
	cut, count := 0, 0
	for i := range text {
		if count == n {
			cut = i
			break
		}
		count++
	}
	if sp := strings.LastIndexByte(text[:cut], ' '); sp > cut/2 {
		cut = sp
	}
	return text[:cut] + "…"
}

// boundedURL drops a link longer than browsers and CDNs accept: cutting it
// would only make a broken link, and such lengths are mistakes or abuse.
func boundedURL(link string) string {
	if len(link) > maxURLLength {
		return ""
	}
	return link
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " ")
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// maxDescriptionBytes bounds a description kept beside the content; a real
// summary is a sentence or two.
const maxDescriptionBytes = 2 << 10

// descriptionBesideContent is the item's description as plain text when the
// item also has content; "" otherwise (then the description is the text).
func descriptionBesideContent(item *gofeed.Item) string {
	if strings.TrimSpace(item.Content) == "" || strings.TrimSpace(item.Description) == "" {
		return ""
	}
	return truncateUTF8(plainText(item.Description), maxDescriptionBytes)
}
