package match

import (
	"slices"
	"testing"
)

func TestStemPlural(t *testing.T) {
	tests := []struct {
		word, want string
	}{
		{"troops", "troop"},
		{"troop", "troop"},
		{"missiles", "missile"},
		{"countries", "country"},
		{"country", "country"},
		{"drones", "drone"},
		{"attacks", "attack"},
		{"allies", "ally"},
		{"militias", "militia"},
		{"houthis", "houthi"},
		{"israelis", "israeli"},
		{"clashes", "clash"},
		{"breaches", "breach"},
		{"witnesses", "witness"},
		{"taxes", "tax"},
		{"1990s", "1990"},
		{"16s", "16"},
		{"days", "day"},
		{"heroes", "hero"},
		{"torpedoes", "torpedo"},
		{"caches", "cache"},
		{"crises", "crisis"},
		{"gases", "gas"},
		// Words that only look plural.
		{"us", "us"},
		{"is", "is"},
		{"gas", "gas"},
		{"bus", "bus"},
		{"its", "its"},
		{"news", "news"},
		{"crisis", "crisis"},
		{"analysis", "analysis"},
		{"axis", "axis"},
		{"virus", "virus"},
		{"belarus", "belarus"},
		{"cyprus", "cyprus"},
		{"press", "press"},
		{"class", "class"},
		{"hamas", "hamas"},
		{"isis", "isis"},
		{"paris", "paris"},
		{"series", "series"},
		{"species", "species"},
		{"minneapolis", "minneapolis"},
		// Not English, or not letters.
		{"россия", "россия"},
		{"f16", "f16"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.word+" becomes "+tt.want, func(t *testing.T) {
			in := []byte(tt.word)
			out := stemPlural(in)
			// tokenize relies on it: the singular is where the plural was.
			if len(out) > 0 && &out[0] != &in[0] {
				t.Errorf("stemPlural(%q) moved the word", tt.word)
			}
			got := string(out)
			if got != tt.want {
				t.Errorf("stemPlural(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
	t.Run("every exception stays in place", func(t *testing.T) {
		for word := range pluralExceptions {
			in := []byte(word)
			if out := stemPlural(in); len(out) == 0 || &out[0] != &in[0] {
				t.Errorf("stemPlural(%q) = %q, not at the word's start", word, out)
			}
		}
	})
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		name, text string
		keys       []string
		surfaces   []string
	}{
		{"splits on spaces and punctuation", "Drones hit Kyiv; 3 dead.",
			[]string{"drone", "hit", "kyiv", "3", "dead"}, []string{"drones", "hit", "kyiv", "3", "dead"}},
		{"splits hyphenated names", "Al-Shabaab fighters",
			[]string{"al", "shabaab", "fighter"}, []string{"al", "shabaab", "fighters"}},
		{"drops a possessive", "NATO's summit and NATO’s allies",
			[]string{"nato", "summit", "and", "nato", "ally"}, []string{"nato", "summit", "and", "nato", "allies"}},
		{"keeps an apostrophe inside a name apart", "O'Brien said",
			[]string{"o", "brien", "said"}, []string{"o", "brien", "said"}},
		{"folds diacritics", "Türkiye, Łódź and São Paulo; Hà Nội",
			[]string{"turkiye", "lodz", "and", "sao", "paulo", "ha", "noi"},
			[]string{"turkiye", "lodz", "and", "sao", "paulo", "ha", "noi"}},
		{"folds combining marks", "Tu\u0308rkiye",
			[]string{"turkiye"}, []string{"turkiye"}},
		{"keeps other scripts", "Россия и Украина",
			[]string{"россия", "и", "украина"}, []string{"россия", "и", "украина"}},
		{"reads nothing in punctuation", " -- & ... ", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, surfaces := splitWords(tt.text)
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("keys = %q, want %q", keys, tt.keys)
			}
			if !slices.Equal(surfaces, tt.surfaces) {
				t.Errorf("surfaces = %q, want %q", surfaces, tt.surfaces)
			}
		})
	}
}
