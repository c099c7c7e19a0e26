package storage

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilbot/vigil/storage/storagetest"
)

func TestStatementsAreTranslatedForPostgres(t *testing.T) {
	tests := []struct {
		name, sqlite, postgres string
	}{
		{"placeholders are numbered in order",
			`SELECT a FROM t WHERE b = ? AND c IN (?,?)`,
			`SELECT a FROM t WHERE b = $1 AND c IN ($2,$3)`},
		{"a question mark in quoted text stays",
			`SELECT '?' || "odd?name" FROM t WHERE x = ?`,
			`SELECT '?' || "odd?name" FROM t WHERE x = $1`},
		{"the list separator's char() is chr()",
			`SELECT string_agg(x, char(31)) FROM t`,
			`SELECT string_agg(x, chr(31)) FROM t`},
		{"instr() is strpos(), arguments in the same order",
			`WHERE instr(char(31) || feeds || char(31), char(31) || ? || char(31)) > 0`,
			`WHERE strpos(chr(31) || feeds || chr(31), chr(31) || $1 || chr(31)) > 0`},
		{"a column named like a function is left alone",
			`SELECT char, instr FROM t WHERE my_instr(x) = ?`,
			`SELECT char, instr FROM t WHERE my_instr(x) = $1`},
		{"an unterminated quote is copied as it is",
			`SELECT 'it''s ?`,
			`SELECT 'it''s ?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toPostgres(tt.sqlite); got != tt.postgres {
				t.Errorf("toPostgres(%q)\n got %q\nwant %q", tt.sqlite, got, tt.postgres)
			}
		})
	}
}

func TestBooleanArgumentsAreIntegersOnPostgres(t *testing.T) {
	pg := &dialect{engine: EnginePostgres}
	in := []any{true, "x", false, int64(7)}
	got := pg.args(in)
	want := []any{int64(1), "x", int64(0), int64(7)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("args[%d] = %#v, want %#v", i, got[i], want[i])
		}
	}
	if in[0] != true {
		t.Errorf("the caller's arguments were changed: %v", in)
	}
	lite := &dialect{engine: EngineSQLite}
	if got := lite.args(in); got[0] != true {
		t.Errorf("SQLite's arguments were converted: %v", got)
	}
}

func TestOpenPostgresSaysWhyItCannotConnect(t *testing.T) {
	// A port that was just free: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()

	tests := []struct {
		name string
		dsn  func(t *testing.T) string
		want []string
	}{
		{"nothing listens at the address",
			func(*testing.T) string {
				return "postgres://vigil:s3cret-pw@127.0.0.1:" + strconv.Itoa(closedPort) + "/vigil?connect_timeout=5"
			},
			[]string{"cannot connect to PostgreSQL at 127.0.0.1:" + strconv.Itoa(closedPort), `as user "vigil"`, `database "vigil"`, "connection refused"}},
		{"the database does not exist",
			func(t *testing.T) string {
				u, err := url.Parse(storagetest.RequirePostgres(t))
				if err != nil {
					t.Skip("VIGIL_TEST_POSTGRES is not a URL")
				}
				u.Path = "/no_such_vigil_db"
				u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
				return u.String()
			},
			[]string{"cannot connect to PostgreSQL", `database "no_such_vigil_db"`, "the database does not exist", "createdb"}},
		{"the connection string is not one",
			func(*testing.T) string { return "postgres://vigil:s3cret-pw@host:notaport/db" },
			[]string{"the connection string is not valid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenPostgres(context.Background(), tt.dsn(t))
			if err == nil {
				t.Fatal("OpenPostgres succeeded")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			if strings.Contains(msg, "s3cret-pw") {
				t.Errorf("error %q shows the password", msg)
			}
			if strings.HasPrefix(tt.name, "nothing") && !errors.Is(err, ErrCannotConnect) {
				t.Errorf("err = %v, want ErrCannotConnect", err)
			}
		})
	}
}
