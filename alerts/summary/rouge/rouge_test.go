package rouge

import (
	"math"
	"testing"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		cand, ref  string
		r1, r2, rl float64 // F1
		r1p, r1r   float64
	}{
		{
			name: "identical",
			cand: "The cat sat on the mat.", ref: "the cat sat on the mat",
			r1: 1, r2: 1, rl: 1, r1p: 1, r1r: 1,
		},
		{
			name: "disjoint",
			cand: "troops moved", ref: "markets fell",
			r1: 0, r2: 0, rl: 0,
		},
		{
			// Unigrams: cand {the:2 cat sat mat}, ref {the:2 cat on mat};
			// overlap 4 of 5 each way. Bigrams: "the cat" and "the mat", of 4 each.
			// LCS "the cat the mat" = 4.
			name: "clipped counts and order",
			cand: "the cat sat the mat", ref: "the cat on the mat",
			r1: 0.8, r2: 0.5, rl: 0.8, r1p: 0.8, r1r: 0.8,
		},
		{
			// A repeated word counts only as often as the reference has it.
			name: "clipping",
			cand: "the the the the", ref: "the cat",
			r1: 2 * 0.25 * 0.5 / 0.75, r2: 0, rl: 2 * 0.25 * 0.5 / 0.75, r1p: 0.25, r1r: 0.5,
		},
		{
			// Punctuation separates: "U.S." is "u s", "100,000" is "100 000".
			name: "tokenising",
			cand: "U.S. sends 100,000", ref: "u s sends 100 000",
			r1: 1, r2: 1, rl: 1, r1p: 1, r1r: 1,
		},
		{
			name: "empty candidate",
			cand: "", ref: "something",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Compare(tt.cand, tt.ref)
			check := func(what string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %.4f, want %.4f", what, got, want)
				}
			}
			check("ROUGE-1 F1", s.Rouge1.F1, tt.r1)
			check("ROUGE-2 F1", s.Rouge2.F1, tt.r2)
			check("ROUGE-L F1", s.RougeL.F1, tt.rl)
			check("ROUGE-1 precision", s.Rouge1.Precision, tt.r1p)
			check("ROUGE-1 recall", s.Rouge1.Recall, tt.r1r)
		})
	}
}

func TestMean(t *testing.T) {
	all := []Scores{Compare("a b", "a b"), Compare("x", "y")}
	r1, r2, rl := Mean(all)
	if r1 != 0.5 || r2 != 0.5 || rl != 0.5 {
		t.Errorf("Mean = %v %v %v, want 0.5 each", r1, r2, rl)
	}
	if r1, _, _ := Mean(nil); r1 != 0 {
		t.Errorf("Mean(nil) = %v, want 0", r1)
	}
}
