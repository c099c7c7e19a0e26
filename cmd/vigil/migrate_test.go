package main

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/storage"
	"github.com/vigilbot/vigil/storage/storagetest"
)

// seedDeployment fills a SQLite file as a deployment that has run a while:
// feeds with a label, stories, subscriptions, alerts pending and
// delivered, a briefing and a channel hold.
func seedDeployment(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)
	db, err := storage.Open(ctx, path, storage.WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wire, local := "https://wire.example/rss", "https://local.example/feed"
	must(db.UpsertFeed(ctx, alerts.Feed{URL: wire, Title: "Wire"}))
	_, err = db.AddGuildFeed(ctx, "111111111111111111", alerts.Feed{URL: local})
	must(err)
	must(db.SetFeedLabel(ctx, "111111111111111111", local, storage.FeedLabel{Title: "Local", Category: "News"}))
	sub, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: "111111111111111111", ChannelID: "222", Query: "drone"}, "admin")
	must(err)
	_, err = db.AddSubscription(ctx, alerts.Subscription{GuildID: "111111111111111111", ChannelID: "333", Query: "port", Feeds: []string{local}}, "admin")
	must(err)
	var stories []alerts.Story
	var matches []alerts.Match
	for _, id := range []string{"a", "b", "c"} {
		stories = append(stories, alerts.Story{ID: id, FeedURL: wire, Source: "Wire", Title: "Drone " + id, Published: t0, FirstSeen: t0, ClusterID: "e-" + id})
		matches = append(matches, alerts.Match{StoryID: id, FeedURL: wire, SubscriptionID: sub.ID, ChannelID: "222"})
	}
	_, err = db.SaveStories(ctx, wire, stories, matches)
	must(err)
	pending, err := db.PendingDeliveries(ctx, t0, 10)
	must(err)
	must(db.MarkDelivered(ctx, pending[0].ID, "m1", t0.Add(time.Minute)))
	must(db.SetBriefing(ctx, alerts.BriefingSetting{GuildID: "111111111111111111", ChannelID: "222", At: "07:00", Timezone: "UTC"}, "admin"))
	_, err = db.HoldChannel(ctx, alerts.ChannelHold{ChannelID: "333", Until: t0.Add(time.Hour), Kind: "retry", Reason: "502"})
	must(err)
}

// deploymentView is what vigil reads of a deployment, to compare two.
type deploymentView struct {
	Feeds         []alerts.Feed
	Labels        map[string]storage.FeedLabel
	Subscriptions []alerts.Subscription
	Pending       []alerts.Delivery
	Delivered     []alerts.Story
	Briefings     []alerts.BriefingSetting
	Hold          alerts.ChannelHold
}

func viewDeployment(t *testing.T, db *storage.DB) deploymentView {
	t.Helper()
	ctx := context.Background()
	var v deploymentView
	var errs [7]error
	v.Feeds, errs[0] = db.Feeds(ctx)
	v.Labels, errs[1] = db.FeedLabels(ctx, "111111111111111111")
	v.Subscriptions, errs[2] = db.Subscriptions(ctx, "")
	v.Pending, errs[3] = db.PendingDeliveries(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 100)
	v.Delivered, errs[4] = db.RecentDeliveries(ctx, "222", 100)
	v.Briefings, errs[5] = db.Briefings(ctx)
	v.Hold, _, errs[6] = db.ChannelHold(ctx, "333")
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateCopiesADeploymentIntoPostgres(t *testing.T) {
	dsn := storagetest.DSN(t)
	src := filepath.Join(t.TempDir(), "vigil.db")
	seedDeployment(t, src)

	env, stdout, _ := testEnv("")
	if err := runMigrate(context.Background(), env, []string{"--from", src, "--to", dsn}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"copied " + src + " into PostgreSQL", "3  stories", "2  subscriptions", "1  channel_holds", `storage.driver = "postgres"`} {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("output does not say %q:\n%s", w, stdout)
		}
	}

	lite, err := storage.Open(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	pg, err := storage.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	want, got := viewDeployment(t, lite), viewDeployment(t, pg)
	if len(want.Pending) != 2 || len(want.Delivered) != 1 {
		t.Fatalf("seed: %d pending and %d delivered; want 2 and 1", len(want.Pending), len(want.Delivered))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PostgreSQL reads\n%+v\nwant what SQLite reads\n%+v", got, want)
	}

	t.Run("a second run is refused, naming --overwrite", func(t *testing.T) {
		env, _, _ := testEnv("")
		err := runMigrate(context.Background(), env, []string{"--from", src, "--to", dsn})
		if err == nil || !strings.Contains(err.Error(), "already holds vigil data") || !strings.Contains(err.Error(), "--overwrite") {
			t.Fatalf("err = %v, want a refusal naming --overwrite", err)
		}
		if err := runMigrate(context.Background(), env, []string{"--from", src, "--to", dsn, "--overwrite"}); err != nil {
			t.Fatalf("with --overwrite: %v", err)
		}
	})
	t.Run("the target can come from the config", func(t *testing.T) {
		dsn2 := storagetest.DSN(t)
		path := writeConfig(t, "[storage]\ndriver = \"postgres\"\npath = \""+src+"\"\n")
		env, _, _ := testEnv("")
		env.getenv = func(k string) string {
			if k == "VIGIL_DATABASE_URL" {
				return dsn2
			}
			return ""
		}
		if err := runMigrate(context.Background(), env, []string{"--config", path}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrateSaysWhatIsMissing(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no target anywhere", []string{"--from", "vigil.db"}, true, "no PostgreSQL database to copy into"},
		{"a source that is not there", []string{"--from", filepath.Join(t.TempDir(), "missing.db"), "--to", "postgres://vigil@127.0.0.1:1/vigil"}, false,
			"no SQLite database at"},
		{"a stray argument", []string{"vigil.db"}, true, "--from FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, _ := testEnv("")
			err := runMigrate(context.Background(), env, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, errUsage) != tt.usage {
				t.Errorf("err = %v, want %q (usage error: %v)", err, tt.want, tt.usage)
			}
		})
	}
}
