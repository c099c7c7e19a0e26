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
	hot  []subHot      // what Match reads of each, in the same order

	// dict numbers every word any query needs; a story's words are looked
	// up here and the rest ignored.
	dict  map[string]int32
	words []string // by dictionary number
	// known is a Bloom filter of dict, small enough to stay in cache: most
	// of a story's words are in no query, and it turns them away without
	// a lookup in dict, which at 100,000 subscriptions is a cache miss.
	known *[knownWords]uint64
	// postings lists, for each word, the subscriptions keyed under it:
	// those that cannot match unless it occurs.
	postings [][]posting
	// Subscriptions with an empty query are keyed under their regions,
	// else their feeds, else match every story (a firehose).
	byRegion map[string][]int32
	byFeed   map[string][]int32
	always   []int32

	// prog holds every query's nodes, display the term of each word and
	// phrase node (for Match.Terms), phraseWords the words of phrases.
	prog        []instr
	display     []string
	phraseWords []int32

	scratch *sync.Pool // of *scratch sized for this index
}

// posting is a subscription keyed under a word, with two cheap tests that
// rule it out without reading the subscription itself (at 100,000
// subscriptions, reading one is a cache miss; these are not).
type posting struct {
	sub int32 // index into Index.subs
	// also is another word the subscription needs along with the key, or
	// -1: "Hezbollah drone" keyed under "hezbollah" needs "drone" too.
	also int32
	// regions is the Bloom mask of the subscription's regions (see
	// regionBit), 0 for anywhere: the story's mask must share a bit.
	regions uint64
}

// subHot is what Match reads of a candidate subscription, packed into
// half a cache line; the rest of compiledSub is read only for the few
// subscriptions with feed or region filters.
type subHot struct {
	id      int64
	channel string
	prog    int32 // as compiledSub.prog
	flags   hotFlags
}

type hotFlags uint8

const (
	// hotFiltered: the subscription has feeds or regions to check.
	hotFiltered hotFlags = 1 << iota
	// hotSure: being a candidate through its posting proves the query
	// matches (one word, or two words keyed as word and hint).
	hotSure
)

// compiledSub is one subscription ready to evaluate.
type compiledSub struct {
	sub     alerts.Subscription
	query   *Query
	prog    int32    // start of its program in Index.prog, -1 for an empty query
	regions []string // lower case, for case-insensitive comparison
}

// instr is one node of a query in Index.prog. A query's nodes are stored
// together, in prefix order (a node, then its children's subtrees), so
// evaluating one reads a few adjacent cache lines instead of chasing
// pointers across the heap: at 100,000 subscriptions that is most of the
// cost of a candidate.
type instr struct {
	kind exprKind
	// n is the number of children (AND, OR, NOT) or of words (phrase).
	n uint16
	// end is the index just past this node's subtree.
	end int32
	// arg is the word (exprWord) or the start of the words in
	// Index.phraseWords (exprPhrase).
	arg int32
}

// cnode is a query node with its words replaced by dictionary numbers,
// used while building; Match runs the flattened form in Index.prog.
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

	sc.tokenize(ix, s.Title)
	sc.ids = append(sc.ids, -1) // titleGap: no phrase spans title and text
	sc.tokenize(ix, s.Text)
	sc.link()

	var storyRegions uint64
	for _, tags := range [...][]string{s.Countries, s.Regions} {
		for _, r := range tags {
			sc.buf = append(sc.buf[:0], r...)
			lowerASCII(sc.buf)
			storyRegions |= regionBit(sc.buf)
			sc.addCandidates(ix.byRegion[string(sc.buf)])
		}
	}
	for _, t := range sc.present {
		for _, p := range ix.postings[t] {
			if (p.regions == 0 || p.regions&storyRegions != 0) && (p.also < 0 || sc.has(p.also)) {
				sc.addCandidate(p.sub)
			}
		}
	}
	sc.addCandidates(ix.byFeed[s.FeedURL])
	sc.addCandidates(ix.always)
	for _, ci := range sc.cands {
		h := &ix.hot[ci]
		if h.flags&hotFiltered != 0 && !ix.subs[ci].accepts(s) {
			continue
		}
		if h.flags&hotSure != 0 || h.prog < 0 || sc.eval(ix, h.prog) {
			sc.hits = append(sc.hits, ci)
		}
	}
	if len(sc.hits) == 0 {
		return nil
	}
	// Subscriptions are stored in ID order, so index order is ID order.
	slices.Sort(sc.hits)

	out := make([]alerts.Match, len(sc.hits))
	// All the matches' Terms share one array: one allocation, not one per
	// match. termEnds[i] is where match i's terms end.
	sc.terms = sc.terms[:0]
	sc.termEnds = sc.termEnds[:0]
	for i, ci := range sc.hits {
		h := &ix.hot[ci]
		out[i] = alerts.Match{
			StoryID:        s.ID,
			FeedURL:        s.FeedURL,
			SubscriptionID: h.id,
			ChannelID:      h.channel,
		}
		if h.prog >= 0 {
			sc.collectTerms(ix, h.prog, len(sc.terms))
		}
		sc.termEnds = append(sc.termEnds, len(sc.terms))
	}
	terms := slices.Clone(sc.terms)
	start := 0
	for i, end := range sc.termEnds {
		if end > start {
			out[i].Terms = terms[start:end:end]
		}
		start = end
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
		hot:      make([]subHot, len(compiled)),
		dict:     map[string]int32{},
		byRegion: map[string][]int32{},
		byFeed:   map[string][]int32{},
	}
	var keys []key
	for i := range ix.subs {
		c := &ix.subs[i]
		var tree *cnode
		c.prog = -1
		if c.query.root != nil {
			tree = ix.compile(c.query.root)
			c.prog = int32(len(ix.prog))
			ix.flatten(tree)
		}
		h := &ix.hot[i]
		*h = subHot{id: c.sub.ID, channel: c.sub.ChannelID, prog: c.prog}
		if len(c.regions) > 0 || len(c.sub.Feeds) > 0 || c.sub.Paused {
			h.flags |= hotFiltered
		}
		if c.sub.Paused {
			continue // held for With, never a candidate
		}
		idx := int32(i)
		switch {
		case tree != nil:
			var regions uint64
			for _, r := range c.regions {
				regions |= regionBit([]byte(r))
			}
			keys, _ = ix.keys(tree, keys[:0])
			if tree.kind == exprWord || (tree.kind == exprAnd && len(tree.kids) == 2 &&
				tree.kids[0].kind == exprWord && tree.kids[1].kind == exprWord &&
				len(keys) == 1 && keys[0].also >= 0) {
				h.flags |= hotSure
			}
			slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.word, b.word), cmp.Compare(a.also, b.also)) })
			for i, k := range keys {
				if i > 0 && keys[i-1].word == k.word {
					// Keyed twice under one word: drop the hint, either
					// pair may be the one that matches.
					last := &ix.postings[k.word][len(ix.postings[k.word])-1]
					last.also = -1
					continue
				}
				ix.postings[k.word] = append(ix.postings[k.word], posting{sub: idx, also: k.also, regions: regions})
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
	ix.known = new([knownWords]uint64)
	for _, w := range ix.words {
		ix.addKnown([]byte(w))
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

// knownBits sizes Index.known: 2^20 bits (128 KiB, which stays in a
// core's L2 cache) with two bits per word keep false positives under 1%
// for the 45,000 distinct words of 100,000 subscriptions.
const (
	knownBits  = 20
	knownWords = 1 << knownBits / 64
)

func (ix *Index) mayKnow(w []byte) bool {
	a, b := knownHash(w)
	return ix.known[a/64]&(1<<(a%64)) != 0 && ix.known[b/64]&(1<<(b%64)) != 0
}

func (ix *Index) addKnown(w []byte) {
	a, b := knownHash(w)
	ix.known[a/64] |= 1 << (a % 64)
	ix.known[b/64] |= 1 << (b % 64)
}

// knownHash is FNV-1a split into two bit numbers of Index.known.
func knownHash(w []byte) (uint32, uint32) {
	h := uint64(14695981039346656037)
	for _, c := range w {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return uint32(h >> (64 - knownBits)), uint32(h) & (1<<knownBits - 1)
}

// flatten appends n's subtree to ix.prog in prefix order.
func (ix *Index) flatten(n *cnode) {
	at := len(ix.prog)
	in := instr{kind: n.kind}
	display := ""
	switch n.kind {
	case exprWord:
		in.arg = n.words[0]
		display = n.display
	case exprPhrase:
		in.n = uint16(len(n.words))
		in.arg = int32(len(ix.phraseWords))
		ix.phraseWords = append(ix.phraseWords, n.words...)
		display = n.display
	default:
		in.n = uint16(len(n.kids))
	}
	ix.prog = append(ix.prog, in)
	ix.display = append(ix.display, display)
	for _, k := range n.kids {
		ix.flatten(k)
	}
	ix.prog[at].end = int32(len(ix.prog))
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

// key is a word a subscription is keyed under and, if known, another
// word it needs along with it (-1 when not).
type key struct{ word, also int32 }

// keys appends a set of keys such that the node cannot match a story
// unless, for one key, both words occur; it chooses the cheapest set by
// wordCost and returns its cost. An AND is keyed by its cheapest positive
// child (every child must match, so any one will do) with another child's
// required word as the hint; an OR by all its alternatives; a phrase by
// its rarest word, with its next rarest as the hint.
func (ix *Index) keys(n *cnode, keys []key) ([]key, float64) {
	switch n.kind {
	case exprWord:
		return append(keys, key{n.words[0], -1}), ix.cost(n.words[0])
	case exprPhrase:
		first, second := ix.rarest(n.words)
		return append(keys, key{first, second}), ix.cost(first)
	case exprOr:
		total := 0.0
		for _, k := range n.kids {
			var c float64
			keys, c = ix.keys(k, keys)
			total += c
		}
		return keys, total
	case exprAnd:
		var best []key
		bestCost, bestKid := -1.0, -1
		for i, k := range n.kids {
			if k.kind == exprNot {
				continue
			}
			ks, c := ix.keys(k, nil)
			if bestCost < 0 || c < bestCost {
				best, bestCost, bestKid = ks, c, i
			}
		}
		// The hint: the rarest word another positive child requires.
		also, alsoCost := int32(-1), 0.0
		for i, k := range n.kids {
			if i == bestKid || (k.kind != exprWord && k.kind != exprPhrase) {
				continue
			}
			w, _ := ix.rarest(k.words)
			if c := ix.cost(w); also < 0 || c < alsoCost {
				also, alsoCost = w, c
			}
		}
		for i := range best {
			if best[i].also < 0 && also != best[i].word {
				best[i].also = also
			}
		}
		return append(keys, best...), bestCost
	}
	// exprNot is never keyed: the parser guarantees a positive sibling.
	return keys, 0
}

// rarest returns the two cheapest of words by wordCost, the second -1
// when there is one word or the phrase repeats it.
func (ix *Index) rarest(words []int32) (first, second int32) {
	first, second = words[0], -1
	for _, w := range words[1:] {
		switch {
		case w == first || w == second:
		case ix.cost(w) < ix.cost(first):
			first, second = w, first
		case second < 0 || ix.cost(w) < ix.cost(second):
			second = w
		}
	}
	return first, second
}

func (ix *Index) cost(w int32) float64 { return wordCost(ix.words[w]) }

// regionBit is the bit of a lower-case region code or slug in a 64-bit
// Bloom mask. With the one to three regions stories and filters carry,
// false positives are rare, and harmless: the filter itself is checked.
func regionBit(r []byte) uint64 {
	h := uint64(14695981039346656037) // FNV-1a
	for _, c := range r {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return 1 << (h % 64)
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

	ids      []int32 // the story's words as dictionary numbers, -1 unknown
	next     []int32 // per position: next position of the same word, or -1
	present  []int32 // distinct dictionary words in the story
	cands    []int32
	hits     []int32 // candidates that match
	buf      []byte
	terms    []string // Match.Terms of every match, end to end
	termEnds []int
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
	sc.hits = sc.hits[:0]
}

// tokenize appends the dictionary numbers of s's words to sc.ids.
func (sc *scratch) tokenize(ix *Index, s string) {
	for i := 0; ; {
		start, end, next := scanWord(s, i)
		if start == end {
			return
		}
		i = next
		sc.buf = stemPlural(foldWord(sc.buf[:0], s[start:end]))
		if len(sc.buf) == 0 {
			continue // as splitWords: only combining marks
		}
		if !ix.mayKnow(sc.buf) {
			sc.ids = append(sc.ids, -1)
			continue
		}
		id, ok := ix.dict[string(sc.buf)]
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
		sc.addCandidate(ci)
	}
}

func (sc *scratch) addCandidate(ci int32) {
	if sc.candStamp[ci] != sc.gen {
		sc.candStamp[ci] = sc.gen
		sc.cands = append(sc.cands, ci)
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

// eval runs the query node at ix.prog[i] against the story.
func (sc *scratch) eval(ix *Index, i int32) bool {
	in := &ix.prog[i]
	switch in.kind {
	case exprWord:
		return sc.has(in.arg)
	case exprPhrase:
		return sc.hasPhrase(ix.phraseWords[in.arg : in.arg+int32(in.n)])
	case exprNot:
		return !sc.eval(ix, i+1)
	case exprAnd:
		for k := i + 1; k < in.end; k = ix.prog[k].end {
			if !sc.eval(ix, k) {
				return false
			}
		}
		return true
	case exprOr:
		for k := i + 1; k < in.end; k = ix.prog[k].end {
			if sc.eval(ix, k) {
				return true
			}
		}
	}
	return false
}

// collectTerms appends to sc.terms the positive words and phrases of the
// matching query node at ix.prog[i] that occur in the story, each once
// since sc.terms[from].
func (sc *scratch) collectTerms(ix *Index, i int32, from int) {
	in := &ix.prog[i]
	switch in.kind {
	case exprWord, exprPhrase:
		if sc.eval(ix, i) && !slices.Contains(sc.terms[from:], ix.display[i]) {
			sc.terms = append(sc.terms, ix.display[i])
		}
	case exprAnd, exprOr:
		for k := i + 1; k < in.end; k = ix.prog[k].end {
			sc.collectTerms(ix, k, from)
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
