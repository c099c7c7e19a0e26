package geo

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFitFocusModel fits the focus model (focusmodel.go) when
// VIGIL_FOCUS_FIT names newswire training stories in the JSON lines
// TestConvertNewswire writes, and prints the weights as Go to paste into
// focus. VIGIL_FOCUS_CHECK names stories kept out of the fit to report on;
// the development set is reported too. Neither is fitted on. It is how the
// weights in focusmodel.go were made, on 80% of the training split
// (testdata/focus/README.md says which copy, and what a refit on the
// converted one gives):
//
//	VIGIL_NEWSWIRE_SGML=reuters21578 go test ./alerts/geo -run TestConvertNewswire -v
//	VIGIL_FOCUS_FIT=reuters21578/fit80.jsonl VIGIL_FOCUS_CHECK=reuters21578/check20.jsonl \
//	    go test ./alerts/geo -run TestFitFocusModel -v
func TestFitFocusModel(t *testing.T) {
	fitPath := os.Getenv("VIGIL_FOCUS_FIT")
	if fitPath == "" {
		t.Skip("set VIGIL_FOCUS_FIT to fit the focus model on a newswire training split")
	}
	tg := newTagger(t)
	iso := readNewswirePlaces(t, newswirePlacesPath())
	fit := newswireCandidates(tg, readNewswire(t, fitPath, iso, true))
	// A feed may or may not open its text with a dateline: the same stories
	// without theirs teach the model what the other places say alone.
	train := append(slices.Clone(fit.rows), newswireCandidates(tg, readNewswire(t, fitPath, iso, false)).rows...)
	t.Logf("fitting on %d candidate countries of %s, with and without datelines", len(train), fitPath)
	model := fitLogistic(train, fitRidge)
	t.Logf("fit:   %v at cut %.3f", fit.score(&model, model.cut), model.cut)
	t.Logf("fit errors: %s", fit.errorKinds(&model, model.cut))
	if checkPath := os.Getenv("VIGIL_FOCUS_CHECK"); checkPath != "" {
		check := newswireCandidates(tg, readNewswire(t, checkPath, iso, true))
		t.Logf("check: %v (%s)", check.score(&model, model.cut), checkPath)
		t.Logf("check errors: %s", check.errorKinds(&model, model.cut))
	}
	dev := labelledCandidates(tg, readLabelled(t, filepath.Join("testdata", "focus", "stories.jsonl")))
	t.Logf("development set focus: %v", dev.score(&model, model.cut))
	// What other cuts would trade, for the record: the model puts a country
	// in the focus when it is more likely in than not (p 0.5, a cut of 0).
	for p := 0.30; p <= 0.71; p += 0.05 {
		cut := float32(math.Log(p / (1 - p)))
		t.Logf("at p %.2f: fit %v | development set %v", p, fit.score(&model, cut), dev.score(&model, cut))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "var focus = focusModel{\n\tbias: %.4g,\n\tcoef: [numFeatures]float32{\n", model.bias)
	for i, c := range model.coef {
		fmt.Fprintf(&b, "\t\t%s: %.4g,\n", featureNames[i], c)
	}
	fmt.Fprintf(&b, "\t},\n\tcut: %.4g,\n}\n", model.cut)
	t.Logf("weights:\n%s", b.String())
}

// fitRidge is the L2 penalty on the weights (not the bias): enough to keep
// a feature that few stories have from taking an extreme weight.
const fitRidge = 1.0

var featureNames = [numFeatures]string{
	featTitle: "featTitle", featLead: "featLead", featBody: "featBody", featLate: "featLate",
	featWeak: "featWeak", featOpens: "featOpens", featDatelineAgain: "featDatelineAgain",
	featDatelineLone: "featDatelineLone", featDatelineSole: "featDatelineSole",
	featDatelineOther: "featDatelineOther", featListed: "featListed", featShareOfTop: "featShareOfTop",
	featTop: "featTop", featFirst: "featFirst", featShareOfMentions: "featShareOfMentions",
	featActor: "featActor", featIn: "featIn", featPartner: "featPartner",
}

// candidateRow is one country a story names, with whether its editors
// listed it.
type candidateRow struct {
	f     [numFeatures]float32
	focus bool
	story int // index of the story in its set
}

// candidateSet is every country the stories name except the United States,
// which the labels leave out.
type candidateSet struct {
	rows []candidateRow
	// unnamed counts labelled countries the stories never name: misses
	// whatever the model decides.
	unnamed int
	// labelled counts each story's labelled countries.
	labelled []int
}

// errorKinds counts the model's errors by kind, to say where what is left
// of them comes from.
func (set candidateSet) errorKinds(m *focusModel, cut float32) string {
	inFocus := make([]int, len(set.labelled))
	for i := range set.rows {
		if r := &set.rows[i]; m.logit(&r.f) >= cut {
			inFocus[r.story]++
		}
	}
	var belowCut, noFocus, extra, unlabelled int
	for i := range set.rows {
		r := &set.rows[i]
		in := m.logit(&r.f) >= cut
		switch {
		case r.focus && !in && inFocus[r.story] == 0:
			noFocus++
		case r.focus && !in:
			belowCut++
		case !r.focus && in && set.labelled[r.story] == 0:
			unlabelled++
		case !r.focus && in:
			extra++
		}
	}
	return fmt.Sprintf("missed: %d below the cut in a story with a focus, %d in a story given no focus, %d never recognised; "+
		"false: %d beside the labelled countries, %d in a story labelled only the United States or nothing", belowCut, noFocus, set.unnamed, extra, unlabelled)
}

// newswireCandidates is every country the newswire stories name but the
// United States, which the corpus's labels leave out.
func newswireCandidates(tg *Tagger, stories []newswireStory) candidateSet {
	var set candidateSet
	for _, d := range stories {
		set.add(tg, d.title, d.text, d.want, "US")
	}
	return set
}

// labelledCandidates is every country the development set's stories name,
// the United States too.
func labelledCandidates(tg *Tagger, stories []labelledStory) candidateSet {
	var set candidateSet
	for _, d := range stories {
		set.add(tg, d.Title, d.Text, d.Focus, "")
	}
	return set
}

// add is one story's candidates, leaving out the country left out of its
// labels, and counts a labelled country it never names as missed.
func (set *candidateSet) add(tg *Tagger, title, text string, want []string, leftOut string) {
	k := len(set.labelled)
	set.labelled = append(set.labelled, len(want))
	var named []string
	tg.eachCandidate(title, text, func(code string, f [numFeatures]float32) {
		if code == leftOut {
			return
		}
		named = append(named, code)
		set.rows = append(set.rows, candidateRow{f: f, focus: slices.Contains(want, code), story: k})
	})
	for _, w := range want {
		if !slices.Contains(named, w) {
			set.unnamed++
		}
	}
}

// score measures the model with a cut as TestFocusOnNewswireTraining does.
func (set candidateSet) score(m *focusModel, cut float32) scores {
	s := scores{fn: set.unnamed}
	for i := range set.rows {
		r := &set.rows[i]
		switch in := m.logit(&r.f) >= cut; {
		case in && r.focus:
			s.tp++
		case in:
			s.fp++
		case r.focus:
			s.fn++
		}
	}
	return s
}

// eachCandidate tags a story as Tag does and calls fn with the features of
// each country it names.
func (t *Tagger) eachCandidate(title, text string, fn func(code string, f [numFeatures]float32)) {
	s := new(scan)
	t.scanSegment(s, title, segTitle, 0)
	t.scanSegment(s, text, segText, int32(len(title))+1)
	s.prepare(len(t.countries) + len(t.regions))
	defer s.release()
	story := t.weigh(s)
	for _, target := range s.touched {
		if int(target) < len(t.countries) {
			fn(t.countries[target].code, s.features(target, story))
		}
	}
}

// fitLogistic fits a logistic regression with an L2 penalty by Newton's
// method, which converges in a few steps on so few features.
func fitLogistic(rows []candidateRow, ridge float64) focusModel {
	const d = numFeatures + 1 // the bias last
	var w [d]float64
	x := func(r *candidateRow, i int) float64 {
		if i == numFeatures {
			return 1
		}
		return float64(r.f[i])
	}
	for step := 0; step < 50; step++ {
		var grad [d]float64
		var hess [d][d]float64
		for k := range rows {
			r := &rows[k]
			z := 0.0
			for i := 0; i < d; i++ {
				z += w[i] * x(r, i)
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if r.focus {
				y = 1
			}
			for i := 0; i < d; i++ {
				xi := x(r, i)
				grad[i] += (y - p) * xi
				for j := 0; j <= i; j++ {
					hess[i][j] += p * (1 - p) * xi * x(r, j)
				}
			}
		}
		for i := 0; i < d; i++ {
			for j := 0; j < i; j++ {
				hess[j][i] = hess[i][j]
			}
			if i < numFeatures {
				grad[i] -= ridge * w[i]
				hess[i][i] += ridge
			}
		}
		delta := solve(hess, grad)
		change := 0.0
		for i := range w {
			w[i] += delta[i]
			change = max(change, math.Abs(delta[i]))
		}
		if change < 1e-6 {
			break
		}
	}
	var m focusModel
	for i := 0; i < numFeatures; i++ {
		m.coef[i] = float32(w[i])
	}
	m.bias = float32(w[numFeatures])
	return m
}

// solve solves a x = b by Gaussian elimination with partial pivoting; a is
// positive definite here, so it has a solution.
func solve(a [numFeatures + 1][numFeatures + 1]float64, b [numFeatures + 1]float64) [numFeatures + 1]float64 {
	const d = numFeatures + 1
	for col := 0; col < d; col++ {
		pivot := col
		for r := col + 1; r < d; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[pivot][col]) {
				pivot = r
			}
		}
		a[col], a[pivot] = a[pivot], a[col]
		b[col], b[pivot] = b[pivot], b[col]
		for r := col + 1; r < d; r++ {
			k := a[r][col] / a[col][col]
			for c := col; c < d; c++ {
				a[r][c] -= k * a[col][c]
			}
			b[r] -= k * b[col]
		}
	}
	var x [d]float64
	for r := d - 1; r >= 0; r-- {
		sum := b[r]
		for c := r + 1; c < d; c++ {
			sum -= a[r][c] * x[c]
		}
		x[r] = sum / a[r][r]
	}
	return x
}
