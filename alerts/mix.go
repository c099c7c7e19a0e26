package alerts

// SplitMix64 is SplitMix64's finaliser: a cheap, well-spread 64-bit
// permutation. FNV and similar string hashes leave keys that differ only in
// their last bytes too alike; this spreads them (MinHash families,
// rendezvous scores).
func SplitMix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
