package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// feedColumns are the columns scanFeed reads, from feeds aliased f. Owners
// come as one list so a feed is one row, each prefixed with "g" so that the
// operator's empty ID is still an item.
const feedColumns = `f.url, f.title, f.interval_ms, f.fetch_article, f.etag, f.last_modified,
	f.last_poll_at, f.last_success_at, f.last_error, f.consecutive_failures, f.last_item_count, f.primed, f.added_at,
	f.new_items_avg, f.unfinished_saved, f.unfinished_burst, coalesce((SELECT string_agg('g' || o.guild_id, char(31)) FROM feed_owners o WHERE o.url = f.url), '')`

// UpsertFeed adds an operator's feed (from the config file, shared by every
// server), or updates its title, interval and fetch_article setting while
// keeping its poll state.
func (d *DB) UpsertFeed(ctx context.Context, f alerts.Feed) error {
	err := d.inTx(ctx, func(tx *txn) error { return upsertOperatorFeed(ctx, tx, f, d.now()) })
	if err != nil {
		return fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	return nil
}

func upsertOperatorFeed(ctx context.Context, tx *txn, f alerts.Feed, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO feeds (url, title, interval_ms, fetch_article, added_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET
			title = CASE WHEN excluded.title != '' THEN excluded.title ELSE feeds.title END,
			interval_ms = excluded.interval_ms,
			fetch_article = excluded.fetch_article`,
		f.URL, f.Title, f.Interval.Milliseconds(), f.FetchArticle, toMillis(now))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO feed_owners (url, guild_id, added_at) VALUES (?, '', ?) ON CONFLICT DO NOTHING`,
		f.URL, toMillis(now))
	return err
}

// operatorFeedRow is what the database holds of a feed, and whether the
// operator shares it.
type operatorFeedRow struct {
	title        string
	interval     int64 // milliseconds
	fetchArticle bool
	shared       bool
}

// sameAs reports whether upserting f as an operator feed would change
// nothing.
func (r operatorFeedRow) sameAs(f alerts.Feed) bool {
	return r.shared && r.interval == f.Interval.Milliseconds() && r.fetchArticle == f.FetchArticle &&
		(f.Title == "" || f.Title == r.title)
}

// operatorFeedRows reads every stored feed by URL.
func operatorFeedRows(ctx context.Context, tx *txn) (map[string]operatorFeedRow, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT f.url, f.title, f.interval_ms, f.fetch_article, o.url IS NOT NULL
		FROM feeds f LEFT JOIN feed_owners o ON o.url = f.url AND o.guild_id = ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]operatorFeedRow{}
	for rows.Next() {
		var url string
		var r operatorFeedRow
		if err := rows.Scan(&url, &r.title, &r.interval, &r.fetchArticle, &r.shared); err != nil {
			return nil, err
		}
		out[url] = r
	}
	return out, rows.Err()
}

// SyncOperatorFeeds makes the operator's feeds exactly feeds (the config
// file's): each is added or updated, and a feed dropped from the config is
// no longer shared. It stays polled for the servers that added it
// themselves; the other servers' subscriptions to it end, and are returned
// so their channels can be told.
func (d *DB) SyncOperatorFeeds(ctx context.Context, feeds []alerts.Feed) ([]alerts.Subscription, error) {
	var ended []alerts.Subscription
	err := d.inTx(ctx, func(tx *txn) error {
		ended = nil
		stored, err := operatorFeedRows(ctx, tx)
		if err != nil {
			return err
		}
		keep := make(map[string]bool, len(feeds))
		for _, f := range feeds {
			keep[f.URL] = true
			// Writing only what changed keeps a restart of several
			// processes with the same config from racing each other
			// over thousands of identical rows: on PostgreSQL the
			// losers' transactions would be refused again and again.
			if old, ok := stored[f.URL]; ok && old.sameAs(f) {
				continue
			}
			if err := upsertOperatorFeed(ctx, tx, f, d.now()); err != nil {
				return fmt.Errorf("feed %s: %w", f.URL, err)
			}
		}
		gone, err := queryStrings(ctx, tx, `SELECT url FROM feed_owners WHERE guild_id = '' ORDER BY url`)
		if err != nil {
			return err
		}
		for _, url := range gone {
			if keep[url] {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM feed_owners WHERE url = ? AND guild_id = ''`, url); err != nil {
				return err
			}
			e, err := pruneSubscriptions(ctx, tx, url)
			if err != nil {
				return err
			}
			ended = append(ended, e...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("save the config's feeds: %w", err)
	}
	return ended, nil
}

// AddGuildFeed adds a feed for a server; added reports whether the server
// did not have it yet. A URL another server (or the operator) already has
// is the same feed, fetched once, but nothing about that is told to this
// server: whether a URL is known elsewhere is not its business.
func (d *DB) AddGuildFeed(ctx context.Context, guildID string, f alerts.Feed) (added bool, err error) {
	if guildID == alerts.Operator {
		return false, fmt.Errorf("add feed %s: a server is needed", f.URL)
	}
	err = d.inTx(ctx, func(tx *txn) error {
		added = false
		now := toMillis(d.now())
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO feeds (url, title, interval_ms, fetch_article, added_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING`,
			f.URL, f.Title, f.Interval.Milliseconds(), f.FetchArticle, now); err != nil {
			return err
		}
		var mine bool
		if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM feed_owners WHERE url = ? AND guild_id = ?`, f.URL, guildID).Scan(&mine); err != nil || mine {
			return err
		}
		if err := checkCap(ctx, tx, d.limits.FeedsPerServer, "feeds added by one server", "limits.feeds_per_server",
			`SELECT count(*) FROM feed_owners WHERE guild_id = ?`, guildID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO feed_owners (url, guild_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			f.URL, guildID, now)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		added = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("add feed %s for server %s: %w", f.URL, guildID, err)
	}
	return added, nil
}

// RemoveGuildFeed removes a feed that guildID added. When the server can no
// longer see the feed (the operator does not share it), its subscriptions
// to the feed end: the URL leaves their feed lists, and a subscription left
// with none is deleted. Those subscriptions are returned, as they were, so
// their channels can be told. Stories stay for briefings and
// de-duplication; a feed no one owns any more is no longer polled.
func (d *DB) RemoveGuildFeed(ctx context.Context, guildID, url string) ([]alerts.Subscription, error) {
	var ended []alerts.Subscription
	err := d.inTx(ctx, func(tx *txn) error {
		if guildID == alerts.Operator {
			return ErrNotFound
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM feed_owners WHERE url = ? AND guild_id = ?`, url, guildID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		ended, err = pruneSubscriptions(ctx, tx, url)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("remove feed %s: %w", url, err)
	}
	return ended, nil
}

// pruneSubscriptions ends the subscriptions to url of every server that can
// no longer see it, returning them as they were before.
func pruneSubscriptions(ctx context.Context, tx *txn, url string) ([]alerts.Subscription, error) {
	// The U+001F-joined list is matched whole-item, so a URL that is a
	// prefix of another is not taken for it.
	rows, err := tx.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions s
		WHERE s.feeds != '' AND instr(char(31) || s.feeds || char(31), char(31) || ? || char(31)) > 0
			AND NOT EXISTS (SELECT 1 FROM feed_owners o WHERE o.url = ? AND o.guild_id IN ('', s.guild_id))
		ORDER BY s.id`, url, url)
	if err != nil {
		return nil, err
	}
	subs, err := scanSubscriptions(rows)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		var left []string
		for _, f := range s.Feeds {
			if f != url {
				left = append(left, f)
			}
		}
		if len(left) == 0 {
			_, err = tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = ?`, s.ID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE subscriptions SET feeds = ? WHERE id = ?`, joinList(left), s.ID)
		}
		if err != nil {
			return nil, err
		}
	}
	return subs, nil
}

// RemoveFeed forgets a feed altogether, for every server; its stories stay
// for briefings and de-duplication.
func (d *DB) RemoveFeed(ctx context.Context, url string) error {
	err := d.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM feeds WHERE url = ?`, url)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM feed_owners WHERE url = ?`, url); err != nil {
			return err
		}
		_, err = pruneSubscriptions(ctx, tx, url)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove feed %s: %w", url, err)
	}
	return nil
}

// Feed returns one feed by URL, whoever owns it.
func (d *DB) Feed(ctx context.Context, url string) (alerts.Feed, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.url = ?`, url)
	f, err := scanFeed(row)
	if errors.Is(err, sql.ErrNoRows) {
		return alerts.Feed{}, fmt.Errorf("feed %s: %w", url, ErrNotFound)
	}
	if err != nil {
		return alerts.Feed{}, fmt.Errorf("read feed %s: %w", url, err)
	}
	return f, nil
}

// Feeds returns every feed someone owns (the operator or a server), by URL:
// the feeds to poll.
func (d *DB) Feeds(ctx context.Context) ([]alerts.Feed, error) {
	out, err := d.listFeeds(ctx, false, `SELECT `+feedColumns+` FROM feeds f
		WHERE EXISTS (SELECT 1 FROM feed_owners o WHERE o.url = f.url) ORDER BY f.url`)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	return out, nil
}

// GuildFeeds returns the feeds a server may see and use: the operator's and
// its own, by URL. Owners name only the operator and that server, and poll
// state from before the server added a feed is not shown: it would tell
// the server the URL was known elsewhere.
func (d *DB) GuildFeeds(ctx context.Context, guildID string) ([]alerts.Feed, error) {
	out, err := d.listFeeds(ctx, true, `SELECT `+feedColumns+`,
			(SELECT min(o.added_at) FROM feed_owners o WHERE o.url = f.url AND o.guild_id IN ('', ?))
		FROM feeds f
		WHERE EXISTS (SELECT 1 FROM feed_owners o WHERE o.url = f.url AND o.guild_id IN ('', ?)) ORDER BY f.url`, guildID, guildID)
	if err != nil {
		return nil, fmt.Errorf("list feeds of server %s: %w", guildID, err)
	}
	for i := range out {
		f := &out[i]
		var mine []string
		for _, o := range f.Owners {
			if o == alerts.Operator || o == guildID {
				mine = append(mine, o)
			}
		}
		f.Owners = mine
	}
	return out, nil
}

// listFeeds reads feeds; a guildView query selects one more column, when
// the server could first see the feed, and poll state from before it is
// hidden.
func (d *DB) listFeeds(ctx context.Context, guildView bool, query string, args ...any) ([]alerts.Feed, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []alerts.Feed
	for rows.Next() {
		var f alerts.Feed
		if guildView {
			var since int64
			f, err = scanFeed(rows, &since)
			if err == nil {
				hideStateBefore(&f, fromMillis(since))
			}
		} else {
			f, err = scanFeed(rows)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// hideStateBefore blanks what a feed's polls learned before a server could
// see it.
func hideStateBefore(f *alerts.Feed, since time.Time) {
	f.AddedAt = since
	if f.LastPollAt.Before(since) {
		f.LastPollAt, f.LastError, f.ConsecutiveFailures, f.LastItemCount = time.Time{}, "", 0, 0
	}
	if f.LastSuccessAt.Before(since) {
		f.LastSuccessAt = time.Time{}
	}
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

func scanFeed(s scanner, extra ...any) (alerts.Feed, error) {
	var f alerts.Feed
	var intervalMS, lastPoll, lastSuccess, added int64
	var owners string
	dest := []any{&f.URL, &f.Title, &intervalMS, &f.FetchArticle, &f.ETag, &f.LastModified,
		&lastPoll, &lastSuccess, &f.LastError, &f.ConsecutiveFailures, &f.LastItemCount, &f.Primed, &added,
		&f.NewItemsAvg, &f.UnfinishedSaved, &f.UnfinishedBurst, &owners}
	err := s.Scan(append(dest, extra...)...)
	f.Interval = time.Duration(intervalMS) * time.Millisecond
	f.LastPollAt, f.LastSuccessAt, f.AddedAt = fromMillis(lastPoll), fromMillis(lastSuccess), fromMillis(added)
	for _, o := range splitList(owners) {
		f.Owners = append(f.Owners, strings.TrimPrefix(o, "g"))
	}
	return f, err
}

func queryStrings(ctx context.Context, tx *txn, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
