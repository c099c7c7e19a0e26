package match

import (
	"cmp"
	"slices"
	"strings"

	"github.com/vigilbot/vigil/alerts"
)

// Explanation says why one subscription did or did not match one story:
// each test Match applies, with what passed and what failed.
type Explanation struct {
	SubscriptionID int64
	// Matched is the index's own verdict, from the same Match that
	// decides delivery; the fields below say why.
	Matched bool
	// Paused subscriptions match nothing.
	Paused bool
	// FeedOK: the subscription has no feeds, or the story's is one.
	FeedOK bool
	// Feeds are the subscription's feeds, empty for every feed.
	Feeds []string
	// RegionsOK: the subscription has no regions, or the story is about
	// one (with ScopeMentions: names one); RegionHit is the first found.
	RegionsOK bool
	RegionHit string
	// Regions and Scope are the subscription's, Scope always set.
	Regions []string
	Scope   string
	// OnlyMentioned are the subscription's regions that a focus-scoped
	// subscription missed because the story names them without being
	// about them: scope:mentions would have matched.
	OnlyMentioned []string
	// QueryOK: the query matches the story's title and text (an empty
	// query always does); Clauses say which parts held.
	QueryOK bool
	Clauses []Clause
}

// Clause is one of the parts of a query that must all hold: a word, a
// phrase, an alternative, a group, or an exclusion.
type Clause struct {
	// Text is the clause in canonical query form ("drone OR missile",
	// "-romania").
	Text string
	// Exclude is set for an exclusion, which holds when what it excludes
	// does not occur.
	Exclude bool
	// OK is whether the clause holds for the story.
	OK bool
	// Found and Missing are the clause's words and phrases that occur in
	// the story and those that do not, each once, in query order. For an
	// exclusion, Found is what blocked the story.
	Found, Missing []string
}

// Explain explains the subscription with this ID against the story; ok is
// false when the index holds no such subscription.
//
// Matched comes from Match itself, and the filters from the functions
// Match calls, so an explanation cannot disagree with delivery about the
// filters; the clauses are evaluated with Query.Matches' evaluator, which
// the fuzz target holds to the index's verdict.
func (ix *Index) Explain(s *alerts.Story, id int64) (e Explanation, ok bool) {
	i, found := slices.BinarySearchFunc(ix.subs, id, func(c compiledSub, id int64) int { return cmp.Compare(c.sub.ID, id) })
	if !found {
		return Explanation{}, false
	}
	matched := slices.ContainsFunc(ix.Match(s), func(m alerts.Match) bool { return m.SubscriptionID == id })
	return explain(&ix.subs[i], s, matched), true
}

// ExplainAll explains every subscription of the index against the story,
// in order of subscription ID, matching the story once.
func (ix *Index) ExplainAll(s *alerts.Story) []Explanation {
	ms := ix.Match(s)
	out := make([]Explanation, len(ix.subs))
	j := 0
	for i := range ix.subs {
		c := &ix.subs[i]
		// Both are in order of subscription ID.
		for j < len(ms) && ms[j].SubscriptionID < c.sub.ID {
			j++
		}
		out[i] = explain(c, s, j < len(ms) && ms[j].SubscriptionID == c.sub.ID)
	}
	return out
}

func explain(c *compiledSub, s *alerts.Story, matched bool) Explanation {
	e := Explanation{
		SubscriptionID: c.sub.ID,
		Matched:        matched,
		Paused:         c.sub.Paused,
		FeedOK:         c.feedAccepts(s),
		Feeds:          c.sub.Feeds,
		Regions:        c.sub.Regions,
		Scope:          cmp.Or(c.sub.Scope, alerts.ScopeFocus),
	}
	e.RegionHit, e.RegionsOK = c.regionHit(s)
	if !e.RegionsOK && e.Scope == alerts.ScopeFocus {
		for _, r := range c.sub.Regions {
			for _, list := range [...][]string{s.Mentions, s.MentionRegions} {
				if slices.ContainsFunc(list, func(have string) bool { return strings.EqualFold(have, strings.TrimSpace(r)) }) {
					e.OnlyMentioned = append(e.OnlyMentioned, r)
					break
				}
			}
		}
	}
	e.QueryOK = true
	if q := c.parsed(); !q.MatchAll() {
		d := newDoc(s.Title, s.Text)
		e.QueryOK = d.eval(q.root)
		e.Clauses = d.clauses(q.root)
	}
	return e
}

// clauses splits a query into the parts that must all hold and evaluates
// each.
func (d *doc) clauses(root *expr) []Clause {
	parts := []*expr{root}
	if root.kind == exprAnd {
		parts = root.kids
	}
	out := make([]Clause, len(parts))
	for i, p := range parts {
		var b strings.Builder
		writeExpr(&b, p, exprAnd)
		c := Clause{Text: b.String(), Exclude: p.kind == exprNot, OK: d.eval(p)}
		eachTerm(p, true, func(e *expr, t string) {
			if d.eval(e) {
				c.Found = append(c.Found, t)
			} else {
				c.Missing = append(c.Missing, t)
			}
		})
		out[i] = c
	}
	return out
}

// Reasons returns, in words for a server admin, each test the story
// failed, in the order Match applies them; none when it matched. name
// turns a region code into what to show ("RO" into "Romania"); nil shows
// codes.
func (e Explanation) Reasons(name func(code string) string) []string {
	if e.Matched {
		return nil
	}
	if name == nil {
		name = func(c string) string { return c }
	}
	names := func(codes []string) string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = name(c)
		}
		return strings.Join(out, ", ")
	}
	quoted := func(terms []string) string {
		out := make([]string, len(terms))
		for i, t := range terms {
			out[i] = `"` + t + `"`
		}
		return strings.Join(out, ", ")
	}
	var out []string
	if e.Paused {
		out = append(out, "the subscription is paused")
	}
	if !e.FeedOK {
		out = append(out, "the story is from another feed than the subscription's ("+strings.Join(e.Feeds, ", ")+")")
	}
	if !e.RegionsOK {
		switch {
		case e.Scope == alerts.ScopeMentions:
			out = append(out, "the story names none of "+names(e.Regions))
		case len(e.OnlyMentioned) > 0:
			out = append(out, "the story is not about "+names(e.Regions)+"; it only mentions "+names(e.OnlyMentioned)+" (scope mentions would match it)")
		default:
			out = append(out, "the story is not about "+names(e.Regions))
		}
	}
	for _, c := range e.Clauses {
		switch {
		case c.OK:
		case c.Exclude:
			out = append(out, "the story has "+quoted(c.Found)+", which the query excludes ("+c.Text+")")
		case len(c.Found) == 0 && len(c.Missing) > 1:
			out = append(out, "the story has none of "+quoted(c.Missing)+" ("+c.Text+")")
		case len(c.Found) == 0:
			out = append(out, "the story lacks "+quoted(c.Missing))
		default:
			// Some words occur but not together: a phrase's words apart,
			// or a group that needs more than occurs.
			out = append(out, "the story has "+quoted(c.Found)+" but not "+quoted(c.Missing)+" as "+c.Text+" needs")
		}
	}
	if len(out) == 0 {
		// Every test passed yet Match said no: say so rather than
		// invent a reason. The fuzz target makes this a bug, not a case.
		out = append(out, "every test passed but the index did not match; this is a bug in Vigil, please report it")
	}
	return out
}
