package geo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestConvertNewswire writes the local copy of the newswire training split
// that the focus model is fitted and measured on (testdata/focus/README.md)
// when VIGIL_NEWSWIRE_SGML names a folder holding Reuters-21578's
// reut2-000.sgm…reut2-021.sgm. It writes train.jsonl (every story kept),
// fit80.jsonl and check20.jsonl into VIGIL_NEWSWIRE_OUT, or that folder.
// The split is by a hash of the story's NEWID, so anyone converting the
// same files gets the same stories on each side.
//
// Only the training split is read: a story is skipped on its attributes,
// before its text is looked at, unless LEWISSPLIT is "TRAIN". The held-out
// measure is taken on the test split, which must never be tuned on.
func TestConvertNewswire(t *testing.T) {
	dir := os.Getenv("VIGIL_NEWSWIRE_SGML")
	if dir == "" {
		t.Skip("set VIGIL_NEWSWIRE_SGML to a folder of reut2-*.sgm to write the newswire training copy")
	}
	out := os.Getenv("VIGIL_NEWSWIRE_OUT")
	if out == "" {
		out = dir
	}
	iso := readNewswirePlaces(t, newswirePlacesPath())
	var stories []newswireRecord
	var counts reutersCounts
	for i := 0; i <= 21; i++ {
		path := filepath.Join(dir, fmt.Sprintf("reut2-%03d.sgm", i))
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range reutersTraining(raw, &counts) {
			for _, p := range d.Places {
				if iso[p] == "" {
					t.Fatalf("%s: story %s has place %q, which %s does not map", path, d.ID, p, newswirePlacesPath())
				}
			}
			stories = append(stories, d)
		}
	}
	t.Logf("training split: %d stories (%d BYPASS left out); %d with no place, %d with no body; %d kept",
		counts.training, counts.bypass, counts.unlabelled, counts.empty, len(stories))
	all, fit, check := createJSONL(t, out, "train.jsonl"), createJSONL(t, out, "fit80.jsonl"), createJSONL(t, out, "check20.jsonl")
	var nFit, nCheck int
	for _, d := range stories {
		all.write(t, d)
		if inCheck20(d.ID) {
			check.write(t, d)
			nCheck++
		} else {
			fit.write(t, d)
			nFit++
		}
	}
	for _, w := range []*jsonlWriter{all, fit, check} {
		w.close(t)
	}
	t.Logf("fit80: %d stories, check20: %d, in %s", nFit, nCheck, out)
}

// TestReutersTrainingKeepsOnlyLabelledTrainingStories checks the
// converter on stories written in the corpus's format: the test split must
// never reach the copy, nor a story without a place or a body.
func TestReutersTrainingKeepsOnlyLabelledTrainingStories(t *testing.T) {
	story := func(attrs, places, text string) string {
		return "<REUTERS " + attrs + ">\n<DATE>26-FEB-1987</DATE>\n<TOPICS><D>grain</D></TOPICS>\n<PLACES>" + places +
			"</PLACES>\n<TEXT>" + text + "</TEXT>\n</REUTERS>\n"
	}
	const body = "<TITLE>CHINA TO BORROW 390 MLN DLRS</TITLE>\n<DATELINE>    PEKING, March 1 - </DATELINE><BODY>China will receive loans\nfrom Japan &amp; the World Bank.\n Reuter\n&#3;</BODY>"
	raw := []byte(`<!DOCTYPE lewis SYSTEM "lewis.dtd">` + "\n" +
		story(`TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="239"`, "<D>china</D><D>japan</D>", body) +
		story(`TOPICS="YES" LEWISSPLIT="TEST" CGISPLIT="TRAINING-SET" OLDID="2" NEWID="240"`, "<D>china</D>", body) +
		story(`TOPICS="BYPASS" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="3" NEWID="241"`, "<D>china</D>", body) +
		story(`TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="4" NEWID="242"`, "", body) +
		story(`TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5" NEWID="243"`, "<D>uk</D>", "<TITLE>BRIEF</TITLE>") +
		story(`TOPICS="NO" LEWISSPLIT="NOT-USED" CGISPLIT="TRAINING-SET" OLDID="6" NEWID="244"`, "<D>uk</D>", body))
	var counts reutersCounts
	got := reutersTraining(raw, &counts)
	want := []newswireRecord{{
		ID: "239", Title: "CHINA TO BORROW 390 MLN DLRS", Dateline: "PEKING, March 1 -",
		Body: "China will receive loans\nfrom Japan & the World Bank.", Places: []string{"china", "japan"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kept %+v, want %+v", got, want)
	}
	if wantCounts := (reutersCounts{training: 3, bypass: 1, unlabelled: 1, empty: 1}); counts != wantCounts {
		t.Errorf("counts %+v, want %+v", counts, wantCounts)
	}
}

// reutersCounts says what reutersTraining left out, and why.
type reutersCounts struct{ training, bypass, unlabelled, empty int }

// reutersTraining is the labelled stories of the training split in one of
// the corpus's files. A story of another split is skipped on its
// attributes, before its text is read.
func reutersTraining(raw []byte, counts *reutersCounts) []newswireRecord {
	var out []newswireRecord
	for _, m := range reutersDoc.FindAllSubmatch(raw, -1) {
		attrs := string(m[1])
		if !strings.Contains(attrs, `LEWISSPLIT="TRAIN"`) {
			continue
		}
		// BYPASS stories were left out of the split's 13,625 by its
		// makers.
		if strings.Contains(attrs, `TOPICS="BYPASS"`) {
			counts.bypass++
			continue
		}
		counts.training++
		d := parseReutersDoc(attrs, latin1(m[2]))
		switch {
		case len(d.Places) == 0:
			// No place is no label, not a story about nowhere.
			counts.unlabelled++
		case d.Body == "":
			counts.empty++
		default:
			out = append(out, d)
		}
	}
	return out
}

// newswirePlacesPath is the map from Reuters place codes to ISO codes:
// VIGIL_NEWSWIRE_PLACES, or the one kept in testdata.
func newswirePlacesPath() string {
	if p := os.Getenv("VIGIL_NEWSWIRE_PLACES"); p != "" {
		return p
	}
	return filepath.Join("testdata", "focus", "newswire-places.json")
}

// inCheck20 puts a fifth of the stories, by a hash of their id, in the
// check side of the split.
func inCheck20(id string) bool {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()%5 == 0
}

// newswireRecord is one story as readNewswire reads it.
type newswireRecord struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Dateline string   `json:"dateline"`
	Body     string   `json:"body"`
	Places   []string `json:"places"`
}

var (
	reutersDoc     = regexp.MustCompile(`(?s)<REUTERS([^>]*)>(.*?)</REUTERS>`)
	reutersNewID   = regexp.MustCompile(`NEWID="(\d+)"`)
	reutersPlaces  = regexp.MustCompile(`(?s)<PLACES>(.*?)</PLACES>`)
	reutersD       = regexp.MustCompile(`<D>(.*?)</D>`)
	reutersTitle   = regexp.MustCompile(`(?s)<TITLE>(.*?)</TITLE>`)
	reutersDate    = regexp.MustCompile(`(?s)<DATELINE>(.*?)</DATELINE>`)
	reutersBody    = regexp.MustCompile(`(?s)<BODY>(.*?)</BODY>`)
	reutersSignOff = regexp.MustCompile(`\s*(?i:reuter)\s*$`)
)

func parseReutersDoc(attrs, inner string) newswireRecord {
	field := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(inner); m != nil {
			return strings.TrimSpace(html.UnescapeString(m[1]))
		}
		return ""
	}
	d := newswireRecord{Title: field(reutersTitle), Dateline: field(reutersDate)}
	if m := reutersNewID.FindStringSubmatch(attrs); m != nil {
		d.ID = m[1]
	}
	if m := reutersPlaces.FindStringSubmatch(inner); m != nil {
		for _, p := range reutersD.FindAllStringSubmatch(m[1], -1) {
			d.Places = append(d.Places, p[1])
		}
	}
	// The body ends with a control character and the wire's sign-off,
	// "Reuter", which no feed carries.
	body := strings.ReplaceAll(field(reutersBody), "\x03", "")
	d.Body = strings.TrimSpace(reutersSignOff.ReplaceAllString(body, ""))
	return d
}

// latin1 reads the corpus's bytes as ISO 8859-1, which every byte is.
func latin1(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c < utf8.RuneSelf {
			s.WriteByte(c)
		} else {
			s.WriteRune(rune(c))
		}
	}
	return s.String()
}

type jsonlWriter struct {
	f *os.File
	w *bufio.Writer
}

func createJSONL(t *testing.T, dir, name string) *jsonlWriter {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return &jsonlWriter{f: f, w: bufio.NewWriter(f)}
}

func (j *jsonlWriter) write(t *testing.T, d newswireRecord) {
	t.Helper()
	line, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	j.w.Write(line)
	j.w.WriteByte('\n')
}

func (j *jsonlWriter) close(t *testing.T) {
	t.Helper()
	if err := j.w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := j.f.Close(); err != nil {
		t.Fatal(err)
	}
}
