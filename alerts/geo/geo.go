// Package geo knows where stories happen: an embedded gazetteer of every
// ISO 3166-1 country and territory (names, alternative spellings, demonyms,
// capitals, major cities and metonyms such as "the Kremlin") and of named
// regions (continents, UN sub-regions and the groupings a security desk uses,
// such as "baltic-states", "sahel" or "south-china-sea"), and a Tagger that
// finds them in a story's text in one pass.
//
// Rules the Tagger follows, decided once so that every caller gets the same
// answers:
//   - Proper names match on their capitalised form ("Turkey", not "turkey";
//     "China", not "china"); a word written fully in upper case also matches,
//     which covers headlines set in capitals.
//   - Abbreviations ("US", "UK", "DRC") match only in upper case; in a segment
//     written all in capitals, abbreviations that are also English words ("US")
//     are ignored because "LET US" cannot be told from "U.S.".
//   - The longest name wins and its words are not tagged again: "Papua New
//     Guinea" is PG only, "South Sudan" is SS only, "New Mexico" is US.
//   - Bare "Congo" is the Democratic Republic of the Congo (CD), the usual
//     meaning in news; "Republic of the Congo", "Congo-Brazzaville" and
//     "Brazzaville" are CG. Bare "Korea" is South Korea (KR).
//   - "Georgia" is the country unless a US phrase says otherwise ("Atlanta,
//     Georgia", "Georgia governor", "state of Georgia", "Georgia, U.S."),
//     which tags US. "Georgia", "Jordan" and "Chad" are also given names: next
//     to another capitalised name ("Michael Jordan", "Jordan Peterson", "Chad
//     Smith") they are a person, not a place.
//   - "Georgia" in a story that names other US states ("Georgia, Michigan,
//     and Wisconsin", "Marco Rubio of Florida ... David Perdue of Georgia")
//     and nothing else of the country (Tbilisi, Georgian) is the US state.
//   - An outlet or a company named after a country ("Agence France-Presse",
//     "Canadian Press", "British Airways") mentions it, in a weak role that
//     says nothing of the focus. Other names of outlets and things that
//     contain a place ("Washington Post", "French fries") tag nothing.
//   - A country tags every region it belongs to, except regions tagged only
//     when named: seas, straits and the Arctic, whose countries are only the
//     states around them, and forums such as the G7 or the Quad, whose members
//     are not a place. A named region tags itself and every region (not
//     tagged only by name) that contains all its countries;
//     small tight groupings ("Baltic states", "Five Eyes") also tag their
//     member countries, continents do not.
package geo

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Tags are the countries and regions a text is about (its focus) and those
// it names at all (its mentions). Each list is unique and ordered by
// salience, the most salient first; the mentions start with the focus.
type Tags struct {
	// Countries are the ISO 3166-1 alpha-2 codes of the focus countries.
	Countries []string
	// Regions are the slugs of the focus regions.
	Regions []string
	// Mentions are the codes of every country named, the focus first.
	Mentions []string
	// MentionRegions are the slugs of every region named or brought by a
	// country named, the focus first.
	MentionRegions []string
}

// Place is a country or a region, as offered to a user choosing one.
type Place struct {
	// Code is an ISO 3166-1 alpha-2 code for a country, a slug for a region.
	Code string
	// Name is the display name.
	Name string
	// Kind is KindCountry or KindRegion.
	Kind string
}

// Kinds of Place.
const (
	KindCountry = "country"
	KindRegion  = "region"
)

// RegionDef is a region an operator adds in the configuration file.
type RegionDef struct {
	// Slug identifies the region in subscriptions and tags: lower-case
	// letters and digits in words joined by hyphens, such as "my-region".
	Slug string `toml:"slug" json:"slug"`
	// Name is the display name; it is also matched in text.
	Name string `toml:"name" json:"name"`
	// Aliases are other names matched in text.
	Aliases []string `toml:"aliases" json:"aliases,omitempty"`
	// Countries are ISO 3166-1 alpha-2 codes of member countries; a story
	// about one of them gets the region too.
	Countries []string `toml:"countries" json:"countries,omitempty"`
	// Places are names inside the region (islands, straits, towns) that tag it.
	Places []string `toml:"places" json:"places,omitempty"`
	// TagMembers makes a mention of the region by name tag its member
	// countries as well; right for tight groupings of a few countries.
	TagMembers bool `toml:"tag_members" json:"tag_members,omitempty"`
	// NamedOnly makes the region a tag only when the text names it or one of
	// its places, not when it names a member country: right for a sea or
	// strait, whose countries are the states around it, or a forum.
	NamedOnly bool `toml:"named_only" json:"named_only,omitempty"`
}

// ErrInvalidRegion is wrapped by the errors New returns for a bad RegionDef.
var ErrInvalidRegion = errors.New("invalid region")

// maxSlugLen bounds region slugs; they are shown in Discord option values,
// which allow at most 100 characters.
const maxSlugLen = 64

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Tagger tags text with countries and regions. It is immutable after New and
// safe for concurrent use.
type Tagger struct {
	countries []country
	regions   []region
	byCode    map[string]int // upper-case alpha-2 code → index in countries
	bySlug    map[string]int // slug → index in regions

	// countryOrder and regionOrder list indexes in code and slug order, so
	// Tag emits sorted output without sorting.
	countryOrder []int
	regionOrder  []int

	// memberOf lists, per country, the regions a story about it also gets.
	memberOf [][]int
	// implies lists, per region, the regions a mention of it also gets: the
	// regions, not tagged only by name, that contain all its countries.
	implies [][]int

	// lex numbers the words of every name; firstWord holds, by word, the
	// trie nodes of the names that start with it (nil for the rest).
	lex       lexicon
	firstWord []*node
	root      *node
	resolve   map[string]string
	suggests  []suggestion

	// homonyms are the country names that are also a place elsewhere.
	homonyms []homonymRule

	// nonPersonPrev and nonPersonNext are capitalised words that do not make
	// a neighbouring given-name-like place name a person's.
	nonPersonPrev *wordSet
	nonPersonNext *wordSet
}

type country struct {
	code, name string
}

type region struct {
	slug, name string
	oldSlugs   []string
	countries  []int // indexes into Tagger.countries, in code order
	tagMembers bool
	namedOnly  bool
	bloc       bool  // see regionData.Bloc
	partOf     []int // the blocs it is a part of by definition
	// seat is the country index of an organisation's headquarters, -1 for
	// none: a dateline there is where the organisation meets.
	seat int
}

// New returns a Tagger over the embedded gazetteer and the operator's extra
// regions. An extra region whose slug is invalid, clashes with a built-in or
// another extra region, or names an unknown country is an error naming it.
func New(extra ...RegionDef) (*Tagger, error) {
	g, err := loadGazetteer()
	if err != nil {
		return nil, err
	}
	regions := slices.Clone(g.Regions)
	seen := make(map[string]bool, len(regions)+len(extra))
	for _, r := range regions {
		seen[r.Slug] = true
		for _, old := range r.OldSlugs {
			seen[old] = true
		}
	}
	codes := make(map[string]bool, len(g.Countries))
	for _, c := range g.Countries {
		codes[c.Code] = true
	}
	for _, def := range extra {
		r, err := validateRegion(def, codes, seen)
		if err != nil {
			return nil, err
		}
		seen[r.Slug] = true
		regions = append(regions, r)
	}
	return build(g, regions)
}

func validateRegion(def RegionDef, codes, seen map[string]bool) (regionData, error) {
	slug := def.Slug
	switch {
	case slug == "":
		return regionData{}, fmt.Errorf("%w: region with name %q has no slug", ErrInvalidRegion, def.Name)
	case len(slug) > maxSlugLen || !slugPattern.MatchString(slug):
		return regionData{}, fmt.Errorf("%w %q: slug must be lower-case words of letters and digits joined by hyphens, at most %d characters", ErrInvalidRegion, slug, maxSlugLen)
	case seen[slug]:
		return regionData{}, fmt.Errorf("%w %q: a region with this slug already exists", ErrInvalidRegion, slug)
	case len(slug) == 2 && codes[strings.ToUpper(slug)]:
		return regionData{}, fmt.Errorf("%w %q: slug is a country code", ErrInvalidRegion, slug)
	case strings.TrimSpace(def.Name) == "":
		return regionData{}, fmt.Errorf("%w %q: name is empty", ErrInvalidRegion, slug)
	}
	r := regionData{
		Slug:       slug,
		Name:       strings.TrimSpace(def.Name),
		TagMembers: def.TagMembers,
		NamedOnly:  def.NamedOnly,
	}
	for _, c := range def.Countries {
		code := strings.ToUpper(strings.TrimSpace(c))
		if !codes[code] {
			return regionData{}, fmt.Errorf("%w %q: unknown country code %q", ErrInvalidRegion, slug, c)
		}
		r.Countries = append(r.Countries, code)
	}
	for _, list := range []struct {
		field string
		in    []string
		out   *[]string
	}{{"aliases", def.Aliases, &r.Aliases}, {"places", def.Places, &r.Places}} {
		for _, name := range list.in {
			if len(tokenize(name, nil, nil)) == 0 {
				return regionData{}, fmt.Errorf("%w %q: %s entry %q has no letters or digits", ErrInvalidRegion, slug, list.field, name)
			}
			*list.out = append(*list.out, name)
		}
	}
	return r, nil
}
