package storage

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/vigilbot/vigil/alerts"
)

// AddSubscription stores a subscription and returns it with its new ID. A
// channel or server at its cap gets an *alerts.LimitError.
func (d *DB) AddSubscription(ctx context.Context, s alerts.Subscription, createdBy string) (alerts.Subscription, error) {
	err := d.inTx(ctx, func(tx *txn) error {
		if err := checkCap(ctx, tx, d.limits.SubscriptionsPerChannel, "subscriptions in one channel", "limits.subscriptions_per_channel",
			`SELECT count(*) FROM subscriptions WHERE channel_id = ?`, s.ChannelID); err != nil {
			return err
		}
		if err := checkCap(ctx, tx, d.limits.SubscriptionsPerServer, "subscriptions in one server", "limits.subscriptions_per_server",
			`SELECT count(*) FROM subscriptions WHERE guild_id = ?`, s.GuildID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `
			INSERT INTO subscriptions (guild_id, channel_id, query, regions, feeds, mention_role_id, paused, created_by, created_at, scope)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			s.GuildID, s.ChannelID, s.Query, joinList(s.Regions), joinList(s.Feeds), s.MentionRoleID, s.Paused, createdBy, toMillis(d.now()), scopeOf(s)).
			Scan(&s.ID)
	})
	if err != nil {
		return alerts.Subscription{}, fmt.Errorf("add subscription for channel %s: %w", s.ChannelID, err)
	}
	return s, nil
}

// checkCap counts with query and refuses when the count has reached limit
// (0 is no limit).
func checkCap(ctx context.Context, tx *txn, limit int, what, key, query string, args ...any) error {
	if limit <= 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return err
	}
	if n >= limit {
		return &alerts.LimitError{What: what, Key: key, Limit: limit}
	}
	return nil
}

// scopeOf is the scope stored for s: focus unless it asks for mentions.
func scopeOf(s alerts.Subscription) string {
	if s.Scope == alerts.ScopeMentions {
		return alerts.ScopeMentions
	}
	return alerts.ScopeFocus
}

// RemoveSubscription deletes subscription id of channelID; the channel check
// keeps one channel's admin from removing another's by guessing IDs.
func (d *DB) RemoveSubscription(ctx context.Context, channelID string, id int64) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = ? AND channel_id = ?`, id, channelID)
	if err != nil {
		return fmt.Errorf("remove subscription %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove subscription %d of channel %s: %w", id, channelID, ErrNotFound)
	}
	return nil
}

// SetChannelPaused pauses or resumes every subscription of a channel.
func (d *DB) SetChannelPaused(ctx context.Context, channelID string, paused bool) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE subscriptions SET paused = ? WHERE channel_id = ?`, paused, channelID); err != nil {
		return fmt.Errorf("pause channel %s: %w", channelID, err)
	}
	return nil
}

// subscriptionColumns are the columns scanSubscriptions reads, from
// subscriptions aliased s.
const subscriptionColumns = `s.id, s.guild_id, s.channel_id, s.query, s.regions, s.feeds, s.mention_role_id, s.paused, s.scope`

// Subscriptions returns every subscription, by ID; with a non-empty
// channelID, only that channel's.
func (d *DB) Subscriptions(ctx context.Context, channelID string) ([]alerts.Subscription, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+subscriptionColumns+`
		FROM subscriptions s WHERE ? = '' OR s.channel_id = ? ORDER BY s.id`, channelID, channelID)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	out, err := scanSubscriptions(rows)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return out, nil
}

// scanSubscriptions reads and closes rows of subscriptionColumns.
func scanSubscriptions(rows *sql.Rows) ([]alerts.Subscription, error) {
	defer rows.Close()
	var out []alerts.Subscription
	for rows.Next() {
		var s alerts.Subscription
		var regions, feeds string
		if err := rows.Scan(&s.ID, &s.GuildID, &s.ChannelID, &s.Query, &regions, &feeds, &s.MentionRoleID, &s.Paused, &s.Scope); err != nil {
			return nil, err
		}
		s.Regions, s.Feeds = splitList(regions), splitList(feeds)
		out = append(out, s)
	}
	return out, rows.Err()
}

// GuildSubscriptionCount is how many subscriptions a server has, over all
// its channels.
func (d *DB) GuildSubscriptionCount(ctx context.Context, guildID string) (int, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE guild_id = ?`, guildID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count subscriptions of server %s: %w", guildID, err)
	}
	return n, nil
}

// SubscriptionsFingerprint changes whenever a subscription is added, removed,
// paused or resumed, so a process can tell cheaply when to rebuild its index.
func (d *DB) SubscriptionsFingerprint(ctx context.Context) (string, error) {
	// The feed lists' length catches a feed pruned from a subscription;
	// the owners' count, a server gaining or losing a feed.
	var n, maxID, paused, sumID, feedsLen, owners int64
	err := d.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0), coalesce(sum(paused), 0), coalesce(sum(id), 0),
			coalesce(sum(length(feeds)), 0), (SELECT count(*) FROM feed_owners) FROM subscriptions`).
		Scan(&n, &maxID, &paused, &sumID, &feedsLen, &owners)
	if err != nil {
		return "", fmt.Errorf("fingerprint subscriptions: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d/%d/%d/%d", n, maxID, paused, sumID, feedsLen, owners), nil
}

// PauseChannel pauses a channel's subscriptions and returns the members who
// created those that were running, so they can be told; none when the
// channel was already paused.
func (d *DB) PauseChannel(ctx context.Context, channelID string) ([]string, error) {
	var creators []string
	err := d.inTx(ctx, func(tx *txn) error {
		var err error
		creators, err = queryStrings(ctx, tx, `SELECT DISTINCT created_by FROM subscriptions
			WHERE channel_id = ? AND paused = 0 AND created_by != '' ORDER BY created_by`, channelID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscriptions SET paused = 1 WHERE channel_id = ?`, channelID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pause channel %s: %w", channelID, err)
	}
	return creators, nil
}
