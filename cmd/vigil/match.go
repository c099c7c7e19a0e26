package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/geo"
	"github.com/vigilbot/vigil/alerts/match"
)

// runMatch reads stories as JSON lines and prints those that match the
// queries given, each with the subscriptions it matched.
func runMatch(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "match", `match --query QUERY [--region REGION]... [--scope focus|mentions] [--queries FILE] < stories.jsonl

Reads stories, one JSON object per line (id, feed, title, url, published,
text and optionally countries, regions, mentions and mention_regions, as
'vigil check --jsonl' and 'vigil tag --jsonl' print them), and prints each
story that matches with "matched" added: [{"subscription", "query",
"terms"}, ...]. A story with neither countries nor regions is tagged first.

Regions match the places a story is about (its focus); with --scope
mentions they match any place it names.

Queries use search-engine syntax: words are ANDed (AND may be written);
OR (or |) binds tighter than AND ("Hezbollah drone OR missile" needs
Hezbollah); "exact phrase"; -word, NOT word, -"phrase" and -(group)
exclude; parentheses group. Operators are upper case: "not", "and" and
"or" are words to look for, and a warning says so on stderr.

--queries FILE holds one query per line, optionally followed by a tab and
comma-separated regions (names, codes or slugs); blank lines and lines
starting with # are ignored. Each is named FILE:LINE in the output.

--explain prints every story, matched or not, with "explain": one entry
per query, saying whether it matched and why: each part of the query
("clauses", with the terms found and missing), the regions and scope, and
"reasons" in words for each test the story failed.`)
	query := fs.String("query", "", "a query to match stories against")
	var regions stringList
	fs.Var(&regions, "region", "with --query: only stories about this country or region (name, code or slug); repeatable")
	queriesPath := fs.String("queries", "", "a file of queries, one per line")
	scope := fs.String("scope", alerts.ScopeFocus, "which places regions match: focus (what a story is about) or mentions (any place it names)")
	explain := fs.Bool("explain", false, `print every story, with "explain": why each query matched it or not`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, "stories are read from stdin"); err != nil {
		return err
	}
	if *query == "" && *queriesPath == "" {
		return fmt.Errorf("%w: match: give --query or --queries", errUsage)
	}
	if *query == "" && len(regions) > 0 {
		return fmt.Errorf("%w: match: --region narrows --query; in --queries files put regions after a tab", errUsage)
	}

	if *scope != alerts.ScopeFocus && *scope != alerts.ScopeMentions {
		return fmt.Errorf("%w: match: --scope is %q; use focus (stories about the regions) or mentions (stories naming them at all)", errUsage, *scope)
	}
	tagger, err := geo.New()
	if err != nil {
		return fmt.Errorf("match: %w", err)
	}
	subs := matchSubscriptions{scope: *scope}
	if *query != "" {
		if err := match.Validate(*query); err != nil {
			return fmt.Errorf("%w: match: --query: %v", errUsage, err)
		}
		warnQuery(env.stderr, "--query", *query)
		codes, err := resolveRegions(tagger, regions)
		if err != nil {
			return fmt.Errorf("%w: match: --region: %v", errUsage, err)
		}
		subs.add("--query", *query, codes)
	}
	if *queriesPath != "" {
		if err := subs.load(tagger, *queriesPath, env.stderr); err != nil {
			return fmt.Errorf("match: %w", err)
		}
	}
	ix, err := match.NewIndex(subs.list)
	if err != nil {
		// Every query was validated above; this is a bug, not bad input.
		return fmt.Errorf("match: build index: %w", err)
	}

	out := bufio.NewWriter(env.stdout)
	err = transformJSONLines(ctx, "match", env.stdin, out, env.stderr, func(line []byte) (jsonObject, error) {
		return matchJSONLine(ix, tagger, &subs, line, *explain)
	})
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("match: write output: %w", ferr)
	}
	return err
}

// warnQuery prints to w what match.Lint finds in a query named where
// (--query, FILE:LINE): a valid query that probably does not mean what
// its writer thinks still runs, but not silently.
func warnQuery(w io.Writer, where, query string) {
	warnings, fix := match.Lint(query)
	for _, lw := range warnings {
		fmt.Fprintf(w, "vigil match: %s: warning: %s\n", where, lw)
	}
	if fix != "" {
		fmt.Fprintf(w, "vigil match: %s: did you mean: %s\n", where, fix)
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// matchSubscriptions are the queries of one run of vigil match, numbered
// from 1 in the order given, with the names printed for them.
type matchSubscriptions struct {
	list  []alerts.Subscription
	names []string // by ID-1
	scope string   // of every subscription's regions
}

func (m *matchSubscriptions) add(name, query string, regions []string) {
	m.list = append(m.list, alerts.Subscription{ID: int64(len(m.list) + 1), Query: query, Regions: regions, Scope: m.scope})
	m.names = append(m.names, name)
}

// load reads a file of queries: "query" or "query<TAB>region,region" per
// line, blank lines and # comments ignored. Errors name FILE:LINE.
func (m *matchSubscriptions) load(tagger *geo.Tagger, path string, warn io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read queries: %w", err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		where := fmt.Sprintf("%s:%d", path, i+1)
		line = strings.TrimRight(line, "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		query, regionList, _ := strings.Cut(line, "\t")
		if err := match.Validate(query); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		warnQuery(warn, where, query)
		if strings.TrimSpace(query) == "" && strings.TrimSpace(regionList) == "" {
			continue
		}
		var names []string
		for _, r := range strings.Split(regionList, ",") {
			if r = strings.TrimSpace(r); r != "" {
				names = append(names, r)
			}
		}
		codes, err := resolveRegions(tagger, names)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		m.add(where, strings.TrimSpace(query), codes)
	}
	return nil
}

// regionScope is how matchedJSON shows a subscription's scope: only when
// it has regions to match and matches mentions.
func regionScope(s alerts.Subscription) string {
	if len(s.Regions) > 0 && s.Scope == alerts.ScopeMentions {
		return s.Scope
	}
	return ""
}

// resolveRegions turns what a person typed for places ("Baltic states",
// "Ukraine", "UA", "sahel") into the codes and slugs stories are tagged
// with.
func resolveRegions(tagger *geo.Tagger, names []string) ([]string, error) {
	var codes []string
	for _, n := range names {
		code, ok := tagger.Resolve(n)
		if !ok {
			return nil, fmt.Errorf("unknown country or region %q", n)
		}
		codes = append(codes, code)
	}
	return codes, nil
}

// matchStory is the part of a story line vigil match reads; the rest of
// the line is passed through untouched.
type matchStory struct {
	ID             string   `json:"id"`
	Feed           string   `json:"feed"`
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	Countries      []string `json:"countries"`
	Regions        []string `json:"regions"`
	Mentions       []string `json:"mentions"`
	MentionRegions []string `json:"mention_regions"`
}

// matchedJSON is one entry of the "matched" list printed with a story.
type matchedJSON struct {
	Subscription string   `json:"subscription"`
	Query        string   `json:"query"`
	Regions      []string `json:"regions,omitempty"`
	Scope        string   `json:"scope,omitempty"`
	Terms        []string `json:"terms"`
}

func matchJSONLine(ix *match.Index, tagger *geo.Tagger, subs *matchSubscriptions, line []byte, explain bool) (jsonObject, error) {
	obj, err := decodeJSONObject(line)
	if err != nil {
		return nil, err
	}
	var st matchStory
	if err := json.Unmarshal(line, &st); err != nil {
		return nil, errors.New(describeJSONError(err))
	}
	story := alerts.Story{
		ID:             st.ID,
		FeedURL:        st.Feed,
		Title:          st.Title,
		Text:           st.Text,
		Countries:      st.Countries,
		Regions:        st.Regions,
		Mentions:       st.Mentions,
		MentionRegions: st.MentionRegions,
	}
	var tags *geo.Tags
	_, hasC := obj["countries"]
	_, hasR := obj["regions"]
	switch {
	case !hasC && !hasR:
		t := tagger.Tag(story.Title, story.Text)
		story.SetPlaces(places(t))
		tags = &t
	case st.Mentions == nil && st.MentionRegions == nil:
		// Tagged before places had a focus: every place was a mention.
		story.Mentions, story.MentionRegions = story.Countries, story.Regions
	}
	ms := ix.Match(&story)
	if len(ms) == 0 && !explain {
		return nil, nil
	}
	if explain {
		var err error
		if obj["explain"], err = json.Marshal(explainJSON(ix, tagger, subs, &story)); err != nil {
			return nil, fmt.Errorf("encode explanations: %w", err)
		}
	}
	matched := make([]matchedJSON, len(ms))
	for i, m := range ms {
		s := subs.list[m.SubscriptionID-1]
		matched[i] = matchedJSON{
			Subscription: subs.names[m.SubscriptionID-1],
			Query:        s.Query,
			Regions:      s.Regions,
			Scope:        regionScope(s),
			Terms:        nonNil(m.Terms),
		}
	}
	if obj["matched"], err = json.Marshal(matched); err != nil {
		return nil, fmt.Errorf("encode matches: %w", err)
	}
	if tags != nil {
		if err := setPlaces(obj, *tags); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// explanationJSON is one entry of the "explain" list --explain prints.
type explanationJSON struct {
	Subscription string       `json:"subscription"`
	Query        string       `json:"query"`
	Matched      bool         `json:"matched"`
	Clauses      []clauseJSON `json:"clauses,omitempty"`
	Regions      []string     `json:"regions,omitempty"`
	Scope        string       `json:"scope,omitempty"`
	RegionHit    string       `json:"region_hit,omitempty"`
	Reasons      []string     `json:"reasons,omitempty"`
}

// clauseJSON is one part of a query that must hold.
type clauseJSON struct {
	Clause  string   `json:"clause"`
	OK      bool     `json:"ok"`
	Found   []string `json:"found,omitempty"`
	Missing []string `json:"missing,omitempty"`
}

// explainJSON explains every query of the run against the story, through
// the index that decided the matches.
func explainJSON(ix *match.Index, tagger *geo.Tagger, subs *matchSubscriptions, story *alerts.Story) []explanationJSON {
	all := ix.ExplainAll(story)
	out := make([]explanationJSON, len(all))
	for i, e := range all {
		s := subs.list[e.SubscriptionID-1]
		ej := explanationJSON{
			Subscription: subs.names[e.SubscriptionID-1],
			Query:        s.Query,
			Matched:      e.Matched,
			Regions:      s.Regions,
			Scope:        regionScope(s),
			RegionHit:    e.RegionHit,
			Reasons:      e.Reasons(tagger.Name),
		}
		for _, c := range e.Clauses {
			ej.Clauses = append(ej.Clauses, clauseJSON{Clause: c.Text, OK: c.OK, Found: c.Found, Missing: c.Missing})
		}
		out[i] = ej
	}
	return out
}
