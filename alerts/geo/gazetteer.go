package geo

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// gazetteerJSON is the built-in gazetteer. It was generated once from the
// maintainers' knowledge and is edited by hand since; see data/README.md.
//
//go:embed data/gazetteer.json
var gazetteerJSON []byte

type gazetteer struct {
	Countries []countryData `json:"countries"`
	Regions   []regionData  `json:"regions"`
	// Homonyms are country names that are also a place in another country
	// ("Georgia", a US state): see homonymRule.
	Homonyms []homonymData `json:"homonyms"`
	// Outlets are organisations named after a country ("Agence
	// France-Presse", "British Airways"), by their country's code: they
	// mention it, in a weak role (an outlet reporting says nothing of what
	// the story is about).
	Outlets map[string]string `json:"outlets"`
	// NotPlaces are phrases that contain a place name but are not about the
	// place: outlets ("Washington Post"), products, idioms, people.
	NotPlaces []string `json:"not_places"`
	// HeadlineAmbiguous are abbreviations that are also English words ("US"
	// is "us"). In text written all in capitals they are a place only when the
	// word before them is none of the listed ones ("LET US" is not); with an
	// empty list, never.
	HeadlineAmbiguous map[string][]string `json:"headline_ambiguous"`
	// NonPersonPrev and NonPersonNext are capitalised words that may stand next
	// to a name that is also a given name without making it a person's.
	NonPersonPrev []string `json:"non_person_prev"`
	NonPersonNext []string `json:"non_person_next"`
}

type homonymData struct {
	Name    string `json:"name"`
	Country string `json:"country"`
	Else    string `json:"else"`
	// Cues are names of other places in Else, of the same kind as the
	// homonym ("Florida" for the state of Georgia).
	Cues []string `json:"cues"`
}

type countryData struct {
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Official string   `json:"official"`
	Aliases  []string `json:"aliases"`
	Demonyms []string `json:"demonyms"`
	Cities   []string `json:"cities"`
	Places   []string `json:"places"`
	// PersonNames are names of the country that are also given or family
	// names ("Jordan", "Chad", "Georgia").
	PersonNames []string `json:"person_names"`
}

type regionData struct {
	Slug       string   `json:"slug"`
	Name       string   `json:"name"`
	Aliases    []string `json:"aliases"`
	Countries  []string `json:"countries"`
	Places     []string `json:"places"`
	TagMembers bool     `json:"tag_members"`
	NamedOnly  bool     `json:"named_only"`
	// OldSlugs are slugs the region had before it absorbed a near-duplicate
	// ("eastern-asia" is east-asia); they resolve to it.
	OldSlugs []string `json:"old_slugs"`
	// Seat is the country code of an organisation's headquarters ("BE"
	// for NATO and the EU).
	Seat string `json:"seat"`
	// Bloc marks a union or alliance: a story about a member names it, but
	// is about it only when it names it (a German hospital's ransomware is
	// not NATO news).
	Bloc bool `json:"bloc"`
	// PartOf names the blocs a region is a part of by definition ("NATO's
	// eastern flank" is NATO's): naming it names them.
	PartOf []string `json:"part_of"`
}

var (
	gazetteerOnce sync.Once
	gazetteerData *gazetteer
	gazetteerErr  error
)

// loadGazetteer parses the embedded file once; the result is never modified.
func loadGazetteer() (*gazetteer, error) {
	gazetteerOnce.Do(func() {
		var g gazetteer
		if err := json.Unmarshal(gazetteerJSON, &g); err != nil {
			gazetteerErr = fmt.Errorf("parse embedded gazetteer: %w", err)
			return
		}
		gazetteerData = &g
	})
	return gazetteerData, gazetteerErr
}

// build indexes the gazetteer and regions into a Tagger.
func build(g *gazetteer, regions []regionData) (*Tagger, error) {
	t := &Tagger{
		byCode: make(map[string]int, len(g.Countries)),
		bySlug: make(map[string]int, len(regions)),
		root:   &node{},
	}
	for i, c := range g.Countries {
		if _, dup := t.byCode[c.Code]; dup || len(c.Code) != 2 {
			return nil, fmt.Errorf("gazetteer: bad or duplicate country code %q", c.Code)
		}
		t.byCode[c.Code] = i
		t.countries = append(t.countries, country{code: c.Code, name: c.Name})
	}
	for i, r := range regions {
		if _, dup := t.bySlug[r.Slug]; dup {
			return nil, fmt.Errorf("gazetteer: duplicate region %q", r.Slug)
		}
		t.bySlug[r.Slug] = i
		for _, old := range r.OldSlugs {
			if _, dup := t.bySlug[old]; dup {
				return nil, fmt.Errorf("gazetteer: old slug %q of %q is taken", old, r.Slug)
			}
			t.bySlug[old] = i
		}
		reg := region{slug: r.Slug, name: r.Name, oldSlugs: r.OldSlugs, tagMembers: r.TagMembers, namedOnly: r.NamedOnly, bloc: r.Bloc, seat: -1}
		if r.Seat != "" {
			ci, ok := t.byCode[r.Seat]
			if !ok {
				return nil, fmt.Errorf("gazetteer: region %q has unknown seat %q", r.Slug, r.Seat)
			}
			reg.seat = ci
		}
		for _, code := range r.Countries {
			ci, ok := t.byCode[code]
			if !ok {
				return nil, fmt.Errorf("gazetteer: region %q: unknown country %q", r.Slug, code)
			}
			reg.countries = append(reg.countries, ci)
		}
		slices.SortFunc(reg.countries, func(a, b int) int { return strings.Compare(t.countries[a].code, t.countries[b].code) })
		reg.countries = slices.Compact(reg.countries)
		t.regions = append(t.regions, reg)
	}
	for i, r := range regions {
		for _, slug := range r.PartOf {
			bi, ok := t.bySlug[slug]
			if !ok || !t.regions[bi].bloc {
				return nil, fmt.Errorf("gazetteer: region %q is part of %q, which is no bloc", r.Slug, slug)
			}
			t.regions[i].partOf = append(t.regions[i].partOf, bi)
		}
	}
	t.countryOrder = sortedIndexes(len(t.countries), func(i int) string { return t.countries[i].code })
	t.regionOrder = sortedIndexes(len(t.regions), func(i int) string { return t.regions[i].slug })
	t.linkRegions()

	b := newTrieBuilder(t, g)
	for i, c := range g.Countries {
		b.addCountry(i, c)
	}
	for i, r := range regions {
		b.addRegion(i, r)
	}
	for _, name := range slices.Sorted(maps.Keys(g.Outlets)) {
		ci, ok := t.byCode[g.Outlets[name]]
		if !ok {
			return nil, fmt.Errorf("gazetteer: outlet %q: unknown country %q", name, g.Outlets[name])
		}
		b.addWithRole(name, ci, false, roleOutlet)
	}
	for _, phrase := range g.NotPlaces {
		b.add(phrase, -1, false)
	}
	if err := b.addHomonyms(g.Homonyms); err != nil {
		return nil, err
	}
	t.resolve = b.resolve
	t.lex.freeze()
	t.firstWord = make([]*node, len(t.lex.words))
	for id, n := range t.root.children {
		t.firstWord[id] = n
		t.lex.markStart(id)
	}
	t.buildSuggestions(g, regions)
	return t, nil
}

// linkRegions works out which regions a country or a named region implies.
func (t *Tagger) linkRegions() {
	t.memberOf = make([][]int, len(t.countries))
	t.implies = make([][]int, len(t.regions))
	for _, ri := range t.regionOrder {
		r := t.regions[ri]
		if r.namedOnly {
			continue
		}
		for _, ci := range r.countries {
			t.memberOf[ci] = append(t.memberOf[ci], ri)
		}
	}
	for ai, a := range t.regions {
		if len(a.countries) == 0 {
			continue
		}
		for _, bi := range t.regionOrder {
			b := t.regions[bi]
			if bi == ai || b.namedOnly || len(b.countries) < len(a.countries) {
				continue
			}
			if isSubset(a.countries, b.countries) {
				t.implies[ai] = append(t.implies[ai], bi)
			}
		}
	}
}

// isSubset reports whether sorted a is contained in sorted b.
func isSubset(a, b []int) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func sortedIndexes(n int, key func(int) string) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(key(a), key(b)) })
	return idx
}

// trieBuilder turns gazetteer names into trie patterns and resolve keys.
type trieBuilder struct {
	t          *Tagger
	nCountries int
	headline   map[string]*headlineRule
	// resolve maps a folded name to a code or slug; the first writer wins, so
	// names are added in order of precedence.
	resolve map[string]string
}

func newTrieBuilder(t *Tagger, g *gazetteer) *trieBuilder {
	b := &trieBuilder{
		t:          t,
		nCountries: len(g.Countries),
		headline:   make(map[string]*headlineRule),
		resolve:    make(map[string]string),
	}
	for word, after := range g.HeadlineAmbiguous {
		rule := &headlineRule{never: len(after) == 0, notAfter: make(map[string]bool, len(after))}
		for _, a := range after {
			rule.notAfter[a] = true
		}
		b.headline[word] = rule
	}
	t.nonPersonPrev = newWordSet(g.NonPersonPrev...)
	t.nonPersonNext = newWordSet(g.NonPersonNext...)
	return b
}

func (b *trieBuilder) addCountry(i int, c countryData) {
	person := make(map[string]bool, len(c.PersonNames))
	for _, p := range c.PersonNames {
		person[p] = true
	}
	b.key(c.Code, c.Code)
	for _, group := range [][]string{{c.Name, c.Official}, c.Aliases, demonymForms(c.Demonyms), c.Cities, c.Places} {
		for _, name := range group {
			if name == "" {
				continue
			}
			b.add(name, i, person[name])
			b.key(name, c.Code)
		}
	}
}

func (b *trieBuilder) addRegion(i int, r regionData) {
	b.key(r.Slug, r.Slug)
	for _, group := range [][]string{{r.Name}, r.Aliases, r.Places} {
		for _, name := range group {
			b.add(name, b.nCountries+i, false)
			b.key(name, r.Slug)
		}
	}
}

// demonymForms adds the plural of each demonym ("Iranian" → "Iranians");
// forms that are not English words never occur in text and cost nothing.
func demonymForms(demonyms []string) []string {
	out := make([]string, 0, 2*len(demonyms))
	for _, d := range demonyms {
		out = append(out, d)
		if !strings.HasSuffix(d, "s") {
			out = append(out, d+"s")
		}
	}
	return out
}

// key records a Resolve key for name unless a name of higher precedence has
// it already.
func (b *trieBuilder) key(name, target string) {
	k := resolveKey(name)
	if k == "" {
		return
	}
	if _, taken := b.resolve[k]; !taken {
		b.resolve[k] = target
	}
}

// add inserts name into the trie; target -1 makes a phrase that tags nothing.
// A name of several words that starts with a capital is also inserted after
// "the", so that "the Gulf of Mexico" is read whole rather than as the alias
// "the Gulf" followed by "of Mexico".
func (b *trieBuilder) add(name string, target int, person bool) {
	b.addWithRole(name, target, person, 0)
}

// addWithRole adds a name whose every mention plays role (see weakRoles).
func (b *trieBuilder) addWithRole(name string, target int, person bool, role uint16) {
	toks := tokenize(name, nil, nil)
	if len(toks) == 0 {
		return
	}
	words := make([]string, len(toks))
	classes := make([]uint8, len(toks))
	for i, tk := range toks {
		words[i] = string(foldToken(nil, name[tk.start:tk.end]))
		classes[i] = tk.class()
	}
	// "The Hague" is "the Hague" in a sentence: a leading article matches
	// in any case.
	if len(words) > 1 && words[0] == "the" {
		classes[0] = classLower
	}
	b.insert(words, classes, target, person && len(toks) == 1, b.headline[name], role)
	if len(words) > 1 && classes[0] == classCap && words[0] != "the" {
		b.insert(append([]string{"the"}, words...), append([]uint8{classLower}, classes...), target, false, nil, role)
	}
}

func (b *trieBuilder) insert(words []string, classes []uint8, target int, person bool, headline *headlineRule, role uint16) {
	n := b.t.root
	for _, w := range words {
		n = n.child(b.t.lex.id(w))
	}
	p := &pattern{classes: classes, person: person, headline: headline, role: role}
	for _, q := range n.patterns {
		if slices.Equal(q.classes, p.classes) && q.person == p.person && q.headline == p.headline && q.role == p.role {
			p = q
			break
		}
	}
	if !slices.Contains(n.patterns, p) {
		n.patterns = append(n.patterns, p)
	}
	if target >= 0 && !slices.Contains(p.targets, target) {
		p.targets = append(p.targets, target)
	}
}

// maxHomonyms bounds the homonym rules: scan keeps them as bits of a uint8.
const maxHomonyms = 8

// addHomonyms marks the patterns of each homonym and of its cues; names
// must be in the trie already.
func (b *trieBuilder) addHomonyms(rules []homonymData) error {
	if len(rules) > maxHomonyms {
		return fmt.Errorf("gazetteer: %d homonyms, at most %d", len(rules), maxHomonyms)
	}
	for k, h := range rules {
		country, ok := b.t.byCode[h.Country]
		alt, okAlt := b.t.byCode[h.Else]
		if !ok || !okAlt {
			return fmt.Errorf("gazetteer: homonym %q: unknown country %q or %q", h.Name, h.Country, h.Else)
		}
		b.t.homonyms = append(b.t.homonyms, homonymRule{country: int32(country), alt: int32(alt)})
		if n := b.mark(h.Name, country, func(p *pattern) { p.homonym = uint8(k + 1) }); n == 0 {
			return fmt.Errorf("gazetteer: homonym %q is no name of %s", h.Name, h.Country)
		}
		for _, cue := range h.Cues {
			if n := b.mark(cue, alt, func(p *pattern) { p.cues |= 1 << k }); n == 0 {
				return fmt.Errorf("gazetteer: homonym %q: cue %q is no name of %s", h.Name, cue, h.Else)
			}
		}
	}
	return nil
}

// mark applies set to the patterns of name that tag target and returns how
// many there were.
func (b *trieBuilder) mark(name string, target int, set func(*pattern)) int {
	n := b.t.root
	for _, tk := range tokenize(name, nil, nil) {
		n = n.children[b.t.lex.id(string(foldToken(nil, name[tk.start:tk.end])))]
		if n == nil {
			return 0
		}
	}
	marked := 0
	for _, p := range n.patterns {
		if slices.Contains(p.targets, target) {
			set(p)
			marked++
		}
	}
	return marked
}
