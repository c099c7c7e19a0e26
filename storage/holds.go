package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// DueChannels returns up to limit channels with pending deliveries that no
// hold stops at now, the channel with the oldest waiting alert first.
func (d *DB) DueChannels(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `
		SELECT o.channel_id FROM outbox o
		WHERE o.state = 'pending' AND o.next_attempt_at <= ?
			AND NOT EXISTS (SELECT 1 FROM channel_holds h WHERE h.channel_id = o.channel_id AND h.until > ?)
		GROUP BY o.channel_id ORDER BY min(o.id) LIMIT ?`, toMillis(now), toMillis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list channels with due alerts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			return nil, fmt.Errorf("list channels with due alerts: %w", err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// ChannelQueue returns a channel's first limit pending deliveries due by
// now, in the order their stories were queued. Only a digest waits for a
// time (its spacing), and alerts do not wait behind it.
func (d *DB) ChannelQueue(ctx context.Context, channelID string, now time.Time, limit int) ([]alerts.Delivery, error) {
	out, err := d.deliveries(ctx, `o.state = 'pending' AND o.channel_id = ? AND o.next_attempt_at <= ?`, channelID, toMillis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("list pending alerts of channel %s: %w", channelID, err)
	}
	return out, nil
}

// MarkAttempted records that a send of delivery id is about to leave, unless
// an earlier one's outcome is still unknown: that earlier time is where a
// search of the channel for the message has to start.
func (d *DB) MarkAttempted(ctx context.Context, id int64, at time.Time) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempted_at = ? WHERE id = ? AND attempted_at = 0`, toMillis(at), id); err != nil {
		return fmt.Errorf("record send of delivery %d: %w", id, err)
	}
	return nil
}

// ClearAttempted records that no send of delivery id can have been accepted
// (Discord answered, and refused it).
func (d *DB) ClearAttempted(ctx context.Context, id int64) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE outbox SET attempted_at = 0 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("record refused send of delivery %d: %w", id, err)
	}
	return nil
}

// RefuseDelivery gives up a delivery that Discord refused as it is (400):
// sending the same message again cannot succeed. The reason stays for
// /watch list.
func (d *DB) RefuseDelivery(ctx context.Context, id int64, cause error, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE outbox SET state = 'dropped', attempts = attempts + 1, last_error = ?, refused_at = ?, attempted_at = 0
		WHERE id = ?`, cause.Error(), toMillis(at), id)
	if err != nil {
		return fmt.Errorf("record refused delivery %d: %w", id, err)
	}
	return nil
}

// Refusals summarises the alerts of a channel that Discord refused since
// since: how many, and the latest reason.
func (d *DB) Refusals(ctx context.Context, channelID string, since time.Time) (int, string, error) {
	var n int
	var last sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT count(*), (SELECT last_error FROM outbox WHERE channel_id = ? AND refused_at >= ? AND refused_at > 0 ORDER BY refused_at DESC LIMIT 1)
		FROM outbox WHERE channel_id = ? AND refused_at >= ? AND refused_at > 0`, channelID, toMillis(since), channelID, toMillis(since)).Scan(&n, &last)
	if err != nil {
		return 0, "", fmt.Errorf("count refused alerts of channel %s: %w", channelID, err)
	}
	return n, last.String, nil
}

// HoldChannel stops deliveries to a channel until until. A hold of the same
// kind already in place counts one more failure, for back-off.
func (d *DB) HoldChannel(ctx context.Context, h alerts.ChannelHold) (alerts.ChannelHold, error) {
	var out alerts.ChannelHold
	err := d.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO channel_holds (channel_id, until, kind, reason, failures, since) VALUES (?, ?, ?, ?, 1, ?)
			ON CONFLICT (channel_id) DO UPDATE SET until = excluded.until, reason = excluded.reason,
				failures = CASE WHEN kind = excluded.kind THEN failures + 1 ELSE 1 END,
				since = CASE WHEN kind = excluded.kind THEN since ELSE excluded.since END,
				kind = excluded.kind`,
			h.ChannelID, toMillis(h.Until), h.Kind, h.Reason, toMillis(d.now()))
		if err != nil {
			return err
		}
		out, err = scanHold(tx.QueryRowContext(ctx, `SELECT channel_id, until, kind, reason, failures, since FROM channel_holds WHERE channel_id = ?`, h.ChannelID))
		return err
	})
	if err != nil {
		return alerts.ChannelHold{}, fmt.Errorf("hold deliveries to channel %s: %w", h.ChannelID, err)
	}
	return out, nil
}

// ChannelHold returns a channel's hold, if it has one.
func (d *DB) ChannelHold(ctx context.Context, channelID string) (alerts.ChannelHold, bool, error) {
	h, err := scanHold(d.db.QueryRowContext(ctx, `SELECT channel_id, until, kind, reason, failures, since FROM channel_holds WHERE channel_id = ?`, channelID))
	if errors.Is(err, sql.ErrNoRows) {
		return alerts.ChannelHold{}, false, nil
	}
	if err != nil {
		return alerts.ChannelHold{}, false, fmt.Errorf("read hold of channel %s: %w", channelID, err)
	}
	return h, true, nil
}

// ReleaseChannel ends a channel's hold; it reports whether there was one.
func (d *DB) ReleaseChannel(ctx context.Context, channelID string) (bool, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM channel_holds WHERE channel_id = ?`, channelID)
	if err != nil {
		return false, fmt.Errorf("release channel %s: %w", channelID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ReleaseHolds ends every channel hold of kind; it returns how many there
// were. Delivery calls it when Discord answers again after an outage, so
// that no channel waits out a back-off the outage made.
func (d *DB) ReleaseHolds(ctx context.Context, kind string) (int, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM channel_holds WHERE kind = ?`, kind)
	if err != nil {
		return 0, fmt.Errorf("release channels held for %s: %w", kind, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func scanHold(s scanner) (alerts.ChannelHold, error) {
	var h alerts.ChannelHold
	var until, since int64
	err := s.Scan(&h.ChannelID, &until, &h.Kind, &h.Reason, &h.Failures, &since)
	h.Until, h.Since = fromMillis(until), fromMillis(since)
	return h, err
}

// RemoveGuild stops everything Vigil does for a server that removed the
// bot: its subscriptions are paused, its pending alerts dropped and its
// briefings ended. Subscriptions stay, so that re-inviting the bot and
// /watch resume bring them back.
func (d *DB) RemoveGuild(ctx context.Context, guildID string, cause error) (int, error) {
	var dropped int64
	err := d.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET paused = 1 WHERE guild_id = ?`, guildID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'dropped', last_error = ?
			WHERE state = 'pending' AND channel_id IN (SELECT channel_id FROM subscriptions WHERE guild_id = ?)`, cause.Error(), guildID)
		if err != nil {
			return err
		}
		dropped, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM briefings WHERE guild_id = ?`, guildID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("stop deliveries to server %s: %w", guildID, err)
	}
	return int(dropped), nil
}

// SaveBriefingParts stores a composed briefing, unless one is stored for the
// period already; it returns what is stored, which is what must be sent.
func (d *DB) SaveBriefingParts(ctx context.Context, parts []alerts.BriefingPart) ([]alerts.BriefingPart, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	channelID, period := parts[0].ChannelID, parts[0].Period
	err := d.inTx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM briefing_parts WHERE channel_id = ? AND period = ?`, channelID, period).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, p := range parts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO briefing_parts (channel_id, period, part, parts, body, nonce, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				p.ChannelID, p.Period, p.Part, p.Parts, string(p.Body), p.Nonce, toMillis(d.now())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store briefing of channel %s for %s: %w", channelID, period, err)
	}
	return d.BriefingParts(ctx, channelID, period)
}

// BriefingParts returns a stored briefing's parts in order; none if it was
// not composed yet.
func (d *DB) BriefingParts(ctx context.Context, channelID, period string) ([]alerts.BriefingPart, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT channel_id, period, part, parts, body, nonce, attempted_at, message_id, sent_at
		FROM briefing_parts WHERE channel_id = ? AND period = ? ORDER BY part`, channelID, period)
	if err != nil {
		return nil, fmt.Errorf("read briefing of channel %s for %s: %w", channelID, period, err)
	}
	defer rows.Close()
	var out []alerts.BriefingPart
	for rows.Next() {
		var p alerts.BriefingPart
		var body string
		var attempted, sent int64
		if err := rows.Scan(&p.ChannelID, &p.Period, &p.Part, &p.Parts, &body, &p.Nonce, &attempted, &p.MessageID, &sent); err != nil {
			return nil, fmt.Errorf("read briefing of channel %s for %s: %w", channelID, period, err)
		}
		p.Body, p.AttemptedAt, p.SentAt = []byte(body), fromMillis(attempted), fromMillis(sent)
		out = append(out, p)
	}
	return out, rows.Err()
}

// MarkBriefingPartAttempted records that a part is about to be sent, unless
// an earlier send's outcome is still unknown.
func (d *DB) MarkBriefingPartAttempted(ctx context.Context, channelID, period string, part int, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE briefing_parts SET attempted_at = ? WHERE channel_id = ? AND period = ? AND part = ? AND attempted_at = 0`,
		toMillis(at), channelID, period, part)
	if err != nil {
		return fmt.Errorf("record send of briefing part %d: %w", part, err)
	}
	return nil
}

// MarkBriefingPartSent records that Discord accepted a part.
func (d *DB) MarkBriefingPartSent(ctx context.Context, channelID, period string, part int, messageID string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE briefing_parts SET message_id = ?, sent_at = ? WHERE channel_id = ? AND period = ? AND part = ?`,
		messageID, toMillis(at), channelID, period, part)
	if err != nil {
		return fmt.Errorf("record sent briefing part %d: %w", part, err)
	}
	return nil
}

// PruneBriefingParts forgets briefings of a channel's periods before
// period, once they no longer matter.
func (d *DB) PruneBriefingParts(ctx context.Context, channelID, period string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM briefing_parts WHERE channel_id = ? AND period < ?`, channelID, period); err != nil {
		return fmt.Errorf("forget old briefings of channel %s: %w", channelID, err)
	}
	return nil
}
