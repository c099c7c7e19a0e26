package match

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on a query. A subscription's query is typed by a person into a
// Discord slash command; these bound the work one query can cost the
// matcher and the parser, and are generous for anything a person writes.
const (
	// MaxQueryLength is the longest query, in characters. The longest
	// real-world watch lists we modelled ("Wagner OR \"Africa Corps\" ...")
	// stay under 200.
	MaxQueryLength = 500
	// MaxTerms is the most words and phrases a query may hold, counting
	// excluded ones.
	MaxTerms = 30
	// MaxDepth is the deepest nesting of parentheses.
	MaxDepth = 10
)

// Query is a parsed search query. Its zero value and the query parsed from
// an empty string match every story. A Query is immutable and safe for
// concurrent use.
type Query struct {
	root *expr // nil: matches everything
}

// exprKind is the kind of a node of a parsed query.
type exprKind uint8

const (
	exprWord   exprKind = iota // one word
	exprPhrase                 // consecutive words
	exprAnd                    // every child
	exprOr                     // any child
	exprNot                    // its single child does not match
)

// expr is a node of a parsed query.
type expr struct {
	kind exprKind
	// words are the normalised words of a word or phrase (one for a word),
	// surface their lower-case folded spellings, for display.
	words   []string
	surface []string
	kids    []*expr
}

// SyntaxError is a query that cannot be parsed, with where and why.
type SyntaxError struct {
	// Pos is the 1-based column, in characters, where the problem is.
	Pos int
	// Msg says what is wrong, in words for the person who typed the query.
	Msg string
}

// Error reads like: query: at column 12: expected a closing ")" to match
// the "(" at column 3.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("query: at column %d: %s", e.Pos, e.Msg)
}

// Parse parses a query in search-engine syntax:
//
//   - words are ANDed: `Hezbollah drone` needs both;
//   - `OR` (upper case) or `|` between two terms needs either; a lower-case
//     "or" is an ordinary word;
//   - OR binds tighter than AND, as in web search engines: `Hezbollah drone
//     OR missile` is `Hezbollah (drone OR missile)`, and `a OR b c` is
//     `(a OR b) c`; use parentheses for anything else;
//   - an optional upper-case `AND` between two terms is the same as a space;
//   - `"exact phrase"` needs the words next to each other, whatever
//     punctuation separates them in the text; a hyphenated or apostrophised
//     word is a phrase too (`Al-Shabaab` matches "Al Shabaab");
//   - `-word`, `-"phrase"` and `-(group)` exclude stories that match them,
//     and so does an upper-case `NOT` before a term or group (`drone NOT
//     Romania` is `drone -Romania`); a lower-case "not", like "and" and
//     "or", is an ordinary word, and Lint warns about it;
//     an exclusion cannot be an alternative of OR, and a query or group
//     cannot be made only of exclusions (it would match nearly every story);
//   - `(` and `)` group.
//
// Matching is case-insensitive and on whole words; diacritics are folded
// ("Türkiye" matches "Turkiye"), a possessive "'s" is ignored, and a plural
// matches its singular ("drones" matches "drone"). Punctuation-only words
// such as "&" are ignored.
//
// An empty or blank query parses to a Query that matches every story. Any
// other error is a *SyntaxError.
func Parse(query string) (*Query, error) {
	if n := utf8.RuneCountInString(query); n > MaxQueryLength {
		return nil, &SyntaxError{Pos: MaxQueryLength + 1,
			Msg: fmt.Sprintf("the query is %d characters long; the limit is %d", n, MaxQueryLength)}
	}
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		if strings.TrimSpace(query) != "" {
			return nil, &SyntaxError{Pos: 1, Msg: "the query has no words to look for"}
		}
		return &Query{}, nil
	}
	p := &parser{toks: toks, endCol: utf8.RuneCountInString(query) + 1}
	root, err := p.parseAnd(0, 0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		t := p.toks[p.pos]
		if t.kind == tokClose {
			return nil, &SyntaxError{Pos: t.col, Msg: `unexpected ")" with no "(" to match`}
		}
		return nil, &SyntaxError{Pos: t.col, Msg: fmt.Sprintf("unexpected %s", t.describe())}
	}
	return &Query{root: root}, nil
}

// Validate reports whether q is a valid query; the error is a
// *SyntaxError worded for the person who typed it.
func Validate(q string) error {
	_, err := Parse(q)
	return err
}

// MatchAll reports whether the query matches every story (it is empty).
func (q *Query) MatchAll() bool { return q == nil || q.root == nil }

// String returns the query in canonical form: lower case, diacritics
// folded, redundant parentheses removed, OR spelt "OR", multi-word terms
// quoted. Parsing the canonical form gives the same query back.
func (q *Query) String() string {
	if q.MatchAll() {
		return ""
	}
	var b strings.Builder
	writeExpr(&b, q.root, exprAnd)
	return b.String()
}

// Terms returns the words and phrases the query looks for, excluded ones
// left out, in the order they appear, each once. Phrases are returned as
// their words separated by single spaces.
func (q *Query) Terms() []string {
	if q.MatchAll() {
		return nil
	}
	var out []string
	eachTerm(q.root, false, func(_ *expr, t string) { out = append(out, t) })
	return out
}

// eachTerm calls fn once for each distinct word or phrase under e, in the
// order they appear, with the term's surface form; excluded terms (under a
// NOT) only when withExcluded is set.
func eachTerm(e *expr, withExcluded bool, fn func(e *expr, term string)) {
	seen := map[string]bool{}
	var walk func(e *expr)
	walk = func(e *expr) {
		switch e.kind {
		case exprWord, exprPhrase:
			t := strings.Join(e.surface, " ")
			if !seen[t] {
				seen[t] = true
				fn(e, t)
			}
		case exprNot:
			if withExcluded {
				for _, k := range e.kids {
					walk(k)
				}
			}
		default:
			for _, k := range e.kids {
				walk(k)
			}
		}
	}
	walk(e)
}

// Matches reports whether a story with this title and text matches the
// query. It tokenises the text on every call; to match many stories
// against many queries, build an Index.
func (q *Query) Matches(title, text string) bool {
	if q.MatchAll() {
		return true
	}
	d := newDoc(title, text)
	return d.eval(q.root)
}

func writeExpr(b *strings.Builder, e *expr, parent exprKind) {
	switch e.kind {
	case exprWord:
		b.WriteString(e.surface[0])
	case exprPhrase:
		b.WriteByte('"')
		b.WriteString(strings.Join(e.surface, " "))
		b.WriteByte('"')
	case exprNot:
		b.WriteByte('-')
		writeExpr(b, e.kids[0], exprNot)
	case exprAnd, exprOr:
		// OR binds tighter than AND, so an OR inside an AND needs no
		// parentheses; an AND inside an OR, and anything excluded, does.
		// Nested ANDs and ORs were flattened by the parser.
		paren := parent == exprNot || parent == exprOr
		if paren {
			b.WriteByte('(')
		}
		sep := " "
		if e.kind == exprOr {
			sep = " OR "
		}
		for i, k := range e.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			writeExpr(b, k, e.kind)
		}
		if paren {
			b.WriteByte(')')
		}
	}
}

// Lexer.

type tokKind uint8

const (
	tokTerm  tokKind = iota // a word or phrase
	tokOr                   // OR or |
	tokAnd                  // AND
	tokNot                  // - or NOT before a term or group
	tokOpen                 // (
	tokClose                // )
)

type token struct {
	kind    tokKind
	col     int      // 1-based column of the token's first character
	raw     string   // as typed, for warnings (Lint)
	words   []string // tokTerm: normalised words
	surface []string // tokTerm: folded spellings
	quoted  bool     // tokTerm: written as "..."
}

func (t token) describe() string {
	switch t.kind {
	case tokOr:
		return `"OR"`
	case tokAnd:
		return `"AND"`
	case tokNot:
		if t.raw == "NOT" {
			return `"NOT"`
		}
		return `"-"`
	case tokOpen:
		return `"("`
	case tokClose:
		return `")"`
	}
	if t.quoted {
		return fmt.Sprintf(`phrase "%s"`, strings.Join(t.surface, " "))
	}
	return fmt.Sprintf("word %q", strings.Join(t.surface, " "))
}

func lex(s string) ([]token, error) { return lexKeeping(s, nil) }

// lexKeeping is lex that also appends to ignored, when not nil, the bare
// words that hold no word to look for ("&", a "-" on its own): Lint warns
// about them, since the parser drops them without a trace.
func lexKeeping(s string, ignored *[]token) ([]token, error) {
	var toks []token
	col := 1 // column of s[i]
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0' || r == '\u3000':
		case r == '(':
			toks = append(toks, token{kind: tokOpen, col: col})
		case r == ')':
			toks = append(toks, token{kind: tokClose, col: col})
		case r == '|':
			toks = append(toks, token{kind: tokOr, col: col})
		case r == '"' || r == '“' || r == '”':
			end := strings.IndexAny(s[i+n:], "\"“”")
			if end < 0 {
				return nil, &SyntaxError{Pos: col, Msg: `this quote is never closed: expected a closing "`}
			}
			inner := s[i+n : i+n+end]
			words, surface := splitWords(inner)
			if len(words) == 0 {
				return nil, &SyntaxError{Pos: col, Msg: `empty phrase: put words between the quotes`}
			}
			toks = append(toks, token{kind: tokTerm, col: col, raw: s[i : i+n+end+1], words: words, surface: surface, quoted: true})
			_, cn := utf8.DecodeRuneInString(s[i+n+end:])
			consumed := n + end + cn
			col += utf8.RuneCountInString(s[i : i+consumed])
			i += consumed
			continue
		case r == '-' && i+1 < len(s) && !isQuerySpace(s[i+1]):
			toks = append(toks, token{kind: tokNot, col: col, raw: "-"})
		default:
			// A bare word runs to the next space, quote, parenthesis or bar.
			j := i
			for j < len(s) {
				c, cn := utf8.DecodeRuneInString(s[j:])
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\u00a0' || c == '\u3000' ||
					c == '(' || c == ')' || c == '|' || c == '"' || c == '“' || c == '”' {
					break
				}
				j += cn
			}
			raw := s[i:j]
			switch raw {
			case "OR":
				toks = append(toks, token{kind: tokOr, col: col, raw: raw})
			case "AND":
				toks = append(toks, token{kind: tokAnd, col: col, raw: raw})
			case "NOT":
				toks = append(toks, token{kind: tokNot, col: col, raw: raw})
			default:
				words, surface := splitWords(raw)
				if len(words) > 0 {
					toks = append(toks, token{kind: tokTerm, col: col, raw: raw, words: words, surface: surface})
				} else if len(toks) > 0 && toks[len(toks)-1].kind == tokNot {
					return nil, &SyntaxError{Pos: col, Msg: fmt.Sprintf(`%q has no words to exclude`, raw)}
				} else if ignored != nil {
					*ignored = append(*ignored, token{kind: tokTerm, col: col, raw: raw})
				}
			}
			col += utf8.RuneCountInString(raw)
			i = j
			continue
		}
		col++
		i += n
	}
	return toks, nil
}

func isQuerySpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Parser: recursive descent over
//
//	and     = or { ["AND"] or }
//	or      = unary { ("OR" | "|") unary }
//	unary   = ("-" | "NOT") primary | primary
//	primary = term | "(" and ")"
type parser struct {
	toks   []token
	pos    int
	terms  int
	endCol int // the column just past the query, for errors at its end
}

func (p *parser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

// parseAnd parses a sequence of terms up to a ")" or the end. open is the
// column of the "(" that started the group (0 at top level).
func (p *parser) parseAnd(depth, open int) (*expr, error) {
	var kids []*expr
	positive := false
	startCol := 1
	if t, ok := p.peek(); ok {
		startCol = t.col
	}
	for {
		t, ok := p.peek()
		if !ok || t.kind == tokClose {
			break
		}
		if t.kind == tokAnd {
			if len(kids) == 0 {
				return nil, &SyntaxError{Pos: t.col, Msg: `"AND" needs a term on each side`}
			}
			p.pos++
			if n, ok := p.peek(); !ok || n.kind == tokClose || n.kind == tokOr || n.kind == tokAnd {
				return nil, &SyntaxError{Pos: t.col, Msg: `"AND" needs a term on each side`}
			}
			continue
		}
		e, err := p.parseOr(depth)
		if err != nil {
			return nil, err
		}
		if e.kind != exprNot {
			positive = true
		}
		if e.kind == exprAnd {
			kids = append(kids, e.kids...)
		} else {
			kids = append(kids, e)
		}
	}
	if len(kids) == 0 && open == 0 {
		// The top level has tokens, so the first is a ")".
		return nil, &SyntaxError{Pos: startCol, Msg: `unexpected ")" with no "(" to match`}
	}
	if len(kids) == 0 {
		return nil, &SyntaxError{Pos: open, Msg: `empty group: put a word or phrase between "(" and ")"`}
	}
	if !positive {
		if open == 0 {
			return nil, &SyntaxError{Pos: startCol,
				Msg: "the query only excludes; add a word or phrase to look for (on its own, an exclusion would match nearly every story)"}
		}
		return nil, &SyntaxError{Pos: open,
			Msg: "this group only excludes; add a word or phrase to look for inside it"}
	}
	if len(kids) == 1 {
		return kids[0], nil
	}
	return &expr{kind: exprAnd, kids: kids}, nil
}

func (p *parser) parseOr(depth int) (*expr, error) {
	firstCol := p.toks[p.pos].col
	first, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	if t, ok := p.peek(); !ok || t.kind != tokOr {
		return first, nil
	}
	// An alternative that excludes ("a OR -b") would match nearly every
	// story and cannot be indexed; say so at the exclusion.
	notAlternative := func(col int) error {
		return &SyntaxError{Pos: col, Msg: `an exclusion cannot be one side of "OR"; exclude outside the alternatives, as in "(a OR b) -c"`}
	}
	if first.kind == exprNot {
		return nil, notAlternative(firstCol)
	}
	kids := []*expr{first}
	for {
		t, ok := p.peek()
		if !ok || t.kind != tokOr {
			break
		}
		p.pos++
		n, ok := p.peek()
		if !ok || n.kind == tokClose || n.kind == tokOr || n.kind == tokAnd {
			return nil, &SyntaxError{Pos: t.col, Msg: fmt.Sprintf("%s needs a term on each side", t.describe())}
		}
		e, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		switch e.kind {
		case exprNot:
			return nil, notAlternative(n.col)
		case exprOr:
			kids = append(kids, e.kids...)
		default:
			kids = append(kids, e)
		}
	}
	return &expr{kind: exprOr, kids: kids}, nil
}

func (p *parser) parseUnary(depth int) (*expr, error) {
	t, ok := p.peek()
	if ok && t.kind == tokNot {
		p.pos++
		n, ok := p.peek()
		if !ok || (n.kind != tokTerm && n.kind != tokOpen) {
			return nil, &SyntaxError{Pos: t.col, Msg: fmt.Sprintf("expected a word, phrase or group after %s", t.describe())}
		}
		e, err := p.parsePrimary(depth)
		if err != nil {
			return nil, err
		}
		return &expr{kind: exprNot, kids: []*expr{e}}, nil
	}
	return p.parsePrimary(depth)
}

func (p *parser) parsePrimary(depth int) (*expr, error) {
	t, ok := p.peek()
	if !ok {
		return nil, &SyntaxError{Pos: p.endCol, Msg: "expected a word, phrase or group at the end of the query"}
	}
	switch t.kind {
	case tokTerm:
		p.pos++
		p.terms++
		if p.terms > MaxTerms {
			return nil, &SyntaxError{Pos: t.col, Msg: fmt.Sprintf("too many terms: a query may hold at most %d words and phrases", MaxTerms)}
		}
		if len(t.words) == 1 {
			return &expr{kind: exprWord, words: t.words, surface: t.surface}, nil
		}
		return &expr{kind: exprPhrase, words: t.words, surface: t.surface}, nil
	case tokOpen:
		if depth >= MaxDepth {
			return nil, &SyntaxError{Pos: t.col, Msg: fmt.Sprintf("parentheses nested too deep: at most %d levels", MaxDepth)}
		}
		p.pos++
		e, err := p.parseAnd(depth+1, t.col)
		if err != nil {
			return nil, err
		}
		c, ok := p.peek()
		if !ok || c.kind != tokClose {
			col := p.endCol
			if ok {
				col = c.col
			}
			return nil, &SyntaxError{Pos: col, Msg: fmt.Sprintf(`expected a closing ")" to match the "(" at column %d`, t.col)}
		}
		p.pos++
		return e, nil
	case tokOr, tokAnd:
		return nil, &SyntaxError{Pos: t.col, Msg: fmt.Sprintf("%s needs a term on each side", t.describe())}
	case tokClose:
		return nil, &SyntaxError{Pos: t.col, Msg: `unexpected ")" with no "(" to match`}
	}
	return nil, &SyntaxError{Pos: t.col, Msg: fmt.Sprintf("unexpected %s", t.describe())}
}
