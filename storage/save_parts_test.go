package storage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/pipeline"
)

// burstPoll is a poll of n stories, every one matching channel c1's
// subscription, all but the newest five folded as the pipeline folds a
// burst; the first also matches c2's, unfolded.
func burstPoll(feed string, n int, c1, c2 int64) ([]alerts.Story, []alerts.Match) {
	var stories []alerts.Story
	var matches []alerts.Match
	for k := range n {
		id := fmt.Sprintf("b%04d", k)
		at := t0.Add(-time.Duration(n-k) * time.Second)
		stories = append(stories, alerts.Story{ID: id, FeedURL: feed, Title: "Drone swarm " + id, Published: at, FirstSeen: t0})
		matches = append(matches, alerts.Match{StoryID: id, FeedURL: feed, SubscriptionID: c1, ChannelID: "c1", Fold: k < n-5})
		if k == 0 {
			matches = append(matches, alerts.Match{StoryID: id, FeedURL: feed, SubscriptionID: c2, ChannelID: "c2"})
		}
	}
	return stories, matches
}

func TestABurstIsSavedInPartsAsOnePoll(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		clock := t0
		d := eng.open(t, WithClock(func() time.Time { return clock }))
		feed := "https://a.example/rss"
		d.UpsertFeed(ctx, alerts.Feed{URL: feed})
		c1, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "drone"}, "admin")
		c2, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c2", Query: "drone"}, "admin")
		// Primed by an earlier, empty poll, so the burst counts in the
		// feed's usual rate.
		if _, err := d.SaveStories(ctx, feed, nil, nil); err != nil {
			t.Fatal(err)
		}

		n := 2*savePart + 10 // three parts
		stories, matches := burstPoll(feed, n, c1.ID, c2.ID)
		res, err := d.SaveStories(ctx, feed, stories, matches)
		if err != nil {
			t.Fatal(err)
		}
		if want := (alerts.SaveResult{Stories: n, Deliveries: n + 1, Folded: n - 5}); res != want {
			t.Fatalf("save = %+v; want %+v", res, want)
		}
		known, err := d.KnownStoryIDs(ctx, feed, []string{"b0000", fmt.Sprintf("b%04d", savePart), fmt.Sprintf("b%04d", n-1)})
		if err != nil || len(known) != 3 {
			t.Fatalf("known = %v, %v; want a story of each part", known, err)
		}
		f, _ := d.Feed(ctx, feed)
		if want := newItemsWeight * float64(n); !f.Primed || f.NewItemsAvg < want-1e-9 || f.NewItemsAvg > want+1e-9 {
			t.Errorf("feed primed %v, usual new items %v; want primed and %v: the whole poll counts once", f.Primed, f.NewItemsAvg, want)
		}

		queue := func(ch string) (alerts, digests int) { t.Helper(); return dueInChannel(t, d, ch, clock) }
		// The five newest go out at once; the digest waits a moment
		// longer for the rest of a burst, then holds every part's folds.
		if a, g := queue("c1"); a != 5 || g != 0 {
			t.Errorf("c1 right after the save: %d alerts, %d digests due; want 5 and the digest held", a, g)
		}
		if a, g := queue("c2"); a != 1 || g != 0 {
			t.Errorf("c2: %d alerts, %d digests; want its one alert", a, g)
		}
		clock = clock.Add(digestGather)
		ds, err := d.ChannelQueue(ctx, "c1", clock, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var digests []alerts.Delivery
		for _, dl := range ds {
			if dl.Digest {
				digests = append(digests, dl)
			}
		}
		if len(digests) != 1 {
			t.Fatalf("c1 has %d digests due after %v; want 1", len(digests), digestGather)
		}
		if count, _, err := d.DigestContents(ctx, digests[0].ID, 5); err != nil || count != n-5 {
			t.Errorf("the digest holds %d, %v; want all %d folded stories, from every part", count, err, n-5)
		}

		// The same poll replayed writes nothing.
		if res, err := d.SaveStories(ctx, feed, stories, matches); err != nil || res != (alerts.SaveResult{}) {
			t.Errorf("replayed burst = %+v, %v; want nothing written", res, err)
		}
	})
}

func TestAPartThatFailsKeepsTheOnesBeforeItAndTheReplaySavesTheRestOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		feed := "https://a.example/rss"
		d.UpsertFeed(ctx, alerts.Feed{URL: feed})
		c1, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "drone"}, "admin")
		c2, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c2", Query: "drone"}, "admin")

		// The database refuses one story of the second part, as a full
		// disk or a lost connection would refuse a write.
		refused := fmt.Sprintf("b%04d", savePart+50)
		refuse, allow := refuseStoryTrigger(eng.name, refused)
		if _, err := d.db.db.ExecContext(ctx, refuse); err != nil {
			t.Fatal(err)
		}
		n := 2*savePart + 10
		stories, matches := burstPoll(feed, n, c1.ID, c2.ID)
		res, err := d.SaveStories(ctx, feed, stories, matches)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("part 2 of 3, %d stories saved before it", savePart)) {
			t.Fatalf("save with a refused story: %v; want the error to say part 2 of 3 failed after %d stories", err, savePart)
		}
		if res.Stories != savePart {
			t.Errorf("the failed save reports %d stories saved; want the first part's %d", res.Stories, savePart)
		}
		if f, _ := d.Feed(ctx, feed); f.Primed {
			t.Error("a feed whose poll failed half way is primed")
		}

		if _, err := d.db.db.ExecContext(ctx, allow); err != nil {
			t.Fatal(err)
		}
		// The poller did not record the poll, so the next one brings the
		// same stories: those saved are skipped, the rest saved once.
		res, err = d.SaveStories(ctx, feed, stories, matches)
		if err != nil {
			t.Fatal(err)
		}
		if res.Stories != n-savePart || res.Deliveries != n-savePart {
			t.Errorf("replay = %+v; want the %d stories not yet saved, each queued once", res, n-savePart)
		}
		var rows, distinct int
		if err := d.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT story_id) FROM outbox WHERE channel_id = 'c1' AND is_digest = 0`).Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if rows != n || distinct != n {
			t.Errorf("c1's outbox holds %d alerts of %d stories; want each of the %d once", rows, distinct, n)
		}
		if f, _ := d.Feed(ctx, feed); !f.Primed {
			t.Error("the feed is not primed after its poll was saved")
		}
	})
}

// refuseStoryTrigger returns the SQL that makes the engine refuse to store
// the story with the given ID, and the SQL that stops it.
func refuseStoryTrigger(engine, id string) (refuse, allow string) {
	if engine == EnginePostgres {
		return `CREATE FUNCTION refuse_story() RETURNS trigger AS $$
				BEGIN IF NEW.id = '` + id + `' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
			CREATE TRIGGER refuse_story BEFORE INSERT ON stories FOR EACH ROW EXECUTE FUNCTION refuse_story()`,
			`DROP TRIGGER refuse_story ON stories; DROP FUNCTION refuse_story()`
	}
	return `CREATE TRIGGER refuse_story BEFORE INSERT ON stories WHEN NEW.id = '` + id + `'
			BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
		`DROP TRIGGER refuse_story`
}

func TestTheWriteQueueLetsWritersInInTheOrderTheyCame(t *testing.T) {
	q := newWriteQueue()
	ctx := context.Background()
	release, err := q.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A second writer waits its turn...
	order := make(chan string, 2)
	waiting := make(chan struct{})
	go func() {
		close(waiting)
		r, err := q.enter(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		order <- "waiting writer"
		r()
	}()
	<-waiting
	time.Sleep(50 * time.Millisecond) // for it to block in enter
	// ...and the first, leaving and at once coming back as a burst's next
	// part does, goes in behind it.
	release()
	again, err := q.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	order <- "burst's next part"
	again()
	if first := <-order; first != "waiting writer" {
		t.Errorf("%s went in first; want the writer that was waiting", first)
	}

	// A writer that gives up waiting says why, and takes no turn.
	hold, _ := q.enter(ctx)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := q.enter(cctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("enter with an expired context: %v; want its deadline", err)
	}
	hold()
	done, cancelled := context.WithCancel(ctx)
	cancelled()
	for range 20 { // the queue is free: a cancelled writer is still refused
		if _, err := q.enter(done); !errors.Is(err, context.Canceled) {
			t.Fatalf("enter with a cancelled context on a free queue: %v", err)
		}
	}
	var open writeQueue // PostgreSQL's: no queue
	r, err := open.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r()
}

// dueInChannel counts the alerts and digests of a channel due at now.
func dueInChannel(t *testing.T, d *DB, channelID string, now time.Time) (alerts, digests int) {
	t.Helper()
	ds, err := d.ChannelQueue(context.Background(), channelID, now, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, dl := range ds {
		if dl.Digest {
			digests++
		} else {
			alerts++
		}
	}
	return alerts, digests
}

func TestTheRestOfABurstWhoseSaveFailedFoldsAsItsFirstPartsDid(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t, WithClock(func() time.Time { return t0 }))
		feed := "https://a.example/rss"
		d.UpsertFeed(ctx, alerts.Feed{URL: feed})
		sub, _ := d.AddSubscription(ctx, alerts.Subscription{GuildID: "g", ChannelID: "c1", Query: "drone"}, "admin")
		if _, err := d.SaveStories(ctx, feed, nil, nil); err != nil { // primed, usually quiet
			t.Fatal(err)
		}
		p := pipeline.New(pipeline.Config{Store: d, Now: func() time.Time { return t0 }, Stages: pipeline.Stages{
			Match: func(dst []alerts.Match, s *alerts.Story, _ []string) []alerts.Match {
				return append(dst, alerts.Match{StoryID: s.ID, FeedURL: s.FeedURL, SubscriptionID: sub.ID, ChannelID: "c1"})
			},
		}})
		// Just over one part: the replay brings 15 stories, too few to be
		// a burst on their own.
		n := savePart + 15
		stories, _ := burstPoll(feed, n, 0, 0)
		refuse, allow := refuseStoryTrigger(eng.name, fmt.Sprintf("b%04d", savePart+3))
		if _, err := d.db.db.ExecContext(ctx, refuse); err != nil {
			t.Fatal(err)
		}
		poll := func() (alerts.Feed, error) {
			t.Helper()
			f, err := d.Feed(ctx, feed)
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Process(ctx, f, stories)
			return f, err
		}
		if _, err := poll(); err == nil {
			t.Fatal("the poll was saved although the database refused a story of its second part")
		}
		if _, err := d.db.db.ExecContext(ctx, allow); err != nil {
			t.Fatal(err)
		}
		f, err := poll()
		if err != nil {
			t.Fatal(err)
		}
		if f.UnfinishedSaved != savePart || !f.UnfinishedBurst {
			t.Errorf("before the replay the feed says %d stories saved, burst %v; want the first part's %d and a burst", f.UnfinishedSaved, f.UnfinishedBurst, savePart)
		}
		var alerted, folded int
		if err := d.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE digest_id = 0), count(*) FILTER (WHERE digest_id <> 0)
			FROM outbox WHERE channel_id = 'c1' AND is_digest = 0`).Scan(&alerted, &folded); err != nil {
			t.Fatal(err)
		}
		if alerted != 5 || folded != n-5 {
			t.Errorf("c1 has %d alerts and %d folded; want the burst's newest 5 and %d folded, as if the save had not failed", alerted, folded, n-5)
		}
		f, _ = d.Feed(ctx, feed)
		if want := newItemsWeight * float64(n); !f.Primed || f.UnfinishedSaved != 0 || f.UnfinishedBurst || math.Abs(f.NewItemsAvg-want) > 1e-9 {
			t.Errorf("after the replay: primed %v, unfinished %d/%v, usual new items %v; want primed, nothing unfinished and %v (the whole poll once)",
				f.Primed, f.UnfinishedSaved, f.UnfinishedBurst, f.NewItemsAvg, want)
		}
	})
}
