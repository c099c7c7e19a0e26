package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/storage/storagetest"
)

func TestStorageDriverSettingsAreValidated(t *testing.T) {
	tests := []struct {
		name string
		body string
		env  map[string]string
		want []string
	}{
		{"a driver vigil does not have, with the line and the nearest one",
			"[storage]\npath = \"v.db\"\ndriver = \"postgress\"\n",
			nil, []string{"line 3, key storage.driver", `must be "sqlite" or "postgres", got "postgress"`, `(did you mean "postgres"?)`}},
		{"a name people use for PostgreSQL",
			"[storage]\ndriver = \"postgresql\"\n",
			nil, []string{"key storage.driver", `(did you mean "postgres"?)`}},
		{"postgres without a connection string",
			"[storage]\ndriver = \"postgres\"\n",
			nil, []string{"line 2, key storage.dsn", "is required", "VIGIL_DATABASE_URL"}},
		{"a connection string that is not one, without showing its password",
			"[storage]\ndriver = \"postgres\"\ndsn = \"postgres://vigil:hunter2@db:notaport/vigil\"\n",
			nil, []string{"line 3, key storage.dsn", "the connection string is not valid"}},
		{"a bad VIGIL_DATABASE_URL, without showing its password",
			"[storage]\ndriver = \"postgres\"\n",
			map[string]string{"VIGIL_DATABASE_URL": "postgres://vigil:hunter2@db:notaport/vigil"},
			[]string{"key storage.dsn", "the connection string is not valid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.body), func(k string) string { return tt.env[k] })
			if err == nil {
				t.Fatal("LoadConfig accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("err = %v shows the password", err)
			}
		})
	}
}

func TestDatabaseURLFromTheEnvironment(t *testing.T) {
	const envDSN = "postgres://vigil@env.example:5432/vigil"
	tests := []struct {
		name        string
		body        string
		wantDriver  string
		wantDSN     string
		wantWarning string
	}{
		{"replaces the file's dsn for postgres",
			"[storage]\ndriver = \"postgres\"\ndsn = \"postgres://vigil@file.example/vigil\"\n",
			"postgres", envDSN, ""},
		{"is enough for postgres without a dsn in the file",
			"[storage]\ndriver = \"postgres\"\n",
			"postgres", envDSN, ""},
		{"does not move a SQLite deployment, and says so",
			"[storage]\npath = \"v.db\"\n",
			"sqlite", "", `VIGIL_DATABASE_URL is set but storage.driver is "sqlite", so it is not used`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(writeConfig(t, tt.body), func(k string) string {
				if k == "VIGIL_DATABASE_URL" {
					return envDSN
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Storage.Driver != tt.wantDriver || cfg.Storage.DSN != tt.wantDSN {
				t.Errorf("storage = %q %q, want %q %q", cfg.Storage.Driver, cfg.Storage.DSN, tt.wantDriver, tt.wantDSN)
			}
			warned := strings.Join(cfg.Warnings, "\n")
			if tt.wantWarning == "" && warned != "" || !strings.Contains(warned, tt.wantWarning) {
				t.Errorf("warnings = %q, want %q", warned, tt.wantWarning)
			}
		})
	}
}

func TestADatabasePasswordInAFileOthersCanReadIsWarnedAbout(t *testing.T) {
	path := writeConfig(t, "[storage]\ndriver = \"postgres\"\ndsn = \"postgres://vigil:hunter2@db.example/vigil\"\n")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	warned := strings.Join(cfg.Warnings, "\n")
	for _, w := range []string{"database password in storage.dsn", "chmod 600 " + path, "VIGIL_DATABASE_URL"} {
		if !strings.Contains(warned, w) {
			t.Errorf("warnings = %q, want %q", warned, w)
		}
	}
	if strings.Contains(warned, "hunter2") {
		t.Errorf("warnings show the password: %q", warned)
	}
}

func TestCheckSaysWhetherThePostgresDatabaseCanBeReached(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	feedFile := filepath.Join(t.TempDir(), "feed.xml")
	if err := os.WriteFile(feedFile, generatedRSS(2), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("a server that is not there is named, without the password", func(t *testing.T) {
		path := writeConfig(t, "[storage]\ndriver = \"postgres\"\ndsn = \"postgres://vigil:hunter2@127.0.0.1:"+closed+"/vigil\"\n")
		env, _, _ := testEnv("")
		err := runCheck(context.Background(), env, []string{"--config", path, "--feed", feedFile, "--jsonl"})
		if err == nil {
			t.Fatal("check passed")
		}
		for _, w := range []string{"cannot connect to PostgreSQL at 127.0.0.1:" + closed, `as user "vigil"`, `database "vigil"`, "connection refused"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("err = %v, want it to say %q", err, w)
			}
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("err = %v shows the password", err)
		}
	})
	t.Run("a server that answers is reported with its schema", func(t *testing.T) {
		dsn := storagetest.DSN(t)
		path := writeConfig(t, "[storage]\ndriver = \"postgres\"\n")
		env, _, stderr := testEnv("")
		env.getenv = func(k string) string {
			if k == "VIGIL_DATABASE_URL" {
				return dsn
			}
			return ""
		}
		if err := runCheck(context.Background(), env, []string{"--config", path, "--feed", feedFile, "--jsonl"}); err != nil {
			t.Fatal(err)
		}
		if want := "connected, no tables yet; vigil run creates them"; !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr = %q, want %q", stderr, want)
		}
	})
}
