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

// TestStartFilterLetsThroughEveryWordThatStartsAName checks the filter Tag
// consults where a name may begin: a first word it turned away would lose
// every name starting with it, in every case text writes it.
func TestStartFilterLetsThroughEveryWordThatStartsAName(t *testing.T) {
	tg := newTagger(t)
	starts := 0
	for id, word := range tg.lex.words {
		if tg.firstWord[id] == nil {
			continue
		}
		starts++
		for _, written := range []string{word, strings.ToUpper(word)} {
			toks := tokenize(written, nil, nil)
			if len(toks) != 1 || !tg.lex.mayStart(toks[0].hash) {
				t.Errorf("%q (word %q): turned away by the start filter", written, word)
			}
		}
	}
	if starts == 0 {
		t.Fatal("no word starts a name")
	}
}

// TestStartFilterTurnsAwayCommonWordsInsideNames pins why the filter is
// there: the commonest words of English text that belong to a name, but
// start none, are not looked up where a name would begin.
func TestStartFilterTurnsAwayCommonWordsInsideNames(t *testing.T) {
	tg := newTagger(t)
	for _, word := range []string{"and", "of", "states"} {
		toks := tokenize(word, nil, nil)
		if !tg.lex.mayHave(toks[0].hash) {
			t.Fatalf("%q is in no name: the test needs words that are", word)
		}
		if id := tg.lex.find(word, nil, &toks[0]); id >= 0 && tg.firstWord[id] != nil {
			t.Fatalf("%q starts a name: the test needs words that do not", word)
		}
		if tg.lex.mayStart(toks[0].hash) {
			t.Errorf("%q: let through by the start filter", word)
		}
	}
}

// TestPackedCompareAgreesWithFoldsTo checks the two-load comparison find
// makes against the byte loop it replaces, for every word of the
// gazetteer written as text writes it and one letter off, at the end of a
// text (where eight bytes cannot be read) and inside one.
func TestPackedCompareAgreesWithFoldsTo(t *testing.T) {
	tg := newTagger(t)
	for id, word := range tg.lex.words {
		others := []int32{int32(id), int32((id + 1) % len(tg.lex.words))}
		var variants []string
		for _, w := range []string{word, strings.ToUpper(word), word + "s", word[:len(word)-1] + "q"} {
			variants = append(variants, w, "the "+w+" and the rest of the sentence", w+" ")
		}
		for _, text := range variants {
			var fold []byte
			for _, tk := range tokenize(text, nil, &fold) {
				for _, other := range others {
					want := tk.foldsTo(text, fold, tg.lex.words[other])
					if got := tg.lex.is(text, fold, &tk, other); got != want {
						t.Errorf("%q in %q is word %q: %v, want %v", text[tk.start:tk.end], text, tg.lex.words[other], got, want)
					}
				}
			}
		}
	}
}
