package storage

import (
	"context"
	"fmt"
)

// FeedLabel is how one owner of a feed names and files it: the title, site
// and category an OPML file gave it. It is the owner's, not the feed's: the
// feed's own title comes from polling it.
type FeedLabel struct {
	Title, SiteURL, Category string
}

// SetFeedLabel records how guildID names and files a feed it owns.
func (d *DB) SetFeedLabel(ctx context.Context, guildID, url string, l FeedLabel) error {
	res, err := d.db.ExecContext(ctx, `UPDATE feed_owners SET title = ?, site_url = ?, category = ? WHERE url = ? AND guild_id = ?`,
		l.Title, l.SiteURL, l.Category, url, guildID)
	if err != nil {
		return fmt.Errorf("label feed %s of server %s: %w", url, guildID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("label feed %s of server %s: %w", url, guildID, ErrNotFound)
	}
	return nil
}

// FeedLabels returns how guildID names and files each feed it owns, by URL.
func (d *DB) FeedLabels(ctx context.Context, guildID string) (map[string]FeedLabel, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT url, title, site_url, category FROM feed_owners WHERE guild_id = ?`, guildID)
	if err != nil {
		return nil, fmt.Errorf("read feed labels of server %s: %w", guildID, err)
	}
	defer rows.Close()
	out := map[string]FeedLabel{}
	for rows.Next() {
		var url string
		var l FeedLabel
		if err := rows.Scan(&url, &l.Title, &l.SiteURL, &l.Category); err != nil {
			return nil, fmt.Errorf("read feed labels of server %s: %w", guildID, err)
		}
		out[url] = l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read feed labels of server %s: %w", guildID, err)
	}
	return out, nil
}
