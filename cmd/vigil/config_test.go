package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vigil.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func noEnv(string) string { return "" }

func TestExampleConfigLoadsAsTheDefaults(t *testing.T) {
	cfg, err := LoadConfig("../../config.example.toml", noEnv)
	if err != nil {
		t.Fatalf("config.example.toml does not load: %v", err)
	}
	def := DefaultConfig()
	cfg.fileName = ""
	// The example's relative storage.path resolves beside it.
	def.Storage.Path = filepath.Join("../..", def.Storage.Path)
	if cfg.Polling != def.Polling || cfg.HTTP.Timeout != def.HTTP.Timeout || cfg.Summary != def.Summary || cfg.Storage != def.Storage || cfg.Metrics != def.Metrics {
		t.Errorf("the example's values differ from the defaults it documents:\n%+v\n%+v", cfg, def)
	}
}

func TestConfigErrorsNameTheKeyAndReason(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string
	}{
		{"unknown key", "[polling]\nintervall = \"5m\"\n", []string{"polling.intervall", "unknown key"}},
		{"bad duration", "[polling]\ndefault_interval = \"5 minutes\"\n", []string{"line 2", "polling.default_interval", `"5 minutes" is not a duration`}},
		{"interval too short", "[[feeds]]\nurl = \"https://a.example/rss\"\ninterval = \"1s\"\n", []string{"line 3", "feeds[1].interval", "from 30s to 24h", "got 1s"}},
		{"feed without url", "[[feeds]]\nname = \"x\"\n", []string{"line 1", "feeds[1].url", "required"}},
		{"feed url not http", "[[feeds]]\nurl = \"ftp://a.example/rss\"\n", []string{"line 2", "feeds[1].url", "must start with https:// or http://"}},
		{"feed url malformed", "[[feeds]]\nurl = \"https://a.example:port/rss\"\n", []string{"line 2", "feeds[1].url", `is not a valid URL: invalid port ":port"`}},
		{"feed url without host", "[[feeds]]\nurl = \"https:///rss\"\n", []string{"feeds[1].url", "has no host name after https://"}},
		{"same feed twice", "[[feeds]]\nurl = \"https://a.example/rss\"\n[[feeds]]\nurl = \"https://a.example/rss\"\n", []string{"line 4", "feeds[2].url", "listed twice"}},
		{"bad log level", "[log]\nlevel = \"loud\"\n", []string{"log.level", "debug, info, warn or error"}},
		{"bad network", "[http]\nallowed_networks = [\"10.0.0.0\"]\n", []string{"line 2", "http.allowed_networks[1]", "CIDR"}},
		{"bad application id", "[discord]\napplication_id = \"my-bot\"\n", []string{"discord.application_id", "not a Discord ID"}},
		{"negative shard count", "[discord]\nshard_count = -2\n", []string{"discord.shard_count", "line 2", "0 to take Discord's recommended count"}},
		{"absurd shard count", "[discord]\nshard_count = 100000\n", []string{"discord.shard_count", "from 1 to 16384"}},
		{"summary over Discord's limit", "[summary]\nmax_chars = 5000\n", []string{"line 2", "summary.max_chars", "4096"}},
		{"briefing grace over a day", "[briefing]\ngrace = \"30h\"\n", []string{"briefing.grace", "to 23h", "got 30h"}},
		{"region slug", "[[regions]]\nslug = \"North Sea\"\ncountries = [\"NO\"]\n", []string{"line 2", "regions[1].slug", "hyphens"}},
		{"empty region", "[[regions]]\nslug = \"north-sea\"\n", []string{"line 1", "regions[1]", "needs countries or places"}},
		{"wrong type", "[storage]\npath = 42\n", []string{"line 2", "storage.path", "must be a string, not a number"}},
		{"a string for a list", "[http]\nallowed_networks = \"10.0.0.0/8\"\n", []string{"line 2", "http.allowed_networks", "must be a list in [brackets], not a string"}},
		{"not toml", "[discord\n", []string{"line 2", "table name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.toml)
			_, err := LoadConfig(path, noEnv)
			if err == nil {
				t.Fatal("loaded without error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			// Neither Go's types nor its duration format reach the admin.
			for _, leak := range []string{"int64", "destination has type", "0m0s", "h0m"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q shows %q", msg, leak)
				}
			}
		})
	}
}

func TestTokenFromEnvironmentOverridesTheFile(t *testing.T) {
	path := writeConfig(t, "[discord]\ntoken = \"from-file\"\n[[feeds]]\nurl = \"https://a.example/rss\"\ninterval = \"10m\"\n")
	cfg, err := LoadConfig(path, func(k string) string {
		if k == "VIGIL_DISCORD_TOKEN" {
			return "from-env"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Discord.Token != "from-env" {
		t.Errorf("token = %q, want the environment's", cfg.Discord.Token)
	}
	if got := cfg.FeedInterval(cfg.Feeds[0]); got != 10*time.Minute {
		t.Errorf("feed interval = %v", got)
	}
}

func TestEveryNumberIsRangeChecked(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string
	}{
		{"a body limit of the largest int64 is refused", "[http]\nmax_body_bytes = 9223372036854775807\n",
			[]string{"http.max_body_bytes", "from 1024 (1 KiB) to 268435456 (256 MiB)", "got 9223372036854775807"}},
		{"a body limit under 1 KiB is refused", "[http]\nmax_body_bytes = 1000\n",
			[]string{"http.max_body_bytes", "from 1024 (1 KiB)", "got 1000"}},
		{"a negative body limit is refused", "[http]\nmax_body_bytes = -1\n",
			[]string{"http.max_body_bytes", "got -1"}},
		{"a zero timeout is refused", "[http]\ntimeout = \"0s\"\n",
			[]string{"http.timeout", "from 1s to 5m", "got 0s"}},
		{"an hour-long timeout is refused", "[http]\ntimeout = \"1h\"\n",
			[]string{"http.timeout", "from 1s to 5m", "got 1h"}},
		{"a jitter that would keep feeds from being polled is refused", "[polling]\njitter = \"100000h\"\n",
			[]string{"polling.jitter", "from 0s to 5m (polling.default_interval)", "got 100000h"}},
		{"a jitter longer than the default interval is refused", "[polling]\ndefault_interval = \"1m\"\njitter = \"2m\"\n",
			[]string{"polling.jitter", "to 1m (polling.default_interval)", "got 2m"}},
		{"a default interval under 30s is refused", "[polling]\ndefault_interval = \"10s\"\n",
			[]string{"polling.default_interval", "from 30s to 24h", "got 10s"}},
		{"a backoff shorter than the interval is refused", "[polling]\nmax_backoff = \"1m\"\n",
			[]string{"polling.max_backoff", "from 5m (polling.default_interval) to 168h", "got 1m"}},
		{"a backoff over a week is refused", "[polling]\nmax_backoff = \"1000h\"\n",
			[]string{"polling.max_backoff", "to 168h", "got 1000h"}},
		{"a first-poll window over a week is refused", "[polling]\nfirst_poll_window = \"8760h\"\n",
			[]string{"polling.first_poll_window", "from 0s to 168h", "got 8760h"}},
		{"no concurrency is refused", "[polling]\nconcurrency = 0\n",
			[]string{"polling.concurrency", "from 1 to 256", "got 0"}},
		{"a huge concurrency is refused", "[polling]\nconcurrency = 100000\n",
			[]string{"polling.concurrency", "from 1 to 256", "got 100000"}},
		{"no summary sentences are refused", "[summary]\nsentences = 0\n",
			[]string{"summary.sentences", "from 1 to 10", "got 0"}},
		{"a tiny summary is refused", "[summary]\nmax_chars = 10\n",
			[]string{"summary.max_chars", "from 50 to 4096", "got 10"}},
		{"a cluster window of a second is refused", "[cluster]\nwindow = \"1s\"\n",
			[]string{"cluster.window", "from 1h to 336h", "got 1s"}},
		{"a cluster window of a year is refused", "[cluster]\nwindow = \"8760h\"\n",
			[]string{"cluster.window", "from 1h to 336h", "got 8760h"}},
		{"no briefing grace is refused", "[briefing]\ngrace = \"0s\"\n",
			[]string{"briefing.grace", "to 23h", "got 0s"}},
		{"a feed interval over a day is refused", "[[feeds]]\nurl = \"https://a.example/rss\"\ninterval = \"48h\"\n",
			[]string{"feeds[1].interval", "from 30s to 24h", "got 48h"}},
		{"a per-server cap of zero is refused", "[limits]\nfeeds_per_server = 0\n",
			[]string{"limits.feeds_per_server", "from 1 to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.toml)
			_, err := LoadConfig(path, noEnv)
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}

	t.Run("values at the edges of their ranges load", func(t *testing.T) {
		path := writeConfig(t, "[http]\ntimeout = \"5m\"\nmax_body_bytes = 268435456\n"+
			"[polling]\ndefault_interval = \"24h\"\njitter = \"24h\"\nmax_backoff = \"168h\"\nfirst_poll_window = \"168h\"\nconcurrency = 256\n"+
			"[cluster]\nwindow = \"336h\"\n[briefing]\ngrace = \"23h\"\n")
		if _, err := LoadConfig(path, noEnv); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConfigErrorsDoNotRevealFeedURLSecrets(t *testing.T) {
	tests := []struct {
		name string
		toml string
	}{
		{"a URL listed twice", "[[feeds]]\nurl = \"https://u:hunter2@a.example/rss?token=s3cret\"\n[[feeds]]\nurl = \"https://u:hunter2@a.example/rss?token=s3cret\"\n"},
		{"a URL that is not http", "[[feeds]]\nurl = \"ftp://u:hunter2@a.example/rss?token=s3cret\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.toml), noEnv)
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, secret := range []string{"hunter2", "s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals %q", err, secret)
				}
			}
			if !strings.Contains(err.Error(), "a.example") {
				t.Errorf("error %q no longer says which feed", err)
			}
		})
	}
}

func TestTokenInAFileOthersCanReadIsWarnedAbout(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows keeps file permissions in ACLs, not mode bits")
	}
	const withToken = "[discord]\ntoken = \"from-file\"\n"
	const withoutToken = "[storage]\npath = \"vigil.db\"\n"
	tokenEnv := func(k string) string {
		if k == "VIGIL_DISCORD_TOKEN" {
			return "from-env"
		}
		return ""
	}
	tests := []struct {
		name   string
		toml   string
		mode   os.FileMode
		getenv func(string) string
		warn   bool
	}{
		{"a token in a world-readable file is warned about", withToken, 0o644, noEnv, true},
		{"a token in a world-writable file is warned about", withToken, 0o666, noEnv, true},
		{"a token in a group-readable file is warned about", withToken, 0o640, noEnv, true},
		{"a token in a file only its owner reads is fine", withToken, 0o600, noEnv, false},
		{"a token in the environment is fine whatever the file's mode", withoutToken, 0o644, tokenEnv, false},
		{"a readable file without a token is fine", withoutToken, 0o644, noEnv, false},
		{"a token the environment overrides is still exposed in the file", withToken, 0o644, tokenEnv, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vigil.toml")
			if err := os.WriteFile(path, []byte(tt.toml), tt.mode); err != nil {
				t.Fatal(err)
			}
			// WriteFile's mode passes through the umask; set it exactly.
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path, tt.getenv)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.warn {
				if len(cfg.Warnings) != 0 {
					t.Errorf("unexpected warnings: %q", cfg.Warnings)
				}
				return
			}
			if len(cfg.Warnings) != 1 {
				t.Fatalf("warnings = %q, want one", cfg.Warnings)
			}
			w := cfg.Warnings[0]
			for _, want := range []string{path, fmt.Sprintf("mode %04o", uint32(tt.mode)), "chmod 600 " + path, "VIGIL_DISCORD_TOKEN"} {
				if !strings.Contains(w, want) {
					t.Errorf("warning %q does not say %q", w, want)
				}
			}
			if strings.Contains(w, "from-file") {
				t.Errorf("warning %q reveals the token", w)
			}
			var logs bytes.Buffer
			cfg.LogWarnings(slog.New(slog.NewTextHandler(&logs, nil)))
			if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "chmod 600") {
				t.Errorf("LogWarnings logged %q, want the warning at WARN", out)
			}
		})
	}
}

func TestStoragePathIsRelativeToTheConfigFile(t *testing.T) {
	tests := []struct {
		name string
		body string
		want func(dir string) string
	}{
		{"a relative path sits beside the config", "[storage]\npath = \"data/vigil.db\"\n", func(dir string) string { return filepath.Join(dir, "data", "vigil.db") }},
		{"an absolute path is kept", "[storage]\npath = \"/var/lib/vigil/vigil.db\"\n", func(string) string { return "/var/lib/vigil/vigil.db" }},
		{"no storage.path keeps the default", "", func(string) string { return "vigil.db" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.body)
			cfg, err := LoadConfig(path, noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want(filepath.Dir(path)); cfg.Storage.Path != want {
				t.Errorf("storage.path = %q, want %q", cfg.Storage.Path, want)
			}
		})
	}
}

func TestARefusedStartLeavesNoDatabaseFile(t *testing.T) {
	// No feeds and no token: run refuses to start, after opening storage.
	path := writeConfig(t, "[storage]\npath = \"vigil.db\"\n")
	db := filepath.Join(filepath.Dir(path), "vigil.db")
	env, _, _ := testEnv("")
	if err := runRun(t.Context(), env, []string{"--config", path}); err == nil || !strings.Contains(err.Error(), "nothing to do") {
		t.Fatalf("err = %v, want the refusal", err)
	}
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a refused start (stat: %v)", p, err)
		}
	}
}

func TestUnknownKeysNameTheirLineAndTheNearestKnownKey(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"a typo in a table", "[storage]\npath = \"v.db\"\n\n[polling]\ndefault_intervall = \"5m\"\n",
			"line 5, key polling.default_intervall: unknown key (did you mean polling.default_interval?)"},
		{"a typo in a feed", "[[feeds]]\nurl = \"https://a.example/rss\"\n\n[[feeds]]\nurl = \"https://b.example/rss\"\nintervall = \"5m\"\n",
			"line 6, key feeds.intervall: unknown key (did you mean feeds.interval?)"},
		{"a word vigil does not know at all", "[http]\ntimeout = \"20s\"\nproxy = \"http://p\"\n",
			"line 3, key http.proxy: unknown key; see config.example.toml"},
		{"an unknown table", "[metrix]\naddress = \"127.0.0.1:9464\"\n",
			"line 1, key metrix: unknown key (did you mean metrics?)"},
		{"a shard count spelt as Discord's field", "[discord]\nshards_count = 3\n",
			"line 2, key discord.shards_count: unknown key (did you mean discord.shard_count?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.body), noEnv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
