package match

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigilbot/vigil/alerts"
)

// FuzzParse checks that any query parses quickly without panicking, to a
// *SyntaxError with a column inside the query or to a query whose
// canonical form parses back to itself, that the index agrees with the
// query evaluated alone on any text and so does its explanation, and that
// Lint's warnings point inside
// the query and its "did you mean" parses.
func FuzzParse(f *testing.F) {
	seeds := [][2]string{
		{`Hezbollah drone OR missile`, "Hezbollah drones struck"},
		{`"Baltic Sea" cable -football`, "A Baltic-Sea cable was cut"},
		{`Wagner OR "Africa Corps" (Mali | Niger)`, "The Africa Corps in Niger"},
		{`Ukraine -(football OR tennis)`, "Ukraine's tennis star"},
		{`Al-Shabaab NATO's Türkiye`, "al shabaab nato turkiye"},
		{`a -(b -c)`, "a b c"},
		{`((a) (b c)) OR d`, "d"},
		{`-foo`, ""},
		{`a OR -b`, ""},
		{`"unterminated`, ""},
		{`(a`, ""},
		{`a)`, ""},
		{`()`, ""},
		{`OR`, ""},
		{`a AND b AND`, ""},
		{strings.Repeat("(", 200), ""},
		{strings.Repeat("a OR ", 40) + "a", "a"},
		{"\xff\xfe bad utf8 \"", "\xff"},
		{"“curly” quotes", "curly quotes"},
		{`drone NOT Romania`, "the drone was not over Romania"},
		{`drone not Romania`, "the drone was not over Romania"},
		{`(a OR b) AND c NOT (d OR e)`, "a c e"},
		{`NOT`, ""},
		{`a NOT`, ""},
		{`a OR NOT b`, ""},
		{`a or not !b - c`, "a or not b c"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, query, text string) {
		start := time.Now()
		q, err := Parse(query)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Parse took %v", d)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %v is not a *SyntaxError", query, err)
			}
			if se.Pos < 1 || se.Pos > utf8.RuneCountInString(query)+1 {
				t.Fatalf("Parse(%q): column %d outside the query", query, se.Pos)
			}
			return
		}
		warnings, fix := Lint(query)
		for _, w := range warnings {
			if w.Pos < 1 || w.Pos > utf8.RuneCountInString(query) {
				t.Fatalf("Lint(%q): column %d outside the query", query, w.Pos)
			}
		}
		if fix != "" {
			if len(warnings) == 0 {
				t.Fatalf("Lint(%q) suggests %q without a warning", query, fix)
			}
			if err := Validate(fix); err != nil {
				t.Fatalf("Lint(%q) suggests %q, which does not parse: %v", query, fix, err)
			}
		}
		canon := q.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, query, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form of %q is not stable: %q then %q", query, canon, again.String())
		}
		want := q.Matches("", text)
		if again.Matches("", text) != want {
			t.Fatalf("%q and its canonical form %q disagree on %q", query, canon, text)
		}
		defer func() {
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("parsing and matching %q took %v", query, d)
			}
		}()
		ix, err := NewIndex([]alerts.Subscription{{ID: 1, Query: query}})
		if err != nil {
			t.Fatalf("NewIndex refused %q, which parses: %v", query, err)
		}
		if got := len(ix.Match(&alerts.Story{Text: text})) == 1; got != want {
			t.Fatalf("index says %v, query says %v, for %q on %q", got, want, query, text)
		}
		// An explanation of a story with no filters to fail is the
		// query's verdict, and its clauses all hold exactly when it does.
		e, ok := ix.Explain(&alerts.Story{Text: text}, 1)
		if !ok || e.Matched != want || e.QueryOK != want {
			t.Fatalf("Explain(%q on %q) = %+v, want matched %v", query, text, e, want)
		}
		all := len(e.Clauses) > 0 || q.MatchAll()
		for _, c := range e.Clauses {
			all = all && c.OK
		}
		if all != want {
			t.Fatalf("Explain(%q on %q): clauses %+v all hold = %v, but matched = %v", query, text, e.Clauses, all, want)
		}
	})
}
