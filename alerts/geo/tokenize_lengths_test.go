package geo

import (
	"strings"
	"testing"
)

// TestTokenizeReadsWordsOfEveryLengthAsTheReferenceDoes checks the
// tokenizer's ASCII paths (eight bytes at a time, up to sixteen without a
// loop, longer in asciiWord) at each word length, case mix and follower,
// and at every distance from the end of the text, where eight bytes can no
// longer be read at once.
func TestTokenizeReadsWordsOfEveryLengthAsTheReferenceDoes(t *testing.T) {
	letters := "abcdefghijklmnopqrstuvwxyz0123"
	var words []string
	for n := 1; n <= len(letters); n++ {
		w := letters[:n]
		words = append(words, w, strings.ToUpper(w), strings.ToUpper(w[:1])+w[1:], w[:n-1]+strings.ToUpper(w[n-1:]))
	}
	followers := []string{"", " ", ", x", "’s", "é", "\u00a0next", "\xff", "-owned"}
	for _, w := range words {
		for _, f := range followers {
			for _, pad := range []string{"", "x ", strings.Repeat("y ", 9)} {
				for _, tail := range []string{"", " tail words", strings.Repeat(" z", 12)} {
					s := pad + w + f + tail
					checkTokenizeMatchesReference(t, s)
				}
			}
		}
	}
}

func checkTokenizeMatchesReference(t *testing.T, s string) {
	t.Helper()
	var fold []byte
	got := tokenize(s, nil, &fold)
	want := referenceTokenize(s)
	if len(got) != len(want) {
		t.Errorf("%q: %d tokens, want %d", s, len(got), len(want))
		return
	}
	for i, w := range want {
		tk := got[i]
		if tk.start != w.start || tk.end != w.end || tk.flags != w.flags {
			t.Errorf("%q: token %d = [%d,%d) flags %b, want [%d,%d) flags %b", s, i, tk.start, tk.end, tk.flags, w.start, w.end, w.flags)
			return
		}
		if !tk.foldsTo(s, fold, w.folded) || tk.hash != foldHash(w.folded) {
			t.Errorf("%q: token %q does not fold or hash as %q", s, s[tk.start:tk.end], w.folded)
			return
		}
	}
}
