package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/storage"
)

// TestAnEventReportedOnFeedsThatTwoProcessesPollIsOneEvent has two
// processes (two engines, each with its own handle on one database) poll
// one feed each; both feeds report the same event. With recall, the second
// process puts its report in the event the first one opened; without it,
// each would open its own and a channel watching both would be alerted
// twice.
func TestAnEventReportedOnFeedsThatTwoProcessesPollIsOneEvent(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now()
	reports := []alerts.Story{
		{FeedURL: "https://first.example/rss", ID: "first-1", URL: "https://first.example/nato-baltic",
			Title:     "NATO moves troops to the Baltic states as Russia masses 100,000 near Ukraine",
			Text:      "NATO is moving extra battalions to Estonia, Latvia and Lithuania after Russia massed about 100,000 troops near the Ukrainian border, alliance officials said on Tuesday.",
			Published: now.Add(-2 * time.Minute), FirstSeen: now},
		{FeedURL: "https://second.example/rss", ID: "second-1", URL: "https://second.example/world/nato-troops",
			Title:     "NATO sends troops to Baltic states as Russia masses 100,000 soldiers near Ukraine",
			Text:      "The alliance is sending more battalions to Estonia, Latvia and Lithuania as Russia masses some 100,000 soldiers near the border with Ukraine, NATO officials said on Tuesday.",
			Published: now.Add(-time.Minute), FirstSeen: now},
	}
	for _, tt := range []struct {
		name     string
		recall   bool
		oneEvent bool
	}{
		{"with recall the second process joins the first one's event", true, true},
		{"without it each process opens its own event", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "vigil.db")
			type process struct {
				db   *storage.DB
				pipe *pipeline.Pipeline
			}
			var procs []process
			// Both processes start before either report is stored.
			for range reports {
				db, err := storage.Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				e, err := newEngine(DefaultConfig(), quiet)
				if err != nil {
					t.Fatal(err)
				}
				if err := e.restoreClusters(ctx, db, now); err != nil {
					t.Fatal(err)
				}
				stages := e.stages()
				if tt.recall {
					stages.Recall = func(ctx context.Context) { e.recall(ctx, db) }
				}
				procs = append(procs, process{db, pipeline.New(pipeline.Config{Stages: stages, Store: db, FirstPollWindow: time.Hour, Logger: quiet})})
			}
			var ids []string
			for i, report := range reports {
				p := procs[i]
				if err := p.db.UpsertFeed(ctx, alerts.Feed{URL: report.FeedURL}); err != nil {
					t.Fatal(err)
				}
				if _, err := p.pipe.Process(ctx, alerts.Feed{URL: report.FeedURL, Primed: true}, []alerts.Story{report}); err != nil {
					t.Fatalf("process %d: %v", i+1, err)
				}
				stored, err := p.db.Story(ctx, report.FeedURL, report.ID)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, stored.ClusterID)
			}
			if got := ids[0] == ids[1]; got != tt.oneEvent {
				t.Errorf("the two reports' events are %v; one event: %v, want %v", ids, got, tt.oneEvent)
			}
		})
	}
}

// The first process reads its story's article page, which takes seconds;
// the second stores its report of the same event meanwhile. The first
// reads the others' stories after its page, not before, and joins that
// event: reading them at the start of its poll, it would open a second
// event, and a channel watching both feeds would be alerted twice.
func TestAReportStoredWhileAnotherProcessReadsAnArticlePageIsInItsEvent(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	now := time.Now()
	path := filepath.Join(t.TempDir(), "vigil.db")
	slow := alerts.Story{FeedURL: "https://slow.example/rss", ID: "slow-1", URL: "https://slow.example/nato-baltic",
		Title:     "NATO moves troops to the Baltic states as Russia masses 100,000 near Ukraine",
		Text:      "NATO is moving extra battalions to Estonia, Latvia and Lithuania after Russia massed about 100,000 troops near the Ukrainian border, alliance officials said on Tuesday.",
		Published: now.Add(-2 * time.Minute), FirstSeen: now}
	quick := alerts.Story{FeedURL: "https://quick.example/rss", ID: "quick-1", URL: "https://quick.example/world/nato-troops",
		Title:     "NATO sends troops to Baltic states as Russia masses 100,000 soldiers near Ukraine",
		Text:      "The alliance is sending more battalions to Estonia, Latvia and Lithuania as Russia masses some 100,000 soldiers near the border with Ukraine, NATO officials said on Tuesday.",
		Published: now.Add(-time.Minute), FirstSeen: now}
	pageRead, quickStored := make(chan struct{}), make(chan struct{})
	type process struct {
		db   *storage.DB
		pipe *pipeline.Pipeline
	}
	var procs []process
	for i := range 2 {
		db, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		e, err := newEngine(DefaultConfig(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.restoreClusters(ctx, db, now); err != nil {
			t.Fatal(err)
		}
		stages := e.stages()
		stages.Recall = func(ctx context.Context) { e.recall(ctx, db) }
		if i == 0 {
			stages.Article = func(ctx context.Context, url string) (string, error) {
				close(pageRead)
				<-quickStored
				return slow.Text, nil
			}
		}
		procs = append(procs, process{db, pipeline.New(pipeline.Config{Stages: stages, Store: db, FirstPollWindow: time.Hour, Logger: quiet})})
	}
	for i, s := range []alerts.Story{slow, quick} {
		if err := procs[i].db.UpsertFeed(ctx, alerts.Feed{URL: s.FeedURL}); err != nil {
			t.Fatal(err)
		}
	}
	slowDone := make(chan error, 1)
	go func() {
		_, err := procs[0].pipe.Process(ctx, alerts.Feed{URL: slow.FeedURL, Primed: true, FetchArticle: true}, []alerts.Story{slow})
		slowDone <- err
	}()
	<-pageRead
	if _, err := procs[1].pipe.Process(ctx, alerts.Feed{URL: quick.FeedURL, Primed: true}, []alerts.Story{quick}); err != nil {
		t.Fatal(err)
	}
	close(quickStored)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range []alerts.Story{slow, quick} {
		stored, err := procs[0].db.Story(ctx, s.FeedURL, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, stored.ClusterID)
	}
	if ids[0] != ids[1] {
		t.Errorf("the slow process's report is in event %s, the other's in %s: one event reported twice", ids[0], ids[1])
	}
}
