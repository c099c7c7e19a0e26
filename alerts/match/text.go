package match

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text normalisation shared by queries and stories. Whatever is done to a
// story's words is done, by the same code, to a query's words, so the two
// always meet: lower case, diacritics folded, possessive "'s" dropped, and
// a conservative English plural reduced to its singular.

// scanWord finds the next word of s at or after byte i. A word is a run of
// Unicode letters, digits and combining marks; everything else (spaces,
// punctuation, hyphens, apostrophes) separates words. A possessive "'s"
// ending a word is skipped, so "NATO's" reads as "NATO". It returns the
// word's bounds and where to continue; start == end == len(s) at the end.
func scanWord(s string, i int) (start, end, next int) {
	for i < len(s) {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if isWordRune(r) {
			break
		}
		i += n
	}
	start = i
	for i < len(s) {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if !isWordRune(r) {
			break
		}
		i += n
	}
	end = i
	if end > start {
		if skip := possessiveLen(s, end); skip > 0 {
			return start, end, end + skip
		}
	}
	return start, end, end
}

// possessiveLen reports the length of an apostrophe and "s" at s[i:] that
// end a word (a possessive or a contracted "is"), or 0.
func possessiveLen(s string, i int) int {
	r, n := utf8.DecodeRuneInString(s[i:])
	if !isApostrophe(r) || i+n >= len(s) {
		return 0
	}
	if c := s[i+n]; c != 's' && c != 'S' {
		return 0
	}
	after := i + n + 1
	if after < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[after:]); isWordRune(r) {
			return 0
		}
	}
	return n + 1
}

func isApostrophe(r rune) bool {
	// ASCII, right single quotation mark, modifier letter apostrophe.
	return r == '\'' || r == '\u2019' || r == '\u02bc'
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	// U+02BC is a letter to Unicode but an apostrophe in practice.
	return r != '\u02bc' && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
}

// foldWord appends to dst the word in lower case with diacritics removed
// ("Türkiye" → "turkiye", "Łódź" → "lodz") and combining marks dropped.
func foldWord(dst []byte, w string) []byte {
	for i := 0; i < len(w); {
		c := w[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(w[i:])
		i += n
		if f, ok := foldRune(r); ok {
			dst = append(dst, f...)
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// foldRune returns the ASCII folding of a Latin letter with diacritics.
func foldRune(r rune) (string, bool) {
	switch {
	case r < latinFoldEnd:
		f := latinFold[r]
		return f, f != ""
	case 0x1E00 <= r && r <= 0x1EFF:
		f := latinExtAdditionalFold[r-0x1E00]
		return f, f != ""
	}
	return "", false
}

// latinFoldEnd bounds the Latin-1 Supplement and Latin Extended-A/B blocks,
// where nearly all place and personal names in Latin script take their
// diacritics from.
const latinFoldEnd = 0x250

var (
	latinFold              [latinFoldEnd]string
	latinExtAdditionalFold [0x100]string // Vietnamese and others: U+1E00–U+1EFF
)

func init() {
	fill := func(table []string, base rune) {
		for i := range table {
			r := base + rune(i)
			if r < 0xC0 {
				continue
			}
			var folded []byte
			for _, d := range norm.NFD.String(string(r)) {
				if unicode.Is(unicode.Mn, d) {
					continue
				}
				folded = utf8.AppendRune(folded, unicode.ToLower(d))
			}
			if len(folded) > 0 && folded[0] < utf8.RuneSelf && string(folded) != string(r) {
				table[i] = string(folded)
			}
		}
	}
	fill(latinFold[:], 0)
	fill(latinExtAdditionalFold[:], 0x1E00)
	// Letters with no canonical decomposition.
	for r, f := range map[rune]string{
		'ß': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
		'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
		'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i", 'ħ': "h", 'Ħ': "h",
	} {
		latinFold[r] = f
	}
	latinExtAdditionalFold['ẞ'-0x1E00] = "ss"
}

// minStemLen keeps short words whole: "us", "is", "gas", "bus", "its" and
// "yes" are not plurals, and no three-letter English plural is worth the
// risk of conflating them.
const minStemLen = 4

// stemPlural reduces an English plural to its singular, conservatively.
// It is applied identically to query and story words, so a rule only has
// to send a plural and its singular to the same form; where it cannot tell
// ("crisis", "news", "Hamas") it leaves the word alone. b is a folded
// word; the result is at its start, in its storage, never longer.
func stemPlural(b []byte) []byte {
	n := len(b)
	if n == 0 || b[n-1] != 's' {
		return b
	}
	// "1990s", "F-16s": digits then "s".
	if n >= 2 && isASCIIDigits(b[:n-1]) {
		return b[:n-1]
	}
	if n < minStemLen {
		return b
	}
	if r, ok := pluralExceptions[string(b)]; ok {
		if r == "" {
			return b
		}
		return append(b[:0], r...)
	}
	if !isASCIILetters(b) {
		// Non-Latin scripts and mixed tokens: English rules do not apply.
		return b
	}
	switch {
	case hasSuffix(b, "ss"), hasSuffix(b, "us"), hasSuffix(b, "sis"),
		hasSuffix(b, "xis"), hasSuffix(b, "polis"):
		// "press", "virus", "Belarus", "crisis", "axis", "Minneapolis":
		// not plurals. Other words in "-is" mostly are ("Houthis",
		// "Israelis", "Sunnis"); the exceptions list keeps the rest.
		return b
	}
	switch {
	case n >= 5 && hasSuffix(b, "ies"):
		// "countries" → "country", "allies" → "ally"; "ties", "lies" fall
		// through to the plain rule below by the length check.
		b = append(b[:n-3], 'y')
		return b
	case hasSuffix(b, "sses"), hasSuffix(b, "shes"), hasSuffix(b, "ches"),
		hasSuffix(b, "xes"), hasSuffix(b, "zzes"):
		// "witnesses", "clashes", "breaches", "taxes", "buzzes".
		return b[:n-2]
	}
	return b[:n-1]
}

// pluralExceptions maps words the suffix rules would get wrong: to "" when
// the word must stay as it is, else to its singular.
var pluralExceptions = map[string]string{
	// Not plurals, or a different word once reduced ("Hamas" is not the
	// plural of the Syrian city of Hama, nor "ISIS" of Pakistan's ISI).
	"news": "", "series": "", "species": "", "means": "", "always": "",
	"perhaps": "", "whereas": "", "chaos": "", "hamas": "", "abbas": "",
	"vegas": "", "isis": "", "paris": "", "tunis": "", "this": "",
	"tennis": "", "chassis": "", "iris": "", "bias": "", "alias": "",
	"canvas": "", "lens": "", "measles": "", "physics": "",
	// Plurals the suffix rules get wrong.
	"caches": "cache", "niches": "niche", "headaches": "headache",
	"avalanches": "avalanche", "moustaches": "moustache", "gases": "gas",
	"buses": "bus", "heroes": "hero", "vetoes": "veto", "embargoes": "embargo",
	"torpedoes": "torpedo", "volcanoes": "volcano", "echoes": "echo",
	"tomatoes": "tomato", "potatoes": "potato", "mosquitoes": "mosquito",
	"analyses": "analysis", "theses": "thesis", "crises": "crisis",
	"diagnoses": "diagnosis", "oases": "oasis", "axes": "axis",
	"movies": "movie", "cookies": "cookie", "zombies": "zombie",
	"wolves": "wolf", "knives": "knife", "lives": "life", "wives": "wife",
	"thieves": "thief", "halves": "half", "shelves": "shelf",
}

func hasSuffix(b []byte, suffix string) bool {
	return len(b) >= len(suffix) && string(b[len(b)-len(suffix):]) == suffix
}

func isASCIIDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func isASCIILetters(b []byte) bool {
	for _, c := range b {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// normalizeWord returns the form a word is indexed and looked up under,
// and its folded surface form (for display). It allocates; the matching
// hot path uses foldWord and stemPlural on a reused buffer instead.
func normalizeWord(w string) (key, surface string) {
	folded := foldWord(nil, w)
	surface = string(folded)
	return string(stemPlural(folded)), surface
}

// splitWords returns the normalised words of s and their surface forms.
func splitWords(s string) (keys, surfaces []string) {
	for i := 0; ; {
		start, end, next := scanWord(s, i)
		if start == end {
			return keys, surfaces
		}
		i = next
		k, f := normalizeWord(s[start:end])
		if k == "" {
			continue // only combining marks: nothing left once folded
		}
		keys = append(keys, k)
		surfaces = append(surfaces, f)
	}
}
