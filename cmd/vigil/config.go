package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/vigilbot/vigil/alerts/brief"
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
	Log      LogConfig      `toml:"log"`
	Metrics  MetricsConfig  `toml:"metrics"`
	Limits   LimitsConfig   `toml:"limits"`
	Feeds    []FeedConfig   `toml:"feeds"`
	Regions  []RegionConfig `toml:"regions"`
	fileName string
}

// DiscordConfig says how to reach Discord.
type DiscordConfig struct {
	Token         string `toml:"token"`
	ApplicationID string `toml:"application_id"`
	GuildID       string `toml:"guild_id"`
	// APIBase points the bot at another Discord API, such as the fake
	// Discord (cmd/fakediscord) a crash soak runs against. Testing only:
	// it must be a loopback http URL, so a config cannot send the token
	// elsewhere.
	APIBase string `toml:"api_base"`
}

// StorageConfig says where the SQLite database lives.
type StorageConfig struct {
	Path string `toml:"path"`
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

// LogConfig sets logging.
type LogConfig struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// MetricsConfig sets where /healthz and /metrics listen.
type MetricsConfig struct {
	Address string `toml:"address"`
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

// Limits on what the operator may configure, to keep one bad value from
// hammering an outlet or starving the poller.
const (
	minFeedInterval = 30 * time.Second
	maxFeedInterval = 24 * time.Hour
	// Discord: an embed description holds at most 4096 characters.
	maxSummaryChars = 4096
	// maxBriefingGrace keeps a late briefing from overlapping the next
	// day's.
	maxBriefingGrace = 23 * time.Hour
)

// DefaultConfig is what vigil runs with when the file leaves a key out.
func DefaultConfig() Config {
	return Config{
		Storage: StorageConfig{Path: "vigil.db"},
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
		Summary:  SummaryConfig{Sentences: 3, MaxChars: 600},
		Cluster:  ClusterConfig{Window: Duration{48 * time.Hour}},
		Briefing: BriefingConfig{Grace: Duration{brief.DefaultGrace}},
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
// environment and validates the result.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := cfg.decode(path, string(data)); err != nil {
			return Config{}, err
		}
	}
	if tok := getenv("VIGIL_DISCORD_TOKEN"); tok != "" {
		cfg.Discord.Token = tok
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func (c *Config) decode(file, data string) error {
	c.fileName = file
	md, err := toml.Decode(data, c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return &ConfigError{File: file, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
		}
		return &ConfigError{File: file, Msg: err.Error()}
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return &ConfigError{File: file, Key: keys[0],
			Msg: fmt.Sprintf("unknown key (unknown keys: %s); see config.example.toml for the keys vigil reads", strings.Join(keys, ", "))}
	}
	return nil
}

var (
	snowflakeRE  = regexp.MustCompile(`^[0-9]{15,21}$`)
	regionSlugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// Validate checks every value and reports the first problem with its key.
func (c *Config) Validate() error {
	fail := func(key, format string, args ...any) error {
		return &ConfigError{File: c.fileName, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if id := c.Discord.ApplicationID; id != "" && !snowflakeRE.MatchString(id) {
		return fail("discord.application_id", "%q is not a Discord ID (a number of 15 to 21 digits)", id)
	}
	if id := c.Discord.GuildID; id != "" && !snowflakeRE.MatchString(id) {
		return fail("discord.guild_id", "%q is not a Discord ID (a number of 15 to 21 digits)", id)
	}
	if b := c.Discord.APIBase; b != "" {
		if err := checkAPIBase(b); err != nil {
			return fail("discord.api_base", "%v", err)
		}
	}
	if c.Storage.Path == "" {
		return fail("storage.path", "is required: the SQLite file vigil keeps its state in")
	}
	if key, msg := c.Limits.check(); key != "" {
		return fail(key, "%s", msg)
	}
	if g := c.Briefing.Grace.Duration; g <= 0 || g > maxBriefingGrace {
		return fail("briefing.grace", "must be more than 0 and at most %v (a briefing later than that is news of another day), got %v", maxBriefingGrace, g)
	}
	if c.HTTP.Timeout.Duration <= 0 {
		return fail("http.timeout", "must be more than 0")
	}
	if c.HTTP.MaxBodyBytes < 1024 {
		return fail("http.max_body_bytes", "must be at least 1024, got %d", c.HTTP.MaxBodyBytes)
	}
	for i, n := range c.HTTP.AllowedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			return fail(fmt.Sprintf("http.allowed_networks[%d]", i), "%q is not a network in CIDR form such as \"10.1.0.0/16\"", n)
		}
	}
	if d := c.Polling.DefaultInterval.Duration; d < minFeedInterval || d > maxFeedInterval {
		return fail("polling.default_interval", "must be between %v and %v, got %v", minFeedInterval, maxFeedInterval, d)
	}
	if c.Polling.MaxBackoff.Duration < c.Polling.DefaultInterval.Duration {
		return fail("polling.max_backoff", "must be at least polling.default_interval (%v)", c.Polling.DefaultInterval.Duration)
	}
	if c.Polling.Concurrency < 1 || c.Polling.Concurrency > 256 {
		return fail("polling.concurrency", "must be between 1 and 256, got %d", c.Polling.Concurrency)
	}
	if c.Summary.Sentences < 1 || c.Summary.Sentences > 10 {
		return fail("summary.sentences", "must be between 1 and 10, got %d", c.Summary.Sentences)
	}
	if c.Summary.MaxChars < 50 || c.Summary.MaxChars > maxSummaryChars {
		return fail("summary.max_chars", "must be between 50 and %d (Discord's embed limit), got %d", maxSummaryChars, c.Summary.MaxChars)
	}
	if c.Cluster.Window.Duration <= 0 {
		return fail("cluster.window", "must be more than 0")
	}
	if _, err := parseLogLevel(c.Log.Level); err != nil {
		return fail("log.level", "%v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fail("log.format", "must be \"text\" or \"json\", got %q", c.Log.Format)
	}
	seen := map[string]bool{}
	for i, f := range c.Feeds {
		key := fmt.Sprintf("feeds[%d]", i)
		if f.URL == "" {
			return fail(key+".url", "is required")
		}
		u, err := url.Parse(f.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail(key+".url", "%q is not an http or https URL", f.URL)
		}
		if seen[f.URL] {
			return fail(key+".url", "%q is listed twice", f.URL)
		}
		seen[f.URL] = true
		if d := f.Interval.Duration; d != 0 && (d < minFeedInterval || d > maxFeedInterval) {
			return fail(key+".interval", "must be between %v and %v, got %v", minFeedInterval, maxFeedInterval, d)
		}
	}
	slugs := map[string]bool{}
	for i, r := range c.Regions {
		key := fmt.Sprintf("regions[%d]", i)
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
