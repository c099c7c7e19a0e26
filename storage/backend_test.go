package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilbot/vigil/storage/storagetest"
)

// backend is an engine the storage tests run on. Every test about what the
// storage API does runs on each, so that the two cannot drift apart.
type backend struct {
	name string
	// fresh returns where a new, empty database is: a file or a DSN.
	fresh func(t *testing.T) string
	// openAt opens (creating if needed) the database at where.
	openAt func(ctx context.Context, where string, opts ...Option) (*DB, error)
}

var backends = []backend{
	{
		name:   EngineSQLite,
		fresh:  func(t *testing.T) string { return filepath.Join(t.TempDir(), "vigil.db") },
		openAt: Open,
	},
	{
		name:   EnginePostgres,
		fresh:  func(t *testing.T) string { return storagetest.DSN(t) },
		openAt: OpenPostgres,
	},
}

// eachBackend runs test once per engine, as subtests named for them.
// PostgreSQL's skips without VIGIL_TEST_POSTGRES (and fails in CI).
func eachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b) })
	}
}

// open returns a fresh database on the stopped clock t0 (unless opts set
// another), closed when the test ends.
func (b backend) open(t *testing.T, opts ...Option) *DB {
	t.Helper()
	return b.reopen(t, b.fresh(t), opts...)
}

// reopen opens the database at where again, as a restart would.
func (b backend) reopen(t *testing.T, where string, opts ...Option) *DB {
	t.Helper()
	d, err := b.openAt(context.Background(), where, append([]Option{WithClock(func() time.Time { return t0 })}, opts...)...)
	if err != nil {
		t.Fatalf("open %s database: %v", b.name, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
