package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/vigilbot/vigil/alerts"
)

// A synthetic but honest news workload for tests and benchmarks: stories
// whose words follow a Zipf-like law, and subscriptions written the way
// people write them, mostly about specific named entities.

// Real words at the head of the story vocabulary, most frequent first.
const headWords = `the of to and a in said on for that is was with by at from as
it has have be are his an after were not he but they which their been had who its
will more also this would over than other about two new people government year
state against first some military forces security police officials told week
minister president country attack killed city report group since into last could
three north south border army defence foreign war national according`

// Topic words people combine with an entity ("Hezbollah drone").
const benchTopicWords = `drone missile cable sanctions ransomware cyberattack ceasefire
airstrike shelling pipeline hostage protest coup election refugee tanker strait
frigate submarine warship nuclear uranium enrichment militia insurgent ambush
convoy checkpoint blockade smuggling cartel kidnapping assassination bombing
explosion rocket artillery mortar sabotage espionage spy hacker malware breach
outage blackout mobilisation conscription mercenary offensive counteroffensive
drills exercise incursion airspace interceptor radar satellite jamming piracy
evacuation famine cholera earthquake flood wildfire`

// Real entities, mixed in with generated ones.
const realEntities = `Wagner|Hezbollah|Baltic Sea|Houthis|Al-Shabaab|Africa Corps|
Hamas|NATO|Kremlin|Pentagon|IAEA|Taliban|ISIS|Boko Haram|Red Sea|South China Sea|
Black Sea|Strait of Hormuz|Gaza|Kyiv|Donetsk|Crimea|Sahel|Tigray|Darfur|Idlib|
Nagorno-Karabakh|Transnistria|Kaliningrad|Taiwan Strait|Lazarus Group|Sandworm|
Volt Typhoon|Salt Typhoon|LockBit|Cl0p|Türkiye|Zaporizhzhia|Bakhmut|Avdiivka`

var regionSlugs = []string{"europe", "eastern-europe", "baltic-states", "middle-east",
	"sahel", "east-africa", "south-china-sea", "latin-america", "central-asia", "UA",
	"RU", "IL", "LB", "YE", "SY", "ML", "NE", "TW", "CN", "IR", "SD", "SO", "PL", "EE"}

type workload struct {
	rng      *rand.Rand
	general  []string  // Zipf-ranked story vocabulary
	generalC []float64 // its cumulative distribution
	topics   []string
	topicsC  []float64
	entities []string // named entities, popularity-ranked
	entityC  []float64
	queryC   []float64 // how people's subscriptions spread over entities
}

const (
	vocabularySeed    = 1
	generalVocabulary = 20000 // distinct common words in stories
	entityVocabulary  = 30000 // distinct named entities
)

// Skews of the Zipf-like laws: a higher querySkew concentrates people's
// subscriptions on the most-mentioned entities.
const (
	storyEntitySkew   = 0.9
	specificQuerySkew = 0.5
	popularQuerySkew  = 0.9
)

// newWorkload returns a generator of stories and subscriptions. The
// vocabulary is the same whatever the seed, so that stories and
// subscriptions generated from different seeds talk about the same things.
func newWorkload(seed uint64, querySkew float64) *workload {
	w := &workload{rng: rand.New(rand.NewPCG(vocabularySeed, vocabularySeed))}
	seen := map[string]bool{}
	for _, f := range strings.Fields(headWords) {
		w.general = append(w.general, f)
		seen[f] = true
	}
	for len(w.general) < generalVocabulary {
		if s := w.pseudoWord(2 + w.rng.IntN(3)); !seen[s] {
			seen[s] = true
			w.general = append(w.general, s)
		}
	}
	w.topics = strings.Fields(benchTopicWords)
	for _, e := range strings.Split(realEntities, "|") {
		w.entities = append(w.entities, strings.TrimSpace(e))
	}
	for len(w.entities) < entityVocabulary {
		name := capitalise(w.pseudoWord(2 + w.rng.IntN(2)))
		if w.rng.IntN(10) < 3 {
			name += " " + capitalise(w.pseudoWord(2+w.rng.IntN(2)))
		}
		if !seen[strings.ToLower(name)] {
			seen[strings.ToLower(name)] = true
			w.entities = append(w.entities, name)
		}
	}
	w.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w.generalC = zipfCDF(len(w.general), 1.0)
	w.topicsC = zipfCDF(len(w.topics), 0.8)
	w.entityC = zipfCDF(len(w.entities), storyEntitySkew)
	w.queryC = zipfCDF(len(w.entities), querySkew)
	return w
}

var syllables = strings.Fields(`ka ri to mel ban sor vik al den tu ra zan pol ek mi
gor sha lin dra vo ne bar tis qu ol han fer zu ma dun yo ki ast ur bel no ch`)

func (w *workload) pseudoWord(n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(syllables[w.rng.IntN(len(syllables))])
	}
	return b.String()
}

func capitalise(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// zipfCDF returns the cumulative distribution of ranks 1..n with weight
// 1/rank^s.
func zipfCDF(n int, s float64) []float64 {
	c := make([]float64, n)
	total := 0.0
	for i := range c {
		total += 1 / math.Pow(float64(i+1), s)
		c[i] = total
	}
	for i := range c {
		c[i] /= total
	}
	return c
}

func (w *workload) pick(words []string, cdf []float64) string {
	i, _ := slices.BinarySearch(cdf, w.rng.Float64())
	return words[min(i, len(words)-1)]
}

// story returns a news story of about 1.5 KB: a title and text mostly of
// common words, about a few entities and topics mentioned several times.
func (w *workload) story(i int) alerts.Story {
	focus := make([]string, 2+w.rng.IntN(4))
	for j := range focus {
		focus[j] = w.pick(w.entities, w.entityC)
	}
	topics := []string{w.pick(w.topics, w.topicsC), w.pick(w.topics, w.topicsC)}
	sentence := func(n int) string {
		words := make([]string, 0, n+4)
		for len(words) < n {
			switch r := w.rng.IntN(100); {
			case r < 6:
				words = append(words, focus[w.rng.IntN(len(focus))])
			case r < 9:
				words = append(words, topics[w.rng.IntN(len(topics))]+[]string{"", "s"}[w.rng.IntN(2)])
			default:
				words = append(words, w.pick(w.general, w.generalC))
			}
		}
		s := strings.Join(words, " ")
		return capitalise(s) + "."
	}
	var text strings.Builder
	for text.Len() < 1200+w.rng.IntN(800) {
		if text.Len() > 0 {
			text.WriteByte(' ')
		}
		text.WriteString(sentence(12 + w.rng.IntN(14)))
	}
	st := alerts.Story{
		ID:      fmt.Sprintf("story-%d", i),
		FeedURL: fmt.Sprintf("https://feed%d.example/rss", w.rng.IntN(50)),
		Title:   focus[0] + " " + sentence(6+w.rng.IntN(6)),
		Text:    text.String(),
	}
	for range 1 + w.rng.IntN(3) {
		st.Regions = append(st.Regions, regionSlugs[w.rng.IntN(len(regionSlugs))])
	}
	return st
}

// subscription returns a subscription such as a channel admin writes:
// an entity, an entity and a topic, a phrase, alternatives, sometimes an
// exclusion; about 30% narrowed to a region.
func (w *workload) subscription(id int64) alerts.Subscription {
	ent := func() string {
		e := w.pick(w.entities, w.queryC)
		if strings.ContainsRune(e, ' ') {
			return `"` + e + `"`
		}
		return e
	}
	var q string
	switch r := w.rng.IntN(100); {
	case r < 35:
		q = ent()
	case r < 65:
		q = ent() + " " + w.pick(w.topics, w.topicsC)
	case r < 80:
		q = ent() + " OR " + ent()
		if w.rng.IntN(3) == 0 {
			q += " OR " + ent()
		}
	case r < 90:
		q = ent() + " (" + w.pick(w.topics, w.topicsC) + " OR " + w.pick(w.topics, w.topicsC) + ")"
	default:
		q = `"` + strings.Trim(ent(), `"`) + " " + w.pick(w.topics, w.topicsC) + `"`
	}
	if w.rng.IntN(10) == 0 {
		q += " -" + w.pick(w.topics, w.topicsC)
	}
	s := alerts.Subscription{ID: id, ChannelID: fmt.Sprintf("chan-%d", id%5000), Query: q}
	if w.rng.IntN(10) < 3 {
		s.Regions = []string{regionSlugs[w.rng.IntN(len(regionSlugs))]}
	}
	return s
}

func (w *workload) subscriptions(n int) []alerts.Subscription {
	subs := make([]alerts.Subscription, n)
	for i := range subs {
		subs[i] = w.subscription(int64(i + 1))
	}
	return subs
}

func (w *workload) stories(n int) []alerts.Story {
	out := make([]alerts.Story, n)
	for i := range out {
		out[i] = w.story(i)
	}
	return out
}
