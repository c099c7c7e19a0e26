package feed

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// plainText turns an HTML fragment (or text that may contain some) into one
// line of plain text: tags removed, script and style contents dropped,
// entities decoded, runs of white space and control characters collapsed
// to one space, and invalid UTF-8 replaced.
//
// It is a single hand-written scanner rather than an HTML parser: feeds
// carry thousands of descriptions and building a DOM for each would cost
// more than parsing the feed itself. It follows the HTML tokenizer where it
// matters for text: a '<' starts a tag only before a letter, '/', '!' or
// '?', quoted attribute values may contain '>', and an unterminated tag
// swallows the rest of the input.
func plainText(s string) string { return stripHTML(s, false) }

// plainTextBlocks is plainText keeping the blocks of HTML apart: where a
// block element (a paragraph, heading, list item, line break) separates
// text, the output has a line break instead of a space. Summaries need it
// to tell a section heading from the sentence after it.
func plainTextBlocks(s string) string { return stripHTML(s, true) }

// paragraphSep stands for a block boundary between stripping markup and
// collapsing white space, where it becomes a line break. U+2029 is white
// space to collapseSpace, so a stray one in the input is harmless.
const paragraphSep = "\u2029"

func stripHTML(s string, keepBlocks bool) string {
	sepText := " "
	if keepBlocks {
		sepText = paragraphSep
	}
	if !strings.ContainsAny(s, "<&") {
		return collapseSpace(s, keepBlocks)
	}
	var b strings.Builder
	b.Grow(len(s))
	literalLT, cdata := false, false
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+lt])
		i += lt
		if strings.HasPrefix(s[i:], cdataOpen) {
			// Feeds that wrap CDATA twice leave the inner markers in the
			// text; keep what they enclose, which is HTML in practice.
			cdata = true
			i += len(cdataOpen)
			continue
		}
		next, sep := skipMarkup(s, i)
		if next == i {
			// Not markup: a literal '<', as in "x < y".
			b.WriteByte('<')
			literalLT = true
			i++
			continue
		}
		if sep {
			b.WriteString(sepText)
		}
		i = next
	}
	text := b.String()
	if cdata {
		text = strings.ReplaceAll(text, cdataClose, "")
	}
	if literalLT {
		text = separateLiteralLT(text)
	}
	if strings.IndexByte(text, '&') >= 0 {
		text = html.UnescapeString(text)
	}
	return collapseSpace(text, keepBlocks)
}

const (
	cdataOpen  = "<![CDATA["
	cdataClose = "]]>"
)

// separateLiteralLT puts a space after a literal '<' that removing a tag has
// joined to a letter ("<<b>b" is the text "<b"), so that the output never
// looks like markup that was left in.
func separateLiteralLT(text string) string {
	var b strings.Builder
	last := 0
	for i := 0; i+1 < len(text); i++ {
		if text[i] == '<' && startsMarkup(text[i+1]) {
			b.WriteString(text[last : i+1])
			b.WriteByte(' ')
			last = i + 1
		}
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// startsMarkup reports whether c after '<' would open a tag, comment or
// processing instruction.
func startsMarkup(c byte) bool { return isASCIILetter(c) || c == '/' || c == '!' || c == '?' }

// skipMarkup looks at the '<' at s[i]. If it opens markup, it returns the
// index just past it and whether it separates words (block elements do,
// inline ones such as <b> do not). If it is a literal '<', it returns i.
func skipMarkup(s string, i int) (next int, separates bool) {
	if i+1 >= len(s) {
		return i, false
	}
	switch c := s[i+1]; {
	case c == '!':
		if strings.HasPrefix(s[i:], "<!--") {
			return skipPast(s, i+4, "-->"), false
		}
		return skipPast(s, i+2, ">"), true
	case c == '?':
		return skipPast(s, i+2, ">"), true
	case c == '/':
		if i+2 < len(s) && isASCIILetter(s[i+2]) {
			name, end := tagEnd(s, i+2)
			return end, !isInline(name)
		}
		if i+2 < len(s) && s[i+2] == '>' {
			return i + 3, false // "</>" is ignored by browsers
		}
		// "</ " and the like are a bogus comment up to '>'.
		return skipPast(s, i+2, ">"), true
	case isASCIILetter(c):
		name, end := tagEnd(s, i+1)
		if isRawText(name) {
			return skipRawText(s, end, name), true
		}
		return end, !isInline(name)
	}
	return i, false
}

// tagEnd reads a tag name starting at s[i] and returns it lower-cased with
// the index just past the tag's closing '>', skipping quoted attribute
// values. An unterminated tag runs to the end of s.
func tagEnd(s string, i int) (name string, end int) {
	j := i
	for j < len(s) && !isTagNameEnd(s[j]) {
		j++
	}
	name = asciiLower(s[i:j])
	for j < len(s) {
		switch s[j] {
		case '>':
			return name, j + 1
		case '"', '\'':
			// A quote only opens a value after '='; elsewhere it is part of
			// an (odd) attribute name, as in the HTML tokenizer.
			if prevNonSpace(s, i, j) == '=' {
				q := strings.IndexByte(s[j+1:], s[j])
				if q < 0 {
					return name, len(s)
				}
				j += q + 2
				continue
			}
		}
		j++
	}
	return name, len(s)
}

// prevNonSpace returns the last non-space byte of s[from:j], or 0.
func prevNonSpace(s string, from, j int) byte {
	for k := j - 1; k >= from; k-- {
		if !isHTMLSpace(s[k]) {
			return s[k]
		}
	}
	return 0
}

// skipRawText skips the contents of a script or style element up to and
// including its end tag; an unterminated one runs to the end of s.
func skipRawText(s string, i int, name string) int {
	for {
		lt := strings.Index(s[i:], "</")
		if lt < 0 {
			return len(s)
		}
		j := i + lt + 2
		if j+len(name) <= len(s) && strings.EqualFold(s[j:j+len(name)], name) &&
			(j+len(name) == len(s) || isTagNameEnd(s[j+len(name)])) {
			_, end := tagEnd(s, j)
			return end
		}
		i = j
	}
}

// skipPast returns the index just past the first sep at or after i, or
// len(s) when there is none.
func skipPast(s string, i int, sep string) int {
	if i > len(s) {
		return len(s)
	}
	k := strings.Index(s[i:], sep)
	if k < 0 {
		return len(s)
	}
	return i + k + len(sep)
}

// isRawText names the elements whose contents are not text to show
// (HTML Living Standard 13.1.2, raw text elements, plus noscript and
// template whose contents repeat or hide the page's text).
func isRawText(name string) bool {
	switch name {
	case "script", "style", "noscript", "template", "iframe", "noembed", "noframes", "xmp":
		return true
	}
	return false
}

// isInline names the phrasing elements that sit inside words: removing
// them must not split "w<b>or</b>d". Every other tag separates words.
func isInline(name string) bool {
	switch name {
	case "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em",
		"font", "i", "ins", "kbd", "mark", "q", "s", "samp", "small", "span",
		"strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr":
		return true
	}
	return false
}

func isTagNameEnd(c byte) bool { return isHTMLSpace(c) || c == '/' || c == '>' }

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// asciiLower lower-cases a tag name without allocating when it already is.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// collapseSpace trims s, turns every run of Unicode white space and control
// characters into one ASCII space, drops zero-width spaces and replaces invalid UTF-8
// with U+FFFD. With keepBlocks, a run holding a paragraph separator
// (U+2029) becomes one line break instead. It returns s itself when nothing
// changes.
func collapseSpace(s string, keepBlocks bool) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace, pendingBreak := false, false
	flush := func() {
		switch {
		case pendingBreak:
			b.WriteByte('\n')
		case pendingSpace:
			b.WriteByte(' ')
		}
		pendingSpace, pendingBreak = false, false
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f {
				// ASCII white space and control characters alike:
				// controls are noise from broken feeds, and as spaces
				// they still keep the words around them apart.
				pendingSpace = b.Len() > 0
				i++
				continue
			}
			// Copy a run of printable ASCII in one go; it is nearly all
			// of most text.
			j := i + 1
			for j < len(s) && s[j] > ' ' && s[j] < 0x7f {
				j++
			}
			flush()
			b.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			// Invalid UTF-8: WriteRune writes U+FFFD.
		case unicode.IsSpace(r), unicode.IsControl(r):
			pendingSpace = b.Len() > 0
			pendingBreak = pendingBreak || (keepBlocks && r == '\u2029' && b.Len() > 0)
			continue
		case r == '\u200b', r == '\ufeff':
			// Zero-width space and BOM are invisible noise in titles;
			// after a '<' a space keeps "<" and a letter from looking
			// like a tag once the noise is gone.
			if str := b.String(); str != "" && str[len(str)-1] == '<' {
				pendingSpace = true
			}
			continue
		}
		flush()
		b.WriteRune(r)
	}
	return b.String()
}

// isClean reports whether collapseSpace would return s unchanged: ASCII
// printable text with single inner spaces, or valid UTF-8 without any
// space, control or invisible characters needing work.
func isClean(s string) bool {
	prevSpace := true // a leading space is not clean
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return false
		case c == ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		case c < ' ' || c == 0x7f:
			return false
		default:
			prevSpace = false
		}
	}
	return !prevSpace || s == ""
}
