package storage

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// editWindow is how recent an alert must be for another outlet's report of
// the same event to edit it; older alerts have scrolled away, and the
// briefing lists every outlet anyway.
const editWindow = 6 * time.Hour

// maxIDsPerQuery keeps IN (...) lists under SQLite's bound-parameter limit
// (32766 since 3.32) with room to spare.
const maxIDsPerQuery = 500

// KnownStoryIDs reports which of ids the feed has already delivered to us.
func (d *DB) KnownStoryIDs(ctx context.Context, feedURL string, ids []string) (map[string]bool, error) {
	known := make(map[string]bool)
	for start := 0; start < len(ids); start += maxIDsPerQuery {
		chunk := ids[start:min(start+maxIDsPerQuery, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, feedURL)
		for _, id := range chunk {
			args = append(args, id)
		}
		q := `SELECT id FROM stories WHERE feed_url = ? AND id IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		rows, err := d.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("look up stories of %s: %w", feedURL, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up stories of %s: %w", feedURL, err)
			}
			known[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("look up stories of %s: %w", feedURL, err)
		}
	}
	return known, nil
}

// savePart is the most stories one transaction of SaveStories holds. A
// feed that bursts (a CMS re-publishing its archive) may bring 10,000
// stories; saved in one transaction they would hold SQLite's write lock for
// over a second while every other feed's alerts wait behind them.
const savePart = 250

// SaveStories stores a poll's new stories and queues their matches for
// delivery. A story, its tags and its matches are kept in one transaction
// or not at all, so a crash can neither lose an alert nor leave a story
// that will never be alerted. Stories already stored are skipped with their
// matches, which makes a replayed poll harmless. It also marks the feed
// primed, with the last of them.
//
// A poll of more than savePart stories is saved in parts, oldest first,
// each its own transaction, so that other writers take their turns between
// them. If one part fails, the parts before it stay saved and the feed is
// not marked primed: the poller records the failure without the feed's new
// validators, the next poll brings the same stories again, and the ones
// already saved are skipped. The feed keeps how many were saved and
// whether the poll was a burst (Feed.UnfinishedSaved, UnfinishedBurst), so
// that the next poll is judged as the rest of the same poll.
func (d *DB) SaveStories(ctx context.Context, feedURL string, stories []alerts.Story, matches []alerts.Match) (alerts.SaveResult, error) {
	if len(stories) <= savePart {
		res, err := d.saveStoriesPart(ctx, feedURL, stories, matches, savePartOptions{last: true})
		if err != nil {
			return alerts.SaveResult{}, fmt.Errorf("save stories of %s: %w", feedURL, err)
		}
		return res, nil
	}
	parts := (len(stories) + savePart - 1) / savePart
	matchParts := splitMatches(stories, matches, parts)
	burst := slices.ContainsFunc(matches, func(m alerts.Match) bool { return m.Fold })
	var total alerts.SaveResult
	for k := range parts {
		part := stories[k*savePart : min((k+1)*savePart, len(stories))]
		res, err := d.saveStoriesPart(ctx, feedURL, part, matchParts[k],
			savePartOptions{last: k == parts-1, burst: burst, gatherDigests: true})
		if err != nil {
			return total, fmt.Errorf("save stories of %s (part %d of %d, %d stories saved before it): %w", feedURL, k+1, parts, total.Stories, err)
		}
		total.Stories += res.Stories
		total.Deliveries += res.Deliveries
		total.Folded += res.Folded
	}
	return total, nil
}

// splitMatches divides a poll's matches among the parts its stories are
// saved in, each match with its story, keeping their order within a part.
// A match for a story not in the poll has nothing to be saved with: it is
// left out, as the one-transaction save left it.
func splitMatches(stories []alerts.Story, matches []alerts.Match, parts int) [][]alerts.Match {
	partOf := make(map[string]int, len(stories))
	for i, s := range stories {
		if _, seen := partOf[s.ID]; !seen { // a story listed twice is saved with its first
			partOf[s.ID] = i / savePart
		}
	}
	out := make([][]alerts.Match, parts)
	for _, m := range matches {
		if k, ok := partOf[m.StoryID]; ok {
			out[k] = append(out[k], m)
		}
	}
	return out
}

// savePartOptions say where a part stands in its poll.
type savePartOptions struct {
	last  bool // the poll's last part: the feed is primed with it
	burst bool // the poll is a burst: some of its matches fold
	// gatherDigests holds back the digests this part folds into, so that
	// one is not sent between a burst's parts with the rest of the burst
	// in a second digest ten minutes later.
	gatherDigests bool
}

func (d *DB) saveStoriesPart(ctx context.Context, feedURL string, stories []alerts.Story, matches []alerts.Match, opt savePartOptions) (alerts.SaveResult, error) {
	var res alerts.SaveResult
	err := d.inTx(ctx, func(tx *txn) error {
		res = alerts.SaveResult{}
		inserted := make(map[string]string, len(stories)) // story ID → cluster ID
		storyStmt, err := tx.PrepareContext(ctx, `
			INSERT INTO stories (feed_url, id, source, title, body, url, published, first_seen, countries, regions, summary, cluster_id, mentions, mention_regions)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (feed_url, id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer storyStmt.Close()
		for _, s := range stories {
			r, err := storyStmt.ExecContext(ctx, feedURL, s.ID, s.Source, s.Title, s.Text, s.URL,
				toMillis(s.Published), toMillis(s.FirstSeen), joinList(s.Countries), joinList(s.Regions), s.Summary, clusterKey(s),
				joinList(s.Mentions), joinList(s.MentionRegions))
			if err != nil {
				return fmt.Errorf("story %s: %w", s.ID, err)
			}
			if n, _ := r.RowsAffected(); n == 1 {
				inserted[s.ID] = clusterKey(s)
				res.Stories++
			}
		}
		// The owner check is the wall between servers: a subscription is
		// only ever queued a story from its own server's feed or the
		// operator's, whatever the index matched.
		outStmt, err := tx.PrepareContext(ctx, `
			INSERT INTO outbox (channel_id, cluster_id, subscription_id, feed_url, story_id, terms, mention_role_id, nonce, created_at, guild_id)
			SELECT ?, ?, s.id, ?, ?, ?, s.mention_role_id, ?, CAST(? AS BIGINT), s.guild_id FROM subscriptions s
			WHERE s.id = ? AND EXISTS (SELECT 1 FROM feed_owners fo WHERE fo.url = ? AND fo.guild_id IN ('', s.guild_id))
			ON CONFLICT DO NOTHING
			RETURNING id`)
		if err != nil {
			return err
		}
		defer outStmt.Close()
		editStmt, err := tx.PrepareContext(ctx, `
			UPDATE outbox SET needs_edit = 1
			WHERE channel_id = ? AND cluster_id = ? AND state = 'sent' AND sent_at >= ?`)
		if err != nil {
			return err
		}
		defer editStmt.Close()
		// Matches for servers that cannot see the feed are dropped here, in
		// memory: a feed of one server matches every server's query-only
		// subscriptions in the index, and a burst of it would otherwise
		// cost a statement per server per story. The insert below checks
		// again.
		visible := func(int64) bool { return true }
		if len(matches) > 0 {
			if visible, err = feedSubscribers(ctx, tx, feedURL); err != nil {
				return err
			}
		}
		now := toMillis(d.now())
		digests := digester{tx: tx, now: now, feedURL: feedURL, perHour: d.limits.ChannelAlertsPerHour, paces: map[string]*channelPace{}, gather: opt.gatherDigests}
		for _, m := range matches {
			cluster, ok := inserted[m.StoryID]
			if !ok || !visible(m.SubscriptionID) {
				continue
			}
			// A subscription removed since the index was built selects no
			// row, so nothing is queued for it.
			var id int64
			err := outStmt.QueryRowContext(ctx, m.ChannelID, cluster, feedURL, m.StoryID,
				joinList(m.Terms), deliveryNonce(m.ChannelID, cluster), now, m.SubscriptionID, feedURL).Scan(&id)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("queue story %s for channel %s: %w", m.StoryID, m.ChannelID, err)
			}
			if err == nil {
				res.Deliveries++
				folded, err := digests.maybeFold(ctx, m, id)
				if err != nil {
					return fmt.Errorf("fold story %s into the digest of channel %s: %w", m.StoryID, m.ChannelID, err)
				}
				if folded {
					res.Folded++
				}
				continue
			}
			// The channel already has this event: another outlet's report
			// edits a recent alert rather than posting again.
			if _, err := editStmt.ExecContext(ctx, m.ChannelID, cluster, now-editWindow.Milliseconds()); err != nil {
				return fmt.Errorf("flag alert of channel %s for an edit: %w", m.ChannelID, err)
			}
		}
		if !opt.last {
			burst := 0
			if opt.burst {
				burst = 1
			}
			// Kept in case a later part fails: the poll that brings the
			// rest again finishes this one.
			_, err = tx.ExecContext(ctx, `UPDATE feeds SET
					unfinished_saved = unfinished_saved + ?,
					unfinished_burst = CASE WHEN unfinished_burst = 1 OR CAST(? AS BIGINT) = 1 THEN 1 ELSE 0 END
				WHERE url = ?`, res.Stories, burst, feedURL)
			return err
		}
		// The first poll brings the whole feed, not a poll's worth of
		// news, so the usual rate starts counting after it. A poll counts
		// the stories it saved, with those its unfinished parts saved.
		_, err = tx.ExecContext(ctx, `UPDATE feeds SET
				new_items_avg = CASE WHEN primed = 0 THEN 0
					ELSE new_items_avg * (1 - CAST(? AS DOUBLE PRECISION)) + CAST(? AS DOUBLE PRECISION) * CAST(unfinished_saved + ? AS DOUBLE PRECISION) END,
				primed = 1, unfinished_saved = 0, unfinished_burst = 0
			WHERE url = ?`, newItemsWeight, newItemsWeight, res.Stories, feedURL)
		return err
	})
	if err != nil {
		return alerts.SaveResult{}, err
	}
	return res, nil
}

// feedSubscribers returns whether a subscription's server may see the
// feed: every subscription when the operator shares it, else those of the
// servers that added it (at most their caps' worth).
func feedSubscribers(ctx context.Context, tx *txn, feedURL string) (func(subID int64) bool, error) {
	var shared bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM feed_owners WHERE url = ? AND guild_id = ''`, feedURL).Scan(&shared); err != nil {
		return nil, err
	}
	if shared {
		return func(int64) bool { return true }, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT s.id FROM subscriptions s JOIN feed_owners o ON o.guild_id = s.guild_id WHERE o.url = ?`, feedURL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return func(id int64) bool { return ids[id] }, rows.Err()
}

// clusterKey is the event a story belongs to; a story the clusterer did not
// see is its own event.
func clusterKey(s alerts.Story) string {
	if s.ClusterID != "" {
		return s.ClusterID
	}
	return "s-" + s.FeedURL + "#" + s.ID
}

// deliveryNonce is the nonce sent with the Discord message for one (channel,
// event). It is derived, not random, so a retry after a crash sends the same
// nonce and Discord's enforce_nonce refuses a second post.
// Discord: a nonce is at most 25 characters.
func deliveryNonce(channelID, clusterID string) string {
	sum := sha256.Sum256([]byte(channelID + "\x00" + clusterID))
	return "v" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// storyColumns are the columns scanStory reads, from stories aliased s.
const storyColumns = `s.feed_url, s.id, s.source, s.title, s.body, s.url, s.published, s.first_seen, s.countries, s.regions, s.summary, s.cluster_id, s.mentions, s.mention_regions`

// visibleToGuild is true for a story of s whose feed the server ? may
// see: its own or the operator's. One parameter: the server's ID.
const visibleToGuild = `EXISTS (SELECT 1 FROM feed_owners fo WHERE fo.url = s.feed_url AND fo.guild_id IN ('', ?))`

// GuildStories returns, newest first, at most limit stories first seen in
// [from, to) from the feeds a server may see, skipping the first offset;
// a zero to is no bound. It is
// what /recent, /watch test and briefings search: bounded, so that they
// answer in time at any size, and never another server's feed.
func (d *DB) GuildStories(ctx context.Context, guildID string, from, to time.Time, offset, limit int) ([]alerts.Story, error) {
	until := int64(math.MaxInt64)
	if !to.IsZero() {
		until = toMillis(to)
	}
	out, err := d.queryStories(ctx, `SELECT `+storyColumns+` FROM stories s
		WHERE s.first_seen >= ? AND s.first_seen < ? AND `+visibleToGuild+`
		ORDER BY s.first_seen DESC, s.feed_url, s.id LIMIT ? OFFSET ?`, toMillis(from), until, guildID, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list stories of server %s: %w", guildID, err)
	}
	return out, nil
}

// RecentStories returns, newest first, at most limit stories first seen at
// or after from, from every feed, skipping the first offset: what the
// operator's `vigil recent` lists.
func (d *DB) RecentStories(ctx context.Context, from time.Time, offset, limit int) ([]alerts.Story, error) {
	out, err := d.queryStories(ctx, `SELECT `+storyColumns+` FROM stories s
		WHERE s.first_seen >= ? ORDER BY s.first_seen DESC, s.feed_url, s.id LIMIT ? OFFSET ?`, toMillis(from), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list recent stories: %w", err)
	}
	return out, nil
}

// queryStories runs a query selecting storyColumns and reads its stories.
func (d *DB) queryStories(ctx context.Context, query string, args ...any) ([]alerts.Story, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []alerts.Story
	for rows.Next() {
		s, err := scanStory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// StoriesSince returns stories first seen at or after since, oldest first, at
// most limit of them. The clusterer is re-seeded from these after a restart.
func (d *DB) StoriesSince(ctx context.Context, since time.Time, limit int) ([]alerts.Story, error) {
	out, err := d.queryStories(ctx, `SELECT `+storyColumns+` FROM stories s
		WHERE first_seen >= ? ORDER BY first_seen, feed_url, id LIMIT ?`, toMillis(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list stories since %s: %w", since.Format(time.RFC3339), err)
	}
	return out, nil
}

// StoryRef names a stored story.
type StoryRef struct {
	FeedURL, ID string
	FirstSeen   time.Time
}

// StoryRefsSince names the stories first seen at or after since, oldest
// first, at most limit of them: what StoriesSince returns without the
// stories, for a reader that already knows most of them.
func (d *DB) StoryRefsSince(ctx context.Context, since time.Time, limit int) ([]StoryRef, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT feed_url, id, first_seen FROM stories
		WHERE first_seen >= ? ORDER BY first_seen, feed_url, id LIMIT ?`, toMillis(since), limit)
	if err != nil {
		return nil, fmt.Errorf("name stories since %s: %w", since.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []StoryRef
	for rows.Next() {
		var r StoryRef
		var firstSeen int64
		if err := rows.Scan(&r.FeedURL, &r.ID, &firstSeen); err != nil {
			return nil, fmt.Errorf("name stories since %s: %w", since.Format(time.RFC3339), err)
		}
		r.FirstSeen = fromMillis(firstSeen)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("name stories since %s: %w", since.Format(time.RFC3339), err)
	}
	return out, nil
}

// StoriesByRef returns the stored stories refs name, oldest first; a ref
// to no story is skipped.
func (d *DB) StoriesByRef(ctx context.Context, refs []StoryRef) ([]alerts.Story, error) {
	var out []alerts.Story
	const perQuery = maxIDsPerQuery / 2 // two parameters each
	for start := 0; start < len(refs); start += perQuery {
		chunk := refs[start:min(start+perQuery, len(refs))]
		args := make([]any, 0, 2*len(chunk))
		for _, r := range chunk {
			args = append(args, r.FeedURL, r.ID)
		}
		got, err := d.queryStories(ctx, `SELECT `+storyColumns+` FROM stories s WHERE `+
			strings.TrimPrefix(strings.Repeat(" OR (s.feed_url = ? AND s.id = ?)", len(chunk)), " OR "), args...)
		if err != nil {
			return nil, fmt.Errorf("read %d stories: %w", len(refs), err)
		}
		out = append(out, got...)
	}
	slices.SortFunc(out, func(a, b alerts.Story) int {
		return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), strings.Compare(a.FeedURL, b.FeedURL), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Story returns one stored story.
func (d *DB) Story(ctx context.Context, feedURL, id string) (alerts.Story, error) {
	s, err := scanStory(d.db.QueryRowContext(ctx, `SELECT `+storyColumns+` FROM stories s WHERE feed_url = ? AND id = ?`, feedURL, id))
	if err == sql.ErrNoRows {
		return alerts.Story{}, fmt.Errorf("story %s of %s: %w", id, feedURL, ErrNotFound)
	}
	if err != nil {
		return alerts.Story{}, fmt.Errorf("read story %s of %s: %w", id, feedURL, err)
	}
	return s, nil
}

func scanStory(sc scanner, extra ...any) (alerts.Story, error) {
	var s alerts.Story
	var published, firstSeen int64
	var countries, regions, mentions, mentionRegions string
	err := sc.Scan(append(extra, &s.FeedURL, &s.ID, &s.Source, &s.Title, &s.Text, &s.URL, &published, &firstSeen,
		&countries, &regions, &s.Summary, &s.ClusterID, &mentions, &mentionRegions)...)
	s.Published, s.FirstSeen = fromMillis(published), fromMillis(firstSeen)
	s.Countries, s.Regions = splitList(countries), splitList(regions)
	s.Mentions, s.MentionRegions = splitList(mentions), splitList(mentionRegions)
	if mentions == "" && mentionRegions == "" {
		// Stored before stories had a focus: their tags were every place
		// named, so they are the mentions too.
		s.Mentions, s.MentionRegions = s.Countries, s.Regions
	}
	return s, err
}
