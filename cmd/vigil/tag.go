package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vigilbot/vigil/alerts/geo"
)

// Limits of what vigil tag reads.
const (
	// maxTagText bounds plain text read from stdin, for the same reason.
	maxTagText = 16 << 20
)

// runTag prints the countries and regions a text is about, or adds them to
// JSON lines.
func runTag(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "tag", `tag [--title TITLE] [--config FILE] "TEXT"...
       vigil tag --jsonl [--config FILE] < stories.jsonl

Prints the countries (ISO 3166-1 alpha-2 code and name) and regions (slug
and name) a text is about, most salient first, then the other places it
only mentions. With no TEXT, the text is read from stdin.

With --jsonl, reads one JSON object per line with "title" and "text" and
writes each back with the places it is about, "countries" (codes) and
"regions" (slugs), and every place it names, "mentions" and
"mention_regions", each most salient first; other fields are kept. A line that is not a JSON object is
reported on stderr with its number and skipped; vigil then exits non-zero.`)
	jsonl := fs.Bool("jsonl", false, "read JSON objects, one per line, on stdin and write them back tagged")
	title := fs.String("title", "", "the story's title, tagged with the text")
	configPath := fs.String("config", "", "config file whose [[regions]] add to the built-in ones (optional)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *jsonl && (fs.NArg() > 0 || *title != "") {
		return fmt.Errorf("%w: tag: --jsonl reads stdin and takes neither TEXT nor --title", errUsage)
	}
	tagger, err := newTagTagger(*configPath, env)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(env.stdout)
	if *jsonl {
		err = transformJSONLines(ctx, "tag", env.stdin, out, env.stderr, func(line []byte) (jsonObject, error) {
			return tagJSONLine(tagger, line)
		})
	} else {
		err = tagText(tagger, *title, fs.Args(), env.stdin, out)
	}
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("tag: write output: %w", ferr)
	}
	return err
}

// newTagTagger builds the tagger with the operator's regions when a config
// file is given.
func newTagTagger(configPath string, env *cliEnv) (*geo.Tagger, error) {
	var extra []geo.RegionDef
	if configPath != "" {
		cfg, err := LoadConfig(configPath, env.getenv)
		if err != nil {
			return nil, err
		}
		extra = regionDefs(cfg)
	}
	tagger, err := geo.New(extra...)
	if err != nil {
		return nil, fmt.Errorf("tag: %w", err)
	}
	return tagger, nil
}

func tagText(tagger *geo.Tagger, title string, args []string, stdin io.Reader, out io.Writer) error {
	text := strings.Join(args, " ")
	if len(args) == 0 {
		b, err := io.ReadAll(io.LimitReader(stdin, maxTagText+1))
		if err != nil {
			return fmt.Errorf("tag: read stdin: %w", err)
		}
		if len(b) > maxTagText {
			return fmt.Errorf("tag: stdin is larger than %d bytes", maxTagText)
		}
		text = string(b)
	}
	tags := tagger.Tag(title, text)
	fmt.Fprintln(out, "About (most salient first):")
	printPlaces(out, tagger, tags.Countries, tags.Regions)
	if others, otherRegions := without(tags.Mentions, tags.Countries), without(tags.MentionRegions, tags.Regions); len(others)+len(otherRegions) > 0 {
		fmt.Fprintln(out, "Also mentions:")
		printPlaces(out, tagger, others, otherRegions)
	}
	return nil
}

// printPlaces lists countries (code, flag, name), then regions (slug, name),
// one a line.
func printPlaces(out io.Writer, tagger *geo.Tagger, countries, regions []string) {
	if len(countries)+len(regions) == 0 {
		fmt.Fprintln(out, "  (none)")
	}
	width := 2
	for _, r := range regions {
		width = max(width, len(r))
	}
	for _, c := range countries {
		fmt.Fprintf(out, "  %-*s  %s %s\n", width, c, tagger.Flag(c), tagger.Name(c))
	}
	for _, r := range regions {
		fmt.Fprintf(out, "  %-*s  %s\n", width, r, tagger.Name(r))
	}
}

// without returns the items of list that are not in drop, in order.
func without(list, drop []string) []string {
	var out []string
	for _, x := range list {
		if !slices.Contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

func tagJSONLine(tagger *geo.Tagger, line []byte) (jsonObject, error) {
	obj, err := decodeJSONObject(line)
	if err != nil {
		return nil, err
	}
	var fields [2]string
	for i, key := range []string{"title", "text"} {
		raw, ok := obj[key]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, &fields[i]); err != nil {
			var typ *json.UnmarshalTypeError
			if errors.As(err, &typ) {
				return nil, fmt.Errorf("field %q is %s, not a string", key, jsonKind(typ.Value))
			}
			return nil, fmt.Errorf("field %q is not a string", key)
		}
	}
	if err := setPlaces(obj, tagger.Tag(fields[0], fields[1])); err != nil {
		return nil, err
	}
	return obj, nil
}

// setPlaces writes a story's places into its JSON line: "countries" and
// "regions" are the focus, "mentions" and "mention_regions" every place
// named, each most salient first.
func setPlaces(obj jsonObject, tags geo.Tags) error {
	for key, list := range map[string][]string{
		"countries": tags.Countries, "regions": tags.Regions,
		"mentions": tags.Mentions, "mention_regions": tags.MentionRegions,
	} {
		raw, err := json.Marshal(nonNil(list))
		if err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
		obj[key] = raw
	}
	return nil
}
