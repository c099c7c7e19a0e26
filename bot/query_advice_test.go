package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/bot/discordtest"
)

// A query a search engine would read one way and Vigil another gets a
// warning and a "did you mean" where it is typed; it is still saved, so
// that a query meant literally ("rock and roll") is not refused.
func TestWatchWarnsAboutWordsMeantAsOperators(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", nil)
	tests := []struct {
		name, sub, query string
		want             []string
		dontWant         []string
	}{
		{"add warns that not is a word and suggests NOT", "add", "drone not Romania",
			[]string{"Watching", `"not" is looked for as a word`, "Did you mean `drone NOT Romania`?", "/watch remove"}, nil},
		{"add warns about a lone dash", "add", "drone - Romania",
			[]string{"Watching", `"-" followed by a space is ignored`}, []string{"Did you mean"}},
		{"add says nothing of a clean query", "add", "drone NOT Romania",
			[]string{"Watching"}, []string{"⚠️", "Did you mean"}},
		{"test warns that or is a word", "test", "drone or missile",
			[]string{"would have matched", `"or" is looked for as a word`, "Did you mean `drone OR missile`?"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.command(t, alertsChan, admin, "watch", discordtest.Subcommand(tt.sub, discordtest.StringOption("query", tt.query)))
			for _, w := range tt.want {
				if !strings.Contains(resp.Content, w) {
					t.Errorf("reply %q lacks %q", resp.Content, w)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(resp.Content, w) {
					t.Errorf("reply %q has %q", resp.Content, w)
				}
			}
		})
	}
	subs, err := h.db.Subscriptions(context.Background(), alertsChan)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 3 {
		t.Errorf("%d subscriptions stored, want the 3 added", len(subs))
	}
}
