package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

var t0 = time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)

func openTemp(t *testing.T, path string) *DB {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "vigil.db")
	}
	d, err := Open(context.Background(), path, WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenAppliesMigrationsOnceAndRefusesNewerFiles(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		where := eng.fresh(t)
		d := eng.reopen(t, where)
		ms, err := migrations(eng.name)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := d.SchemaVersion(ctx); v != len(ms) {
			t.Fatalf("schema version = %d, want %d", v, len(ms))
		}
		d.Close()

		// Reopening applies nothing twice.
		d = eng.reopen(t, where)
		if v, _ := d.SchemaVersion(ctx); v != len(ms) {
			t.Fatalf("schema version after reopening = %d, want %d", v, len(ms))
		}
		bump := "PRAGMA user_version = 999"
		if eng.name == EnginePostgres {
			bump = "UPDATE " + pgSchemaTable + " SET version = 999"
		}
		if _, err := d.db.ExecContext(ctx, bump); err != nil {
			t.Fatal(err)
		}
		d.Close()

		_, err = eng.openAt(ctx, where)
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("Open on a newer database: err = %v, want ErrNewerSchema", err)
		}
	})
}

// The two engines' migrations are one history: the same steps, numbered
// and named alike, so a version means the same schema on either.
func TestEachEngineHasTheSameMigrations(t *testing.T) {
	lite, err := migrations(EngineSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(EnginePostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("SQLite has %d migrations, PostgreSQL %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d is %s on SQLite but %s on PostgreSQL", i+1, lite[i].name, pg[i].name)
		}
	}
}

func TestFeedPollStateRoundTrips(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		url := "https://news.example/rss"
		if err := d.UpsertFeed(ctx, alerts.Feed{URL: url, Interval: 5 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name     string
			result   alerts.PollResult
			failures int
			lastErr  string
			etag     string
		}{
			{"a failure counts and keeps the error", alerts.PollResult{At: t0, Err: errors.New("server answered 500")}, 1, "server answered 500", ""},
			{"a second failure counts again", alerts.PollResult{At: t0.Add(time.Minute), Err: errors.New("timed out")}, 2, "timed out", ""},
			{"a success clears the failures and stores validators", alerts.PollResult{At: t0.Add(2 * time.Minute), ETag: `"abc"`, LastModified: "Mon, 23 Mar 2026 09:00:00 GMT", ItemCount: 20, Title: "Example News"}, 0, "", `"abc"`},
			{"not modified keeps the validators", alerts.PollResult{At: t0.Add(3 * time.Minute), NotModified: true}, 0, "", `"abc"`},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if err := d.RecordPoll(ctx, url, st.result); err != nil {
					t.Fatal(err)
				}
				f, err := d.Feed(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				if f.ConsecutiveFailures != st.failures || f.LastError != st.lastErr || f.ETag != st.etag {
					t.Errorf("feed = failures %d, error %q, etag %q; want %d, %q, %q", f.ConsecutiveFailures, f.LastError, f.ETag, st.failures, st.lastErr, st.etag)
				}
				if !f.LastPollAt.Equal(st.result.At) {
					t.Errorf("last poll = %v, want %v", f.LastPollAt, st.result.At)
				}
			})
		}
		f, _ := d.Feed(ctx, url)
		if f.Title != "Example News" || f.LastItemCount != 20 || f.Interval != 5*time.Minute {
			t.Errorf("feed = %+v", f)
		}
		if _, err := d.Feed(ctx, "https://missing.example/"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing feed: err = %v, want ErrNotFound", err)
		}
	})
}

func TestSaveStoriesQueuesEachEventOncePerChannel(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		path := eng.fresh(t)
		d := eng.reopen(t, path)
		feedA, feedB := "https://a.example/rss", "https://b.example/rss"
		for _, u := range []string{feedA, feedB} {
			if err := d.UpsertFeed(ctx, alerts.Feed{URL: u}); err != nil {
				t.Fatal(err)
			}
		}
		sub, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "NATO", MentionRoleID: "r1"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		story := alerts.Story{ID: "guid-1", FeedURL: feedA, Title: "NATO moves troops", Published: t0, FirstSeen: t0, ClusterID: "c-event", Countries: []string{"EE", "LV"}}
		match := alerts.Match{StoryID: "guid-1", FeedURL: feedA, SubscriptionID: sub.ID, ChannelID: "c1", Terms: []string{"nato"}}

		res, err := d.SaveStories(ctx, feedA, []alerts.Story{story}, []alerts.Match{match})
		if err != nil {
			t.Fatal(err)
		}
		if res != (alerts.SaveResult{Stories: 1, Deliveries: 1}) {
			t.Fatalf("first save = %+v", res)
		}

		// The same poll replayed (a crash before the feed state was recorded)
		// writes nothing.
		res, err = d.SaveStories(ctx, feedA, []alerts.Story{story}, []alerts.Match{match})
		if err != nil || res != (alerts.SaveResult{}) {
			t.Fatalf("replayed save = %+v, %v; want nothing written", res, err)
		}

		// Another outlet's report of the same event is stored but not queued again.
		other := story
		other.ID, other.FeedURL = "other-guid", feedB
		otherMatch := match
		otherMatch.StoryID, otherMatch.FeedURL = "other-guid", feedB
		res, err = d.SaveStories(ctx, feedB, []alerts.Story{other}, []alerts.Match{otherMatch})
		if err != nil || res != (alerts.SaveResult{Stories: 1, Deliveries: 0}) {
			t.Fatalf("second outlet save = %+v, %v; want story stored, no delivery", res, err)
		}

		// Nothing is lost across a restart.
		d.Close()
		d = eng.reopen(t, path)
		known, err := d.KnownStoryIDs(ctx, feedA, []string{"guid-1", "guid-2"})
		if err != nil || !known["guid-1"] || known["guid-2"] {
			t.Fatalf("known = %v, %v", known, err)
		}
		pending, err := d.PendingDeliveries(ctx, t0, 10)
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending = %v, %v", pending, err)
		}
		p := pending[0]
		if p.ChannelID != "c1" || p.MentionRoleID != "r1" || p.Story.Title != story.Title || len(p.Story.Countries) != 2 || len(p.Nonce) > 25 || p.Nonce == "" {
			t.Errorf("pending delivery = %+v", p)
		}
		f, _ := d.Feed(ctx, feedA)
		if !f.Primed {
			t.Error("feed not primed after saving its stories")
		}

		// Retry, then deliver.
		if err := d.RetryDelivery(ctx, p.ID, errors.New("429"), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := d.PendingDeliveries(ctx, t0, 10); len(got) != 0 {
			t.Errorf("a delivery waiting to retry is due early: %v", got)
		}
		if got, _ := d.PendingDeliveries(ctx, t0.Add(time.Minute), 10); len(got) != 1 || got[0].Attempts != 1 {
			t.Errorf("retry not due when scheduled: %v", got)
		}
		if err := d.MarkDelivered(ctx, p.ID, "m1", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n, _ := d.PendingCount(ctx); n != 0 {
			t.Errorf("pending after delivery = %d", n)
		}
	})
}

func TestKnownStoryIDsHandlesMoreIDsThanOneQueryHolds(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		feed := "https://big.example/rss"
		var stories []alerts.Story
		var ids []string
		for i := range 1200 {
			id := "id-" + time.Duration(i).String()
			ids = append(ids, id)
			if i%2 == 0 {
				stories = append(stories, alerts.Story{ID: id, FeedURL: feed, Published: t0, FirstSeen: t0})
			}
		}
		if _, err := d.SaveStories(ctx, feed, stories, nil); err != nil {
			t.Fatal(err)
		}
		known, err := d.KnownStoryIDs(ctx, feed, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(known) != 600 {
			t.Errorf("known = %d stories, want 600", len(known))
		}
	})
}

func TestSubscriptionsAreScopedToTheirChannel(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		a, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "Wagner", Regions: []string{"sahel", "ML"}}, "u")
		b, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c2", Query: "Hezbollah"}, "u")
		if err := d.RemoveSubscription(ctx, "c1", b.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("removing another channel's subscription: err = %v, want ErrNotFound", err)
		}
		got, err := d.Subscriptions(ctx, "c1")
		if err != nil || len(got) != 1 || got[0].ID != a.ID || len(got[0].Regions) != 2 {
			t.Fatalf("c1 subscriptions = %+v, %v", got, err)
		}
		creators, err := d.PauseChannel(ctx, "c1")
		if err != nil || len(creators) != 1 || creators[0] != "u" {
			t.Fatalf("PauseChannel = %v, %v; want the creator told", creators, err)
		}
		if again, _ := d.PauseChannel(ctx, "c1"); len(again) != 0 {
			t.Errorf("pausing a paused channel would tell %v again", again)
		}
		all, _ := d.Subscriptions(ctx, "")
		if len(all) != 2 || !all[0].Paused || all[1].Paused {
			t.Errorf("after pausing c1: %+v", all)
		}
	})
}

func TestBriefingIsMarkedOncePerPeriod(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		b := alerts.BriefingSetting{GuildID: "g", ChannelID: "c1", At: "07:30", Timezone: "Europe/London", Regions: []string{"baltic-states"}}
		if err := d.SetBriefing(ctx, b, "admin"); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name   string
			period string
			want   bool
		}{
			{"the first run of a day marks it", "2026-03-29", true},
			{"a second run the same day does not", "2026-03-29", false},
			{"an earlier day cannot be marked after a later one", "2026-03-28", false},
			{"the next day marks again", "2026-03-30", true},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				ok, err := d.MarkBriefing(ctx, "c1", st.period, t0)
				if err != nil || ok != st.want {
					t.Errorf("MarkBriefing(%s) = %v, %v; want %v", st.period, ok, err, st.want)
				}
			})
		}
		// Changing the time keeps the record of what was sent.
		b.At = "18:00"
		if err := d.SetBriefing(ctx, b, "admin"); err != nil {
			t.Fatal(err)
		}
		got, err := d.Briefing(ctx, "c1")
		if err != nil || got.At != "18:00" || got.LastPeriod != "2026-03-30" || !got.LastSentAt.Equal(t0) || got.Regions[0] != "baltic-states" {
			t.Errorf("briefing = %+v, %v", got, err)
		}
		if err := d.RemoveBriefing(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Briefing(ctx, "c1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after removal: %v", err)
		}
	})
}

func TestAnotherOutletsReportFlagsARecentAlertForAnEdit(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		sub, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "NATO"}, "admin")
		for _, u := range []string{"https://a.example/rss", "https://b.example/rss", "https://c.example/rss"} {
			if err := d.UpsertFeed(ctx, alerts.Feed{URL: u}); err != nil {
				t.Fatal(err)
			}
		}
		save := func(feed, id, source string) {
			t.Helper()
			s := alerts.Story{ID: id, FeedURL: feed, Source: source, Title: "NATO moves troops", Published: t0, FirstSeen: t0, ClusterID: "c-event"}
			m := alerts.Match{StoryID: id, FeedURL: feed, SubscriptionID: sub.ID, ChannelID: "c1"}
			if _, err := d.SaveStories(ctx, feed, []alerts.Story{s}, []alerts.Match{m}); err != nil {
				t.Fatal(err)
			}
		}
		save("https://a.example/rss", "a1", "Outlet A")
		pending, _ := d.PendingDeliveries(ctx, t0, 10)
		if len(pending) != 1 || len(pending[0].AlsoReportedBy) != 0 {
			t.Fatalf("pending = %+v", pending)
		}
		// A second report while the alert still waits: no edit, the alert
		// will carry it when sent.
		save("https://b.example/rss", "b1", "Outlet B")
		if edits, _ := d.PendingEdits(ctx, 10); len(edits) != 0 {
			t.Errorf("edit flagged for an alert not sent yet: %+v", edits)
		}
		pending, _ = d.PendingDeliveries(ctx, t0, 10)
		if len(pending) != 1 || strings.Join(pending[0].AlsoReportedBy, ",") != "Outlet B" {
			t.Fatalf("pending = %+v; want outlet B as also reporting", pending)
		}
		if err := d.MarkDelivered(ctx, pending[0].ID, "m1", t0); err != nil {
			t.Fatal(err)
		}
		// A third report after the alert went out flags it for an edit.
		save("https://c.example/rss", "c1", "Outlet C")
		edits, err := d.PendingEdits(ctx, 10)
		if err != nil || len(edits) != 1 {
			t.Fatalf("edits = %+v, %v", edits, err)
		}
		e := edits[0]
		if e.MessageID != "m1" || strings.Join(e.AlsoReportedBy, ",") != "Outlet B,Outlet C" {
			t.Errorf("edit = message %q, also reported by %v", e.MessageID, e.AlsoReportedBy)
		}
		if err := d.MarkEdited(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if edits, _ := d.PendingEdits(ctx, 10); len(edits) != 0 {
			t.Errorf("edit still pending after MarkEdited")
		}
		if n, _ := d.PendingCount(ctx); n != 0 {
			t.Errorf("a later report queued a second alert: %d pending", n)
		}
	})
}

func TestChannelStoriesAreTheChannelsEventsWithEveryReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		clock := t0
		d, err := eng.openAt(ctx, eng.fresh(t), WithClock(func() time.Time { return clock }))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		feedA, feedB := "https://a.example/rss", "https://b.example/rss"
		for _, u := range []string{feedA, feedB} {
			if err := d.UpsertFeed(ctx, alerts.Feed{URL: u}); err != nil {
				t.Fatal(err)
			}
		}
		sub, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "NATO"}, "admin")
		if err != nil {
			t.Fatal(err)
		}
		save := func(feedURL, id, cluster string, matched bool) {
			t.Helper()
			s := alerts.Story{ID: id, FeedURL: feedURL, Title: id, Published: clock, FirstSeen: clock, ClusterID: cluster}
			var ms []alerts.Match
			if matched {
				ms = []alerts.Match{{StoryID: id, FeedURL: feedURL, SubscriptionID: sub.ID, ChannelID: "c1"}}
			}
			if _, err := d.SaveStories(ctx, feedURL, []alerts.Story{s}, ms); err != nil {
				t.Fatal(err)
			}
		}
		save(feedA, "before", "e0", true) // queued before the period
		clock = t0.Add(time.Hour)
		save(feedA, "nato-a", "e1", true)
		save(feedB, "nato-b", "e1", false) // another outlet, same event, not queued again
		save(feedA, "unclustered", "", true)
		save(feedB, "unrelated", "e2", false) // never matched for c1
		clock = t0.Add(3 * time.Hour)
		save(feedB, "after", "e3", true) // queued after the period

		got, err := d.ChannelStories(ctx, "g", "c1", t0.Add(30*time.Minute), t0.Add(2*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		if strings.Join(ids, ",") != "nato-a,nato-b,unclustered" {
			t.Errorf("channel stories = %v; want both reports of e1 and the unclustered story", ids)
		}
		if other, _ := d.ChannelStories(ctx, "g", "c2", t0, t0.Add(4*time.Hour), 100); len(other) != 0 {
			t.Errorf("another channel sees %d stories", len(other))
		}
		if capped, _ := d.ChannelStories(ctx, "g", "c1", t0, t0.Add(4*time.Hour), 2); len(capped) != 2 {
			t.Errorf("limit 2 returned %d stories", len(capped))
		}
	})
}

// openAtVersion creates a database file with only the first n migrations
// applied, as an older release left it.
func openAtVersion(t *testing.T, n int) (*sql.DB, string) {
	t.Helper()
	ms, err := migrations(EngineSQLite)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vigil.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, m := range ms[:n] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			t.Fatal(err)
		}
	}
	return db, path
}

func TestUpgradeKeepsSubscriptionsMatchingByFocus(t *testing.T) {
	ctx := context.Background()
	old, path := openAtVersion(t, 3)
	sep := "\x1f"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO subscriptions (guild_id, channel_id, query, regions, created_at) VALUES ('g', 'c1', '', ?, 1)`,
			[]any{"eastern-asia" + sep + "ML" + sep + "northern-america"}},
		{`INSERT INTO subscriptions (guild_id, channel_id, query, regions, created_at) VALUES ('g', 'c2', 'Wagner', '', 1)`, nil},
		{`INSERT INTO briefings (channel_id, guild_id, at, timezone, regions, created_at) VALUES ('c1', 'g', '07:00', 'UTC', ?, 1)`,
			[]any{"south-eastern-asia" + sep + "southern-asia"}},
		{`INSERT INTO stories (feed_url, id, title, published, first_seen, countries, regions) VALUES ('f', 's1', 'Old story', 1, 1, ?, ?)`,
			[]any{"RU" + sep + "UA", "eastern-europe"}},
	} {
		if _, err := old.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	old.Close()

	d := openTemp(t, path)
	subs, err := d.Subscriptions(ctx, "")
	if err != nil || len(subs) != 2 {
		t.Fatalf("Subscriptions = %+v, %v", subs, err)
	}
	if got := strings.Join(subs[0].Regions, ","); got != "east-asia,ML,north-america" {
		t.Errorf("regions after upgrade = %s, want the canonical slugs east-asia,ML,north-america", got)
	}
	for _, s := range subs {
		if s.Scope != alerts.ScopeFocus {
			t.Errorf("subscription %d scope = %q, want %q", s.ID, s.Scope, alerts.ScopeFocus)
		}
	}
	b, err := d.Briefing(ctx, "c1")
	if err != nil || strings.Join(b.Regions, ",") != "southeast-asia,south-asia" {
		t.Errorf("briefing regions after upgrade = %q, %v; want southeast-asia,south-asia", b.Regions, err)
	}
	s, err := d.Story(ctx, "f", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.Mentions, ",") != "RU,UA" || strings.Join(s.MentionRegions, ",") != "eastern-europe" {
		t.Errorf("an old story's mentions = %q %q, want its stored places", s.Mentions, s.MentionRegions)
	}
}

func TestSubscriptionScopeAndStoryPlacesRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		for _, scope := range []string{"", alerts.ScopeFocus, alerts.ScopeMentions} {
			if _, err := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c", Regions: []string{"RU"}, Scope: scope}, "u"); err != nil {
				t.Fatal(err)
			}
		}
		subs, _ := d.Subscriptions(ctx, "c")
		var got []string
		for _, s := range subs {
			got = append(got, s.Scope)
		}
		if strings.Join(got, ",") != "focus,focus,mentions" {
			t.Errorf("scopes = %q, want focus,focus,mentions", got)
		}

		story := alerts.Story{ID: "s1", FeedURL: "f", Title: "Niger junta seizes uranium", Published: t0, FirstSeen: t0}
		story.SetPlaces(alerts.Places{
			Countries: []string{"NE", "FR"}, Regions: []string{"sahel", "africa"},
			Mentions: []string{"NE", "FR", "RU", "IR"}, MentionRegions: []string{"sahel", "africa", "eastern-europe"},
		})
		if _, err := d.SaveStories(ctx, "f", []alerts.Story{story}, nil); err != nil {
			t.Fatal(err)
		}
		back, err := d.Story(ctx, "f", "s1")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ name, got, want string }{
			{"countries", strings.Join(back.Countries, ","), "NE,FR"},
			{"regions", strings.Join(back.Regions, ","), "sahel,africa"},
			{"mentions", strings.Join(back.Mentions, ","), "NE,FR,RU,IR"},
			{"mention regions", strings.Join(back.MentionRegions, ","), "sahel,africa,eastern-europe"},
		} {
			if c.got != c.want {
				t.Errorf("%s = %s, want %s (in salience order)", c.name, c.got, c.want)
			}
		}
	})
}

func TestOpenNamesWhyItCannotOpenTheFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(readOnly, 0o700) })
	tests := []struct {
		name string
		path string
		want string
		is   error
	}{
		{"a missing directory", filepath.Join(dir, "missing", "vigil.db"), "the directory " + filepath.Join(dir, "missing") + " does not exist", fs.ErrNotExist},
		{"a directory", dir, dir + " is a directory, not a database file", nil},
		{"a directory it cannot write", filepath.Join(readOnly, "vigil.db"), "permission denied: this user cannot create files in " + readOnly, fs.ErrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "(14)") {
				t.Errorf("err = %v still carries SQLite's bare code", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.is)
			}
			if entries, _ := os.ReadDir(readOnly); len(entries) != 0 {
				t.Errorf("left %d files behind in %s", len(entries), readOnly)
			}
		})
	}
}

// A process recalling the others' stories names the recent ones first and
// reads only those it does not know.
func TestStoryRefsSinceNamesRecentStoriesAndStoriesByRefReadsThem(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		feedA, feedB := "https://a.example/rss", "https://b.example/rss"
		for _, u := range []string{feedA, feedB} {
			if err := d.UpsertFeed(ctx, alerts.Feed{URL: u}); err != nil {
				t.Fatal(err)
			}
		}
		at := func(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }
		saves := map[string][]alerts.Story{
			feedA: {{ID: "a-old", FeedURL: feedA, Title: "Old", FirstSeen: at(-10)}, {ID: "a-new", FeedURL: feedA, Title: "New A", FirstSeen: at(2), ClusterID: "c-a"}},
			feedB: {{ID: "b-new", FeedURL: feedB, Title: "New B", FirstSeen: at(1), ClusterID: "c-b"}, {ID: "b-newest", FeedURL: feedB, Title: "Newest", FirstSeen: at(3)}},
		}
		for feed, stories := range saves {
			if _, err := d.SaveStories(ctx, feed, stories, nil); err != nil {
				t.Fatal(err)
			}
		}
		refs, err := d.StoryRefsSince(ctx, at(0), 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []StoryRef{{feedB, "b-new", at(1)}, {feedA, "a-new", at(2)}, {feedB, "b-newest", at(3)}}
		if !slices.EqualFunc(refs, want, func(a, b StoryRef) bool {
			return a.FeedURL == b.FeedURL && a.ID == b.ID && a.FirstSeen.Equal(b.FirstSeen)
		}) {
			t.Errorf("StoryRefsSince = %v, want %v", refs, want)
		}
		if limited, err := d.StoryRefsSince(ctx, at(0), 2); err != nil || len(limited) != 2 || limited[1].ID != "a-new" {
			t.Errorf("StoryRefsSince with limit 2 = %v, %v; want the oldest two", limited, err)
		}
		got, err := d.StoriesByRef(ctx, []StoryRef{{FeedURL: feedB, ID: "b-newest"}, {FeedURL: feedA, ID: "a-new"}, {FeedURL: feedA, ID: "no-such-story"}, {FeedURL: feedB, ID: "a-new"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != "a-new" || got[0].Title != "New A" || got[0].ClusterID != "c-a" || got[1].ID != "b-newest" {
			t.Errorf("StoriesByRef = %+v; want a-new then b-newest, in full, and nothing for the refs to no story", got)
		}
		// More refs than one query takes.
		many := []StoryRef{{FeedURL: feedA, ID: "a-old"}}
		for i := range 600 {
			many = append(many, StoryRef{FeedURL: feedA, ID: fmt.Sprintf("absent-%d", i)})
		}
		many = append(many, StoryRef{FeedURL: feedB, ID: "b-new"})
		if got, err := d.StoriesByRef(ctx, many); err != nil || len(got) != 2 || got[0].ID != "a-old" || got[1].ID != "b-new" {
			t.Errorf("StoriesByRef of 602 refs = %d stories, %v; want a-old and b-new", len(got), err)
		}
		if none, err := d.StoriesByRef(ctx, nil); err != nil || len(none) != 0 {
			t.Errorf("StoriesByRef(nil) = %v, %v", none, err)
		}
	})
}
