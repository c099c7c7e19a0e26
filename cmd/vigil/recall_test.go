package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/peer"
	"github.com/vigilbot/vigil/alerts/pipeline"
	"github.com/vigilbot/vigil/storage"
)

// recallingProcess is one Vigil process of a recall test: its own handle
// on the shared database, its own engine and pipeline.
type recallingProcess struct {
	db   *storage.DB
	pipe *pipeline.Pipeline
}

// recallingProcesses starts n processes on the database at path, each
// having restored its clusters at now and joined the others as a peer;
// stages may change process i's pipeline stages (recall, in its turn, is
// on unless it removes it).
func recallingProcesses(t *testing.T, path string, now time.Time, n int, stages func(i int, st *pipeline.Stages)) []recallingProcess {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	var procs []recallingProcess
	for i := range n {
		db, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		e, err := newEngine(DefaultConfig(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.restoreClusters(ctx, db, now); err != nil {
			t.Fatal(err)
		}
		member, err := peer.New(peer.Config{Store: db, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := member.Join(ctx); err != nil {
			t.Fatal(err)
		}
		turn := &clusterTurn{claim: member.Claim, log: quiet}
		st := e.stages()
		st.Recall = func(ctx context.Context) func() { return e.recallInTurn(ctx, turn, db) }
		if stages != nil {
			stages(i, &st)
		}
		procs = append(procs, recallingProcess{db, pipeline.New(pipeline.Config{Stages: st, Store: db, FirstPollWindow: time.Hour, Logger: quiet})})
	}
	return procs
}

// process runs one poll of report's feed bringing report, and returns the
// event it was stored in.
func (p recallingProcess) process(t *testing.T, f alerts.Feed, report alerts.Story) string {
	t.Helper()
	ctx := context.Background()
	if err := p.db.UpsertFeed(ctx, alerts.Feed{URL: f.URL}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.pipe.Process(ctx, f, []alerts.Story{report}); err != nil {
		t.Fatalf("process %s: %v", report.ID, err)
	}
	return storedEvent(t, p.db, report)
}

func storedEvent(t *testing.T, db *storage.DB, s alerts.Story) string {
	t.Helper()
	stored, err := db.Story(context.Background(), s.FeedURL, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	return stored.ClusterID
}

// twoReports are two outlets' reports of one event, seen at now.
func twoReports(now time.Time) (first, second alerts.Story) {
	return alerts.Story{FeedURL: "https://first.example/rss", ID: "first-1", URL: "https://first.example/nato-baltic",
			Title:     "NATO moves troops to the Baltic states as Russia masses 100,000 near Ukraine",
			Text:      "NATO is moving extra battalions to Estonia, Latvia and Lithuania after Russia massed about 100,000 troops near the Ukrainian border, alliance officials said on Tuesday.",
			Published: now.Add(-2 * time.Minute), FirstSeen: now},
		alerts.Story{FeedURL: "https://second.example/rss", ID: "second-1", URL: "https://second.example/world/nato-troops",
			Title:     "NATO sends troops to Baltic states as Russia masses 100,000 soldiers near Ukraine",
			Text:      "The alliance is sending more battalions to Estonia, Latvia and Lithuania as Russia masses some 100,000 soldiers near the border with Ukraine, NATO officials said on Tuesday.",
			Published: now.Add(-time.Minute), FirstSeen: now}
}

// TestAnEventReportedOnFeedsThatTwoProcessesPollIsOneEvent has two
// processes (two engines, each with its own handle on one database) poll
// one feed each; both feeds report the same event. With recall, the second
// process puts its report in the event the first one opened; without it,
// each would open its own and a channel watching both would be alerted
// twice.
func TestAnEventReportedOnFeedsThatTwoProcessesPollIsOneEvent(t *testing.T) {
	now := time.Now()
	first, second := twoReports(now)
	for _, tt := range []struct {
		name     string
		recall   bool
		oneEvent bool
	}{
		{"with recall the second process joins the first one's event", true, true},
		{"without it each process opens its own event", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Both processes start before either report is stored.
			procs := recallingProcesses(t, filepath.Join(t.TempDir(), "vigil.db"), now, 2, func(_ int, st *pipeline.Stages) {
				if !tt.recall {
					st.Recall = nil
				}
			})
			ids := []string{
				procs[0].process(t, alerts.Feed{URL: first.FeedURL, Primed: true}, first),
				procs[1].process(t, alerts.Feed{URL: second.FeedURL, Primed: true}, second),
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
	now := time.Now()
	slow, quick := twoReports(now)
	pageRead, quickStored := make(chan struct{}), make(chan struct{})
	procs := recallingProcesses(t, filepath.Join(t.TempDir(), "vigil.db"), now, 2, func(i int, st *pipeline.Stages) {
		if i == 0 {
			st.Article = func(ctx context.Context, url string) (string, error) {
				close(pageRead)
				<-quickStored
				return slow.Text, nil
			}
		}
	})
	if err := procs[0].db.UpsertFeed(context.Background(), alerts.Feed{URL: slow.FeedURL}); err != nil {
		t.Fatal(err)
	}
	slowDone := make(chan error, 1)
	go func() {
		_, err := procs[0].pipe.Process(context.Background(), alerts.Feed{URL: slow.FeedURL, Primed: true, FetchArticle: true}, []alerts.Story{slow})
		slowDone <- err
	}()
	<-pageRead
	quickEvent := procs[1].process(t, alerts.Feed{URL: quick.FeedURL, Primed: true}, quick)
	close(quickStored)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	if got := storedEvent(t, procs[0].db, slow); got != quickEvent {
		t.Errorf("the slow process's report is in event %s, the other's in %s: one event reported twice", got, quickEvent)
	}
}

// A busy process polls feeds many times a second. The others' stories are
// read again at each poll with new stories, so a report another process
// stored a third of a second ago is seen, where a read at most once a
// second would still miss it.
func TestAReportStoredAFractionOfASecondAgoIsInItsEvent(t *testing.T) {
	now := time.Now()
	first, second := twoReports(now)
	procs := recallingProcesses(t, filepath.Join(t.TempDir(), "vigil.db"), now, 2, nil)
	// The second process's poll of another feed reads the others' stories:
	// none yet.
	other := alerts.Story{FeedURL: "https://other.example/rss", ID: "other-1", Title: "Typhoon makes landfall in Taiwan",
		Text: "A typhoon hit Hualien on Tuesday.", Published: now.Add(-time.Minute), FirstSeen: now}
	procs[1].process(t, alerts.Feed{URL: other.FeedURL, Primed: true}, other)
	firstEvent := procs[0].process(t, alerts.Feed{URL: first.FeedURL, Primed: true}, first)
	const later = 300 * time.Millisecond
	time.Sleep(later)
	if got := procs[1].process(t, alerts.Feed{URL: second.FeedURL, Primed: true}, second); got != firstEvent {
		t.Errorf("the report stored %v before is in event %s, the new one in %s: one event reported twice", later, firstEvent, got)
	}
}

// Two processes cluster their reports of one event at the same moment: the
// second's recall runs while the first has clustered its report but not yet
// saved it. The second waits for the first's turn to end, so it reads the
// report and joins its event; without turns it would miss it and open a
// second event.
func TestReportsOfOneEventClusteredAtTheSameMomentOnTwoProcessesAreOneEvent(t *testing.T) {
	for _, tt := range []struct {
		name     string
		turns    bool
		oneEvent bool
	}{
		{"in turns the second process joins the first one's event", true, true},
		{"without turns each process opens its own event", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Now()
			first, second := twoReports(now)
			clustered, secondRecalled := make(chan struct{}), make(chan struct{})
			procs := recallingProcesses(t, filepath.Join(t.TempDir(), "vigil.db"), now, 2, func(i int, st *pipeline.Stages) {
				recall := st.Recall
				if !tt.turns {
					// The recall alone, as before turns: it reads what is
					// stored and ends no turn.
					st.Recall = func(ctx context.Context) func() {
						recall(ctx)()
						return func() {}
					}
				}
				switch i {
				case 0:
					// The first holds its report, clustered, until the
					// second has recalled or has waited long enough to
					// show it waits.
					cluster := st.Cluster
					st.Cluster = func(s *alerts.Story) {
						cluster(s)
						close(clustered)
						select {
						case <-secondRecalled:
						case <-time.After(500 * time.Millisecond):
						}
					}
				case 1:
					inner := st.Recall
					st.Recall = func(ctx context.Context) func() {
						done := inner(ctx)
						close(secondRecalled)
						return done
					}
				}
			})
			firstDone := make(chan string, 1)
			go func() { firstDone <- procs[0].process(t, alerts.Feed{URL: first.FeedURL, Primed: true}, first) }()
			<-clustered
			secondEvent := procs[1].process(t, alerts.Feed{URL: second.FeedURL, Primed: true}, second)
			firstEvent := <-firstDone
			if got := firstEvent == secondEvent; got != tt.oneEvent {
				t.Errorf("the two reports' events are %s and %s; one event: %v, want %v", firstEvent, secondEvent, got, tt.oneEvent)
			}
		})
	}
}
