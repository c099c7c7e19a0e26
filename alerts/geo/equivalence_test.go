package geo

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// equivalenceInput is one text the equivalence golden pins the tags of.
type equivalenceInput struct {
	id, title, text string
}

// equivalenceInputs are the committed stories and variants of them that
// take the tagger's other paths: a headline set in capitals, text folded to
// lower case (names must then not match), text in capitals (abbreviations
// that are words must then not match) and accented forms.
func equivalenceInputs(t *testing.T) []equivalenceInput {
	t.Helper()
	var in []equivalenceInput
	for _, s := range readLabelled(t, filepath.Join("testdata", "focus", "stories.jsonl")) {
		in = append(in,
			equivalenceInput{s.ID, s.Title, s.Text},
			equivalenceInput{s.ID + "/caps-title", strings.ToUpper(s.Title), s.Text},
		)
		lead := s.Text[:min(len(s.Text), 600)]
		in = append(in,
			equivalenceInput{s.ID + "/lower", "", strings.ToLower(lead)},
			equivalenceInput{s.ID + "/upper", "", strings.ToUpper(lead)},
		)
	}
	for _, path := range []string{
		filepath.Join("testdata", "seed-story.txt"),
		filepath.Join("..", "..", "..", "shared", "fixtures", "seed-story.txt"),
	} {
		raw, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, equivalenceInput{path, "NATO reassures Baltic states over Russian threat", string(raw)})
	}
	in = append(in,
		equivalenceInput{"caps", "US SANCTIONS RUSSIA", "Let us know."},
		equivalenceInput{"people", "Michael Jordan", "King Abdullah of Jordan, Atlanta, Georgia and Tbilisi."},
		equivalenceInput{"punctuation", "Côte d'Ivoire", "U.S. Virgin Islands; Cocos (Keeling) Islands; N'Djamena; Xi'an"},
		equivalenceInput{"bad utf-8", "\xff\xfeTÜRKIYE", "Guinea-\u0301Bissau \u00a0 Papua New Guinea."},
		equivalenceInput{"accents", "Türkiye and Turkiye", "São Tomé, Réunion, Curaçao, ÅLAND, Bogotá and Kraków; TÜRKIYE."},
		equivalenceInput{"datelines", "", "FLORENCE, Ala., March 3 - A storm hit. Then KYIV, Ukraine (AP) — more."},
		equivalenceInput{"non-latin", "Россия и Україна", "北京 and Beijing; Ελλάδα; İstanbul and ISTANBUL; ǅ ß ﬁ."},
	)
	return in
}

// TestTagMatchesTheEquivalenceGolden pins Tag's output over every committed
// story, so that work on the tagger's speed cannot change what it finds.
// Run with -update only when a change of output is intended.
func TestTagMatchesTheEquivalenceGolden(t *testing.T) {
	tg := newTagger(t)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	for _, in := range equivalenceInputs(t) {
		got := tg.Tag(in.title, in.text)
		if err := enc.Encode(struct {
			ID             string   `json:"id"`
			Countries      []string `json:"countries"`
			Regions        []string `json:"regions"`
			Mentions       []string `json:"mentions"`
			MentionRegions []string `json:"mention_regions"`
		}{in.id, got.Countries, got.Regions, got.Mentions, got.MentionRegions}); err != nil {
			t.Fatal(err)
		}
	}
	golden := filepath.Join("testdata", "equivalence.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if bytes.Equal(out.Bytes(), want) {
		return
	}
	gotLines, wantLines := strings.Split(out.String(), "\n"), strings.Split(string(want), "\n")
	shown := 0
	for i := 0; i < max(len(gotLines), len(wantLines)) && shown < 20; i++ {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("line %d differs:\ngot:  %s\nwant: %s", i+1, g, w)
			shown++
		}
	}
}
