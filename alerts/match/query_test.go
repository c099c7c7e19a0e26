package match

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseCanonicalForm(t *testing.T) {
	tests := []struct {
		name, query, want string
	}{
		{"lower-cases and keeps words in order", "Wagner Mali", "wagner mali"},
		{"binds OR tighter than the implicit AND", "Hezbollah drone OR missile", "hezbollah drone OR missile"},
		{"reads a b OR c as a AND (b OR c)", "a b OR c", "a b OR c"},
		{"reads a OR b c as (a OR b) AND c", "a OR b c", "a OR b c"},
		{"keeps parentheses an AND needs inside an OR", "(a b) OR c", "(a b) OR c"},
		{"drops parentheses an OR does not need inside an AND", "a (b OR c)", "a b OR c"},
		{"flattens nested groups", "((a) (b c))", "a b c"},
		{"flattens nested alternatives", "a OR (b OR c)", "a OR b OR c"},
		{"treats a bar as OR", "a|b | c", "a OR b OR c"},
		{"treats lower-case or as a word", "war or peace", "war or peace"},
		{"treats AND as a space", "Russia AND Ukraine", "russia ukraine"},
		{"quotes a phrase", `"Baltic Sea" cable`, `"baltic sea" cable`},
		{"unquotes a one-word phrase", `"Wagner"`, "wagner"},
		{"reads curly quotes", `“Baltic Sea”`, `"baltic sea"`},
		{"reads a hyphenated word as a phrase", "Al-Shabaab", `"al shabaab"`},
		{"drops a possessive", "NATO's", "nato"},
		{"folds diacritics", "Türkiye", "turkiye"},
		{"excludes a word", "Ukraine -football", "ukraine -football"},
		{"excludes a phrase", `Ukraine -"Eurovision Song Contest"`, `ukraine -"eurovision song contest"`},
		{"excludes a group", "Ukraine -(football OR tennis)", "ukraine -(football OR tennis)"},
		{"excludes an AND group", "Ukraine -(world cup)", "ukraine -(world cup)"},
		{"ignores punctuation-only words", "Bosnia & Herzegovina", "bosnia herzegovina"},
		{"ignores a lone dash", "Israel - Hamas", "israel hamas"},
		{"allows a nested exclusion", "a -(b -c)", "a -(b -c)"},
		{"reads upper-case NOT as an exclusion", "drone NOT Romania", "drone -romania"},
		{"reads NOT before a group", "Ukraine NOT (football OR tennis)", "ukraine -(football OR tennis)"},
		{"reads NOT touching a group", "Ukraine NOT(football)", "ukraine -football"},
		{"treats lower-case not as a word", "drone not Romania", "drone not romania"},
		{"reads a quoted NOT as a word", `drone "NOT"`, "drone not"},
		{"reads NOT, AND and OR together", "(drone OR missile) AND Kyiv NOT exercise", "drone OR missile kyiv -exercise"},
		{"matches everything when empty", "", ""},
		{"matches everything when blank", "  \t ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.query, err)
			}
			got := q.String()
			if got != tt.want {
				t.Errorf("Parse(%q).String() = %q, want %q", tt.query, got, tt.want)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(canonical %q): %v", got, err)
			}
			if again.String() != got {
				t.Errorf("canonical form is not stable: %q became %q", got, again.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, query string
		pos         int
		msg         string // a part of the message
	}{
		{"reports an unclosed parenthesis at the end", "Mali (Wagner OR Africa", 23, `expected a closing ")" to match the "(" at column 6`},
		{"reports a stray closing parenthesis", "Mali Wagner)", 12, `unexpected ")"`},
		{"reports an unterminated quote", `Mali "Africa Corps`, 6, "never closed"},
		{"reports an empty phrase", `Mali ""`, 6, "empty phrase"},
		{"reports an empty group", "Mali ()", 6, "empty group"},
		{"reports OR at the start", "OR Mali", 1, `"OR" needs a term on each side`},
		{"reports OR at the end", "Mali OR", 6, `"OR" needs a term on each side`},
		{"reports a doubled OR", "Mali OR OR Niger", 6, `"OR" needs a term on each side`},
		{"reports a dangling bar", "Mali |", 6, `"OR" needs a term on each side`},
		{"reports OR before a closing parenthesis", "(Mali OR)", 7, `"OR" needs a term on each side`},
		{"reports a dangling AND", "Mali AND", 6, `"AND" needs a term on each side`},
		{"rejects a query of one exclusion", "-football", 1, "only excludes"},
		{"rejects a query of exclusions", "-football -tennis", 1, "only excludes"},
		{"rejects a group of exclusions", "Ukraine (-football)", 9, "group only excludes"},
		{"rejects an exclusion as an alternative", "Ukraine OR -football", 12, "exclusion cannot be one side"},
		{"rejects an exclusion as the first alternative", "-football OR Ukraine", 1, "exclusion cannot be one side"},
		{"rejects a dash before nothing useful", "Ukraine -)", 9, `after "-"`},
		{"rejects a double dash", "Ukraine --football", 9, `after "-"`},
		{"rejects NOT at the end", "drone NOT", 7, `expected a word, phrase or group after "NOT"`},
		{"rejects NOT before OR", "drone NOT OR missile", 7, `after "NOT"`},
		{"rejects a query of NOT alone", "NOT Romania", 1, "only excludes"},
		{"rejects NOT as an alternative", "drone OR NOT missile", 10, "exclusion cannot be one side"},
		{"rejects a lone NOT", "NOT", 1, `after "NOT"`},
		{"rejects a lone AND", "AND", 1, `"AND" needs a term on each side`},
		{"rejects excluding punctuation", "Ukraine -&", 10, "no words to exclude"},
		{"rejects a query of punctuation", "&& !!", 1, "no words"},
		{"names the length limit", strings.Repeat("a", MaxQueryLength+1), MaxQueryLength + 1, "limit is 500"},
		{"names the term limit", strings.Repeat("w ", MaxTerms) + "extra", 2*MaxTerms + 1, "at most 30 words"},
		{"names the depth limit", strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1), MaxDepth + 1, "at most 10 levels"},
		{"counts columns in characters", "Türkiye (Kurds", 15, `"(" at column 9`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.query)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", tt.query, err)
			}
			if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Parse(%q) = column %d %q, want column %d containing %q", tt.query, se.Pos, se.Msg, tt.pos, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "query: at column ") {
				t.Errorf("Error() = %q, want it to start with %q", err.Error(), "query: at column ")
			}
			if Validate(tt.query) == nil {
				t.Errorf("Validate(%q) = nil, want the same error", tt.query)
			}
		})
	}
}

func TestSyntaxErrorReadsLikeASentence(t *testing.T) {
	_, err := Parse("a (b OR c")
	want := `query: at column 10: expected a closing ")" to match the "(" at column 3`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name, query string
		want        []string
	}{
		{"lists words and phrases in order", `Hezbollah drone OR "cruise missile"`, []string{"hezbollah", "drone", "cruise missile"}},
		{"leaves out exclusions", "Ukraine -football -(world cup)", []string{"ukraine"}},
		{"leaves out what NOT excludes", "drone NOT Romania", []string{"drone"}},
		{"lists a repeated word once", "Mali (Mali OR Niger)", []string{"mali", "niger"}},
		{"keeps the spelling, not the singular", "Drones", []string{"drones"}},
		{"lists nothing for an empty query", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Terms(); !slices.Equal(got, tt.want) {
				t.Errorf("Terms() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQueryMatches(t *testing.T) {
	tests := []struct {
		name, query, title, text string
		want                     bool
	}{
		{"needs every word", "Hezbollah drone", "Hezbollah launches drone", "", true},
		{"fails on a missing word", "Hezbollah drone", "Hezbollah rally", "", false},
		{"finds words in the text as well as the title", "Hezbollah drone", "Border clash", "A Hezbollah drone was downed.", true},
		{"is case-insensitive", "WAGNER", "", "wagner group", true},
		{"matches whole words only", "Iran", "", "Iranian officials met", false},
		{"does not match a word inside another", "war", "", "a software update", false},
		{"matches a plural against a singular query", "drone", "", "Drones struck overnight", true},
		{"matches a singular against a plural query", "troops", "", "one troop carrier", true},
		{"matches countries and country", "countries", "", "the country said", true},
		{"does not confuse us with u", "us", "", "U boat", false},
		{"does not confuse news with new", "news", "", "a new law", false},
		{"does not confuse Hamas with Hama", "Hamas", "", "shelling in Hama", false},
		{"matches crisis in the text", "crisis", "", "the crisis deepened", true},
		{"matches a phrase across punctuation", `"Baltic Sea" cable`, "", "damage in the Baltic-Sea: a cable cut", true},
		{"needs a phrase's words together", `"Baltic Sea"`, "", "the Baltic states and the North Sea", false},
		{"matches Al-Shabaab written apart", "Al-Shabaab", "", "Al Shabaab claimed the attack", true},
		{"matches Al Shabaab written hyphenated", `"Al Shabaab"`, "", "Al-Shabaab claimed the attack", true},
		{"matches NATO's against NATO", "NATO", "", "NATO's eastern flank", true},
		{"folds diacritics in the text", "Turkiye", "", "Türkiye closed the strait", true},
		{"folds diacritics in the query", "Türkiye", "", "Turkiye closed the strait", true},
		{"does not run a phrase from title into text", `"Kyiv drone"`, "Strikes on Kyiv", "Drone debris fell", false},
		{"excludes a word", "Ukraine -football", "", "Ukraine football team", false},
		{"keeps a story without the excluded word", "Ukraine -football", "", "Ukraine front line", true},
		{"excludes a group", "Ukraine -(football OR tennis)", "", "Ukraine tennis star", false},
		{"takes either alternative", "Wagner OR \"Africa Corps\"", "", "The Africa Corps arrived", true},
		{"applies AND over an OR", "Mali drone OR airstrike", "", "An airstrike in Niger", false},
		{"excludes with NOT", "drone NOT Romania", "", "The drone was not over Romania", false},
		{"keeps a story without what NOT excludes", "drone NOT Romania", "", "A drone over Poland", true},
		{"matches an empty query", "", "anything", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Matches(tt.title, tt.text); got != tt.want {
				t.Errorf("Parse(%q).Matches(%q, %q) = %v, want %v", tt.query, tt.title, tt.text, got, tt.want)
			}
		})
	}
}

func TestParseIsFastOnPathologicalInput(t *testing.T) {
	inputs := map[string]string{
		"ten thousand open parentheses":   strings.Repeat("(", 10000),
		"parentheses up to the limit":     strings.Repeat("(", MaxQueryLength/2) + strings.Repeat(")", MaxQueryLength/2),
		"a long chain of ORs":             strings.Repeat("a OR ", 99) + "a",
		"a long chain of ORs over length": strings.Repeat("a OR ", 10000) + "a",
		"many unclosed quotes":            strings.Repeat(`"a `, 160),
		"many dashes":                     strings.Repeat("-", 10000),
	}
	for name, in := range inputs {
		t.Run("returns quickly on "+name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse(in)
			if err == nil {
				t.Errorf("Parse accepted %d bytes of %s", len(in), name)
			}
			if d := time.Since(start); d > 50*time.Millisecond {
				t.Errorf("Parse took %v", d)
			}
		})
	}
}
