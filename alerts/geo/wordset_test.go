package geo

import (
	"strings"
	"testing"
)

// TestWordSetAnswersAsItsMapWould checks the filter in front of each cue
// word set: has and hasLower must say what a plain lookup of the word (or
// of strings.ToLower of it) says, for every word of every set as text may
// write it, and for words in none.
func TestWordSetAnswersAsItsMapWould(t *testing.T) {
	tg := newTagger(t)
	sets := map[string]*wordSet{
		"actorWords": actorWords, "inWords": inWords, "partnerWords": partnerWords,
		"compoundWords": compoundWords, "outletWords": outletWords, "currencyWords": currencyWords,
		"languageWords": languageWords, "institutionWords": institutionWords, "officeWords": officeWords,
		"modalWords": modalWords, "articles": articles, "streetWords": streetWords,
		"nonPersonPrev": tg.nonPersonPrev, "nonPersonNext": tg.nonPersonNext,
	}
	var written []string
	for _, ws := range sets {
		for w := range ws.words {
			written = append(written, w, strings.ToUpper(w), strings.ToLower(w), strings.ToUpper(w[:1])+w[1:])
		}
	}
	written = append(written, "xylophone", "Berlin", "the", "and", "to", "MADE", "Mađe", "ÖWNED", "owned")
	for name, ws := range sets {
		for _, w := range written {
			toks := tokenize(w, nil, nil)
			if len(toks) != 1 || toks[0].start != 0 || toks[0].end != len(w) {
				continue // not one word of text: "state-run" is two
			}
			if got, want := ws.has(&toks[0], w), ws.words[w]; got != want {
				t.Errorf("%s.has(%q) = %v, want %v", name, w, got, want)
			}
			if got, want := ws.hasLower(&toks[0], w), ws.words[strings.ToLower(w)]; got != want {
				t.Errorf("%s.hasLower(%q) = %v, want %v", name, w, got, want)
			}
		}
	}
}

// TestWordSetFiltersTurnAwayTheCommonestWords pins what the filters are
// for: the commonest words of English text are not looked up in a set
// that does not hold them. With one bit per word "to" passed for a modal.
func TestWordSetFiltersTurnAwayTheCommonestWords(t *testing.T) {
	common := []string{"the", "of", "and", "to", "a", "in", "is", "that", "for", "on", "was", "with", "as", "by", "it"}
	for name, ws := range map[string]*wordSet{
		"modalWords": modalWords, "currencyWords": currencyWords, "outletWords": outletWords,
		"compoundWords": compoundWords, "languageWords": languageWords,
	} {
		for _, w := range common {
			toks := tokenize(w, nil, nil)
			if !ws.words[w] && ws.mayHave(toks[0].hash) {
				t.Errorf("%s: %q passes the filter", name, w)
			}
		}
	}
}
