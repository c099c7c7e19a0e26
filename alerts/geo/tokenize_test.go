package geo

import (
	"strings"
	"testing"
	"unicode"
)

// TestTokenizeFoldsEachWordAsFoldTokenDoes checks the tokenizer's ASCII fast
// path against the plain per-rune fold: the trie is built with foldToken, so
// any difference would lose a name.
func TestTokenizeFoldsEachWordAsFoldTokenDoes(t *testing.T) {
	tests := []string{
		"NATO moves troops to the Baltic states",
		"Türkiye, TÜRKIYE and Turkiye",
		"Côte d'Ivoire's São Tomé; ÅLAND Åland",
		"U.S.-led talks in Kyiv—and in Kraków.",
		"Greek-owned tanker off HODEIDAH, 60nm west",
		"",
		"   ",
		"x",
		"İstanbul ǅemal ﬁnance",
		"e\u0301tat Ukraine\u0301",
	}
	for _, s := range tests {
		var fold []byte
		toks := tokenize(s, nil, &fold)
		var words []string
		for _, w := range strings.FieldsFunc(s, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
		}) {
			words = append(words, w)
		}
		if len(toks) != len(words) {
			t.Errorf("%q: %d tokens, want %d (%q)", s, len(toks), len(words), words)
			continue
		}
		for i, tk := range toks {
			if got := s[tk.start:tk.end]; got != words[i] {
				t.Errorf("%q: token %d = %q, want %q", s, i, got, words[i])
			}
			if got, want := string(fold[tk.fstart:tk.fend]), string(foldToken(nil, words[i])); got != want {
				t.Errorf("%q: token %q folds to %q, want %q", s, words[i], got, want)
			}
			if got, want := tk.flags, caseFlags(words[i]); got != want {
				t.Errorf("%q: token %q has flags %b, want %b", s, words[i], got, want)
			}
		}
	}
}

func caseFlags(word string) uint8 {
	var f uint8
	for i, r := range word {
		switch {
		case unicode.IsUpper(r):
			f |= hasUpper
			if i == 0 {
				f |= firstUpper
			}
		case unicode.IsLower(r):
			f |= hasLower
		}
	}
	return f
}
