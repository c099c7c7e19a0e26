// Package storagetest gives tests a PostgreSQL database of their own, on
// the server VIGIL_TEST_POSTGRES names, so that the storage tests (and any
// test about storage behaviour) run against PostgreSQL as well as SQLite.
//
// Each call makes a fresh schema and returns a connection string that puts
// Vigil's tables in it: tests stay parallel and independent, and creating
// a schema costs a few milliseconds where a database would cost a copy of
// its template. The schema is dropped when the test ends.
package storagetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvDSN is the variable naming the server tests may use.
const EnvDSN = "VIGIL_TEST_POSTGRES"

// SkipMessage is what a PostgreSQL test says when there is no server.
const SkipMessage = "set " + EnvDSN + " to run against PostgreSQL; .ci/run starts one"

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
	schemas   atomic.Int64
)

// InCI reports whether the tests run in CI (CI or VIGIL_CI set, as .ci/run
// does), where a missing server is a failure rather than a reason to skip.
func InCI() bool {
	return os.Getenv("VIGIL_CI") != "" || os.Getenv("CI") != ""
}

// Available reports whether a server is configured.
func Available() bool { return os.Getenv(EnvDSN) != "" }

// RequirePostgres skips the test when no server is configured, or fails it
// in CI, which always has one.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if InCI() {
			t.Fatal("CI runs the PostgreSQL tests but " + EnvDSN + " is not set; .ci/run should have started a server (see .ci/postgres.sh)")
		}
		t.Skip(SkipMessage)
	}
	return dsn
}

// DSN returns a connection string to a fresh, empty schema of its own on
// the test server, dropped when t ends. It skips (or fails in CI) without
// a server.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := RequirePostgres(t)
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", dsn)
		if adminErr == nil {
			adminErr = admin.PingContext(context.Background())
		}
	})
	if adminErr != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", EnvDSN, adminErr)
	}
	schema := fmt.Sprintf("vigil_test_%d_%d", os.Getpid(), schemas.Add(1))
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema for the test: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop the test's schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(dsn, schema)
}

// WithSearchPath returns dsn with its search_path set to schema, in
// whichever form dsn is written (a URL or key=value pairs).
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
