// Package cluster groups reports of the same event from different outlets,
// so that a channel is pinged once per event rather than once per outlet.
//
// Each story is reduced to the normalised terms of its title and lead. A
// MinHash signature of those terms, cut into LSH bands, finds candidate
// stories in near-constant time; a weighted term-set similarity that counts
// names and figures double confirms them, and a small list of opposing
// actions ("invades"/"withdraws", "arrests"/"releases") keeps a new
// development by the same actors out of the old event's cluster. A death-toll
// update of the same blast is the same event; a different action is not.
//
// Stories from the same feed may join each other's cluster: outlets re-issue
// an updated story under a new GUID, and that must not ping again.
package cluster

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

const (
	// DefaultWindow is how long an event stays open to new reports
	// (DESIGN.md: "within a window (default 48 h)").
	DefaultWindow = 48 * time.Hour
	// DefaultThreshold is the similarity at which two stories are one event,
	// tuned on testdata/pairs.jsonl.
	DefaultThreshold = 0.35
	// maxBucket bounds one LSH bucket; a term pair shared by more stories
	// than this in one window says little, and the cap keeps each Assign's
	// work bounded whatever the news.
	maxBucket = 24
	// timeDecay lowers the similarity of stories a whole window apart by this
	// fraction: reports of one event bunch within hours, while the same
	// place's next incident comes a day or two later.
	timeDecay = 0.25
	// maxVerify is how many LSH candidates one Assign scores at most, those
	// sharing the most bands first: the true match shares many, and the cap
	// keeps the cost per story constant however crowded the window.
	maxVerify = 64
)

// Options configure a Clusterer; zero values take the defaults.
type Options struct {
	// Window is how long after its first report an event accepts new ones,
	// and how long stories are remembered. Default DefaultWindow.
	Window time.Duration
	// Threshold is the similarity in (0, 1] from which a story joins an
	// existing event. Default DefaultThreshold.
	Threshold float64
}

// Assignment says which event a story was put in.
type Assignment struct {
	// ClusterID names the event, e.g. "c-3f9a0c2b71d4e8a5".
	ClusterID string
	// New is true when the story opened a new event.
	New bool
	// Similarity is the score against the event joined, or, for a new
	// event, the best score against any other (below the threshold). A
	// shared canonical URL or a story seen before scores 1.
	Similarity float64
	// First is the story ID of the event's first report.
	First string
}

// Clusterer assigns stories to events. It is safe for concurrent use; memory
// holds only stories within the window of the newest story seen.
type Clusterer struct {
	opt Options

	mu        sync.Mutex
	entries   map[string]*entry // by feed URL and story ID
	byURL     map[string]*entry // by canonical article URL
	lsh       lshIndex
	clusters  map[string]*cluster
	expiry    expiryHeap
	watermark time.Time // newest story time seen
	probe     uint64    // stamps candidates so each is counted once per Assign
	cands     []*entry  // reused candidate buffer
	// work counts bucket entries visited and candidates scored, so tests and
	// benchmarks can check that the cost per story stays bounded.
	work struct{ visited, scored int }
}

// cluster is one event.
type cluster struct {
	id      string
	first   string // story ID of the first report
	firstAt time.Time
	live    int // stories of this event still remembered
}

// entry is one remembered story.
type entry struct {
	key  string
	url  string
	at   time.Time
	cl   *cluster
	feat features
	// bands are the story's LSH bucket keys, if it has terms (banded).
	bands  [bands]uint32
	banded bool
	slot   int32 // its place in lshIndex.slots
	probe  uint64
	hits   int // bands shared with the story being assigned
}

// New returns a Clusterer with opt's zero fields defaulted.
func New(opt Options) *Clusterer {
	if opt.Window <= 0 {
		opt.Window = DefaultWindow
	}
	if opt.Threshold <= 0 || opt.Threshold > 1 {
		opt.Threshold = DefaultThreshold
	}
	return &Clusterer{
		opt:      opt,
		entries:  map[string]*entry{},
		byURL:    map[string]*entry{},
		lsh:      newLSHIndex(),
		clusters: map[string]*cluster{},
	}
}

// Assign puts s in an event, sets s.ClusterID and says which. Time is the
// story's own (Published, else FirstSeen), so replaying old stories clusters
// them as they happened. Assigning a story already seen (same feed and ID)
// returns its event again.
func (c *Clusterer) Assign(s *alerts.Story) Assignment {
	e := newEntry(s) // the costly part, outside the lock

	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(e.at)
	if old, ok := c.entries[e.key]; ok {
		s.ClusterID = old.cl.id
		return Assignment{ClusterID: old.cl.id, Similarity: 1, First: old.cl.first}
	}

	best, bestSim := c.bestMatch(e)
	if best != nil && bestSim >= c.opt.Threshold {
		c.insert(e, best)
		s.ClusterID = best.id
		return Assignment{ClusterID: best.id, Similarity: bestSim, First: best.first}
	}
	id := clusterID(s)
	if cl, ok := c.clusters[id]; ok {
		// This story opened the event before, has since expired, and comes
		// back while later reports keep the event alive: it is still that
		// event.
		c.insert(e, cl)
		s.ClusterID = id
		return Assignment{ClusterID: id, Similarity: 1, First: cl.first}
	}
	cl := &cluster{id: id, first: s.ID, firstAt: e.at}
	c.clusters[id] = cl
	c.insert(e, cl)
	s.ClusterID = id
	return Assignment{ClusterID: id, New: true, Similarity: bestSim, First: s.ID}
}

// newEntry computes what the Clusterer remembers of a story.
func newEntry(s *alerts.Story) *entry {
	e := &entry{key: storyKey(s), url: canonicalURL(s.URL), at: storyTime(s), feat: extract(s)}
	e.bands, e.banded = bandKeys(signature(&e.feat))
	return e
}

// Restore re-seeds the Clusterer with a stored story after a restart, so that
// reports arriving later still join the events already alerted. A story
// without a ClusterID is assigned as if new.
func (c *Clusterer) Restore(s alerts.Story) {
	if s.ClusterID == "" {
		c.Assign(&s)
		return
	}
	// Stories other processes stored are recalled again and again while
	// they are recent; a known one costs a lookup, not its features.
	c.mu.Lock()
	_, known := c.entries[storyKey(&s)]
	c.mu.Unlock()
	if known {
		return
	}
	e := newEntry(&s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[e.key]; ok {
		return
	}
	cl, ok := c.clusters[s.ClusterID]
	if !ok {
		cl = &cluster{id: s.ClusterID, first: s.ID, firstAt: e.at}
		c.clusters[cl.id] = cl
	} else if e.at.Before(cl.firstAt) {
		cl.first, cl.firstAt = s.ID, e.at
	}
	c.insert(e, cl)
	c.advance(e.at)
}

// Knows reports whether the Clusterer remembers feedURL's story id.
func (c *Clusterer) Knows(feedURL, id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[storyKeyOf(feedURL, id)]
	return ok
}

// Len returns how many stories the Clusterer remembers.
func (c *Clusterer) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// bestMatch finds the open event most similar to e: one sharing its
// canonical URL, else the best LSH candidate.
func (c *Clusterer) bestMatch(e *entry) (best *cluster, bestSim float64) {
	if e.url != "" {
		if o, ok := c.byURL[e.url]; ok && c.open(o.cl, e.at) {
			return o.cl, 1
		}
	}
	// Count how many bands each candidate shares: the count estimates the
	// term overlap, so when a busy news day fills the buckets only the
	// likeliest candidates are scored.
	c.probe++
	cands := c.cands[:0]
	if e.banded {
		x := &c.lsh
		for _, k := range e.bands {
			b, ok := x.heads[k]
			if !ok {
				continue
			}
			for n := b.head; n >= 0; n = x.nodes[n].next {
				o := x.slots[x.nodes[n].slot]
				c.work.visited++
				if o.probe != c.probe {
					o.probe, o.hits = c.probe, 0
					cands = append(cands, o)
				}
				o.hits++
			}
		}
	}
	if len(cands) > maxVerify {
		slices.SortFunc(cands, func(a, b *entry) int {
			if a.hits != b.hits {
				return b.hits - a.hits
			}
			if !a.at.Equal(b.at) {
				return b.at.Compare(a.at) // newer first
			}
			return strings.Compare(a.key, b.key)
		})
		cands = cands[:maxVerify]
	}
	for _, o := range cands {
		if !c.open(o.cl, e.at) || absDuration(e.at.Sub(o.at)) > c.opt.Window {
			continue
		}
		c.work.scored++
		sim := similarity(&e.feat, &o.feat)
		sim *= 1 - timeDecay*float64(absDuration(e.at.Sub(o.at)))/float64(c.opt.Window)
		if sim > bestSim || sim == bestSim && best != nil && earlier(o.cl, best) {
			best, bestSim = o.cl, sim
		}
	}
	clear(cands)
	c.cands = cands[:0]
	return best, bestSim
}

// earlier orders events for tie-breaks: the older event, then the smaller
// ID, so that results never depend on map or bucket order.
func earlier(a, b *cluster) bool {
	if !a.firstAt.Equal(b.firstAt) {
		return a.firstAt.Before(b.firstAt)
	}
	return a.id < b.id
}

// open reports whether event cl still accepts a story published at.
func (c *Clusterer) open(cl *cluster, at time.Time) bool {
	return absDuration(at.Sub(cl.firstAt)) <= c.opt.Window
}

func (c *Clusterer) insert(e *entry, cl *cluster) {
	e.cl = cl
	cl.live++
	c.entries[e.key] = e
	if e.url != "" {
		if _, taken := c.byURL[e.url]; !taken {
			c.byURL[e.url] = e
		}
	}
	c.lsh.add(e)
	heap.Push(&c.expiry, e)
}

// advance moves the clock to at (if later) and forgets stories that fell
// out of the window.
func (c *Clusterer) advance(at time.Time) {
	if at.After(c.watermark) {
		c.watermark = at
	}
	limit := c.watermark.Add(-c.opt.Window)
	for len(c.expiry) > 0 && c.expiry[0].at.Before(limit) {
		c.remove(heap.Pop(&c.expiry).(*entry))
	}
}

func (c *Clusterer) remove(e *entry) {
	delete(c.entries, e.key)
	if c.byURL[e.url] == e {
		delete(c.byURL, e.url)
	}
	c.lsh.remove(e)
	e.cl.live--
	if e.cl.live == 0 && c.clusters[e.cl.id] == e.cl {
		delete(c.clusters, e.cl.id)
	}
}

// storyTime is when the story happened as far as clustering knows: the
// outlet's date, unless missing or later than when Vigil first saw it
// (clocks and feeds lie about the future).
func storyTime(s *alerts.Story) time.Time {
	t := s.Published
	if t.IsZero() || !s.FirstSeen.IsZero() && t.After(s.FirstSeen) {
		t = s.FirstSeen
	}
	return t
}

func storyKey(s *alerts.Story) string { return storyKeyOf(s.FeedURL, s.ID) }

func storyKeyOf(feedURL, id string) string { return feedURL + "\x00" + id }

// clusterID derives a stable event ID from the first story's feed and ID.
func clusterID(s *alerts.Story) string {
	sum := sha256.Sum256([]byte(storyKey(s)))
	return "c-" + hex.EncodeToString(sum[:8])
}

// canonicalURL reduces an article URL to what identifies the page: no
// scheme, "www.", fragment or trailing slash. Query strings stay: some sites
// name articles by them (the feed layer has already removed tracking).
func canonicalURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return host + path
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// expiryHeap orders remembered stories by time, oldest first.
type expiryHeap []*entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(*entry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
