package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// SetBriefing creates or changes a channel's briefing, keeping its record of
// the last period handled so that changing the time cannot send a day twice.
// A server at its cap of briefings gets an *alerts.LimitError for a new
// one; changing an existing briefing is always allowed.
func (d *DB) SetBriefing(ctx context.Context, b alerts.BriefingSetting, createdBy string) error {
	err := d.inTx(ctx, func(tx *txn) error {
		if err := checkCap(ctx, tx, d.limits.BriefingsPerServer, "briefings in one server", "limits.briefings_per_server",
			`SELECT CASE WHEN EXISTS (SELECT 1 FROM briefings WHERE channel_id = ?) THEN 0 ELSE count(*) END FROM briefings WHERE guild_id = ?`,
			b.ChannelID, b.GuildID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO briefings (channel_id, guild_id, at, timezone, regions, query, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (channel_id) DO UPDATE SET
				at = excluded.at, timezone = excluded.timezone, regions = excluded.regions, query = excluded.query`,
			b.ChannelID, b.GuildID, b.At, b.Timezone, joinList(b.Regions), b.Query, createdBy, toMillis(d.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("save briefing of channel %s: %w", b.ChannelID, err)
	}
	return nil
}

// RemoveBriefing turns a channel's briefing off.
func (d *DB) RemoveBriefing(ctx context.Context, channelID string) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM briefings WHERE channel_id = ?`, channelID)
	if err != nil {
		return fmt.Errorf("remove briefing of channel %s: %w", channelID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("briefing of channel %s: %w", channelID, ErrNotFound)
	}
	return nil
}

const briefingColumns = `channel_id, guild_id, at, timezone, regions, query, last_period, last_sent_at`

// Briefing returns a channel's briefing setting.
func (d *DB) Briefing(ctx context.Context, channelID string) (alerts.BriefingSetting, error) {
	b, err := scanBriefing(d.db.QueryRowContext(ctx, `SELECT `+briefingColumns+` FROM briefings WHERE channel_id = ?`, channelID))
	if errors.Is(err, sql.ErrNoRows) {
		return alerts.BriefingSetting{}, fmt.Errorf("briefing of channel %s: %w", channelID, ErrNotFound)
	}
	if err != nil {
		return alerts.BriefingSetting{}, fmt.Errorf("read briefing of channel %s: %w", channelID, err)
	}
	return b, nil
}

// Briefings returns every channel's briefing setting.
func (d *DB) Briefings(ctx context.Context) ([]alerts.BriefingSetting, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+briefingColumns+` FROM briefings ORDER BY channel_id`)
	if err != nil {
		return nil, fmt.Errorf("list briefings: %w", err)
	}
	defer rows.Close()
	var out []alerts.BriefingSetting
	for rows.Next() {
		b, err := scanBriefing(rows)
		if err != nil {
			return nil, fmt.Errorf("list briefings: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// MarkBriefing records that a channel's briefing for period was handled:
// sent (sentAt set) or skipped (sentAt zero). It reports false when the
// period was already handled, which is how two runs of one schedule (a
// daylight-saving fall-back hour, a restart) end up sending once.
func (d *DB) MarkBriefing(ctx context.Context, channelID, period string, sentAt time.Time) (bool, error) {
	res, err := d.db.ExecContext(ctx, `
		UPDATE briefings SET last_period = ?, last_sent_at = CASE WHEN CAST(? AS BIGINT) > 0 THEN CAST(? AS BIGINT) ELSE last_sent_at END
		WHERE channel_id = ? AND last_period < ?`, period, toMillis(sentAt), toMillis(sentAt), channelID, period)
	if err != nil {
		return false, fmt.Errorf("mark briefing of channel %s: %w", channelID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ChannelStories returns every report of the events queued for a channel in
// [from, to), at most limit reports, grouped by event: what the channel was
// alerted about, with the other outlets that reported the same events, for
// its briefing. Other outlets' reports come only from feeds the channel's
// server may see.
func (d *DB) ChannelStories(ctx context.Context, guildID, channelID string, from, to time.Time, limit int) ([]alerts.Story, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+storyColumns+` FROM stories s
		WHERE cluster_id IN (SELECT cluster_id FROM outbox WHERE channel_id = ? AND created_at >= ? AND created_at < ? AND is_digest = 0)
			AND (`+visibleToGuild+` OR EXISTS (SELECT 1 FROM outbox q WHERE q.channel_id = ? AND q.feed_url = s.feed_url AND q.story_id = s.id))
		ORDER BY cluster_id, published, feed_url, id LIMIT ?`, channelID, toMillis(from), toMillis(to), guildID, channelID, limit)
	if err != nil {
		return nil, fmt.Errorf("list stories of channel %s: %w", channelID, err)
	}
	defer rows.Close()
	var out []alerts.Story
	for rows.Next() {
		s, err := scanStory(rows)
		if err != nil {
			return nil, fmt.Errorf("list stories of channel %s: %w", channelID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func scanBriefing(s scanner) (alerts.BriefingSetting, error) {
	var b alerts.BriefingSetting
	var regions string
	var sent int64
	err := s.Scan(&b.ChannelID, &b.GuildID, &b.At, &b.Timezone, &regions, &b.Query, &b.LastPeriod, &sent)
	b.Regions = splitList(regions)
	b.LastSentAt = fromMillis(sent)
	return b, err
}
