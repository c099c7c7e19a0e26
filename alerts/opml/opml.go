// Package opml reads and writes OPML 2.0 subscription lists, the format
// feed readers (Feedly, Inoreader, NetNewsWire, Thunderbird) import and
// export, so a desk can move its feeds into Vigil and back out unchanged.
package opml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Feed is one subscription of an OPML file. Category is the path of the
// outlines it sits in ("Security/Europe"), as readers show folders.
type Feed struct {
	URL      string
	Title    string
	SiteURL  string
	Category string
}

// maxSize bounds what Parse reads: a reader's export of thousands of feeds
// is a few hundred KiB.
const maxSize = 8 << 20

// maxDepth bounds outline nesting: readers nest one or two levels, and a
// deliberately deep file must not cost a deep recursion.
const maxDepth = 32

type document struct {
	XMLName xml.Name `xml:"opml"`
	Version string   `xml:"version,attr"`
	Head    head     `xml:"head"`
	Body    body     `xml:"body"`
}

type head struct {
	Title       string `xml:"title,omitempty"`
	DateCreated string `xml:"dateCreated,omitempty"`
}

type body struct {
	Outlines []outline `xml:"outline"`
}

type outline struct {
	Text     string    `xml:"text,attr"`
	Title    string    `xml:"title,attr,omitempty"`
	Type     string    `xml:"type,attr,omitempty"`
	XMLURL   string    `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string    `xml:"htmlUrl,attr,omitempty"`
	Outlines []outline `xml:"outline"`
}

// Parse reads the feeds of an OPML file, in document order. An outline with
// an xmlUrl is a feed whatever its type (readers disagree on "rss"); one
// without is a category whose name is its title, or its text. A feed listed
// twice is returned once, in its first place.
func Parse(r io.Reader) ([]Feed, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read OPML: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("read OPML: the file is larger than %d MiB", maxSize>>20)
	}
	var doc document
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Readers write UTF-8, but some old exports declare ISO-8859-1 or
	// windows-1252; their feeds' URLs are ASCII either way.
	dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) { return input, nil }
	if err := dec.Decode(&doc); err != nil {
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("this is not a valid OPML file: line %d: %s", syn.Line, syn.Msg)
		}
		return nil, fmt.Errorf("this is not an OPML file (%v)", err)
	}
	var feeds []Feed
	seen := map[string]bool{}
	var walk func(outlines []outline, path []string) error
	walk = func(outlines []outline, path []string) error {
		if len(path) > maxDepth {
			return fmt.Errorf("read OPML: outlines nest deeper than %d levels", maxDepth)
		}
		for _, o := range outlines {
			name := strings.TrimSpace(o.Title)
			if name == "" {
				name = strings.TrimSpace(o.Text)
			}
			if u := strings.TrimSpace(o.XMLURL); u != "" {
				if !seen[u] {
					seen[u] = true
					feeds = append(feeds, Feed{URL: u, Title: name, SiteURL: strings.TrimSpace(o.HTMLURL), Category: strings.Join(path, "/")})
				}
				continue
			}
			if err := walk(o.Outlines, append(path[:len(path):len(path)], name)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc.Body.Outlines, nil); err != nil {
		return nil, err
	}
	return feeds, nil
}

// Write writes feeds as an OPML 2.0 file: one outline per category, in the
// order categories first appear, and feeds in the order given, so the same
// list always gives the same file.
func Write(w io.Writer, title string, created time.Time, feeds []Feed) error {
	doc := document{Version: "2.0", Head: head{Title: title}}
	if !created.IsZero() {
		doc.Head.DateCreated = created.UTC().Format(time.RFC1123Z)
	}
	// Categories nest by their "/" path; each level is found or made.
	for _, f := range feeds {
		level := &doc.Body.Outlines
		if f.Category != "" {
			for _, name := range strings.Split(f.Category, "/") {
				i := indexOfCategory(*level, name)
				if i < 0 {
					*level = append(*level, outline{Text: name, Title: name})
					i = len(*level) - 1
				}
				level = &(*level)[i].Outlines
			}
		}
		text := f.Title
		if text == "" {
			text = f.URL
		}
		*level = append(*level, outline{Text: text, Title: f.Title, Type: "rss", XMLURL: f.URL, HTMLURL: f.SiteURL})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	return nil
}

func indexOfCategory(outlines []outline, name string) int {
	for i, o := range outlines {
		if o.XMLURL == "" && (o.Title == name || (o.Title == "" && o.Text == name)) {
			return i
		}
	}
	return -1
}
