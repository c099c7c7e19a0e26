package geo

import "math"

// Whether a country is in a story's focus is decided from its evidence (see
// evidence and weigh in salience.go) by a logistic regression: a weighted
// sum of the features below, in the focus when it reaches a cut. The
// weights were fitted, not chosen: see focus for how, and on what.

// Features of one country in one story. Counts enter as log(1+n), so that
// a story's tenth mention of a place adds less than its second.
const (
	featTitle           = iota // mentions in the title, in no weak role
	featLead                   // in the lead sentence
	featBody                   // in the first half of the text, after the lead
	featLate                   // in the last half
	featWeak                   // mentions in a weak role, anywhere
	featOpens                  // 1 when a mention opens the title or the lead
	featDatelineAgain          // 1 when in the dateline and named again
	featDatelineLone           // 1 when only in the dateline, other places named
	featDatelineSole           // 1 when in the dateline and no other place named
	featDatelineOther          // 1 when another country is in the dateline
	featListed                 // the share of its mentions next to another place's
	featShareOfTop             // log of its salience over the top country's, from -4
	featTop                    // 1 when it is the most salient country
	featFirst                  // 1 when it is the first country named
	featShareOfMentions        // its share of all the story's country mentions
	featActor                  // mentions that act: "Japan said", "Japan's"
	featIn                     // mentions where something happens: "in Japan"
	featPartner                // mentions as the other side: "exports to Japan"
	numFeatures
)

// focusModel weighs a country's features.
type focusModel struct {
	bias float32
	coef [numFeatures]float32
	// cut is the least weighted sum in the focus.
	cut float32
}

func (m *focusModel) logit(f *[numFeatures]float32) float32 {
	z := m.bias
	for i, c := range m.coef {
		z += c * f[i]
	}
	return z
}

func (m *focusModel) decide(f [numFeatures]float32) bool { return m.logit(&f) >= m.cut }

// features reads a country's evidence into the model's features.
func (s *scan) features(target int32, story storyEvidence) [numFeatures]float32 {
	ev := &s.evidence[target]
	var f [numFeatures]float32
	f[featTitle] = log1pCount(ev.title)
	f[featLead] = log1pCount(ev.lead)
	f[featBody] = log1pCount(ev.body)
	f[featLate] = log1pCount(ev.late)
	f[featWeak] = log1pCount(ev.weak)
	f[featOpens] = one(ev.opens)
	if ev.dateline > 0 {
		switch {
		case ev.total > ev.dateline:
			f[featDatelineAgain] = 1
		case s.lone[target]:
			f[featDatelineLone] = 1
		default:
			f[featDatelineSole] = 1
		}
	} else if story.datelines > 0 {
		f[featDatelineOther] = 1
	}
	if ev.total > 0 {
		f[featListed] = float32(ev.listed) / float32(ev.total)
	}
	sc := s.score[target]
	f[featShareOfTop] = minShareOfTop
	if sc > 0 && story.topCountry > 0 {
		f[featShareOfTop] = max(float32(math.Log(float64(sc/story.topCountry))), minShareOfTop)
	}
	f[featTop] = one(sc >= story.topCountry)
	f[featFirst] = one(s.first[target] == story.firstCountryAt)
	if story.countryMentions > 0 {
		f[featShareOfMentions] = float32(ev.total) / float32(story.countryMentions)
	}
	f[featActor] = log1pCount(ev.actor)
	f[featIn] = log1pCount(ev.in)
	f[featPartner] = log1pCount(ev.partner)
	return f
}

// minShareOfTop bounds featShareOfTop: a place at a fiftieth of the top
// one's salience is as far from the focus as one at a thousandth.
const minShareOfTop = -4

func one(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// log1pCount is log(1+n), from a table for the small counts most places
// have.
func log1pCount(n int32) float32 {
	if n < int32(len(log1pTable)) {
		return log1pTable[max(n, 0)]
	}
	return float32(math.Log1p(float64(n)))
}

var log1pTable = func() (t [32]float32) {
	for i := range t {
		t[i] = float32(math.Log1p(float64(i)))
	}
	return t
}()

// focus is the model Tag decides with. Its weights were fitted by
// TestFitFocusModel (focus_fit_test.go): a logistic regression with an L2
// penalty of 1, on the countries other than the United States named by a
// random 80% of the newswire training split that testdata/focus/README.md
// describes, each story once with its dateline in the text and once
// without, against the countries its editors listed. The cut is the
// model's own boundary, a country more likely in the focus than not;
// nothing was fitted on the other 20% or on the development set, which
// check it (the README has the figures).
var focus = focusModel{
	bias: -1.416,
	coef: [numFeatures]float32{
		featTitle:           1.746,
		featLead:            1.604,
		featBody:            0.9632,
		featLate:            0.5416,
		featWeak:            0.1832,
		featOpens:           0.815,
		featDatelineAgain:   2.744,
		featDatelineLone:    3.388,
		featDatelineSole:    2.908,
		featDatelineOther:   -0.2174,
		featListed:          0.4739,
		featShareOfTop:      0.3225,
		featTop:             -0.001743,
		featFirst:           0.4516,
		featShareOfMentions: 0.6982,
		featActor:           0.4088,
		featIn:              -0.1806,
		featPartner:         0.2401,
	},
	cut: 0,
}
