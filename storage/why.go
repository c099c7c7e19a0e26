package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// StoriesByURL returns, newest first, at most limit stories first seen
// since from whose link is url, from the feeds a server may see: what
// /watch why explains. Several feeds can carry the same link.
func (d *DB) StoriesByURL(ctx context.Context, guildID, url string, from time.Time, limit int) ([]alerts.Story, error) {
	// Bounded by first_seen, which is indexed, so the scan for a link,
	// which is not, reads only the stories in reach.
	rows, err := d.db.QueryContext(ctx, `SELECT `+storyColumns+` FROM stories s
		WHERE s.first_seen >= ? AND s.url = ? AND `+visibleToGuild+`
		ORDER BY s.first_seen DESC, s.feed_url, s.id LIMIT ?`, toMillis(from), url, guildID, limit)
	if err != nil {
		return nil, fmt.Errorf("find stories linking %s for server %s: %w", url, guildID, err)
	}
	defer rows.Close()
	var out []alerts.Story
	for rows.Next() {
		s, err := scanStory(rows)
		if err != nil {
			return nil, fmt.Errorf("find stories linking %s for server %s: %w", url, guildID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ChannelAlert returns what a channel was queued for a story's event (its
// cluster), if anything: a channel gets one alert an event, so a later
// report of it is not posted again.
func (d *DB) ChannelAlert(ctx context.Context, channelID string, s alerts.Story) (alerts.ChannelAlert, bool, error) {
	clusterID := clusterKey(s)
	var a alerts.ChannelAlert
	var created, sent int64
	var digestID int64
	err := d.db.QueryRowContext(ctx, `SELECT subscription_id, feed_url, story_id, state, last_error, created_at, sent_at, digest_id
		FROM outbox WHERE channel_id = ? AND cluster_id = ?`, channelID, clusterID).
		Scan(&a.SubscriptionID, &a.FeedURL, &a.StoryID, &a.State, &a.LastError, &created, &sent, &digestID)
	if errors.Is(err, sql.ErrNoRows) {
		return alerts.ChannelAlert{}, false, nil
	}
	if err != nil {
		return alerts.ChannelAlert{}, false, fmt.Errorf("read alert of channel %s for event %s: %w", channelID, clusterID, err)
	}
	a.ChannelID, a.ClusterID = channelID, clusterID
	a.Queued, a.Sent = fromMillis(created), fromMillis(sent)
	a.Folded = digestID != 0
	return a, true, nil
}
