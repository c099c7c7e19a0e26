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
// needs "drone") and a Bloom mask of its regions, so most candidates that
// cannot match are turned away without reading the subscription. Queries
// are compiled into one flat array of nodes, stored in subscription order,
// so evaluating one reads adjacent memory; one-word and two-word queries
// need no evaluation at all. A 128 KiB Bloom filter of the dictionary
// turns away the words of a story no query mentions before the map lookup.
// Subscriptions with an empty query are keyed under their regions, else
// their feeds, else match everything.
//
// The Index is immutable: With derives a new one (reusing the parsed
// queries), which callers swap in atomically; Match is safe for concurrent
// use and allocates only its result.
//
// # Figures
//
// Measured with
//
//	go test -run='^$' -bench='Match|NewIndex' -benchtime=10000x ./alerts/match
//
// on a 2-core machine shared with other work, over 10,000 generated stories
// of 1.6 KB (Zipf-distributed words, a few named entities each) and
// subscriptions written like people write them (see workload_test.go):
//
//   - 10 subscriptions: about 12-14 µs a story, no matches;
//   - 100,000 subscriptions: about 60-65 µs a story, with 88 matches a
//     story; the difference is about 0.55 µs per match produced (the
//     candidates turned away cost little), so the cost grows with the
//     alerts produced, not with the subscriptions held;
//   - building an index of 100,000 subscriptions: 0.56 s; deriving one
//     with 100 changes through With: 0.21 s.
package match
