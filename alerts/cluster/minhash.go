package cluster

import (
	"hash/fnv"

	"github.com/vigilbot/vigil/alerts"
)

const (
	// bands and rows shape the LSH: a story becomes a candidate when all
	// rows of any one band agree, with probability 1-(1-J^rows)^bands for
	// term-set Jaccard J. With 40 bands of 2 rows a paraphrase at J = 0.2 is
	// found 80% of the time and at J = 0.3 97%, while unrelated stories
	// (J < 0.05) almost never meet. The confirming similarity does the rest.
	bands   = 40
	rows    = 2
	nHashes = bands * rows
)

// signature is the MinHash signature of a story's title and lead terms.
// Names count twice (a second, salted copy of the term), as in the
// confirming similarity, so that two reports naming the same places and
// people collide more readily than two sharing only verbs.
func signature(f *features) [nHashes]uint64 {
	var sig [nHashes]uint64
	for i := range sig {
		sig[i] = ^uint64(0)
	}
	add := func(h uint64) {
		for i := range sig {
			if v := mix(h + uint64(i)*0x9e3779b97f4a7c15); v < sig[i] {
				sig[i] = v
			}
		}
	}
	for i, h := range f.all.ids {
		add(h)
		if f.all.w[i] >= entityWeight {
			add(mix(h ^ 0x5bd1e9955bd1e995))
		}
	}
	return sig
}

// bandKeys hashes each band of the signature, with its band number, into
// one bucket key. A story without terms has no keys (ok false) and meets
// nothing through LSH. 32 bits suffice: two bands that collide only make a
// candidate the confirming similarity then turns down.
func bandKeys(sig [nHashes]uint64) (keys [bands]uint32, ok bool) {
	if sig[0] == ^uint64(0) {
		return keys, false
	}
	for b := range keys {
		k := mix(uint64(b) + 1)
		for r := 0; r < rows; r++ {
			k = mix(k ^ sig[b*rows+r])
		}
		keys[b] = uint32(k >> 32)
	}
	return keys, true
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// mix derives the family of MinHash functions from one string hash.
func mix(x uint64) uint64 { return alerts.SplitMix64(x) }
