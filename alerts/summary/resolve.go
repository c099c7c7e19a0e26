package summary

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cannotStand marks a sentence whose reference nothing in the story
// resolves ("According to Smith" where no Smith is ever introduced).
const cannotStand = -2

// A sentence needs an antecedent when, read alone in an alert, a reader
// could not tell who or what it is about. resolveReferences records for each
// candidate the sentence it leans on:
//
//   - it opens with a pronoun, a demonstrative or a connective that points
//     back ("He", "They", "This", "However,", "But", "Meanwhile,", "He
//     added"): it leans on the sentence before it;
//   - it names a person by surname alone ("Smith said", "according to
//     Smith", "Mr Smith") and the story introduced the full name earlier: it
//     leans on the sentence that did, unless the title names them;
//   - it attributes to a single capitalised name that the story never
//     introduces and that is not a news agency ("According to Smith"): it
//     cannot stand at all.
//
// Selection takes such a sentence only together with the one it leans on,
// so a summary never opens a thought halfway.
func (d *story) resolveReferences() {
	intro := d.introductions()
	titleWords := map[string]bool{}
	for _, w := range strings.Fields(d.title) {
		titleWords[strings.Trim(w, `"'“”‘’,.:;!?()`)] = true
	}
	for i, s := range d.sents {
		d.depends[i] = -1
		if leansBack(s) {
			// The opening sentence has nothing before it to lean on.
			d.depends[i] = i - 1
			if i == 0 {
				d.depends[i] = cannotStand
			}
			continue
		}
		for _, name := range surnameReferences(s) {
			if titleWords[name] {
				continue
			}
			j, ok := intro[name]
			switch {
			case introducesHere(s, name), agencies[name], isAcronym(name):
			case ok && j < i:
				if d.depends[i] == -1 || j > d.depends[i] {
					d.depends[i] = j
				}
			case ok: // the full name comes only later: read here, it is a stranger
				d.depends[i] = cannotStand
			default:
				if attributes(s, name) {
					d.depends[i] = cannotStand
				}
			}
			if d.depends[i] == cannotStand {
				break
			}
		}
	}
}

// introductions maps each surname to the first sentence that gives the full
// name ("Julianne Smith", "Gen. Mark Milley", "President Putin").
func (d *story) introductions() map[string]int {
	out := map[string]int{}
	for i, s := range d.sents {
		for _, run := range nameRunRE.FindAllString(s, -1) {
			words := strings.Fields(run)
			last := words[len(words)-1]
			if _, ok := out[last]; ok || stopCapitals[last] {
				continue
			}
			if introducing(words[:len(words)-1]) {
				out[last] = i
			}
		}
	}
	return out
}

// nameRunRE finds runs of capitalised words, initials and ranks allowed
// inside: "Prime Minister Benjamin Netanyahu", "Lt. Gen. James L. Terry".
var nameRunRE = regexp.MustCompile(`[A-Z][a-z]+\.?(?:\s+(?:[A-Z]\.\s+)*[A-Z][a-z]+(?:-[A-Z][a-z]+)?\.?)+`)

// introducing reports whether the words before a surname introduce the
// person: a given name, or a title or rank such as "President". "Mr Smith"
// and "The Smith report" do not.
func introducing(before []string) bool {
	for _, w := range before {
		w = strings.TrimSuffix(w, ".")
		switch {
		case honorifics[w]:
		case ranks[w]:
			return true
		case !stopCapitals[w]:
			return true
		}
	}
	return false
}

// honorifics go before a surname already introduced.
var honorifics = setOf("Mr", "Mrs", "Ms", "Miss", "Dr", "Prof")

// ranks are titles that introduce whoever holds them.
var ranks = setOf("President", "Prime", "Minister", "General", "Gen", "Secretary", "Chancellor", "Sir", "Lord",
	"Lady", "King", "Queen", "Prince", "Princess", "Pope", "Senator", "Sen", "Governor", "Gov", "Mayor", "Judge",
	"Chief", "Col", "Lt", "Sgt", "Capt", "Cpt", "Maj", "Adm", "Admiral", "Commander", "Rep", "Ambassador", "Director",
	"Inspector", "Detective", "Officer", "Coach", "Manager", "Captain", "Colonel", "Lieutenant", "Sergeant")

// stopCapitals are capitalised words that open a sentence or a title, not a
// given name: "The Smith report" introduces no one.
var stopCapitals = setOf("The", "A", "An", "In", "On", "At", "But", "And", "As", "After", "When", "If", "For", "With",
	"By", "From", "To", "Of", "This", "That", "These", "Those", "It", "He", "She", "They", "We", "His", "Her", "Their",
	"President", "Prime", "Minister", "General", "Gen", "Secretary", "Chancellor", "Mr", "Mrs", "Ms", "Dr", "Sir",
	"Lord", "Lady", "King", "Queen", "Prince", "Princess", "Pope", "Senator", "Governor", "Mayor", "Judge", "Chief",
	"North", "South", "East", "West", "New", "Saint", "St", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September",
	"October", "November", "December", "According")

// introducesHere reports whether s itself introduces name: with a given
// name or a title before it.
func introducesHere(s, name string) bool {
	for _, run := range nameRunRE.FindAllString(s, -1) {
		words := strings.Fields(run)
		if words[len(words)-1] == name && introducing(words[:len(words)-1]) {
			return true
		}
	}
	return false
}

// surnameRE finds a lone capitalised name used as a person's: with an
// honorific, after "according to", or as the subject or object of a verb of
// saying.
var surnameRE = []*regexp.Regexp{
	regexp.MustCompile(`\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+(` + nameWord + `)\b`),
	regexp.MustCompile(`(?i:according to)\s+(` + nameWord + `)\b(?:\s*[,.;]|\s+(?:the|this|these|his|her|it|they|there)\b)`),
	regexp.MustCompile(`(?:^|[,;]\s+|\bbut\s+)(` + nameWord + `)\s+(?:said|says|added|told|explained|noted|argued|insisted|warned|claimed|stressed|wrote)\b`),
	regexp.MustCompile(`\b(?:said|says|added|told reporters|explained|wrote)\s+(` + nameWord + `)\s*[,.]`),
}

// nameWord is one capitalised word of a name, hyphenated parts allowed.
const nameWord = `[A-Z][a-z]+(?:-[A-Z][a-z]+)?`

// surnameHints are what a sentence must contain for each of surnameRE to
// be worth running: most sentences attribute nothing.
var surnameHints = [][]string{
	{"Mr", "Ms", "Miss", "Dr", "Prof"},
	{"ccording to"},
	{" said", " says", " added", " told", " explained", " noted", " argued", " insisted", " warned", " claimed", " stressed", " wrote"},
	{"said ", "says ", "added ", "told reporters ", "explained ", "wrote "},
}

// surnameReferences are the lone names s uses as a person's.
func surnameReferences(s string) []string {
	var out []string
	for k, re := range surnameRE {
		if !containsAny(s, surnameHints[k]) {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			name := m[1]
			if !stopCapitals[name] && !ranks[name] && !titleAbbrev[strings.ToLower(name)] && !pronounLike[strings.ToLower(name)] {
				out = append(out, name)
			}
		}
	}
	return out
}

// attributes reports whether s attributes a statement to name: "according
// to Smith" or "Smith said" without any other introduction.
func attributes(s, name string) bool {
	return strings.Contains(s, "ccording to "+name) ||
		strings.Contains(s, name+" said") || strings.Contains(s, "said "+name) ||
		strings.Contains(s, name+" added") || strings.Contains(s, name+" told")
}

// agencies are single-word sources that need no introduction.
var agencies = setOf("Reuters", "AFP", "AP", "Bloomberg", "Interfax", "TASS", "Tass", "Xinhua", "Yonhap", "Kyodo",
	"Anadolu", "Ukrinform", "RIA", "Officials", "Police", "Witnesses", "Pentagon", "Kremlin", "NATO", "CNN", "BBC",
	"Moscow", "Kyiv", "Kiev", "Washington", "Beijing", "London", "Paris", "Berlin", "Brussels", "Tehran", "Jerusalem",
	"Ankara", "Tokyo", "Seoul", "Pyongyang", "Taipei", "Delhi", "Islamabad", "Kabul", "Baghdad", "Damascus", "Cairo",
	"Riyadh", "Doha", "Minsk", "Warsaw", "Vilnius", "Riga", "Tallinn", "Helsinki", "Stockholm", "Oslo", "Rome",
	"Madrid", "Ottawa", "Canberra", "Israel", "Russia", "Ukraine", "China", "Iran", "Turkey", "Germany", "France",
	"Britain", "Japan", "India", "Pakistan", "Syria", "Iraq", "Egypt", "Poland", "Belarus", "Taiwan", "Microsoft",
	"Google", "Apple", "Amazon", "Meta", "Twitter", "Facebook", "Wikipedia", "Wikinews", "Hamas", "Hezbollah",
	"Houthis", "Taliban", "Congress", "Parliament", "Downing")

func isAcronym(s string) bool {
	if utf8.RuneCountInString(s) < 2 {
		return false
	}
	for _, r := range s {
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// pronounLike are words that the surname patterns would otherwise catch at
// the start of a sentence.
var pronounLike = setOf("he", "she", "they", "it", "we", "i", "you", "this", "that", "officials", "police")

// leansBack reports whether s opens with a word that points at the sentence
// before it.
func leansBack(s string) bool {
	s = strings.TrimLeftFunc(s, func(r rune) bool { return isOpener(r) || unicode.IsSpace(r) })
	words := strings.Fields(s)
	if len(words) == 0 {
		return false
	}
	first := strings.ToLower(strings.TrimRight(words[0], ",;:"))
	if k := strings.IndexAny(first, "'’"); k > 0 {
		first = first[:k] // "he's", "they're"
	}
	if selfContained.MatchString(s) {
		return false
	}
	if backPointers[first] {
		return true
	}
	if len(words) > 1 {
		two := first + " " + strings.ToLower(strings.TrimRight(words[1], ",;:"))
		if backPhrases[two] {
			return true
		}
	}
	return false
}

// selfContained matches openings that look like back-references but are
// not: "This is the moment…", "It is not clear whether…".
var selfContained = regexp.MustCompile(`^(?i:(?:this|that) (?:is|was) the (?:moment|scene|shocking|first|latest)\b|these are the\b|it (?:is|was|has been|had been) (?:not |now |still )?(?:clear|unclear|understood|believed|thought|expected|likely|unlikely|possible|feared|hoped|reported|estimated|alleged|claimed|the first|the latest)\b|it's (?:not )?(?:clear|unclear)\b)`)

// backPointers open a sentence that continues the one before: pronouns,
// demonstratives and connectives.
var backPointers = setOf(
	"he", "she", "they", "it", "its", "his", "her", "their", "them", "him", "this", "these", "those", "that", "such",
	"however", "but", "and", "or", "so", "also", "meanwhile", "moreover", "furthermore", "nevertheless",
	"nonetheless", "yet", "instead", "otherwise", "thus", "therefore", "hence", "consequently", "besides",
	"likewise", "similarly", "then", "both", "neither", "another", "others", "latter", "former", "indeed",
	"additionally", "alternatively",
)

// backPhrases are two-word openings with the same effect.
var backPhrases = setOf(
	"in addition", "by contrast", "in contrast", "as such", "the two", "the latter", "the former", "the same",
	"the move", "the decision", "the incident", "the comments", "the remarks", "the pair", "the couple",
	"after that", "one of", "some of", "many of", "most of", "all of", "none of", "each of", "of these",
	"of those", "even so", "despite this", "despite that", "on the other", "that is",
)

// Unresolved returns the sentences of summary that lean on something the
// reader of the summary alone does not have: a sentence opening with a
// pronoun or connective whose source sentence's predecessor is not the
// summary sentence before it; a surname whose full name appears neither
// earlier in the summary nor in title; an attribution to a name the story
// never introduces. text is the story the summary was made from. Tests use
// it to hold summaries to the rule selection follows.
func Unresolved(summary, title, text string) []string {
	source := candidates(text)
	for i, c := range source {
		source[i] = compress(c)
	}
	intro := (&story{sents: source}).introductions()
	indexOf := func(s string) int {
		for i, c := range source {
			if c == s {
				return i
			}
		}
		return -1
	}
	var bad []string
	prev := -1
	said := title
	for k, s := range Split(summary) {
		i := indexOf(s)
		switch {
		case leansBack(s) && (k == 0 || i < 0 || prev != i-1):
			bad = append(bad, s)
		default:
			for _, name := range surnameReferences(s) {
				if strings.Contains(said, name) || introducesHere(s, name) || agencies[name] || isAcronym(name) {
					continue
				}
				if _, introduced := intro[name]; introduced || attributes(s, name) {
					bad = append(bad, s)
					break
				}
			}
		}
		said += " " + s
		prev = i
	}
	return bad
}
