package geo

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzTag(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed-story.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("", string(seed))
	f.Add("US SANCTIONS RUSSIA", "Let us know.")
	f.Add("Michael Jordan", "King Abdullah of Jordan, Atlanta, Georgia and Tbilisi.")
	f.Add("Côte d'Ivoire", "U.S. Virgin Islands; Cocos (Keeling) Islands; N'Djamena; Xi'an")
	f.Add("\xff\xfeTÜRKIYE", "Guinea-\u0301Bissau \u00a0 Papua New Guinea.")
	tg, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, text string) {
		checkTags(t, tg, tg.Tag(title, text))
		// Resolve and Suggest take the same untrusted input from users.
		tg.Resolve(text)
		tg.Suggest(title, 5)
	})
}

func BenchmarkTag(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "seed-story.txt"))
	if err != nil {
		b.Fatal(err)
	}
	text := string(raw)
	title := "NATO reassures Baltic states over Russian threat"
	tg := newTagger(b)
	b.SetBytes(int64(len(title) + len(text)))
	b.ReportAllocs()
	for b.Loop() {
		tg.Tag(title, text)
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSuggest(b *testing.B) {
	tg := newTagger(b)
	b.ReportAllocs()
	for b.Loop() {
		tg.Suggest("ukrian", 10)
	}
}
