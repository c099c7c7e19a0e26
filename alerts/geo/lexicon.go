package geo

import (
	"math/bits"
	"strings"
)

// lexicon numbers every folded word that appears in a gazetteer name, so
// that the trie is walked by small integers instead of strings. A story's
// words are looked up by the hash the tokenizer computes while it reads
// them: most words of a text are in no name and fall out on an empty slot,
// without a string being built or compared.
//
// Tag's cost is per word of text: on the seed story (testdata/seed-story.txt,
// 3.2 kB, 488 words) it fell from about 33 to 27 µs of CPU with the
// lexicon, the tokenizer's hashing and its 32-byte tokens. Then, BenchmarkTag
// at -cpu 1 went from 33 to 18 µs a call (95 to 180 MB/s, medians of five
// 2 s runs, old and new in turn on a shared 2-core machine, December 2026),
// from 393k to 227k instructions and 3,400 to 1,400 mispredicted branches
// (cachegrind), and from 7 allocations to 1, with: cue words looked up by
// fold hash (wordSet); a filter of the words that start a name, so that
// the trie walk starts from a quarter of the words; ASCII words read eight
// bytes at a time, their case flags set without branches; words of the
// lexicon compared packed; the tag lists cut from one array, sorted by
// comparing each key only on a tie. What is left is mostly the tokenizer,
// about a third, whose cost is a branch on each word's length and end;
// then the trie walk, the roles of the names found and scoring.
// Measure with `go test -bench 'Tag$' -run X -count 5 -benchtime 2s ./alerts/geo`.
//
// The table is open addressing with linear probing, at most half full. It
// is larger than a core's first-level cache, so a filter small enough to
// stay there (one bit per hash, a few kilobytes) answers for most absent
// words first.
type lexicon struct {
	filter []uint64
	// starts is a filter like filter of the words that start a name: the
	// commonest words of a text that some name has ("and", "of", "states")
	// start none, and are turned away where a name would begin without a
	// look-up.
	starts []uint64
	slots  []lexSlot
	mask   uint32
	words  []string // folded words, by id
	packed []packedWord
	ids    map[string]int32
}

// lexSlot holds a word's id plus one, so that the zero slot is empty.
type lexSlot struct {
	hash uint32
	id1  int32
}

// foldHash hashes a folded word from its length and its first and last
// eight bytes, read as two integers: no loop over the word, and an ASCII
// word of a text hashes in place, its bytes folded by setting asciiFoldBit
// in all eight at once (see hashASCII).
func foldHash(folded string) uint32 {
	n := len(folded)
	if n >= 8 {
		return mixFoldHash(load64(folded, 0), load64(folded, n-8), n)
	}
	var lo uint64
	for i := n - 1; i >= 0; i-- {
		lo = lo<<8 | uint64(folded[i])
	}
	return mixFoldHash(lo, 0, n)
}

// hashASCII is foldHash of the fold of the ASCII word s[start:end].
func hashASCII(s string, start, end int) uint32 {
	n := end - start
	if n >= 8 {
		return mixFoldHash(load64(s, start)|fold8, load64(s, end-8)|fold8, n)
	}
	if start+8 <= len(s) {
		// Read past the word, then keep only its n bytes.
		return mixFoldHash((load64(s, start)|fold8)&(1<<(8*n)-1), 0, n)
	}
	var lo uint64
	for i := end - 1; i >= start; i-- {
		lo = lo<<8 | uint64(s[i]|asciiFoldBit)
	}
	return mixFoldHash(lo, 0, n)
}

func mixFoldHash(lo, hi uint64, n int) uint32 {
	h := (lo ^ uint64(n)<<59) * 0x9e3779b97f4a7c15
	h ^= hi * 0xc2b2ae3d27d4eb4f
	h ^= h >> 29
	h *= 0x94d049bb133111eb
	return uint32(h >> 32)
}

// load64 reads eight bytes of s from i, little-endian. Cut to eight bytes
// first, s needs one bounds check and the compiler makes the rest one
// load; indexed from i (with "_ = s[i+7]"), it read the bytes one by one,
// each checked, wherever it was inlined.
func load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// id returns the id of a folded word, adding it while the trie is built.
func (l *lexicon) id(word string) int32 {
	if id, ok := l.ids[word]; ok {
		return id
	}
	if l.ids == nil {
		l.ids = make(map[string]int32)
	}
	id := int32(len(l.words))
	l.ids[word] = id
	l.words = append(l.words, word)
	return id
}

// freeze builds the hash table once every word is in.
func (l *lexicon) freeze() {
	size := 1 << bits.Len(uint(2*len(l.words)))
	l.slots = make([]lexSlot, size)
	l.mask = uint32(size - 1)
	for id, w := range l.words {
		h := foldHash(w)
		k := h & l.mask
		for l.slots[k].id1 != 0 {
			k = (k + 1) & l.mask
		}
		l.slots[k] = lexSlot{hash: h, id1: int32(id) + 1}
	}
	l.filter = make([]uint64, filterWords)
	for _, w := range l.words {
		setFilter(l.filter, foldHash(w))
	}
	l.starts = make([]uint64, filterWords)
	l.packed = make([]packedWord, len(l.words))
	for id, w := range l.words {
		l.packed[id] = packWord(w)
	}
	l.ids = nil
}

// markStart records that the word id starts a name, for mayStart.
func (l *lexicon) markStart(id int32) {
	setFilter(l.starts, foldHash(l.words[id]))
}

// filterWords sizes the filter: 32,768 bits keep it to one in ten or so
// absent words passing with the built-in gazetteer's 2,700 words, in 4 KiB.
const filterWords = 512 // a power of two

// mayHave reports whether the word with this hash may be in the lexicon;
// false is certain.
func (l *lexicon) mayHave(hash uint32) bool {
	return l.filter[hash>>17&(filterWords-1)]&(1<<(hash>>26&63)) != 0
}

// mayStart reports whether the word with this hash may start a name;
// false is certain.
func (l *lexicon) mayStart(hash uint32) bool { return l.startBit(hash) != 0 }

// startBit is mayStart as 1 or 0, for counting without a branch.
func (l *lexicon) startBit(hash uint32) uint64 {
	return l.starts[hash>>17&(filterWords-1)] >> (hash >> 26 & 63) & 1
}

// setFilter sets a filter's bit for a hash; mayHave and mayStart test it.
// The filters read hash bits above the ones the table's index uses (at
// most 16 with any realistic gazetteer) so that the two tests are apart.
func setFilter(filter []uint64, h uint32) {
	filter[h>>17&(filterWords-1)] |= 1 << (h >> 26 & 63)
}

// find returns the id of the word tk of seg, or -1 when no name has it.
// Callers test mayHave first, inlined, and call find only for the few
// words it lets through.
func (l *lexicon) find(seg string, fold []byte, tk *token) int32 {
	for k := tk.hash & l.mask; ; k = (k + 1) & l.mask {
		sl := l.slots[k]
		if sl.id1 == 0 {
			return -1
		}
		if sl.hash == tk.hash && l.is(seg, fold, tk, sl.id1-1) {
			return sl.id1 - 1
		}
	}
}

// packedWord is a word of the lexicon as integers, so that an ASCII word
// of a text is compared with it in two loads: a loop over its bytes
// mispredicted its exit on most words found.
type packedWord struct {
	// head and tail are its first and last eight bytes, little-endian
	// (the same for a word of eight); head is zero-padded, and tail 0,
	// for a word of fewer.
	head, tail uint64
	n          int
}

func packWord(w string) packedWord {
	var pw packedWord
	pw.n = len(w)
	for i := min(len(w), 8) - 1; i >= 0; i-- {
		pw.head = pw.head<<8 | uint64(w[i])
	}
	if len(w) >= 8 {
		for i := len(w) - 1; i >= len(w)-8; i-- {
			pw.tail = pw.tail<<8 | uint64(w[i])
		}
	}
	return pw
}

// maxPackedCompare is the longest word compared packed: head and tail
// cover it whole.
const maxPackedCompare = 16

// is reports whether the word tk of seg is the word id, as tk.foldsTo
// would of its text.
func (l *lexicon) is(seg string, fold []byte, tk *token, id int32) bool {
	n := tk.end - tk.start
	if tk.fstart >= 0 || n > maxPackedCompare || tk.start+8 > len(seg) {
		return tk.foldsTo(seg, fold, l.words[id])
	}
	pw := &l.packed[id]
	// Branch-free on the length: the first eight bytes masked to the word
	// (all eight from eight on: a shift by 64 or more is 0), the last
	// eight counted only from eight on, as hashASCII reads them.
	long := -uint64((n + 8) >> 4) // all ones for 8 to 16 bytes, else 0
	head := (load64(seg, tk.start) | fold8) & (uint64(1)<<(8*n) - 1)
	tail := (load64(seg, tk.start+max(n-8, 0)) | fold8) & long
	return n == pw.n && head == pw.head && tail == pw.tail
}

// foldsTo reports whether the word tk of seg folds to word. An ASCII word
// is compared in place: its letters and digits fold by setting bit 0x20.
func (tk *token) foldsTo(seg string, fold []byte, word string) bool {
	if tk.fstart >= 0 {
		return string(fold[tk.fstart:tk.fend]) == word
	}
	if tk.end-tk.start != len(word) {
		return false
	}
	for k := 0; k < len(word); k++ {
		if seg[tk.start+k]|0x20 != word[k] {
			return false
		}
	}
	return true
}

// wordSet is a set of words that the words around a name are checked
// against (cue words: "said", "owned", "embassy"). It answers from the
// token's fold hash first, which the tokenizer has already computed: a
// filter of 1,024 bits turns away almost every word of a text
// without a string being lowered or hashed, and only a word that passes is
// looked up. A word in the set always passes, since any spelling of it that
// the set holds (or lowers to one it holds) folds to the same word.
type wordSet struct {
	filter [wordSetFilterWords]uint64
	words  map[string]bool
}

// wordSetFilterWords sizes a wordSet's filter: 1,024 bits, two of them
// set per word, let through one absent word in thirty or so for the
// largest set (about a hundred words) and almost none for the rest. With
// one bit per word, "to" and "might" shared theirs, and a third of every
// text's words were looked up for modals.
const wordSetFilterWords = 16

func newWordSet(words ...string) *wordSet {
	ws := &wordSet{words: make(map[string]bool, len(words))}
	for _, w := range words {
		ws.words[w] = true
		h := foldHash(string(foldToken(nil, w)))
		ws.filter[h>>28] |= 1 << (h >> 22 & 63)
		ws.filter[h>>18&15] |= 1 << (h >> 12 & 63)
	}
	return ws
}

// mayHave reports whether a word with this fold hash may be in the set;
// false is certain. It tests two bits, from the hash's top ten and the ten
// below them.
func (ws *wordSet) mayHave(hash uint32) bool {
	return ws.filter[hash>>28]&(1<<(hash>>22&63)) != 0 && ws.filter[hash>>18&15]&(1<<(hash>>12&63)) != 0
}

// has reports whether word, the text of tk, is in the set as written.
func (ws *wordSet) has(tk *token, word string) bool {
	return ws.mayHave(tk.hash) && ws.words[word]
}

// hasLower reports whether word, the text of tk, is in the set once
// lower-cased, as strings.ToLower lowers it; the set's words are in lower
// case.
func (ws *wordSet) hasLower(tk *token, word string) bool {
	return ws.mayHave(tk.hash) && ws.words[strings.ToLower(word)]
}
