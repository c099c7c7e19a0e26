// Package summary turns a story into the two or three sentences an alert
// shows: a sentence splitter that survives news prose, the choice between a
// feed's own description and the text, and a deterministic extractive
// summariser that opens with the lead and fills a word budget with the
// sentences covering most of the story's key terms, never one that leans on
// a sentence left out.
package summary

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unit is one sentence-like piece of a text, with what the splitter learnt
// about where it came from.
type unit struct {
	text string
	// heading is a line with no sentence-ending punctuation that stood on its
	// own (a section title); it is never a summary sentence.
	heading bool
	// bullet is a list item; it stays a candidate even without a full stop.
	bullet bool
}

// Split breaks text into sentences. Line breaks end sentences unless the next
// line plainly continues the previous one (starts in lower case); list
// bullets are removed; abbreviations ("U.S.", "Gen.", "Jan."), initials
// ("John F. Kennedy"), decimals and quoted sentences do not end a sentence
// early. Whitespace inside each sentence is collapsed.
func Split(text string) []string {
	units := splitUnits(text)
	out := make([]string, 0, len(units))
	for _, u := range units {
		out = append(out, u.text)
	}
	return out
}

// Lead returns the first n sentences of text as Split finds them, leaving
// out section headings (a short line with no full stop), which are not
// sentences of the story. A text of headings alone, such as a one-line
// description without a full stop, is its own lead.
func Lead(text string, n int) []string {
	units := splitUnits(text)
	var out []string
	for _, u := range units {
		if len(out) == n {
			break
		}
		if !u.heading {
			out = append(out, u.text)
		}
	}
	if len(out) == 0 {
		for _, u := range units[:min(n, len(units))] {
			out = append(out, u.text)
		}
	}
	return out
}

// splitUnits is Split keeping the heading and bullet marks.
func splitUnits(text string) []unit {
	var units []unit
	for _, b := range blocks(text) {
		for _, s := range splitBlock(b.text) {
			units = append(units, unit{text: s, bullet: b.bullet})
		}
		if b.bullet || len(units) == 0 {
			continue
		}
		last := &units[len(units)-1]
		if !endsSentence(last.text) && wordCount(last.text) <= maxHeadingWords {
			last.heading = true
		}
	}
	return units
}

// maxHeadingWords is the longest unpunctuated line still taken as a heading
// rather than a sentence whose full stop was lost; news section titles run
// three to ten words.
const maxHeadingWords = 14

// block is one logical line of text: a paragraph, a heading or a list item.
type block struct {
	text   string
	bullet bool
}

// bulletRE matches list markers at the start of a line: dashes, stars,
// bullets and "1." or "2)" numbering.
var bulletRE = regexp.MustCompile(`^(?:[-*•·▪►‣◦–—]|\d{1,2}[.)])\s+`)

// blocks joins lines that continue one another and separates the rest.
func blocks(text string) []block {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var out []block
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			if n := len(out); n > 0 && out[n-1].text != "" {
				out = append(out, block{}) // paragraph break: nothing joins across it
			}
			continue
		}
		bullet := false
		if m := bulletRE.FindString(line); m != "" && len(m) < len(line) {
			line = strings.TrimSpace(line[len(m):])
			bullet = true
		}
		n := len(out)
		if !bullet && n > 0 && out[n-1].text != "" && startsLower(line) && !endsSentence(out[n-1].text) {
			out[n-1].text += " " + line
			continue
		}
		out = append(out, block{text: line, bullet: bullet})
	}
	kept := out[:0]
	for _, b := range out {
		if b.text != "" {
			kept = append(kept, b)
		}
	}
	return kept
}

func startsLower(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLower(r)
}

// endsSentence reports whether s ends with sentence punctuation, allowing
// closing quotes and brackets after it.
func endsSentence(s string) bool {
	s = strings.TrimRightFunc(s, func(r rune) bool { return isCloser(r) || unicode.IsSpace(r) })
	r, _ := utf8.DecodeLastRuneInString(s)
	return isTerminator(r)
}

func wordCount(s string) int { return len(strings.Fields(s)) }

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', ')', ']', '}':
		return true
	}
	return false
}

func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '“', '‘', '«', '(', '[':
		return true
	}
	return false
}

// splitBlock splits one block (no line breaks left that matter) into
// sentences.
func splitBlock(text string) []string {
	words := strings.Fields(text)
	var out []string
	start := 0
	for i := 0; i < len(words)-1; i++ {
		if breaksAfter(words[i], words[i+1]) {
			out = append(out, strings.Join(words[start:i+1], " "))
			start = i + 1
		}
	}
	if start < len(words) {
		out = append(out, strings.Join(words[start:], " "))
	}
	return out
}

// breaksAfter decides whether a sentence ends after word, given the word that
// follows. Working on whitespace-separated words keeps decimals ("3.5"),
// URLs and dotted acronyms whole without special cases.
func breaksAfter(word, next string) bool {
	core := strings.TrimRightFunc(word, isCloser)
	last, _ := utf8.DecodeLastRuneInString(core)
	if !isTerminator(last) {
		return false
	}
	if !startsSentence(next) {
		return false
	}
	if last != '.' || strings.HasSuffix(core, "..") {
		return true // ?, !, … and "..." end a sentence when a capital follows
	}
	if core != word {
		return true // "fight." followed by a closing quote: the quote ends it
	}
	stem := strings.TrimSuffix(core, ".")
	stem = strings.TrimLeftFunc(stem, isOpener)
	lower := strings.ToLower(stem)
	if titleAbbrev[lower] {
		return false // "Gen. Smith", "Jan. 5", "No. 10", "e.g. Kyiv"
	}
	if isInitialism(stem) {
		// "U.S. Army" and "John F. Kennedy" continue; "to the U.S. The next
		// day" ends. Only a word that commonly opens a sentence breaks.
		return sentenceOpeners[strings.ToLower(strings.TrimLeftFunc(next, isOpener))]
	}
	return true
}

// startsSentence reports whether w can open a sentence: a capital letter or
// a digit, possibly behind an opening quote or bracket.
func startsSentence(w string) bool {
	w = strings.TrimLeftFunc(w, isOpener)
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || unicode.Is(unicode.Han, r)
}

// isInitialism reports whether s is a single letter or letters separated by
// dots: "F", "U.S", "U.K", "a.m".
func isInitialism(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if utf8.RuneCountInString(part) != 1 {
			return false
		}
		r, _ := utf8.DecodeRuneInString(part)
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// titleAbbrev lists abbreviations that are followed by more of the same
// sentence: titles and ranks, months, and Latin shorthands. Those that often
// end a sentence ("Inc.", "etc.") are deliberately absent.
var titleAbbrev = setOf(
	"mr", "mrs", "ms", "dr", "prof", "rev", "hon", "sen", "rep", "gov", "pres",
	"gen", "lt", "col", "maj", "capt", "cpt", "cmdr", "adm", "sgt", "cpl", "pvt", "brig", "lieut", "cdr", "fr", "st", "mt", "ft",
	"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
	"no", "nos", "nr", "vol", "art", "sec", "fig", "approx", "ca", "cf", "vs", "v", "e.g", "i.e", "viz", "al", "est",
)

// sentenceOpeners are words that commonly start a sentence; after an
// initialism such as "U.S." they signal that the sentence has ended.
var sentenceOpeners = setOf(
	"the", "a", "an", "it", "its", "he", "she", "they", "we", "i", "you", "this", "that", "these", "those",
	"there", "in", "on", "at", "but", "and", "however", "meanwhile", "earlier", "later", "officials",
	"his", "her", "their", "our", "as", "after", "before", "when", "while", "if", "some", "many", "no",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
