package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/pipeline"
)

// storyJSON is one line of `vigil check --jsonl`; `vigil tag --jsonl` and
// `vigil match` read the same shape.
type storyJSON struct {
	ID        string    `json:"id"`
	Feed      string    `json:"feed"`
	Source    string    `json:"source,omitempty"`
	Title     string    `json:"title"`
	URL       string    `json:"url"`
	Published time.Time `json:"published"`
	Text      string    `json:"text"`
	Summary   string    `json:"summary,omitempty"`
	Cluster   string    `json:"cluster,omitempty"`
	Countries []string  `json:"countries,omitempty"`
	Regions   []string  `json:"regions,omitempty"`
	// Mentions and MentionRegions are every place named; Countries and
	// Regions only those the story is about.
	Mentions       []string `json:"mentions,omitempty"`
	MentionRegions []string `json:"mention_regions,omitempty"`
}

func toStoryJSON(s alerts.Story) storyJSON {
	return storyJSON{ID: s.ID, Feed: s.FeedURL, Source: s.Source, Title: s.Title, URL: s.URL, Published: s.Published.UTC(),
		Text: s.Text, Summary: s.Summary, Cluster: s.ClusterID, Countries: s.Countries, Regions: s.Regions,
		Mentions: s.Mentions, MentionRegions: s.MentionRegions}
}

func runCheck(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "check", "check --feed URL|FILE [--jsonl [--enrich]] [--config FILE]\n\n"+
		"Fetches a feed (or reads a saved one) and prints its stories. Without --jsonl it\n"+
		"shows each story as Vigil would alert it: places, summary and event cluster.\n"+
		"--jsonl prints one JSON object per story (id, feed, title, url, published, text)\n"+
		"for piping into 'vigil tag --jsonl' or 'vigil match'; add --enrich to include\n"+
		"summary, cluster, countries and regions.")
	source := fs.String("feed", "", "feed URL, or path of a saved feed file")
	jsonl := fs.Bool("jsonl", false, "print JSON lines instead of text")
	enrich := fs.Bool("enrich", false, "with --jsonl: also tag, summarise and cluster each story")
	configPath := fs.String("config", "", "config file for HTTP limits and operator regions (optional)")
	allowPrivate := fs.Bool("allow-private", false, "let the URL reach loopback and private addresses (for a feed on your own network)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, "give the feed with --feed URL or --feed FILE"); err != nil {
		return err
	}
	switch {
	case *source == "":
		return fmt.Errorf("%w: check needs --feed URL or --feed FILE", errUsage)
	case *enrich && !*jsonl:
		return fmt.Errorf("%w: check: --enrich adds fields to --jsonl output; without --jsonl the stories are always shown enriched", errUsage)
	}
	cfg, err := LoadConfig(*configPath, env.getenv)
	if err != nil {
		return err
	}
	cfg.HTTP.AllowPrivateAddresses = cfg.HTTP.AllowPrivateAddresses || *allowPrivate
	if err := checkDatabase(ctx, env, cfg); err != nil {
		return err
	}
	feedURL, body, err := readFeed(ctx, cfg, *source)
	if errors.Is(err, feed.ErrBlockedAddress) {
		return fmt.Errorf("%w; for a feed on your own network, run check with --allow-private", err)
	}
	if err != nil {
		return err
	}
	parsed, err := feed.Parse(feedURL, body, time.Now())
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(env.stdout, 64<<10)
	defer out.Flush()
	if *jsonl && !*enrich {
		// Oldest first, as the pipeline orders the other two modes, so
		// adding --enrich or dropping --jsonl never reorders the stories.
		stories := slices.Clone(parsed.Stories)
		slices.SortStableFunc(stories, func(a, b alerts.Story) int { return a.Published.Compare(b.Published) })
		return writeJSONL(out, stories)
	}
	e, err := newEngine(cfg, newLogger(cfg.Log, env.stderr))
	if err != nil {
		return err
	}
	// No store: every story is new, and none is matched (check has no
	// subscriptions); the point is to show what the pipeline makes of them.
	res, err := pipeline.New(pipeline.Config{Stages: withoutMatch(e.stages())}).Process(ctx, alerts.Feed{URL: feedURL, Primed: true}, parsed.Stories)
	if err != nil {
		return err
	}
	if *jsonl {
		return writeJSONL(out, res.Stories)
	}
	fmt.Fprintf(out, "%s: %s, %d stories\n\n", feedURL, orDash(parsed.Title), len(res.Stories))
	for _, s := range res.Stories {
		writeStory(out, e, s)
	}
	return nil
}

// withoutMatch drops the match stage: check has no subscriptions.
func withoutMatch(st pipeline.Stages) pipeline.Stages {
	st.Match = nil
	return st
}

func writeJSONL(w io.Writer, stories []alerts.Story) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, s := range stories {
		if err := enc.Encode(toStoryJSON(s)); err != nil {
			return fmt.Errorf("write story %s: %w", s.ID, err)
		}
	}
	return nil
}

// readFeed fetches source when it is an http(s) URL, else reads it as a
// file. A file's stories get a file:// feed URL so relative links and the
// source name still resolve.
func readFeed(ctx context.Context, cfg Config, source string) (string, []byte, error) {
	if u, err := url.Parse(source); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		resp, err := newFetcher(cfg, newLogger(cfg.Log, io.Discard)).Fetch(ctx, source, feed.Validators{})
		if err != nil {
			return "", nil, err
		}
		return source, resp.Body, nil
	}
	body, err := os.ReadFile(source)
	if err != nil {
		return "", nil, fmt.Errorf("read feed file: %w", err)
	}
	abs, err := filepath.Abs(source)
	if err != nil {
		return "", nil, fmt.Errorf("read feed file: %w", err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), body, nil
}

// writeStory prints one story as an operator reads it in a terminal.
func writeStory(w io.Writer, e *engine, s alerts.Story) {
	fmt.Fprintf(w, "● %s\n", s.Title)
	if s.URL != "" {
		fmt.Fprintf(w, "  %s\n", s.URL)
	}
	fmt.Fprintf(w, "  %s · %s\n", orDash(s.Source), s.Published.UTC().Format("2006-01-02 15:04 MST"))
	if places := e.placeNames(s); places != "" {
		fmt.Fprintf(w, "  places: %s\n", places)
	}
	if s.Summary != "" {
		fmt.Fprintf(w, "  summary: %s\n", indent(s.Summary, "           "))
	}
	if s.ClusterID != "" {
		fmt.Fprintf(w, "  cluster: %s\n", s.ClusterID)
	}
	fmt.Fprintln(w)
}

// placeNames renders the countries (with flags) and notable regions a
// story is about, most salient first, then the countries it only mentions.
func (e *engine) placeNames(s alerts.Story) string {
	var parts []string
	for _, c := range s.Countries {
		parts = append(parts, strings.TrimSpace(e.tagger.Flag(c)+" "+e.tagger.Name(c)))
	}
	for _, r := range e.tagger.Notable(s.Regions) {
		parts = append(parts, e.tagger.Name(r))
	}
	line := strings.Join(parts, ", ")
	var others []string
	for _, c := range without(s.Mentions, s.Countries) {
		others = append(others, e.tagger.Name(c))
	}
	if len(others) > 0 {
		line = strings.TrimPrefix(line+"; also mentions "+strings.Join(others, ", "), "; ")
	}
	return line
}

func indent(s, prefix string) string { return strings.ReplaceAll(s, "\n", "\n"+prefix) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
