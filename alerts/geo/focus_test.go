package geo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// labelledStory is one story of a development set, with the countries a
// person decided it is about and those it names.
type labelledStory struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Focus    []string `json:"focus"`
	Mentions []string `json:"mentions"`
}

// scores counts set agreement over (story, country) pairs: micro-averaged
// precision and recall.
type scores struct{ tp, fp, fn int }

func (s *scores) add(got, want []string) {
	for _, g := range got {
		if slices.Contains(want, g) {
			s.tp++
		} else {
			s.fp++
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			s.fn++
		}
	}
}

func (s scores) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s scores) recall() float64    { return ratio(s.tp, s.tp+s.fn) }
func (s scores) f1() float64 {
	p, r := s.precision(), s.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func (s scores) String() string {
	return fmt.Sprintf("P %.3f  R %.3f  F1 %.3f  (tp %d, fp %d, fn %d)", s.precision(), s.recall(), s.f1(), s.tp, s.fp, s.fn)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func readLabelled(t *testing.T, path string) []labelledStory {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelledStory
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for n := 1; sc.Scan(); n++ {
		var s labelledStory
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// dropUS leaves out the United States, as newswire labels do where editors
// add it for any American company: the held-out measure is taken so.
func dropUS(codes []string) []string {
	return slices.DeleteFunc(slices.Clone(codes), func(c string) bool { return c == "US" })
}

// TestFocusOnTheDevelopmentSet measures focus and mentions on Vigil's own
// labelled stories (testdata/focus/README.md) and fails below the floors
// reached when the weights were chosen, so a change that loses ground shows.
// Run with -v to see the figures.
func TestFocusOnTheDevelopmentSet(t *testing.T) {
	tg := newTagger(t)
	stories := readLabelled(t, filepath.Join("testdata", "focus", "stories.jsonl"))
	// Every article of the source collection is in the set (see its
	// README); fewer means the file was cut.
	if len(stories) < 322 {
		t.Fatalf("development set has %d stories, want all 322", len(stories))
	}
	var focus, focusNoUS, mentions, everyMention scores
	var misses []string
	for _, s := range stories {
		got := tg.Tag(s.Title, s.Text)
		focus.add(got.Countries, s.Focus)
		everyMention.add(got.Mentions, s.Focus)
		focusNoUS.add(dropUS(got.Countries), dropUS(s.Focus))
		mentions.add(got.Mentions, s.Mentions)
		if !sameSet(got.Countries, s.Focus) {
			misses = append(misses, fmt.Sprintf("%s %q: focus %v, labelled %v", s.ID, s.Title, got.Countries, s.Focus))
		}
	}
	t.Logf("%d stories", len(stories))
	t.Logf("focus:              %v", focus)
	t.Logf("focus without US:   %v", focusNoUS)
	t.Logf("mentions:           %v", mentions)
	t.Logf("mentions as focus:  %v (routing by every place named, as before focus)", everyMention)
	if testing.Verbose() && os.Getenv("FOCUS_MISSES") != "" {
		t.Logf("stories whose focus differs from the label:\n%s", strings.Join(misses, "\n"))
	}
	for _, floor := range []struct {
		name string
		got  float64
		min  float64
	}{
		// What the focus model reaches (P 0.882, R 0.971, mentions F1
		// 0.970), less a margin.
		{"focus precision", focus.precision(), 0.86},
		{"focus recall", focus.recall(), 0.95},
		{"mentions F1", mentions.f1(), 0.965},
	} {
		if floor.got < floor.min {
			t.Errorf("%s = %.3f, below the floor %.2f", floor.name, floor.got, floor.min)
		}
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// TestFocusOnNewswireTraining measures focus against a newswire corpus's
// training split whose editors listed the countries each story is about,
// when VIGIL_NEWSWIRE_TRAIN names its JSON lines ({"title", "dateline",
// "body", "places"}), as TestConvertNewswire writes them; its place names
// map to ISO codes through testdata/focus/newswire-places.json, or
// VIGIL_NEWSWIRE_PLACES. The corpus is distributed for research only, so it
// is not in the repository; see testdata/focus/README.md. The United States is left out of
// both sides, as the held-out measure does.
func TestFocusOnNewswireTraining(t *testing.T) {
	path := os.Getenv("VIGIL_NEWSWIRE_TRAIN")
	if path == "" {
		t.Skip("set VIGIL_NEWSWIRE_TRAIN to measure on the newswire training split")
	}
	// The corpus keeps datelines apart from the body; a feed puts them in
	// the text ("TOKYO, March 3 - ..."). Measure either way.
	withDateline := os.Getenv("VIGIL_NEWSWIRE_DATELINE") != ""
	stories := readNewswire(t, path, readNewswirePlaces(t, newswirePlacesPath()), withDateline)
	tg := newTagger(t)
	var focus, mentions scores
	var misses []string
	for _, d := range stories {
		got := tg.Tag(d.title, d.text)
		focus.add(dropUS(got.Countries), d.want)
		mentions.add(dropUS(got.Mentions), d.want)
		if !sameSet(dropUS(got.Countries), d.want) && len(misses) < 400 {
			misses = append(misses, fmt.Sprintf("%s %q: focus %v mentions %v, labelled %v", d.id, d.title, dropUS(got.Countries), dropUS(got.Mentions), d.want))
		}
	}
	t.Logf("%d stories", len(stories))
	t.Logf("focus:    %v", focus)
	t.Logf("mentions: %v (against the focus labels: mentions are not what they list)", mentions)
	if os.Getenv("FOCUS_MISSES") != "" {
		t.Logf("misses:\n%s", strings.Join(misses, "\n"))
	}
	// The floors are what the focus model reaches on the whole training
	// split with datelines in the text, as testdata/focus/README.md
	// describes the copy (P 0.921, R 0.839), less a margin.
	if withDateline && (focus.precision() < 0.91 || focus.recall() < 0.83) {
		t.Errorf("focus %v is below the floors P 0.91, R 0.83 the model was fitted to", focus)
	}
}

// newswireStory is one labelled story of the newswire corpus.
type newswireStory struct {
	id, title, text string
	// want are the ISO codes of the places its editors listed, without the
	// United States.
	want []string
}

// readNewswirePlaces reads the map from the corpus's place names to ISO
// codes.
func readNewswirePlaces(t *testing.T, path string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var iso map[string]string
	if err := json.Unmarshal(raw, &iso); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return iso
}

// readNewswire reads the corpus's JSON lines ({"id", "title", "dateline",
// "body", "places"}), with the dateline opening the text when
// withDateline is set.
func readNewswire(t *testing.T, path string, iso map[string]string, withDateline bool) []newswireStory {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []newswireStory
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for n := 1; sc.Scan(); n++ {
		var d struct {
			ID       string   `json:"id"`
			Title    string   `json:"title"`
			Dateline string   `json:"dateline"`
			Body     string   `json:"body"`
			Places   []string `json:"places"`
		}
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		var want []string
		for _, p := range d.Places {
			if c := iso[p]; c != "" && !slices.Contains(want, c) {
				want = append(want, c)
			}
		}
		text := d.Body
		if withDateline {
			text = strings.TrimSpace(d.Dateline) + " - " + d.Body
		}
		out = append(out, newswireStory{id: d.ID, title: d.Title, text: text, want: dropUS(want)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNewswireEditorsAgreeWithThemselves measures how far the newswire's
// labels can be matched at all: the corpus carries some stories twice, word
// for word, each copy labelled on its own, and the editors' two labellings
// of one text agree only so well. It reports that agreement beside the
// tagger's against each copy, on the same stories and the same terms as
// TestFocusOnNewswireTraining (the United States left out, datelines in the
// text), when VIGIL_NEWSWIRE_TRAIN names the corpus.
func TestNewswireEditorsAgreeWithThemselves(t *testing.T) {
	path := os.Getenv("VIGIL_NEWSWIRE_TRAIN")
	if path == "" {
		t.Skip("set VIGIL_NEWSWIRE_TRAIN to measure the newswire editors' agreement with themselves")
	}
	stories := readNewswire(t, path, readNewswirePlaces(t, newswirePlacesPath()), true)
	copies := make(map[string][]newswireStory)
	var order []string
	for _, d := range stories {
		key := strings.Join(strings.Fields(strings.ToLower(d.text)), " ")
		if copies[key] == nil {
			order = append(order, key)
		}
		copies[key] = append(copies[key], d)
	}
	tg := newTagger(t)
	var editors, first, second scores
	pairs := 0
	for _, key := range order {
		c := copies[key]
		if len(c) < 2 {
			continue
		}
		pairs++
		a, b := c[0], c[1]
		editors.add(b.want, a.want)
		first.add(dropUS(tg.Tag(a.title, a.text).Countries), a.want)
		second.add(dropUS(tg.Tag(b.title, b.text).Countries), b.want)
	}
	if pairs == 0 {
		t.Fatalf("%s holds no story twice", path)
	}
	t.Logf("%d texts labelled twice", pairs)
	t.Logf("second labelling against the first: %v", editors)
	t.Logf("focus against the first:            %v", first)
	t.Logf("focus against the second:           %v", second)
}
