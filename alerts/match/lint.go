package match

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Warning is something in a valid query that is probably not what its
// writer meant: search engines taught people that "not" excludes, but
// here only NOT (upper case) and "-" do, and the word "not" is looked for.
type Warning struct {
	// Pos is the 1-based column, in characters, of what is warned about.
	Pos int
	// Msg says what the query does there and what to write instead, in
	// words for the person who typed it.
	Msg string
}

// String reads like: at column 7: "not" is looked for as a word; ...
func (w Warning) String() string { return fmt.Sprintf("at column %d: %s", w.Pos, w.Msg) }

// Lint returns the warnings for a query that parses, in the order they
// appear, and the query it probably meant ("did you mean"), or "" when
// there is no single likely fix or the fix would not parse. A query that
// does not parse has no warnings: its *SyntaxError says more.
//
// It warns about:
//   - "not", "and" or "or" written as a word in any case but upper: they
//     are looked for as words, which nearly every story has;
//   - "!word", which looks for the word (punctuation is not an
//     operator); "-word" excludes;
//   - a "-" on its own, which is ignored; "-word" excludes.
//
// Quoted words are never warned about: `"rock and roll"` means the words.
func Lint(query string) (warnings []Warning, didYouMean string) {
	if _, err := Parse(query); err != nil {
		return nil, ""
	}
	var ignored []token
	toks, err := lexKeeping(query, &ignored)
	if err != nil {
		return nil, ""
	}
	type edit struct {
		col, runes int // what to replace: columns col to col+runes
		with       string
	}
	var edits []edit
	for _, t := range toks {
		if t.kind != tokTerm || t.quoted {
			continue
		}
		if op, ok := operatorWords[strings.ToLower(t.raw)]; ok {
			warnings = append(warnings, Warning{Pos: t.col, Msg: op.msg(t.raw)})
			edits = append(edits, edit{col: t.col, runes: utf8.RuneCountInString(t.raw), with: op.upper})
			continue
		}
		if rest, ok := strings.CutPrefix(t.raw, "!"); ok && rest != "" && !strings.HasPrefix(rest, "!") {
			warnings = append(warnings, Warning{Pos: t.col, Msg: fmt.Sprintf(
				`"!" does not exclude: %q is looked for as %q; to exclude it, write -%s`, t.raw, rest, rest)})
			edits = append(edits, edit{col: t.col, runes: 1, with: "-"})
		}
	}
	for _, t := range ignored {
		if t.raw == "-" {
			warnings = append(warnings, Warning{Pos: t.col, Msg: `a "-" followed by a space is ignored; to exclude a word, write it straight after the dash, as in -Romania`})
		}
	}
	slices.SortStableFunc(warnings, func(a, b Warning) int { return a.Pos - b.Pos })
	if len(edits) == 0 {
		return warnings, ""
	}
	// Apply the edits from the end so that earlier columns stay put.
	runes := []rune(query)
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		at := e.col - 1
		runes = slices.Replace(runes, at, at+e.runes, []rune(e.with)...)
	}
	fixed := string(runes)
	if _, err := Parse(fixed); err != nil || fixed == query {
		return warnings, ""
	}
	return warnings, fixed
}

// operatorWord is a word people type meaning an operator.
type operatorWord struct {
	upper string // the operator
	does  string // what the operator does, for the warning
}

var operatorWords = map[string]operatorWord{
	"not": {"NOT", "to exclude what follows"},
	"and": {"AND", "to need both sides (a space does the same)"},
	"or":  {"OR", "to need either side"},
}

func (o operatorWord) msg(raw string) string {
	return fmt.Sprintf("%q is looked for as a word, found in nearly every story; write %s (upper case) %s", raw, o.upper, o.does)
}
