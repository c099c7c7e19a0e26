package geo

import (
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// node is one word of a token trie; children are keyed by the lexicon id
// of their folded word. The root's children are Tagger.firstWord.
type node struct {
	children map[int32]*node
	// patterns end here; several differ only in the case their words need
	// ("NATO" and "Nato").
	patterns []*pattern
}

func (n *node) child(id int32) *node {
	if c, ok := n.children[id]; ok {
		return c
	}
	if n.children == nil {
		n.children = make(map[int32]*node)
	}
	c := &node{}
	n.children[id] = c
	return c
}

// pattern is a name as a sequence of words.
type pattern struct {
	// classes say, per word, which case the text must have.
	classes []uint8
	// targets are country indexes, then region indexes offset by the number
	// of countries; none means a phrase that is not a place.
	targets []int
	// person marks a one-word name that is also a given name.
	person bool
	// headline is set for an abbreviation that is also an English word.
	headline *headlineRule
	// homonym is one plus the index of the homonym rule whose ambiguous
	// name this is, 0 for none; cues has bit k set when the name is a cue
	// of rule k.
	homonym, cues uint8
	// role is what every mention by this name plays (see weakRoles), as
	// for an outlet named after its country.
	role uint16
}

// homonymRule is a country name that is also a place in another country
// ("Georgia" is a US state). A story that names other places of that kind
// there (cues: "Florida", "Michigan") and nothing else of the country
// means the other place.
type homonymRule struct {
	country, alt int32
}

// headlineRule says when an abbreviation that is also a word ("US") is a
// place in text written all in capitals.
type headlineRule struct {
	never    bool
	notAfter map[string]bool // "LET", "TELL", "WITH"...
}

// Word case classes: how a word of a name must be written in the text.
const (
	classLower uint8 = iota // any case: "states" in "Baltic states"
	classCap                // initial capital or all capitals: "Turkey"
	classUpper              // all capitals: "US", "DRC"
)

// matches reports whether toks[i:i+len(p.classes)] are written the way the
// pattern needs.
func (p *pattern) matches(seg string, toks []token, i int, allCaps bool) bool {
	if allCaps && p.headline != nil {
		if p.headline.never {
			return false
		}
		if i > 0 && p.headline.notAfter[seg[toks[i-1].start:toks[i-1].end]] {
			return false
		}
	}
	for k, c := range p.classes {
		tk := toks[i+k]
		switch c {
		case classCap:
			if tk.flags&firstUpper == 0 {
				return false
			}
		case classUpper:
			if tk.flags&hasLower != 0 || tk.flags&hasUpper == 0 {
				return false
			}
		}
	}
	return true
}

// token is one word of text: a run of letters, digits and combining marks.
type token struct {
	start, end int // byte offsets in the text
	// fstart and fend locate the folded word in the fold buffer when the
	// word has a non-ASCII character; an ASCII word is its own fold (see
	// foldsTo) and has fstart -1, so most words are never copied. They are
	// 32 bits to keep a token to 32 bytes (see maxTokenizedText).
	fstart, fend int32
	hash         uint32 // foldHash of the folded word
	flags        uint8
}

const (
	firstUpper uint8 = 1 << iota
	hasUpper
	hasLower
)

func (tk token) class() uint8 {
	switch {
	case tk.flags&hasUpper == 0:
		return classLower
	case tk.flags&hasLower == 0:
		return classUpper
	default:
		return classCap
	}
}

// nameLike reports whether a word looks like part of a proper name.
func (tk token) nameLike() bool {
	return tk.flags&firstUpper != 0 && tk.flags&hasLower != 0
}

// byteClass classifies bytes for the tokenizer: charNone separates words,
// charMulti starts (or continues) a multi-byte rune, to be decoded. The
// kinds of ASCII word bytes are single bits, so that a word's bytes can be
// ORed together and a byte tested with one comparison.
var byteClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = charLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = charUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = charDigit
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = charMulti
	}
	return t
}()

// Kinds of characters.
const (
	charNone  uint8 = 0
	charLower uint8 = 1
	charUpper uint8 = 2
	charDigit uint8 = 4 // and other word characters without case
	charMulti uint8 = 8
)

// asciiFoldBit lower-cases an ASCII letter and leaves a digit as it is:
// every ASCII word byte folds by setting it.
const asciiFoldBit = 0x20

// maxTokenizedText is how much of a text tokenize reads: folding at most
// doubles a word, so fold buffer offsets fit in 32 bits. A story is a
// millionth of it.
const maxTokenizedText = 1 << 30

// tokenize appends the words of s to buf, with each word's case flags and
// the hash of its fold (see foldToken, foldHash). A word with a non-ASCII
// character is also appended folded to *fold (when fold is not nil), and
// records where; ASCII words, most of any English text, are never copied.
func tokenize(s string, buf []token, fold *[]byte) []token {
	if len(s) > maxTokenizedText {
		s = s[:maxTokenizedText]
	}
	var f []byte
	if fold != nil {
		f = *fold
	}
	for i := 0; i < len(s); {
		kind := byteClass[s[i]]
		if kind == charNone {
			i++
			continue
		}
		if kind != charMulti && i+8 <= len(s) {
			// Most words are shorter than eight bytes, nearly all shorter
			// than sixteen: those are read here, a load of eight bytes at
			// a time (see asciiClasses), without a call; longer ones by
			// asciiWord, and any with a multi-byte character rune by rune
			// below. A stop is a byte that is no ASCII letter or digit;
			// keep marks the bytes before the first one.
			w := load64(s, i)
			up, low, word := asciiClasses(w)
			stop := ^word & highBits
			j, flags, ok := 0, uint8(0), false
			if stop != 0 && w>>(bits.TrailingZeros64(stop)&^7)&0x80 == 0 {
				keep := stop ^ (stop - 1)
				j, ok = i+bits.TrailingZeros64(stop)>>3, true
				// Without branches: whether a word is capitalised is
				// anybody's guess, and a wrong guess costs more than this.
				flags = kind/charUpper&1*firstUpper | nonZero(up&keep&word)*hasUpper | nonZero(low&keep&word)*hasLower
			} else if stop == 0 && i+16 <= len(s) {
				// Eight to fifteen bytes, most of the rest, read the same
				// way from the next eight: asciiWord's loop would
				// mispredict its exit.
				w2 := load64(s, i+8)
				up2, low2, word2 := asciiClasses(w2)
				if stop2 := ^word2 & highBits; stop2 != 0 && w2>>(bits.TrailingZeros64(stop2)&^7)&0x80 == 0 {
					keep2 := stop2 ^ (stop2 - 1)
					j, ok = i+8+bits.TrailingZeros64(stop2)>>3, true
					flags = kind/charUpper&1*firstUpper | nonZero(up&word|up2&keep2&word2)*hasUpper | nonZero(low&word|low2&keep2&word2)*hasLower
				} else if stop2 == 0 {
					j, flags, ok = asciiWord(s, i)
				}
			} else if stop == 0 {
				j, flags, ok = asciiWord(s, i)
			}
			if ok {
				var hash uint32
				if n := j - i; n < 8 {
					hash = mixFoldHash((w|fold8)&(1<<(8*n)-1), 0, n)
				} else {
					hash = mixFoldHash(w|fold8, load64(s, j-8)|fold8, n)
				}
				if len(buf) == cap(buf) {
					buf = slices.Grow(buf, 1)
				}
				buf = buf[:len(buf)+1]
				tk := &buf[len(buf)-1]
				tk.start, tk.end, tk.fstart, tk.fend, tk.hash, tk.flags = i, j, -1, -1, hash, flags
				// The word ended on a stop, an ASCII separator: no need to
				// look at it again.
				i = j + 1
				continue
			}
		}
		if kind == charMulti {
			r, size := utf8.DecodeRuneInString(s[i:])
			if kind = runeClass(r); kind == charNone {
				i += size
				continue
			}
		}
		// The word's fields are kept in registers and stored once: building
		// the token in place, a byte at a time, costs a stall on the copy.
		var flags, seen uint8 // seen: the kinds of the word's characters, ORed
		if kind == charUpper {
			flags = firstUpper
		}
		fstart, copied := int32(-1), 0 // copied: where the word is copied up to
		j := i
		for j < len(s) {
			k := byteClass[s[j]]
			if k-1 < charMulti-1 {
				seen |= k
				j++
				continue
			}
			if k == charNone {
				break
			}
			r, size := utf8.DecodeRuneInString(s[j:])
			if k = runeClass(r); k == charNone {
				break
			}
			if fstart < 0 {
				fstart, copied = int32(len(f)), i
			}
			for ; copied < j; copied++ {
				f = append(f, s[copied]|asciiFoldBit)
			}
			f = foldRune(f, r)
			seen |= k
			j += size
			copied = j
		}
		if seen&charUpper != 0 {
			flags |= hasUpper
		}
		if seen&charLower != 0 {
			flags |= hasLower
		}
		var hash uint32
		fend := int32(-1)
		if fstart >= 0 {
			for ; copied < j; copied++ {
				f = append(f, s[copied]|asciiFoldBit)
			}
			fend = int32(len(f))
			hash = foldHash(string(f[fstart:fend]))
		} else {
			hash = hashASCII(s, i, j)
		}
		// Stored field by field: appending a token literal builds it on
		// the stack and copies it, five times slower here.
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, 1)
		}
		buf = buf[:len(buf)+1]
		tk := &buf[len(buf)-1]
		tk.start, tk.end, tk.fstart, tk.fend, tk.hash, tk.flags = i, j, fstart, fend, hash, flags
		i = j
	}
	if fold != nil {
		*fold = f
	}
	return buf
}

// Masks of a byte's high bit, and of its low seven, in each of eight bytes
// read as one integer.
const (
	highBits  = 0x8080808080808080
	lowBits   = 0x7f7f7f7f7f7f7f7f
	onesBytes = 0x0101010101010101
	// fold8 folds eight ASCII word bytes at once (see asciiFoldBit).
	fold8 = onesBytes * asciiFoldBit
)

// asciiWord reads the word of letters and digits starting at s[i], a
// letter or digit, eight bytes at a time, and returns where it ends and its
// case flags. It needs eight bytes from i. ok is false when the word runs
// into a multi-byte character (which may be a letter, or a separator such
// as "’") or into the last bytes of s, too few to read eight at once; the
// caller then reads it rune by rune.
func asciiWord(s string, i int) (end int, flags uint8, ok bool) {
	var upper, lower uint64 // each byte's high bit marks an upper- or lower-case letter
	for j := i; j+8 <= len(s); j += 8 {
		w := load64(s, j)
		up, low, word := asciiClasses(w)
		if stop := ^word & highBits; stop != 0 {
			if w>>(bits.TrailingZeros64(stop)&^7)&0x80 != 0 {
				return 0, 0, false // a multi-byte character
			}
			keep := stop ^ (stop - 1) // the bytes before the first stop, and a bit of it
			upper |= up & keep & word
			lower |= low & keep & word
			end = j + bits.TrailingZeros64(stop)>>3
			if s[i] <= 'Z' && s[i] >= 'A' {
				flags = firstUpper
			}
			if upper != 0 {
				flags |= hasUpper
			}
			if lower != 0 {
				flags |= hasLower
			}
			return end, flags, true
		}
		upper |= up & word
		lower |= low & word
	}
	return 0, 0, false
}

// asciiClasses marks, with its high bit, each byte of w that is an
// upper-case ASCII letter (up), a lower-case one (low), and any ASCII
// letter or digit (word; up and low may mark bytes of multi-byte
// characters too, which word never does).
func asciiClasses(w uint64) (up, low, word uint64) {
	x := w & lowBits
	// A byte b of x is at least c when b + (0x80 - c) has its high bit
	// set, and more than c when b + (0x7f - c) has: seven-bit bytes plus
	// at most 0x80 carry into no neighbour.
	up = (x + onesBytes*(0x80-'A')) &^ (x + onesBytes*(0x7f-'Z'))
	low = (x + onesBytes*(0x80-'a')) &^ (x + onesBytes*(0x7f-'z'))
	digit := (x + onesBytes*(0x80-'0')) &^ (x + onesBytes*(0x7f-'9'))
	return up, low, (up | low | digit) &^ w & highBits
}

// nonZero is 1 when v is not 0, else 0, without a branch: v | -v has its
// top bit set for any v but 0.
func nonZero(v uint64) uint8 { return uint8((v | -v) >> 63) }

// runeClass is the kind of word character a non-ASCII rune is.
func runeClass(r rune) uint8 {
	switch {
	case unicode.IsUpper(r):
		return charUpper
	case unicode.IsLower(r):
		return charLower
	case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mn, r):
		return charDigit
	}
	return charNone
}

// foldToken appends word lower-cased and stripped of diacritics to dst, so
// that "Türkiye", "Turkiye" and "TÜRKIYE" share one trie path.
func foldToken(dst []byte, word string) []byte {
	for i := 0; i < len(word); {
		c := word[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(word[i:])
		i += size
		dst = foldRune(dst, r)
	}
	return dst
}

// foldRune appends r lower-cased without diacritics; combining marks vanish.
func foldRune(dst []byte, r rune) []byte {
	if unicode.Is(unicode.Mn, r) {
		return dst
	}
	r = unicode.ToLower(r)
	if f, ok := foldMap[r]; ok {
		r = f
	}
	return utf8.AppendRune(dst, r)
}

// foldMap strips the diacritics found in place names written in Latin script.
var foldMap = func() map[rune]rune {
	m := make(map[rune]rune)
	for base, accented := range map[rune]string{
		'a': "àáâãäåāăą", 'c': "çćĉċč", 'd': "ďđ", 'e': "èéêëēĕėęě", 'g': "ĝğġģ",
		'h': "ĥħ", 'i': "ìíîïĩīĭįı", 'j': "ĵ", 'k': "ķ", 'l': "ĺļľŀł", 'n': "ñńņňŉ",
		'o': "òóôõöøōŏő", 'r': "ŕŗř", 's': "śŝşšș", 't': "ţťŧț", 'u': "ùúûüũūŭůűų",
		'w': "ŵ", 'y': "ýÿŷ", 'z': "źżž",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// Limits of what may stand between two words of one name.
const (
	// maxJoin is the longest separator inside a name: ", " in "Atlanta,
	// Georgia", ". " in "U.S. Virgin Islands".
	maxJoin = 3
	// maxAbbrevLen is the longest word after which a full stop does not end
	// the name: "U.S.", "St. Petersburg".
	maxAbbrevLen = 2
)

// joinable reports whether two consecutive words may belong to one name.
func joinable(s string, prev, cur token) bool {
	sep := s[prev.end:cur.start]
	if len(sep) > maxJoin {
		return false
	}
	for i := 0; i < len(sep); i++ {
		switch sep[i] {
		case '\n', '\r', '!', '?', ';', ':', '"', '/', '|':
			return false
		case '.':
			if prev.end-prev.start > maxAbbrevLen {
				return false
			}
		}
	}
	return true
}

// scan is the state of one Tag call.
type scan struct {
	toks []token
	fold []byte
	// starts are the indexes in toks of the words that may start a name.
	starts []int32
	// mentions are the names found, in text order: title first.
	mentions []mention
	score    []float32 // per target: salience, see salience.go
	first    []int32   // per target: offset of its first mention, -1 none
	named    []bool    // per target: a region named in the text
	lone     []bool    // per target: named only in a dateline, among other places
	focus    []bool    // per target: in the focus set
	all      []bool    // per target: mentioned, implied or brought along
	touched  []int32   // the targets with all set, in the order reached
	order    []int32   // targets, for sorting by salience
	// homonymAt are the mentions made by a homonym, to settle once the
	// whole story is read; cued and countered have bit k set when a cue of
	// rule k, or another name of its country, was found.
	homonymAt       []homonymMention
	cued, countered uint8

	// evidence is, per target, where its mentions stand and what they do
	// there: what the focus is decided from (see salience.go).
	evidence []evidence
}

type homonymMention struct {
	mention int // index in mentions
	rule    uint8
}

var scanPool = sync.Pool{New: func() any { return new(scan) }}

// maxPooledText is the largest text whose buffers go back to the pool, so
// that one huge story does not keep its buffers alive for ever: ten times a
// long article.
const maxPooledText = 256 << 10

// Tag returns the countries and regions that a story's title and text are
// about (Countries, Regions) and every one they name (Mentions,
// MentionRegions). It reads each once.
func (t *Tagger) Tag(title, text string) Tags {
	s := scanPool.Get().(*scan)
	if len(title)+len(text) <= maxPooledText {
		defer scanPool.Put(s)
	}
	s.mentions = s.mentions[:0]
	s.homonymAt, s.cued, s.countered = s.homonymAt[:0], 0, 0
	t.scanSegment(s, title, segTitle, 0)
	t.scanSegment(s, text, segText, int32(len(title))+1)
	t.settleHomonyms(s)
	return t.collect(s)
}

// Segments of a story.
const (
	segTitle = iota
	segText
)

func (t *Tagger) scanSegment(s *scan, seg string, kind int, base int32) {
	s.fold = s.fold[:0]
	s.toks = tokenize(seg, s.toks[:0], &s.fold)
	// One pass counts the words' cases and lists the words that may start
	// a name, the only ones the trie walk below starts from. It has no
	// branch: a word is written to the list and kept by adding its filter
	// bit to the list's length, so the quarter of words that pass cost no
	// mispredicted jump.
	if cap(s.starts) < len(s.toks) {
		s.starts = make([]int32, len(s.toks))
	}
	starts := s.starts[:len(s.toks)]
	var upper, lower, long, longCap, nStarts int
	for i := range s.toks {
		tk := &s.toks[i]
		upper += int(tk.flags / hasUpper & 1)
		lower += int(tk.flags / hasLower & 1)
		isLong := int(^uint(tk.end-tk.start-4) >> (bits.UintSize - 1)) // length >= 4
		long += isLong
		longCap += isLong & int(tk.flags&firstUpper)
		starts[nStarts] = int32(i)
		nStarts += int(t.lex.startBit(tk.hash))
	}
	// Headlines set in capitals: almost no word has a lower-case letter.
	allCaps := upper >= 3 && lower*10 <= upper
	// Headlines in title case: most long words are capitalised, so a
	// capitalised neighbour says nothing about a person's name.
	titleCase := long >= 4 && longCap*5 >= long*4

	pos := newPositions(seg, s.toks, kind, allCaps)
	toks := s.toks
	// "FLORENCE, Ala., March 3 -" is a reporter in Alabama, not in Italy:
	// a state after the dateline's city says which country the city is in.
	usDateline := pos.datelineEnd > 0 && usStateAfter(seg[toks[pos.datelineEnd-1].end:])
	if usDateline {
		s.mentions = append(s.mentions, mention{target: int32(t.byCode["US"]), at: base + int32(toks[0].start), end: base + int32(toks[pos.datelineEnd-1].end), where: inDateline})
	}
	// next is the first word not yet part of a name found.
	for c, next := 0, 0; c < nStarts; c++ {
		i := int(starts[c])
		if i < next {
			continue
		}
		var best *pattern
		end := -1
		var n *node
		if id := t.lex.find(seg, s.fold, &toks[i]); id >= 0 {
			n = t.firstWord[id]
		}
		for j := i; n != nil; {
			for _, p := range n.patterns {
				if p.matches(seg, toks, i, allCaps) {
					best, end = p, j
					break
				}
			}
			j++
			// Most names are one word and end here: "Russia and" need not
			// look "and" up.
			if len(n.children) == 0 || j == len(toks) || !joinable(seg, toks[j-1], toks[j]) {
				break
			}
			if !t.lex.mayHave(toks[j].hash) {
				break
			}
			id := t.lex.find(seg, s.fold, &toks[j])
			if id < 0 {
				break
			}
			n = n.children[id]
		}
		if best == nil {
			continue
		}
		next = end + 1
		if usDateline && i < pos.datelineEnd {
			continue
		}
		if len(best.targets) > 0 && !streetAfter(seg, toks, end) && (!best.person || allCaps || !t.isPerson(seg, toks, i, titleCase)) {
			where := pos.of(seg, toks, i, end) | t.role(seg, toks, i, end, allCaps, titleCase) | best.role
			for _, target := range best.targets {
				t.noteHomonyms(s, best, int32(target))
				s.mentions = append(s.mentions, mention{target: int32(target), at: base + int32(toks[i].start), end: base + int32(toks[end].end), where: where})
			}
			s.cued |= best.cues
		}
	}
}

// noteHomonyms records what the mention of target by p, about to be
// appended, says for the homonym rules.
func (t *Tagger) noteHomonyms(s *scan, p *pattern, target int32) {
	for k, h := range t.homonyms {
		if target != h.country {
			continue
		}
		if p.homonym == uint8(k+1) {
			s.homonymAt = append(s.homonymAt, homonymMention{mention: len(s.mentions), rule: uint8(k)})
		} else {
			s.countered |= 1 << k
		}
	}
}

// settleHomonyms moves a homonym's mentions to the other country when the
// story cued it and named nothing else of the first.
func (t *Tagger) settleHomonyms(s *scan) {
	for _, hm := range s.homonymAt {
		bit := uint8(1) << hm.rule
		if s.cued&bit != 0 && s.countered&bit == 0 {
			s.mentions[hm.mention].target = t.homonyms[hm.rule].alt
		}
	}
}

// isPerson reports whether the one-word name at toks[i] stands next to
// another capitalised name, as in "Michael Jordan" or "Jordan Peterson".
func (t *Tagger) isPerson(seg string, toks []token, i int, titleCase bool) bool {
	if i > 0 {
		p := &toks[i-1]
		if seg[p.end:toks[i].start] == " " && p.nameLike() && !t.nonPersonPrev.has(p, seg[p.start:p.end]) && !sentenceStart(seg, toks, i-1) {
			return true
		}
	}
	if i+1 < len(toks) && !titleCase {
		n := &toks[i+1]
		if seg[toks[i].end:n.start] == " " && n.nameLike() && !t.nonPersonNext.has(n, seg[n.start:n.end]) {
			return true
		}
	}
	return false
}

// streetWords after a place name make it a street's: "Grenada Street",
// "Moscow Road".
var streetWords = newWordSet("Street", "Road", "Avenue", "Boulevard", "Lane")

// streetAfter reports whether the name ending at toks[end] names a street.
func streetAfter(seg string, toks []token, end int) bool {
	if end+1 >= len(toks) {
		return false
	}
	next := &toks[end+1]
	return seg[toks[end].end:next.start] == " " && streetWords.has(next, seg[next.start:next.end])
}

// sentenceStart reports whether toks[i] begins a sentence, where a capital
// says nothing about the word.
func sentenceStart(seg string, toks []token, i int) bool {
	from := 0
	if i > 0 {
		from = toks[i-1].end
	}
	sep := strings.TrimRight(seg[from:toks[i].start], " \t\"'“‘(")
	if sep == "" {
		return i == 0
	}
	switch sep[len(sep)-1] {
	case '.', '!', '?', ':', '\n', '\r':
		return true
	}
	return false
}

// usStates are the United States' states as wire datelines write them
// after a city: AP abbreviations, and the names AP style leaves whole.
var usStates = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Fields(`Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ill. Ind. Kan. Kans.
		Ky. La. Md. Mass. Mich. Minn. Miss. Mo. Mont. Neb. Nebr. Nev. N.H. N.J. N.M. N.Y.
		N.C. N.D. Okla. Ore. Pa. Penn. R.I. S.C. S.D. Tenn. Tex. Vt. Va. Wash. W.Va.
		Wis. Wisc. Wyo. Alaska Hawaii Idaho Iowa Maine Ohio Texas Utah D.C.`) {
		m[s] = true
	}
	return m
}()

// usStateAfter reports whether rest, the text after a dateline's city,
// opens with a US state: ", Ala., March 3 -", ", N.Y. -".
func usStateAfter(rest string) bool {
	rest, ok := strings.CutPrefix(rest, ", ")
	if !ok {
		return false
	}
	if i := strings.IndexAny(rest, ", ("); i >= 0 {
		rest = rest[:i]
	}
	return usStates[rest]
}
