package main

import (
	"os"
	"path/filepath"
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
		{"interval too short", "[[feeds]]\nurl = \"https://a.example/rss\"\ninterval = \"1s\"\n", []string{"feeds[0].interval", "between 30s and 24h0m0s"}},
		{"feed without url", "[[feeds]]\nname = \"x\"\n", []string{"feeds[0].url", "required"}},
		{"feed url not http", "[[feeds]]\nurl = \"ftp://a.example/rss\"\n", []string{"feeds[0].url", "not an http or https URL"}},
		{"same feed twice", "[[feeds]]\nurl = \"https://a.example/rss\"\n[[feeds]]\nurl = \"https://a.example/rss\"\n", []string{"feeds[1].url", "listed twice"}},
		{"bad log level", "[log]\nlevel = \"loud\"\n", []string{"log.level", "debug, info, warn or error"}},
		{"bad network", "[http]\nallowed_networks = [\"10.0.0.0\"]\n", []string{"http.allowed_networks[0]", "CIDR"}},
		{"bad application id", "[discord]\napplication_id = \"my-bot\"\n", []string{"discord.application_id", "not a Discord ID"}},
		{"summary over Discord's limit", "[summary]\nmax_chars = 5000\n", []string{"summary.max_chars", "4096"}},
		{"briefing grace over a day", "[briefing]\ngrace = \"30h\"\n", []string{"briefing.grace", "at most 23h0m0s"}},
		{"region slug", "[[regions]]\nslug = \"North Sea\"\ncountries = [\"NO\"]\n", []string{"regions[0].slug", "hyphens"}},
		{"empty region", "[[regions]]\nslug = \"north-sea\"\n", []string{"regions[0]", "needs countries or places"}},
		{"wrong type", "[storage]\npath = 42\n", []string{"storage.path"}},
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
