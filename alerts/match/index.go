package match

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/vigilbot/vigil/alerts"
)

// Index holds every subscription compiled into one inverted index, so that
// a story is read once however many subscriptions there are. Build it with
// NewIndex; change it with With. An Index is immutable and safe for
// concurrent use by many goroutines.
type Index struct {
	subs []compiledSub // sorted by subscription ID

	// code holds every subscription as one block of nodes, blocks grouped
	// by the word the subscription is first keyed under (see build): a
	// head (ID, channel, flags), then the query's nodes in prefix order.
	// A candidate is an index of its head; all Match reads of one is its
	// block, a cache line or two.
	code []node

	// dict numbers every word any query needs, words lists them by
	// number, and table holds them again for Match: a story's words are
	// looked up there and the rest ignored.
	dict  map[string]int32
	words []string
	table []wordSlot
	// known is a Bloom filter of dict, small enough to stay in cache: most
	// of a story's words are in no query, and it turns them away without
	// a lookup in table, which at 100,000 subscriptions is a cache miss.
	known *[knownWords]uint64
	// postings lists, for each word, the subscriptions keyed under it:
	// those that cannot match unless it occurs. The lists are stored end
	// to end in allPostings, word after word, which is what Match reads,
	// finding a word's list in its slot of table.
	postings    [][]posting
	allPostings []posting
	// regionBits numbers the regions subscriptions filter on most, lower
	// case, for region masks (see numberRegions).
	regionBits map[string]uint64
	// Subscriptions with an empty query are keyed under their regions,
	// else their feeds, else match every story (a firehose). Like
	// postings, these hold the subscriptions' heads in code.
	byRegion map[string][]int32
	byFeed   map[string][]int32
	always   []int32
	// mentionScope is set when some subscription matches its regions
	// against every place a story names (see mentionKey).
	mentionScope bool

	phraseWords []int32 // the words of every phrase node

	// guildAt numbers the server of the subscription whose head is at
	// each place in code (0 elsewhere), by guildNumbers: a story of a feed
	// that only some servers added is matched against their
	// subscriptions alone (see AppendMatchesSeenBy).
	guildAt      []int32
	guildNumbers map[string]int32

	// termText holds, subscription after subscription (in the order of
	// code), the terms its matches may show (see displayTerms): a match's
	// Terms is a part of it, so writing a match allocates nothing.
	termText []string
	// smallIDs: every subscription ID is in [0, 2^32), as storage's are,
	// and idBits of them are used.
	smallIDs bool
	idBits   int

	scratch *sync.Pool // of *scratch sized for this index
}

// posting is a subscription keyed under a word, with two cheap tests that
// rule it out without reading the subscription itself (at 100,000
// subscriptions, reading one is a cache miss; these are not).
type posting struct {
	// head is the subscription's head in Index.code, shifted left by one;
	// the low bit is set when the posting alone proves a match (the
	// subscription is sure and has no filters), so that Match need not
	// read the subscription until it writes the alert.
	head int32
	// also is another word the subscription needs along with the key, or
	// -1: "Hezbollah drone" keyed under "hezbollah" needs "drone" too.
	also int32
	// regions is the mask of the subscription's regions (see
	// numberRegions), 0 for anywhere: the story's mask must share a bit.
	regions uint64
}

// node is one node of Index.code: a subscription's head or a node of its
// query. A query's nodes follow its head in prefix order (a node, then
// its children's subtrees), so evaluating one reads adjacent memory
// instead of chasing pointers across the heap: at 100,000 subscriptions
// that is most of the cost of a candidate. Half a cache line each.
type node struct {
	// text is, for a head, the channel ID; for a word or phrase, the term
	// as shown in Match.Terms.
	text string
	// arg is, for a head, the subscription ID; for a word, its dictionary
	// number; for a phrase of two words, the two (the second in the high
	// half), else the start of its words in Index.phraseWords.
	arg int64
	// end is, for a head, where the subscription's terms start in
	// Index.termText; for a query node, the index just past its subtree.
	end int32
	// n is, for a head, the number of its terms in Index.termText; else
	// the number of children (AND, OR, NOT) or of words (phrase).
	n     uint16
	kind  exprKind
	flags nodeFlags
}

type nodeFlags uint8

const (
	// headFiltered: the subscription has feeds or regions to check, or
	// is paused.
	headFiltered nodeFlags = 1 << iota
	// headSure: being a candidate through its posting proves the query
	// matches (one word, or two words keyed as word and hint).
	headSure
	// headQuery: a query follows the head; without one, the
	// subscription's filters decide.
	headQuery
	// headAllTerms: the query needs every word and phrase it shows (a
	// word, a phrase, or an AND of them and exclusions), so when it
	// matches, all of them occur.
	headAllTerms
	// termRepeated: a word or phrase shown the same as one before it in
	// the query (so the same words): Match.Terms shows it once.
	termRepeated
)

// exprHead marks a subscription's head in Index.code.
const exprHead exprKind = 255

// compiledSub is one subscription ready to evaluate.
type compiledSub struct {
	sub alerts.Subscription
	// query is the parsed query until build has compiled it into code.
	// The index then keeps only whether there is one, and parses the text
	// again on the rare calls that need the tree (Explain, With): kept,
	// the trees were a fifth of a running process's heap at 100,000
	// subscriptions.
	query    *Query
	hasQuery bool
	regions  []string // lower case, for case-insensitive comparison
}

// parsed returns the subscription's parsed query.
func (c *compiledSub) parsed() *Query {
	if c.query != nil {
		return c.query
	}
	q, err := Parse(c.sub.Query)
	if err != nil {
		// compileSub parsed this text before the index took it.
		panic(fmt.Sprintf("match: subscription %d's query parsed once and no longer does: %v", c.sub.ID, err))
	}
	return q
}

// cnode is a query node with its words replaced by dictionary numbers,
// used while building; Match runs the flattened form in Index.code.
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
// unchanged. The index is rebuilt, its queries parsed again from their text
// (it does not keep their trees), which is linear in the number of
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
// none does. The Terms slices are shared with the index: read them, do not
// change them.
func (ix *Index) Match(s *alerts.Story) []alerts.Match {
	return ix.AppendMatches(nil, s)
}

// AppendMatches appends to dst what Match returns and returns the extended
// slice. A caller matching many stories (a poll's worth, say) collects
// their matches in one slice, or reuses one, rather than allocating a
// slice per story.
func (ix *Index) AppendMatches(dst []alerts.Match, s *alerts.Story) []alerts.Match {
	return ix.appendMatches(dst, s, nil)
}

// AppendMatchesSeenBy is AppendMatches for a story of a feed that the
// servers owners added: only their subscriptions can match, for no other
// server may see the feed. Without it a burst of 10,000 stories on one
// server's feed, matching a word that 2,000 servers watch, would build 20
// million matches only for the store to drop all but one server's. An
// owner alerts.Operator (the config's feeds) shares the feed with every
// server; nil owners (not known) leave every subscription in, and the
// store's owner check stays the wall between servers either way.
func (ix *Index) AppendMatchesSeenBy(dst []alerts.Match, s *alerts.Story, owners []string) []alerts.Match {
	if owners == nil || slices.Contains(owners, alerts.Operator) {
		return ix.appendMatches(dst, s, nil)
	}
	var numbers [4]int32
	seers := numbers[:0]
	for _, o := range owners {
		if n, ok := ix.guildNumbers[o]; ok {
			seers = append(seers, n)
		}
	}
	if len(seers) == 0 {
		return dst // none of the feed's servers has a subscription
	}
	return ix.appendMatches(dst, s, seers)
}

// seenBy reports whether the subscription with its head at at belongs to
// one of the servers numbered seers.
func (ix *Index) seenBy(at int32, seers []int32) bool {
	return slices.Contains(seers, ix.guildAt[at])
}

// appendMatches is AppendMatches over the subscriptions of the servers
// numbered seers, or of every server when seers is nil.
func (ix *Index) appendMatches(dst []alerts.Match, s *alerts.Story, seers []int32) []alerts.Match {
	sc := ix.scratch.Get().(*scratch)
	defer ix.scratch.Put(sc)
	sc.reset()

	sc.tokenize(ix, s.Title)
	sc.ids = append(sc.ids, -1) // titleGap: no phrase spans title and text
	sc.tokenize(ix, s.Text)
	sc.resolve(ix)

	storyRegions := uint64(anywhere)
	for _, tags := range [...][]string{s.Countries, s.Regions} {
		for _, r := range tags {
			storyRegions |= sc.regionKey(ix, "", r)
		}
	}
	if ix.mentionScope {
		for _, tags := range [...][]string{s.Countries, s.Regions, s.Mentions, s.MentionRegions} {
			for _, r := range tags {
				storyRegions |= sc.regionKey(ix, mentionKey, r)
			}
		}
	}
	// Most postings fail their tests, unpredictably: the loop keeps those
	// that pass without a branch on it, and only those are looked at.
	passed := slices.Grow(sc.passed[:0], int(sc.postings))[:sc.postings]
	n := 0
	has := sc.has
	for _, sp := range sc.spans {
		for _, p := range ix.allPostings[sp.at:sp.end] {
			also := uint32(p.also)
			ok := has[also/64] >> (also % 64) & 1
			if p.regions&storyRegions == 0 {
				ok = 0
			}
			passed[n] = p.head
			n += int(ok)
		}
	}
	sc.passed = passed
	for _, head := range passed[:n] {
		if head&1 != 0 {
			// Keyed once, so a candidate once: no need to check
			// sc.seen.
			sc.hits = append(sc.hits, head>>1)
			sc.hitMasks = append(sc.hitMasks, 0)
		} else {
			sc.addCandidate(head >> 1)
		}
	}
	sc.addCandidates(ix.byFeed[s.FeedURL])
	sc.addCandidates(ix.always)
	// Read every candidate's head before deciding on any: the reads do
	// not depend on each other, so their cache misses overlap, where the
	// loop below, branching on each, would wait for them one at a time.
	// The same for the heads of the matches postings alone proved, read
	// later to write the matches.
	var touch nodeFlags
	last := len(ix.code) - 1
	for _, at := range sc.cands {
		// Nodes are half a cache line: every other one reads every
		// line of the head and the next five nodes, which hold most
		// queries.
		touch |= ix.code[at].flags | ix.code[min(int(at)+2, last)].flags | ix.code[min(int(at)+4, last)].flags
	}
	for _, at := range sc.hits {
		touch |= ix.code[at].flags
	}
	sc.touched |= int32(touch)
	if seers != nil {
		// Candidates stay listed (reset clears their marks through the
		// list); hits the postings alone proved are dropped here.
		kept := 0
		for i, at := range sc.hits {
			if ix.seenBy(at, seers) {
				sc.hits[kept], sc.hitMasks[kept] = at, sc.hitMasks[i]
				kept++
			}
		}
		sc.hits, sc.hitMasks = sc.hits[:kept], sc.hitMasks[:kept]
	}
	for _, at := range sc.cands {
		h := &ix.code[at]
		if seers != nil && !ix.seenBy(at, seers) {
			continue
		}
		if h.flags&headFiltered != 0 && !ix.sub(h.arg).accepts(s) {
			continue
		}
		var ok bool
		var hit uint32
		switch {
		case h.flags&headQuery == 0, h.flags&headSure != 0:
			ok = true
		case h.flags&headAllTerms != 0:
			ok = sc.eval(ix, at+1)
		default:
			// Which terms occur is needed if it matches, and it
			// nearly always does: both in one walk of the query.
			var ord int
			ok = sc.evalTerms(ix, at+1, &ord, &hit)
		}
		if ok {
			sc.hits = append(sc.hits, at)
			sc.hitMasks = append(sc.hitMasks, hit)
		}
	}
	if len(sc.hits) == 0 {
		return dst
	}

	dst = slices.Grow(dst, len(sc.hits))
	for _, k := range ix.sortByID(sc) {
		i := uint32(k)
		at := sc.hits[i]
		h := &ix.code[at]
		m := alerts.Match{
			StoryID:        s.ID,
			FeedURL:        s.FeedURL,
			SubscriptionID: h.arg,
			ChannelID:      h.text,
		}
		if h.flags&headQuery != 0 {
			all := ix.termText[h.end : h.end+int32(h.n)]
			if h.flags&headAllTerms != 0 {
				// Every word and phrase outside the exclusions occurs.
				m.Terms = all[:len(all):len(all)]
			} else {
				m.Terms = termsOf(all, sc.hitMasks[i])
			}
		}
		dst = append(dst, m)
	}
	return dst
}

// sortByID returns the order of sc.hits by subscription ID: a key per hit,
// sorted, its low 32 bits the hit's index in sc.hits.
func (ix *Index) sortByID(sc *scratch) []uint64 {
	n := len(sc.hits)
	sc.order = slices.Grow(sc.order[:0], 2*n)[:2*n]
	keys, spare := sc.order[:n], sc.order[n:]
	if !ix.smallIDs {
		for i := range keys {
			keys[i] = uint64(i)
		}
		slices.SortFunc(keys, func(a, b uint64) int {
			return cmp.Compare(ix.code[sc.hits[a]].arg, ix.code[sc.hits[b]].arg)
		})
		return keys
	}
	// Each ID with its hit's index alongside: integers, sorted
	// without reading the heads again. A comparison sort of the hundred
	// or so matches of a story at 100,000 subscriptions mispredicts a
	// branch at every other comparison and took 3 µs. Instead: one pass
	// of a bucket sort on the IDs' top bits, about a bucket per key, then
	// an insertion sort, which has little left to do (IDs far apart are
	// already in order) and branches predictably.
	for i, at := range sc.hits {
		keys[i] = uint64(ix.code[at].arg)<<32 | uint64(i)
	}
	most := int32(0) // keys in the fullest bucket
	if n >= 16 {
		bucketBits := min(bits.Len(uint(n)), ix.idBits, maxBucketBits)
		shift := 32 + ix.idBits - bucketBits
		count := sc.buckets[:1<<bucketBits]
		clear(count)
		for _, k := range keys {
			count[k>>shift]++
		}
		var sum int32
		for d, c := range count {
			count[d], sum, most = sum, sum+c, max(most, c)
		}
		for _, k := range keys {
			d := k >> shift
			spare[count[d]] = k
			count[d]++
		}
		keys = spare
	}
	// Insertion sort costs a step per pair out of order: few after the
	// buckets, unless IDs bunch up, and then a sort that cannot go
	// quadratic takes over.
	if n < 16 || most > 32 {
		slices.Sort(keys)
	} else {
		for i := 1; i < n; i++ {
			k, j := keys[i], i
			for ; j > 0 && keys[j-1] > k; j-- {
				keys[j] = keys[j-1]
			}
			keys[j] = k
		}
	}
	return keys
}

// maxBucketBits bounds the buckets of sortByID: 1024, for up to a
// thousand matches of a story; more share them.
const maxBucketBits = 10

// sub returns the subscription whose ID is id.
func (ix *Index) sub(id int64) *compiledSub {
	i, _ := slices.BinarySearchFunc(ix.subs, id, func(c compiledSub, id int64) int { return cmp.Compare(c.sub.ID, id) })
	return &ix.subs[i]
}

// accepts applies the filters that are not about words: pause, feeds and
// regions.
// Explain reports each of these tests on its own, through the same
// functions.
func (c *compiledSub) accepts(s *alerts.Story) bool {
	if c.sub.Paused || !c.feedAccepts(s) {
		return false
	}
	_, ok := c.regionHit(s)
	return ok
}

// feedAccepts reports whether the story comes from one of the
// subscription's feeds, or it has none.
func (c *compiledSub) feedAccepts(s *alerts.Story) bool {
	return len(c.sub.Feeds) == 0 || slices.Contains(c.sub.Feeds, s.FeedURL)
}

// regionHit returns the first of the subscription's regions the story is
// about (or, with ScopeMentions, names), and whether there is one or the
// subscription has no regions.
func (c *compiledSub) regionHit(s *alerts.Story) (string, bool) {
	if len(c.regions) == 0 {
		return "", true
	}
	for _, want := range c.regions {
		tags := [...][]string{s.Countries, s.Regions, s.Mentions, s.MentionRegions}
		in := tags[:2]
		if rest, ok := strings.CutPrefix(want, mentionKey); ok {
			want, in = rest, tags[:]
		}
		for _, list := range in {
			for _, have := range list {
				if strings.EqualFold(want, have) {
					return have, true
				}
			}
		}
	}
	return "", false
}

// mentionKey prefixes the regions of a subscription that matches every
// place a story names (alerts.ScopeMentions) wherever regions are keys:
// its region bits, its byRegion lists and its filter. A story offers its
// focus under the plain keys and all its places under the prefixed ones.
const mentionKey = "m:"

// regionKey offers the story's tag under prefix: the subscriptions keyed
// under it become candidates, and its bit is returned for the story's mask.
func (sc *scratch) regionKey(ix *Index, prefix, tag string) uint64 {
	sc.buf = append(append(sc.buf[:0], prefix...), tag...)
	lowerASCII(sc.buf)
	sc.addCandidates(ix.byRegion[string(sc.buf)])
	if bit, ok := ix.regionBits[string(sc.buf)]; ok {
		return bit
	}
	return otherRegions
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
	prefix := ""
	if s.Scope == alerts.ScopeMentions {
		prefix = mentionKey
	}
	for _, r := range s.Regions {
		if r = strings.ToLower(strings.TrimSpace(r)); r != "" {
			c.regions = append(c.regions, prefix+r)
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
	// Compile every query and choose the words to key it under.
	trees := make([]*cnode, len(ix.subs))
	var allKeys []key
	keysAt := make([]int32, len(ix.subs)+1) // subscription i's in allKeys[keysAt[i]:keysAt[i+1]]
	first := make([]int32, len(ix.subs))    // the word of its first key
	order := make([]int32, len(ix.subs))
	for i := range ix.subs {
		c := &ix.subs[i]
		order[i], first[i] = int32(i), math.MaxInt32
		q := c.parsed()
		c.query, c.hasQuery = nil, q.root != nil
		if c.hasQuery {
			trees[i] = ix.compile(q.root)
			if !c.sub.Paused {
				start := len(allKeys)
				allKeys, _ = ix.keys(trees[i], allKeys)
				keys := allKeys[start:]
				slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.word, b.word), cmp.Compare(a.also, b.also)) })
				first[i] = keys[0].word
			}
		}
		keysAt[i+1] = int32(len(allKeys))
	}
	// Lay the subscriptions out in code grouped by the word they are
	// first keyed under: the candidates a word brings read neighbouring
	// memory, a few pages where subscription order would scatter them
	// over the whole index.
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(first[a], first[b]) })
	ix.numberRegions()
	for _, c := range ix.subs {
		if c.sub.Scope == alerts.ScopeMentions && len(c.regions) > 0 && !c.sub.Paused {
			ix.mentionScope = true
		}
	}
	// Sized up front: grown by appends, code would be copied some twenty
	// times over at 100,000 subscriptions, the build's largest garbage.
	nodes := len(order)
	for _, tree := range trees {
		nodes += tree.size()
	}
	ix.code = make([]node, 0, nodes)
	ix.guildNumbers = map[string]int32{}
	headGuilds := make([][2]int32, 0, len(order)) // a head's place, its server's number
	for _, i := range order {
		c := &ix.subs[i]
		tree := trees[i]
		if len(ix.code) > math.MaxInt32>>1 {
			panic("match: more query nodes than a posting can address")
		}
		at := int32(len(ix.code))
		ix.code = append(ix.code, node{kind: exprHead, text: c.sub.ChannelID, arg: c.sub.ID})
		guild, ok := ix.guildNumbers[c.sub.GuildID]
		if !ok {
			guild = int32(len(ix.guildNumbers) + 1)
			ix.guildNumbers[c.sub.GuildID] = guild
		}
		headGuilds = append(headGuilds, [2]int32{at, guild})
		if tree != nil {
			ix.flatten(tree)
			ix.markRepeatedTerms(at+1, at+1)
			start := len(ix.termText)
			ix.termText = ix.displayTerms(at+1, ix.termText)
			ix.code[at].end, ix.code[at].n = int32(start), uint16(len(ix.termText)-start)
			ix.code[at].flags |= headQuery
			if allTerms(tree) {
				ix.code[at].flags |= headAllTerms
			}
		}
		h := &ix.code[at]
		var regions uint64
		for _, r := range c.regions {
			if bit, ok := ix.regionBits[r]; ok {
				regions |= bit
			} else {
				regions |= otherRegions
			}
		}
		// A posting's region mask is exact but for otherRegions; a
		// subscription keyed under its regions is a candidate only
		// through one of them.
		if len(c.sub.Feeds) > 0 || c.sub.Paused || tree != nil && regions&otherRegions != 0 {
			h.flags |= headFiltered
		}
		if c.sub.Paused {
			continue // held for With, never a candidate
		}
		switch {
		case tree != nil:
			keys := allKeys[keysAt[i]:keysAt[i+1]]
			if tree.kind == exprWord || (tree.kind == exprAnd && len(tree.kids) == 2 &&
				tree.kids[0].kind == exprWord && tree.kids[1].kind == exprWord &&
				len(keys) == 1 && keys[0].also >= 0) {
				h.flags |= headSure
			}
			for i, k := range keys {
				if i > 0 && keys[i-1].word == k.word {
					// Keyed twice under one word: drop the hint, either
					// pair may be the one that matches.
					last := &ix.postings[k.word][len(ix.postings[k.word])-1]
					last.also = -1
					continue
				}
				p := posting{head: at << 1, also: k.also, regions: regions}
				if h.flags&(headSure|headFiltered) == headSure {
					p.head |= 1
				}
				ix.postings[k.word] = append(ix.postings[k.word], p)
			}
		case len(c.regions) > 0:
			for _, r := range slices.Compact(slices.Sorted(slices.Values(c.regions))) {
				ix.byRegion[r] = append(ix.byRegion[r], at)
			}
		case len(c.sub.Feeds) > 0:
			for _, f := range slices.Compact(slices.Sorted(slices.Values(c.sub.Feeds))) {
				ix.byFeed[f] = append(ix.byFeed[f], at)
			}
		default:
			ix.always = append(ix.always, at)
		}
	}
	ix.guildAt = make([]int32, len(ix.code))
	for _, hg := range headGuilds {
		ix.guildAt[hg[0]] = hg[1]
	}
	spans := ix.packPostings()
	ix.smallIDs = len(ix.subs) == 0 || ix.subs[0].sub.ID >= 0 && ix.subs[len(ix.subs)-1].sub.ID <= math.MaxUint32
	if ix.smallIDs && len(ix.subs) > 0 {
		ix.idBits = bits.Len64(uint64(ix.subs[len(ix.subs)-1].sub.ID))
	}
	ix.known = new([knownWords]uint64)
	for _, w := range ix.words {
		ix.addKnown(wordHash([]byte(w)))
	}
	ix.buildTable(spans)
	nTerms, nCode := len(ix.dict), len(ix.code)
	ix.scratch = &sync.Pool{New: func() any { return newScratch(nTerms, nCode) }}
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
// for the 45,000 distinct words of 100,000 subscriptions. A word's two
// bits are in one 64-bit word of it, so that testing a word of a story
// reads memory once.
const (
	knownBits  = 20
	knownWords = 1 << knownBits / 64
)

func (ix *Index) mayKnow(h uint64) bool {
	w, bits := knownBitsOf(h)
	return ix.known[w]&bits == bits
}

func (ix *Index) addKnown(h uint64) {
	w, bits := knownBitsOf(h)
	ix.known[w] |= bits
}

// wordHash is FNV-1a, for Index.known and Index.table.
func wordHash(w []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range w {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// knownBitsOf splits a word's hash into a word of Index.known and two
// bits in it. FNV-1a mixes its high bits best: they choose both.
func knownBitsOf(h uint64) (word uint32, bits uint64) {
	return uint32(h >> (64 - knownBits + 6)), 1<<(h>>32&63) | 1<<(h>>38&63)
}

// wordSlot is an entry of Index.table: a dictionary word, stored in the
// slot when it is short (nearly all are), so that looking a word up reads
// one cache line where a map reads two or three, and where its postings
// are, so that finding them reads no other array.
type wordSlot struct {
	hash     uint32 // of the mixed hash, to skip other words cheaply
	id       int32  // dictionary number + 1; 0 for an empty slot
	postings span   // in Index.allPostings
	n        uint8  // the word's length, or longWord: compare Index.words
	word     [inlineWord]byte
}

// span is a part of a slice: from at to just before end.
type span struct{ at, end int32 }

const (
	inlineWord = 15       // a wordSlot is 32 bytes
	longWord   = 1<<8 - 1 // wordSlot.n of a word longer than inlineWord
)

// buildTable fills ix.table, open addressing with linear probing, at most
// half full.
func (ix *Index) buildTable(postings []span) {
	size := 16
	for size < 2*len(ix.words) {
		size *= 2
	}
	ix.table = make([]wordSlot, size)
	for id, w := range ix.words {
		x := mixHash(wordHash([]byte(w)))
		i := x >> 32 & uint64(size-1)
		for ix.table[i].id != 0 {
			i = (i + 1) & uint64(size-1)
		}
		sl := &ix.table[i]
		sl.hash, sl.id, sl.n = uint32(x), int32(id)+1, longWord
		sl.postings = postings[id]
		if len(w) <= inlineWord {
			sl.n = uint8(copy(sl.word[:], w))
		}
	}
}

// lookup returns the slot of w, whose mixed wordHash is x, or nil.
func (ix *Index) lookup(w []byte, x uint64) *wordSlot {
	mask := uint64(len(ix.table) - 1)
	for i := x >> 32 & mask; ; i = (i + 1) & mask {
		sl := &ix.table[i]
		if sl.id == 0 {
			return nil
		}
		if sl.hash != uint32(x) {
			continue
		}
		if sl.n == longWord {
			if ix.words[sl.id-1] == string(w) {
				return sl
			}
		} else if int(sl.n) == len(w) && string(sl.word[:sl.n]) == string(w) {
			return sl
		}
	}
}

// mixHash spreads FNV-1a's weakly mixed low bits over the whole word.
func mixHash(h uint64) uint64 {
	h ^= h >> 29
	return h * 0x9e3779b97f4a7c15
}

// packPostings moves the postings lists end to end into ix.allPostings, in
// the form Match tests, and returns where each word's list is.
func (ix *Index) packPostings() []span {
	n := 0
	for _, list := range ix.postings {
		n += len(list)
	}
	ix.allPostings = make([]posting, 0, n+1)
	spans := make([]span, len(ix.postings))
	// Match tests every posting the same way: a word that is always
	// there, and a mask that shares a bit with every story's.
	always := alwaysPresent(len(ix.postings))
	for w, list := range ix.postings {
		start := len(ix.allPostings)
		for _, p := range list {
			if p.also < 0 {
				p.also = always
			}
			if p.regions == 0 {
				p.regions = anywhere
			}
			ix.allPostings = append(ix.allPostings, p)
		}
		ix.postings[w] = ix.allPostings[start:len(ix.allPostings):len(ix.allPostings)]
		spans[w] = span{int32(start), int32(len(ix.allPostings))}
	}
	// One more, in no list, so that resolve may read where any list
	// starts, even an empty one at the end.
	ix.allPostings = append(ix.allPostings, posting{})
	return spans
}

// flatten appends n's subtree to ix.code in prefix order.
// size is the number of nodes flatten makes of n; 0 for no query.
func (n *cnode) size() int {
	if n == nil {
		return 0
	}
	total := 1
	for _, k := range n.kids {
		total += k.size()
	}
	return total
}

func (ix *Index) flatten(n *cnode) {
	at := len(ix.code)
	in := node{kind: n.kind}
	switch n.kind {
	case exprWord:
		in.arg = int64(n.words[0])
		in.text = n.display
	case exprPhrase:
		in.n = uint16(len(n.words))
		if len(n.words) == 2 {
			// Most phrases are names of two words: kept in the node,
			// they cost no read of phraseWords.
			in.arg = int64(uint32(n.words[0])) | int64(n.words[1])<<32
		} else {
			in.arg = int64(len(ix.phraseWords))
			ix.phraseWords = append(ix.phraseWords, n.words...)
		}
		in.text = n.display
	default:
		in.n = uint16(len(n.kids))
	}
	ix.code = append(ix.code, in)
	for _, k := range n.kids {
		ix.flatten(k)
	}
	ix.code[at].end = int32(len(ix.code))
}

// allTerms reports whether a query needs every word and phrase outside
// its exclusions.
func allTerms(n *cnode) bool {
	switch n.kind {
	case exprWord, exprPhrase:
		return true
	case exprAnd:
		for _, k := range n.kids {
			if k.kind != exprWord && k.kind != exprPhrase && k.kind != exprNot {
				return false
			}
		}
		return true
	}
	return false
}

// markRepeatedTerms flags each positive word or phrase in the subtree at
// ix.code[i] shown the same as one before it, in the order displayTerms
// visits them, since the query's root at ix.code[root]. Terms shown the
// same are the same words, so they occur or not together, and Match.Terms
// shows them once.
func (ix *Index) markRepeatedTerms(root, i int32) {
	n := &ix.code[i]
	switch n.kind {
	case exprWord, exprPhrase:
		for k := root; k < i; k++ {
			if prev := &ix.code[k]; (prev.kind == exprWord || prev.kind == exprPhrase) &&
				prev.flags&termRepeated == 0 && prev.text == n.text && ix.positive(root, k) {
				n.flags |= termRepeated
				return
			}
		}
	case exprAnd, exprOr:
		for k := i + 1; k < n.end; k = ix.code[k].end {
			ix.markRepeatedTerms(root, k)
		}
	}
}

// positive reports whether the node at ix.code[i] is outside every
// exclusion of the query whose root is at ix.code[root].
func (ix *Index) positive(root, i int32) bool {
	for k := root; k < i; {
		n := &ix.code[k]
		if i >= n.end { // not inside: the next sibling
			k = n.end
			continue
		}
		if n.kind == exprNot {
			return false
		}
		k++ // inside: its first child
	}
	return true
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

// Two bits of a region mask (see posting.regions) are not regions:
// otherRegions stands for every region without a bit of its own, and
// anywhere is in the mask of every story and of every posting without a
// filter, so that one test, a shared bit, decides.
const (
	otherRegions = 1 << 63
	anywhere     = 1 << 62
	regionBitsN  = 62 // the bits left for regions
)

// numberRegions gives the 62 regions most subscriptions with a query
// filter on a bit of their own in ix.regionBits, so that a posting's
// region mask decides those filters without reading the subscription.
// Subscriptions with one of the other regions (there are some 300 codes
// and slugs, but few are used by many) have their filter checked.
func (ix *Index) numberRegions() {
	count := map[string]int{}
	for _, c := range ix.subs {
		if !c.hasQuery || c.sub.Paused {
			continue
		}
		for _, r := range c.regions {
			if isASCII(r) { // compared as Match lowers story tags
				count[r]++
			}
		}
	}
	names := slices.Collect(maps.Keys(count))
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(count[b], count[a]), strings.Compare(a, b)) })
	ix.regionBits = make(map[string]uint64, min(len(names), regionBitsN))
	for i, r := range names[:min(len(names), regionBitsN)] {
		ix.regionBits[r] = 1 << i
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// scratch is the per-call working memory of Match, pooled so that a
// match allocates only its results.
type scratch struct {
	// Per dictionary word: its bit in has is set when the story contains
	// it, a bitset rather than a byte or more a word so that it stays in
	// the fastest cache (6 KiB at 100,000 subscriptions); head and tail
	// are its first and last positions.
	has        []uint64
	head, tail []int32
	// Per head in Index.code: its bit set once it is a candidate. A
	// bitset, not stamps, to stay in cache; reset clears the bits set.
	seen []uint64

	ids     []int32 // the story's words as dictionary numbers, -1 unknown
	next    []int32 // per position: next position of the same word, or -1
	present []int32 // distinct dictionary words in the story
	spans   []span  // where their postings are, in Index.allPostings
	cands   []int32
	passed  []int32 // heads of the postings that pass their tests
	hits    []int32 // candidates that match
	// Per hit: the bits of the terms that occur (see evalTerms), for a
	// query that may match without all of them.
	hitMasks []uint32
	buf      []byte
	order    []uint64 // sortByID's keys and their spare
	buckets  [1 << maxBucketBits]int32
	// touched keeps what resolve and Match read only to bring memory
	// into cache ahead of use, so that the compiler keeps the reads.
	touched int32

	words    []byte // the words tokenize left pending, end to end
	pending  []pendingWord
	postings int32 // how many postings the story's words have
}

// alwaysPresent is, for a dictionary of n words, the number of a word past
// them that every story contains: its bit in scratch.has is in a word of
// its own, always set (reset clears only the words of real ones).
func alwaysPresent(n int) int32 { return int32((n + 63) / 64 * 64) }

func newScratch(nTerms, nCode int) any {
	sc := &scratch{
		has:  make([]uint64, alwaysPresent(nTerms)/64+1),
		head: make([]int32, nTerms),
		tail: make([]int32, nTerms),
		seen: make([]uint64, (nCode+63)/64),
	}
	sc.has[len(sc.has)-1] = ^uint64(0)
	return sc
}

func (sc *scratch) reset() {
	for _, id := range sc.present {
		sc.has[id/64] = 0
	}
	for _, at := range sc.cands {
		sc.seen[at/64] = 0
	}
	sc.ids = sc.ids[:0]
	sc.words = sc.words[:0]
	sc.pending = sc.pending[:0]
	sc.present = sc.present[:0]
	sc.spans = sc.spans[:0]
	sc.cands = sc.cands[:0]
	sc.hits = sc.hits[:0]
	sc.hitMasks = sc.hitMasks[:0]
}

// tokenize appends s's words to sc.ids, as -1 for now: those that may be
// in the dictionary are left pending, for resolve.
func (sc *scratch) tokenize(ix *Index, s string) {
	for i := 0; ; {
		start, end, next := scanWord(s, i)
		if start == end {
			return
		}
		i = next
		// Folded straight onto sc.words, where it is kept if it may be
		// known: no copy.
		off := len(sc.words)
		buf := foldWord(sc.words, s[start:end])
		w := stemPlural(buf[off:])
		if len(w) == 0 {
			sc.words = buf[:off]
			continue // as splitWords: only combining marks
		}
		h := wordHash(w)
		if !ix.mayKnow(h) {
			sc.words = buf[:off]
		} else {
			// Looked up by resolve, once the story is read. stemPlural
			// left w where it found it.
			sc.words = buf[:off+len(w)]
			sc.pending = append(sc.pending, pendingWord{
				hash: mixHash(h), pos: int32(len(sc.ids)), off: int32(off), end: int32(len(sc.words)),
			})
		}
		sc.ids = append(sc.ids, -1)
	}
}

// pendingWord is a word of the story that may be in the dictionary.
type pendingWord struct {
	hash     uint64 // mixHash of its wordHash
	pos      int32  // in scratch.ids
	off, end int32  // in scratch.words
}

// resolve looks up the words tokenize left pending. Their table slots are
// read first, in a loop of independent reads whose cache misses overlap;
// looking each up as it was read would wait for them one at a time.
func (sc *scratch) resolve(ix *Index) {
	mask := uint64(len(ix.table) - 1)
	var touch int32
	for _, p := range sc.pending {
		touch |= ix.table[p.hash>>32&mask].id
	}
	postings := int32(0)
	// The words are in story order: each known word's positions are
	// chained, first to last, for phrases, as they are found.
	sc.next = slices.Grow(sc.next[:0], len(sc.ids))[:len(sc.ids)]
	for _, p := range sc.pending {
		sl := ix.lookup(sc.words[p.off:p.end], p.hash)
		if sl == nil {
			continue
		}
		id := sl.id - 1
		sc.ids[p.pos] = id
		sc.next[p.pos] = -1
		if w, bit := &sc.has[id/64], uint64(1)<<(id%64); *w&bit == 0 {
			*w |= bit
			sc.present = append(sc.present, id)
			sc.head[id] = p.pos
			// Read the start of the word's postings now, as for the
			// table: the cache misses overlap with the lookups'. No
			// branch on what is read, which would wait for it.
			sc.spans = append(sc.spans, sl.postings)
			touch |= ix.allPostings[sl.postings.at].also
			postings += sl.postings.end - sl.postings.at
		} else {
			sc.next[sc.tail[id]] = p.pos
		}
		sc.tail[id] = p.pos
	}
	sc.touched = touch
	sc.postings = postings
}

func (sc *scratch) addCandidates(heads []int32) {
	for _, at := range heads {
		sc.addCandidate(at)
	}
}

func (sc *scratch) addCandidate(at int32) {
	w, bit := &sc.seen[at/64], uint64(1)<<(at%64)
	if *w&bit == 0 {
		*w |= bit
		sc.cands = append(sc.cands, at)
	}
}

func (sc *scratch) contains(id int32) bool { return sc.has[uint32(id)/64]&(1<<(uint32(id)%64)) != 0 }

func (sc *scratch) hasPhrase(words []int32) bool {
	if !sc.contains(words[0]) {
		return false
	}
	for _, w := range words[1:] {
		if !sc.contains(w) {
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

// test reports whether the word or phrase n occurs in the story.
func (sc *scratch) test(ix *Index, n *node) bool {
	if n.kind == exprWord {
		return sc.contains(int32(n.arg))
	}
	if n.n == 2 {
		words := [2]int32{int32(n.arg), int32(n.arg >> 32)}
		return sc.hasPhrase(words[:])
	}
	return sc.hasPhrase(ix.phraseWords[n.arg : n.arg+int64(n.n)])
}

// eval runs the query node at ix.code[i] against the story.
func (sc *scratch) eval(ix *Index, i int32) bool {
	n := &ix.code[i]
	switch n.kind {
	case exprWord, exprPhrase:
		return sc.test(ix, n)
	case exprNot:
		return !sc.eval(ix, i+1)
	case exprAnd, exprOr:
		// A word, the commonest child, is tested here rather than in a
		// call of its own.
		want := n.kind == exprOr
		for k := i + 1; k < n.end; {
			c := &ix.code[k]
			var ok bool
			if c.kind == exprWord {
				ok = sc.contains(int32(c.arg))
			} else {
				ok = sc.eval(ix, k)
			}
			if ok == want {
				return want
			}
			k = c.end
		}
		return !want
	}
	return false
}

// evalTerms runs the query node at ix.code[i] against the story, as eval
// does but without its shortcuts, and sets in *hit the bits of the terms
// that occur: the words and phrases outside exclusions, in prefix order
// as displayTerms lists them, numbered from *ord on.
func (sc *scratch) evalTerms(ix *Index, i int32, ord *int, hit *uint32) bool {
	n := &ix.code[i]
	switch n.kind {
	case exprWord, exprPhrase:
		ok := sc.test(ix, n)
		if n.flags&termRepeated == 0 {
			if ok {
				*hit |= 1 << *ord
			}
			*ord++
		}
		return ok
	case exprNot:
		return !sc.eval(ix, i+1)
	case exprAnd, exprOr:
		want := n.kind == exprOr
		result := !want
		for k := i + 1; k < n.end; k = ix.code[k].end {
			if sc.evalTerms(ix, k, ord, hit) == want {
				result = want
			}
		}
		return result
	}
	return false
}

// termsOf returns the terms of all whose bits are set in hit: all itself,
// or a part of it, when they are all or a run of them (nearly always), so
// that a match allocates nothing.
func termsOf(all []string, hit uint32) []string {
	if hit == 0 {
		return nil
	}
	first := bits.TrailingZeros32(hit)
	run := bits.Len32(hit) - first
	if bits.OnesCount32(hit) == run {
		return all[first : first+run : first+run]
	}
	terms := make([]string, 0, bits.OnesCount32(hit))
	for ; hit != 0; hit &= hit - 1 {
		terms = append(terms, all[bits.TrailingZeros32(hit)])
	}
	return terms
}

// displayTerms appends to terms the words and phrases of the query at
// ix.code[i] that a match may show: those outside exclusions, each once.
func (ix *Index) displayTerms(i int32, terms []string) []string {
	n := &ix.code[i]
	switch n.kind {
	case exprWord, exprPhrase:
		if n.flags&termRepeated == 0 {
			terms = append(terms, n.text)
		}
	case exprAnd, exprOr:
		for k := i + 1; k < n.end; k = ix.code[k].end {
			terms = ix.displayTerms(k, terms)
		}
	}
	return terms
}

func lowerASCII(b []byte) {
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
}
