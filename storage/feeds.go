package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/vigilbot/vigil/alerts"
	"time"
)

const feedColumns = `url, title, guild_id, interval_ms, fetch_article, etag, last_modified,
	last_poll_at, last_success_at, last_error, consecutive_failures, last_item_count, primed, added_at`

// UpsertFeed adds a feed, or updates its title, owner, interval and
// fetch_article setting while keeping its poll state.
func (d *DB) UpsertFeed(ctx context.Context, f alerts.Feed) error {
	_, err := d.db.ExecContext(ctx, `
		INSERT INTO feeds (url, title, guild_id, interval_ms, fetch_article, added_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET
			title = CASE WHEN excluded.title != '' THEN excluded.title ELSE feeds.title END,
			guild_id = excluded.guild_id,
			interval_ms = excluded.interval_ms,
			fetch_article = excluded.fetch_article`,
		f.URL, f.Title, f.GuildID, f.Interval.Milliseconds(), f.FetchArticle, toMillis(d.now()))
	if err != nil {
		return fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	return nil
}

// RemoveFeed forgets a feed; its stories stay for briefings and de-duplication.
func (d *DB) RemoveFeed(ctx context.Context, url string) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM feeds WHERE url = ?`, url)
	if err != nil {
		return fmt.Errorf("remove feed %s: %w", url, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove feed %s: %w", url, ErrNotFound)
	}
	return nil
}

// Feed returns one feed by URL.
func (d *DB) Feed(ctx context.Context, url string) (alerts.Feed, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds WHERE url = ?`, url)
	f, err := scanFeed(row)
	if errors.Is(err, sql.ErrNoRows) {
		return alerts.Feed{}, fmt.Errorf("feed %s: %w", url, ErrNotFound)
	}
	if err != nil {
		return alerts.Feed{}, fmt.Errorf("read feed %s: %w", url, err)
	}
	return f, nil
}

// Feeds returns every feed, by URL.
func (d *DB) Feeds(ctx context.Context) ([]alerts.Feed, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+feedColumns+` FROM feeds ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	defer rows.Close()
	var out []alerts.Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("list feeds: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// RecordPoll stores the outcome of a poll: on success the validators, item
// count, a cleared error and the feed's own title unless the operator named
// the feed; on failure the error and one more consecutive
// failure.
func (d *DB) RecordPoll(ctx context.Context, url string, r alerts.PollResult) error {
	var err error
	switch {
	case r.Err != nil:
		_, err = d.db.ExecContext(ctx, `
			UPDATE feeds SET last_poll_at = ?, last_error = ?, consecutive_failures = consecutive_failures + 1
			WHERE url = ?`, toMillis(r.At), r.Err.Error(), url)
	case r.NotModified:
		_, err = d.db.ExecContext(ctx, `
			UPDATE feeds SET last_poll_at = ?, last_success_at = ?, last_error = '', consecutive_failures = 0
			WHERE url = ?`, toMillis(r.At), toMillis(r.At), url)
	default:
		_, err = d.db.ExecContext(ctx, `
			UPDATE feeds SET last_poll_at = ?, last_success_at = ?, last_error = '', consecutive_failures = 0,
				etag = ?, last_modified = ?, last_item_count = ?,
				title = CASE WHEN title = '' THEN ? ELSE title END
			WHERE url = ?`, toMillis(r.At), toMillis(r.At), r.ETag, r.LastModified, r.ItemCount, r.Title, url)
	}
	if err != nil {
		return fmt.Errorf("record poll of %s: %w", url, err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanFeed(s scanner) (alerts.Feed, error) {
	var f alerts.Feed
	var intervalMS, lastPoll, lastSuccess, added int64
	err := s.Scan(&f.URL, &f.Title, &f.GuildID, &intervalMS, &f.FetchArticle, &f.ETag, &f.LastModified,
		&lastPoll, &lastSuccess, &f.LastError, &f.ConsecutiveFailures, &f.LastItemCount, &f.Primed, &added)
	f.Interval = time.Duration(intervalMS) * time.Millisecond
	f.LastPollAt, f.LastSuccessAt, f.AddedAt = fromMillis(lastPoll), fromMillis(lastSuccess), fromMillis(added)
	return f, err
}

// AddFeed adds a feed for a server unless it is already polled; added
// reports whether it was new. An existing feed keeps its owner and state.
func (d *DB) AddFeed(ctx context.Context, f alerts.Feed) (added bool, err error) {
	res, err := d.db.ExecContext(ctx, `
		INSERT INTO feeds (url, title, guild_id, interval_ms, fetch_article, added_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING`,
		f.URL, f.Title, f.GuildID, f.Interval.Milliseconds(), f.FetchArticle, toMillis(d.now()))
	if err != nil {
		return false, fmt.Errorf("add feed %s: %w", f.URL, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RemoveGuildFeed removes a feed that guildID added; feeds from the config
// file or another server are not its to remove.
func (d *DB) RemoveGuildFeed(ctx context.Context, guildID, url string) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM feeds WHERE url = ? AND guild_id = ?`, url, guildID)
	if err != nil {
		return fmt.Errorf("remove feed %s: %w", url, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("remove feed %s: %w", url, ErrNotFound)
	}
	return nil
}
