package summary

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Options says how long a summary may be. Zero values take the defaults.
type Options struct {
	// Sentences is the most sentences to keep; default DefaultSentences.
	Sentences int
	// MaxWords is the budget in words, filled as far as whole sentences
	// allow and never exceeded; default DefaultMaxWords.
	MaxWords int
	// MaxChars is the budget in characters (Unicode code points); default
	// DefaultMaxChars, never more than MaxChars.
	MaxChars int
	// Title is the story's headline, when known: its words count as
	// introduced (a sentence naming "Smith" can stand when the title names
	// him) and as key terms of the story.
	Title string
}

const (
	// DefaultSentences is what an alert shows: read in seconds on a phone.
	DefaultSentences = 3
	// DefaultMaxWords is about what a news editor writes as a story's
	// highlights (two or three sentences); whole sentences fill it to 65 to
	// 70 words on average.
	DefaultMaxWords = 80
	// DefaultMaxChars keeps an alert's summary to a phone screen.
	DefaultMaxChars = 600
	// MaxChars is the hard ceiling. Discord: an embed description holds at
	// most 4096 characters.
	MaxChars = 4096
	// maxCandidates bounds the cost on very long pages; news puts what
	// matters first, so later sentences rarely win anyway.
	maxCandidates = 200
	// minWords is the shortest sentence worth choosing; shorter ones ("Read
	// on.", "Photo: AP.") are captions and furniture.
	minWords = 4
	// ellipsis marks a sentence cut at a word boundary.
	ellipsis = "…"
)

// withDefaults fills zero fields and clamps the budget.
func (o Options) withDefaults() Options {
	if o.Sentences <= 0 {
		o.Sentences = DefaultSentences
	}
	if o.MaxWords <= 0 {
		o.MaxWords = DefaultMaxWords
	}
	if o.MaxChars <= 0 {
		o.MaxChars = DefaultMaxChars
	}
	if o.MaxChars > MaxChars {
		o.MaxChars = MaxChars
	}
	return o
}

// Summarize returns the sentences of text that best cover the story's news,
// at most opt.Sentences of them, opt.MaxWords words and opt.MaxChars
// characters, in their original order. Text that is already short enough
// comes back cleaned (see Clean) instead. The result is deterministic: the
// same input always gives the same summary.
//
// News is written lead first, so the opening sentence is taken whenever it
// reads as a sentence and fits; the rest of the budget goes, greedily, to
// the sentences that add the most of the story's key terms not yet covered
// (the words, names and numbers the story repeats, and those of its title
// and lead), discounted by position and divided by length so that one long
// sentence does not crowd out two short facts. A sentence that cannot stand
// alone (see needsAntecedent) is only taken right after the one it leans
// on; boilerplate, bylines, captions and quotes without a speaker never are.
func Summarize(text string, opt Options) string {
	opt = opt.withDefaults()
	cands := candidates(text)
	if len(cands) == 0 {
		return ""
	}
	for i, c := range cands {
		cands[i] = compress(c)
	}
	doc := analyse(cands, opt.Title)
	if len(cands) <= opt.Sentences && doc.words(allIndexes(len(cands))) <= opt.MaxWords {
		whole := strings.Join(cands, " ")
		if utf8.RuneCountInString(whole) <= opt.MaxChars && doc.standsAlone(allIndexes(len(cands))) {
			return whole
		}
	}
	return doc.pick(opt)
}

// candidates are the sentences of text a summary may use: bylines, stamps,
// datelines, headings, captions and feed boilerplate left out.
func candidates(text string) []string {
	units := splitUnits(stripHeader(stripBoilerplate(text)))
	if len(units) == 0 {
		return nil
	}
	units[0].text = stripLead(units[0].text)
	if units[0].text == "" {
		units = units[1:]
	}
	var cands []string
	for _, u := range units {
		if !u.heading && !isFurniture(u.text) {
			cands = append(cands, captionMarkRE.ReplaceAllString(u.text, ""))
		}
	}
	if len(cands) == 0 {
		// Nothing reads as a sentence (a title-like one-liner): use it all.
		for _, u := range units {
			cands = append(cands, u.text)
		}
	}
	if len(cands) > maxCandidates {
		cands = cands[:maxCandidates]
	}
	return cands
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// Tuning of the selection, measured on the development sets described in
// testdata/summaries/README.md (never on a test split). The figures barely
// move across wide ranges of each; the budget and the lead matter most.
const (
	// positionDecay is how fast a later sentence's worth falls: sentence i
	// counts 1/(1+i·positionDecay).
	positionDecay = 1.0
	// lengthExponent divides a sentence's gain by words^lengthExponent.
	lengthExponent = 0.5
	// leadTermBoost and titleTermBoost raise terms of the first sentence
	// and the headline: that is where the writer put the news.
	leadTermBoost  = 1.5
	titleTermBoost = 2.0
	// nameBoost and numberBoost raise names and figures, the facts a reader
	// needs (who, where, how many).
	nameBoost   = 1.3
	numberBoost = 1.3
	// coveredWeight is what a term already in the summary still adds.
	coveredWeight = 0.3
)

// attributionTailRE matches a trailing attribution that a summary can do
// without: ", police said on Tuesday.", ", he added." The sentence keeps its
// full stop; who said it is in the story a click away.
var attributionTailRE = regexp.MustCompile(`,\s+(?:(?:the\s+)?[a-z]+(?:\s+[a-z]+)?|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?:said|says|told \w+|added|reported)(?:\s+(?:on|in|late|early)\s+\w+(?:\s+\w+)?)?\s*([.!?])$`)

// compress shortens a sentence without changing what it says.
func compress(s string) string {
	// Only the last clause can be a trailing attribution; matching there
	// alone keeps the pattern from scanning the whole sentence.
	k := strings.LastIndex(s, ", ")
	if k < 0 || !containsAny(s[k:], []string{" said", " says", " told ", " added", " reported"}) {
		return s
	}
	return s[:k] + attributionTailRE.ReplaceAllString(s[k:], "$1")
}

// story is what selection knows about the candidate sentences.
type story struct {
	sents   []string
	nwords  []int
	terms   [][]string // each sentence's distinct key terms
	weight  map[string]float64
	weak    []bool // furniture, too short or an orphan quote: never chosen
	depends []int  // index of the sentence this one leans on, or -1; -2: cannot stand at all
	title   string
}

func analyse(cands []string, title string) *story {
	d := &story{
		sents:   cands,
		nwords:  make([]int, len(cands)),
		terms:   make([][]string, len(cands)),
		weight:  map[string]float64{},
		weak:    make([]bool, len(cands)),
		depends: make([]int, len(cands)),
		title:   title,
	}
	df := map[string]int{}
	names := map[string]bool{}
	numbers := map[string]bool{}
	for i, s := range cands {
		d.nwords[i] = wordCount(s) // the budget counts words as a reader does
		d.weak[i] = len(Words(s)) < minWords || orphanQuote(s)
		seen := map[string]bool{}
		for k, w := range Words(s) {
			t := termOf(w)
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			d.terms[i] = append(d.terms[i], t)
			df[t]++
			r, _ := utf8.DecodeRuneInString(w)
			switch {
			case unicode.IsDigit(r):
				numbers[t] = true
			case unicode.IsUpper(r) && k > 0:
				names[t] = true
			}
		}
	}
	lead := map[string]bool{}
	if len(d.terms) > 0 {
		for _, t := range d.terms[0] {
			lead[t] = true
		}
	}
	inTitle := map[string]bool{}
	for _, w := range Words(title) {
		if t := termOf(w); t != "" {
			inTitle[t] = true
		}
	}
	for t, n := range df {
		w := math.Sqrt(float64(n))
		if lead[t] {
			w *= leadTermBoost
		}
		if inTitle[t] {
			w *= titleTermBoost
		}
		if names[t] {
			w *= nameBoost
		}
		if numbers[t] {
			w *= numberBoost
		}
		d.weight[t] = w
	}
	d.resolveReferences()
	return d
}

// termOf is the key-term form of a word: lower case, possessive dropped,
// stemmed; "" for a stopword.
func termOf(w string) string {
	w = strings.ToLower(strings.Trim(w, "'’"))
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
	if w == "" || stopwords[w] {
		return ""
	}
	return Stem(w)
}

func (d *story) words(idx []int) int {
	n := 0
	for _, i := range idx {
		n += d.nwords[i]
	}
	return n
}

// standsAlone reports whether every chosen sentence's reference is resolved
// within the choice.
func (d *story) standsAlone(chosen []int) bool {
	in := map[int]bool{}
	for _, i := range chosen {
		in[i] = true
	}
	for _, i := range chosen {
		if dep := d.depends[i]; dep == cannotStand || dep >= 0 && !in[dep] {
			return false
		}
	}
	return true
}

// pick chooses sentences greedily within the budget.
func (d *story) pick(opt Options) string {
	n := len(d.sents)
	chosen := make([]bool, n)
	covered := map[string]bool{}
	var order []int
	words, chars := 0, -1
	fits := func(i int) bool {
		return words+d.nwords[i] <= opt.MaxWords && chars+1+utf8.RuneCountInString(d.sents[i]) <= opt.MaxChars
	}
	eligible := func(i int) bool {
		if chosen[i] || d.weak[i] || !fits(i) {
			return false
		}
		dep := d.depends[i]
		return dep == -1 || dep >= 0 && chosen[dep]
	}
	take := func(i int) {
		chosen[i] = true
		order = append(order, i)
		words += d.nwords[i]
		chars += 1 + utf8.RuneCountInString(d.sents[i])
		for _, t := range d.terms[i] {
			covered[t] = true
		}
	}
	// The lead: the first sentence that can be chosen at all opens the
	// summary when it fits.
	for i := 0; i < n && i < 3; i++ {
		if !d.weak[i] && d.depends[i] == -1 {
			if fits(i) {
				take(i)
			}
			break
		}
	}
	for len(order) < opt.Sentences {
		best, bestGain := -1, 0.0
		for i := 0; i < n; i++ {
			if !eligible(i) {
				continue
			}
			g := d.gain(i, covered)
			if g > bestGain {
				best, bestGain = i, g
			}
		}
		if best < 0 {
			break
		}
		take(best)
	}
	if len(order) == 0 {
		return d.fallback(opt)
	}
	sort.Ints(order)
	parts := make([]string, len(order))
	for k, i := range order {
		parts[k] = d.sents[i]
	}
	return strings.Join(parts, " ")
}

// gain is what sentence i adds to a summary that already covers covered.
func (d *story) gain(i int, covered map[string]bool) float64 {
	var g float64
	for _, t := range d.terms[i] {
		w := d.weight[t]
		if covered[t] {
			w *= coveredWeight
		}
		g += w
	}
	g /= 1 + float64(i)*positionDecay
	return g / math.Pow(float64(max(d.nwords[i], 1)), lengthExponent)
}

// fallback is the summary when no whole sentence fits the budget: the first
// usable sentence cut at a word boundary.
func (d *story) fallback(opt Options) string {
	for i, s := range d.sents {
		if !d.weak[i] && d.depends[i] != cannotStand {
			return truncateWords(s, opt.MaxWords, opt.MaxChars)
		}
	}
	return truncateWords(d.sents[0], opt.MaxWords, opt.MaxChars)
}

// truncateWords cuts s to at most maxWords words and maxChars characters,
// marking a cut with an ellipsis.
func truncateWords(s string, maxWords, maxChars int) string {
	if f := strings.Fields(s); len(f) > maxWords {
		head := strings.TrimRightFunc(strings.Join(f[:maxWords], " "), func(r rune) bool {
			return unicode.IsPunct(r) && r != ')' && r != '"'
		})
		s = head + ellipsis
	}
	return truncate(s, maxChars)
}

// orphanQuote reports whether s is a quotation standing alone, such as
// "“Russia must pay for every strike.”": lifted out of its paragraph it no
// longer says who is speaking.
func orphanQuote(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return (first == '"' || first == '“') && (last == '"' || last == '”') && strings.Count(s, string(first)) <= 2
}

// truncate cuts s to at most max characters at a word boundary and marks the
// cut with an ellipsis.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	keep := max - utf8.RuneCountInString(ellipsis)
	if keep <= 0 {
		return string(r[:max])
	}
	cut := keep
	// Back up to the last space at or before the cut, unless the cut falls
	// exactly on a word end.
	if !unicode.IsSpace(r[cut]) {
		for cut > 0 && !unicode.IsSpace(r[cut-1]) {
			cut--
		}
	}
	if cut == 0 {
		cut = keep // one enormous word: nothing better than a hard cut
	}
	head := strings.TrimRightFunc(string(r[:cut]), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != ')' && r != '"'
	})
	if head == "" {
		head = string(r[:keep])
	}
	return head + ellipsis
}

// Words splits s into words, case kept, for comparing texts. Numbers stay
// whole ("100,000" becomes "100000", "7.8" becomes "7d8") and dotted
// initialisms become one word ("U.S." becomes "US").
func Words(s string) []string {
	// One pass into a buffer with a space for every separator, then one
	// split: two allocations however many words.
	buf := make([]byte, 0, len(s))
	isDigit := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }
	isLetter := func(i int) bool {
		return i >= 0 && i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z')
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’':
			buf = append(buf, s[i:i+size]...)
		case r == ',' && isDigit(i-1) && isDigit(i+1) && isDigit(i+2) && isDigit(i+3) && !isDigit(i+4):
			// thousands separator: keep the number whole
		case r == '.' && isDigit(i-1) && isDigit(i+1):
			buf = append(buf, 'd') // decimal point, kept distinct from a full stop
		case r == '.' && isLetter(i-1) && !isLetter(i-2) && isLetter(i+1) && i+2 < len(s) && s[i+2] == '.':
			// inside an initialism such as "U.S."
		default:
			buf = append(buf, ' ')
		}
		i += size
	}
	return strings.Fields(string(buf))
}

// Stem strips common English inflections so that "troops" meets "troop" and
// "deployed" meets "deploy". It is deliberately light: over-stemming merges
// words that news keeps apart.
func Stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "sses"):
		return w[:n-2]
	case n > 5 && strings.HasSuffix(w, "ing"):
		return trimE(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ied"):
		return w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		return trimE(w[:n-2])
	case n > 3 && strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "ses"):
		return trimE(w[:n-1])
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return trimE(w[:n-1])
	}
	return trimE(w)
}

// trimE drops a final silent "e" so "invade", "invaded" and "invading" meet.
func trimE(w string) string {
	if len(w) > 3 && strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "ee") {
		return w[:len(w)-1]
	}
	// Doubled final consonant from "-ing"/"-ed": "shelling" → "shell" stays,
	// "planned" → "plann" → "plan".
	if n := len(w); n > 3 && w[n-1] == w[n-2] && strings.IndexByte("bdgmnprt", w[n-1]) >= 0 {
		return w[:n-1]
	}
	return w
}

// stopwords are function words and news verbs of attribution that say
// nothing about the event.
var stopwords = setOf(
	"a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
	"be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did",
	"do", "does", "doing", "down", "during", "each", "either", "few", "for", "from", "further", "had", "has",
	"have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
	"into", "is", "it", "its", "itself", "just", "may", "me", "might", "more", "most", "must", "my", "myself",
	"no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
	"out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
	"theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too",
	"under", "until", "up", "upon", "very", "was", "we", "were", "what", "when", "where", "which", "while",
	"who", "whom", "whose", "why", "will", "with", "within", "without", "would", "you", "your", "yours",
	"yourself", "yet", "amid", "amidst", "among", "across", "around", "via", "per", "since", "though",
	"although", "however", "whether", "according", "said", "says", "say", "saying", "told", "tell", "tells",
	"reported", "reports", "report", "reportedly", "stated", "added", "noted", "announced", "statement",
	"mr", "mrs", "ms", "dr", "new", "one", "two", "like", "many", "much", "well", "still", "even", "already",
	"ago", "last", "next", "yesterday", "today", "tonight", "monday", "tuesday", "wednesday", "thursday",
	"friday", "saturday", "sunday", "week", "weeks", "day", "days", "year", "years", "time", "s", "t", "will",
	"get", "got", "make", "made", "set", "take", "took", "went", "go", "going", "come", "came", "near", "least",
	"including", "include", "includes", "least", "several", "other", "another", "whose", "onto", "while",
)
