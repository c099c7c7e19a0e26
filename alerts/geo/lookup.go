package geo

import (
	"cmp"
	"slices"
	"strings"
)

// Resolve turns what a user typed for a place into a country code or region
// slug: "EE", "ee", "Estonia", "Estonian", "Tallinn" → "EE"; "baltic-states",
// "Baltic states", "the Baltics" → "baltic-states". A slug typed exactly is
// that region; otherwise codes and names of countries win over regions, and
// names over demonyms, cities and places.
func (t *Tagger) Resolve(name string) (code string, ok bool) {
	if ri, ok := t.bySlug[strings.ToLower(strings.TrimSpace(name))]; ok {
		return t.regions[ri].slug, true
	}
	code, ok = t.resolve[resolveKey(name)]
	return code, ok
}

// resolveKey folds a name to its words in lower case without diacritics,
// joined by single spaces, without a leading "the".
func resolveKey(name string) string {
	toks := tokenize(name, nil, nil)
	var b []byte
	for i, tk := range toks {
		if i == 0 && len(toks) > 1 && strings.EqualFold(name[tk.start:tk.end], "the") {
			continue
		}
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = foldToken(b, name[tk.start:tk.end])
	}
	return string(b)
}

// Name returns the display name of a country code or region slug, or "" when
// it is neither.
func (t *Tagger) Name(code string) string {
	if ci, ok := t.byCode[strings.ToUpper(code)]; ok {
		return t.countries[ci].name
	}
	if ri, ok := t.bySlug[code]; ok {
		return t.regions[ri].name
	}
	return ""
}

// Flag returns the emoji flag of a country code (two regional indicator
// symbols), or "" for a region or an unknown code.
func (t *Tagger) Flag(code string) string {
	code = strings.ToUpper(code)
	if _, ok := t.byCode[code]; !ok {
		return ""
	}
	const regionalIndicatorA = 0x1F1E6
	return string([]rune{regionalIndicatorA + rune(code[0]-'A'), regionalIndicatorA + rune(code[1]-'A')})
}

// Expand returns a region's member countries, sorted, or a country's own
// code; nil when code is neither. For an area (a sea or strait) the members
// are the states around it.
func (t *Tagger) Expand(code string) []string {
	if ci, ok := t.byCode[strings.ToUpper(code)]; ok {
		return []string{t.countries[ci].code}
	}
	ri, ok := t.bySlug[code]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(t.regions[ri].countries))
	for _, ci := range t.regions[ri].countries {
		out = append(out, t.countries[ci].code)
	}
	return out
}

// Countries lists every country and territory, in code order.
func (t *Tagger) Countries() []Place {
	out := make([]Place, 0, len(t.countries))
	for _, ci := range t.countryOrder {
		out = append(out, Place{Code: t.countries[ci].code, Name: t.countries[ci].name, Kind: KindCountry})
	}
	return out
}

// Regions lists every region, built-in and configured, in slug order.
func (t *Tagger) Regions() []Place {
	out := make([]Place, 0, len(t.regions))
	for _, ri := range t.regionOrder {
		out = append(out, Place{Code: t.regions[ri].slug, Name: t.regions[ri].name, Kind: KindRegion})
	}
	return out
}

// RegionInfo describes a region for a person choosing one.
type RegionInfo struct {
	Slug, Name string
	// Countries are the member countries' codes, sorted: for a sea or
	// strait, the states around it.
	Countries []string
	// OldSlugs are earlier slugs of the region, still accepted.
	OldSlugs []string
	// NamedOnly regions are tagged only when a story names them, never
	// because it names a member country.
	NamedOnly bool
}

// RegionInfos lists every region, built-in and configured, in slug order.
func (t *Tagger) RegionInfos() []RegionInfo {
	out := make([]RegionInfo, 0, len(t.regions))
	for _, ri := range t.regionOrder {
		r := t.regions[ri]
		out = append(out, RegionInfo{Slug: r.slug, Name: r.name, Countries: t.Expand(r.slug), OldSlugs: r.oldSlugs, NamedOnly: r.namedOnly})
	}
	return out
}

// suggestion is one place with the folded names it may be found by.
type suggestion struct {
	place Place
	keys  []string
	runes [][]rune // keys as runes, for edit distances
}

func (t *Tagger) buildSuggestions(g *gazetteer, regions []regionData) {
	for i, c := range g.Countries {
		keys := []string{resolveKey(c.Code), resolveKey(c.Name)}
		for _, n := range append([]string{c.Official}, c.Aliases...) {
			if n != "" {
				keys = append(keys, resolveKey(n))
			}
		}
		t.suggests = append(t.suggests, newSuggestion(Place{Code: c.Code, Name: t.countries[i].name, Kind: KindCountry}, keys))
	}
	for _, r := range regions {
		keys := []string{resolveKey(r.Slug), resolveKey(r.Name)}
		for _, n := range r.Aliases {
			keys = append(keys, resolveKey(n))
		}
		t.suggests = append(t.suggests, newSuggestion(Place{Code: r.Slug, Name: r.Name, Kind: KindRegion}, keys))
	}
}

func newSuggestion(p Place, keys []string) suggestion {
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "" })
	slices.Sort(keys)
	keys = slices.Compact(keys)
	s := suggestion{place: p, keys: keys}
	for _, k := range keys {
		s.runes = append(s.runes, []rune(k))
	}
	return s
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Scores of a suggestion, best first.
const (
	scoreExact = iota
	scorePrefix
	scoreWordPrefix
	scoreFuzzy // plus the edit distance
)

// maxSuggestInput bounds the input Suggest reads, in bytes: Discord sends
// autocomplete values of at most 100 characters, and no place name is longer.
const maxSuggestInput = 400

// minFuzzyLen is the shortest input compared by edit distance: below it
// every short name would be "close".
const minFuzzyLen = 3

// Suggest offers up to n places whose names or codes start with input, or
// are a few typing mistakes away from it (for autocomplete and "did you
// mean"). Better matches come first; countries before regions on a tie.
func (t *Tagger) Suggest(input string, n int) []Place {
	if len(input) > maxSuggestInput {
		input = input[:maxSuggestInput]
	}
	q := resolveKey(input)
	if q == "" || n <= 0 {
		return nil
	}
	qr := []rune(q)
	wordPrefix := " " + q
	maxEdits := 1
	switch {
	case len(qr) > 8:
		maxEdits = 3
	case len(qr) > 4:
		maxEdits = 2
	}
	type scored struct {
		place Place
		score int
	}
	var hits []scored
	for _, s := range t.suggests {
		best := -1
		for i, k := range s.keys {
			sc := scoreKey(q, wordPrefix, qr, k, s.runes[i], maxEdits)
			if sc >= 0 && (best < 0 || sc < best) {
				best = sc
			}
		}
		if best >= 0 {
			hits = append(hits, scored{s.place, best})
		}
	}
	slices.SortFunc(hits, func(a, b scored) int {
		return cmp.Or(
			cmp.Compare(a.score, b.score),
			cmp.Compare(kindRank(a.place.Kind), kindRank(b.place.Kind)),
			cmp.Compare(a.place.Name, b.place.Name),
		)
	})
	out := make([]Place, 0, min(n, len(hits)))
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.place)
	}
	return out
}

func kindRank(kind string) int {
	if kind == KindCountry {
		return 0
	}
	return 1
}

// scoreKey rates key against the folded query; -1 means no match.
func scoreKey(q, wordPrefix string, qr []rune, key string, kr []rune, maxEdits int) int {
	switch {
	case key == q:
		return scoreExact
	case strings.HasPrefix(key, q):
		return scorePrefix
	case strings.Contains(key, wordPrefix):
		return scoreWordPrefix
	case len(qr) < minFuzzyLen:
		return -1
	}
	d := maxEdits + 1
	// Lengths further apart than maxEdits cannot be within it.
	if abs(len(kr)-len(qr)) <= maxEdits {
		d = editDistance(qr, kr)
	}
	// While typing, the query is a prefix of the name with mistakes in it.
	if len(kr) > len(qr) {
		d = min(d, editDistance(qr, kr[:len(qr)]))
	}
	if d > maxEdits {
		return -1
	}
	return scoreFuzzy + d
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours ("ukrian")
// cost one each.
func editDistance(a, b []rune) int {
	// Three rows: the one before the previous is needed for swaps.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
