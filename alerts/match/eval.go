package match

// doc is a story's words and where they occur, for evaluating one query
// directly (Query.Matches). The Index has its own, allocation-free form.
type doc struct {
	positions map[string][]int
}

// titleGap separates the title's words from the text's so that a phrase
// cannot run from the end of the title into the start of the text.
const titleGap = 1

func newDoc(title, text string) *doc {
	d := &doc{positions: map[string][]int{}}
	pos := 0
	for _, s := range [...]string{title, text} {
		words, _ := splitWords(s)
		for _, w := range words {
			d.positions[w] = append(d.positions[w], pos)
			pos++
		}
		pos += titleGap
	}
	return d
}

func (d *doc) eval(e *expr) bool {
	switch e.kind {
	case exprWord:
		return len(d.positions[e.words[0]]) > 0
	case exprPhrase:
		return d.hasPhrase(e.words)
	case exprNot:
		return !d.eval(e.kids[0])
	case exprAnd:
		for _, k := range e.kids {
			if !d.eval(k) {
				return false
			}
		}
		return true
	case exprOr:
		for _, k := range e.kids {
			if d.eval(k) {
				return true
			}
		}
	}
	return false
}

func (d *doc) hasPhrase(words []string) bool {
	for _, start := range d.positions[words[0]] {
		ok := true
		for i, w := range words[1:] {
			if !contains(d.positions[w], start+1+i) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func contains(sorted []int, v int) bool {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case sorted[m] == v:
			return true
		case sorted[m] < v:
			lo = m + 1
		default:
			hi = m
		}
	}
	return false
}
