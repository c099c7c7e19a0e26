package cluster

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/summary"
)

const (
	// leadSentences is how much of the story text joins the title: news
	// puts the event in the first two sentences; the rest is background that
	// different outlets choose differently.
	leadSentences = 2
	// maxLeadChars bounds the lead when a text has no sentence breaks.
	maxLeadChars = 600
	// entityWeight and numberWeight make shared names and figures count for
	// more than shared common words: two reports of one event share who and
	// where, while unrelated stories share vocabulary.
	entityWeight = 2.0
	numberWeight = 1.5
	// titleShare is the part of the similarity that comes from the titles
	// alone; the rest compares title and lead together.
	titleShare = 0.4
)

// features is what clustering compares of a story.
type features struct {
	title termSet // weighted terms of the title
	all   termSet // weighted terms of title and lead together
	// acts are the action groups (see opposites) named in the headline, or in
	// the lead when the headline names none, one bit per side.
	acts actionSet
	// names are the hashes of the entity terms of title and lead, sorted.
	names []uint64
}

// termSet is a set of term hashes with weights, sorted by hash for merging.
// Hashes rather than strings keep comparison to integer merges; a 64-bit
// collision between two terms of two stories is negligible.
type termSet struct {
	ids   []uint64
	w     []float64
	total float64
}

// extract computes a story's features.
func extract(s *alerts.Story) features {
	titleWords := summary.Words(s.Title)
	var leadWords [][]string
	for _, sent := range leadOf(s) {
		leadWords = append(leadWords, summary.Words(sent))
	}

	entities := map[string]bool{}
	addNames := func(ws []string) {
		for i, w := range ws {
			if r, _ := utf8.DecodeRuneInString(w); i == 0 || !unicode.IsUpper(r) {
				continue
			}
			if t := term(w); t != "" && !isNumberTerm(t) {
				entities[t] = true
			}
		}
	}
	// Names come from the headline and the first sentence, where news names
	// who did what where; later sentences cite outside voices (the UN, the
	// EU) that unrelated events share.
	if len(leadWords) > 0 {
		addNames(leadWords[0])
	}
	if !titleCase(titleWords) {
		addNames(titleWords)
	}

	titleTerms := termsOf(titleWords)
	allTerms := append([]string(nil), titleTerms...)
	var leadTerms []string
	for _, ws := range leadWords {
		leadTerms = append(leadTerms, termsOf(ws)...)
	}
	allTerms = append(allTerms, leadTerms...)

	f := features{
		title: newTermSet(titleTerms, entities),
		all:   newTermSet(allTerms, entities),
	}
	for t := range entities {
		f.names = append(f.names, hashString(t))
	}
	slices.Sort(f.names)
	f.acts = actionsOf(titleTerms)
	if f.acts.empty() {
		f.acts = actionsOf(leadTerms)
	}
	return f
}

// leadOf returns the first sentences of the story, or of its summary when
// the text is empty.
func leadOf(s *alerts.Story) []string {
	text := s.Text
	if strings.TrimSpace(text) == "" {
		text = s.Summary
	}
	if len(text) > 2*maxLeadChars {
		// Splitting a whole article to read two sentences is waste.
		cut := 2 * maxLeadChars
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	return summary.Lead(text, leadSentences)
}

func newTermSet(ts []string, entities map[string]bool) termSet {
	type item struct {
		id uint64
		w  float64
	}
	items := make([]item, 0, len(ts))
	for _, t := range ts {
		w := 1.0
		switch {
		case entities[t]:
			w = entityWeight
		case isNumberTerm(t):
			w = numberWeight
		}
		items = append(items, item{hashString(t), w})
	}
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.id, b.id) })
	var set termSet
	for i, it := range items {
		if i > 0 && items[i-1].id == it.id {
			continue
		}
		set.ids = append(set.ids, it.id)
		set.w = append(set.w, it.w)
		set.total += it.w
	}
	return set
}

// overlap returns the weight the two sets share.
func overlap(a, b termSet) float64 {
	var shared float64
	i, j := 0, 0
	for i < len(a.ids) && j < len(b.ids) {
		switch {
		case a.ids[i] == b.ids[j]:
			shared += math.Min(a.w[i], b.w[j])
			i++
			j++
		case a.ids[i] < b.ids[j]:
			i++
		default:
			j++
		}
	}
	return shared
}

// setSimilarity averages weighted Jaccard and containment (overlap over the
// smaller set): Jaccard alone punishes a short headline matched against a
// long one, containment alone lets a three-word title match anything.
func setSimilarity(a, b termSet) float64 {
	if a.total == 0 || b.total == 0 {
		return 0
	}
	shared := overlap(a, b)
	jaccard := shared / (a.total + b.total - shared)
	containment := shared / math.Min(a.total, b.total)
	return (jaccard + containment) / 2
}

// similarity scores how likely two stories report the same event, in [0, 1].
// Opposing actions ("invades" against "withdraws") score zero: they are two
// events however much else the stories share.
func similarity(a, b *features) float64 {
	if conflict(a.acts, b.acts) {
		return 0
	}
	sim := titleShare*setSimilarity(a.title, b.title) + (1-titleShare)*setSimilarity(a.all, b.all)
	if len(a.names) > 0 && len(b.names) > 0 && !shareAny(a.names, b.names) {
		sim *= noSharedNamePenalty
	}
	return sim
}

// noSharedNamePenalty scales the similarity of two stories that both name
// people or places but not one in common: the same kind of incident in
// another town, or by another group, is another event.
const noSharedNamePenalty = 0.5

// shareAny reports whether two sorted slices have an element in common.
func shareAny(a, b []uint64) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

// terms normalises s into comparable terms: lower case, stemmed, synonyms
// folded, numbers bucketed, stopwords dropped.
func terms(s string) []string { return termsOf(summary.Words(s)) }

func termsOf(ws []string) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		if t := term(w); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func term(w string) string {
	r0, _ := utf8.DecodeRuneInString(w)
	proper := unicode.IsUpper(r0)
	w = strings.ToLower(strings.Trim(w, "'’"))
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	if w == "" {
		return ""
	}
	if n, ok := numberWords[w]; ok {
		return numberTerm(n)
	}
	if r, _ := utf8.DecodeRuneInString(w); unicode.IsDigit(r) {
		if f, err := strconv.ParseFloat(strings.Replace(w, "d", ".", 1), 64); err == nil {
			return numberTerm(f)
		}
		return w
	}
	if summary.IsStopword(w) || newsFiller[w] {
		return ""
	}
	st := summary.Stem(w)
	if c, ok := synonyms[st]; ok {
		return c
	}
	if proper {
		st = demonymBase(st)
		if c, ok := synonyms[st]; ok {
			return c
		}
	}
	if len(st) > maxTermLen {
		// "Belarusian" meets "Belarus", "Lithuanian" meets "Lithuania".
		st = st[:maxTermLen]
		for !utf8.ValidString(st) {
			st = st[:len(st)-1]
		}
	}
	return st
}

// maxTermLen cuts long terms to a common prefix: past seven letters English
// inflections and demonyms differ while the root is the same, and seven
// still keeps "military" from "militant".
const maxTermLen = 7

// demonymBase turns the regular demonyms of place names into the place:
// "Latvian" → "latvia", "Korean" → "korea", "Pakistani" → "pakistan",
// "Taiwanese" → "taiwan". Only applied to capitalised words.
func demonymBase(w string) string {
	switch {
	case strings.HasSuffix(w, "ian") || strings.HasSuffix(w, "ean"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "an") && len(w) > 4 && strings.HasSuffix(w[:len(w)-1], "a"):
		return w[:len(w)-1]
	case strings.HasSuffix(w, "ese") && len(w) > 5:
		return w[:len(w)-3]
	case strings.HasSuffix(w, "ni") || strings.HasSuffix(w, "qi"):
		return w[:len(w)-1]
	}
	return w
}

// numberTerm turns a figure into a term that survives rounding: years stay
// exact, small counts stay exact, larger figures fall into buckets a
// factor of about 1.8 wide, so "over 100" and "about 120" meet.
func numberTerm(f float64) string {
	switch {
	case f >= 1900 && f <= 2100 && f == math.Trunc(f):
		return "#y" + strconv.Itoa(int(f))
	case f < 10:
		return "#" + strconv.FormatFloat(f, 'f', -1, 64)
	}
	return "#~" + strconv.Itoa(int(math.Round(4*math.Log10(f))))
}

func isNumberTerm(t string) bool { return strings.HasPrefix(t, "#") }

// titleCase reports whether most of a headline's longer words start with a
// capital, as in "Russia Launches Massive Drone Attack".
func titleCase(ws []string) bool {
	var caps, n int
	for _, w := range ws {
		if len(w) < 4 {
			continue
		}
		n++
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) {
			caps++
		}
	}
	return n > 0 && float64(caps)/float64(n) > 0.6
}

// numberWords maps the counts news spells out to figures.
var numberWords = map[string]float64{
	"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
	"eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100, "hundreds": 100, "thousand": 1000, "thousands": 1000,
}

// newsFiller are words frequent in any news report that say nothing of
// which event it is.
var newsFiller = map[string]bool{
	"breaking": true, "update": true, "updated": true, "live": true, "latest": true, "news": true, "video": true,
	"watch": true, "exclusive": true, "analysis": true, "opinion": true, "explainer": true, "photos": true,
	"people": true, "official": true, "officials": true, "authorities": true, "government": true, "country": true,
	"monday": true, "early": true, "late": true, "overnight": true, "morning": true, "evening": true, "night": true,
	"first": true, "second": true, "third": true, "would": true, "will": true, "area": true, "region": true,
}

// synonyms folds the words outlets use interchangeably for the same thing
// onto one term (keys are stems, built in init). General news vocabulary
// only; nothing here names a particular story.
var synonyms = map[string]string{}

func init() {
	groups := map[string][]string{
		"blast":    {"blast", "explosion", "explode", "exploded", "explosions", "blasts", "explosive", "bomb", "bombing", "bombed"},
		"die":      {"die", "died", "dies", "dead", "death", "deaths", "deadly", "kill", "killed", "killing", "kills", "fatal", "toll", "lives"},
		"quake":    {"quake", "earthquake", "tremor", "quakes", "earthquakes"},
		"hack":     {"hack", "hacked", "hacker", "hackers", "hacking", "breach", "breached", "cyberattack", "cyberattacks", "intrusion", "compromise", "compromised", "attacker", "attackers"},
		"missile":  {"missile", "missiles", "rocket", "rockets"},
		"troop":    {"troop", "troops", "soldier", "soldiers", "forces", "servicemen"},
		"drone":    {"drone", "drones", "uav", "uavs"},
		"strike":   {"strike", "strikes", "struck", "airstrike", "airstrikes", "hit", "hits", "pound", "pounded", "target", "targeted"},
		"attack":   {"attack", "attacked", "attacks", "assault", "stormed", "storm", "raid", "raided"},
		"ship":     {"ship", "ships", "vessel", "vessels", "boat", "tanker", "freighter"},
		"expel":    {"expel", "expels", "expelled", "expelling", "expulsion", "persona", "grata", "oust"},
		"diplomat": {"diplomat", "diplomats", "envoy", "envoys", "ambassador", "ambassadors", "diplomatic"},
		"arrest":   {"arrest", "arrested", "arrests", "detain", "detained", "detains", "held", "detention"},
		"free":     {"release", "released", "releases", "free", "freed", "frees"},
		"gunman":   {"gunman", "gunmen", "shooter", "shooting", "shot", "gunfire", "militant", "militants", "fighters"},
		"close":    {"close", "closed", "closes", "closing", "closure", "shut", "shuts", "shutting"},
		"ukraine":  {"ukraine", "ukrainian", "ukrainians"},
		"russia":   {"russia", "russian", "russians", "kremlin", "moscow's"},
		"israel":   {"israel", "israeli", "israelis"},
		"iran":     {"iran", "iranian", "iranians", "tehran"},
		"china":    {"china", "chinese", "beijing"},
		"us":       {"us", "american", "washington"},
		"poland":   {"poland", "polish"},
		"germany":  {"germany", "german", "germans"},
		"france":   {"france", "french"},
		"finland":  {"finland", "finnish"},
		"japan":    {"japan", "japanese"},
		"sweden":   {"sweden", "swedish", "swede", "swedes"},
		"denmark":  {"denmark", "danish"},
		"britain":  {"britain", "british", "uk", "briton", "britons"},
		"spain":    {"spain", "spanish"},
		"turkey":   {"turkey", "turkish", "turkiye", "türkiye"},
		"lebanon":  {"lebanon", "lebanese"},
		"hungary":  {"hungary", "hungarian", "hungarians"},
		"holland":  {"netherlands", "dutch", "holland"},
		"europe":   {"europe", "european", "europeans", "eu"},
		"afghan":   {"afghanistan", "afghan", "afghans"},
		"greece":   {"greece", "greek"},
		"swiss":    {"switzerland", "swiss"},
		"norway":   {"norway", "norwegian"},
		"korea":    {"korea", "korean", "koreans", "pyongyang"},
		"seize":    {"seize", "seized", "seizes", "capture", "captured", "captures", "take", "takes", "taken", "took", "control"},
		"crash":    {"crash", "crashed", "crashes", "came", "down"},
		"launch":   {"launch", "launched", "launches", "fire", "fired", "fires", "firing"},
		"border":   {"border", "borders", "frontier", "crossing", "crossings", "checkpoint", "checkpoints", "post", "posts"},
		"join":     {"join", "joins", "joined", "accession", "membership", "member"},
		"nato":     {"nato", "alliance"},
		"ransom":   {"ransomware", "ransom"},
		"flaw":     {"flaw", "flaws", "vulnerability", "vulnerabilities", "bug", "bugs", "zero", "day"},
		"alert":    {"alert", "readiness", "ready"},
		"evacuate": {"evacuate", "evacuated", "evacuation", "evacuates", "rushed", "safety", "safe"},
	}
	for canon, ws := range groups {
		for _, w := range ws {
			synonyms[summary.Stem(w)] = canon
		}
	}
	for i, pair := range opposites {
		for side, ws := range pair {
			for _, w := range ws {
				t := term(w)
				actionIndex[t] = append(actionIndex[t], actionBit(i, side))
			}
		}
	}
}

// opposites are pairs of actions that, named by the same actors, make two
// events rather than one: "invades" and "withdraws", "arrests" and
// "releases". Launch and intercept are deliberately not opposed: "Iran
// launches drones" and "Israel intercepts drones" are one event.
var opposites = [][2][]string{
	{{"invade", "invades", "invaded", "invasion", "incursion"}, {"withdraw", "withdraws", "withdrew", "withdrawal", "retreat", "pullout"}},
	{{"deploy", "deploys", "deployed", "deployment"}, {"withdraw", "withdraws", "withdrew", "withdrawal", "recall", "recalls"}},
	{{"attack", "strike", "airstrike", "bomb", "shell", "shelling", "offensive"}, {"ceasefire", "truce", "armistice"}},
	{{"arrest", "arrested", "detain", "detained", "jail", "jailed", "kidnap", "kidnapped", "abduct", "abducted", "seize", "seized", "hostage", "convict", "convicted", "sentence", "sentenced"}, {"release", "released", "free", "freed", "acquit", "acquitted", "pardon", "pardoned", "swap"}},
	{{"capture", "captures", "captured", "occupy", "occupied"}, {"recapture", "recaptures", "recaptured", "retake", "retakes", "retook", "liberate", "liberated"}},
	{{"close", "closes", "closed", "shut", "shuts", "closure"}, {"reopen", "reopens", "reopened", "open", "opens", "opened"}},
	{{"sign", "signs", "signed", "approve", "approves", "approved", "ratify", "ratifies", "ratified", "agree", "agrees", "agreed"}, {"reject", "rejects", "rejected", "veto", "vetoes", "vetoed", "scrap", "scraps", "scrapped", "refuse", "refuses"}},
	{{"impose", "imposes", "imposed", "ban", "bans", "banned"}, {"lift", "lifts", "lifted", "ease", "eases", "eased", "unban"}},
	{{"suspend", "suspends", "suspended", "halt", "halts", "halted", "pause", "paused", "freeze", "froze"}, {"resume", "resumes", "resumed", "restart", "restarts", "restore", "restored", "unfreeze"}},
	{{"begin", "begins", "began", "start", "starts", "started"}, {"end", "ends", "ended", "conclude", "concludes", "collapse", "collapses", "collapsed"}},
	{{"raise", "raises", "raised", "hike", "hikes", "rise", "rises", "rose"}, {"cut", "cuts", "lower", "lowers", "lowered", "fall", "falls", "fell"}},
	{{"resign", "resigns", "resigned", "quit", "quits", "sack", "sacked"}, {"appoint", "appoints", "appointed", "reinstate", "reinstated", "elect", "elected"}},
}

// actionIndex maps an action term to its bits in actionSet.
var actionIndex = map[string][]uint64{}

// actionSet has two bits per opposites pair: bit 2i for the first side, bit
// 2i+1 for the second.
type actionSet uint64

func actionBit(pair, side int) uint64 { return 1 << (2*pair + side) }

func (a actionSet) empty() bool { return a == 0 }

func actionsOf(ts []string) actionSet {
	var a actionSet
	for _, t := range ts {
		for _, bit := range actionIndex[t] {
			a |= actionSet(bit)
		}
	}
	return a
}

// conflict reports whether one story names an action and the other names
// its opposite that the first does not: "Houthis seize ship" against
// "Houthis release crew of seized ship" conflicts (the second introduces a
// release), while two stories that both mention both sides do not.
func conflict(a, b actionSet) bool {
	for i := range opposites {
		x, y := actionSet(actionBit(i, 0)), actionSet(actionBit(i, 1))
		switch {
		case a&x != 0 && a&y == 0 && b&y != 0:
			return true
		case a&y != 0 && a&x == 0 && b&x != 0:
			return true
		case b&x != 0 && b&y == 0 && a&y != 0:
			return true
		case b&y != 0 && b&x == 0 && a&x != 0:
			return true
		}
	}
	return false
}
