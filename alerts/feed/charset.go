package feed

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// Byte-order marks (Unicode 15, section 23.8).
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF16LE = []byte{0xFF, 0xFE}
)

// toUTF8 converts a response body to UTF-8 and returns it without a
// byte-order mark. For XML, when the document is converted, the encoding
// named in its prolog is rewritten to UTF-8 so that the XML parser does not
// decode it a second time.
//
// Which encoding the body is in, in order of trust:
//  1. a byte-order mark;
//  2. for XML, the prolog's encoding="..." (servers often send a default
//     charset in Content-Type whatever the file says, while the file's own
//     declaration was written by the software that produced it);
//  3. the charset parameter of Content-Type;
//  4. for HTML, a <meta charset> in the first 1024 bytes;
//  5. UTF-8 when the bytes are valid UTF-8, else Windows-1252, the usual
//     encoding of legacy feeds that declare nothing.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	mediaType, params, _ := mime.ParseMediaType(contentType)
	headerLabel := strings.TrimSpace(params["charset"])

	switch {
	case bytes.HasPrefix(body, bomUTF8):
		return rewriteXMLEncoding(body[len(bomUTF8):]), nil
	case bytes.HasPrefix(body, bomUTF16BE), bytes.HasPrefix(body, bomUTF16LE):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("decoding UTF-16 body: %w", err)
		}
		return rewriteXMLEncoding(out), nil
	}

	// Feeds are often served as text/html; the XML declaration tells them
	// apart from pages.
	if isHTML(mediaType) && xmlDeclStart(body) < 0 {
		enc, name, certain := charset.DetermineEncoding(body, contentType)
		// DetermineEncoding only looks at the first 1024 bytes and
		// guesses Windows-1252 when they are ASCII; valid UTF-8 in the
		// whole body is the better guess.
		if name == "utf-8" || !certain && utf8.Valid(body) {
			return body, nil
		}
		return decodeWith(enc, name, body)
	}

	label := headerLabel
	prolog, _, hasPrologEncoding := xmlPrologEncoding(body)
	if hasPrologEncoding {
		label = prolog
	}
	if label == "" {
		if utf8.Valid(body) {
			return body, nil
		}
		return decodeWith(charmap.Windows1252, "windows-1252", body)
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		if utf8.Valid(body) {
			// A misspelt label on a UTF-8 document is harmless; the
			// XML parser would trip over the label, so drop it.
			return rewriteXMLEncoding(body), nil
		}
		return nil, fmt.Errorf("unsupported character encoding %q", label)
	}
	if name == "utf-8" {
		if hasPrologEncoding || utf8.Valid(body) {
			return body, nil
		}
		// Declared UTF-8 only by the server, yet it is not: the server's
		// default charset is wrong about a legacy file.
		return decodeWith(charmap.Windows1252, "windows-1252", body)
	}
	return decodeWith(enc, name, body)
}

// decodeWith converts body from enc to UTF-8 and rewrites an XML prolog.
func decodeWith(enc encoding.Encoding, name string, body []byte) ([]byte, error) {
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decoding body from %s: %w", name, err)
	}
	return rewriteXMLEncoding(out), nil
}

// isHTML reports whether a media type is an HTML page rather than a feed.
func isHTML(mediaType string) bool {
	return mediaType == "text/html" || mediaType == "application/xhtml+xml"
}

// xmlPrologEncoding finds the encoding pseudo-attribute of an XML
// declaration at the start of body. The declaration is ASCII in every
// ASCII-compatible encoding, so it can be read before decoding. It returns
// the label and the byte offsets of the label's value.
func xmlPrologEncoding(body []byte) (label string, span [2]int, ok bool) {
	start := xmlDeclStart(body)
	if start < 0 {
		return "", span, false
	}
	end := bytes.Index(body[start:], []byte("?>"))
	if end < 0 {
		return "", span, false
	}
	decl := body[start : start+end]
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return "", span, false
	}
	j := i + len("encoding")
	for j < len(decl) && isXMLSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || decl[j] != '=' {
		return "", span, false
	}
	j++
	for j < len(decl) && isXMLSpace(decl[j]) {
		j++
	}
	if j >= len(decl) || (decl[j] != '"' && decl[j] != '\'') {
		return "", span, false
	}
	quote := decl[j]
	k := bytes.IndexByte(decl[j+1:], quote)
	if k < 0 {
		return "", span, false
	}
	valStart := start + j + 1
	valEnd := valStart + k
	return string(body[valStart:valEnd]), [2]int{valStart, valEnd}, true
}

// xmlDeclStart returns the offset of the XML declaration that opens body,
// or -1 when there is none. The declaration must come first; leading white
// space is allowed because real feeds have it despite the spec.
func xmlDeclStart(body []byte) int {
	start := 0
	for start < len(body) && isXMLSpace(body[start]) {
		start++
	}
	if !bytes.HasPrefix(body[start:], []byte("<?xml")) {
		return -1
	}
	return start
}

// rewriteXMLEncoding makes the prolog of an already converted document say
// UTF-8, so that the XML parser does not convert it again.
func rewriteXMLEncoding(body []byte) []byte {
	label, span, ok := xmlPrologEncoding(body)
	if !ok || strings.EqualFold(label, "utf-8") {
		return body
	}
	out := make([]byte, 0, len(body)-len(label)+len("UTF-8"))
	out = append(out, body[:span[0]]...)
	out = append(out, "UTF-8"...)
	return append(out, body[span[1]:]...)
}

// isXMLSpace is the XML S production (XML 1.0, section 2.3).
func isXMLSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\n'
}
