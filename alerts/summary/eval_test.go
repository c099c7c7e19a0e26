package summary

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/alerts/summary/rouge"
)

// devArticle is one story with a reference summary written by a person.
type devArticle struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Article    string `json:"article"`
	Highlights string `json:"highlights"`
}

// evalRow is one system's averages over a set.
type evalRow struct {
	name       string
	words      float64
	r1, r2, rl float64
}

// evaluate scores Lead-3 and the summariser on the same articles with the
// same scorer.
// same scorer. Lead-3 is the first three sentences as Split finds them;
// "Lead-3, cleaned" the first three after the byline, dateline and caption
// removal Vigil does, the stronger and fairer baseline.
func evaluate(set []devArticle, opt Options) (lead3, cleaned, vigil evalRow) {
	systems := []struct {
		row *evalRow
		sum func(string) string
	}{
		{&lead3, func(a string) string { return strings.Join(Lead(a, 3), " ") }},
		{&cleaned, func(a string) string { c := candidates(a); return strings.Join(c[:min(3, len(c))], " ") }},
		{&vigil, nil},
	}
	lead3.name, cleaned.name, vigil.name = "Lead-3", "Lead-3, cleaned", "Vigil"
	for _, sys := range systems {
		var scores []rouge.Scores
		words := 0
		for _, a := range set {
			var s string
			if sys.sum != nil {
				s = sys.sum(a.Article)
			} else {
				o := opt
				o.Title = a.Title
				s = Summarize(a.Article, o)
			}
			scores = append(scores, rouge.Compare(s, a.Highlights))
			words += len(strings.Fields(s))
		}
		sys.row.words = float64(words) / float64(len(set))
		sys.row.r1, sys.row.r2, sys.row.rl = rouge.Mean(scores)
	}
	return lead3, cleaned, vigil
}

func printTable(t *testing.T, title string, n int, rows ...evalRow) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%d articles)\n| | words | ROUGE-1 | ROUGE-2 | ROUGE-L |\n|---|---|---|---|---|\n", title, n)
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.0f | %.1f | %.1f | %.1f |\n", r.name, r.words, 100*r.r1, 100*r.r2, 100*r.rl)
	}
	t.Log("\n" + b.String())
}

func readDevSet(t *testing.T, path string) []devArticle {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open development set: %v", err)
	}
	defer f.Close()
	var set []devArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var a devArticle
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s: line %d: %v", path, len(set)+1, err)
		}
		set = append(set, a)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return set
}

// TestDevSetCNNDailyMail scores Lead-3 and Vigil on a set in the CNN/DailyMail
// layout (one JSON object per line with article and highlights) named by
// VIGIL_SUMMARY_DEV. The set is not in the repository: CNN/DailyMail's terms
// do not let us redistribute it, and its test split must never be used here
// (see testdata/summaries/README.md for what was used and how to get it).
func TestDevSetCNNDailyMail(t *testing.T) {
	path := os.Getenv("VIGIL_SUMMARY_DEV")
	if path == "" {
		t.Skip("VIGIL_SUMMARY_DEV not set: no CNN/DailyMail validation set to score")
	}
	set := readDevSet(t, path)
	lead3, cleaned, vigil := evaluate(set, Options{})
	printTable(t, filepath.Base(path), len(set), lead3, cleaned, vigil)
	half := len(set) / 2
	for _, part := range []struct {
		name string
		set  []devArticle
	}{{"first half", set[:half]}, {"second half", set[half:]}} {
		l, c, v := evaluate(part.set, Options{})
		printTable(t, part.name, len(part.set), l, c, v)
	}
	if vigil.words > cleaned.words {
		t.Errorf("Vigil's summaries average %.0f words, longer than Lead-3's %.0f", vigil.words, cleaned.words)
	}
	if vigil.r2 < 0.97*cleaned.r2 {
		t.Errorf("Vigil's ROUGE-2 %.1f is more than 3%% below Lead-3's %.1f", 100*vigil.r2, 100*cleaned.r2)
	}
}

// wikinewsStories are the Wikinews stories the geo package's development
// set holds (CC BY 2.5), with no highlights.
func wikinewsStories(t *testing.T) []devArticle {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "geo", "testdata", "focus", "stories.jsonl"))
	if err != nil {
		t.Fatalf("open Wikinews stories: %v", err)
	}
	defer f.Close()
	var out []devArticle
	dec := json.NewDecoder(f)
	for dec.More() {
		var s struct{ ID, Title, Text string }
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("Wikinews stories: %v", err)
		}
		out = append(out, devArticle{ID: s.ID, Title: s.Title, Article: s.Text})
	}
	return out
}

// wikinewsDev joins the hand-written highlights in testdata/summaries with
// the stories they summarise.
func wikinewsDev(t *testing.T) []devArticle {
	t.Helper()
	stories := map[string]devArticle{}
	for _, s := range wikinewsStories(t) {
		stories[s.ID] = s
	}
	refs := readDevSet(t, filepath.Join("testdata", "summaries", "wikinews-highlights.jsonl"))
	for i := range refs {
		s, ok := stories[refs[i].ID]
		if !ok {
			t.Fatalf("highlights for %s, which the story file does not have", refs[i].ID)
		}
		refs[i].Title, refs[i].Article = s.Title, s.Article
	}
	return refs
}

// TestDevSetWikinews prints Lead-3 beside Vigil on the committed set: 80
// Wikinews stories with highlights written for this set (see
// testdata/summaries/README.md). Wikinews leads are written to Wikinews'
// style guide and the highlights follow them closely, so Lead-3 is hard to
// beat here; the test holds Vigil to within 3% of it, no longer.
func TestDevSetWikinews(t *testing.T) {
	set := wikinewsDev(t)
	if len(set) < 80 {
		t.Fatalf("development set has %d stories, want at least 80", len(set))
	}
	lead3, cleaned, vigil := evaluate(set, Options{})
	printTable(t, "Wikinews, hand-written highlights", len(set), lead3, cleaned, vigil)
	if vigil.words > cleaned.words {
		t.Errorf("Vigil's summaries average %.0f words, longer than Lead-3's %.0f", vigil.words, cleaned.words)
	}
	if vigil.r2 < 0.97*cleaned.r2 {
		t.Errorf("Vigil's ROUGE-2 %.1f is more than 3%% below Lead-3's %.1f", 100*vigil.r2, 100*cleaned.r2)
	}
}
