package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// labelledPair is one line of testdata/pairs.jsonl.
type labelledPair struct {
	Same     bool        `json:"same"`
	Kind     string      `json:"kind"`
	GapHours float64     `json:"gap_hours"`
	A        pairedStory `json:"a"`
	B        pairedStory `json:"b"`
}

type pairedStory struct {
	Feed  string `json:"feed"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

func loadPairs(t testing.TB) []labelledPair {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "pairs.jsonl"))
	if err != nil {
		t.Fatalf("open pairs: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	var pairs []labelledPair
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var p labelledPair
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("pairs.jsonl line %d: %v", line, err)
		}
		pairs = append(pairs, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read pairs: %v", err)
	}
	return pairs
}

var pairsEpoch = time.Date(2024, 3, 23, 6, 0, 0, 0, time.UTC)

// clusterPair runs one labelled pair through a fresh Clusterer, the way the
// pipeline sees it: a first, b some hours later from another outlet.
func clusterPair(p labelledPair, i int) (same bool, sim float64) {
	c := New(Options{})
	a := &alerts.Story{ID: fmt.Sprintf("a%d", i), FeedURL: p.A.Feed, Title: p.A.Title, Text: p.A.Text,
		URL: fmt.Sprintf("https://a.example/%d", i), Published: pairsEpoch, FirstSeen: pairsEpoch}
	at := pairsEpoch.Add(time.Duration(p.GapHours * float64(time.Hour)))
	b := &alerts.Story{ID: fmt.Sprintf("b%d", i), FeedURL: p.B.Feed, Title: p.B.Title, Text: p.B.Text,
		URL: fmt.Sprintf("https://b.example/%d", i), Published: at, FirstSeen: at}
	c.Assign(a)
	got := c.Assign(b)
	return !got.New && a.ClusterID == b.ClusterID, got.Similarity
}

func TestLabelledPairsPrecisionAndRecall(t *testing.T) {
	pairs := loadPairs(t)
	if len(pairs) < 60 {
		t.Fatalf("only %d labelled pairs, want at least 60", len(pairs))
	}
	var tp, fp, fn, tn int
	for i, p := range pairs {
		same, sim := clusterPair(p, i)
		switch {
		case same && p.Same:
			tp++
		case same && !p.Same:
			fp++
			t.Logf("false merge (%s, sim %.2f): %q / %q", p.Kind, sim, p.A.Title, p.B.Title)
		case !same && p.Same:
			fn++
			t.Logf("missed (%s, sim %.2f): %q / %q", p.Kind, sim, p.A.Title, p.B.Title)
		default:
			tn++
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("pairs %d: tp %d fp %d fn %d tn %d; precision %.3f recall %.3f", len(pairs), tp, fp, fn, tn, precision, recall)
	if precision < 0.9 || recall < 0.9 {
		t.Errorf("precision %.3f, recall %.3f; want both at least 0.9", precision, recall)
	}
}
