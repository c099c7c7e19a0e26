package match

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vigilbot/vigil/alerts"
)

// Index holds every subscription compiled into one inverted index, so that
// a story is read once however many subscriptions there are. Build it with
// NewIndex; change it with With. An Index is immutable and safe for
// concurrent use by many goroutines.
type Index struct {
	subs []compiledSub // sorted by subscription ID

	// dict numbers every word any query needs; a story's words are looked
	// up here and the rest ignored.
	dict  map[string]int32
	words []string // by dictionary number
	// postings lists, for each word, the subscriptions (indexes into subs)
	// keyed under it: those that cannot match unless it occurs.
	postings [][]int32
	// Subscriptions with an empty query are keyed under their regions,
	// else their feeds, else match every story (a firehose).
	byRegion map[string][]int32
	byFeed   map[string][]int32
	always   []int32

	scratch *sync.Pool // of *scratch sized for this index
}

// compiledSub is one subscription ready to evaluate.
type compiledSub struct {
	sub     alerts.Subscription
	query   *Query
	prog    *cnode   // nil for an empty query
	regions []string // lower case, for case-insensitive comparison
}

// cnode is a query node with its words replaced by dictionary numbers.
type cnode struct {
	kind    exprKind
	words   []int32 // exprWord: one; exprPhrase: the phrase's words
	display string  // exprWord, exprPhrase: as shown in Match.Terms
	kids    []*cnode
}

// SubscriptionError is a subscription the index could not take.
type SubscriptionError struct {
	ID  int64
	Err error
}

// Error names the subscription and what is wrong with it.
func (e *SubscriptionError) Error() string {
	return fmt.Sprintf("subscription %d: %v", e.ID, e.Err)
}

// Unwrap returns the underlying error, often a *SyntaxError.
func (e *SubscriptionError) Unwrap() error { return e.Err }

// NewIndex compiles subscriptions into an index. Paused subscriptions are
// held (so that With can resume them) but never match.
//
// A subscription whose query does not parse, or whose ID repeats an
// earlier one, is left out and reported as a *SubscriptionError in the
// returned error (all of them, joined). The index returned alongside is
// still valid and holds every other subscription: one bad row in storage
// must not stop alerts for every other channel.
func NewIndex(subs []alerts.Subscription) (*Index, error) {
	compiled := make([]compiledSub, 0, len(subs))
	seen := make(map[int64]bool, len(subs))
	var errs []error
	for _, s := range subs {
		if seen[s.ID] {
			errs = append(errs, &SubscriptionError{ID: s.ID, Err: errors.New("duplicate subscription ID")})
			continue
		}
		c, err := compileSub(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		seen[s.ID] = true
		compiled = append(compiled, c)
	}
	return build(compiled), errors.Join(errs...)
}

// With returns a new index with the subscriptions in add added (replacing
// any with the same ID) and those whose IDs are in remove removed; ix is
// unchanged. Only the added subscriptions' queries are parsed; the word
// dictionary and postings are rebuilt, which is linear in the number of
// subscriptions and fast (see the package documentation for figures).
// Errors are reported as by NewIndex: the new index leaves out what it
// could not take, and an added subscription that fails leaves the old
// one with that ID, if any, in place.
func (ix *Index) With(add []alerts.Subscription, remove []int64) (*Index, error) {
	var errs []error
	added := make(map[int64]compiledSub, len(add))
	for _, s := range add {
		if _, dup := added[s.ID]; dup {
			errs = append(errs, &SubscriptionError{ID: s.ID, Err: errors.New("duplicate subscription ID")})
			continue
		}
		c, err := compileSub(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		added[s.ID] = c
	}
	removed := make(map[int64]bool, len(remove))
	for _, id := range remove {
		removed[id] = true
	}
	compiled := make([]compiledSub, 0, len(ix.subs)+len(added))
	for _, c := range ix.subs {
		if removed[c.sub.ID] {
			continue
		}
		if _, ok := added[c.sub.ID]; ok {
			continue
		}
		compiled = append(compiled, c)
	}
	for _, c := range added {
		if !removed[c.sub.ID] {
			compiled = append(compiled, c)
		}
	}
	return build(compiled), errors.Join(errs...)
}

// Len returns how many subscriptions the index holds, paused ones included.
func (ix *Index) Len() int { return len(ix.subs) }

// Match returns the subscriptions that want the story, in order of
// subscription ID, each with the query terms that hit. It returns nil when
// none does.
func (ix *Index) Match(s *alerts.Story) []alerts.Match {
	sc := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(sc)
	sc.reset()

	sc.tokenize(ix.dict, s.Title)
	sc.ids = append(sc.ids, -1) // titleGap: no phrase spans title and text
	sc.tokenize(ix.dict, s.Text)
	sc.link()

	for _, t := range sc.present {
		sc.addCandidates(ix.postings[t])
	}
	if len(ix.byRegion) > 0 {
		for _, tags := range [...][]string{s.Countries, s.Regions} {
			for _, r := range tags {
				sc.buf = append(sc.buf[:0], r...)
				lowerASCII(sc.buf)
				sc.addCandidates(ix.byRegion[string(sc.buf)])
			}
		}
	}
	sc.addCandidates(ix.byFeed[s.FeedURL])
	sc.addCandidates(ix.always)
	if len(sc.cands) == 0 {
		return nil
	}
	// Subscriptions are stored in ID order, so index order is ID order.
	slices.Sort(sc.cands)

	var out []alerts.Match
	for _, ci := range sc.cands {
		c := &ix.subs[ci]
		if !c.accepts(s) || (c.prog != nil && !sc.eval(c.prog)) {
			continue
		}
		m := alerts.Match{
			StoryID:        s.ID,
			FeedURL:        s.FeedURL,
			SubscriptionID: c.sub.ID,
			ChannelID:      c.sub.ChannelID,
		}
		if c.prog != nil {
			sc.terms = sc.terms[:0]
			sc.collectTerms(c.prog)
			m.Terms = slices.Clone(sc.terms)
		}
		out = append(out, m)
	}
	return out
}

// accepts applies the filters that are not about words: pause, feeds and
// regions.
func (c *compiledSub) accepts(s *alerts.Story) bool {
	if c.sub.Paused {
		return false
	}
	if len(c.sub.Feeds) > 0 && !slices.Contains(c.sub.Feeds, s.FeedURL) {
		return false
	}
	if len(c.regions) == 0 {
		return true
	}
	for _, want := range c.regions {
		for _, tags := range [...][]string{s.Countries, s.Regions} {
			for _, have := range tags {
				if strings.EqualFold(want, have) {
					return true
				}
			}
		}
	}
	return false
}

func compileSub(s alerts.Subscription) (compiledSub, error) {
	q, err := Parse(s.Query)
	if err != nil {
		return compiledSub{}, &SubscriptionError{ID: s.ID, Err: err}
	}
	c := compiledSub{sub: s, query: q}
	// The caller keeps its slices; the index must not change under it.
	c.sub.Regions = slices.Clone(s.Regions)
	c.sub.Feeds = slices.Clone(s.Feeds)
	for _, r := range s.Regions {
		if r = strings.ToLower(strings.TrimSpace(r)); r != "" {
			c.regions = append(c.regions, r)
		}
	}
	return c, nil
}

// build numbers the words, compiles the queries and keys every
// subscription under the fewest, rarest words that any match needs.
func build(compiled []compiledSub) *Index {
	slices.SortFunc(compiled, func(a, b compiledSub) int { return cmp.Compare(a.sub.ID, b.sub.ID) })
	ix := &Index{
		subs:     compiled,
		dict:     map[string]int32{},
		byRegion: map[string][]int32{},
		byFeed:   map[string][]int32{},
	}
	var keys []int32
	for i := range ix.subs {
		c := &ix.subs[i]
		if c.query.root != nil {
			c.prog = ix.compile(c.query.root)
		}
		if c.sub.Paused {
			continue // held for With, never a candidate
		}
		idx := int32(i)
		switch {
		case c.prog != nil:
			keys, _ = ix.keyWords(c.prog, keys[:0])
			for _, k := range slices.Compact(keys) {
				ix.postings[k] = append(ix.postings[k], idx)
			}
		case len(c.regions) > 0:
			for _, r := range slices.Compact(slices.Sorted(slices.Values(c.regions))) {
				ix.byRegion[r] = append(ix.byRegion[r], idx)
			}
		case len(c.sub.Feeds) > 0:
			for _, f := range slices.Compact(slices.Sorted(slices.Values(c.sub.Feeds))) {
				ix.byFeed[f] = append(ix.byFeed[f], idx)
			}
		default:
			ix.always = append(ix.always, idx)
		}
	}
	nTerms, nSubs := len(ix.dict), len(ix.subs)
	ix.scratch = &sync.Pool{New: func() any { return newScratch(nTerms, nSubs) }}
	return ix
}

func (ix *Index) compile(e *expr) *cnode {
	n := &cnode{kind: e.kind}
	switch e.kind {
	case exprWord, exprPhrase:
		n.words = make([]int32, len(e.words))
		for i, w := range e.words {
			n.words[i] = ix.word(w)
		}
		n.display = strings.Join(e.surface, " ")
	default:
		n.kids = make([]*cnode, len(e.kids))
		for i, k := range e.kids {
			n.kids[i] = ix.compile(k)
		}
	}
	return n
}

func (ix *Index) word(w string) int32 {
	if id, ok := ix.dict[w]; ok {
		return id
	}
	id := int32(len(ix.postings))
	ix.dict[w] = id
	ix.words = append(ix.words, w)
	ix.postings = append(ix.postings, nil)
	return id
}

// keyWords appends to keys a set of words such that the node cannot match
// a story containing none of them, choosing the cheapest such set by
// wordCost, and returns the set's cost. An AND is keyed by its cheapest
// positive child (every child must match, so any one will do); an OR by
// all its alternatives; a phrase by its rarest word.
func (ix *Index) keyWords(n *cnode, keys []int32) ([]int32, float64) {
	switch n.kind {
	case exprWord:
		return append(keys, n.words[0]), wordCost(ix.words[n.words[0]])
	case exprPhrase:
		best, bestCost := n.words[0], wordCost(ix.words[n.words[0]])
		for _, w := range n.words[1:] {
			if c := wordCost(ix.words[w]); c < bestCost {
				best, bestCost = w, c
			}
		}
		return append(keys, best), bestCost
	case exprOr:
		total := 0.0
		for _, k := range n.kids {
			var c float64
			keys, c = ix.keyWords(k, keys)
			total += c
		}
		return keys, total
	case exprAnd:
		var best []int32
		bestCost := -1.0
		for _, k := range n.kids {
			if k.kind == exprNot {
				continue
			}
			ks, c := ix.keyWords(k, nil)
			if bestCost < 0 || c < bestCost {
				best, bestCost = ks, c
			}
		}
		return append(keys, best...), bestCost
	}
	// exprNot is never keyed: the parser guarantees a positive sibling.
	return keys, 0
}

// scratch is the per-call working memory of Match, pooled so that a
// match allocates only its results.
type scratch struct {
	gen uint32
	// Per dictionary word: stamp == gen when the story contains it, head
	// its first position.
	stamp []uint32
	head  []int32
	// Per subscription: candStamp == gen once it is a candidate.
	candStamp []uint32

	ids     []int32 // the story's words as dictionary numbers, -1 unknown
	next    []int32 // per position: next position of the same word, or -1
	present []int32 // distinct dictionary words in the story
	cands   []int32
	buf     []byte
	terms   []string
}

func newScratch(nTerms, nSubs int) any {
	return &scratch{
		stamp:     make([]uint32, nTerms),
		head:      make([]int32, nTerms),
		candStamp: make([]uint32, nSubs),
	}
}

func (sc *scratch) reset() {
	sc.gen++
	if sc.gen == 0 { // wrapped: stale stamps could look current
		clear(sc.stamp)
		clear(sc.candStamp)
		sc.gen = 1
	}
	sc.ids = sc.ids[:0]
	sc.present = sc.present[:0]
	sc.cands = sc.cands[:0]
}

// tokenize appends the dictionary numbers of s's words to sc.ids.
func (sc *scratch) tokenize(dict map[string]int32, s string) {
	for i := 0; ; {
		start, end, next := scanWord(s, i)
		if start == end {
			return
		}
		i = next
		sc.buf = stemPlural(foldWord(sc.buf[:0], s[start:end]))
		id, ok := dict[string(sc.buf)]
		if !ok {
			sc.ids = append(sc.ids, -1)
			continue
		}
		sc.ids = append(sc.ids, id)
		if sc.stamp[id] != sc.gen {
			sc.stamp[id] = sc.gen
			sc.present = append(sc.present, id)
		}
	}
}

// link chains each known word's positions, first to last, for phrases.
func (sc *scratch) link() {
	for _, id := range sc.present {
		sc.head[id] = -1
	}
	sc.next = slices.Grow(sc.next[:0], len(sc.ids))[:len(sc.ids)]
	for p := len(sc.ids) - 1; p >= 0; p-- {
		id := sc.ids[p]
		if id < 0 {
			continue
		}
		sc.next[p] = sc.head[id]
		sc.head[id] = int32(p)
	}
}

func (sc *scratch) addCandidates(list []int32) {
	for _, ci := range list {
		if sc.candStamp[ci] != sc.gen {
			sc.candStamp[ci] = sc.gen
			sc.cands = append(sc.cands, ci)
		}
	}
}

func (sc *scratch) has(id int32) bool { return sc.stamp[id] == sc.gen }

func (sc *scratch) hasPhrase(words []int32) bool {
	if !sc.has(words[0]) {
		return false
	}
	for _, w := range words[1:] {
		if !sc.has(w) {
			return false
		}
	}
	for p := sc.head[words[0]]; p >= 0; p = sc.next[p] {
		if int(p)+len(words) > len(sc.ids) {
			return false
		}
		ok := true
		for i, w := range words[1:] {
			if sc.ids[int(p)+1+i] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (sc *scratch) eval(n *cnode) bool {
	switch n.kind {
	case exprWord:
		return sc.has(n.words[0])
	case exprPhrase:
		return sc.hasPhrase(n.words)
	case exprNot:
		return !sc.eval(n.kids[0])
	case exprAnd:
		for _, k := range n.kids {
			if !sc.eval(k) {
				return false
			}
		}
		return true
	case exprOr:
		for _, k := range n.kids {
			if sc.eval(k) {
				return true
			}
		}
	}
	return false
}

// collectTerms appends to sc.terms, once each, the positive words and
// phrases of a matching query that occur in the story.
func (sc *scratch) collectTerms(n *cnode) {
	switch n.kind {
	case exprWord, exprPhrase:
		if (n.kind == exprWord && sc.has(n.words[0])) || (n.kind == exprPhrase && sc.hasPhrase(n.words)) {
			if !slices.Contains(sc.terms, n.display) {
				sc.terms = append(sc.terms, n.display)
			}
		}
	case exprAnd, exprOr:
		for _, k := range n.kids {
			sc.collectTerms(k)
		}
	}
}

func lowerASCII(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}
