package summary

import (
	"regexp"
	"strings"
)

// Clean tidies a feed's short description for display: whitespace
// collapsed, a leading dateline ("KYIV (Reuters) -") or date stamp removed,
// and the boilerplate feeds append ("Read more…", "Continue reading", "The
// post X appeared first on Y.") dropped.
func Clean(text string) string {
	text = stripBoilerplate(text)
	text = strings.Join(strings.Fields(text), " ")
	return stripLead(text)
}

// boilerplate lists the trailers that feed software and publishers add to
// descriptions, each with a word that must appear for the pattern to be
// worth running (the patterns backtrack; most lines have none of these).
// Each is anchored to the end of a line: the same words in the middle of
// prose are left alone.
var boilerplate = []struct {
	hints []string // lower case; the pattern runs when any is present
	re    *regexp.Regexp
}{
	// WordPress: "The post <title> appeared first on <site>."
	{[]string{"appeared first on"}, regexp.MustCompile(`(?is)\s*the post\s.{1,400}?\sappeared first on\s.{1,200}?$`)},
	{[]string{"read", "see", "view"}, regexp.MustCompile(`(?i)\s*[\[(]?\s*(?:read|see|view) (?:the )?(?:more|full (?:story|article)|article|story)(?:\s*(?:here|at|on)\b[^\n]{0,80})?\s*(?:\.{3}|…|»|›|→|>>|:)?\s*[\])]?\s*$`)},
	{[]string{"continue reading"}, regexp.MustCompile(`(?i)\s*[\[(]?\s*continue reading(?:\s+(?:the )?(?:story|article|on|at)\b[^\n]{0,80})?\s*(?:\.{3}|…|»|›|→|>>)?\s*[\])]?\s*$`)},
	{[]string{"click here", "tap here"}, regexp.MustCompile(`(?i)\s*[\[(]?\s*(?:click|tap) here (?:to|for) (?:read|more|the full)[^\n]{0,60}$`)},
	{[]string{"[", "("}, regexp.MustCompile(`\s*[\[(](?:\.{3}|…|more(?:\.{3}|…)?)[\])]\s*$`)},
}

// stripBoilerplate removes feed trailers from the end of each line, keeping
// the line structure for the splitter.
func stripBoilerplate(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, line := range lines {
		for changed := true; changed; {
			changed = false
			lower := strings.ToLower(line)
			for _, b := range boilerplate {
				if !containsAny(lower, b.hints) {
					continue
				}
				if loc := b.re.FindStringIndex(line); loc != nil {
					line = line[:loc[0]]
					changed = true
					break
				}
			}
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// datelineRE matches a news dateline at the very start of a story: a city in
// capitals, optionally a state or date after commas, optionally the agency in
// brackets, then a dash. "KYIV (Reuters) -", "WASHINGTON, Jan. 5 (AP) —",
// "SAN FRANCISCO, Calif. —", "(Reuters) -".
var datelineRE = regexp.MustCompile(
	`^(?:[A-Z][A-Z'’.\-]+(?:\s+[A-Z][A-Z'’.\-]+){0,3}(?:,\s*[A-Z][A-Za-z.]*(?:\s+\d{1,2})?(?:,\s*\d{4})?){0,2}\s*(?:\([A-Za-z][\w .&/-]{0,30}\))?|\([A-Za-z][\w .&/-]{0,30}\))\s*(?:-{1,2}|–|—|:)\s+`)

// dateStampRE matches the date stamps some feeds and scrapers put before the
// text: "date 2024-03-23", "Published: 2024-03-23T10:00Z", "Updated 5 Jan 2024".
var dateStampRE = regexp.MustCompile(
	`^(?i:date|dated|published|posted|updated|last updated)\s*:?\s*(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}\s+[A-Za-z]{3,9}\.?\s+\d{4})\s*(?:[-–—|:]\s*)?`)

// agencyLeadRE matches an outlet's tag glued to the first word, as CNN and
// the wires print it: "(CNN)On Monday", "Madison, Wisconsin (CNN)Friends".
var agencyLeadRE = regexp.MustCompile(
	`^(?:[A-Z][\w.'’\-]*(?:,?\s+[A-Z][\w.'’\-]*){0,4}\s*)?\((?:CNN|Reuters|AP|AFP|UPI|dpa|Bloomberg|EW\.com)[^)]{0,20}\)\s*(?:-{1,2}\s*|–\s*|—\s*)?`)

// stripLead removes a date stamp and a dateline from the start of a story's
// first sentence. The dateline only counts when what follows still reads as
// a sentence, so a text that is all capitals is left alone.
func stripLead(s string) string {
	s = strings.TrimSpace(s)
	if loc := agencyLeadRE.FindStringIndex(s); loc != nil && loc[1] < len(s) {
		return s[loc[1]:]
	}
	if loc := dateStampRE.FindStringIndex(s); loc != nil && loc[1] < len(s) {
		s = s[loc[1]:]
	}
	if loc := datelineRE.FindStringIndex(s); loc != nil && loc[1] < len(s) && hasDatelineShape(s[:loc[1]]) {
		s = s[loc[1]:]
	}
	return s
}

// hasDatelineShape guards the dateline pattern against a sentence that merely
// starts with an acronym and a dash ("NATO — the alliance said"): it needs an
// agency in brackets, a comma (city, state or date) or a city-length word.
func hasDatelineShape(d string) bool {
	if strings.Contains(d, "(") || strings.Contains(d, ",") {
		return true
	}
	fields := strings.Fields(d)
	if len(fields) > 2 {
		return true
	}
	return len(fields) == 2 && len(fields[0]) >= 5 && !acronyms[fields[0]]
}

// acronyms are all-capital organisation names that open sentences in
// security news and would otherwise pass for a city in a dateline.
var acronyms = setOf("NATO", "UNICEF", "OPEC", "ASEAN", "INTERPOL", "EUROPOL", "FEMA", "CISA", "NASA", "UNHCR", "UNESCO", "IAEA", "OSCE", "ECOWAS")

// IsStopword reports whether w (lower case) is a function word or a verb of
// attribution that says nothing about a story's event. Clustering shares the
// list so that summaries and duplicate detection agree on what is content.
func IsStopword(w string) bool { return stopwords[w] }

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// furnitureRE matches a sentence that is page furniture rather than story:
// a byline, a publishing stamp, a caption, a call to action.
var furnitureRE = regexp.MustCompile(`(?i)^(?:by\s+\S+(?:\s+\S+){0,4}\s*\.?$|by\s*\.|published:|updated:|last updated\b|\|\s*\.|scroll down\b|click here\b|read more\b|follow\s+@|share this\b|sign up\b|subscribe\b|advertisement$|(?:photo|picture|pictured|image|video|caption|credit|watch)\s*:)`)

// furnitureAnywhere are phrases that mark furniture wherever they stand.
var furnitureAnywhere = []string{"all rights reserved", "copyright ©", "copyright 19", "copyright 20"}

// captionRE matches a photo caption's label: one or two words and a colon
// opening a sentence ("Retread: David Cameron with Samantha yesterday.").
var captionRE = regexp.MustCompile(`^[A-Z][\w'’\-]*(?:\s+[\w'’\-]+)?:\s+\S`)

// timeStampRE matches a clock time with a zone, as publishing stamps print
// it: "14:11 EST, 25 October 2013".
var timeStampRE = regexp.MustCompile(`\b\d{1,2}:\d{2}\s*(?:[AaPp]\.?[Mm]\.?\s*)?(?:EST|EDT|GMT|BST|UTC|CET|CEST|PST|PDT)\b`)

// captionMarkRE matches the marks a caption leaves inside a sentence of
// text: "Bishop John Folda (pictured) of…", "Smith (left) and Jones".
var captionMarkRE = regexp.MustCompile(`\s*\((?:pictured|left|right|centre|center|above|below|top|bottom|inset|file photo|second (?:left|right))\b[^)]{0,40}\)`)

// isFurniture reports whether a candidate sentence is a byline, a stamp, a
// caption or a call to action, none of which belongs in a summary.
func isFurniture(s string) bool {
	if furnitureRE.MatchString(s) || containsAny(strings.ToLower(s), furnitureAnywhere) {
		return true
	}
	colon := strings.IndexByte(s, ':')
	if colon < 0 {
		return false
	}
	return timeStampRE.MatchString(s) || captionRE.MatchString(s) && !strings.Contains(s[:colon], " said")
}

// headerRE matches a byline or a publishing stamp at the start of a text, as
// pages and scrapers leave them: "By . Associated Press . ", "By Jane Smith
// | ", "PUBLISHED: . 14:11 EST, 25 October 2013 . | . ", "Last updated at
// 5:07 PM on 16th November 2011 . ".
var headerRE = regexp.MustCompile(`^\s*(?:` +
	`By\s*\.?\s+[^.|\n]{1,80}?\s*(?:\.|\|)\s+` +
	`|(?i:published|updated|last updated)(?:\s+at)?\s*:?\s*\.?\s*[^|.\n]{0,60}?\d{4}\s*\.?\s*(?:\|\s*\.?\s*)?` +
	`|\|\s*\.?\s+` +
	`)`)

// stripHeader removes bylines and publishing stamps from the start of text.
func stripHeader(text string) string {
	for i := 0; i < 8; i++ {
		loc := headerRE.FindStringIndex(text)
		if loc == nil || loc[1] == 0 || loc[1] >= len(text) {
			break
		}
		text = text[loc[1]:]
	}
	return text
}
