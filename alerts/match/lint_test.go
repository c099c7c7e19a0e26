package match

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	tests := []struct {
		name, query string
		pos         []int  // the columns warned about, in order
		msg         string // a part of the first warning
		didYouMean  string
	}{
		{"warns that lower-case not is a word", "drone not Romania", []int{7}, `"not" is looked for as a word`, "drone NOT Romania"},
		{"warns that lower-case or is a word", "drone or missile", []int{7}, "write OR (upper case) to need either side", "drone OR missile"},
		{"warns that lower-case and is a word", "Hamas and Hezbollah", []int{7}, "write AND", "Hamas AND Hezbollah"},
		{"warns about mixed case", "drone Not Romania", []int{7}, `"Not" is looked for`, "drone NOT Romania"},
		{"warns about every one and fixes them all", "drone or missile not Romania", []int{7, 18}, `"or"`, "drone OR missile NOT Romania"},
		{"warns about ! and suggests a dash", "drone !Romania", []int{7}, `to exclude it, write -Romania`, "drone -Romania"},
		{"warns about a lone dash without guessing", "drone - Romania", []int{7}, `"-" followed by a space is ignored`, ""},
		{"offers no fix that would not parse", "not Romania", []int{1}, `"not"`, ""},
		{"offers no fix for or before NOT", "drone or NOT missile", []int{7}, `"or"`, ""},
		{"counts columns in characters", "Türkiye or Kurds", []int{9}, `"or"`, "Türkiye OR Kurds"},
		{"says nothing of a quoted not", `"not guilty" verdict`, nil, "", ""},
		{"says nothing of operators", "drone NOT Romania AND (Kyiv OR Odesa) -exercise", nil, "", ""},
		{"says nothing of words that contain operators", "nothing order android", nil, "", ""},
		{"says nothing of a query that does not parse", "drone or (", nil, "", ""},
		{"says nothing of an empty query", "", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, fix := Lint(tt.query)
			var pos []int
			for _, w := range ws {
				pos = append(pos, w.Pos)
			}
			if len(pos) != len(tt.pos) {
				t.Fatalf("Lint(%q) warned at %v (%q), want %v", tt.query, pos, ws, tt.pos)
			}
			for i := range pos {
				if pos[i] != tt.pos[i] {
					t.Errorf("Lint(%q) warned at %v, want %v", tt.query, pos, tt.pos)
				}
			}
			if tt.msg != "" && !strings.Contains(ws[0].Msg, tt.msg) {
				t.Errorf("Lint(%q) = %q, want it to contain %q", tt.query, ws[0].Msg, tt.msg)
			}
			if fix != tt.didYouMean {
				t.Errorf("Lint(%q) did you mean %q, want %q", tt.query, fix, tt.didYouMean)
			}
		})
	}
}

func TestWarningReadsWithItsColumn(t *testing.T) {
	ws, _ := Lint("drone not Romania")
	want := `at column 7: "not" is looked for as a word, found in nearly every story; write NOT (upper case) to exclude what follows`
	if len(ws) != 1 || ws[0].String() != want {
		t.Errorf("warnings = %q, want [%s]", ws, want)
	}
}
