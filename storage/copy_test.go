package storage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// populate fills d the way a deployment that has run a while is filled:
// operator and server feeds with labels and poll state, stories, several
// subscriptions (one removed, so ids have a gap), alerts pending, sent,
// refused, folded into a digest and flagged for an edit, a briefing sent
// and one composed, and a channel hold.
func populate(t *testing.T, d *DB) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wire, local := "https://wire.example/rss", "https://local.example/feed"
	must(d.UpsertFeed(ctx, alerts.Feed{URL: wire, Title: "Wire", Interval: 5 * time.Minute, FetchArticle: true}))
	_, err := d.AddGuildFeed(ctx, "g1", alerts.Feed{URL: local, Title: "Local"})
	must(err)
	must(d.SetFeedLabel(ctx, "g1", local, FeedLabel{Title: "Local news", SiteURL: "https://local.example/", Category: "Europe/Baltics"}))
	must(d.RecordPoll(ctx, wire, alerts.PollResult{At: t0, ETag: `"v1"`, LastModified: "Mon, 23 Mar 2026 08:00:00 GMT", ItemCount: 30, Title: "The Wire"}))
	must(d.RecordPoll(ctx, local, alerts.PollResult{At: t0, Err: errors.New("503 Service Unavailable")}))

	subs := make([]alerts.Subscription, 0, 4)
	for i, s := range []alerts.Subscription{
		{GuildID: "g1", ChannelID: "c1", Query: "drone OR missile", Regions: []string{"baltic-states"}, MentionRoleID: "r1"},
		{GuildID: "g1", ChannelID: "c2", Query: "gone"},
		{GuildID: "g1", ChannelID: "c2", Query: "port", Feeds: []string{local}, Scope: alerts.ScopeMentions},
		{GuildID: "g2", ChannelID: "c3", Query: "quake", Paused: true},
	} {
		added, err := d.AddSubscription(ctx, s, fmt.Sprintf("admin%d", i))
		must(err)
		subs = append(subs, added)
	}
	must(d.RemoveSubscription(ctx, "c2", subs[1].ID))

	var stories []alerts.Story
	var matches []alerts.Match
	for i := range 12 {
		id := fmt.Sprintf("w%02d", i)
		stories = append(stories, alerts.Story{ID: id, FeedURL: wire, Source: "Wire", Title: "Drone sighting " + id, Text: "Body, with a comma and \u00e9.",
			URL: "https://wire.example/" + id, Published: t0.Add(time.Duration(i) * time.Minute), FirstSeen: t0.Add(time.Duration(i) * time.Minute),
			Countries: []string{"EE", "LV"}, Regions: []string{"baltic-states"}, Mentions: []string{"EE", "LV", "RU"}, Summary: "A drone.",
			ClusterID: "e" + id})
		matches = append(matches, alerts.Match{StoryID: id, FeedURL: wire, SubscriptionID: subs[0].ID, ChannelID: "c1", Terms: []string{"drone"}, Fold: i >= 9})
	}
	_, err = d.SaveStories(ctx, wire, stories, matches)
	must(err)
	_, err = d.SaveStories(ctx, local, []alerts.Story{{ID: "l1", FeedURL: local, Source: "Local", Title: "Port closed", Published: t0, FirstSeen: t0, ClusterID: "ew00"}},
		[]alerts.Match{{StoryID: "l1", FeedURL: local, SubscriptionID: subs[2].ID, ChannelID: "c2"}})
	must(err)

	pending, err := d.PendingDeliveries(ctx, t0.Add(time.Hour), 100)
	must(err)
	if len(pending) < 6 {
		t.Fatalf("populate: %d pending deliveries, want at least 6", len(pending))
	}
	must(d.MarkDelivered(ctx, pending[0].ID, "m-100", t0.Add(time.Minute)))
	must(d.MarkDelivered(ctx, pending[1].ID, "m-101", t0.Add(2*time.Minute)))
	must(d.MarkAttempted(ctx, pending[2].ID, t0.Add(3*time.Minute)))
	must(d.RetryDelivery(ctx, pending[3].ID, errors.New("502 Bad Gateway"), t0.Add(10*time.Minute)))
	must(d.RefuseDelivery(ctx, pending[4].ID, errors.New("400 Bad Request: embed too long"), t0.Add(4*time.Minute)))
	// Another outlet's report of a sent event flags it for an edit.
	_, err = d.SaveStories(ctx, local, []alerts.Story{{ID: "l2", FeedURL: local, Source: "Local", Title: "Drone seen too", Published: t0, FirstSeen: t0, ClusterID: pending[0].ClusterID}},
		[]alerts.Match{{StoryID: "l2", FeedURL: local, SubscriptionID: subs[0].ID, ChannelID: "c1"}})
	must(err)

	must(d.SetBriefing(ctx, alerts.BriefingSetting{GuildID: "g1", ChannelID: "c1", At: "07:30", Timezone: "Europe/Tallinn", Regions: []string{"baltic-states"}, Query: "drone"}, "admin0"))
	if ok, err := d.MarkBriefing(ctx, "c1", "2026-03-23", t0.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("populate: MarkBriefing = %v, %v", ok, err)
	}
	_, err = d.SaveBriefingParts(ctx, []alerts.BriefingPart{
		{ChannelID: "c1", Period: "2026-03-24", Part: 0, Parts: 2, Body: []byte(`{"content":"part one"}`), Nonce: "b-c1-0"},
		{ChannelID: "c1", Period: "2026-03-24", Part: 1, Parts: 2, Body: []byte(`{"content":"part two"}`), Nonce: "b-c1-1"},
	})
	must(err)
	must(d.MarkBriefingPartSent(ctx, "c1", "2026-03-24", 0, "m-200", t0.Add(25*time.Hour)))
	_, err = d.HoldChannel(ctx, alerts.ChannelHold{ChannelID: "c3", Until: t0.Add(time.Hour), Kind: "forbidden", Reason: "403 Missing Access"})
	must(err)
}

// snapshot is everything the storage API tells about a database, read as
// vigil reads it.
type snapshot struct {
	Feeds, GuildFeeds     []alerts.Feed
	Labels                map[string]FeedLabel
	Subscriptions         []alerts.Subscription
	Fingerprint           string
	Stories               []alerts.Story
	Pending, Queue, Edits []alerts.Delivery
	Recent                []alerts.Story
	DueChannels           []string
	PendingCount          int
	Briefings             []alerts.BriefingSetting
	Parts                 []alerts.BriefingPart
	Hold                  alerts.ChannelHold
	Refused               int
	RefusedWhy            string
	DigestCount           int
	DigestSample          []alerts.Story
	Alert                 alerts.ChannelAlert
}

func takeSnapshot(t *testing.T, d *DB) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	var err error
	check := func(what string, e error) {
		t.Helper()
		if e != nil {
			t.Fatalf("%s: %v", what, e)
		}
	}
	far := t0.Add(48 * time.Hour)
	s.Feeds, err = d.Feeds(ctx)
	check("Feeds", err)
	s.GuildFeeds, err = d.GuildFeeds(ctx, "g1")
	check("GuildFeeds", err)
	s.Labels, err = d.FeedLabels(ctx, "g1")
	check("FeedLabels", err)
	s.Subscriptions, err = d.Subscriptions(ctx, "")
	check("Subscriptions", err)
	s.Fingerprint, err = d.SubscriptionsFingerprint(ctx)
	check("SubscriptionsFingerprint", err)
	s.Stories, err = d.StoriesSince(ctx, time.Time{}, 1000)
	check("StoriesSince", err)
	s.Pending, err = d.PendingDeliveries(ctx, far, 1000)
	check("PendingDeliveries", err)
	s.Queue, err = d.ChannelQueue(ctx, "c1", far, 1000)
	check("ChannelQueue", err)
	s.Edits, err = d.PendingEdits(ctx, 100)
	check("PendingEdits", err)
	s.Recent, err = d.RecentDeliveries(ctx, "c1", 100)
	check("RecentDeliveries", err)
	s.DueChannels, err = d.DueChannels(ctx, far, 100)
	check("DueChannels", err)
	s.PendingCount, err = d.PendingCount(ctx)
	check("PendingCount", err)
	s.Briefings, err = d.Briefings(ctx)
	check("Briefings", err)
	s.Parts, err = d.BriefingParts(ctx, "c1", "2026-03-24")
	check("BriefingParts", err)
	s.Hold, _, err = d.ChannelHold(ctx, "c3")
	check("ChannelHold", err)
	s.Refused, s.RefusedWhy, err = d.Refusals(ctx, "c1", time.Time{})
	check("Refusals", err)
	for _, dl := range s.Queue {
		if dl.Digest {
			s.DigestCount, s.DigestSample, err = d.DigestContents(ctx, dl.ID, 10)
			check("DigestContents", err)
		}
	}
	if len(s.Stories) > 0 {
		s.Alert, _, err = d.ChannelAlert(ctx, "c1", s.Stories[0])
		check("ChannelAlert", err)
	}
	return s
}

func TestCopyToPostgresLosesNothing(t *testing.T) {
	ctx := context.Background()
	lite := backends[0].open(t, WithLimits(alerts.Limits{ChannelAlertsPerHour: 20}))
	pg := backends[1].open(t)
	populate(t, lite)
	want := takeSnapshot(t, lite)
	if want.DigestCount == 0 || len(want.Edits) == 0 || want.Refused == 0 || len(want.Recent) == 0 {
		t.Fatalf("populate made too little to compare: %+v", want)
	}

	copied, err := CopyToPostgres(ctx, lite, pg, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, c := range copied {
		rows[c.Table] = c.Rows
	}
	for _, table := range []string{"feeds", "feed_owners", "stories", "subscriptions", "outbox", "briefings", "briefing_parts", "channel_holds"} {
		if rows[table] == 0 {
			t.Errorf("copied %d rows of %s; want every table copied (%v)", rows[table], table, copied)
		}
	}

	got := takeSnapshot(t, pg)
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("%s differs after the copy:\n PostgreSQL %+v\n     SQLite %+v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}

	// Ids go on from where SQLite was, on both: a delivery or subscription
	// made after the move cannot take an id (and so a nonce) already used.
	next := alerts.Subscription{GuildID: "g1", ChannelID: "c9", Query: "after"}
	a, err := lite.AddSubscription(ctx, next, "admin")
	if err != nil {
		t.Fatal(err)
	}
	b, err := pg.AddSubscription(ctx, next, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID {
		t.Errorf("the next subscription is %d on SQLite but %d on PostgreSQL", a.ID, b.ID)
	}
	res, err := pg.SaveStories(ctx, "https://wire.example/rss", []alerts.Story{{ID: "new", FeedURL: "https://wire.example/rss", Title: "Drone", Published: t0, FirstSeen: t0, ClusterID: "enew"}},
		[]alerts.Match{{StoryID: "new", FeedURL: "https://wire.example/rss", SubscriptionID: want.Subscriptions[0].ID, ChannelID: "c1"}})
	if err != nil || res.Deliveries != 1 {
		t.Fatalf("a story after the copy: %+v, %v", res, err)
	}
	var maxCopied int64
	for _, dl := range append(want.Pending, want.Edits...) {
		maxCopied = max(maxCopied, dl.ID)
	}
	after, err := pg.ChannelQueue(ctx, "c1", t0.Add(48*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if last := after[len(after)-1]; last.Story.ID != "new" || last.ID <= maxCopied {
		t.Errorf("the alert queued after the copy is %d (%s); want a new id past %d", last.ID, last.Story.ID, maxCopied)
	}
}

func TestCopyToPostgresRefusesATargetWithData(t *testing.T) {
	ctx := context.Background()
	lite := backends[0].open(t)
	pg := backends[1].open(t)
	populate(t, lite)
	if _, err := pg.AddSubscription(ctx, alerts.Subscription{GuildID: "other", ChannelID: "x", Query: "kept"}, "admin"); err != nil {
		t.Fatal(err)
	}

	_, err := CopyToPostgres(ctx, lite, pg, CopyOptions{})
	if !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("copy into a database with data: err = %v, want ErrTargetNotEmpty", err)
	}
	if subs, _ := pg.Subscriptions(ctx, ""); len(subs) != 1 || subs[0].Query != "kept" {
		t.Fatalf("a refused copy changed the target: %+v", subs)
	}

	if _, err := CopyToPostgres(ctx, lite, pg, CopyOptions{Overwrite: true}); err != nil {
		t.Fatalf("copy with Overwrite: %v", err)
	}
	want, got := takeSnapshot(t, lite), takeSnapshot(t, pg)
	if !reflect.DeepEqual(got.Subscriptions, want.Subscriptions) {
		t.Errorf("after overwriting, subscriptions = %+v\nwant the SQLite file's %+v", got.Subscriptions, want.Subscriptions)
	}
}
