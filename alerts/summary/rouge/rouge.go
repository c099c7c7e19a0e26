// Package rouge scores a summary against a reference the way summarisation
// papers and the held-out evaluation do: words lower-cased, anything that is
// not a letter or a digit a separator, no stemming, no stopword removal;
// ROUGE-1 and ROUGE-2 from clipped n-gram counts and ROUGE-L from the
// longest common subsequence of the two whole texts, each as an F1 score.
// It exists so that Vigil's summaries and the Lead-3 baseline are measured
// with one scorer in the repository's own tests.
package rouge

import (
	"strings"
	"unicode"
)

// Score is one metric's precision, recall and F1, each in [0, 1].
type Score struct {
	Precision, Recall, F1 float64
}

// Scores are the three metrics for one summary.
type Scores struct {
	Rouge1, Rouge2, RougeL Score
}

// Tokens lower-cases s and splits it at every rune that is not a letter or
// a digit; "U.S." gives "u", "s", as the reference scorer does.
func Tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Compare scores candidate against reference.
func Compare(candidate, reference string) Scores {
	c, r := Tokens(candidate), Tokens(reference)
	return Scores{
		Rouge1: ngramScore(c, r, 1),
		Rouge2: ngramScore(c, r, 2),
		RougeL: lcsScore(c, r),
	}
}

func ngramScore(c, r []string, n int) Score {
	cn, rn := ngrams(c, n), ngrams(r, n)
	var overlap, ctotal, rtotal int
	for _, k := range cn {
		ctotal += k
	}
	for g, k := range rn {
		rtotal += k
		overlap += min(k, cn[g])
	}
	return fscore(overlap, ctotal, rtotal)
}

func ngrams(tokens []string, n int) map[string]int {
	m := make(map[string]int, len(tokens))
	for i := 0; i+n <= len(tokens); i++ {
		m[strings.Join(tokens[i:i+n], " ")]++
	}
	return m
}

// lcsScore is ROUGE-L over the whole texts (not the per-sentence "Lsum"
// variant), with a two-row table: O(len(c)·len(r)) time, O(len(r)) memory.
func lcsScore(c, r []string) Score {
	prev := make([]int, len(r)+1)
	cur := make([]int, len(r)+1)
	for i := range c {
		for j := range r {
			switch {
			case c[i] == r[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return fscore(prev[len(r)], len(c), len(r))
}

func fscore(overlap, candidate, reference int) Score {
	if overlap == 0 || candidate == 0 || reference == 0 {
		return Score{}
	}
	p := float64(overlap) / float64(candidate)
	r := float64(overlap) / float64(reference)
	return Score{Precision: p, Recall: r, F1: 2 * p * r / (p + r)}
}

// Mean averages the F1 of each metric over many summaries; an empty slice
// gives zeros.
func Mean(all []Scores) (r1, r2, rl float64) {
	if len(all) == 0 {
		return 0, 0, 0
	}
	for _, s := range all {
		r1 += s.Rouge1.F1
		r2 += s.Rouge2.F1
		rl += s.RougeL.F1
	}
	n := float64(len(all))
	return r1 / n, r2 / n, rl / n
}
