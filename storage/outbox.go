package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// PendingDeliveries returns up to limit deliveries due at or before now,
// oldest first.
func (d *DB) PendingDeliveries(ctx context.Context, now time.Time, limit int) ([]alerts.Delivery, error) {
	out, err := d.deliveries(ctx, `o.state = 'pending' AND o.next_attempt_at <= ?`, toMillis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending deliveries: %w", err)
	}
	return out, nil
}

// PendingEdits returns up to limit sent alerts that another outlet's report
// of the same event should be added to.
func (d *DB) PendingEdits(ctx context.Context, limit int) ([]alerts.Delivery, error) {
	out, err := d.deliveries(ctx, `o.needs_edit = 1 AND o.state = 'sent'`, limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts to edit: %w", err)
	}
	return out, nil
}

// MarkEdited clears a delivery's pending edit.
func (d *DB) MarkEdited(ctx context.Context, id int64) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET needs_edit = 0 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("mark alert %d edited: %w", id, err)
	}
	return nil
}

// deliveries reads the outbox rows matching where, oldest first, with their
// stories and the other outlets of their events; args are where's
// parameters followed by the row limit.
func (d *DB) deliveries(ctx context.Context, where string, args ...any) ([]alerts.Delivery, error) {
	rows, err := d.db.QueryContext(ctx, `
		SELECT o.id, o.channel_id, o.cluster_id, o.subscription_id, o.terms, o.mention_role_id, o.nonce, o.attempts, o.created_at, o.message_id, o.attempted_at,
			o.is_digest, o.guild_id, `+storyColumns+`
		FROM outbox o JOIN stories s ON s.feed_url = o.feed_url AND s.id = o.story_id
		WHERE `+where+`
		ORDER BY o.id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	var out []alerts.Delivery
	for rows.Next() {
		var dl alerts.Delivery
		var terms string
		var created, attempted int64
		s, err := scanStory(rows, &dl.ID, &dl.ChannelID, &dl.ClusterID, &dl.SubscriptionID, &terms, &dl.MentionRoleID, &dl.Nonce, &dl.Attempts, &created, &dl.MessageID, &attempted,
			&dl.Digest, &dl.GuildID)
		if err != nil {
			rows.Close()
			return nil, err
		}
		dl.Story = s
		dl.Terms = splitList(terms)
		dl.CreatedAt = fromMillis(created)
		dl.AttemptedAt = fromMillis(attempted)
		out = append(out, dl)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Digest {
			continue
		}
		if out[i].AlsoReportedBy, err = d.otherOutlets(ctx, out[i].GuildID, out[i].Story); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// otherOutlets are the sources, other than s's own, of the stories in s's
// event, in the order they reported it: only from feeds the alert's server
// may see, or naming an outlet would tell it of another server's feed.
func (d *DB) otherOutlets(ctx context.Context, guildID string, s alerts.Story) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT s.source FROM stories s WHERE s.cluster_id = ? AND s.source != ? AND s.source != ''
			AND `+visibleToGuild+`
		GROUP BY s.source ORDER BY min(s.first_seen), s.source`, s.ClusterID, s.Source, guildID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var src string
		if err := rows.Scan(&src); err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, rows.Err()
}

// PendingCount is how many deliveries wait to be sent.
func (d *DB) PendingCount(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE state = 'pending'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return n, nil
}

// MarkDelivered records that Discord accepted delivery id as messageID.
func (d *DB) MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, last_error = '', attempts = attempts + 1
		WHERE id = ?`, messageID, toMillis(at), id)
	if err != nil {
		return fmt.Errorf("mark delivery %d sent: %w", id, err)
	}
	return nil
}

// RetryDelivery records a failed attempt and when to try again.
func (d *DB) RetryDelivery(ctx context.Context, id int64, cause error, next time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
		WHERE id = ?`, cause.Error(), toMillis(next), id)
	if err != nil {
		return fmt.Errorf("reschedule delivery %d: %w", id, err)
	}
	return nil
}

// DropDelivery gives up on a delivery, keeping the reason; used when the
// channel is gone, so the row stops blocking nothing and stays inspectable.
func (d *DB) DropDelivery(ctx context.Context, id int64, cause error) error {
	_, err := d.db.ExecContext(ctx, `UPDATE outbox SET state = 'dropped', attempts = attempts + 1, last_error = ?
		WHERE id = ?`, cause.Error(), id)
	if err != nil {
		return fmt.Errorf("drop delivery %d: %w", id, err)
	}
	return nil
}

// RecentDeliveries returns the stories last delivered to a channel, newest
// first.
func (d *DB) RecentDeliveries(ctx context.Context, channelID string, limit int) ([]alerts.Story, error) {
	rows, err := d.db.QueryContext(ctx, `
		SELECT `+storyColumns+`
		FROM outbox o JOIN stories s ON s.feed_url = o.feed_url AND s.id = o.story_id
		WHERE o.channel_id = ? AND o.state = 'sent' AND o.is_digest = 0
		ORDER BY o.sent_at DESC, o.id DESC LIMIT ?`, channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("list recent alerts of channel %s: %w", channelID, err)
	}
	defer rows.Close()
	var out []alerts.Story
	for rows.Next() {
		s, err := scanStory(rows)
		if err != nil {
			return nil, fmt.Errorf("list recent alerts of channel %s: %w", channelID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DropChannelDeliveries gives up every pending delivery to a channel that is
// gone or forbids the bot, so they stop being retried.
func (d *DB) DropChannelDeliveries(ctx context.Context, channelID string, cause error) (int, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE outbox SET state = 'dropped', last_error = ? WHERE channel_id = ? AND state = 'pending'`,
		cause.Error(), channelID)
	if err != nil {
		return 0, fmt.Errorf("drop deliveries of channel %s: %w", channelID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
