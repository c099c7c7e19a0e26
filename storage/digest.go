package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// Folding a channel's excess alerts into digests.
const (
	// paceWindow is the span a channel's pace is counted over.
	paceWindow = time.Hour
	// digestSpacing keeps a channel that stays over its pace from getting
	// a digest every poll: the next one waits this long after the last.
	digestSpacing = 10 * time.Minute
	// digestGather is how long a digest waits after a part of a poll saved
	// in parts folded into it, for the parts still to come.
	digestGather = 5 * time.Second
	// newItemsWeight is the weight of the latest poll in a feed's moving
	// average of new items: about the last ten polls count.
	newItemsWeight = 0.1
	// foldedReason is what a folded alert's row says in place of an error.
	foldedReason = "folded into the channel's digest"
)

// channelPace is what a transaction knows of one channel's last hour.
type channelPace struct {
	queued int   // alerts queued to be posted on their own
	digest int64 // the open digest, 0 when none is known yet
	held   bool  // the digest is held back for the rest of its poll
}

// digester folds alerts, within one SaveStories transaction.
type digester struct {
	tx      *txn
	now     int64
	feedURL string
	perHour int
	paces   map[string]*channelPace
	// gather holds each digest folded into back by digestGather: the
	// transaction is one part of a poll saved in parts.
	gather bool
}

// maybeFold folds the alert just queued as row id when it came in a burst
// or its channel is past its pace; it reports whether it did.
func (g *digester) maybeFold(ctx context.Context, m alerts.Match, id int64) (bool, error) {
	p, err := g.pace(ctx, m.ChannelID)
	if err != nil {
		return false, err
	}
	if !m.Fold && (g.perHour <= 0 || p.queued < g.perHour) {
		p.queued++
		return false, nil
	}
	if p.digest == 0 {
		if p.digest, err = g.openDigest(ctx, m, id); err != nil {
			return false, err
		}
	}
	if g.gather && !p.held {
		// Only a digest not yet being sent is joined, so pushing its time
		// back is safe; a digest due later anyway keeps its time.
		hold := g.now + digestGather.Milliseconds()
		if _, err := g.tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND attempted_at = 0 AND next_attempt_at < ?`,
			hold, p.digest, hold); err != nil {
			return false, err
		}
		p.held = true
	}
	_, err = g.tx.ExecContext(ctx, `UPDATE outbox SET state = 'dropped', last_error = ?, digest_id = ? WHERE id = ?`,
		foldedReason, p.digest, id)
	return err == nil, err
}

func (g *digester) pace(ctx context.Context, channelID string) (*channelPace, error) {
	if p, ok := g.paces[channelID]; ok {
		return p, nil
	}
	p := &channelPace{}
	err := g.tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox
		WHERE channel_id = ? AND created_at >= ? AND is_digest = 0 AND digest_id = 0`,
		channelID, g.now-paceWindow.Milliseconds()).Scan(&p.queued)
	if err != nil {
		return nil, err
	}
	// The alert just inserted is in that count; it is decided by the
	// caller.
	p.queued = max(p.queued-1, 0)
	g.paces[channelID] = p
	return p, nil
}

// openDigest returns the channel's digest that is still to be sent (folds
// join it until its send starts), or creates one, seeded with the first
// folded alert's story.
func (g *digester) openDigest(ctx context.Context, m alerts.Match, firstFolded int64) (int64, error) {
	var id int64
	err := g.tx.QueryRowContext(ctx, `SELECT id FROM outbox
		WHERE channel_id = ? AND is_digest = 1 AND state = 'pending' AND attempted_at = 0
		ORDER BY id DESC LIMIT 1`, m.ChannelID).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	var last sql.NullInt64
	if err := g.tx.QueryRowContext(ctx, `SELECT max(created_at) FROM outbox WHERE channel_id = ? AND is_digest = 1`,
		m.ChannelID).Scan(&last); err != nil {
		return 0, err
	}
	var due int64
	if last.Valid && g.now-last.Int64 < digestSpacing.Milliseconds() {
		due = last.Int64 + digestSpacing.Milliseconds()
	}
	cluster := "digest-" + strconv.FormatInt(firstFolded, 10)
	err = g.tx.QueryRowContext(ctx, `
		INSERT INTO outbox (channel_id, cluster_id, subscription_id, feed_url, story_id, nonce, created_at, next_attempt_at, is_digest, guild_id)
		SELECT channel_id, ?, subscription_id, feed_url, story_id, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), 1, guild_id FROM outbox WHERE id = ?
		RETURNING id`,
		cluster, deliveryNonce(m.ChannelID, cluster), g.now, due, firstFolded).Scan(&id)
	return id, err
}

// DigestContents returns how many alerts were folded into digest id and the
// newest few of their stories, up to sample. It is read when the digest's
// send starts, after which nothing more joins it.
func (d *DB) DigestContents(ctx context.Context, id int64, sample int) (int, []alerts.Story, error) {
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE digest_id = ?`, id).Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("read digest %d: %w", id, err)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+storyColumns+` FROM outbox o
		JOIN stories s ON s.feed_url = o.feed_url AND s.id = o.story_id
		WHERE o.digest_id = ? ORDER BY s.published DESC, o.id DESC LIMIT ?`, id, sample)
	if err != nil {
		return 0, nil, fmt.Errorf("read digest %d: %w", id, err)
	}
	defer rows.Close()
	var out []alerts.Story
	for rows.Next() {
		s, err := scanStory(rows)
		if err != nil {
			return 0, nil, fmt.Errorf("read digest %d: %w", id, err)
		}
		out = append(out, s)
	}
	return n, out, rows.Err()
}
