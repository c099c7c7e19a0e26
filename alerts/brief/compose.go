package brief

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/summary"
)

// DefaultTop is how many top stories a briefing leads with when
// Options.Top is zero: three is what fits above the fold of a Discord
// channel on a phone.
const DefaultTop = 3

// ElsewhereName is the heading of the group of clusters tagged with no
// country or region.
const ElsewhereName = "Elsewhere"

// Places names countries and regions; *geo.Tagger (alerts/geo) satisfies it.
type Places interface {
	// Name is the display name of a country code or region slug, "" when
	// unknown.
	Name(code string) string
	// Flag is the emoji flag of a country code, "" for a region.
	Flag(code string) string
}

// Options say what a briefing is about and how to show it.
type Options struct {
	// Title heads the briefing, e.g. "Daily briefing · #baltic-watch".
	Title string
	// From and To bound the period covered.
	From, To time.Time
	// Location is the channel's time zone for displayed times; nil is UTC.
	Location *time.Location
	// Regions are the briefing's own regions (country codes or region
	// slugs); when set, clusters are grouped under the first of them they
	// are tagged with and groups follow this order.
	Regions []string
	// Top is how many top stories get a one-sentence summary: 0 means
	// DefaultTop, a negative number none.
	Top int
	// Places names the groups; nil shows the codes themselves.
	Places Places
}

// Briefing is a channel's composed briefing, before rendering.
type Briefing struct {
	Title    string
	From, To time.Time
	// Top are the top stories, each with a one-sentence Summary. They are
	// not repeated in Groups.
	Top []Entry
	// Groups hold every other cluster once, grouped by region.
	Groups []Group
	// Stories is the number of clusters.
	Stories int
	// Outlets is the number of distinct outlets over all clusters.
	Outlets int
}

// Empty reports whether the period had no stories.
func (b Briefing) Empty() bool { return b.Stories == 0 }

// Group is the clusters of one region, ranked.
type Group struct {
	// Code is the country code or region slug; "" is the Elsewhere group.
	Code string
	// Name is the display name; Flag the emoji flag when Code is a country.
	Name, Flag string
	Entries    []Entry
}

// Entry is one cluster: one event, reported by one or more outlets.
type Entry struct {
	// Headline is the first report's title.
	Headline string
	URL      string
	// Source is the first outlet.
	Source string
	// Outlets is the number of distinct outlets that reported the event.
	Outlets int
	// Published is the time of the earliest report.
	Published time.Time
	// Summary is one sentence: the first of the first report's Summary that
	// has one, else of its Text. Set for Top entries only.
	Summary string
	// Countries and Regions are the places the event is about, the union of
	// its reports' focus: the first report's in its order of salience, then
	// any the later reports add.
	Countries, Regions []string
	// Mentions are the other countries the reports name, in the order they
	// are first named.
	Mentions []string
	// Priority is the severity score of the headline (see severityWords).
	Priority int

	reports []alerts.Story
	group   string
}

// severityWords weigh a headline for ranking among events reported by as
// many outlets. Loss of life weighs most, then acts of war and violence,
// then events that are grave but not (yet) violent. A word counts once per
// headline. The list is deliberately small: it breaks ties, it does not
// judge the news.
var severityWords = map[string]int{
	"killed": 3, "killing": 3, "kills": 3, "dead": 3, "death": 3, "deaths": 3,
	"massacre": 3, "casualties": 3,
	"attack": 2, "attacks": 2, "attacked": 2, "strike": 2, "strikes": 2,
	"airstrike": 2, "airstrikes": 2, "missile": 2, "missiles": 2,
	"explosion": 2, "explosions": 2, "blast": 2, "bombing": 2, "shelling": 2,
	"invasion": 2, "invades": 2, "coup": 2, "hostage": 2, "hostages": 2,
	"assassination": 2, "drone": 2, "drones": 2,
	"cyberattack": 1, "ransomware": 1, "sanctions": 1, "mobilisation": 1,
	"mobilization": 1, "evacuation": 1, "sabotage": 1, "arrested": 1,
}

// preferredRegions is the security desk's order of regions for grouping when
// the briefing has no regions of its own: the narrow, conflict-relevant
// groupings first (a sea or strait before the wider region around it, since
// the tagger also tags the wider one), then the continents. The slugs are those of the
// gazetteer in alerts/geo.
var preferredRegions = []string{
	"baltic-states", "nato-eastern-flank", "eastern-europe", "caucasus", "balkans",
	"red-sea", "strait-of-hormuz", "levant", "gulf", "middle-east",
	"maghreb", "sahel", "horn-of-africa", "great-lakes", "gulf-of-guinea",
	"central-asia", "south-asia", "korean-peninsula", "taiwan-strait",
	"south-china-sea", "east-china-sea", "east-asia", "southeast-asia",
	"latin-america", "caribbean", "black-sea", "arctic",
	"europe", "africa", "asia", "north-america", "south-america", "americas",
	"oceania", "antarctica",
}

// preferenceRank maps a region slug to its place in preferredRegions.
var preferenceRank = func() map[string]int {
	m := make(map[string]int, len(preferredRegions))
	for i, r := range preferredRegions {
		m[r] = i
	}
	return m
}()

// Compose builds the briefing from clusters: each inner slice is the stories
// of one event (same ClusterID), from one or more outlets, in any order.
// Empty clusters are ignored. Compose does not modify its input.
func Compose(clusters [][]alerts.Story, opt Options) Briefing {
	b := Briefing{Title: opt.Title, From: opt.From, To: opt.To}
	entries := make([]Entry, 0, len(clusters))
	outlets := map[string]bool{}
	for _, c := range clusters {
		if len(c) == 0 {
			continue
		}
		e := newEntry(c)
		for _, s := range e.reports {
			outlets[outletKey(s)] = true
		}
		e.group = pickGroup(e, opt.Regions)
		entries = append(entries, e)
	}
	b.Stories = len(entries)
	b.Outlets = len(outlets)
	slices.SortFunc(entries, rank)

	top := opt.Top
	if top == 0 {
		top = DefaultTop
	}
	top = max(0, min(top, len(entries)))
	for _, e := range entries[:top] {
		e.Summary = firstSentence(e.reports)
		b.Top = append(b.Top, e.public())
	}

	byCode := map[string]int{}
	for _, e := range entries[top:] {
		i, ok := byCode[e.group]
		if !ok {
			i = len(b.Groups)
			byCode[e.group] = i
			b.Groups = append(b.Groups, newGroup(e.group, opt.Places))
		}
		// entries are ranked, so each group's entries are too.
		b.Groups[i].Entries = append(b.Groups[i].Entries, e.public())
	}
	orderGroups(b.Groups, opt.Regions)
	return b
}

// newEntry summarises one cluster; the reports are ordered earliest first
// so that "the first report" does not depend on the caller's order.
func newEntry(c []alerts.Story) Entry {
	reports := slices.Clone(c)
	slices.SortStableFunc(reports, func(a, b alerts.Story) int {
		return cmp.Or(
			a.Published.Compare(b.Published),
			a.FirstSeen.Compare(b.FirstSeen),
			strings.Compare(a.Source, b.Source),
			strings.Compare(a.URL, b.URL),
			strings.Compare(a.Title, b.Title),
		)
	})
	first := reports[0]
	e := Entry{
		Headline:  first.Title,
		URL:       first.URL,
		Source:    first.Source,
		Published: first.Published,
		reports:   reports,
	}
	seen := map[string]bool{}
	var countries, regions, mentions []string
	for _, s := range reports {
		if k := outletKey(s); !seen[k] {
			seen[k] = true
			e.Outlets++
		}
		countries = append(countries, s.Countries...)
		regions = append(regions, s.Regions...)
		mentions = append(mentions, s.Mentions...)
	}
	e.Countries = orderedSet(countries)
	e.Regions = orderedSet(regions)
	for _, c := range orderedSet(mentions) {
		if !slices.Contains(e.Countries, c) {
			e.Mentions = append(e.Mentions, c)
		}
	}
	e.Priority = severity(e.Headline)
	return e
}

// public drops the internal fields so that a Briefing compares and prints
// cleanly.
func (e Entry) public() Entry {
	e.reports = nil
	e.group = ""
	return e
}

// outletKey identifies an outlet: its name, case-folded, else its feed.
func outletKey(s alerts.Story) string {
	if k := strings.ToLower(strings.TrimSpace(s.Source)); k != "" {
		return k
	}
	return s.FeedURL
}

// orderedSet drops repeats, keeping the first of each.
func orderedSet(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// severity scores a headline by the severity words it contains.
func severity(headline string) int {
	score := 0
	var seen map[string]bool
	for _, w := range strings.FieldsFunc(strings.ToLower(headline), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '-'
	}) {
		w = strings.Trim(w, "-")
		if s, ok := severityWords[w]; ok && !seen[w] {
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[w] = true
			score += s
		}
	}
	return score
}

// rank orders entries: more outlets, higher severity, newer, then by
// headline and URL for determinism.
func rank(a, b Entry) int {
	return cmp.Or(
		cmp.Compare(b.Outlets, a.Outlets),
		cmp.Compare(b.Priority, a.Priority),
		b.Published.Compare(a.Published),
		strings.Compare(a.Headline, b.Headline),
		strings.Compare(a.URL, b.URL),
		strings.Compare(a.Source, b.Source),
	)
}

// pickGroup chooses the group of a cluster; see the package doc.
func pickGroup(e Entry, regions []string) string {
	tags := make(map[string]string, len(e.Countries)+len(e.Regions))
	for _, t := range e.Countries {
		tags[strings.ToLower(t)] = t
	}
	for _, t := range e.Regions {
		tags[strings.ToLower(t)] = t
	}
	for _, r := range regions {
		if t, ok := tags[strings.ToLower(strings.TrimSpace(r))]; ok {
			return t
		}
	}
	for _, r := range preferredRegions {
		if t, ok := tags[r]; ok {
			return t
		}
	}
	if len(e.Regions) > 0 {
		return e.Regions[0]
	}
	if len(e.Countries) > 0 {
		return e.Countries[0]
	}
	return ""
}

func newGroup(code string, places Places) Group {
	g := Group{Code: code, Name: code}
	if code == "" {
		g.Name = ElsewhereName
		return g
	}
	if places != nil {
		if n := places.Name(code); n != "" {
			g.Name = n
		}
		g.Flag = places.Flag(code)
	}
	return g
}

// orderGroups sorts groups: the briefing's own regions in their order, then
// by weight (the outlets of their clusters), preference and code;
// Elsewhere last.
func orderGroups(groups []Group, regions []string) {
	own := make(map[string]int, len(regions))
	for i, r := range regions {
		k := strings.ToLower(strings.TrimSpace(r))
		if _, dup := own[k]; !dup {
			own[k] = i
		}
	}
	weight := func(g Group) int {
		w := 0
		for _, e := range g.Entries {
			w += e.Outlets
		}
		return w
	}
	position := func(m map[string]int, code string) int {
		if i, ok := m[strings.ToLower(code)]; ok {
			return i
		}
		return len(m) + len(preferredRegions)
	}
	slices.SortStableFunc(groups, func(a, b Group) int {
		return cmp.Or(
			cmp.Compare(boolInt(a.Code == ""), boolInt(b.Code == "")),
			cmp.Compare(position(own, a.Code), position(own, b.Code)),
			cmp.Compare(weight(b), weight(a)),
			cmp.Compare(position(preferenceRank, a.Code), position(preferenceRank, b.Code)),
			strings.Compare(a.Code, b.Code),
		)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// firstSentence is the first sentence of the first report with a Summary,
// else of the first report with Text.
func firstSentence(reports []alerts.Story) string {
	for _, pick := range []func(alerts.Story) string{
		func(s alerts.Story) string { return s.Summary },
		func(s alerts.Story) string { return s.Text },
	} {
		for _, s := range reports {
			if t := strings.TrimSpace(pick(s)); t != "" {
				if ss := summary.Split(t); len(ss) > 0 {
					return ss[0]
				}
			}
		}
	}
	return ""
}
