package geo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestTokenizeFoldsEachWordAsFoldTokenDoes checks the tokenizer's ASCII fast
// path against the plain per-rune fold: the trie is built with foldToken, so
// any difference in a word's fold or its hash would lose a name.
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
			want := string(foldToken(nil, words[i]))
			if !tk.foldsTo(s, fold, want) {
				t.Errorf("%q: token %q does not fold to %q", s, words[i], want)
			}
			if tk.foldsTo(s, fold, want+"x") || len(want) > 0 && tk.foldsTo(s, fold, want[:len(want)-1]) {
				t.Errorf("%q: token %q folds to a word longer or shorter than %q", s, words[i], want)
			}
			if got := tk.hash; got != foldHash(want) {
				t.Errorf("%q: token %q hashes to %#x, want foldHash(%q) = %#x", s, words[i], got, want, foldHash(want))
			}
			if ascii := isASCII(words[i]); ascii != (tk.fstart < 0) {
				t.Errorf("%q: token %q copied to the fold buffer = %v, want %v (only non-ASCII words are)", s, words[i], tk.fstart >= 0, !ascii)
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func BenchmarkTokenize(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "seed-story.txt"))
	if err != nil {
		b.Fatal(err)
	}
	text := string(raw)
	var toks []token
	var fold []byte
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		fold = fold[:0]
		toks = tokenize(text, toks[:0], &fold)
	}
}

// referenceWord is a word as the plain per-rune reading finds it.
type referenceWord struct {
	start, end int
	folded     string
	flags      uint8
}

// referenceTokenize reads s rune by rune, the obvious way, for the
// tokenizer's fast paths to be checked against.
func referenceTokenize(s string) []referenceWord {
	var out []referenceWord
	start := -1
	for i := 0; i <= len(s); {
		r, size := utf8.RuneError, 1
		if i < len(s) {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		word := i < len(s) && runeClass(r) != charNone
		if word && start < 0 {
			start = i
		}
		if !word && start >= 0 {
			w := s[start:i]
			out = append(out, referenceWord{start, i, string(foldToken(nil, w)), caseFlags(w)})
			start = -1
		}
		i += size
	}
	return out
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"NATO moves troops", "Türkiye, TÜRKIYE", "e\u0301tat", "\xff\xfeA", "Russia’s “war”", "ǅemal ﬁnance İstanbul", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var fold []byte
		got := tokenize(s, nil, &fold)
		want := referenceTokenize(s)
		if len(got) != len(want) {
			t.Fatalf("%q: %d tokens, want %d", s, len(got), len(want))
		}
		for i, w := range want {
			tk := got[i]
			if tk.start != w.start || tk.end != w.end || tk.flags != w.flags {
				t.Fatalf("%q: token %d = [%d,%d) flags %b, want [%d,%d) flags %b", s, i, tk.start, tk.end, tk.flags, w.start, w.end, w.flags)
			}
			if !tk.foldsTo(s, fold, w.folded) || tk.hash != foldHash(w.folded) {
				t.Fatalf("%q: token %q does not fold or hash as %q", s, s[tk.start:tk.end], w.folded)
			}
		}
	})
}
