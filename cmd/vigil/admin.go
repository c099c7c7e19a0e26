package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/geo"
	"github.com/vigilbot/vigil/alerts/match"
	"github.com/vigilbot/vigil/alerts/opml"
	"github.com/vigilbot/vigil/storage"
)

// The headless admin commands change the same database `vigil run` uses,
// under the same rules as the slash commands (the feed address guard, the
// query parser, the per-server caps, feed ownership). A running service
// reads feeds and subscriptions from the database every reloadEvery, so
// their changes take effect without a restart.

// adminCreator is recorded as the creator of subscriptions added from the
// command line; it is not a Discord user, so nobody is pinged about them.
const adminCreator = ""

// adminFlags are the flags every admin command shares.
type adminFlags struct {
	config *string
}

func addAdminFlags(fs *flag.FlagSet) adminFlags {
	return adminFlags{config: fs.String("config", "", "config file naming the database (default $VIGIL_CONFIG, else ./vigil.toml if present)")}
}

// open loads the config and opens its database. Only commands that add
// something (create) may create the database, so that an operator can set
// Vigil up before its first run; one that reads, pointed at the wrong
// path, must not leave an empty database behind and report "nothing".
func (a adminFlags) open(ctx context.Context, env *cliEnv, create bool) (Config, *storage.DB, error) {
	cfg, err := LoadConfig(resolveConfigPath(*a.config, env.getenv), env.getenv)
	if err != nil {
		return Config{}, nil, err
	}
	if !cfg.Storage.isFile() {
		// A server's database exists before vigil; only its tables are
		// vigil's to create.
		err = nil
	} else {
		_, err = os.Stat(cfg.Storage.Path)
	}
	switch {
	case errors.Is(err, os.ErrNotExist) && create:
		if _, err := os.Stat(filepath.Dir(cfg.Storage.Path)); err != nil {
			return Config{}, nil, fmt.Errorf("cannot create the database %s: its directory: %w", cfg.Storage.Path, err)
		}
	case errors.Is(err, os.ErrNotExist):
		return Config{}, nil, fmt.Errorf("no database at %s: add a feed with 'vigil feeds add' or start 'vigil run' to create it, or give the config that names it with --config", cfg.Storage.Path)
	case err != nil:
		return Config{}, nil, fmt.Errorf("database %s: %w", cfg.Storage.Path, err)
	}
	db, err := cfg.Storage.open(ctx, storage.WithLimits(cfg.Limits.limits()))
	if err != nil {
		return Config{}, nil, err
	}
	return cfg, db, nil
}

// parseInterleaved parses flags given before, between or after positional
// arguments (`feeds add URL --guild ID` as well as `feeds add --guild ID
// URL`), which Go's flag package alone stops at, and returns the positional
// arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// subcommand is one command of a group such as `vigil feeds`.
type subcommand struct {
	name string
	run  func(context.Context, *cliEnv, []string) error
}

// runSubcommand dispatches `vigil <group> <sub> ...`. The group's help is
// every subcommand's help, so one -h shows all the flags.
func runSubcommand(ctx context.Context, env *cliEnv, group string, args []string, subs []subcommand) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: %s: say what to do: %s", errUsage, group, strings.Join(names, ", "))
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(env.stdout, "Usage: vigil %s <%s> [flags]\n", group, strings.Join(names, "|"))
		for _, s := range subs {
			fmt.Fprintln(env.stdout)
			s.run(ctx, env, []string{"-h"})
		}
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, env, args[1:])
		}
	}
	return fmt.Errorf("%w: %s: unknown command %q; use one of %s", errUsage, group, args[0], strings.Join(names, ", "))
}

func runFeeds(ctx context.Context, env *cliEnv, args []string) error {
	return runSubcommand(ctx, env, "feeds", args, []subcommand{
		{"add", runFeedsAdd}, {"list", runFeedsList}, {"remove", runFeedsRemove}, {"import", runFeedsImport}, {"export", runFeedsExport},
	})
}

func runWatch(ctx context.Context, env *cliEnv, args []string) error {
	return runSubcommand(ctx, env, "watch", args, []subcommand{
		{"add", runWatchAdd}, {"list", runWatchList}, {"remove", runWatchRemove},
	})
}

// guildFlag is the Discord server a feed or subscription belongs to.
func guildFlag(fs *flag.FlagSet) *string {
	return fs.String("guild", "", "the Discord server's ID (Developer Mode: right-click the server, Copy Server ID)")
}

// checkSnowflake refuses what cannot be a Discord ID, before it is stored
// under a server nobody has.
func checkSnowflake(name, flagName, v string) error {
	if v == "" {
		return fmt.Errorf("%w: %s: --%s is required", errUsage, name, flagName)
	}
	if _, err := strconv.ParseUint(v, 10, 64); err != nil || len(v) < 15 || len(v) > 20 {
		return fmt.Errorf("%w: %s: --%s %q is not a Discord ID (a number of 17 to 20 digits; turn on Developer Mode and use Copy ID)", errUsage, name, flagName, v)
	}
	return nil
}

// operatorFeedsHint explains why a feed cannot be added for every server.
const operatorFeedsHint = "feeds shared by every server are the config's [[feeds]]"

func runFeedsAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "feeds add", "feeds add --guild ID [--title T] [--category C] URL...\n\n"+
		"Adds feeds for one Discord server, as /feeds add does. A running Vigil\n"+
		"polls them within seconds.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	title := fs.String("title", "", "what the server calls the feed (kept for OPML export)")
	category := fs.String("category", "", "the folder the feed is filed in, for OPML export (\"Defence/Europe\")")
	urls, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(urls) == 0 {
		return fmt.Errorf("%w: feeds add: give at least one feed URL", errUsage)
	}
	if *guild == "" {
		return fmt.Errorf("%w: feeds add: --guild is required; %s", errUsage, operatorFeedsHint)
	}
	if err := checkSnowflake("feeds add", "guild", *guild); err != nil {
		return err
	}
	if (*title != "" || *category != "") && len(urls) > 1 {
		return fmt.Errorf("%w: feeds add: --title and --category name one feed; give one URL with them", errUsage)
	}
	cfg, db, err := af.open(ctx, env, true)
	if err != nil {
		return err
	}
	defer db.Close()
	var feeds []opml.Feed
	for _, u := range urls {
		feeds = append(feeds, opml.Feed{URL: u, Title: *title, Category: *category})
	}
	return addFeeds(ctx, env, cfg, db, *guild, feeds)
}

// addFeeds adds feeds for a server and reports each. It goes on past a
// refused feed, so one bad line of an import does not lose the rest, and
// fails at the end if any was refused.
func addFeeds(ctx context.Context, env *cliEnv, cfg Config, db *storage.DB, guild string, feeds []opml.Feed) error {
	validate := feedURLValidator(cfg)
	var added, had, refused int
	private := false
	for _, f := range feeds {
		if err := validate(f.URL); err != nil {
			refused++
			private = private || errors.Is(err, errNotPublic)
			fmt.Fprintf(env.stderr, "refused %s: %v\n", feed.RedactURL(f.URL), err)
			continue
		}
		ok, err := db.AddGuildFeed(ctx, guild, alerts.Feed{URL: f.URL})
		if err != nil {
			var le *alerts.LimitError
			if errors.As(err, &le) {
				refused++
				fmt.Fprintf(env.stderr, "refused %s: %v\n", feed.RedactURL(f.URL), le)
				continue
			}
			return err
		}
		if f.Title != "" || f.SiteURL != "" || f.Category != "" {
			if err := db.SetFeedLabel(ctx, guild, f.URL, storage.FeedLabel{Title: f.Title, SiteURL: f.SiteURL, Category: f.Category}); err != nil {
				return err
			}
		}
		if ok {
			added++
			fmt.Fprintf(env.stdout, "added %s\n", feed.RedactURL(f.URL))
		} else {
			had++
			fmt.Fprintf(env.stdout, "already there: %s\n", feed.RedactURL(f.URL))
		}
	}
	fmt.Fprintf(env.stdout, "%d added, %d already there, %d refused, for server %s.", added, had, refused, guild)
	if added > 0 {
		fmt.Fprint(env.stdout, " A running Vigil polls new feeds within seconds; their current stories are recorded without alerting.")
	}
	fmt.Fprintln(env.stdout)
	if private {
		fmt.Fprintln(env.stderr, "Feeds on private, loopback or link-local addresses are refused so that a server's members cannot reach the operator's network; "+
			"the operator can allow some with allowed_networks, or all with allow_private_addresses = true, in the config's [http] section.")
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d feeds refused (see above)", refused, len(feeds))
	}
	return nil
}

func runFeedsList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "feeds list", "feeds list [--guild ID]\n\n"+
		"Lists the feeds Vigil polls (or those one server can use) with their health.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	if rest, err := parseInterleaved(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: feeds list: unexpected argument %q", errUsage, rest[0])
	}
	if *guild != "" {
		if err := checkSnowflake("feeds list", "guild", *guild); err != nil {
			return err
		}
	}
	_, db, err := af.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer db.Close()
	// Until a feed is polled, the server's own name for it is all there
	// is.
	feeds, labels, err := listedFeeds(ctx, db, *guild, false)
	if err != nil {
		return err
	}
	for i, f := range feeds {
		if f.Title == "" {
			feeds[i].Title = labels[f.URL].Title
		}
	}
	if len(feeds) == 0 {
		fmt.Fprintln(env.stdout, "No feeds. Add some with 'vigil feeds add --guild ID URL' or [[feeds]] in the config.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tTITLE\tFOR\tLAST POLL\tSTATUS")
	for _, f := range feeds {
		// URLs may carry credentials; a listing is often pasted into a
		// ticket, so it shows them as the logs do.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", feed.RedactURL(f.URL), orDash(f.Title), owners(f.Owners), pollTime(f.LastPollAt), feedStatus(f))
	}
	return tw.Flush()
}

func owners(list []string) string {
	var out []string
	for _, o := range list {
		if o == alerts.Operator {
			out = append(out, "config")
		} else {
			out = append(out, o)
		}
	}
	return orDash(strings.Join(out, ","))
}

func pollTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func feedStatus(f alerts.Feed) string {
	switch {
	case f.LastPollAt.IsZero():
		return "waiting for its first poll"
	case f.ConsecutiveFailures > 0:
		return fmt.Sprintf("failing (%d in a row): %s", f.ConsecutiveFailures, f.LastError)
	default:
		return fmt.Sprintf("ok, %d items", f.LastItemCount)
	}
}

// listedFeeds are the feeds a listing shows: every feed, or with a guild
// the feeds that server can use (only its own with ownOnly), and how the
// server names and files them.
func listedFeeds(ctx context.Context, db *storage.DB, guild string, ownOnly bool) ([]alerts.Feed, map[string]storage.FeedLabel, error) {
	if guild == "" {
		feeds, err := db.Feeds(ctx)
		return feeds, map[string]storage.FeedLabel{}, err
	}
	feeds, err := db.GuildFeeds(ctx, guild)
	if err != nil {
		return nil, nil, err
	}
	if ownOnly {
		feeds = slices.DeleteFunc(feeds, func(f alerts.Feed) bool { return !slices.Contains(f.Owners, guild) })
	}
	labels, err := db.FeedLabels(ctx, guild)
	if err != nil {
		return nil, nil, err
	}
	return feeds, labels, nil
}

func runFeedsRemove(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "feeds remove", "feeds remove --guild ID URL...\n\n"+
		"Removes feeds a server added, as /feeds remove does; subscriptions that\n"+
		"named only them end.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	urls, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(urls) == 0 {
		return fmt.Errorf("%w: feeds remove: give at least one feed URL", errUsage)
	}
	if *guild == "" {
		return fmt.Errorf("%w: feeds remove: --guild is required; %s, so remove those there", errUsage, operatorFeedsHint)
	}
	if err := checkSnowflake("feeds remove", "guild", *guild); err != nil {
		return err
	}
	_, db, err := af.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, u := range urls {
		ended, err := db.RemoveGuildFeed(ctx, *guild, u)
		if errors.Is(err, alerts.ErrNotFound) {
			return fmt.Errorf("server %s did not add %s ('vigil feeds list --guild %s' shows its feeds; %s)", *guild, u, *guild, operatorFeedsHint)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "removed %s\n", u)
		for _, s := range ended {
			what := "ended"
			if len(s.Feeds) > 1 {
				what = "now covers its other feeds only"
			}
			fmt.Fprintf(env.stdout, "  subscription %d in channel %s %s\n", s.ID, s.ChannelID, what)
		}
	}
	return nil
}

func runFeedsImport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "feeds import", "feeds import --guild ID FILE.opml\n\n"+
		"Adds every feed of an OPML file (a feed reader's export; - reads stdin) for\n"+
		"one server, keeping titles and folders for export.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: feeds import: give one OPML file (or - for stdin)", errUsage)
	}
	if *guild == "" {
		return fmt.Errorf("%w: feeds import: --guild is required; %s", errUsage, operatorFeedsHint)
	}
	if err := checkSnowflake("feeds import", "guild", *guild); err != nil {
		return err
	}
	var in io.Reader = env.stdin
	if files[0] != "-" {
		f, err := os.Open(files[0])
		if err != nil {
			return fmt.Errorf("feeds import: %w", err)
		}
		defer f.Close()
		in = f
	}
	feeds, err := opml.Parse(in)
	if err != nil {
		return fmt.Errorf("feeds import %s: %w", files[0], err)
	}
	if len(feeds) == 0 {
		return fmt.Errorf("feeds import %s: the file lists no feeds (no outline has an xmlUrl)", files[0])
	}
	cfg, db, err := af.open(ctx, env, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return addFeeds(ctx, env, cfg, db, *guild, feeds)
}

func runFeedsExport(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "feeds export", "feeds export [--guild ID] > feeds.opml\n\n"+
		"Writes the feeds (or one server's) as OPML 2.0, for feed readers.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	if rest, err := parseInterleaved(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: feeds export: unexpected argument %q; the OPML goes to stdout", errUsage, rest[0])
	}
	if *guild != "" {
		if err := checkSnowflake("feeds export", "guild", *guild); err != nil {
			return err
		}
	}
	_, db, err := af.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer db.Close()
	// The server's own feeds only: the config's shared ones are not its to
	// take elsewhere, and importing them back would count them against its
	// cap.
	feeds, labels, err := listedFeeds(ctx, db, *guild, true)
	if err != nil {
		return err
	}
	title := "Vigil feeds"
	if *guild != "" {
		title = "Vigil feeds of server " + *guild
	}
	out := make([]opml.Feed, 0, len(feeds))
	for _, f := range feeds {
		l := labels[f.URL]
		name := l.Title
		if name == "" {
			name = f.Title
		}
		out = append(out, opml.Feed{URL: f.URL, Title: name, SiteURL: l.SiteURL, Category: l.Category})
	}
	// Folders first, then by name: the order readers list them in, and
	// the same database always exports the same file but for its date.
	slices.SortStableFunc(out, func(a, b opml.Feed) int {
		if c := strings.Compare(a.Category, b.Category); c != 0 {
			if a.Category == "" {
				return 1
			}
			if b.Category == "" {
				return -1
			}
			return c
		}
		return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	})
	return opml.Write(env.stdout, title, time.Now(), out)
}

func runWatchAdd(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "watch add", "watch add --guild ID --channel ID [--query Q] [--region R] [--scope focus|mentions] [--feed URL]\n\n"+
		"Subscribes a channel, as /watch add does. Give a query, a region or a feed.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	channel := fs.String("channel", "", "the channel's ID (Developer Mode: right-click the channel, Copy Channel ID)")
	query := fs.String("query", "", `what stories must say, e.g. 'drone AND (Poland OR Romania) NOT exercise'`)
	var regions stringList
	fs.Var(&regions, "region", "only stories about this country or region (name, code or slug); repeatable")
	scope := fs.String("scope", alerts.ScopeFocus, "which places regions match: focus (what a story is about) or mentions (any place it names)")
	feedURL := fs.String("feed", "", "only stories from this feed (one the server can use)")
	if rest, err := parseInterleaved(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: watch add: unexpected argument %q; put the query in --query '...'", errUsage, rest[0])
	}
	if err := checkSnowflake("watch add", "guild", *guild); err != nil {
		return err
	}
	if err := checkSnowflake("watch add", "channel", *channel); err != nil {
		return err
	}
	if *query == "" && len(regions) == 0 && *feedURL == "" {
		return fmt.Errorf("%w: watch add: give --query, --region or --feed (or several) so the channel isn't sent every story", errUsage)
	}
	if *query != "" {
		if err := match.Validate(*query); err != nil {
			return fmt.Errorf("%w: watch add: --query: %v", errUsage, err)
		}
	}
	if *scope != alerts.ScopeFocus && *scope != alerts.ScopeMentions {
		return fmt.Errorf("%w: watch add: --scope is %q; use focus (stories about the regions) or mentions (stories naming them at all)", errUsage, *scope)
	}
	cfg, db, err := af.open(ctx, env, true)
	if err != nil {
		return err
	}
	defer db.Close()
	var codes []string
	if len(regions) > 0 {
		// The config's own [[regions]] count, as they do for /watch add.
		tagger, err := geo.New(regionDefs(cfg)...)
		if err != nil {
			return fmt.Errorf("watch add: %w", err)
		}
		if codes, err = resolveRegions(tagger, regions); err != nil {
			return fmt.Errorf("%w: watch add: --region: %v ('vigil regions' lists them)", errUsage, err)
		}
	}
	var feeds []string
	if *feedURL != "" {
		known, err := db.GuildFeeds(ctx, *guild)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(known, func(f alerts.Feed) bool { return f.URL == *feedURL }) {
			return fmt.Errorf("server %s has no feed %s: add it first with 'vigil feeds add --guild %s %s'", *guild, *feedURL, *guild, *feedURL)
		}
		feeds = []string{*feedURL}
	}
	sub, err := db.AddSubscription(ctx, alerts.Subscription{
		GuildID: *guild, ChannelID: *channel, Query: *query, Regions: codes, Scope: *scope, Feeds: feeds,
	}, adminCreator)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "subscription %d: channel %s watches %s. A running Vigil picks it up within seconds; if it may not post in the channel, it holds the channel's alerts and says so in its log.\n",
		sub.ID, sub.ChannelID, describeSubscription(sub))
	return nil
}

// describeSubscription is a subscription in a line, as the CLI lists it.
func describeSubscription(s alerts.Subscription) string {
	var parts []string
	if s.Query != "" {
		parts = append(parts, strconv.Quote(s.Query))
	}
	if len(s.Regions) > 0 {
		r := "about " + strings.Join(s.Regions, ", ")
		if s.Scope == alerts.ScopeMentions {
			r = "naming " + strings.Join(s.Regions, ", ") + " (any mention)"
		}
		parts = append(parts, r)
	}
	if len(s.Feeds) > 0 {
		parts = append(parts, "from "+strings.Join(s.Feeds, ", "))
	}
	if s.Paused {
		parts = append(parts, "(paused)")
	}
	return strings.Join(parts, " ")
}

func runWatchList(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "watch list", "watch list [--channel ID | --guild ID]\n\n"+
		"Lists subscriptions: every one, a server's or a channel's.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	channel := fs.String("channel", "", "only this channel's subscriptions")
	if rest, err := parseInterleaved(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: watch list: unexpected argument %q", errUsage, rest[0])
	}
	if *guild != "" && *channel != "" {
		return fmt.Errorf("%w: watch list: give --guild or --channel, not both", errUsage)
	}
	for name, v := range map[string]string{"guild": *guild, "channel": *channel} {
		if v != "" {
			if err := checkSnowflake("watch list", name, v); err != nil {
				return err
			}
		}
	}
	_, db, err := af.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer db.Close()
	subs, err := db.Subscriptions(ctx, *channel)
	if err != nil {
		return err
	}
	if *guild != "" {
		subs = slices.DeleteFunc(subs, func(s alerts.Subscription) bool { return s.GuildID != *guild })
	}
	if len(subs) == 0 {
		fmt.Fprintln(env.stdout, "No subscriptions. Add one with 'vigil watch add --guild ID --channel ID --query ...' or /watch add.")
		return nil
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVER\tCHANNEL\tWATCHES")
	for _, s := range subs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.ID, s.GuildID, s.ChannelID, describeSubscription(s))
	}
	return tw.Flush()
}

func runWatchRemove(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "watch remove", "watch remove --channel ID SUBSCRIPTION_ID...\n\n"+
		"Ends subscriptions of a channel ('vigil watch list' shows their IDs).")
	af := addAdminFlags(fs)
	channel := fs.String("channel", "", "the channel the subscriptions belong to")
	ids, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := checkSnowflake("watch remove", "channel", *channel); err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("%w: watch remove: give the subscription IDs to end ('vigil watch list --channel %s' shows them)", errUsage, *channel)
	}
	var nums []int64
	for _, s := range ids {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: watch remove: %q is not a subscription ID (a number 'vigil watch list' shows)", errUsage, s)
		}
		nums = append(nums, n)
	}
	_, db, err := af.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, n := range nums {
		if err := db.RemoveSubscription(ctx, *channel, n); err != nil {
			if errors.Is(err, alerts.ErrNotFound) {
				return fmt.Errorf("channel %s has no subscription %d ('vigil watch list --channel %s' shows its subscriptions)", *channel, n, *channel)
			}
			return err
		}
		fmt.Fprintf(env.stdout, "removed subscription %d\n", n)
	}
	return nil
}

func runRecent(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "recent", "recent [--limit N] [--since 48h] [--guild ID] [--feed URL] [--query Q]\n\n"+
		"Lists stored stories, newest first.")
	af := addAdminFlags(fs)
	guild := guildFlag(fs)
	limit := fs.Int("limit", 20, "how many stories to print (1 to 1000)")
	since := fs.Duration("since", 48*time.Hour, "how far back to look (e.g. 6h, 7d is 168h)")
	feedURL := fs.String("feed", "", "only stories from this feed")
	query := fs.String("query", "", "only stories this query matches")
	if rest, err := parseInterleaved(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("%w: recent: unexpected argument %q; put a search in --query '...'", errUsage, rest[0])
	}
	if *limit < 1 || *limit > 1000 {
		return fmt.Errorf("%w: recent: --limit %d is out of range; give 1 to 1000", errUsage, *limit)
	}
	if *since <= 0 {
		return fmt.Errorf("%w: recent: --since must be positive, such as 48h", errUsage)
	}
	if *guild != "" {
		if err := checkSnowflake("recent", "guild", *guild); err != nil {
			return err
		}
	}
	var ix *match.Index
	var err error
	if *query != "" {
		if err := match.Validate(*query); err != nil {
			return fmt.Errorf("%w: recent: --query: %v", errUsage, err)
		}
		if ix, err = match.NewIndex([]alerts.Subscription{{ID: 1, Query: *query}}); err != nil {
			return fmt.Errorf("%w: recent: --query: %v", errUsage, err)
		}
	}
	_, db, err := af.open(ctx, env, false)
	if err != nil {
		return err
	}
	defer db.Close()
	from := time.Now().Add(-*since)
	// Filters apply after reading, so read generously, in pages, until the
	// limit is met or the window is exhausted.
	const page = 500
	var shown []alerts.Story
	for offset := 0; len(shown) < *limit; offset += page {
		var stories []alerts.Story
		if *guild != "" {
			stories, err = db.GuildStories(ctx, *guild, from, time.Now().Add(time.Minute), offset, page)
		} else {
			stories, err = db.RecentStories(ctx, from, offset, page)
		}
		if err != nil {
			return err
		}
		for _, s := range stories {
			if *feedURL != "" && s.FeedURL != *feedURL {
				continue
			}
			if ix != nil && len(ix.Match(&s)) == 0 {
				continue
			}
			shown = append(shown, s)
			if len(shown) == *limit {
				break
			}
		}
		if len(stories) < page {
			break
		}
	}
	if len(shown) == 0 {
		fmt.Fprintf(env.stdout, "No stories stored in the last %s match.\n", alerts.FormatDuration(*since))
		return nil
	}
	for _, s := range shown {
		// Stories are listed, and --since counts, by when Vigil first saw
		// them: a feed's own dates may be missing or far off.
		fmt.Fprintf(env.stdout, "%s  %s  %s\n  %s", s.FirstSeen.UTC().Format("2006-01-02 15:04 UTC"), orDash(s.Source), s.Title, s.URL)
		if len(s.Countries) > 0 {
			fmt.Fprintf(env.stdout, "  [%s]", strings.Join(s.Countries, ","))
		}
		fmt.Fprintln(env.stdout)
	}
	return nil
}
