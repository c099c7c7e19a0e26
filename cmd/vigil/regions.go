package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"
)

// runRegions lists every region a subscription can name: slug, name,
// member countries, and the older slugs still accepted for it.
func runRegions(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "regions", `regions [--config FILE]

Lists every region: its slug (what /watch add, /briefing set and
vigil match --region take), its name and its member countries. Seas,
straits and forums are tagged only when a story names them; their
"countries" are the states around them or the members. Older slugs of a
region are still accepted and shown after "was".`)
	configPath := fs.String("config", "", "config file whose [[regions]] add to the built-in ones (optional)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, ""); err != nil {
		return err
	}
	tagger, err := newTagTagger(*configPath, env)
	if err != nil {
		return err
	}
	infos := tagger.RegionInfos()
	width := 0
	for _, r := range infos {
		width = max(width, len(r.Slug))
	}
	out := bufio.NewWriter(env.stdout)
	for _, r := range infos {
		name := r.Name
		if r.NamedOnly {
			name += " (when named)"
		}
		if len(r.OldSlugs) > 0 {
			name += " (was " + strings.Join(r.OldSlugs, ", ") + ")"
		}
		fmt.Fprintf(out, "%-*s  %s: %s\n", width, r.Slug, name, orDash(strings.Join(r.Countries, " ")))
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("regions: write output: %w", err)
	}
	return nil
}
