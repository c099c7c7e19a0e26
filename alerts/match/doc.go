// Package match is what a channel watches and whether a story is about it:
// the query language (Parse, Validate) and the Index that matches a story
// against every subscription at once.
//
// # Queries
//
// Queries follow search-engine habits; see Parse for the grammar. Two
// choices are worth knowing. OR binds tighter than the implicit AND, as in
// web search: "Hezbollah drone OR missile" needs Hezbollah and either
// weapon. And a query, or a parenthesised group, cannot be made only of
// exclusions, nor can an exclusion be an alternative of OR: both would
// match nearly every story, which is never what a person means, and could
// not be indexed.
//
// Words are compared after normalisation, identical for queries and
// stories: lower case, diacritics folded ("Türkiye" = "Turkiye"), a
// possessive "'s" dropped ("NATO's" = "NATO"), and a conservative English
// plural reduced ("drones" = "drone", "countries" = "country", but "us",
// "news", "crisis", "Hamas" and "ISIS" left alone). Punctuation separates
// words, so a phrase matches across it: "Al-Shabaab" = "Al Shabaab".
//
// # The index
//
// Matching is on whole normalised words, so the Index is an inverted
// index rather than an Aho-Corasick automaton: a story is tokenised once,
// each distinct word is looked up once, and only the subscriptions keyed
// under a word that occurs are evaluated. An automaton would scan the
// bytes once too, but would still need word-boundary checks, the same
// normalisation, and a separate step to evaluate AND, OR, NOT and phrases;
// the word lookup gives all of that for the cost of tokenising.
//
// Each subscription is keyed under as few, and as rare, words as can
// prove it might match: one per OR branch, the rarest required word of
// each AND (rarity estimated by wordCost, which needs no corpus), a
// phrase under its rarest word. Each posting carries a second word the
// subscription also needs ("Hezbollah drone" keyed under "hezbollah"
// needs "drone") and the mask of its regions (the 62 regions
// subscriptions filter on most have a bit each, so the test is exact for
// them), so most candidates that cannot match are turned away without
// reading the subscription, by a loop with no branch on the outcome; a
// posting that alone proves a match (a one-word or two-word query with
// no filters) is a match without evaluating anything. Each subscription
// is compiled into one block of nodes, its head (ID, channel, where its
// terms are) then its query in prefix order, and the blocks are laid out
// grouped by the word they are keyed under, so the candidates one word
// brings read neighbouring memory and a match is built from the block
// its evaluation already read. A 128 KiB Bloom filter of the dictionary
// (one 64-bit read a word) turns away the words of a story no query
// mentions; the others are looked up, after the story is read, in an
// open-addressed table whose slots hold short words inline and where
// the word's postings are. Where Match must read scattered memory (table
// slots, postings lists, candidates' blocks) it first reads all of it in
// a loop of independent reads, so that the cache misses overlap instead
// of queueing. Matches are put in order of subscription ID by one bucket
// pass on the IDs' top bits and an insertion sort, and their Terms are
// slices of one array built with the index, so that matching allocates
// nothing when the caller reuses its slice (AppendMatches), as the
// pipeline does for a poll's stories, but for the rare match whose terms
// that occur are not a run of the query's.
// Subscriptions with an empty query are keyed under their regions, else
// their feeds, else match everything.
//
// The Index is immutable: With derives a new one, which callers swap in
// atomically; Match is safe for concurrent use. The index keeps its
// queries compiled into its nodes, not their parse trees.
//
// # Figures
//
// Measured with
//
//	go test -run='^$' -bench='Match' -benchtime=20000x -count=5 ./alerts/match
//	go test -run='^$' -bench='NewIndex' -benchtime=3x ./alerts/match
//
// on a 2-core virtual machine shared with other work (the same code
// measures 10-20% apart from one minute to the next), over 10,000
// generated stories of 1.6 KB (Zipf-distributed words, a few named
// entities each) and subscriptions written like people write them (see
// workload_test.go). Both benchmarks append into a reused slice:
//
//   - 10 subscriptions: 11.5-12.5 µs a story alone (BenchmarkMatch), no
//     matches: this is tokenising 1.6 KB; 13-15 µs interleaved with the
//     large index (BenchmarkMatchRatio), whose work leaves the caches
//     colder, as a poll's fetching and tagging do in the bot;
//   - 100,000 subscriptions: 24-27 µs a story, with 88 matches a story:
//     1.8-1.9 times the cost of 10 interleaved, 2.0-2.1 times measured
//     alone. (Match allocates a slice per story, 7 KB of them here.)
//     Where the difference goes, from a CPU profile: looking up the 75
//     words a story shares with the dictionary, 2.5 µs; the 600 postings
//     of its 43 words, 1.5 µs; reading and evaluating the 88 candidates,
//     4 µs; sorting and writing the 88 matches, 2 µs; the rest is in
//     tokenising, which keeps those 75 words for lookup and reads a Bloom
//     filter that at 10 subscriptions is nearly empty, and cheaper. The
//     cost follows the matches produced, not the subscriptions held;
//   - building an index of 100,000 subscriptions: 0.45-0.56 s, 184 MB
//     allocated, 45 MB of it kept live (the live-MB metric; 81 MB while
//     the index kept each query's parse tree and grew its nodes by
//     appending); deriving one with 100 changes through With: 0.49-0.52 s.
package match
