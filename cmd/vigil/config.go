package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/jackc/pgx/v5"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/brief"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/peer"
	"github.com/vigilbot/vigil/alerts/summary"
	"github.com/vigilbot/vigil/storage"
)

// Config is vigil's whole configuration, read from TOML. config.example.toml
// documents every key; keep the two in step.
type Config struct {
	Discord  DiscordConfig  `toml:"discord"`
	Storage  StorageConfig  `toml:"storage"`
	HTTP     HTTPConfig     `toml:"http"`
	Polling  PollingConfig  `toml:"polling"`
	Summary  SummaryConfig  `toml:"summary"`
	Cluster  ClusterConfig  `toml:"cluster"`
	Briefing BriefingConfig `toml:"briefing"`
	Peers    PeersConfig    `toml:"peers"`
	Log      LogConfig      `toml:"log"`
	Metrics  MetricsConfig  `toml:"metrics"`
	Limits   LimitsConfig   `toml:"limits"`
	Feeds    []FeedConfig   `toml:"feeds"`
	Regions  []RegionConfig `toml:"regions"`
	// Warnings are problems LoadConfig found that do not stop vigil but
	// that the operator should fix; LogWarnings reports them.
	Warnings []string `toml:"-"`
	fileName string
	// fileData is the file's text, to find the line of a key Validate
	// rejects.
	fileData string
}

// DiscordConfig says how to reach Discord.
type DiscordConfig struct {
	Token         string `toml:"token"`
	ApplicationID string `toml:"application_id"`
	GuildID       string `toml:"guild_id"`
	// ShardCount splits the bot's gateway into this many shards, shared
	// out among the Vigil processes on one database; 0 asks Discord for
	// its recommended count at start.
	ShardCount int `toml:"shard_count"`
	// APIBase points the bot at another Discord API, such as the fake
	// Discord (cmd/fakediscord) a crash soak runs against. Testing only:
	// it must be a loopback http URL, so a config cannot send the token
	// elsewhere.
	APIBase string `toml:"api_base"`
}

// StorageConfig says which database engine keeps vigil's state, and where.
type StorageConfig struct {
	// Driver is "sqlite" (the default: one file, Path) or "postgres"
	// (a server, DSN).
	Driver string `toml:"driver"`
	Path   string `toml:"path"`
	// DSN is the PostgreSQL connection string; VIGIL_DATABASE_URL, when
	// set, replaces it, so that the password need not be in the file.
	DSN string `toml:"dsn"`
}

// open opens the database the settings name, bringing its schema up to
// date.
func (s StorageConfig) open(ctx context.Context, opts ...storage.Option) (*storage.DB, error) {
	if s.Driver == storage.EnginePostgres {
		return storage.OpenPostgres(ctx, s.DSN, opts...)
	}
	return storage.Open(ctx, s.Path, opts...)
}

// isFile reports whether the database is a file vigil creates (SQLite's),
// rather than a server's database someone else created.
func (s StorageConfig) isFile() bool { return s.Driver != storage.EnginePostgres }

// The storage engines storage.driver names.
var storageDrivers = []string{storage.EngineSQLite, storage.EnginePostgres}

// storageDriverAliases are what people write for an engine that vigil
// spells otherwise.
var storageDriverAliases = map[string]string{
	"sqlite3": storage.EngineSQLite, "postgresql": storage.EnginePostgres, "pg": storage.EnginePostgres,
	"pgx": storage.EnginePostgres, "psql": storage.EnginePostgres,
}

// HTTPConfig bounds what fetching a feed may cost.
type HTTPConfig struct {
	Timeout               Duration `toml:"timeout"`
	MaxBodyBytes          int64    `toml:"max_body_bytes"`
	UserAgent             string   `toml:"user_agent"`
	AllowPrivateAddresses bool     `toml:"allow_private_addresses"`
	AllowedNetworks       []string `toml:"allowed_networks"`
}

// PollingConfig sets how feeds are scheduled.
type PollingConfig struct {
	DefaultInterval Duration `toml:"default_interval"`
	Jitter          Duration `toml:"jitter"`
	MaxBackoff      Duration `toml:"max_backoff"`
	FirstPollWindow Duration `toml:"first_poll_window"`
	Concurrency     int      `toml:"concurrency"`
}

// SummaryConfig sets the length of alert summaries.
type SummaryConfig struct {
	Sentences int `toml:"sentences"`
	MaxWords  int `toml:"max_words"`
	MaxChars  int `toml:"max_chars"`
}

// ClusterConfig sets how reports of one event are grouped.
type ClusterConfig struct {
	Window Duration `toml:"window"`
}

// BriefingConfig is the [briefing] table.
type BriefingConfig struct {
	// Grace is how late a briefing missed while vigil was down is still
	// sent at start; later ones are skipped and logged.
	Grace Duration `toml:"grace"`
}

// PeersConfig is the [peers] table: how several `vigil run` processes on
// one database share the work.
type PeersConfig struct {
	// Timeout is how long a process may go without a heartbeat before the
	// others count it dead and take over its feeds and channels.
	Timeout Duration `toml:"timeout"`
}

// LogConfig sets logging.
type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// MetricsConfig sets where /healthz and /metrics listen.
type MetricsConfig struct {
	Address string `toml:"address"`
	// Pprof adds Go's profiles under /debug/pprof/ on the same listener,
	// for an operator finding where memory or CPU goes. Off by default:
	// a profile shows the process's inner workings and costs CPU while
	// taken.
	Pprof bool `toml:"pprof"`
}

// FeedConfig is one feed the operator wants polled.
type FeedConfig struct {
	URL          string   `toml:"url"`
	Name         string   `toml:"name"`
	Interval     Duration `toml:"interval"`
	FetchArticle bool     `toml:"fetch_article"`
}

// RegionConfig is an operator-defined region.
type RegionConfig struct {
	Slug      string   `toml:"slug"`
	Name      string   `toml:"name"`
	Aliases   []string `toml:"aliases"`
	Countries []string `toml:"countries"`
	Places    []string `toml:"places"`
	// TagMembers: naming the region also tags its countries (for tight
	// groups such as the Baltic states, not for continents).
	TagMembers bool `toml:"tag_members"`
	// NamedOnly: tag the region only when a story names it or its places,
	// not for every story about one of its countries (seas, straits).
	NamedOnly bool `toml:"named_only"`
}

// Duration is a time.Duration written in TOML as a Go duration string ("5m").
type Duration struct{ time.Duration }

// UnmarshalText parses "90s", "5m", "1h30m".
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("%q is not a duration; write it like \"90s\", \"5m\" or \"1h30m\"", text)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", text)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// String writes the duration as people write it: "24h", not "24h0m0s".
func (d Duration) String() string { return shortDuration(d.Duration) }

// Limits on what the operator may configure, to keep one bad value from
// hammering an outlet, starving the poller or exhausting memory. Every
// number in the file has a range; past it a typo is likelier than intent.
const (
	minFeedInterval = 30 * time.Second
	maxFeedInterval = 24 * time.Hour
	// Discord: an embed description holds at most 4096 characters.
	maxSummaryChars = 4096
	// maxBriefingGrace keeps a late briefing from overlapping the next
	// day's; with no grace at all, any restart at briefing time skips it.
	minBriefingGrace = time.Second
	maxBriefingGrace = 23 * time.Hour
	// A heartbeat every third of the timeout: shorter than 3s and one slow
	// database write makes a live process look dead; past 5m a dead one's
	// feeds go unpolled for too long.
	minPeerTimeout = 3 * time.Second
	maxPeerTimeout = 5 * time.Minute
	// minBodyBytes fits the smallest real feed; maxBodyBytes is far above
	// the largest (a few MiB), and a body is held two or three times over
	// while it is decoded and parsed, once per concurrent poll, so a larger
	// limit no longer protects memory. It also keeps the limit far from
	// the int64 overflow that once broke every fetch.
	minBodyBytes = 1 << 10
	maxBodyBytes = 256 << 20
	// minHTTPTimeout is a round trip to a distant outlet; maxHTTPTimeout
	// is as long as one fetch may hold a polling slot before it is better
	// to fail and retry.
	minHTTPTimeout = time.Second
	maxHTTPTimeout = 5 * time.Minute
	// maxBackoff: a feed failing for a week needs the admin, and a longer
	// rest would leave one that has recovered unpolled for longer still.
	maxBackoff = 7 * 24 * time.Hour
	// maxFirstPollWindow: past a week, adding a feed would alert its
	// archive as if it were news.
	maxFirstPollWindow = 7 * 24 * time.Hour
	// Reports of one event arrive over hours, so a cluster window shorter
	// than one splits them; the clusterer holds every story of the window
	// in memory, and two weeks on a story is about another event.
	minClusterWindow = time.Hour
	maxClusterWindow = 14 * 24 * time.Hour
	maxConcurrency   = 256
	maxSentences     = 10
	minSummaryChars  = 50
	minSummaryWords  = 10
	maxSummaryWords  = 600
)

// DefaultConfig is what vigil runs with when the file leaves a key out.
func DefaultConfig() Config {
	return Config{
		Storage: StorageConfig{Driver: storage.EngineSQLite, Path: "vigil.db"},
		HTTP: HTTPConfig{
			Timeout:      Duration{20 * time.Second},
			MaxBodyBytes: 10 << 20,
		},
		Polling: PollingConfig{
			DefaultInterval: Duration{5 * time.Minute},
			Jitter:          Duration{30 * time.Second},
			MaxBackoff:      Duration{6 * time.Hour},
			Concurrency:     8,
		},
		Summary:  SummaryConfig{Sentences: summary.DefaultSentences, MaxWords: summary.DefaultMaxWords, MaxChars: summary.DefaultMaxChars},
		Cluster:  ClusterConfig{Window: Duration{48 * time.Hour}},
		Briefing: BriefingConfig{Grace: Duration{brief.DefaultGrace}},
		Peers:    PeersConfig{Timeout: Duration{peer.DefaultTTL}},
		Log:      LogConfig{Level: "info", Format: "text"},
		Metrics:  MetricsConfig{Address: "127.0.0.1:9464"},
		Limits:   defaultLimits(),
	}
}

// ConfigError says which file and key is wrong and why, in words an operator
// can act on.
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(", key " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// LoadConfig reads path (when not empty) over the defaults, applies the
// environment and validates the result. Problems that do not stop vigil are
// in the result's Warnings.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		data, info, err := readConfigFile(path)
		if err != nil {
			return Config{}, err
		}
		defaultDB := cfg.Storage.Path
		cfg.Storage.Path = ""
		if err := cfg.decode(path, string(data)); err != nil {
			return Config{}, err
		}
		// A relative storage.path is the config file's neighbour, not the
		// working directory's: under systemd that is / and the database
		// would land at /vigil.db.
		switch p := cfg.Storage.Path; {
		case p == "":
			cfg.Storage.Path = defaultDB
		case !filepath.IsAbs(p):
			cfg.Storage.Path = filepath.Join(filepath.Dir(path), p)
		}
		// Judged before the environment applies: a token in the file is
		// exposed whether or not VIGIL_DISCORD_TOKEN overrides it.
		cfg.Warnings = configWarnings(path, info, cfg)
	}
	if tok := getenv("VIGIL_DISCORD_TOKEN"); tok != "" {
		cfg.Discord.Token = tok
	}
	if dsn := getenv("VIGIL_DATABASE_URL"); dsn != "" {
		// Only a postgres driver reads it: a variable left in the
		// environment must not move a SQLite deployment to an empty
		// server.
		if cfg.Storage.Driver == storage.EnginePostgres {
			cfg.Storage.DSN = dsn
		} else {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf(
				"VIGIL_DATABASE_URL is set but storage.driver is %q, so it is not used; set storage.driver = \"postgres\" to keep vigil's state in PostgreSQL", cfg.Storage.Driver))
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// readConfigFile reads the file and its mode from one open file, so that
// the mode judged is the mode of the bytes read.
func readConfigFile(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("config: reading %s: %w", path, err)
	}
	return data, info, nil
}

// configWarnings are the problems of a loaded file that an operator should
// fix but that need not stop vigil. cfg is the file's content, before the
// environment applies.
func configWarnings(path string, info fs.FileInfo, cfg Config) []string {
	var warnings []string
	// Windows keeps permissions in ACLs; its mode bits say nothing about
	// who may read the file.
	if cfg.Storage.DSN != "" && dsnHasPassword(cfg.Storage.DSN) && runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		warnings = append(warnings, fmt.Sprintf(
			"config %s holds a database password in storage.dsn and other users may read it (mode %04o); run chmod 600 %s, or remove storage.dsn from the file and set VIGIL_DATABASE_URL instead",
			path, uint32(info.Mode().Perm()), path))
	}
	if cfg.Discord.Token != "" && runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		// The token is the bot: whoever reads it can post in every
		// server the bot is in.
		warnings = append(warnings, fmt.Sprintf(
			"config %s holds discord.token and other users may read it (mode %04o); run chmod 600 %s, or remove the token from the file and set VIGIL_DISCORD_TOKEN instead",
			path, uint32(info.Mode().Perm()), path))
	}
	return warnings
}

// LogWarnings logs the Warnings LoadConfig found, once the logger the
// config describes exists.
func (c *Config) LogWarnings(log *slog.Logger) {
	for _, w := range c.Warnings {
		log.Warn(w)
	}
}

func (c *Config) decode(file, data string) error {
	c.fileName = file
	c.fileData = data
	md, err := toml.Decode(data, c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return &ConfigError{File: file, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
		}
		if ce := typeMismatch(file, err); ce != nil {
			return ce
		}
		return &ConfigError{File: file, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		msg := "unknown key"
		if near := nearestKey(keys[0], knownConfigKeys("", reflect.TypeFor[Config]())); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		if len(keys) > 1 {
			msg += fmt.Sprintf("; the other unknown keys are %s", strings.Join(keys[1:], ", "))
		}
		return &ConfigError{File: file, Line: keyLine(data, und[0]), Key: keys[0],
			Msg: msg + "; see config.example.toml for the keys vigil reads"}
	}
	return nil
}

// maxShardCount bounds discord.shard_count: Discord wants one shard per
// 1,000 to 2,500 servers, so this serves some 40 million, and a typo such
// as 10000 does not open ten thousand gateway connections.
const maxShardCount = 16384

var (
	snowflakeRE  = regexp.MustCompile(`^[0-9]{15,21}$`)
	regionSlugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// Validate checks every value and reports the first problem with its key.
func (c *Config) Validate() error {
	fail := func(key, format string, args ...any) error {
		return &ConfigError{File: c.fileName, Line: validatedKeyLine(c.fileData, key), Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if id := c.Discord.ApplicationID; id != "" && !snowflakeRE.MatchString(id) {
		return fail("discord.application_id", "%q is not a Discord ID (a number of 15 to 21 digits)", id)
	}
	if id := c.Discord.GuildID; id != "" && !snowflakeRE.MatchString(id) {
		return fail("discord.guild_id", "%q is not a Discord ID (a number of 15 to 21 digits)", id)
	}
	if n := c.Discord.ShardCount; n < 0 || n > maxShardCount {
		return fail("discord.shard_count", "%d is not a shard count: use 0 to take Discord's recommended count, or a number from 1 to %d", n, maxShardCount)
	}
	if b := c.Discord.APIBase; b != "" {
		if err := checkAPIBase(b); err != nil {
			return fail("discord.api_base", "%v", err)
		}
	}
	if err := c.checkStorage(fail); err != nil {
		return err
	}
	if key, msg := c.checkRanges(); key != "" {
		return fail(key, "%s", msg)
	}
	for i, n := range c.HTTP.AllowedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			return fail(fmt.Sprintf("http.allowed_networks[%d]", i+1), "%q is not a network in CIDR form such as \"10.1.0.0/16\"", n)
		}
	}
	if _, err := parseLogLevel(c.Log.Level); err != nil {
		return fail("log.level", "%v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fail("log.format", "must be \"text\" or \"json\", got %q", c.Log.Format)
	}
	seen := map[string]bool{}
	for i, f := range c.Feeds {
		// Counted from 1, as people count the [[feeds]] in a file.
		key := fmt.Sprintf("feeds[%d]", i+1)
		if f.URL == "" {
			return fail(key+".url", "is required")
		}
		// Errors end up in logs and channels; the URL's credentials
		// must not.
		shown := feed.RedactURL(f.URL)
		if msg := feedURLProblem(f.URL); msg != "" {
			return fail(key+".url", "%q %s", shown, msg)
		}
		if seen[f.URL] {
			return fail(key+".url", "%q is listed twice", shown)
		}
		seen[f.URL] = true
		if d := f.Interval.Duration; d != 0 {
			r := durationRange{key: key + ".interval", v: d, lo: minFeedInterval, hi: maxFeedInterval}
			if msg := r.check(); msg != "" {
				return fail(r.key, "%s", msg)
			}
		}
	}
	slugs := map[string]bool{}
	for i, r := range c.Regions {
		key := fmt.Sprintf("regions[%d]", i+1)
		if !regionSlugRE.MatchString(r.Slug) {
			return fail(key+".slug", "%q must be lower-case words joined by hyphens, like \"north-sea\"", r.Slug)
		}
		if slugs[r.Slug] {
			return fail(key+".slug", "%q is defined twice", r.Slug)
		}
		slugs[r.Slug] = true
		if len(r.Countries) == 0 && len(r.Places) == 0 {
			return fail(key, "region %q needs countries or places", r.Slug)
		}
	}
	return nil
}

// checkStorage checks the [storage] table for the driver it names.
func (c *Config) checkStorage(fail func(key, format string, args ...any) error) error {
	switch d := c.Storage.Driver; d {
	case storage.EngineSQLite:
		if c.Storage.Path == "" {
			return fail("storage.path", "is required: the SQLite file vigil keeps its state in")
		}
	case storage.EnginePostgres:
		if c.Storage.DSN == "" {
			err := fail("storage.dsn", "is required with storage.driver = \"postgres\": a connection string such as \"postgres://vigil@db.example:5432/vigil\" (or set VIGIL_DATABASE_URL)")
			// The key is missing, so the line that asked for it is the
			// one to show.
			if ce, ok := err.(*ConfigError); ok && ce.Line == 0 {
				ce.Line = validatedKeyLine(c.fileData, "storage.driver")
			}
			return err
		}
		if _, err := pgx.ParseConfig(c.Storage.DSN); err != nil {
			return fail("storage.dsn", "%v", storage.DSNError(err))
		}
	default:
		msg := fmt.Sprintf("must be %q or %q, got %q", storage.EngineSQLite, storage.EnginePostgres, d)
		if near := nearestValue(d, storageDrivers, storageDriverAliases); near != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", near)
		}
		return fail("storage.driver", "%s", msg)
	}
	return nil
}

// nearestValue is the one of known that v most likely means: an alias
// people use for it, or a near spelling; "" when none is close.
func nearestValue(v string, known []string, aliases map[string]string) string {
	lower := strings.ToLower(strings.TrimSpace(v))
	if a, ok := aliases[lower]; ok {
		return a
	}
	best, bestDist := "", max(2, len(lower)/3)+1
	for _, k := range known {
		if d := editDistance(lower, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// dsnHasPassword reports whether a connection string carries a password
// (as a URL's user info or a password= pair).
func dsnHasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return regexp.MustCompile(`(^|\s)password\s*=`).MatchString(dsn)
}

// checkRanges returns the first number out of its range and why; "" when
// all are fine.
func (c *Config) checkRanges() (key, msg string) {
	interval := c.Polling.DefaultInterval.Duration
	for _, r := range []durationRange{
		{key: "http.timeout", v: c.HTTP.Timeout.Duration, lo: minHTTPTimeout, hi: maxHTTPTimeout},
		{key: "polling.default_interval", v: interval, lo: minFeedInterval, hi: maxFeedInterval},
		// Jitter only sets where in its cycle a feed is first polled.
		// Phases repeat every interval, so more jitter than that spreads
		// feeds no further and only delays their first poll; unbounded,
		// "100000h" meant a feed was never polled at all.
		{key: "polling.jitter", v: c.Polling.Jitter.Duration, lo: 0, hi: interval, hiKey: "polling.default_interval"},
		{key: "polling.max_backoff", v: c.Polling.MaxBackoff.Duration, lo: interval, loKey: "polling.default_interval", hi: maxBackoff},
		{key: "polling.first_poll_window", v: c.Polling.FirstPollWindow.Duration, lo: 0, hi: maxFirstPollWindow},
		{key: "cluster.window", v: c.Cluster.Window.Duration, lo: minClusterWindow, hi: maxClusterWindow},
		{key: "briefing.grace", v: c.Briefing.Grace.Duration, lo: minBriefingGrace, hi: maxBriefingGrace},
		{key: "peers.timeout", v: c.Peers.Timeout.Duration, lo: minPeerTimeout, hi: maxPeerTimeout},
	} {
		if msg := r.check(); msg != "" {
			return r.key, msg
		}
	}
	for _, r := range []intRange{
		{key: "http.max_body_bytes", v: c.HTTP.MaxBodyBytes, lo: minBodyBytes, hi: maxBodyBytes, bytes: true},
		{key: "polling.concurrency", v: int64(c.Polling.Concurrency), lo: 1, hi: maxConcurrency},
		{key: "summary.sentences", v: int64(c.Summary.Sentences), lo: 1, hi: maxSentences},
		{key: "summary.max_words", v: int64(c.Summary.MaxWords), lo: minSummaryWords, hi: maxSummaryWords},
		{key: "summary.max_chars", v: int64(c.Summary.MaxChars), lo: minSummaryChars, hi: maxSummaryChars,
			why: "Discord's embed limit is 4096"},
	} {
		if msg := r.check(); msg != "" {
			return r.key, msg
		}
	}
	return c.Limits.check()
}

// durationRange is a duration setting and the values it may take. A bound
// that is another setting names it, so the operator knows which to change.
type durationRange struct {
	key          string
	v, lo, hi    time.Duration
	loKey, hiKey string
	why          string
}

// check returns why v is out of range, or "".
func (r durationRange) check() string {
	if r.v >= r.lo && r.v <= r.hi {
		return ""
	}
	bound := func(d time.Duration, key string) string {
		if key != "" {
			return shortDuration(d) + " (" + key + ")"
		}
		return shortDuration(d)
	}
	msg := fmt.Sprintf("must be from %s to %s, got %s", bound(r.lo, r.loKey), bound(r.hi, r.hiKey), shortDuration(r.v))
	if r.why != "" {
		msg += "; " + r.why
	}
	return msg
}

// intRange is a whole-number setting and the values it may take.
type intRange struct {
	key       string
	v, lo, hi int64
	// bytes shows the bounds in KiB or MiB too, as an operator reckons
	// sizes.
	bytes bool
	why   string
}

// check returns why v is out of range, or "".
func (r intRange) check() string {
	if r.v >= r.lo && r.v <= r.hi {
		return ""
	}
	bound := func(n int64) string {
		if r.bytes {
			return fmt.Sprintf("%d (%s)", n, formatSize(n))
		}
		return fmt.Sprint(n)
	}
	msg := fmt.Sprintf("must be from %s to %s, got %d", bound(r.lo), bound(r.hi), r.v)
	if r.why != "" {
		msg += "; " + r.why
	}
	return msg
}

// shortDuration writes d as an operator would: "24h" rather than
// "24h0m0s". Unlike alerts.FormatDuration it never rounds, since a config
// value such as "1500ms" must be echoed as written.
func shortDuration(d time.Duration) string {
	if d%time.Second != 0 {
		return d.String()
	}
	return alerts.FormatDuration(d)
}

// formatSize writes a whole number of KiB or MiB in those units.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// FeedInterval is how often a configured feed is polled.
func (c *Config) FeedInterval(f FeedConfig) time.Duration {
	if f.Interval.Duration > 0 {
		return f.Interval.Duration
	}
	return c.Polling.DefaultInterval.Duration
}

func parseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not a log level; use debug, info, warn or error", s)
	}
	return l, nil
}

// AllowedPrefixes returns the parsed http.allowed_networks; Validate has
// checked them.
func (c *Config) AllowedPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(c.HTTP.AllowedNetworks))
	for _, n := range c.HTTP.AllowedNetworks {
		out = append(out, netip.MustParsePrefix(n))
	}
	return out
}

// checkAPIBase accepts only http URLs of a loopback address: the setting
// exists to test against a fake Discord, and the bot token goes wherever it
// points.
func checkAPIBase(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%q is not an http://host:port address (it is for testing against a fake Discord)", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q is not a loopback address: api_base is for testing against a fake Discord on this machine, and the bot token is sent there", raw)
	}
	return nil
}

// knownConfigKeys lists every dotted key the config reads, from the toml
// tags of t, so suggestions never drift from the struct.
func knownConfigKeys(prefix string, t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Duration]() {
			keys = append(keys, knownConfigKeys(key+".", ft)...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}

// nearestKey is the known key a mistyped one most likely meant: in the
// same table, within a few edits (a typo, not a different word), or "".
func nearestKey(key string, known []string) string {
	table, name := splitKey(key)
	best, bestDist := "", max(2, len(name)/3)+1
	// Tables are candidates too: [metrix] means [metrics].
	var tables []string
	for _, k := range known {
		for i, c := range k {
			if c == '.' {
				tables = append(tables, k[:i])
			}
		}
	}
	for _, k := range append(known, tables...) {
		kt, kn := splitKey(k)
		if kt != table {
			continue
		}
		if d := editDistance(name, kn); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func splitKey(key string) (table, name string) {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// keyLine finds the 1-based line where key is set, by following the file's
// [table] and [[array]] headers; the TOML library knows the position but
// does not export it. 0 when not found.
func keyLine(data string, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	table := strings.Join(key[:len(key)-1], ".")
	name := key[len(key)-1]
	current := ""
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			header := strings.Trim(strings.SplitN(line, "#", 2)[0], "[] \t")
			current = strings.ReplaceAll(header, " ", "")
			if current == strings.Join(key, ".") {
				return i + 1 // an unknown table
			}
			continue
		}
		k, _, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		full := k
		if current != "" {
			full = current + "." + k
		}
		if full == table+"."+name || (table == "" && full == name) {
			return i + 1
		}
	}
	return 0
}

// feedURLProblem says what is wrong with a feed URL, or "".
func feedURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// ue.URL would repeat the URL with any credentials in it.
			err = ue.Err
		}
		return "is not a valid URL: " + err.Error()
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with https:// or http://"
	case u.Host == "":
		return "has no host name after " + u.Scheme + "://"
	}
	return ""
}

// validatedKeyLine finds the line of a key as Validate names it: a plain
// dotted key ("polling.jitter"), or one in the Nth table of an array,
// counted from 1 ("feeds[2].url", "http.allowed_networks[1]"). For an item
// whose key is not in the file, the line of its [[table]] header. 0 when
// not found, as for a default value.
func validatedKeyLine(data, key string) int {
	if data == "" {
		return 0
	}
	table, rest, indexed := strings.Cut(key, "[")
	if !indexed {
		return keyLine(data, strings.Split(key, "."))
	}
	nth, field, _ := strings.Cut(rest, "]")
	field = strings.TrimPrefix(field, ".")
	n, err := strconv.Atoi(nth)
	if err != nil {
		return 0
	}
	if !strings.HasSuffix(rest, "]") && field == "" {
		return 0
	}
	if field == "" && strings.Contains(table, ".") {
		// An index into a list value such as http.allowed_networks: the
		// key's own line.
		return keyLine(data, strings.Split(table, "."))
	}
	header, seen := 0, 0
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			if header > 0 {
				break // the Nth table ended without the field
			}
			if strings.ReplaceAll(strings.Trim(strings.SplitN(line, "#", 2)[0], "[] \t"), " ", "") == table && strings.HasPrefix(line, "[[") {
				if seen++; seen == n {
					header = i + 1
				}
			}
			continue
		}
		if header > 0 && field != "" {
			if k, _, ok := strings.Cut(line, "="); ok && strings.Trim(strings.TrimSpace(k), `"'`) == field {
				return i + 1
			}
		}
	}
	return header
}

// tomlTypeErrorRE matches the TOML library's message for a value of the
// wrong type, which is a plain string naming Go types.
var tomlTypeErrorRE = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]+)"\): incompatible types: TOML value has type (\S+); destination has type (.+)$`)

// typeMismatch rewrites a wrong-type error in the words of the file
// ("must be a string, not a number"), or returns nil for other errors.
func typeMismatch(file string, err error) *ConfigError {
	m := tomlTypeErrorRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	line, _ := strconv.Atoi(m[1])
	got := map[string]string{"int64": "a number", "float64": "a number", "string": "a string", "bool": "true or false",
		"[]any": "a list", "map[string]any": "a table", "time.Time": "a date", "toml.LocalDate": "a date",
		"toml.LocalDateTime": "a date and time", "toml.LocalTime": "a time"}[m[3]]
	if got == "" {
		got = "a TOML " + m[3]
	}
	want := map[string]string{"string": "a string", "primitive (string-like)": "a string in quotes", "integer": "a whole number",
		"float": "a number", "boolean": "true or false", "slice": "a list in [brackets]", "map": "a table"}[m[4]]
	if want == "" {
		want = "a different kind of value"
	}
	return &ConfigError{File: file, Line: line, Key: m[2], Msg: fmt.Sprintf("must be %s, not %s", want, got)}
}

// checkDatabase tells, on stderr, whether a PostgreSQL database the config
// names can be reached and how far its schema is, changing nothing; a
// database that cannot be reached is an error, in the words an operator
// needs (where, as whom; never the password). A SQLite file is vigil's own
// to create, so there is nothing to check before it runs.
func checkDatabase(ctx context.Context, env *cliEnv, cfg Config) error {
	if cfg.Storage.isFile() {
		return nil
	}
	where, have, want, err := storage.CheckPostgres(ctx, cfg.Storage.DSN)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	state := "up to date"
	switch {
	case have == 0:
		state = "no tables yet; vigil run creates them"
	case have < want:
		state = fmt.Sprintf("schema version %d; vigil run brings it to %d", have, want)
	case have > want:
		return fmt.Errorf("storage: the PostgreSQL database at %s is at schema version %d, newer than this vigil knows (%d); run the newer vigil", where, have, want)
	}
	fmt.Fprintf(env.stderr, "database: PostgreSQL at %s: connected, %s\n", where, state)
	return nil
}
