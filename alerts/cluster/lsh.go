package cluster

// lshIndex holds the remembered stories' LSH buckets. A bucket is a chain
// of nodes in one slice, newest first, and a story is named by its slot in
// another: a story's band costs an 8-byte node, and a bucket a 12-byte map
// slot. A map of slices of pointers, a 32-byte slot and a small slice of
// its own per bucket, held half the Clusterer's memory (BenchmarkAssign*'s
// live-B/story).
type lshIndex struct {
	heads    map[uint32]bucket // by band key
	nodes    []lshNode
	freeNode int32 // first free node, chained through next; -1 for none
	slots    []*entry
	free     []int32 // free slots
}

type bucket struct {
	head int32 // the newest node
	len  int32
}

type lshNode struct {
	slot int32 // the story's slot
	next int32 // the next older node of the bucket; -1 ends it
}

func newLSHIndex() lshIndex {
	return lshIndex{heads: map[uint32]bucket{}, freeNode: -1}
}

// add puts e in the bucket of each of its bands, each cut to its newest
// maxBucket stories.
func (x *lshIndex) add(e *entry) {
	if !e.banded {
		return
	}
	if n := len(x.free); n > 0 {
		e.slot = x.free[n-1]
		x.free = x.free[:n-1]
		x.slots[e.slot] = e
	} else {
		e.slot = int32(len(x.slots))
		x.slots = append(x.slots, e)
	}
	for _, k := range e.bands {
		b, ok := x.heads[k]
		if !ok {
			b.head = -1
		}
		b.head = x.newNode(e.slot, b.head)
		b.len++
		if b.len > maxBucket {
			// The oldest story leaves the bucket; it stays remembered,
			// only not found through this band.
			n := b.head
			for range maxBucket - 1 {
				n = x.nodes[n].next
			}
			x.freeChain(x.nodes[n].next)
			x.nodes[n].next = -1
			b.len = maxBucket
		}
		x.heads[k] = b
	}
}

// remove takes e out of every bucket that still holds it.
func (x *lshIndex) remove(e *entry) {
	if !e.banded {
		return
	}
	for _, k := range e.bands {
		b, ok := x.heads[k]
		if !ok {
			continue
		}
		prev := int32(-1)
		for n := b.head; n >= 0; prev, n = n, x.nodes[n].next {
			if x.nodes[n].slot != e.slot {
				continue
			}
			next := x.nodes[n].next
			if prev >= 0 {
				x.nodes[prev].next = next
			} else {
				b.head = next
			}
			if b.len--; b.len == 0 {
				delete(x.heads, k)
			} else {
				x.heads[k] = b
			}
			x.nodes[n] = lshNode{slot: -1, next: x.freeNode}
			x.freeNode = n
			break
		}
	}
	x.slots[e.slot] = nil
	x.free = append(x.free, e.slot)
}

func (x *lshIndex) newNode(slot, next int32) int32 {
	if n := x.freeNode; n >= 0 {
		x.freeNode = x.nodes[n].next
		x.nodes[n] = lshNode{slot: slot, next: next}
		return n
	}
	x.nodes = append(x.nodes, lshNode{slot: slot, next: next})
	return int32(len(x.nodes) - 1)
}

// freeChain gives back the nodes from n to the end of its chain.
func (x *lshIndex) freeChain(n int32) {
	for n >= 0 {
		next := x.nodes[n].next
		x.nodes[n] = lshNode{slot: -1, next: x.freeNode}
		x.freeNode = n
		n = next
	}
}
