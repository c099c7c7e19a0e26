package geo

import (
	"strings"
	"testing"
)

// TestLexiconFindsEveryWordOfTheGazetteer looks up each word the trie is
// built from as the tokenizer reads it in text, in the cases text writes it:
// a word the filter or the table missed would lose every name with it.
func TestLexiconFindsEveryWordOfTheGazetteer(t *testing.T) {
	tg := newTagger(t)
	for id, word := range tg.lex.words {
		for _, written := range []string{word, strings.ToUpper(word), "the " + word + "."} {
			var fold []byte
			toks := tokenize(written, nil, &fold)
			tk := &toks[len(toks)-1]
			if written != word && strings.HasPrefix(written, "the ") {
				tk = &toks[1]
			}
			if len(toks) > 2 || !tg.lex.mayHave(tk.hash) {
				t.Errorf("%q (word %q): turned away by the filter", written, word)
				continue
			}
			if got := tg.lex.find(written, fold, tk); got != int32(id) {
				t.Errorf("%q: find = %d, want %d (%q)", written, got, id, word)
			}
		}
	}
}

func TestLexiconTurnsAwayWordsOfNoName(t *testing.T) {
	tg := newTagger(t)
	for _, written := range []string{"xylophone", "Quixotically", "zzzzzzzzzzzzzzzzzzzz", "ÿ", "Berli", "Berlinx"} {
		var fold []byte
		toks := tokenize(written, nil, &fold)
		if got := tg.lex.find(written, fold, &toks[0]); got >= 0 {
			t.Errorf("%q: find = %d (%q), want -1", written, got, tg.lex.words[got])
		}
	}
}
