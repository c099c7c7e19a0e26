package cluster

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

var t0 = time.Date(2024, 3, 23, 8, 0, 0, 0, time.UTC)

func story(feed, id, title, text string, at time.Time) *alerts.Story {
	return &alerts.Story{ID: id, FeedURL: "https://" + feed + "/rss", Source: feed, Title: title, Text: text,
		URL: "https://" + feed + "/" + id, Published: at, FirstSeen: at}
}

var (
	blastAP  = story("apnews.com", "ap1", "Explosion at port of Beirut", "A huge explosion rocked the port of Beirut on Tuesday, shattering windows across the Lebanese capital.", t0)
	blastAJ  = story("aljazeera.com", "aj1", "Beirut port blast: death toll rises to 100", "The number of people killed in the massive blast at Beirut's port has risen to 100, the Lebanese Red Cross said.", t0.Add(5*time.Hour))
	invades  = story("reuters.com", "r1", "Russia invades Ukraine", "Russian forces invaded Ukraine from the north, east and south after President Vladimir Putin announced a military operation.", t0)
	withdraw = story("bbc.co.uk", "b1", "Russia withdraws troops from Ukraine", "Russia said it was withdrawing troops from areas around Kyiv, pulling units back toward the Belarus border.", t0.Add(20*time.Hour))
	quakeTR  = story("bbc.co.uk", "b2", "Earthquake of magnitude 7.8 strikes southern Turkey", "A powerful earthquake has hit southern Turkey near the Syrian border, toppling buildings in Gaziantep.", t0.Add(time.Hour))
)

// clone copies a fixture story so tests do not share ClusterID writes.
func clone(s *alerts.Story) *alerts.Story { c := *s; return &c }

func TestAssign(t *testing.T) {
	tests := []struct {
		name    string
		stories []*alerts.Story
		// want[i] is the index of the story whose event story i joins; its
		// own index means a new event.
		want []int
	}{
		{"a death-toll update from another outlet joins the blast", []*alerts.Story{blastAP, blastAJ}, []int{0, 0}},
		{"a withdrawal is a new event after an invasion", []*alerts.Story{invades, withdraw}, []int{0, 1}},
		{"an unrelated story opens its own event", []*alerts.Story{blastAP, quakeTR, blastAJ}, []int{0, 1, 0}},
		{
			"a shared canonical URL joins whatever the wording",
			[]*alerts.Story{
				story("a.example", "1", "Talks collapse in Geneva", "Delegates walked out.", t0),
				{ID: "2", FeedURL: "https://b.example/rss", Title: "Something else entirely", Text: "Different words.", URL: "https://WWW.a.example/1/#comments", Published: t0.Add(time.Hour)},
			},
			[]int{0, 0},
		},
		{
			"an outlet's re-issued story with a new GUID joins its first version",
			[]*alerts.Story{blastAP, story("apnews.com", "ap1-updated", "Explosion at port of Beirut injures dozens", "A huge explosion rocked the port of Beirut on Tuesday, injuring dozens of people.", t0.Add(2*time.Hour))},
			[]int{0, 0},
		},
		{
			"the same story three days later is a new event",
			[]*alerts.Story{blastAP, story("dw.com", "dw1", "Explosion at port of Beirut", "A huge explosion rocked the port of Beirut, shattering windows across the Lebanese capital.", t0.Add(72*time.Hour))},
			[]int{0, 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Options{})
			var ids []string
			for i, s := range tt.stories {
				s = clone(s)
				a := c.Assign(s)
				if s.ClusterID != a.ClusterID {
					t.Fatalf("story %d: ClusterID %q not set to assignment %q", i, s.ClusterID, a.ClusterID)
				}
				ids = append(ids, a.ClusterID)
				want := tt.want[i]
				if a.New != (want == i) {
					t.Errorf("story %d (%q): New = %v (similarity %.2f), want %v", i, s.Title, a.New, a.Similarity, want == i)
				}
				if ids[i] != ids[want] {
					t.Errorf("story %d (%q) in %s, want the event of story %d (%s); similarity %.2f", i, s.Title, ids[i], want, ids[want], a.Similarity)
				}
				if a.First != tt.stories[want].ID {
					t.Errorf("story %d: First = %q, want %q", i, a.First, tt.stories[want].ID)
				}
			}
		})
	}
}

func TestAssignIsIdempotentForASeenStory(t *testing.T) {
	c := New(Options{})
	first := c.Assign(clone(blastAP))
	c.Assign(clone(blastAJ))
	again := c.Assign(clone(blastAP))
	if again.New || again.ClusterID != first.ClusterID || again.Similarity != 1 {
		t.Errorf("re-assigning a seen story gave %+v, want its event %s", again, first.ClusterID)
	}
	if n := c.Len(); n != 2 {
		t.Errorf("Len = %d after re-assigning, want 2", n)
	}
}

func TestClusterIDIsStableAndShort(t *testing.T) {
	a := New(Options{}).Assign(clone(blastAP))
	b := New(Options{}).Assign(clone(blastAP))
	if a.ClusterID != b.ClusterID {
		t.Errorf("IDs differ across clusterers: %s vs %s", a.ClusterID, b.ClusterID)
	}
	if !regexp.MustCompile(`^c-[0-9a-f]{16}$`).MatchString(a.ClusterID) {
		t.Errorf("ClusterID %q is not c- and 16 hex digits", a.ClusterID)
	}
	other := New(Options{}).Assign(clone(quakeTR))
	if other.ClusterID == a.ClusterID {
		t.Errorf("different first stories share ID %s", a.ClusterID)
	}
}

func TestStoryTimeComesFromTheStory(t *testing.T) {
	future := clone(blastAJ)
	future.Published = t0.Add(30 * 24 * time.Hour) // a feed dated in the future
	future.FirstSeen = t0.Add(5 * time.Hour)
	noDate := clone(blastAJ)
	noDate.ID = "aj2"
	noDate.Published = time.Time{}
	noDate.FirstSeen = t0.Add(6 * time.Hour)
	c := New(Options{})
	first := c.Assign(clone(blastAP))
	for _, s := range []*alerts.Story{future, noDate} {
		if a := c.Assign(s); a.ClusterID != first.ClusterID {
			t.Errorf("story published %v, first seen %v: new event %s, want %s", s.Published, s.FirstSeen, a.ClusterID, first.ClusterID)
		}
	}
}

func TestExpiryBoundsMemory(t *testing.T) {
	c := New(Options{Window: 24 * time.Hour})
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 50; i++ {
		title := fmt.Sprintf("%s troops clash with %s rebels near %s", pseudoName(r), pseudoName(r), pseudoName(r))
		c.Assign(story("feed.example", fmt.Sprintf("s%d", i), title, "", t0.Add(time.Duration(i)*time.Hour)))
	}
	// Stories at hours 25..49 are within 24 h of the newest (49).
	if n := c.Len(); n != 25 {
		t.Errorf("Len = %d, want 25 stories within the window", n)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.clusters) != 25 || len(c.byURL) != 25 || len(c.expiry) != 25 {
		t.Errorf("clusters %d, urls %d, heap %d; want 25 each", len(c.clusters), len(c.byURL), len(c.expiry))
	}
	for k, b := range c.lsh.heads {
		for n := b.head; n >= 0; n = c.lsh.nodes[n].next {
			if e := c.lsh.slots[c.lsh.nodes[n].slot]; c.entries[e.key] != e {
				t.Fatalf("bucket %x holds expired story %s", k, e.key)
			}
		}
	}
}

func TestRestore(t *testing.T) {
	t.Run("a later report joins a restored event with its original ID and first story", func(t *testing.T) {
		c := New(Options{})
		stored := *clone(blastAP)
		stored.ClusterID = "c-restoredevent01"
		c.Restore(stored)
		a := c.Assign(clone(blastAJ))
		if a.New || a.ClusterID != "c-restoredevent01" || a.First != blastAP.ID {
			t.Errorf("Assign after Restore = %+v, want the restored event", a)
		}
	})
	t.Run("restoring out of order keeps the earliest story as first", func(t *testing.T) {
		c := New(Options{})
		later, earlier := *clone(blastAJ), *clone(blastAP)
		later.ClusterID, earlier.ClusterID = "c-x", "c-x"
		c.Restore(later)
		c.Restore(earlier)
		c.Restore(earlier) // twice is harmless
		a := c.Assign(story("dw.com", "dw9", "Beirut port explosion toll climbs", "The toll from the blast at Beirut's port climbed again, the Lebanese Red Cross said.", t0.Add(7*time.Hour)))
		if a.ClusterID != "c-x" || a.First != blastAP.ID {
			t.Errorf("Assign = %+v, want event c-x first reported by %s", a, blastAP.ID)
		}
		if n := c.Len(); n != 3 {
			t.Errorf("Len = %d, want 3", n)
		}
	})
	t.Run("a stored story without an event is assigned", func(t *testing.T) {
		c := New(Options{})
		c.Restore(*clone(blastAP))
		if a := c.Assign(clone(blastAJ)); a.New {
			t.Errorf("report after restoring an unassigned story opened a new event: %+v", a)
		}
	})
}

func TestConcurrentAssign(t *testing.T) {
	stories := generateStories(400, 3)
	c := New(Options{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(stories); i += 4 {
				s := stories[i].story
				c.Assign(&s)
				if s.ClusterID == "" {
					t.Errorf("story %s left without an event", s.ID)
				}
			}
		}(w)
	}
	wg.Wait()
	if n := c.Len(); n == 0 || n > len(stories) {
		t.Errorf("Len = %d after %d stories", n, len(stories))
	}
}

// TestGeneratedEvents checks the clusterer on the benchmark's synthetic news:
// reports of one event mostly share an event, and distinct events almost
// never merge.
func TestGeneratedEvents(t *testing.T) {
	stories := generateStories(2000, 1)
	c := New(Options{})
	clusterOf := map[int]map[string]int{} // event → cluster → reports
	eventsOf := map[string]map[int]bool{} // cluster → events
	for _, g := range stories {
		s := g.story
		c.Assign(&s)
		if clusterOf[g.event] == nil {
			clusterOf[g.event] = map[string]int{}
		}
		clusterOf[g.event][s.ClusterID]++
		if eventsOf[s.ClusterID] == nil {
			eventsOf[s.ClusterID] = map[int]bool{}
		}
		eventsOf[s.ClusterID][g.event] = true
	}
	var together, total int
	for _, byCluster := range clusterOf {
		best, sum := 0, 0
		for _, n := range byCluster {
			best = max(best, n)
			sum += n
		}
		together += best
		total += sum
	}
	var merged int
	for _, evs := range eventsOf {
		if len(evs) > 1 {
			merged++
		}
	}
	completeness := float64(together) / float64(total)
	purity := 1 - float64(merged)/float64(len(eventsOf))
	t.Logf("%d stories, %d events, %d clusters: completeness %.3f, purity %.3f", len(stories), len(clusterOf), len(eventsOf), completeness, purity)
	if completeness < 0.9 || purity < 0.98 {
		t.Errorf("completeness %.3f (want ≥ 0.9), purity %.3f (want ≥ 0.98)", completeness, purity)
	}
}

func TestSimilarityProperties(t *testing.T) {
	pairs := loadPairs(t)
	for i, p := range pairs {
		a := extract(&alerts.Story{Title: p.A.Title, Text: p.A.Text})
		b := extract(&alerts.Story{Title: p.B.Title, Text: p.B.Text})
		ab, ba, aa := similarity(&a, &b), similarity(&b, &a), similarity(&a, &a)
		if ab != ba {
			t.Errorf("pair %d: similarity not symmetric: %v vs %v", i, ab, ba)
		}
		if ab < 0 || ab > 1 || aa < 0.999 || aa > 1.001 {
			t.Errorf("pair %d: similarity %v, self %v; want in [0,1] and self 1", i, ab, aa)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name, a, b string
	}{
		{"demonyms meet their country", "Belarusian troops", "Belarus troops"},
		{"short demonyms meet their country", "Latvian army", "Latvia army"},
		{"synonyms for a blast meet", "explosion", "blast"},
		{"thousands separators do not split numbers", "100,000 troops", "100000 troops"},
		{"rounded figures fall in one bucket", "120 killed", "about 100 dead"},
		{"spelled-out counts meet figures", "seven soldiers", "7 soldiers"},
		{"dotted initialisms are one word", "U.S. troops", "US troops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fmt.Sprint(terms(tt.a)), fmt.Sprint(terms(tt.b))
			if a != b {
				t.Errorf("terms(%q) = %s, terms(%q) = %s; want equal", tt.a, a, tt.b, b)
			}
		})
	}
}

func FuzzAssign(f *testing.F) {
	f.Add("Russia invades Ukraine", "Russian forces invaded.", "Russia withdraws troops", "Troops pulled back. U.S. said 3.5 percent.", int64(3))
	f.Add("Explosion at port of Beirut", "A huge explosion.", "Beirut port blast: death toll rises to 100", "", int64(-100))
	f.Add("", "", "", "", int64(0))
	f.Add("100,000,000,000,000,000,000 1e308 ½ Ⅻ", "İstanbul ǅ ß", "…", "\xff", int64(1<<40))
	f.Fuzz(func(t *testing.T, ta, xa, tb, xb string, gapMinutes int64) {
		c := New(Options{})
		a := &alerts.Story{ID: "a", FeedURL: "f", Title: ta, Text: xa, Published: t0}
		b := &alerts.Story{ID: "b", FeedURL: "g", Title: tb, Text: xb, Published: t0.Add(time.Duration(gapMinutes%100000) * time.Minute)}
		c.Assign(a)
		got := c.Assign(b)
		if got.Similarity < 0 || got.Similarity > 1.000001 {
			t.Fatalf("similarity %v out of range", got.Similarity)
		}
		if got.ClusterID == "" || b.ClusterID != got.ClusterID {
			t.Fatalf("assignment %+v, story cluster %q", got, b.ClusterID)
		}
		fa, fb := extract(a), extract(b)
		if s1, s2 := similarity(&fa, &fb), similarity(&fb, &fa); s1 != s2 {
			t.Fatalf("similarity not symmetric: %v vs %v", s1, s2)
		}
	})
}

func benchmarkAssign(b *testing.B, n int) {
	stories := generateStories(n, 42)
	// Memory per story remembered, the window's stories only, measured
	// before the timed loop leaves its garbage and its last Clusterer.
	var remembered int
	live := liveBytes(func() any {
		c := New(Options{})
		for i := range stories {
			s := stories[i].story
			c.Assign(&s)
		}
		remembered = c.Len()
		return c
	})
	b.ReportAllocs()
	b.ResetTimer()
	var c *Clusterer
	for b.Loop() {
		c = New(Options{})
		for i := range stories {
			s := stories[i].story
			c.Assign(&s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/story")
	// Work per story, independent of machine load: bounded by the bucket and
	// verification caps however many stories there are.
	b.ReportMetric(float64(c.work.visited)/float64(n), "visited/story")
	b.ReportMetric(float64(c.work.scored)/float64(n), "scored/story")
	b.ReportMetric(live/float64(remembered), "live-B/story")
}

// liveBytes is how much heap what build returns keeps alive.
func liveBytes(build func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	kept := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(kept)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}

// The LSH index reuses what expired stories leave: over a week of news
// through a one-day window its nodes stay within what the window's stories
// need, and each bucket's chain is as long as it says, at most maxBucket.
func TestTheLSHIndexKeepsOnlyTheWindowsStories(t *testing.T) {
	stories := generateStories(6000, 7)
	c := New(Options{Window: 24 * time.Hour})
	start := stories[0].story.Published
	for i := range stories {
		s := stories[i].story
		// Spread over a week, in order, so the window slides.
		s.Published = start.Add(time.Duration(i) * 7 * 24 * time.Hour / time.Duration(len(stories)))
		s.FirstSeen = s.Published
		c.Assign(&s)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	x := &c.lsh
	inChains := 0
	for k, b := range x.heads {
		n, length := b.head, int32(0)
		for ; n >= 0; n = x.nodes[n].next {
			length++
		}
		if length != b.len || length > maxBucket || length == 0 {
			t.Fatalf("bucket %x: chain of %d nodes, says %d (at most %d)", k, length, b.len, maxBucket)
		}
		inChains += int(length)
	}
	free := 0
	for n := x.freeNode; n >= 0; n = x.nodes[n].next {
		free++
	}
	t.Logf("%d stories remembered of %d; %d nodes: %d in %d buckets, %d free", len(c.entries), len(stories), len(x.nodes), inChains, len(x.heads), free)
	if inChains+free != len(x.nodes) {
		t.Errorf("%d nodes in buckets and %d free, of %d: some are lost", inChains, free, len(x.nodes))
	}
	if live := len(c.entries); inChains > live*bands {
		t.Errorf("%d nodes in buckets for %d stories of %d bands", inChains, live, bands)
	}
	// The most the window held at once, and a margin for a busy hour.
	if most := 2 * bands * len(c.entries); len(x.nodes) > most {
		t.Errorf("%d nodes for %d remembered stories: expired stories' nodes are not reused", len(x.nodes), len(c.entries))
	}
	if got := len(x.slots) - len(x.free); got != len(c.entries) {
		t.Errorf("%d slots taken for %d remembered stories", got, len(c.entries))
	}
}

func BenchmarkAssign1k(b *testing.B)  { benchmarkAssign(b, 1_000) }
func BenchmarkAssign5k(b *testing.B)  { benchmarkAssign(b, 5_000) }
func BenchmarkAssign10k(b *testing.B) { benchmarkAssign(b, 10_000) }

func TestAnExpiredOpenerComingBackKeepsItsEvent(t *testing.T) {
	c := New(Options{Window: 24 * time.Hour})
	opener := clone(blastAP)
	first := c.Assign(opener)
	follow := clone(blastAJ) // 5 h later, joins
	c.Assign(follow)
	c.Assign(story("bbc.co.uk", "late", "Typhoon makes landfall in Taiwan", "A typhoon hit Hualien.", t0.Add(26*time.Hour)))
	// The opener (t0) has expired; the follow-up (t0+5h) has not.
	again := clone(blastAP)
	again.Title, again.Text = "Correction appended", "An editor's note was added to this story."
	got := c.Assign(again)
	if got.New || got.ClusterID != first.ClusterID {
		t.Fatalf("returning opener got %+v, want its event %s", got, first.ClusterID)
	}
	c.Assign(story("bbc.co.uk", "later", "Floods hit Valencia", "Rain swamped the city.", t0.Add(40*time.Hour)))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.clusters[first.ClusterID]; ok {
		t.Errorf("event %s still remembered after all its stories expired", first.ClusterID)
	}
	for id, cl := range c.clusters {
		if cl.live <= 0 {
			t.Errorf("event %s remembered with %d live stories", id, cl.live)
		}
	}
}
