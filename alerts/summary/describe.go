package summary

import (
	"strings"
	"unicode/utf8"
)

// Story is what a summary can be made from.
type Story struct {
	Title string
	// Description is the feed's own summary of the item, plain text, when
	// the feed gave one besides the full text.
	Description string
	// Text is the story's full text (the feed's content or the article page).
	Text string
}

// ForStory is the summary an alert shows: the feed's description when it is
// a real summary of the story (see RealDescription), else the sentences
// Summarize picks from the text.
func ForStory(s Story, opt Options) string {
	opt = opt.withDefaults()
	opt.Title = s.Title
	if RealDescription(s, opt) {
		return Clean(s.Description)
	}
	if strings.TrimSpace(s.Text) == "" {
		return Summarize(s.Description, opt)
	}
	return Summarize(s.Text, opt)
}

// minDescriptionWords is the shortest description taken as a summary: a
// shorter one is a tagline ("Live updates", "Analysis") or a kicker.
const minDescriptionWords = 8

// RealDescription reports whether the feed's description can stand as the
// story's summary. Publishers' descriptions come in three kinds: an
// editor's standfirst written for the purpose (the best summary there is),
// the first paragraph copied or cut off by the CMS, and boilerplate. It is
// taken only when every test of the first kind holds:
//
//   - it has at least minDescriptionWords words and fits the budget
//     (opt.MaxWords, opt.MaxChars): longer, it is body text;
//   - it ends a sentence, and no "…", "..." or "[…]" shows it was cut;
//   - it is not boilerplate or furniture (what Clean removes leaves a real
//     sentence; no byline, stamp or call to action) and not the headline
//     again (most of its words in the title);
//   - it is not the text's own opening: when its words are the first words
//     of the text, the text's summary includes them and says more;
//   - read alone, it does not lean on a sentence it lacks ("He said…",
//     "According to Smith…").
func RealDescription(s Story, opt Options) bool {
	opt = opt.withDefaults()
	raw := strings.TrimSpace(s.Description)
	if raw == "" || truncated(raw) {
		return false
	}
	desc := Clean(raw)
	words := Words(desc)
	if len(words) < minDescriptionWords || len(words) > opt.MaxWords || utf8.RuneCountInString(desc) > opt.MaxChars {
		return false
	}
	if !endsSentence(desc) || isFurniture(desc) || len(Words(Clean(stripHeader(raw)))) < len(words) {
		return false
	}
	if mostlyIn(words, Words(s.Title), 0.8) {
		return false
	}
	if opensText(words, Words(stripHeader(s.Text))) {
		return false
	}
	d := analyse(Split(desc), s.Title)
	return d.standsAlone(allIndexes(len(d.sents)))
}

// truncated reports whether a description shows the marks of a cut.
func truncated(s string) bool {
	s = strings.TrimRight(s, " \t\n\r]")
	return strings.HasSuffix(s, "…") || strings.HasSuffix(s, "...") || strings.HasSuffix(s, "[…") ||
		strings.HasSuffix(s, "[...") || strings.HasSuffix(s, "&hellip;")
}

// mostlyIn reports whether at least share of words (case ignored) occur in
// other.
func mostlyIn(words, other []string, share float64) bool {
	set := make(map[string]bool, len(other))
	for _, w := range other {
		set[strings.ToLower(w)] = true
	}
	n := 0
	for _, w := range words {
		if set[strings.ToLower(w)] {
			n++
		}
	}
	return len(words) > 0 && float64(n) >= share*float64(len(words))
}

// opensText reports whether desc's words are the text's first words, a
// dateline or a word or two of difference allowed.
func opensText(desc, text []string) bool {
	if len(text) == 0 {
		return false
	}
	// Skip a dateline: find where the description's first word first
	// appears among the text's opening words.
	start := -1
	for i := 0; i < len(text) && i < 12; i++ {
		if strings.EqualFold(text[i], desc[0]) {
			start = i
			break
		}
	}
	if start < 0 {
		return false
	}
	text = text[start:]
	same := 0
	for i := 0; i < len(desc) && i < len(text); i++ {
		if strings.EqualFold(desc[i], text[i]) {
			same++
		}
	}
	return float64(same) >= 0.9*float64(len(desc))
}
